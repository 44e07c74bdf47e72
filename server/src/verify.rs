//! The collector's check that what arrived was minimized and is what a device sends. A batch
//! still holding raw personal data (an email, a full IP address, an unhashed identifier), or
//! one no device could have made, is refused with a reason, so a misconfigured or tampered
//! client cannot quietly fill the store with it.
//!
//! The rules are the device's own: every text (names, keys, values, device context, `app_id`,
//! `sdk_version`) goes through the same scrubber the device runs, and any finding refuses the
//! batch, except IP addresses already generalized (IPv4 to the /24, IPv6 to the /48), which is
//! what minimization makes of an IP. Every whole number, and the integer part of every double,
//! is checked as the device checks numbers it keeps (see `docs/privacy-table.md`), except the
//! powers of two storage and memory buckets are generalized to, which identify no one.
//! Non-finite doubles and impossible coordinates are refused (the device never records them),
//! and so is a batch created outside the freshness window or one that would write more than
//! its share of the store.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use modicum_scrub::{identifier_in_number, integer_digits, Families};
use modicum_wire::check_app_id;
use modicum_wire::{Batch, WireValue};

use crate::Rejection;

/// What a batch is held to beside minimization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The server's clock.
    pub now_ms: u64,
    /// How old `created_at` may be, and how far in the future.
    pub max_age_ms: u64,
    pub max_skew_ms: u64,
    /// The most bytes the batch may write (see [`stored_bytes`]).
    pub max_stored: usize,
}

impl Rules {
    /// Rules no batch made in `[now - max_age, now + skew]` breaks, storing anything.
    pub fn at(now_ms: u64) -> Rules {
        Rules {
            now_ms,
            max_age_ms: 90 * 86_400_000,
            max_skew_ms: 86_400_000,
            max_stored: usize::MAX,
        }
    }
}

/// The longest `sdk_version` kept: a name and a version, never free text.
const MAX_SDK_VERSION: usize = 64;

/// Refuses `batch` with the [`Rejection`] naming where, and what, it found. The reason never
/// repeats the offending text.
pub fn verify(batch: &Batch, rules: &Rules) -> Result<(), Rejection> {
    let meta = &batch.meta;
    let oldest = rules.now_ms.saturating_sub(rules.max_age_ms);
    let newest = rules.now_ms.saturating_add(rules.max_skew_ms);
    if !(oldest..=newest).contains(&meta.created_at_ms) {
        return Err(Rejection::stale(format!(
            "created_at {} ms is outside the window the server keeps ({oldest} to {newest})",
            meta.created_at_ms
        )));
    }
    let stored = stored_bytes(batch);
    if stored > rules.max_stored {
        return Err(Rejection::too_large(format!(
            "the batch would store {stored} bytes (at most {})",
            rules.max_stored
        )));
    }
    if let Err(why) = check_app_id(&meta.app_id) {
        return Err(Rejection::not_minimized(format!(
            "meta.app_id is not an app id: it {why}"
        )));
    }
    if meta.sdk_version.len() > MAX_SDK_VERSION
        || !meta
            .sdk_version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"./_+-".contains(&b))
    {
        return Err(Rejection::not_minimized(format!(
            "meta.sdk_version is not a version: at most {MAX_SDK_VERSION} letters, digits and ./_+-"
        )));
    }
    crate::health::check_report_batch(batch)?;
    let mut texts = Texts::default();
    for (field, text) in [("app_id", &meta.app_id), ("sdk_version", &meta.sdk_version)] {
        if let Some(kind) = finding(text) {
            return Err(Rejection::not_minimized(format!(
                "meta.{field} holds a raw {kind}"
            )));
        }
    }
    if let Some(install) = &meta.install {
        if !is_pseudonym(install) {
            return Err(Rejection::not_minimized(
                "meta.install is not a pseudonym (p1_ and 32 lowercase hex digits)",
            ));
        }
    }
    for (key, value) in &meta.device {
        if let Some(kind) = finding(key) {
            return Err(Rejection::not_minimized(format!(
                "meta.device: a property name holds a raw {kind}"
            )));
        }
        value_check(value, &mut texts)
            .map_err(|e| e.at(&format!("meta.device, property {key:?}")))?;
    }
    for (index, event) in batch.events.iter().enumerate() {
        // Names and property names are free text too: a developer can put anything there.
        if let Some(kind) = texts.finding(&event.name) {
            return Err(Rejection::not_minimized(format!(
                "event {index}: its name holds a raw {kind}"
            )));
        }
        for (key, value) in &event.properties {
            if let Some(kind) = texts.finding(key) {
                return Err(Rejection::not_minimized(format!(
                    "event {index} ({}): a property name holds a raw {kind}",
                    event.name
                )));
            }
            value_check(value, &mut texts)
                .map_err(|e| e.at(&format!("event {index} ({}), property {key:?}", event.name)))?;
        }
    }
    Ok(())
}

/// What storing `batch` writes, near enough: each event's name, keys and values as the store
/// writes them (JSON), and a row's fixed columns. A batch whose events all point at one long
/// string is small on the wire and large here.
pub fn stored_bytes(batch: &Batch) -> usize {
    // batch id, install, category, basis, time and the JSON punctuation around them.
    const ROW: usize = 96;
    let mut json_len: HashMap<*const u8, usize> = HashMap::new();
    let mut text = |s: &Arc<str>| {
        *json_len
            .entry(s.as_ptr())
            .or_insert_with(|| serde_json::to_string(&**s).map_or(s.len() * 6, |j| j.len()))
    };
    let mut total = 0usize;
    for event in &batch.events {
        total = total.saturating_add(ROW + text(&event.name));
        for (key, value) in &event.properties {
            let value_len = match value {
                WireValue::Text(t) => text(t),
                WireValue::Location { .. } => 48,
                _ => 24,
            };
            total = total.saturating_add(text(key) + 1 + value_len + 1);
        }
    }
    total
}

/// Where a value failed, before the caller says whose value it was.
enum ValueFault {
    Raw(&'static str),
    Number(&'static str),
    Impossible(&'static str),
}

impl ValueFault {
    fn at(self, place: &str) -> Rejection {
        match self {
            ValueFault::Raw(kind) => Rejection::not_minimized(format!("{place}: a raw {kind}")),
            ValueFault::Number(kind) => {
                Rejection::not_minimized(format!("{place}: a number whose digits are a {kind}"))
            }
            ValueFault::Impossible(what) => Rejection::malformed(format!("{place}: {what}")),
        }
    }
}

fn value_check(value: &WireValue, texts: &mut Texts) -> Result<(), ValueFault> {
    match value {
        WireValue::Text(text) => match texts.finding(text) {
            Some(kind) => Err(ValueFault::Raw(kind)),
            None => Ok(()),
        },
        WireValue::Int(i) => number(i.unsigned_abs(), true),
        WireValue::Double(d) if !d.is_finite() => {
            Err(ValueFault::Impossible("a number that is not finite"))
        }
        WireValue::Double(d) => match integer_digits(*d) {
            Some(whole) => number(whole, false),
            None => Ok(()),
        },
        WireValue::Location { lat, lon } => {
            let possible = lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(lat)
                && (-180.0..=180.0).contains(lon);
            if possible {
                Ok(())
            } else {
                Err(ValueFault::Impossible("a location off the globe"))
            }
        }
        WireValue::Bool(_) => Ok(()),
    }
}

/// The device's rule for numbers it keeps: digits that are an identifier with a check digit
/// are not kept. A power of two is what a storage or memory size is generalized to.
fn number(n: u64, whole: bool) -> Result<(), ValueFault> {
    if whole && n.is_power_of_two() {
        return Ok(());
    }
    match identifier_in_number(n, Families::ALL) {
        Some(kind) => Err(ValueFault::Number(kind.name())),
        None => Ok(()),
    }
}

/// Each distinct string of a batch scrubbed once: a decoded batch shares its strings, so a
/// string every event refers to costs one scan, not one per event.
#[derive(Default)]
struct Texts {
    seen: HashMap<*const u8, Option<&'static str>>,
}

impl Texts {
    fn finding(&mut self, text: &Arc<str>) -> Option<&'static str> {
        *self
            .seen
            .entry(text.as_ptr())
            .or_insert_with(|| finding(text))
    }
}

/// `p1_` and 32 lowercase hex digits: what the device's pseudonymizer makes.
pub fn is_pseudonym(text: &str) -> bool {
    text.strip_prefix("p1_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The kind of the first raw personal data in `text`, if any.
fn finding(text: &str) -> Option<&'static str> {
    // A pseudonym is the minimized form of an identifier; its hex may look like a token.
    if is_pseudonym(text) {
        return None;
    }
    let neutral = without_generalized_ips(text);
    let report = modicum_scrub::scrub_report(&neutral);
    report.found.first().map(|(kind, _)| kind.name())
}

/// `text` with each generalized address (and its `/prefix`, if any) replaced by the tag the
/// scrubber itself would leave, so scrubbing the rest still finds every full address, and
/// everything else, exactly as it would have.
fn without_generalized_ips(text: &str) -> std::borrow::Cow<'_, str> {
    let is_address_char = |c: char| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/');
    if !text.contains(['.', ':']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_address_char) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..]
            .find(|c: char| !is_address_char(c))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        match generalized_span(word) {
            Some((from, to)) => {
                out.push_str(&word[..from]);
                out.push_str("[ip]");
                out.push_str(&word[to..]);
            }
            None => out.push_str(word),
        }
        rest = &rest[start + word_len..];
    }
    out.push_str(rest);
    out.into()
}

/// Where in `word` a generalized address is, allowing for punctuation glued to it: a label
/// before it (`ip:203.0.113.0`) or the end of a sentence after it (`… 203.0.113.0.`).
fn generalized_span(word: &str) -> Option<(usize, usize)> {
    let starts = [
        0,
        usize::from(word.starts_with(':') && !word.starts_with("::")),
    ];
    let ends = [
        word.len(),
        word.trim_end_matches('.').len(),
        word.len() - usize::from(word.ends_with(':') && !word.ends_with("::")),
    ];
    starts.iter().find_map(|&from| {
        ends.iter()
            .find(|&&to| from < to && is_generalized(&word[from..to]))
            .map(|&to| (from, to))
    })
}

/// An IPv4 address with the last octet 0, or an IPv6 address with everything after the first
/// 48 bits zero, optionally followed by a prefix length.
fn is_generalized(word: &str) -> bool {
    let (address, prefix) = word.split_once('/').unwrap_or((word, "0"));
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.octets()[3] == 0,
        Ok(IpAddr::V6(v6)) => v6.segments()[3..].iter().all(|&s| s == 0),
        Err(_) => false,
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
