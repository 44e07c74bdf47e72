//! The `modicum` binary as a user runs it: input on stdin, output on stdout, exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn modicum(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modicum"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("modicum runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("modicum exits")
}

#[test]
fn scrub_writes_one_scrubbed_line_per_input_line() {
    let out = modicum(
        &["scrub"],
        b"mail ann@example.org\n\tat Foo.kt:42\nfrom 203.0.113.7\n",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "mail [email]\n\tat Foo.kt:42\nfrom [ip]\n"
    );
}

#[test]
fn policy_check_accepts_a_valid_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, "version = 1\n[[rules]]\nclass = \"device.basic\"\nwhen = { granted = \"diagnostics\" }\naction = \"keep\"\n").unwrap();
    let out = modicum(&["policy", "check", file.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("valid, 1 rules"));
}

#[test]
fn policy_check_prints_every_typed_error_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.json");
    std::fs::write(
        &file,
        r#"{"rules": [{"class": "id.hardware", "action": "hash"}, {"class": "contact", "action": "keep"}, {"class": "gps", "action": "drop"}]}"#,
    )
    .unwrap();
    let out = modicum(&["policy", "check", file.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("rule 1 (`id.hardware`)"), "{stdout}");
    assert!(stdout.contains("rule 2 (`contact`)"), "{stdout}");
    assert!(
        stdout.contains("rule 3: unknown data class `gps`"),
        "{stdout}"
    );
}

#[test]
fn policy_check_refuses_an_unknown_scrubbing_family() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, "[scrub]\nfamilies = [\"cn_mobile\", \"emails\"]\n").unwrap();
    let out = modicum(&["policy", "check", file.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("scrub.families: unknown family `emails`"),
        "{stdout}"
    );
}

#[test]
fn policy_check_reports_an_unreadable_file() {
    let out = modicum(&["policy", "check", "/nonexistent/policy.toml"], b"");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn policy_json_converts_toml_for_devices_and_refuses_invalid_documents() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        "version = 3\n[[rules]]\nclass = \"device.basic\"\naction = \"keep\"\n",
    )
    .unwrap();
    let out = modicum(&["policy", "json", file.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 3);
    assert_eq!(json["rules"][0]["class"], "device.basic");

    std::fs::write(&file, "[[rules]]\nclass = \"gps\"\naction = \"keep\"\n").unwrap();
    let out = modicum(&["policy", "json", file.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("gps"));
}

#[test]
fn disclosures_write_each_store_declaration_for_the_built_in_or_a_given_policy() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/app-policy.toml"
    );
    for (store, starts) in [
        ("ios", "<?xml"),
        ("android", "Question ID (machine readable)"),
        ("markdown", "| what leaves"),
    ] {
        for args in [
            vec!["disclosures", store],
            vec!["disclosures", store, example],
        ] {
            let out = modicum(&args, b"");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8(out.stdout).unwrap().starts_with(starts));
        }
    }
    // The built-in policy's manifest is the one the Swift package ships.
    let out = modicum(&["disclosures", "ios"], b"");
    let shipped = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ios/Sources/Modicum/PrivacyInfo.xcprivacy"
    ))
    .unwrap();
    assert_eq!(out.stdout, shipped);
    // An invalid policy is refused with its errors.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rules]]\nclass = \"gps\"\naction = \"keep\"\n").unwrap();
    let out = modicum(&["disclosures", "ios", bad.to_str().unwrap()], b"");
    assert!(!out.status.success());
}
