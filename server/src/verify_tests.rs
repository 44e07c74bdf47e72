use std::collections::BTreeMap;

use modicum_wire::sample;

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
    assert!(!is_pseudonym("p1_0123"));
    assert!(!is_pseudonym("p1_0123456789ABCDEF0123456789abcdef"));
    assert!(!is_pseudonym("p2_0123456789abcdef0123456789abcdef"));
}

/// Verified on the day the batch was made.
fn check(batch: &Batch) -> Result<(), Rejection> {
    verify(batch, &Rules::at(batch.meta.created_at_ms))
}

#[test]
fn a_sample_session_passes_and_each_leak_is_located() {
    for seed in 0..20 {
        assert_eq!(check(&sample::session(seed, 100)), Ok(()), "seed {seed}");
    }
    let clean = sample::session(9, 60);

    let mut leaky = clean.clone();
    leaky.events[7]
        .properties
        .insert("note".into(), WireValue::Text("mail bo@example.com".into()));
    let Err(Rejection::NotMinimized { reason }) = check(&leaky) else {
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
        check(&device),
        Err(Rejection::not_minimized(
            "meta.device, property \"ip\": a raw ip"
        ))
    );
    device.meta.device = BTreeMap::from([("ip".into(), WireValue::Text("10.1.2.0/24".into()))]);
    assert_eq!(check(&device), Ok(()));

    let mut key = clean.clone();
    key.events[0]
        .properties
        .insert("bo@example.com".into(), WireValue::Bool(true));
    let reason = check(&key).unwrap_err().to_string();
    assert!(reason.contains("event 0") && reason.contains("property name holds a raw email"));
    assert!(!reason.contains("bo@example.com"));

    let mut install = clean;
    install.meta.install = Some("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c".into());
    assert_eq!(check(&install).unwrap_err().kind(), "not_minimized");
    install.meta.install = None;
    assert_eq!(check(&install), Ok(()));
}

#[test]
fn numbers_follow_the_devices_rule_and_impossible_values_are_refused() {
    let clean = sample::session(2, 10);
    let with = |value: WireValue| {
        let mut batch = clean.clone();
        batch.events[3].properties.insert("n".into(), value);
        check(&batch).map_err(|e| (e.kind(), e.to_string()))
    };
    for fine in [
        WireValue::Int(42),
        WireValue::Int(1_795_359_940_000),
        WireValue::Int(-7),
        // 2^37 reads as a My Number, but it is what 128 GB of storage generalizes to.
        WireValue::Int(137_438_953_472),
        WireValue::Double(4.5),
        WireValue::Double(-0.0),
        WireValue::Location {
            lat: 31.23,
            lon: 121.47,
        },
    ] {
        assert_eq!(with(fine.clone()), Ok(()), "{fine:?}");
    }
    for (raw, kind) in [
        (WireValue::Int(4_111_111_111_111_111), "card"),
        (WireValue::Int(490_154_203_237_518), "imei"),
        (WireValue::Int(-490_154_203_237_518), "imei"),
        (WireValue::Double(490_154_203_237_518.25), "imei"),
    ] {
        let (refused, reason) = with(raw.clone()).unwrap_err();
        assert_eq!(refused, "not_minimized", "{raw:?}");
        assert!(reason.contains(&format!("digits are a {kind}")), "{reason}");
        assert!(
            reason.contains("event 3") && !reason.contains("490154"),
            "{reason}"
        );
    }
    for impossible in [
        WireValue::Double(f64::NAN),
        WireValue::Double(f64::INFINITY),
        WireValue::Double(f64::NEG_INFINITY),
        WireValue::Location {
            lat: f64::NAN,
            lon: 0.0,
        },
        WireValue::Location {
            lat: 91.0,
            lon: 0.0,
        },
        WireValue::Location {
            lat: 0.0,
            lon: -180.5,
        },
    ] {
        assert_eq!(
            with(impossible.clone()).unwrap_err().0,
            "malformed",
            "{impossible:?}"
        );
    }
    let mut device = clean.clone();
    device
        .meta
        .device
        .insert("imei".into(), WireValue::Int(490_154_203_237_518));
    assert_eq!(check(&device).unwrap_err().kind(), "not_minimized");
}

#[test]
fn every_meta_field_is_held_to_what_a_device_sends() {
    let clean = sample::session(3, 10);
    let refused = |tweak: &dyn Fn(&mut Batch)| {
        let mut batch = clean.clone();
        tweak(&mut batch);
        check(&batch).unwrap_err().kind()
    };
    assert_eq!(
        refused(&|b| b.meta.app_id = "bo@example.com".into()),
        "not_minimized"
    );
    assert_eq!(refused(&|b| b.meta.app_id = String::new()), "not_minimized");
    assert_eq!(
        refused(&|b| b.meta.sdk_version = "sdk bo@example.com".into()),
        "not_minimized"
    );
    assert_eq!(
        refused(&|b| b.meta.sdk_version = "15900001111".into()),
        "not_minimized"
    );
    assert_eq!(
        refused(&|b| b.meta.sdk_version = "v".repeat(65)),
        "not_minimized"
    );
    assert_eq!(
        refused(&|b| b.meta.install = Some("p1_ABCDEF".into())),
        "not_minimized"
    );
    let mut anonymous = clean.clone();
    anonymous.meta.install = None;
    assert_eq!(check(&anonymous), Ok(()));
}

#[test]
fn a_batch_outside_the_freshness_window_is_refused() {
    let batch = sample::session(4, 5);
    let made = batch.meta.created_at_ms;
    let day = 86_400_000;
    assert_eq!(verify(&batch, &Rules::at(made + 89 * day)), Ok(()));
    assert_eq!(verify(&batch, &Rules::at(made - day)), Ok(()));
    for now in [made + 91 * day, made - 2 * day] {
        let refused = verify(&batch, &Rules::at(now)).unwrap_err();
        assert_eq!((refused.kind(), refused.status()), ("stale", 422));
    }
    let mut epoch = batch.clone();
    epoch.meta.created_at_ms = 0;
    assert_eq!(
        verify(&epoch, &Rules::at(made)).unwrap_err().kind(),
        "stale"
    );
}

#[test]
fn what_a_batch_would_store_is_counted_once_per_reference() {
    let long: Arc<str> = "x".repeat(10_000).into();
    let mut batch = sample::session(5, 100);
    for event in &mut batch.events {
        event
            .properties
            .insert("note".into(), WireValue::Text(Arc::clone(&long)));
    }
    let stored = stored_bytes(&batch);
    assert!(stored > 100 * 10_000, "{stored}");
    let mut rules = Rules::at(batch.meta.created_at_ms);
    rules.max_stored = 500_000;
    assert_eq!(verify(&batch, &rules).unwrap_err().kind(), "too_large");
    rules.max_stored = stored;
    assert_eq!(verify(&batch, &rules), Ok(()));
}

#[test]
fn a_release_health_report_travels_alone_and_names_no_install() {
    let mut batch = sample::session(6, 3);
    let mut report = batch.events[0].clone();
    report.name = crate::health::HEALTH_EVENT.into();
    report.category = modicum_wire::Category::Diagnostics;
    // Beside an install pseudonym, device context, or other events: refused.
    let mut linked = batch.clone();
    linked.events = vec![report.clone()];
    assert!(linked.meta.install.is_some());
    assert_eq!(check(&linked).unwrap_err().status(), 400);
    linked.meta.install = None;
    assert!(!linked.meta.device.is_empty());
    assert_eq!(check(&linked).unwrap_err().status(), 400);
    linked.meta.device.clear();
    assert_eq!(check(&linked), Ok(()));
    batch.meta.install = None;
    batch.meta.device.clear();
    batch.events.push(report);
    assert_eq!(check(&batch).unwrap_err().status(), 400);
}
