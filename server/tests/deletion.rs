//! Deletion needs proof of ownership: a sealed request deletes only the pseudonyms its tokens
//! hash to (an install pseudonym is its token's hash), keeps tombstones so a replay is refused
//! with 410, and a flood of requests is rate-limited and stores nothing.

mod support;

use modicum_server::store::Store;
use modicum_wire::DeletionToken;
use support::{
    current, deletion, deletion_of, good, install, post, seal, start, still_serves, token,
};

#[test]
fn a_proven_deletion_removes_that_install_and_no_one_else() {
    let (server, store) = start(|_| {});
    for (n, events) in [(1, 10), (1, 15), (2, 12), (3, 7)] {
        assert_eq!(
            post(&server, "/v1/batches", &seal(&current(), &good(n, events))).status,
            200
        );
    }
    let answer = post(&server, "/v1/deletions", &deletion_of(&[1, 3]));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        (
            answer.body["proven"].as_u64(),
            answer.body["unproven"].as_u64()
        ),
        (Some(2), Some(0))
    );
    // 10 + 15 + 7 events and their 3 batches.
    assert_eq!(answer.body["rows_deleted"], 35);

    let events = store.events().unwrap();
    assert_eq!(events.len(), 12);
    assert!(events.iter().all(|e| e["install"] == install(2)));
    assert_eq!(store.batch_count().unwrap(), 1);
    assert!(!store.contains_text(&install(1)).unwrap());
    assert!(!store.contains_text(&install(3)).unwrap());
    assert!(store.contains_text(&install(2)).unwrap());
    assert_eq!(store.deletion_log().unwrap().len(), 1);

    // Applying it again deletes nothing more, and is still proven (by the tombstones).
    let again = post(&server, "/v1/deletions", &deletion_of(&[1, 3]));
    assert_eq!(
        (
            again.status,
            again.body["proven"].as_u64(),
            again.body["rows_deleted"].as_u64()
        ),
        (200, Some(2), Some(0))
    );
    let stats = server.stats();
    assert_eq!(
        (stats.deletions, stats.proven, stats.rows_deleted),
        (2, 4, 35)
    );
    still_serves(&server, 4, "deletions");
}

#[test]
fn naming_a_pseudonym_without_its_token_deletes_nothing() {
    let (server, store) = start(|_| {});
    for n in [1, 2] {
        assert_eq!(
            post(&server, "/v1/batches", &seal(&current(), &good(n, 5))).status,
            200
        );
    }
    let forged = [
        // Someone else's token, a token of the attacker's own making, and a valid proof of a
        // pseudonym that sent nothing (anyone can make those, for pseudonyms of their own).
        (install(2), token(1)),
        (
            install(2),
            DeletionToken::from_hex(&"ab".repeat(32)).unwrap(),
        ),
        (install(9), token(9)),
    ];
    let answer = post(
        &server,
        "/v1/deletions",
        &deletion(&current(), forged.to_vec()),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        (
            answer.body["proven"].as_u64(),
            answer.body["unproven"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(answer.body["rows_deleted"], 0);
    assert_eq!(store.batch_count().unwrap(), 2, "nothing deleted");
    assert!(store.deletion_log().unwrap().is_empty(), "nothing recorded");
    assert_eq!(store.tombstone_count().unwrap(), 0);
    // An install's own batch goes on being stored.
    assert_eq!(
        post(&server, "/v1/batches", &seal(&current(), &good(2, 5))).status,
        200
    );
}

#[test]
fn a_replayed_batch_of_a_deleted_install_is_gone() {
    let (server, store) = start(|_| {});
    let captured = seal(&current(), &good(1, 10));
    assert_eq!(post(&server, "/v1/batches", &captured).status, 200);
    assert_eq!(
        post(&server, "/v1/deletions", &deletion_of(&[1])).status,
        200
    );
    assert_eq!(store.batch_count().unwrap(), 0);

    let replay = post(&server, "/v1/batches", &captured);
    assert_eq!(replay.status, 410, "{}", replay.body);
    assert_eq!(replay.body["error"], "deleted");
    // A batch of that install that was never stored (sealed before, sent late) too.
    let late = post(&server, "/v1/batches", &seal(&current(), &good(1, 3)));
    assert_eq!(late.status, 410);
    assert_eq!(store.batch_count().unwrap(), 0, "nothing stored again");
    assert_eq!(server.stats().gone, 2);
    still_serves(&server, 2, "a replay");
}

#[test]
fn a_request_that_is_not_a_sealed_proof_is_refused() {
    let (server, store) = start(|_| {});
    let batch = seal(&current(), &good(1, 5));
    assert_eq!(post(&server, "/v1/batches", &batch).status, 200);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // What deletion requests were before they carried proofs.
        (
            "the old JSON request",
            format!(
                r#"{{"install_pseudonyms":["{}"],"requested_at_ms":1}}"#,
                install(1)
            )
            .into_bytes(),
            "malformed",
        ),
        (
            "a raw identifier",
            deletion(&current(), vec![("bob@example.com".into(), token(1))]),
            "malformed",
        ),
        ("no proofs", deletion(&current(), vec![]), "malformed"),
        // A batch is not a deletion request, whatever its bytes: the HPKE info differs.
        ("a batch", batch.clone(), "tampered"),
    ];
    for (name, body, kind) in cases {
        let answer = post(&server, "/v1/deletions", &body);
        assert_eq!(answer.status, 400, "{name}: {}", answer.body);
        assert_eq!(answer.body["error"], kind, "{name}");
    }
    // Nor is a deletion request a batch.
    let answer = post(&server, "/v1/batches", &deletion_of(&[1]));
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (400, Some("tampered"))
    );
    assert_eq!(store.batch_count().unwrap(), 1, "nothing deleted");
}

#[test]
fn a_flood_of_deletion_requests_is_limited_and_stores_nothing() {
    let (server, store) = start(|c| {
        c.peer_deletions_per_minute = 6;
        c.peer_deletion_burst = 6;
    });
    assert_eq!(
        post(&server, "/v1/batches", &seal(&current(), &good(1, 5))).status,
        200
    );
    // Each request names the most pseudonyms one may, none of them proven.
    let names: Vec<(String, DeletionToken)> = (0..modicum_wire::MAX_PROOFS as u64)
        .map(|n| (format!("p1_{n:032x}"), token(n)))
        .collect();
    let flood = deletion(&current(), names);
    let statuses: Vec<u16> = (0..20)
        .map(|_| post(&server, "/v1/deletions", &flood).status)
        .collect();
    assert_eq!(&statuses[..6], &[200; 6]);
    assert!(statuses[6..].iter().all(|&s| s == 429), "{statuses:?}");
    let limited = post(&server, "/v1/deletions", &flood);
    let wait: u64 = limited.retry_after.unwrap().parse().unwrap();
    assert!((9..=10).contains(&wait), "Retry-After {wait}");
    assert_eq!(store.tombstone_count().unwrap(), 0);
    assert!(store.deletion_log().unwrap().is_empty());
    assert_eq!(store.batch_count().unwrap(), 1);
    // Batches are not deletion requests: they go on being stored.
    still_serves(&server, 2, "a deletion flood");
}
