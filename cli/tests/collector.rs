//! The collector side of the command line as a user runs it: keygen, decode, and a small demo.

use std::process::Command;

use modicum_core::envelope::{self, Aead, CollectorKey};
use modicum_core::wire::{self, sample};

fn modicum() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modicum"))
}

#[test]
fn keygen_then_decode_a_batch_sealed_to_the_public_key() {
    let tmp = tempfile::tempdir().unwrap();
    let out = modicum()
        .args(["keygen", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(tmp.path().join("collector.pub")).unwrap();
    let public = hex::decode(public.trim()).unwrap();
    let key = CollectorKey::from_public_bytes(&public).unwrap();
    let batch = sample::session(9, 12);
    let sealed = envelope::seal(
        &key,
        Aead::ChaCha20Poly1305,
        &wire::encode(&batch).unwrap(),
        12,
        5,
    )
    .unwrap();
    let file = tmp.path().join("one.batch");
    std::fs::write(&file, &sealed.bytes).unwrap();
    let out = modicum()
        .args(["decode", "--key"])
        .arg(tmp.path().join("collector.key"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["batch_id"], sealed.id.to_string());
    assert_eq!(json["events"].as_array().unwrap().len(), 12);
    // A second keygen never overwrites a private key.
    let again = modicum()
        .args(["keygen", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    // A batch for another key is refused with a reason, not a crash.
    let stranger = CollectorKey::from_public_bytes(&[3u8; 32]).unwrap();
    let other = envelope::seal(&stranger, Aead::Aes128Gcm, b"x", 0, 1).unwrap();
    std::fs::write(&file, &other.bytes).unwrap();
    let out = modicum()
        .args(["decode", "--key"])
        .arg(tmp.path().join("collector.key"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key id"));
}

#[test]
fn the_demo_uploads_and_finds_no_planted_identifier_on_the_server() {
    let out = modicum()
        .args(["demo", "--devices", "4", "--seed", "3"])
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
    assert!(stdout.contains("events stored"), "{stdout}");
}
