//! The collector's check that what arrived was minimized. A batch still holding raw personal
//! data (an email, a full IP address, an unhashed identifier) is refused with a reason, so a
//! misconfigured or tampered client cannot quietly fill the store with it.
//!
//! The rules are the device's own: every text goes through the same scrubber the device runs,
//! and any finding refuses the batch, except IP addresses already generalized (IPv4 to the
//! /24, IPv6 to the /48), which is what minimization makes of an IP.

use std::net::IpAddr;

use modicum_core::wire::{Batch, WireValue};

use crate::Rejection;

/// Refuses `batch` with [`Rejection::NotMinimized`] naming where, and what kind of, personal
/// data it found. The reason never repeats the offending text.
pub fn verify(batch: &Batch) -> Result<(), Rejection> {
    if let Some(install) = &batch.meta.install {
        if !is_pseudonym(install) {
            return Err(Rejection::not_minimized(
                "meta.install is not a pseudonym (p1_ and 32 lowercase hex digits)",
            ));
        }
    }
    for (key, value) in &batch.meta.device {
        if let Some(kind) = finding(key) {
            return Err(Rejection::not_minimized(format!(
                "meta.device: a property name holds a raw {kind}"
            )));
        }
        if let Some(kind) = value_finding(value) {
            return Err(Rejection::not_minimized(format!(
                "meta.device, property {key:?}: a raw {kind}"
            )));
        }
    }
    for (index, event) in batch.events.iter().enumerate() {
        // Names and property names are free text too: a developer can put anything there.
        if let Some(kind) = finding(&event.name) {
            return Err(Rejection::not_minimized(format!(
                "event {index}: its name holds a raw {kind}"
            )));
        }
        for (key, value) in &event.properties {
            if let Some(kind) = finding(key) {
                return Err(Rejection::not_minimized(format!(
                    "event {index} ({}): a property name holds a raw {kind}",
                    event.name
                )));
            }
            if let Some(kind) = value_finding(value) {
                return Err(Rejection::not_minimized(format!(
                    "event {index} ({}), property {key:?}: a raw {kind}",
                    event.name
                )));
            }
        }
    }
    Ok(())
}

/// `p1_` and 32 lowercase hex digits: what the device's pseudonymizer makes.
pub fn is_pseudonym(text: &str) -> bool {
    text.strip_prefix("p1_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn value_finding(value: &WireValue) -> Option<&'static str> {
    match value {
        WireValue::Text(text) => finding(text),
        _ => None,
    }
}

/// The kind of the first raw personal data in `text`, if any.
fn finding(text: &str) -> Option<&'static str> {
    // A pseudonym is the minimized form of an identifier; its hex may look like a token.
    if is_pseudonym(text) {
        return None;
    }
    let neutral = without_generalized_ips(text);
    let report = modicum_core::scrub_report(&neutral);
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
mod tests {
    use std::collections::BTreeMap;

    use modicum_core::wire::sample;

    use super::*;

    #[test]
    fn raw_data_is_named_and_minimized_forms_pass() {
        let cases = [
            ("bo@example.com", Some("email")),
            ("203.0.113.7", Some("ip")),
            ("from 203.0.113.77:443 today", Some("ip")),
            ("2001:db8:1234:5678::1", Some("ip")),
            ("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c", Some("id")),
            ("+44 20 7946 0958", Some("phone")),
            ("4111 1111 1111 1111", Some("card")),
            ("Bearer abcdefghijklmnopqrstuvwxyz012345", Some("token")),
            ("/Users/alice/Library/file.txt", Some("user_path")),
            // A generalized address beside a full one still refuses the full one.
            ("203.0.113.0/24 then 198.51.100.9", Some("ip")),
            ("203.0.113.0", None),
            ("203.0.113.0/24", None),
            ("from 203.0.113.0.", None),
            ("ip:203.0.113.0, next", None),
            ("ip:203.0.113.9, next", Some("ip")),
            ("[2001:db8:1234::]:443", None),
            ("2001:db8:1234::", None),
            ("2001:db8:1234::/48", None),
            ("p1_0123456789abcdef0123456789abcdef", None),
            ("session p1_0123456789abcdef0123456789abcdef ended", None),
            ("mail [email] from [ip]", None),
            // The device's normalization and families: what it would have removed is refused.
            ("短信已发送到15900001111", Some("cn_mobile")),
            ("电话１５９００００１１１１", Some("cn_mobile")),
            ("mail ann\u{200B}@example.org", Some("email")),
            ("mailto ann%40example.org", Some("email")),
            ("身份证号11010519491231002X", Some("cn_resident_id")),
            ("IBAN DE89 3704 0044 0532 0130 00", Some("iban")),
            ("peer 192.168.001.010", Some("ip")),
            ("imei490154203237518", Some("imei")),
            ("call 2025550143", Some("phone")),
            ("ts=1795359944414 build 10423", None),
            ("checkout", None),
            ("app version 4.12.0", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(finding(text), expected, "{text:?}");
        }
        assert_eq!(value_finding(&WireValue::Int(4_111_111_111_111_111)), None);
        assert!(!is_pseudonym("p1_0123"));
        assert!(!is_pseudonym("p1_0123456789ABCDEF0123456789abcdef"));
        assert!(!is_pseudonym("p2_0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn a_sample_session_passes_and_each_leak_is_located() {
        for seed in 0..20 {
            assert_eq!(verify(&sample::session(seed, 100)), Ok(()), "seed {seed}");
        }
        let clean = sample::session(9, 60);

        let mut leaky = clean.clone();
        leaky.events[7]
            .properties
            .insert("note".into(), WireValue::Text("mail bo@example.com".into()));
        let Err(Rejection::NotMinimized { reason }) = verify(&leaky) else {
            panic!("a raw email passed");
        };
        assert!(reason.starts_with("event 7 ("), "{reason}");
        assert!(
            reason.contains("property \"note\": a raw email"),
            "{reason}"
        );
        assert!(
            !reason.contains("bo@example.com"),
            "the reason repeats nothing"
        );

        let mut device = clean.clone();
        device.meta.device = BTreeMap::from([("ip".into(), WireValue::Text("10.1.2.3".into()))]);
        assert_eq!(
            verify(&device),
            Err(Rejection::not_minimized(
                "meta.device, property \"ip\": a raw ip"
            ))
        );
        device.meta.device = BTreeMap::from([("ip".into(), WireValue::Text("10.1.2.0/24".into()))]);
        assert_eq!(verify(&device), Ok(()));

        let mut key = clean.clone();
        key.events[0]
            .properties
            .insert("bo@example.com".into(), WireValue::Bool(true));
        let reason = verify(&key).unwrap_err().to_string();
        assert!(reason.contains("event 0") && reason.contains("property name holds a raw email"));
        assert!(!reason.contains("bo@example.com"));

        let mut install = clean;
        install.meta.install = Some("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c".into());
        assert_eq!(verify(&install).unwrap_err().kind(), "not_minimized");
        install.meta.install = None;
        assert_eq!(verify(&install), Ok(()));
    }
}
