//! Hostile input over real HTTP on 127.0.0.1: each refused with the status and error kind the
//! client's rules expect, nothing of it stored, and the server still serving after each.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use modicum_server::keys::KeyPair;
use modicum_server::store::Store;
use modicum_wire::envelope::Format;
use modicum_wire::{self as wire, WireValue};
use support::{
    current, deflate, good, good_body, inflate, post, seal, seal_payload, send, start,
    still_serves, zeros_bomb,
};

const MAX_BODY: usize = 256 * 1024;

#[test]
fn each_hostile_body_gets_its_status_and_the_server_keeps_serving() {
    let (server, store) = start(|c| {
        c.max_body = MAX_BODY;
        c.max_inflated = 4 << 20;
    });
    let body = good_body(1);
    let mut tampered = body.clone();
    tampered[Format::CURRENT.header_len() + 10] ^= 0x40;
    let mut tampered_header = body.clone();
    tampered_header[65] ^= 1; // the event count (20 to 21), authenticated as associated data
    let mut bad_magic = body.clone();
    bad_magic[0] = b'X';
    let stranger = seal(&KeyPair::derive(b"someone else"), &good(2, 5));

    // Validly sealed envelopes around payloads that are not batches.
    let payload = wire::encode(&good(3, 30)).unwrap();
    let packed = inflate(&payload);
    let cut_msgpack = seal_payload(&current(), &deflate(&packed[..packed.len() / 2]), 30);
    let wrong_shape = seal_payload(&current(), &deflate(b"\x93\x01\x02\x03"), 0);
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let random_msgpack = seal_payload(&current(), &deflate(&noise), 1);
    let not_deflate = seal_payload(&current(), b"\x93\xa5hello\x01\x02", 1);
    let miscounted = seal_payload(&current(), &payload, 31);
    // 64 MiB of zeros in about 64 KiB: inflation must stop at max_inflated (4 MiB).
    let bomb = seal_payload(&current(), &zeros_bomb(64), 1);
    assert!(bomb.len() < MAX_BODY, "the bomb fits the body limit");

    let mut raw_email = good(4, 20);
    raw_email.events[3].properties.insert(
        "note".into(),
        WireValue::Text("write to bo@example.com".into()),
    );
    let mut full_ip = good(5, 20);
    full_ip.meta.device = BTreeMap::from([("ip".into(), WireValue::Text("203.0.113.77".into()))]);
    let mut raw_uuid = good(6, 20);
    raw_uuid.events[0].properties.insert(
        "advertising_id".into(),
        WireValue::Text("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c".into()),
    );
    let mut raw_install = good(7, 20);
    raw_install.meta.install = Some("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2d".into());

    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        ("tampered ciphertext", tampered, 400, "tampered", ""),
        ("tampered header", tampered_header, 400, "tampered", ""),
        ("wrong magic", bad_magic, 400, "malformed", "magic"),
        ("wrong key id", stranger, 401, "unknown_key", ""),
        // Format 2 declares no ciphertext length: a body cut short fails to authenticate.
        (
            "truncated",
            body[..body.len() / 2].to_vec(),
            400,
            "tampered",
            "",
        ),
        (
            "truncated header",
            body[..Format::CURRENT.header_len() - 1].to_vec(),
            400,
            "malformed",
            "",
        ),
        ("empty", Vec::new(), 400, "malformed", ""),
        ("cut MessagePack", cut_msgpack, 400, "malformed", ""),
        (
            "MessagePack of the wrong shape",
            wrong_shape,
            400,
            "malformed",
            "",
        ),
        ("random MessagePack", random_msgpack, 400, "malformed", ""),
        ("not deflate", not_deflate, 400, "malformed", "deflate"),
        (
            "event count mismatch",
            miscounted,
            400,
            "malformed",
            "declares 31",
        ),
        ("inflate bomb", bomb, 413, "too_large", "inflates"),
        (
            "oversized by a byte",
            vec![7u8; MAX_BODY + 1],
            413,
            "too_large",
            "over",
        ),
        // Read to its end and discarded, so the client hears the 413 that makes it split.
        (
            "oversized four times",
            vec![7u8; 4 * MAX_BODY],
            413,
            "too_large",
            "over",
        ),
        (
            "raw email",
            seal(&current(), &raw_email),
            422,
            "not_minimized",
            "event 3 (",
        ),
        (
            "full IP",
            seal(&current(), &full_ip),
            422,
            "not_minimized",
            "\"ip\": a raw ip",
        ),
        (
            "raw UUID",
            seal(&current(), &raw_uuid),
            422,
            "not_minimized",
            "\"advertising_id\": a raw id",
        ),
        (
            "raw install id",
            seal(&current(), &raw_install),
            422,
            "not_minimized",
            "install",
        ),
    ];
    for (n, (name, body, status, kind, reason)) in cases.into_iter().enumerate() {
        let answer = post(&server, "/v1/batches", &body);
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert_eq!(answer.body["error"], kind, "{name}");
        let text = answer.body["reason"].as_str().unwrap();
        assert!(text.contains(reason), "{name}: {text:?} names {reason:?}");
        still_serves(&server, 100 + n as u64, name);
    }

    for planted in [
        "bo@example.com",
        "203.0.113.77",
        "6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c",
        "6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2d",
    ] {
        assert!(!store.contains_text(planted).unwrap(), "{planted} stored");
    }
    assert_eq!(store.batch_count().unwrap(), 19, "only the good batches");
    let stats = server.stats();
    assert_eq!(stats.accepted, 19);
    let rejected: Vec<_> = stats.rejected.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        rejected,
        [
            ("malformed", 8),
            ("not_minimized", 4),
            ("tampered", 3),
            ("too_large", 3),
            ("unknown_key", 1)
        ]
    );
}

#[test]
fn a_retry_is_a_duplicate_and_stored_once() {
    let (server, store) = start(|_| {});
    let body = good_body(1);
    let first = post(&server, "/v1/batches", &body);
    assert_eq!(first.status, 200);
    for _ in 0..3 {
        let again = post(&server, "/v1/batches", &body);
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(again.body["error"], "duplicate");
        assert_eq!(again.body["batch_id"], first.body["batch_id"]);
    }
    assert_eq!(store.batch_count().unwrap(), 1);
    assert_eq!(store.events().unwrap().len(), 20);
    assert_eq!(server.stats().duplicates, 3);
    still_serves(&server, 2, "duplicates");
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_any_body_is_read() {
    let (server, _) = start(|c| c.max_body = MAX_BODY);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // 100 MiB announced, none sent: far over what is worth draining, so the answer must come
    // without waiting for any of it.
    write!(
        stream,
        "POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 104857600\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("}") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "closed without an answer");
        answer.extend_from_slice(&buffer[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"error\":\"too_large\""), "{answer}");
    still_serves(&server, 1, "an announced 100 MiB");
}

#[test]
fn unknown_paths_and_methods_get_json_errors() {
    let (server, _) = start(|_| {});
    let missing = send(&server.url(), "GET", "/v1/nothing", b"");
    assert_eq!(
        (missing.status, missing.body["error"].as_str()),
        (404, Some("not_found"))
    );
    let wrong = send(&server.url(), "GET", "/v1/batches", b"");
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let wrong = send(&server.url(), "DELETE", "/v1/deletions", b"");
    assert_eq!(wrong.status, 405);
    still_serves(&server, 1, "wrong paths");
}
