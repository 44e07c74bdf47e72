//! Credentials and secrets: JWTs, bearer tokens, URL credentials and query strings, and
//! `key=value` pairs whose key names a secret. Only the secret itself is claimed: the key, the
//! word `Bearer` and the URL's path stay readable.

use std::sync::LazyLock;

use regex::Regex;

use super::{is_tag, pattern, Families, PiiKind, Span, MASK};

static JWT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"));
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?-u:\b)bearer\s+([A-Za-z0-9._~+/=-]{8,})"));
static URL_CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?-u:\b)[a-z][a-z0-9+.-]*://([^\s/@:]+(?::[^\s/@]*)?)@"));
static URL_QUERY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"(?i)(?-u:\b)[a-z][a-z0-9+.-]*://[^\s?#"'<>]+\?([^\s#"'<>]*)"#));
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r#"(?i)(?:"|(?-u:\b))(?:password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token|auth_token|api_key|apikey|api-key|private_key|session_id|sessionid|sid|key)"?\s*[=:]\s*"?([^\s"&,;}]+)"#,
    )
});

pub(super) fn may_hold_jwt(text: &str) -> bool {
    text.contains("eyJ")
}

pub(super) fn may_hold_bearer(text: &str) -> bool {
    text.contains("earer") || text.contains("EARER")
}

/// Whether some `://` is followed, before the next whitespace, by one of `marks`.
fn url_with(text: &str, marks: &[u8]) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("://").any(|(i, _)| {
        bytes[i + 3..]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .any(|b| marks.contains(b))
    })
}

pub(super) fn may_hold_credentials(text: &str) -> bool {
    url_with(text, b"@")
}

pub(super) fn may_hold_query(text: &str) -> bool {
    url_with(text, b"?")
}

/// The keys a secret pair can have share these pieces (case aside).
const KEY_PIECES: [&[u8]; 7] = [
    b"pass", b"pwd", b"secret", b"token", b"key", b"sid", b"session",
];

pub(super) fn may_hold_pair(text: &str) -> bool {
    let bytes = text.as_bytes();
    (text.contains('=') || text.contains(':'))
        && bytes.iter().enumerate().any(|(i, b)| {
            matches!(b | 0x20, b'p' | b's' | b't' | b'k')
                && KEY_PIECES.iter().any(|piece| {
                    bytes
                        .get(i..i + piece.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(piece))
                })
        })
}

pub(super) fn jwts(text: &str, _: Families, found: &mut Vec<Span>) {
    found.extend(JWT.find_iter(text).map(|m| Span {
        start: m.start(),
        end: m.end(),
        kind: PiiKind::Jwt,
    }));
}

/// The claimed part of each match of `re`: capture group 1, unless it is already a tag (a
/// scrubbed text read again) or empty.
fn group_one(re: &Regex, text: &str, kind: PiiKind, found: &mut Vec<Span>) {
    for caps in re.captures_iter(text) {
        if let Some(m) = caps.get(1) {
            if !m.is_empty() && !is_tag(m.as_str()) && !m.as_str().contains(MASK) {
                found.push(Span {
                    start: m.start(),
                    end: m.end(),
                    kind,
                });
            }
        }
    }
}

pub(super) fn bearer_tokens(text: &str, _: Families, found: &mut Vec<Span>) {
    group_one(&BEARER, text, PiiKind::Token, found);
}

pub(super) fn url_credentials(text: &str, _: Families, found: &mut Vec<Span>) {
    group_one(&URL_CREDENTIALS, text, PiiKind::Credentials, found);
}

pub(super) fn url_queries(text: &str, _: Families, found: &mut Vec<Span>) {
    group_one(&URL_QUERY, text, PiiKind::Query, found);
}

pub(super) fn secret_pairs(text: &str, _: Families, found: &mut Vec<Span>) {
    for caps in PAIR.captures_iter(text) {
        // A value starting with a tag was replaced before (`[email]`, `[secret]`), one starting
        // with a claim is another family's (`token=eyJ…` is a JWT).
        if let Some(m) = caps.get(1).filter(|m| !m.as_str().starts_with(['[', MASK])) {
            found.push(Span {
                start: m.start(),
                end: m.end(),
                kind: PiiKind::Secret,
            });
        }
    }
}
