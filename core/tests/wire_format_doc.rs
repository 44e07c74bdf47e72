//! docs/wire-format.md's worked example is produced by this code; the test fails when the
//! encoder and the document disagree.

use std::collections::BTreeMap;

use modicum_core::wire::{self, Batch, BatchMeta, Limits, WireEvent, WireValue};
use modicum_core::{Basis, Category};

fn example() -> Batch {
    let tap = |at: u64, screen: &str| WireEvent {
        name: "tap".into(),
        category: Category::Analytics,
        basis: Basis::Consent,
        recorded_at_ms: at,
        properties: BTreeMap::from([
            ("screen".into(), WireValue::Text(screen.into())),
            ("ok".into(), WireValue::Bool(true)),
        ]),
    };
    Batch {
        meta: BatchMeta {
            app_id: "com.example".into(),
            install: None,
            sdk_version: "modicum/0.1.0".into(),
            created_at_ms: 1_795_300_000_000,
            device: BTreeMap::from([("os".to_owned(), WireValue::Text("Android".into()))]),
        },
        events: vec![
            tap(1_795_300_000_000, "home"),
            tap(1_795_300_000_250, "cart"),
        ],
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_documented_example_is_what_the_encoder_writes() {
    let packed = wire::encode(&example()).expect("encodes");
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/wire-format.md"
    ))
    .expect("doc");
    let inflated = {
        let mut d = flate2::Decompress::new(false);
        d.set_dictionary(&wire::dictionary::FORMAT_2)
            .expect("dictionary");
        let mut out = Vec::with_capacity(4096);
        d.decompress_vec(&packed, &mut out, flate2::FlushDecompress::Finish)
            .expect("inflates");
        out
    };
    // Printed so the document can be regenerated: `cargo test --test wire_format_doc -- --nocapture`.
    println!("MessagePack {}", hex(&inflated));
    println!("deflated {}", hex(&packed));
    assert!(
        doc.contains(&hex(&inflated)),
        "docs/wire-format.md lacks the MessagePack of the example:\n{}",
        hex(&inflated)
    );
    assert!(
        doc.contains(&hex(&packed)),
        "docs/wire-format.md lacks the deflated example:\n{}",
        hex(&packed)
    );
    assert_eq!(
        wire::decode(&packed, Limits::default()).expect("decodes"),
        example()
    );
}

#[test]
fn the_documented_deletion_request_is_what_the_encoder_writes() {
    use modicum_core::transform::{InstallSecret, Pseudonymizer};
    use modicum_core::wire::{DeletionPayload, Proof};

    let install = Pseudonymizer::new(
        &InstallSecret::from_bytes([7; 32]),
        std::time::Duration::from_secs(30 * 86_400),
    )
    .expect("a pseudonymizer");
    // The period holding the request (30-day periods): 1795300000000 / 2592000000 = 692.
    let token = install.deletion_token(1_795_300_000_000);
    let pseudonym = token.pseudonym();
    assert_eq!(pseudonym, install.install_pseudonym(1_795_300_000_000));
    let payload = DeletionPayload {
        requested_at_ms: 1_795_300_000_000,
        proofs: vec![Proof {
            install_pseudonym: pseudonym.clone(),
            token: token.clone(),
        }],
    };
    let bytes = wire::encode_deletion(&payload).expect("encodes");
    println!("deletion request {}", hex(&bytes));
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/wire-format.md"
    ))
    .expect("doc");
    for (what, text) in [
        ("token", token.to_hex_for_request()),
        ("pseudonym", pseudonym),
        ("MessagePack", hex(&bytes)),
    ] {
        assert!(
            doc.contains(&text),
            "docs/wire-format.md lacks the {what}:\n{text}"
        );
    }
    assert_eq!(wire::decode_deletion(&bytes, 1).expect("decodes"), payload);
}
