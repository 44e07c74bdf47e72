//! Free-text scrubbing: personal data found in text is replaced by a bracketed tag naming
//! what was removed, so the rest of the text stays readable.
//!
//! | tag | what it replaces |
//! |---|---|
//! | `[jwt]` | JSON Web Tokens |
//! | `[token]` | the token after `Bearer` |
//! | `[secret]` | the value of `password=`, `token=`, `api_key:`, `"secret": "…"` and the like |
//! | `[credentials]` | `user:password@` in URLs |
//! | `[query]` | a URL's query string (the path is kept) |
//! | `[email]` | email addresses |
//! | `[user]` | the user's name in home paths (`/Users/[user]/…`, `C:\Users\[user]\…`, `/data/user/0/[user]/…`) |
//! | `[id]` | UUID-shaped identifiers (IDFA, IDFV, GAID) |
//! | `[mac]` | MAC addresses |
//! | `[ip]` | IPv4 and IPv6 addresses that parse as such |
//! | `[imei]`, `[card]` | 15-digit IMEIs and payment card numbers that pass the Luhn check |
//! | `[phone]` | phone numbers in international and common national formats |
//!
//! Rules run in that order, each on the previous one's output, so a token inside a URL is
//! gone before the email rule could mistake `user:pass@host` for an address. Patterns use the
//! `regex` crate, which matches in linear time, so hostile input cannot stall the worker;
//! where a pattern alone would mistake crash text for personal data (a version for an IP, a
//! timestamp for a card), a validator in code decides. Each rule first checks for a byte its
//! matches must contain, so clean text skips most of the work. Word boundaries are ASCII
//! (`(?-u:\b)`): the Unicode kind stops the fast engine at the first non-ASCII byte, which
//! made text in other scripts 15 times slower, and an ASCII boundary only lets a match start
//! next to a non-ASCII letter, which in practice only scrubs more.

mod contact;
mod identifiers;
mod network;
mod numbers;
mod paths;
mod secrets;

use std::borrow::Cow;

use regex::{Captures, Regex};

pub(crate) use numbers::identifier_in_number;

/// A kind of personal data the scrubber removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiKind {
    Jwt,
    Token,
    Secret,
    Credentials,
    Query,
    Email,
    UserPath,
    Id,
    Mac,
    Ip,
    Imei,
    Card,
    Phone,
}

impl PiiKind {
    /// The tag that replaces it.
    pub fn tag(self) -> &'static str {
        match self {
            PiiKind::Jwt => "[jwt]",
            PiiKind::Token => "[token]",
            PiiKind::Secret => "[secret]",
            PiiKind::Credentials => "[credentials]",
            PiiKind::Query => "[query]",
            PiiKind::Email => "[email]",
            PiiKind::UserPath => "[user]",
            PiiKind::Id => "[id]",
            PiiKind::Mac => "[mac]",
            PiiKind::Ip => "[ip]",
            PiiKind::Imei => "[imei]",
            PiiKind::Card => "[card]",
            PiiKind::Phone => "[phone]",
        }
    }

    /// A stable snake_case name, for traces and counters.
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Jwt => "jwt",
            PiiKind::Token => "token",
            PiiKind::Secret => "secret",
            PiiKind::Credentials => "credentials",
            PiiKind::Query => "query",
            PiiKind::Email => "email",
            PiiKind::UserPath => "user_path",
            PiiKind::Id => "id",
            PiiKind::Mac => "mac",
            PiiKind::Ip => "ip",
            PiiKind::Imei => "imei",
            PiiKind::Card => "card",
            PiiKind::Phone => "phone",
        }
    }
}

/// Scrubbed text and what was found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed<'a> {
    pub text: Cow<'a, str>,
    /// How many of each kind were replaced; only kinds found appear.
    pub found: Vec<(PiiKind, u32)>,
}

impl Scrubbed<'_> {
    /// How many pieces of personal data were replaced in all.
    pub fn removed(&self) -> u32 {
        self.found.iter().map(|(_, n)| n).sum()
    }
}

/// Whether `byte` occurs at least `n` times in `text`.
fn at_least(text: &str, byte: u8, n: usize) -> bool {
    text.bytes().filter(|&b| b == byte).take(n).count() == n
}

/// Returns `text` with personal data replaced by tags; borrows when nothing matched.
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrub_report(text).text
}

/// [`scrub`], also saying what was found.
pub fn scrub_report(text: &str) -> Scrubbed<'_> {
    let mut found = Found::default();
    let mut current = Cow::Borrowed(text);
    for rule in RULES {
        if (rule.may_match)(&current) {
            if let Cow::Owned(changed) = (rule.apply)(&current, &mut found) {
                current = Cow::Owned(changed);
            }
        }
    }
    Scrubbed {
        text: current,
        found: found.0,
    }
}

/// One step of the pipeline: a cheap test that the text could hold a match, and the rule.
struct Rule {
    may_match: fn(&str) -> bool,
    apply: for<'t> fn(&'t str, &mut Found) -> Cow<'t, str>,
}

const RULES: &[Rule] = &[
    Rule {
        may_match: secrets::may_hold_jwt,
        apply: secrets::jwts,
    },
    Rule {
        may_match: secrets::may_hold_bearer,
        apply: secrets::bearer_tokens,
    },
    Rule {
        may_match: secrets::may_hold_url,
        apply: secrets::url_credentials,
    },
    Rule {
        may_match: secrets::may_hold_url,
        apply: secrets::url_queries,
    },
    Rule {
        may_match: secrets::may_hold_pair,
        apply: secrets::secret_pairs,
    },
    Rule {
        may_match: contact::may_hold_email,
        apply: contact::emails,
    },
    Rule {
        may_match: paths::may_hold_home,
        apply: paths::home_paths,
    },
    Rule {
        may_match: identifiers::may_hold_uuid,
        apply: identifiers::uuids,
    },
    Rule {
        may_match: network::may_hold_mac,
        apply: network::macs,
    },
    Rule {
        may_match: network::may_hold_ip,
        apply: network::ips,
    },
    Rule {
        may_match: numbers::may_hold_long_number,
        apply: numbers::cards_and_imeis,
    },
    Rule {
        may_match: contact::may_hold_phone,
        apply: contact::phones,
    },
];

/// Counts per kind, in the order kinds were first found.
#[derive(Debug, Default)]
struct Found(Vec<(PiiKind, u32)>);

impl Found {
    fn add(&mut self, kind: PiiKind) {
        match self.0.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.0.push((kind, 1)),
        }
    }
}

/// Replaces every match of `re` for which `decide` returns a replacement, counting each.
/// `decide` sees the captures and returns `None` to leave a match as it was.
fn replace<'t>(
    re: &Regex,
    text: &'t str,
    found: &mut Found,
    mut decide: impl FnMut(&Captures<'_>) -> Option<(PiiKind, String)>,
) -> Cow<'t, str> {
    let mut changed = false;
    let out = re.replace_all(text, |caps: &Captures<'_>| match decide(caps) {
        Some((kind, replacement)) => {
            found.add(kind);
            changed = true;
            replacement
        }
        None => caps[0].to_owned(),
    });
    if changed {
        Cow::Owned(out.into_owned())
    } else {
        Cow::Borrowed(text)
    }
}

/// Compiles a pattern that is a constant of this module.
fn pattern(re: &str) -> Regex {
    Regex::new(re).expect("scrub patterns are valid")
}

/// Whether `text` holds a run of at least `n` ASCII digits, allowing single separators
/// between digits (` `, `-`, `.`) — the cheapest test that a number-shaped rule can match.
fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    let mut last_was_separator = false;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            last_was_separator = false;
            if run >= n {
                return true;
            }
        } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')') && run > 0 && !last_was_separator {
            last_was_separator = true;
        } else {
            run = 0;
            last_was_separator = false;
        }
    }
    false
}

#[cfg(test)]
mod tests;
