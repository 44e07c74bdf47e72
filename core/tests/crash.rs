//! Real crashes: a child process (this test binary, run with `--ignored --exact crash_child`)
//! segfaults, aborts or panics after starting Modicum with its crash handlers; the next start
//! in the same storage yields exactly one scrubbed crash report for each, with the signal or
//! panic message and frames.

use std::process::Command;
use std::time::Duration;

use modicum_core::{Category, Config, Modicum, Policy};

const WAIT: Duration = Duration::from_secs(10);

fn start(dir: &str, handlers: bool) -> Modicum {
    let mut config = Config::new(dir, "dev.modicum.crashtest");
    config.policy = Policy::default().with_essential("crash reporting");
    config.crash_handlers = handlers;
    Modicum::start(config).expect("starts")
}

/// The child: start with handlers, then crash as `MODICUM_CRASH` says.
#[test]
#[ignore = "run by every_kind_of_crash_becomes_one_scrubbed_report as its child process"]
fn crash_child() {
    let (Ok(dir), Ok(how)) = (
        std::env::var("MODICUM_CRASH_DIR"),
        std::env::var("MODICUM_CRASH"),
    ) else {
        return;
    };
    let modicum = start(&dir, true);
    // In the foreground when it crashes: release health counts the session as crashed.
    modicum.set_consent(Category::Diagnostics, true).unwrap();
    modicum.entered_foreground();
    modicum.flush(WAIT).unwrap();

    match how.as_str() {
        // SAFETY: none; the point is a real invalid write the kernel answers with SIGSEGV.
        "segv" => unsafe { std::ptr::without_provenance_mut::<u8>(8).write_volatile(1) },
        "abort" => std::process::abort(),
        "panic" => panic!("checkout failed for ann@example.org"),
        _ => {}
    }
}

fn run_child(dir: &str, how: &str) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MODICUM_CRASH_DIR", dir)
        .env("MODICUM_CRASH", how)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
        .status
}

#[test]
fn every_kind_of_crash_becomes_one_scrubbed_report() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let dir = dir.to_str().unwrap();
    for (how, expected) in [
        ("segv", "SIGSEGV"),
        ("abort", "SIGABRT"),
        ("panic", "checkout failed for [email]"),
    ] {
        let status = run_child(dir, how);
        assert!(!status.success(), "{how}: the child crashed");
        match how {
            "segv" => assert_eq!(status.signal(), Some(libc_sig("segv")), "{how}"),
            "abort" => assert_eq!(status.signal(), Some(libc_sig("abort")), "{how}"),
            _ => assert_eq!(status.code(), Some(101), "a panic in a test exits with 101"),
        }
        let modicum = start(dir, false);
        modicum.flush(WAIT).unwrap();
        let sessions = modicum.session_counts();
        assert_eq!(sessions.len(), 1, "{how}: {sessions:?}");
        let s = &sessions[0];
        assert_eq!(
            (s.started, s.crashed, s.abnormal, s.ended),
            (1, 1, 0, 0),
            "{how}: the session the crash ended counts as crashed at the next start"
        );
        let held = modicum.held().unwrap();
        let crashes: Vec<_> = held
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .filter(|e| e["name"] == "crash")
            .collect();
        assert_eq!(crashes.len(), 1, "{how}: exactly one report: {crashes:#?}");
        let crash = &crashes[0];
        assert_eq!(crash["category"], Category::Essential.name());
        let message = crash["properties"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{how}: {message}");
        assert!(!message.contains("ann@example.org"));
        let frames = crash["properties"]["frames"].as_str().unwrap();
        assert!(!frames.is_empty(), "{how}: frames");
        if how == "panic" {
            // Symbols and line numbers survive scrubbing.
            assert!(
                frames.contains("crash_child") || frames.contains("crash.rs"),
                "{frames}"
            );
        } else {
            assert!(frames.starts_with("#0 0x"), "{frames}");
        }
        // Reported once: the records are gone, so the next start adds nothing.
        modicum.shutdown(WAIT).unwrap();
        let again = start(dir, false);
        let crashes = again
            .held()
            .unwrap()
            .iter()
            .filter(|e| e.name() == "crash")
            .count();
        assert_eq!(crashes, 1, "{how}: not reported twice");
        again.delete_all().unwrap();
        again.shutdown(WAIT).unwrap();
    }
}

fn libc_sig(how: &str) -> i32 {
    match how {
        "segv" => 11,
        _ => 6,
    }
}
