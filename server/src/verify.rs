//! The collector's check that what arrived was minimized: a batch holding raw personal data
//! (an email, a full IP address, an unhashed identifier) is refused with a reason, so a
//! misconfigured or tampered client cannot quietly fill the store with it.

use std::net::IpAddr;

use modicum_core::wire::{Batch, WireValue};
use modicum_core::PiiKind;

use crate::Rejection;

pub fn verify(batch: &Batch) -> Result<(), Rejection> {
    if let Some(install) = &batch.meta.install {
        if !is_pseudonym(install) {
            return Err(Rejection::NotMinimized(
                "the install is not named by a pseudonym".into(),
            ));
        }
    }
    for (key, value) in &batch.meta.device {
        check(value).map_err(|kind| {
            Rejection::NotMinimized(format!("device property {key:?} holds a raw {kind}"))
        })?;
    }
    for (index, event) in batch.events.iter().enumerate() {
        check(&WireValue::Text(event.name.clone())).map_err(|kind| {
            Rejection::NotMinimized(format!("event {index}: its name holds a raw {kind}"))
        })?;
        for (key, value) in &event.properties {
            check(value).map_err(|kind| {
                Rejection::NotMinimized(format!(
                    "event {index} ({}), property {key:?}: a raw {kind}",
                    event.name
                ))
            })?;
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

/// The kind of raw personal data `value` holds, if any.
fn check(value: &WireValue) -> Result<(), &'static str> {
    let WireValue::Text(text) = value else {
        return Ok(());
    };
    if is_pseudonym(text) {
        return Ok(());
    }
    let report = modicum_core::scrub_report(text);
    for (kind, _) in &report.found {
        // A generalized address (/24, /48) is what minimization makes of an IP: allowed.
        if *kind == PiiKind::Ip && only_generalized_ips(text) {
            continue;
        }
        return Err(kind.name());
    }
    Ok(())
}

/// Whether every IP-looking word in `text` is a generalized address.
fn only_generalized_ips(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '/'))
        .filter_map(|word| word.split('/').next()?.parse::<IpAddr>().ok())
        .all(|ip| match ip {
            IpAddr::V4(v4) => v4.octets()[3] == 0,
            IpAddr::V6(v6) => v6.segments()[3..].iter().all(|&s| s == 0),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> WireValue {
        WireValue::Text(s.into())
    }

    #[test]
    fn raw_data_is_named_and_minimized_forms_pass() {
        assert_eq!(check(&text("bo@example.com")), Err("email"));
        assert_eq!(check(&text("203.0.113.7")), Err("ip"));
        assert_eq!(check(&text("2001:db8:1234:5678::1")), Err("ip"));
        assert_eq!(check(&text("203.0.113.0")), Ok(()));
        assert_eq!(check(&text("2001:db8:1234::")), Ok(()));
        assert_eq!(check(&text("p1_0123456789abcdef0123456789abcdef")), Ok(()));
        assert!(check(&text("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c")).is_err());
        assert_eq!(check(&text("checkout")), Ok(()));
        assert_eq!(check(&WireValue::Int(7)), Ok(()));
        assert!(!is_pseudonym("p1_0123"));
        assert!(!is_pseudonym("p1_0123456789ABCDEF0123456789abcdef"));
    }
}
