//! `modicum load` against a real `modicum serve` on 127.0.0.1: every batch stored, once.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn modicum() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modicum"))
}

fn succeeded(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn keygen(dir: &Path) {
    succeeded(
        &modicum()
            .args(["keygen", "--out"])
            .arg(dir)
            .output()
            .unwrap(),
    );
}

/// A loopback port that was free a moment ago.
fn free_port() -> SocketAddr {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .unwrap()
}

/// A `modicum serve` child, stopped when dropped, whatever the test's outcome.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `modicum serve` on a free loopback port and waits until it accepts connections.
fn serve(dir: &Path) -> (Server, SocketAddr) {
    // `serve` prints the address it was given, not the one it bound, so the port is chosen
    // here.
    let addr = free_port();
    let child = modicum()
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--db")
        .arg(dir.join("ingest.sqlite3"))
        .arg("--key")
        .arg(dir.join("collector.key"))
        .stdout(Stdio::null())
        // Its log, for when it does not come up.
        .stderr(File::create(dir.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(
            server.0.try_wait().unwrap().is_none(),
            "modicum serve exited: {}",
            std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "modicum serve never listened");
        sleep(Duration::from_millis(50));
    }
    (server, addr)
}

#[test]
fn every_batch_of_every_device_is_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path());
    let (server, addr) = serve(tmp.path());

    let out = modicum()
        .args(["load", "--url", &format!("http://{addr}"), "--key-pub"])
        .arg(tmp.path().join("collector.pub"))
        .args(["--devices", "4", "--batches", "5", "--concurrency", "2"])
        .args(["--events", "7", "--peers", "2"])
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    for figure in ["batches/s", "events/s", "p50", "p99", "max"] {
        assert!(stdout.contains(figure), "no {figure} in:\n{stdout}");
    }
    assert!(
        stdout.contains("2xx 20  409 0  429 0  other 0  failed 0"),
        "{stdout}"
    );

    let out = modicum()
        .arg("inspect")
        .arg("--db")
        .arg(tmp.path().join("ingest.sqlite3"))
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_str(&succeeded(&out)).unwrap();
    assert_eq!(summary["batches"], 20, "{summary}");
    let events: u64 = summary["events_by_category"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(events, 20 * 7, "{summary}");
    drop(server);
}

#[test]
fn a_server_that_is_not_there_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path());
    let addr = free_port();
    let out = modicum()
        .args(["load", "--url", &format!("http://{addr}"), "--key-pub"])
        .arg(tmp.path().join("collector.pub"))
        .args(["--devices", "2", "--batches", "1", "--concurrency", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("failed 2"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no request was answered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--url` repeated deals the workers out among the nodes, as a load balancer would: both
/// receive batches, and every batch is stored once in all.
#[test]
fn repeated_urls_spread_the_load_over_the_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(tmp.path());
    let nodes: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::copy(tmp.path().join("collector.key"), dir.join("collector.key")).unwrap();
            let (server, addr) = serve(&dir);
            (server, addr, dir)
        })
        .collect();
    let mut load = modicum();
    load.arg("load");
    for (_, addr, _) in &nodes {
        load.args(["--url", &format!("http://{addr}")]);
    }
    let out = load
        .arg("--key-pub")
        .arg(tmp.path().join("collector.pub"))
        .args(["--devices", "4", "--batches", "5", "--concurrency", "2"])
        .args(["--events", "3", "--peers", "2"])
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    assert!(stdout.contains("2xx 20  409 0"), "{stdout}");
    let stored: Vec<u64> = nodes
        .iter()
        .map(|(_, _, dir)| {
            let out = modicum()
                .arg("inspect")
                .arg("--db")
                .arg(dir.join("ingest.sqlite3"))
                .output()
                .unwrap();
            let summary: serde_json::Value = serde_json::from_str(&succeeded(&out)).unwrap();
            summary["batches"].as_u64().unwrap()
        })
        .collect();
    assert!(stored.iter().all(|&n| n > 0), "{stored:?}");
    assert_eq!(stored.iter().sum::<u64>(), 20);
}
