use super::*;
use proptest::prelude::*;

fn gzip_len(data: &[u8]) -> usize {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap().len()
}

#[test]
fn a_sample_session_round_trips() {
    let batch = sample::session(7, 300);
    let decoded = decode(&encode(&batch).unwrap(), Limits::default()).unwrap();
    assert_eq!(decoded, batch);
}

#[test]
fn wire_bytes_are_at_most_60_percent_of_json_gzip() {
    for events in [100, 500] {
        let batch = sample::session(11, events);
        let ours = encode(&batch).unwrap().len() + envelope::Format::CURRENT.header_len() + 16;
        let theirs = gzip_len(&sample::as_json_rows(&batch));
        let ratio = ours as f64 / theirs as f64;
        assert!(
            ratio <= 0.60,
            "{events} events: {ours} bytes against {theirs} for JSON+gzip ({ratio:.2})"
        );
    }
}

#[test]
fn sample_timestamps_render_as_iso_8601() {
    let rows: serde_json::Value = serde_json::from_slice(&sample::as_json_rows(&Batch {
        meta: sample::session(1, 1).meta,
        events: vec![WireEvent {
            name: "e".into(),
            category: Category::Analytics,
            basis: Basis::Consent,
            recorded_at_ms: 1_795_359_944_414,
            properties: BTreeMap::new(),
        }],
    }))
    .unwrap();
    assert_eq!(rows[0]["timestamp"], "2026-11-22T15:05:44.414Z");
}

#[test]
fn an_inflate_bomb_stops_at_the_limit() {
    use std::io::Write;
    // 64 MiB of zeros compresses to a few KiB.
    let mut bomb = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 100_000);
    let limits = Limits {
        max_inflated: 1 << 20,
        ..Limits::default()
    };
    // Inflated without our dictionary it is simply invalid or too large; either way refused.
    assert!(decode(&bomb, limits).is_err());
    let big = compress::deflate(&vec![0u8; 8 << 20], &dictionary::FORMAT_2).unwrap();
    assert_eq!(
        decode(&big, limits),
        Err(WireError::TooLarge { limit: 1 << 20 })
    );
}

#[test]
fn garbage_and_truncation_are_typed_errors() {
    let encoded = encode(&sample::session(3, 50)).unwrap();
    for cut in [0, 1, encoded.len() / 2, encoded.len() - 1] {
        assert!(
            decode(&encoded[..cut], Limits::default()).is_err(),
            "cut at {cut}"
        );
    }
    let not_a_batch = compress::deflate(
        &rmp_serde::to_vec(&("hello", 1, 2)).unwrap(),
        &dictionary::FORMAT_2,
    )
    .unwrap();
    assert!(matches!(
        decode(&not_a_batch, Limits::default()),
        Err(WireError::Malformed(_))
    ));
    let too_many = Limits {
        max_events: 10,
        ..Limits::default()
    };
    assert_eq!(
        decode(&encoded, too_many),
        Err(WireError::TooManyEvents { limit: 10 })
    );
}

fn value_strategy() -> impl Strategy<Value = WireValue> {
    prop_oneof![
        any::<bool>().prop_map(WireValue::Bool),
        any::<i64>().prop_map(WireValue::Int),
        (-1e12f64..1e12).prop_map(WireValue::Double),
        "\\PC{0,12}".prop_map(|t: String| WireValue::Text(t.into())),
        (-90.0f64..90.0, -180.0f64..180.0).prop_map(|(lat, lon)| WireValue::Location { lat, lon }),
    ]
}

fn event_strategy() -> impl Strategy<Value = WireEvent> {
    (
        prop_oneof![Just("a"), Just("b"), Just("ü")],
        0usize..Category::ALL.len(),
        any::<bool>(),
        0u64..u64::MAX / 2,
        proptest::collection::btree_map(
            prop_oneof![Just("k1"), Just("k2"), Just("k3"), Just("ключ")],
            value_strategy(),
            0..4,
        ),
    )
        .prop_map(|(name, c, essential, at, props)| WireEvent {
            name: name.into(),
            category: Category::ALL[c],
            basis: if essential {
                Basis::Essential
            } else {
                Basis::Consent
            },
            recorded_at_ms: at,
            properties: props.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        })
}

proptest! {
    #[test]
    fn any_batch_round_trips(mut events in proptest::collection::vec(event_strategy(), 0..40), install in proptest::option::of("[a-z0-9_]{0,12}")) {
        let meta = BatchMeta {
            app_id: "app".into(),
            install,
            sdk_version: "v".into(),
            created_at_ms: 5,
            device: BTreeMap::from([("model".to_owned(), WireValue::Text("X".into()))]),
        };
        let batch = Batch { meta, events: events.clone() };
        let decoded = decode(&encode(&batch).unwrap(), Limits::default()).unwrap();
        // Decoding returns events in time order, stable within each (name, category, basis).
        events.sort_by_key(|e| e.recorded_at_ms);
        let mut expected = events;
        let mut got = decoded.events;
        let key = |e: &WireEvent| (e.recorded_at_ms, e.name.clone(), e.category, e.basis == Basis::Essential, format!("{:?}", e.properties));
        expected.sort_by_key(key);
        got.sort_by_key(key);
        prop_assert_eq!(got, expected);
        prop_assert_eq!(decoded.meta, batch.meta);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode(&bytes, Limits::for_inflated(1 << 16, 1000));
    }
}
