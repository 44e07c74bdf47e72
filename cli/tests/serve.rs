//! `modicum serve` as an operator runs it: structured logs, health and metrics; and the demo
//! against PostgreSQL (`MODICUM_TEST_POSTGRES`, which `tests/run` sets).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn modicum() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modicum"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serve_logs_json_lines_answers_health_and_metrics_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(modicum()
        .args(["keygen", "--out"])
        .arg(tmp.path())
        .status()
        .unwrap()
        .success());
    let port = free_port();
    let server = modicum()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db"])
        .arg(tmp.path().join("ingest.sqlite3"))
        .arg("--key")
        .arg(tmp.path().join("collector.key"))
        .env("MODICUM_LOG_FORMAT", "json")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        match ureq::get(format!("{url}/v1/health")).call() {
            Ok(response) => break response.into_body().read_to_string().unwrap(),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("serve never answered: {e}"),
        }
    };
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["store"], "ok");
    let metrics = ureq::get(format!("{url}/metrics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("modicum_ingest_batches_accepted_total 0"),
        "{metrics}"
    );
    // Stopped as an orchestrator stops a node: SIGTERM, then a clean exit with its summary.
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped:"));
    let logs: Vec<serde_json::Value> = BufReader::new(&out.stderr[..])
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).expect("every log line is JSON"))
        .collect();
    let serving = logs
        .iter()
        .find(|l| l["fields"]["message"] == "serving")
        .expect("a serving line");
    assert_eq!(serving["level"], "INFO");
    assert_eq!(serving["fields"]["addr"], format!("127.0.0.1:{port}"));
    assert!(
        logs.iter()
            .any(|l| l["fields"]["message"] == "retention sweep"),
        "the sweep at start is logged: {logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l["fields"]["message"] == "stopping: finishing the requests in progress"),
        "{logs:?}"
    );
}

#[test]
fn the_demo_runs_unchanged_on_postgres() {
    let Ok(url) = std::env::var("MODICUM_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("MODICUM_REQUIRE_POSTGRES").is_none(),
            "MODICUM_REQUIRE_POSTGRES is set but MODICUM_TEST_POSTGRES is not"
        );
        eprintln!("skipped: set MODICUM_TEST_POSTGRES to a PostgreSQL server URL");
        return;
    };
    let mut stored = Vec::new();
    for _ in 0..2 {
        let out = modicum()
            .args(["demo", "--devices", "4", "--seed", "3", "--db", &url])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("planted raw identifiers found in the store: 0 of 20"),
            "{stdout}"
        );
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("events stored"))
            .unwrap_or_else(|| panic!("no events stored line: {stdout}"));
        stored.push(line.to_owned());
    }
    assert_eq!(
        stored[0], stored[1],
        "the second run counted the first's events"
    );
}
