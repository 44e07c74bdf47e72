//! The shared wire-format vector (tests/vectors/wire.json): a sealed batch, the collector's
//! private key, and what it decodes to. Rust opens it with an independent HPKE implementation;
//! the Kotlin test decodes it with nothing but the JDK (X25519, HKDF, AES-GCM, raw inflate) and
//! a MessagePack reader written from docs/wire-format.md, so the document is proven enough to
//! write a decoder; the Swift test reads its header and its MessagePack payload.
//!
//! `MODICUM_BLESS=1 cargo test -p modicum-core --test wire_vectors` seals a new batch (fresh
//! ephemeral key and batch id) in the current format and rewrites the vector.
//! `tests/vectors/wire-v1.json` is the same batch in format 1, kept as it was sealed: collectors
//! must go on opening what devices of an earlier release send.

mod support;

use hpke::Serializable;
use modicum_core::envelope::{self, Aead, Format, Header};
use modicum_core::wire::{self, Batch, BatchMeta, WireEvent, WireValue};
use modicum_core::{Basis, Category};
use serde_json::{json, Value as Json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/wire.json");
/// The same batch in format 1, as devices of an earlier release seal it; never re-blessed.
const PATH_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/wire-v1.json");
const SEED: &[u8] = b"modicum shared wire vector collector";

fn batch() -> Batch {
    let event = |name: &str, category, at, props: Vec<(&str, WireValue)>| WireEvent {
        name: name.into(),
        category,
        basis: Basis::Consent,
        recorded_at_ms: at,
        properties: props.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    };
    let text = |s: &str| WireValue::Text(s.into());
    Batch {
        meta: BatchMeta {
            app_id: "com.example.shop".into(),
            install: Some("p1_0123456789abcdef0123456789abcdef".into()),
            sdk_version: "modicum/0.1.0".into(),
            created_at_ms: 1_795_300_000_000,
            device: [
                ("model", text("Pixel 8")),
                ("os_version", text("15")),
                ("ram_bytes", WireValue::Int(8_589_934_592)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        },
        events: vec![
            event(
                "screen_view",
                Category::Analytics,
                1_795_299_990_000,
                vec![
                    ("screen", text("home")),
                    ("load_ms", WireValue::Int(420)),
                    ("first", WireValue::Bool(true)),
                ],
            ),
            event(
                "screen_view",
                Category::Analytics,
                1_795_299_990_250,
                vec![("screen", text("cart")), ("load_ms", WireValue::Int(133))],
            ),
            event(
                "purchase",
                Category::Analytics,
                1_795_299_991_000,
                vec![
                    ("price", WireValue::Double(12.99)),
                    ("note", text("mail [email]")),
                ],
            ),
            event(
                "store_visit",
                Category::Location,
                1_795_299_992_000,
                vec![(
                    "where",
                    WireValue::Location {
                        lat: 52.52156,
                        lon: 13.39813,
                    },
                )],
            ),
            event(
                "request",
                Category::Diagnostics,
                1_795_299_993_000,
                vec![
                    ("ip", text("203.0.113.0/24")),
                    ("status", WireValue::Int(503)),
                    ("ratio", WireValue::Double(0.1 + 0.2)),
                    // Negative zero arrives negative, and a double stays a double whatever
                    // its digits (these fraction digits hold a Luhn-valid run).
                    ("zero", WireValue::Double(-0.0)),
                    ("average", WireValue::Double(16.285714285714285)),
                ],
            ),
        ],
    }
}

#[test]
fn the_shared_vector_opens_and_decodes_to_its_events() {
    check(
        PATH,
        Format::CURRENT,
        std::env::var_os("MODICUM_BLESS").is_some(),
    );
}

#[test]
fn the_format_1_vector_still_opens_and_decodes_to_the_same_events() {
    check(PATH_V1, Format::V1, false);
}

fn check(path: &str, format: Format, bless: bool) {
    let (private, key) = support::collector(SEED);
    let expected = batch();
    if bless {
        let payload = wire::encode(&expected).expect("encodes");
        let sealed =
            envelope::seal(&key, Aead::Aes128Gcm, &payload, 5, 1_795_300_000_000).expect("seals");
        let vector = json!({
            "description": "A sealed batch of five events, in format 2 (docs/wire-format.md; tests/vectors/wire-v1.json is the same batch in format 1). Open it with collector_private_key (X25519, RFC 7748 bytes) per section 3, inflate per section 4 with dictionary_hex, decode per section 5: the result is `batch` (events in time order). Checked by core/tests/wire_vectors.rs (Rust), android/src/test/kotlin/dev/modicum/WireVectorTest.kt (JDK only) and ios/Tests/ModicumTests/WireVectorTests.swift (header and MessagePack).",
            "collector_private_key": hex::encode(private.to_bytes()),
            "collector_public_key": hex::encode(key.public_bytes()),
            "dictionary_hex": hex::encode(format.dictionary()),
            "sealed_hex": hex::encode(&sealed.bytes),
            "payload_msgpack_hex": hex::encode(wire::pack(&expected).expect("packs")),
            "batch": serde_json::to_value(&expected).expect("serializes"),
        });
        let text = serde_json::to_string_pretty(&vector).expect("serializes");
        std::fs::write(path, text + "\n").expect("writes");
        return;
    }
    let vector: Json =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vector exists")).expect("json");
    let hex_field = |name: &str| hex::decode(vector[name].as_str().expect(name)).expect("hex");
    // The key and dictionary in the file are the ones the code uses.
    assert_eq!(
        hex_field("collector_private_key"),
        private.to_bytes().to_vec()
    );
    assert_eq!(
        hex_field("collector_public_key"),
        key.public_bytes().to_vec()
    );
    assert_eq!(hex_field("dictionary_hex"), format.dictionary().to_vec());
    let sealed = hex_field("sealed_hex");
    let (header, _) = Header::parse(&sealed).expect("header");
    assert_eq!(header.format, format);
    assert_eq!(header.event_count, 5);
    assert_eq!(header.key_id, key.id());
    let decoded = support::open_batch(&private, &sealed);
    assert_eq!(decoded, expected_sorted(&expected));
    assert_eq!(
        vector["batch"],
        serde_json::to_value(&decoded).expect("json")
    );
    // `==` takes -0.0 for 0.0: every double must come back bit for bit.
    for (got, want) in decoded
        .events
        .iter()
        .zip(&expected_sorted(&expected).events)
    {
        for (key, value) in &want.properties {
            if let (WireValue::Double(w), Some(WireValue::Double(g))) =
                (value, got.properties.get(key))
            {
                assert_eq!(g.to_bits(), w.to_bits(), "{}.{key}", want.name);
            }
        }
    }
    let zero = &vector["batch"]["events"][4]["properties"]["zero"];
    assert_eq!(
        zero.to_string(),
        "-0.0",
        "the vector's JSON keeps the sign too"
    );
    // The MessagePack layer on its own, for decoders that check it without HPKE or inflate.
    assert_eq!(
        hex_field("payload_msgpack_hex"),
        wire::pack(&expected).expect("packs")
    );
}

/// The batch as it decodes: events in time order.
fn expected_sorted(batch: &Batch) -> Batch {
    let mut b = batch.clone();
    b.events.sort_by_key(|e| e.recorded_at_ms);
    b
}
