use super::*;
use crate::consent::Loaded;
use crate::{DataClass, Value};

fn config(dir: &std::path::Path) -> Config {
    Config::new(dir.join("modicum"), "com.example.app")
}

fn started() -> (tempfile::TempDir, Modicum) {
    let tmp = tempfile::tempdir().unwrap();
    let m = Modicum::start(config(tmp.path())).unwrap();
    (tmp, m)
}

#[test]
fn start_rejects_an_unusable_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    std::fs::write(&file, b"").unwrap();
    let err = Modicum::start(Config::new(file, "a")).unwrap_err();
    assert!(matches!(err, Error::StorageUnusable { .. }));
}

#[test]
fn consent_gates_what_is_held() {
    let (_tmp, m) = started();
    assert_eq!(m.record(Event::new("before")), Ok(false));
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(
        m.record(Event::new("after").with("who", Value::Text("bo@example.com".into()))),
        Ok(true)
    );
    let held: serde_json::Value = serde_json::from_str(&m.held_json()).unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert_eq!(held[0]["name"], "after");
    assert_eq!(held[0]["properties"]["who"], "[email]");
    assert_eq!(m.recent_traces().len(), 2);
}

#[test]
fn grant_record_withdraw_record() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    let with_id =
        Event::new("a").with_class("id", Value::Text("install-1".into()), DataClass::IdInstall);
    assert_eq!(m.record(with_id), Ok(true));
    m.set_consent(Category::Identifiers, false).unwrap();
    assert_eq!(
        m.held()[0].properties().len(),
        0,
        "the hashed id goes with the identifiers grant"
    );
    m.set_consent(Category::Analytics, false).unwrap();
    assert!(m.held().is_empty());
    assert_eq!(m.held_json(), "[]");
    assert_eq!(
        m.record(Event::new("b")),
        Ok(false),
        "withdrawal applies to the next record"
    );
}

#[test]
fn consent_persists_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let m = Modicum::start(config(tmp.path())).unwrap();
        assert_eq!(m.consent_loaded(), &Loaded::Fresh);
        m.agree_to_version(2).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        m.set_age(AgeBand::Minor, false).unwrap();
    }
    let m = Modicum::start(config(tmp.path())).unwrap();
    assert_eq!(m.consent_loaded(), &Loaded::Restored);
    let consent = m.consent();
    assert_eq!((consent.version(), consent.age()), (2, AgeBand::Minor));
    assert_eq!(consent.history().count(), 3);
    assert_eq!(m.permitted(), vec![Category::Analytics]);
}

#[test]
fn pseudonyms_are_stable_across_restarts_of_one_install() {
    let tmp = tempfile::tempdir().unwrap();
    let id_event =
        Event::new("a").with_class("id", Value::Text("install-1".into()), DataClass::IdInstall);
    let pseudonym = || {
        let m = Modicum::start(config(tmp.path())).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        m.set_consent(Category::Identifiers, true).unwrap();
        m.record(id_event.clone()).unwrap();
        serde_json::to_value(&m.held()[0]).unwrap()["properties"]["id"].clone()
    };
    assert_eq!(pseudonym(), pseudonym());
    let other = tempfile::tempdir().unwrap();
    let m = Modicum::start(config(other.path())).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    m.record(id_event.clone()).unwrap();
    assert_ne!(
        serde_json::to_value(&m.held()[0]).unwrap()["properties"]["id"],
        pseudonym(),
        "installs differ"
    );
}

#[test]
fn becoming_a_child_without_guardian_purges_what_is_no_longer_allowed() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    m.set_age(AgeBand::Child, false).unwrap();
    assert!(m.held().is_empty());
}

#[test]
fn invalid_events_and_unknown_categories_are_errors() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(m.record(Event::new("")), Err(Error::EmptyEventName));
    assert_eq!(
        m.set_consent_by_name("telepathy", true),
        Err(Error::UnknownCategory {
            name: "telepathy".into()
        })
    );
    assert_eq!(
        m.set_consent(Category::Essential, true),
        Err(Error::EssentialIsDeclared)
    );
    assert!(m.held().is_empty());
}

#[test]
fn capacity_is_bounded_and_counted() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    for _ in 0..HELD_CAPACITY {
        assert_eq!(m.record(Event::new("e")), Ok(true));
    }
    assert_eq!(m.record(Event::new("e")), Ok(false));
    assert_eq!(m.dropped_over_capacity(), 1);
    assert_eq!(m.held().len(), HELD_CAPACITY);
}

#[test]
fn usable_from_many_threads() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let m = &m;
            s.spawn(move || {
                for i in 0..100 {
                    m.record(Event::new(format!("t{t}")).with("i", Value::Int(i)))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(m.held().len(), 400);
}
