//! The attacks anyone holding the collector's public key (every app carries it) can seal,
//! each over real HTTP on 127.0.0.1: refused with the status the client's rules expect,
//! nothing of it stored, and the server still serving after each. The memory each costs is
//! held to the documented bound in `memory.rs`; slow and idle connections are in `slow.rs`.

mod support;

use modicum_server::store::Store;
use modicum_wire::{hostile, WireValue};
use support::{current, good, now_ms, post, seal, seal_payload, start, still_serves};

/// A batch of `events` events all referring to one string of `len` bytes, sealed.
fn shared_string_bomb(events: usize, len: usize) -> Vec<u8> {
    let payload = hostile::shared_string(events, len).unwrap();
    seal_payload(&current(), &payload, u32::try_from(events).unwrap())
}

#[test]
fn a_few_hundred_bytes_referring_to_one_string_build_nothing_large() {
    let (server, store) = start(|_| {});
    // A body of a few hundred bytes (378 in the report) that asked for 9 GiB: 100 000
    // events, one 60 KB string.
    let bomb = shared_string_bomb(100_000, 60_000);
    assert!(bomb.len() < 500, "{} bytes", bomb.len());
    let answer = post(&server, "/v1/batches", &bomb);
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (413, Some("too_large"))
    );
    assert!(answer.body["reason"]
        .as_str()
        .unwrap()
        .contains("declares 100000 events"));

    // A server that takes 100 000 events (and any number from one peer) still builds only
    // what its budget allows.
    let (roomy, roomy_store) = start(|c| {
        c.max_events = 100_000;
        c.peer_events_per_minute = u32::MAX;
        c.peer_event_burst = u32::MAX;
    });
    for (events, len) in [(100_000, 60_000), (100_000, 10_000)] {
        let answer = post(&roomy, "/v1/batches", &shared_string_bomb(events, len));
        assert_eq!(answer.status, 413, "{events} × {len}: {}", answer.body);
        assert!(
            answer.body["reason"]
                .as_str()
                .unwrap()
                .contains("would build"),
            "{}",
            answer.body
        );
    }
    // Few enough events to build, and still too much to store: every event would write the
    // string again.
    let answer = post(&server, "/v1/batches", &shared_string_bomb(1_000, 60_000));
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body["reason"]
        .as_str()
        .unwrap()
        .contains("would store"));
    assert_eq!(
        store.batch_count().unwrap() + roomy_store.batch_count().unwrap(),
        0
    );
    still_serves(&server, 1, "shared-string bombs");
    still_serves(&roomy, 2, "shared-string bombs");
}

#[test]
fn millions_of_empty_cells_are_refused_before_they_are_built() {
    let (server, store) = start(|c| c.max_inflated = 16 << 20);
    let payload = hostile::empty_cells(2, 16_000_000).unwrap();
    let bomb = seal_payload(&current(), &payload, 2);
    assert!(bomb.len() < 20_000, "{} bytes", bomb.len());
    let answer = post(&server, "/v1/batches", &bomb);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body["reason"]
        .as_str()
        .unwrap()
        .contains("would build"));
    assert_eq!(store.batch_count().unwrap(), 0);
    still_serves(&server, 1, "empty cells");
}

#[test]
fn a_key_named_twice_is_refused_not_overwritten() {
    let (server, store) = start(|_| {});
    for in_device in [false, true] {
        let payload = hostile::duplicate_key(in_device).unwrap();
        let answer = post(
            &server,
            "/v1/batches",
            &seal_payload(&current(), &payload, 3),
        );
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert_eq!(answer.body["error"], "malformed");
        let reason = answer.body["reason"].as_str().unwrap();
        assert!(
            reason.contains("two columns") || reason.contains("twice"),
            "{reason}"
        );
    }
    assert_eq!(store.batch_count().unwrap(), 0);
}

#[test]
fn every_stored_field_is_verified() {
    let (server, store) = start(|_| {});
    let day = 86_400_000;
    let property = |n: u64, value: WireValue| {
        let mut batch = good(n, 5);
        batch.events[2].properties.insert("n".into(), value);
        batch
    };
    let mut email_app = good(1, 5);
    email_app.meta.app_id = "bo@example.com".into();
    let mut phone_sdk = good(2, 5);
    phone_sdk.meta.sdk_version = "15900001111".into();
    let mut epoch = good(3, 5);
    epoch.meta.created_at_ms = 0;
    let mut ahead = good(4, 5);
    ahead.meta.created_at_ms = now_ms() + 2 * day;
    let mut old = good(5, 5);
    old.meta.created_at_ms = now_ms() - 91 * day;
    let cases = [
        ("an email as app_id", email_app, 422, "not_minimized"),
        (
            "a mobile number as sdk_version",
            phone_sdk,
            422,
            "not_minimized",
        ),
        (
            "an IMEI as an integer",
            property(6, WireValue::Int(490_154_203_237_518)),
            422,
            "not_minimized",
        ),
        (
            "a card number as a double",
            property(7, WireValue::Double(4_111_111_111_111_111.0)),
            422,
            "not_minimized",
        ),
        (
            "NaN",
            property(8, WireValue::Double(f64::NAN)),
            400,
            "malformed",
        ),
        (
            "infinity",
            property(9, WireValue::Double(f64::INFINITY)),
            400,
            "malformed",
        ),
        ("made in 1970", epoch, 422, "stale"),
        ("made the day after tomorrow", ahead, 422, "stale"),
        ("made 91 days ago", old, 422, "stale"),
    ];
    for (name, batch, status, kind) in cases {
        let answer = post(&server, "/v1/batches", &seal(&current(), &batch));
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert_eq!(answer.body["error"], kind, "{name}");
    }
    assert_eq!(store.batch_count().unwrap(), 0);
    for planted in ["bo@example.com", "15900001111", "490154203237518"] {
        assert!(!store.contains_text(planted).unwrap(), "{planted}");
    }
    // What the device sends passes: a power-of-two storage bucket, negative and fractional
    // numbers, a batch made yesterday.
    let mut fine = property(10, WireValue::Int(137_438_953_472));
    fine.events[3]
        .properties
        .insert("d".into(), WireValue::Double(-12.5));
    fine.meta.created_at_ms = now_ms() - day;
    assert_eq!(
        post(&server, "/v1/batches", &seal(&current(), &fine)).status,
        200
    );
}

#[test]
fn a_peer_is_limited_by_the_events_its_headers_declare_before_anything_opens() {
    let (server, store) = start(|c| {
        c.peer_events_per_minute = 60;
        c.peer_event_burst = 1_000;
    });
    // Batches naming no install, or a new one each time: no install bucket can hold them.
    let anonymous = |n: u64| {
        let mut batch = good(n, 400);
        batch.meta.install = None;
        seal(&current(), &batch)
    };
    assert_eq!(post(&server, "/v1/batches", &anonymous(1)).status, 200);
    assert_eq!(
        post(&server, "/v1/batches", &seal(&current(), &good(2, 400))).status,
        200
    );
    let answer = post(&server, "/v1/batches", &anonymous(3));
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(answer.body["reason"].as_str().unwrap().contains("address"));
    // 200 tokens short at one a second.
    let wait: u64 = answer.retry_after.unwrap().parse().unwrap();
    assert!((199..=200).contains(&wait), "Retry-After {wait}");
    // Refused from its header: garbage after a plausible header is not even opened.
    let mut garbage = anonymous(4);
    let last = garbage.len() - 1;
    garbage[last] ^= 1;
    assert_eq!(post(&server, "/v1/batches", &garbage).status, 429);
    assert_eq!(store.batch_count().unwrap(), 2);
    // A batch over the event limit is refused from its header alone, whoever sends it.
    let (fresh, _) = start(|_| {});
    let huge = seal_payload(&current(), b"not even a payload", 100_000);
    let answer = post(&fresh, "/v1/batches", &huge);
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (413, Some("too_large"))
    );
}

#[test]
fn a_retry_is_answered_from_its_header_without_opening_it() {
    let (server, store) = start(|_| {});
    let body = seal(&current(), &good(1, 10));
    assert_eq!(post(&server, "/v1/batches", &body).status, 200);
    // The same header over a ciphertext that no longer opens: answered as the retry it
    // claims to be, and nothing is written.
    let mut retried = body.clone();
    let last = retried.len() - 1;
    retried[last] ^= 1;
    let answer = post(&server, "/v1/batches", &retried);
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (409, Some("duplicate"))
    );
    assert_eq!(store.events().unwrap().len(), 10);
}
