//! The per-install rate limit (429), the in-flight limit (503), and injected faults served
//! in order, each answered with the headers the client's retry rules read.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use modicum_server::faults::{Fault, FaultPlan};
use modicum_server::store::Store;
use support::{current, good, good_body, post, seal, start, still_serves};

/// Distinct batches from the same install `n` (each seals to a fresh batch id anyway).
fn from_install(n: u64) -> Vec<u8> {
    seal(&current(), &good(n, 10))
}

#[test]
fn an_install_over_its_rate_is_told_when_to_come_back() {
    let (server, store) = start(|c| {
        c.rate_per_minute = 1;
        c.burst = 3;
    });
    for _ in 0..3 {
        assert_eq!(post(&server, "/v1/batches", &from_install(50)).status, 200);
    }
    let answer = post(&server, "/v1/batches", &from_install(50));
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.body["error"], "rate_limited");
    // One batch a minute: the next token is a minute away.
    let wait: u64 = answer.retry_after.unwrap().parse().unwrap();
    assert!((59..=60).contains(&wait), "Retry-After {wait}");
    still_serves(&server, 51, "another install's 429");
    assert_eq!(store.batch_count().unwrap(), 4);
    assert_eq!(server.stats().rate_limited, 1);
}

#[test]
fn beyond_max_in_flight_requests_get_503_with_retry_after() {
    let plan = Arc::new(FaultPlan::script([Fault::Delay(Duration::from_millis(
        1500,
    ))]));
    let (server, store) = start(|c| {
        c.max_in_flight = 1;
        c.faults = Some(Arc::clone(&plan));
    });
    let url = server.url();
    let slow = std::thread::spawn(move || {
        support::send(&url, "POST", "/v1/batches", &good_body(60)).status
    });
    // The slow request holds the only slot for 1.5 s once its fault is taken.
    let deadline = Instant::now() + Duration::from_secs(10);
    while plan.scripted() > 0 {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    let answer = post(&server, "/v1/batches", &good_body(61));
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.body["error"], "overloaded");
    assert_eq!(answer.retry_after.as_deref(), Some("1"));
    assert_eq!(slow.join().unwrap(), 200, "the slow one still succeeds");
    still_serves(&server, 62, "a 503");
    assert_eq!(store.batch_count().unwrap(), 2);
    assert_eq!(server.stats().overloaded, 1);
}

#[test]
fn scripted_faults_are_served_in_order_before_normal_handling() {
    let plan = Arc::new(FaultPlan::script([
        Fault::Status(500),
        Fault::RetryAfter {
            status: 429,
            seconds: 7,
        },
        Fault::Delay(Duration::from_millis(400)),
        Fault::RetryAfter {
            status: 503,
            seconds: 3,
        },
    ]));
    let (server, store) = start(|c| c.faults = Some(Arc::clone(&plan)));
    let answer = post(&server, "/v1/batches", &good_body(1));
    assert_eq!((answer.status, answer.retry_after), (500, None));
    assert_eq!(answer.body["error"], "injected");
    let answer = post(&server, "/v1/batches", &good_body(2));
    assert_eq!(
        (answer.status, answer.retry_after.as_deref()),
        (429, Some("7"))
    );
    let started = Instant::now();
    let answer = post(&server, "/v1/batches", &good_body(3));
    assert_eq!(answer.status, 200, "a delay, then normal handling");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let answer = post(&server, "/v1/batches", &good_body(4));
    assert_eq!(
        (answer.status, answer.retry_after.as_deref()),
        (503, Some("3"))
    );
    assert_eq!(plan.scripted(), 0);
    still_serves(&server, 5, "the script");
    assert_eq!(store.batch_count().unwrap(), 2);
    assert_eq!(server.stats().faults_injected, 4);
}

#[test]
fn random_faults_slow_delivery_but_lose_nothing() {
    let (server, store) = start(|c| c.faults = Some(Arc::new(FaultPlan::random(7, 0.4))));
    let mut failures = 0;
    for n in 0..30 {
        let body = good_body(n);
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts < 50, "batch {n} never delivered");
            match post(&server, "/v1/batches", &body).status {
                200 => break,
                409 => panic!("batch {n}: a duplicate before it was stored"),
                500 | 503 => failures += 1,
                other => panic!("batch {n}: unexpected {other}"),
            }
        }
    }
    assert_eq!(store.batch_count().unwrap(), 30);
    assert_eq!(store.events().unwrap().len(), 30 * 20);
    let stats = server.stats();
    assert!(failures > 0, "a 40% rate injected no failure");
    assert!(stats.faults_injected >= failures);
}
