//! What an operator reads from a running node: `/metrics` for Prometheus and `/v1/health` for
//! the load balancer.

mod support;

use support::{current, good, post, seal, send, start};

#[test]
fn metrics_count_what_the_service_did_in_prometheus_text() {
    let (server, _store) = start(|_| {});
    let body = seal(&current(), &good(1, 12));
    assert_eq!(post(&server, "/v1/batches", &body).status, 200);
    assert_eq!(post(&server, "/v1/batches", &body).status, 409);
    assert_eq!(post(&server, "/v1/batches", b"not an envelope").status, 400);
    let response = ureq::get(format!("{}/metrics", server.url()))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("content-type").unwrap();
    assert!(content_type
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = response.into_body().read_to_string().unwrap();
    for line in [
        "# TYPE modicum_ingest_batches_accepted_total counter",
        "modicum_ingest_batches_accepted_total 1",
        "modicum_ingest_events_stored_total 12",
        "modicum_ingest_batches_duplicate_total 1",
        "modicum_ingest_requests_rejected_total{kind=\"malformed\"} 1",
        "# TYPE modicum_ingest_batch_processing_seconds histogram",
        "modicum_ingest_batch_processing_seconds_count 2",
        "modicum_ingest_store_insert_seconds_count 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}

#[test]
fn health_says_the_store_answers() {
    let (server, _store) = start(|_| {});
    let health = send(&server.url(), "GET", "/v1/health", b"");
    assert_eq!(health.status, 200);
    assert_eq!(health.body["store"], "ok");
}
