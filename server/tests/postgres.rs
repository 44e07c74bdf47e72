//! Several nodes on one PostgreSQL database: a batch is stored once whichever nodes it reaches,
//! a deletion on one node holds on the others, a node killed mid-insert leaves nothing behind,
//! and the schema migrates once however many nodes start.
//!
//! The database comes from `MODICUM_TEST_POSTGRES` (a server URL; `tests/run` starts a private
//! cluster and sets it). Without it these tests skip, unless `MODICUM_REQUIRE_POSTGRES` is set
//! (as `tests/run` does), when they fail.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use modicum_server::keys::KeyRing;
use modicum_server::service::{self, RunningServer, ServerConfig};
use modicum_server::store::{PgStore, Store};
use support::{
    current, deletion_of, good, install, postgres_database as database, previous, seal, send,
};
use tokio_postgres::NoTls;

/// Reads what sessions the server has, as an operator would in `pg_stat_activity`.
struct Watcher {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Watcher {
    fn connect(url: &str) -> Watcher {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
            tokio::spawn(connection);
            client
        });
        Watcher { runtime, client }
    }

    /// Whether a session named `application` is running a statement that contains `query`.
    fn is_running(&self, application: &str, query: &str) -> bool {
        self.runtime.block_on(async {
            self.client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE application_name = $1 AND state = 'active'
                         AND strpos(query, $2) > 0)",
                    &[&application, &query],
                )
                .await
                .unwrap()
                .get(0)
        })
    }

    /// Whether any session named `application` is still connected.
    fn is_connected(&self, application: &str) -> bool {
        self.runtime.block_on(async {
            self.client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1)",
                    &[&application],
                )
                .await
                .unwrap()
                .get(0)
        })
    }
}

fn node(url: &str) -> (RunningServer, Arc<PgStore>) {
    let store = Arc::new(PgStore::connect(url).unwrap());
    let mut config = ServerConfig::new(
        KeyRing::new([current(), previous()]),
        Arc::<PgStore>::clone(&store),
    );
    config.addr = "127.0.0.1:0".parse().unwrap();
    (service::spawn(config).unwrap(), store)
}

#[test]
fn the_same_batch_posted_to_two_nodes_at_once_is_stored_once() {
    let Some(url) = database("same_batch") else {
        return;
    };
    let (a, store) = node(&url);
    let (b, _) = node(&url);
    for n in 0..20 {
        let body = Arc::new(seal(&current(), &good(n, 30)));
        let start = Arc::new(Barrier::new(2));
        let posts: Vec<_> = [a.url(), b.url()]
            .into_iter()
            .map(|url| {
                let (body, start) = (Arc::clone(&body), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    send(&url, "POST", "/v1/batches", &body).status
                })
            })
            .collect();
        let mut statuses: Vec<u16> = posts.into_iter().map(|p| p.join().unwrap()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "batch {n}");
    }
    assert_eq!(store.batch_count().unwrap(), 20);
    assert_eq!(store.events().unwrap().len(), 20 * 30);
}

#[test]
fn a_deletion_accepted_by_one_node_is_seen_by_the_other() {
    let Some(url) = database("deletion") else {
        return;
    };
    let (a, store) = node(&url);
    let (b, _) = node(&url);
    for n in [1, 2] {
        let answer = send(
            &a.url(),
            "POST",
            "/v1/batches",
            &seal(&current(), &good(n, 10)),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let deleted = send(&b.url(), "POST", "/v1/deletions", &deletion_of(&[1]));
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["rows_deleted"], 11);
    // Node A refuses the install's next batch: the tombstone is in the shared database.
    let after = send(
        &a.url(),
        "POST",
        "/v1/batches",
        &seal(&current(), &good(1, 10)),
    );
    assert_eq!(after.status, 410, "{}", after.body);
    assert!(!store.contains_text(&install(1)).unwrap());
    assert!(store.contains_text(&install(2)).unwrap());
    assert_eq!(store.tombstone_count().unwrap(), 1);
    assert_eq!(store.deletion_log().unwrap().len(), 1);
}

#[test]
fn nodes_starting_together_migrate_the_schema_once() {
    let Some(url) = database("migrate") else {
        return;
    };
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url).map(|s| s.schema_version()))
        })
        .collect();
    for start in starts {
        assert_eq!(start.join().unwrap().unwrap(), Ok(1));
    }
}

/// Serves on PostgreSQL as a separate process, for the test below to kill: prints its URL,
/// then serves until killed. Run only by that test.
#[test]
#[ignore = "a node process, started by a_node_killed_in_the_middle_of_an_insert_leaves_no_partial_batch"]
fn node_process() {
    let url = std::env::var("MODICUM_NODE_DATABASE").expect("run by the kill test");
    let (server, _store) = node(&url);
    println!("NODE {}", server.url());
    std::thread::sleep(Duration::from_secs(120));
}

/// A node is killed (SIGKILL) while the database is inserting a batch's events for it: the
/// batch is then stored with all its events or not at all, and the device's retry to another
/// node leaves it stored once, whole.
#[test]
fn a_node_killed_in_the_middle_of_an_insert_leaves_no_partial_batch() {
    let Some(url) = database("kill") else {
        return;
    };
    let named = format!("{url}?application_name=modicum-doomed");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "node_process", "--ignored", "--nocapture"])
        .env("MODICUM_NODE_DATABASE", &named)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let doomed = loop {
        let line = lines.next().expect("the node printed its URL").unwrap();
        if let Some(url) = line.strip_prefix("NODE ") {
            break url.to_owned();
        }
    };
    let (survivor, store) = node(&url);
    // Large enough that its events take a while to insert.
    let body = Arc::new(seal(&current(), &good(7, 5_000)));
    let posting = {
        let body = Arc::clone(&body);
        // No answer comes: the node dies first.
        std::thread::spawn(move || {
            let _ = ureq::post(format!("{doomed}/v1/batches")).send(&body[..]);
        })
    };
    // Killed once the doomed node's connection is inside the events insert.
    let watcher = Watcher::connect(&url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !watcher.is_running("modicum-doomed", "INSERT INTO events") {
        assert!(Instant::now() < deadline, "the insert never started");
        std::thread::sleep(Duration::from_micros(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = posting.join();
    // The server finishes with the dead node's session: what it had sent of the transaction
    // either all commits (its COMMIT was already on the wire) or all rolls back.
    let deadline = Instant::now() + Duration::from_secs(30);
    while watcher.is_connected("modicum-doomed") {
        assert!(Instant::now() < deadline, "the dead node's session lingers");
        std::thread::sleep(Duration::from_millis(10));
    }
    let batches = store.batch_count().unwrap();
    assert!(batches <= 1);
    assert_eq!(
        store.events().unwrap().len() as u64,
        5_000 * batches,
        "a batch is stored with all its events or not at all"
    );
    // The device retries on the other node: stored whole now, or already stored whole.
    let retry = send(&survivor.url(), "POST", "/v1/batches", &body);
    assert_eq!(
        retry.status,
        if batches == 0 { 200 } else { 409 },
        "{}",
        retry.body
    );
    assert_eq!(store.batch_count().unwrap(), 1);
    assert_eq!(store.events().unwrap().len(), 5_000);
}

/// `GET /v1/health` says whether the store answers, so a load balancer stops sending a node
/// that lost its database any traffic.
#[test]
fn health_reports_whether_the_database_answers() {
    let Some(url) = database("health") else {
        return;
    };
    let (node, _store) = node(&url);
    let healthy = send(&node.url(), "GET", "/v1/health", b"");
    assert_eq!(healthy.status, 200, "{}", healthy.body);
    assert_eq!(healthy.body["store"], "ok");
    // The database goes away under the running node.
    let server = std::env::var("MODICUM_TEST_POSTGRES").unwrap();
    let name = url.rsplit_once('/').unwrap().1.to_owned();
    let admin = Watcher::connect(&server);
    admin.runtime.block_on(async {
        admin
            .client
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .unwrap();
    });
    let unhealthy = send(&node.url(), "GET", "/v1/health", b"");
    assert_eq!(unhealthy.status, 503, "{}", unhealthy.body);
    assert_eq!(unhealthy.body["store"], "unreachable");
}
