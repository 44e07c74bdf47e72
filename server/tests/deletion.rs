//! A deletion request over HTTP removes every row of the installs it names, and nothing of
//! anyone else's.

mod support;

use modicum_server::store::Store;
use support::{current, good, install, post, seal, start, still_serves};

#[test]
fn a_deletion_request_removes_that_install_and_no_one_else() {
    let (server, store) = start(|_| {});
    for (n, events) in [(1, 10), (1, 15), (2, 12), (3, 7)] {
        assert_eq!(
            post(&server, "/v1/batches", &seal(&current(), &good(n, events))).status,
            200
        );
    }
    let request = serde_json::json!({
        "install_pseudonyms": [install(1), install(3)],
        "requested_at_ms": 1_795_300_000_000u64,
    });
    let answer = post(&server, "/v1/deletions", request.to_string().as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.body);
    // 10 + 15 + 7 events and their 3 batches.
    assert_eq!(answer.body["rows_deleted"], 35);

    let events = store.events().unwrap();
    assert_eq!(events.len(), 12);
    assert!(events.iter().all(|e| e["install"] == install(2)));
    assert_eq!(store.batch_count().unwrap(), 1);
    assert!(!store.contains_text(&install(1)).unwrap());
    assert!(!store.contains_text(&install(3)).unwrap());
    assert!(store.contains_text(&install(2)).unwrap());

    // Applying it again deletes nothing more.
    let again = post(&server, "/v1/deletions", request.to_string().as_bytes());
    assert_eq!(
        (again.status, again.body["rows_deleted"].as_u64()),
        (200, Some(0))
    );
    let stats = server.stats();
    assert_eq!((stats.deletions, stats.rows_deleted), (2, 35));
    still_serves(&server, 4, "deletions");
}

#[test]
fn a_deletion_request_naming_anything_but_pseudonyms_is_refused() {
    let (server, store) = start(|_| {});
    assert_eq!(
        post(&server, "/v1/batches", &seal(&current(), &good(1, 5))).status,
        200
    );
    for body in [
        &b"{not json"[..],
        br#"{"install_pseudonyms":["bob@example.com"],"requested_at_ms":1}"#,
        br#"{"install_pseudonyms":[],"requested_at_ms":1}"#,
        br#"{"install_pseudonyms":["p1_00000000000000000000000000000001"]}"#,
    ] {
        let answer = post(&server, "/v1/deletions", body);
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(answer.body["error"], "malformed");
    }
    assert_eq!(store.batch_count().unwrap(), 1, "nothing deleted");
}
