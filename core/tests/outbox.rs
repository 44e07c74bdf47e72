//! Events become sealed outbox batches, exactly once, and a collector holding the private key
//! (here: the independent `hpke` crate) opens and decodes them all.

use std::collections::HashMap;
use std::time::Duration;

mod support;

use modicum_core::envelope::CollectorKey;
use modicum_core::outbox::OutboxEntry;
use modicum_core::wire::{Batch, WireValue};
use modicum_core::{Category, Config, DataClass, Event, LedgerEntry, Modicum, Policy, Value};
use support::{open_batch, PrivateKey};

const WAIT: Duration = Duration::from_secs(10);

fn collector() -> (PrivateKey, CollectorKey) {
    support::collector(b"outbox test collector")
}

fn start(dir: &std::path::Path, key: &CollectorKey, tweak: impl FnOnce(&mut Config)) -> Modicum {
    let mut config = Config::new(dir.join("store"), "dev.modicum.outbox");
    config.collector = Some(key.clone());
    config.policy = Policy::default().with_essential("crash reporting");
    tweak(&mut config);
    Modicum::start(config).expect("starts")
}

fn batches(m: &Modicum, private: &PrivateKey) -> Vec<(OutboxEntry, Batch)> {
    m.outbox()
        .into_iter()
        .map(|entry| {
            let batch = open_batch(private, &m.outbox_batch(&entry).expect("readable"));
            (entry, batch)
        })
        .collect()
}

#[test]
fn every_event_arrives_exactly_once_in_sealed_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = collector();
    let m = start(tmp.path(), &key, |c| c.batch_max_events = 100);
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    for i in 0..250 {
        let mut event = Event::new("tap").with("i", Value::Int(i));
        if i % 2 == 0 {
            event = event.with_class(
                "id",
                Value::Text(format!("install-{i}")),
                DataClass::IdInstall,
            );
        }
        m.record(event).unwrap();
        m.record(
            Event::new("net")
                .in_category(Category::Diagnostics)
                .with("i", Value::Int(i)),
        )
        .unwrap();
    }
    m.seal_now(WAIT).unwrap();
    assert!(
        m.held().unwrap().is_empty(),
        "the journal is empty once everything is sealed"
    );
    let batches = batches(&m, &private);
    assert!(batches.len() >= 5, "{} batches", batches.len());
    assert_eq!(
        batches[0].0.category,
        Category::Diagnostics,
        "diagnostics go before analytics"
    );
    let mut seen: HashMap<(String, i64), u32> = HashMap::new();
    for (entry, batch) in &batches {
        assert!(batch.events.len() <= 100);
        assert!(batch
            .meta
            .install
            .as_deref()
            .is_some_and(|i| i.starts_with("p1_")));
        for e in &batch.events {
            assert_eq!(e.category, entry.category);
            let has_id = e.properties.contains_key("id");
            assert_eq!(
                has_id,
                entry.grants.contains(&Category::Identifiers),
                "batches are per grant set"
            );
            let Some(WireValue::Int(i)) = e.properties.get("i") else {
                panic!("no i")
            };
            *seen.entry((e.name.to_string(), *i)).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 500);
    assert!(seen.values().all(|&n| n == 1), "an event arrived twice");
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::Batched),
        250
    );
}

#[test]
fn without_identifiers_consent_batches_do_not_name_the_install() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = collector();
    let m = start(tmp.path(), &key, |_| ());
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    m.seal_now(WAIT).unwrap();
    let batches = batches(&m, &private);
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].1.meta.install, None);
}

#[test]
fn an_essential_event_is_sealed_at_once_in_its_own_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = collector();
    let m = start(tmp.path(), &key, |_| ());
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(
        Event::new("crash")
            .in_category(Category::Essential)
            .with("kind", Value::Text("SIGSEGV".into())),
    )
    .unwrap();
    m.flush(WAIT).unwrap();
    let batches = batches(&m, &private);
    assert_eq!(batches.len(), 1);
    assert_eq!(
        (batches[0].0.category, batches[0].0.priority),
        (Category::Essential, 0)
    );
    assert_eq!(&*batches[0].1.events[0].name, "crash");
}

#[test]
fn withdrawing_a_category_deletes_the_batches_holding_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, key) = collector();
    let m = start(tmp.path(), &key, |_| ());
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    m.record(Event::new("plain")).unwrap();
    m.record(Event::new("with_id").with_class("id", Value::Text("x".into()), DataClass::IdInstall))
        .unwrap();
    m.record(Event::new("net").in_category(Category::Diagnostics))
        .unwrap();
    m.seal_now(WAIT).unwrap();
    assert_eq!(m.outbox().len(), 3);
    m.set_consent(Category::Identifiers, false).unwrap();
    // The outbox is read directly, not through the worker: wait for it to remove.
    m.flush(WAIT).unwrap();
    let left: Vec<_> = m
        .outbox()
        .iter()
        .map(|e| (e.category, e.grants.clone()))
        .collect();
    assert_eq!(
        left,
        vec![
            (Category::Diagnostics, vec![]),
            (Category::Analytics, vec![])
        ]
    );
    m.set_consent(Category::Analytics, false).unwrap();
    m.flush(WAIT).unwrap();
    assert_eq!(m.outbox().len(), 1);
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Purged), 2);
}

#[test]
fn the_budget_evicts_analytics_before_diagnostics_and_essential_last() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, key) = collector();
    let m = start(tmp.path(), &key, |c| c.batch_max_events = 20);
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    let text = "x".repeat(2_000);
    for i in 0..200 {
        m.record(
            Event::new("crash")
                .in_category(Category::Essential)
                .with("i", Value::Int(i))
                .with("t", Value::Text(text.clone())),
        )
        .ok();
        if i < 5 {
            continue;
        }
        m.record(
            Event::new("net")
                .in_category(Category::Diagnostics)
                .with("t", Value::Text(text.clone())),
        )
        .unwrap();
        m.record(Event::new("tap").with("t", Value::Text(text.clone())))
            .unwrap();
    }
    m.seal_now(WAIT).unwrap();
    m.shutdown(WAIT).unwrap();
    // Reopen with a budget far below what is held: the next sync enforces it. (Nothing new is
    // recorded: a batch sealed after the eviction may be of any category.)
    let m = start(tmp.path(), &key, |c| c.storage_budget = 64 * 1024);
    m.flush(WAIT).unwrap();
    let left = m.outbox();
    let size: u64 = left.iter().map(|e| e.size).sum();
    assert!(size <= 64 * 1024, "{size} bytes left");
    assert!(
        left.iter().any(|e| e.category == Category::Essential),
        "essential batches are evicted last"
    );
    assert!(m.ledger().get(Category::Analytics, LedgerEntry::Evicted) > 0);
    let evicted_essential = m.ledger().get(Category::Essential, LedgerEntry::Evicted);
    let evicted_diagnostics = m.ledger().get(Category::Diagnostics, LedgerEntry::Evicted);
    if evicted_essential > 0 {
        assert!(
            left.iter().all(|e| e.category == Category::Essential),
            "essential went while others stayed"
        );
    }
    if evicted_diagnostics > 0 {
        assert!(
            left.iter().all(|e| e.category != Category::Analytics),
            "diagnostics went while analytics stayed"
        );
    }
}

#[test]
fn batches_are_cut_by_bytes_as_well_as_by_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = collector();
    let m = start(tmp.path(), &key, |c| c.batch_max_bytes = 64 * 1024);
    m.set_consent(Category::Analytics, true).unwrap();
    let text = "abcdefgh".repeat(500); // 4 KB of text per event
    for i in 0..100 {
        m.record(
            Event::new("big")
                .with("i", Value::Int(i))
                .with("t", Value::Text(text.clone())),
        )
        .unwrap();
    }
    m.seal_now(WAIT).unwrap();
    let batches = batches(&m, &private);
    assert!(
        batches.len() >= 7,
        "{} batches for ~400 KB at 64 KiB each",
        batches.len()
    );
    let total: usize = batches.iter().map(|(_, b)| b.events.len()).sum();
    assert_eq!(total, 100);
    for (_, batch) in &batches {
        let raw: usize = batch
            .events
            .iter()
            .map(|e| match e.properties.get("t") {
                Some(WireValue::Text(t)) => t.len(),
                _ => 0,
            })
            .sum();
        assert!(raw <= 64 * 1024, "a batch carries {raw} bytes of text");
    }
}

/// A round is due when one category fills a batch, not when all together would, and it
/// seals only full batches: the other category's few events wait for a batch of their own
/// (carried in the journal), instead of going out in a small one.
#[test]
fn a_round_is_due_when_one_category_fills_a_batch_and_seals_only_full_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, key) = collector();
    let m = start(tmp.path(), &key, |c| c.batch_max_events = 3);
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    for _ in 0..2 {
        m.record(Event::new("tap")).unwrap();
        m.record(Event::new("log").in_category(Category::Diagnostics))
            .unwrap();
    }
    m.flush(WAIT).unwrap();
    // Four events, but no category has three: nothing is sealed (the age is a minute away).
    std::thread::sleep(Duration::from_millis(300));
    assert!(m.outbox().is_empty(), "{:?}", m.outbox());
    m.record(Event::new("tap")).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while m.outbox().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let sealed = m.outbox();
    assert_eq!(sealed.len(), 1, "{sealed:?}");
    assert_eq!(sealed[0].category, Category::Analytics);
    assert_eq!(sealed[0].events, 3);
    // The two diagnostics events were carried, and are held once.
    let held = m.held().unwrap();
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(held.iter().all(|e| e.category() == Category::Diagnostics));
    // A restart reads them once, from the carry segment.
    m.shutdown(WAIT).unwrap();
    let m = start(tmp.path(), &key, |c| c.batch_max_events = 3);
    assert_eq!(m.held().unwrap().len(), 2);
    // Sealing on request takes everything, full or not.
    m.seal_now(WAIT).unwrap();
    let sealed = m.outbox();
    let diagnostics = sealed.iter().find(|e| e.category == Category::Diagnostics);
    assert_eq!(diagnostics.map(|e| e.events), Some(2), "{sealed:?}");
    assert!(m.held().unwrap().is_empty());
    m.shutdown(WAIT).unwrap();
}
