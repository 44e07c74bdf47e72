//! Credentials and secrets: JWTs, bearer tokens, URL credentials and query strings, and
//! `key=value` pairs whose key names a secret.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, replace, Found, PiiKind};

static JWT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"));
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?-u:\b)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"));
static URL_CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?-u:\b)([a-z][a-z0-9+.-]*://)[^\s/@:]+(?::[^\s/@]*)?@"));
static URL_QUERY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"(?i)(?-u:\b)([a-z][a-z0-9+.-]*://[^\s?#"'<>]+)\?[^\s#"'<>]*"#));
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r#"(?i)((?:"|(?-u:\b))(?:password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token|auth_token|api_key|apikey|api-key|private_key|session_id|sessionid|sid|key)"?\s*[=:]\s*"?)([^\s"&,;}]+)"#,
    )
});

pub(super) fn may_hold_jwt(text: &str) -> bool {
    text.contains("eyJ")
}

pub(super) fn may_hold_bearer(text: &str) -> bool {
    text.contains("earer") || text.contains("EARER")
}

pub(super) fn may_hold_url(text: &str) -> bool {
    text.contains("://")
}

pub(super) fn may_hold_pair(text: &str) -> bool {
    text.contains('=') || text.contains(':')
}

pub(super) fn jwts<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&JWT, text, found, |_| {
        Some((PiiKind::Jwt, PiiKind::Jwt.tag().to_owned()))
    })
}

pub(super) fn bearer_tokens<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&BEARER, text, found, |c| {
        Some((PiiKind::Token, format!("{}{}", &c[1], PiiKind::Token.tag())))
    })
}

pub(super) fn url_credentials<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&URL_CREDENTIALS, text, found, |c| {
        // Already replaced: scrubbing twice changes nothing.
        (!c[0].ends_with(&format!("{}@", PiiKind::Credentials.tag()))).then(|| {
            (
                PiiKind::Credentials,
                format!("{}{}@", &c[1], PiiKind::Credentials.tag()),
            )
        })
    })
}

pub(super) fn url_queries<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&URL_QUERY, text, found, |c| {
        // A query already replaced by its tag is left alone, so scrubbing twice changes
        // nothing (the collector re-checks what arrives with the same rules).
        let whole = &c[0];
        (!whole.ends_with(&format!("?{}", PiiKind::Query.tag()))).then(|| {
            (
                PiiKind::Query,
                format!("{}?{}", &c[1], PiiKind::Query.tag()),
            )
        })
    })
}

pub(super) fn secret_pairs<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&PAIR, text, found, |c| {
        // A value already replaced by an earlier rule, or left empty, is not a secret.
        let value = &c[2];
        (!value.starts_with('[')).then(|| {
            (
                PiiKind::Secret,
                format!("{}{}", &c[1], PiiKind::Secret.tag()),
            )
        })
    })
}
