//! The shared minimization vectors (tests/vectors/minimize.json): a fresh install, consent
//! grants and an age band, one event, and what is held afterwards. Kotlin and Swift check the
//! same cases through the bindings, so the three languages are held to one truth.
//!
//! `MODICUM_BLESS=1 cargo test -p modicum-core --test minimize_vectors` rewrites the expected
//! outcomes from what the core does; review the diff before committing it.

use std::time::Duration;

use modicum_core::{AgeBand, Category, Config, DataClass, Event, Modicum, Value};
use serde_json::{json, Value as Json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/minimize.json"
);

fn value(v: &Json) -> Value {
    let (kind, inner) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("a typed value");
    match kind.as_str() {
        "text" => Value::Text(inner.as_str().expect("text").into()),
        "int" => Value::Int(inner.as_i64().expect("int")),
        "double" => Value::Double(inner.as_f64().expect("double")),
        "bool" => Value::Bool(inner.as_bool().expect("bool")),
        "location" => Value::Location {
            lat: inner[0].as_f64().expect("lat"),
            lon: inner[1].as_f64().expect("lon"),
        },
        other => panic!("unknown value kind {other}"),
    }
}

fn event(spec: &Json) -> Event {
    let mut event = Event::new(spec["name"].as_str().expect("name").to_owned());
    if let Some(category) = spec["category"].as_str() {
        event = event.in_category(category.parse::<Category>().expect("category"));
    }
    for (key, v) in spec["properties"].as_object().expect("properties") {
        event = match spec["classes"].get(key).and_then(Json::as_str) {
            Some(class) => event.with_class(
                key.clone(),
                value(v),
                class.parse::<DataClass>().expect("class"),
            ),
            None => event.with(key.clone(), value(v)),
        };
    }
    event
}

/// Pseudonyms differ per install: they are compared by shape.
fn normalized(mut held: Json) -> Json {
    fn walk(v: &mut Json) {
        match v {
            Json::String(s)
                if s.len() == 35
                    && s.starts_with("p1_")
                    && s[3..].bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                *s = "<pseudonym>".into()
            }
            Json::Array(items) => items.iter_mut().for_each(walk),
            Json::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut held);
    held
}

/// What a case yields: `null` when nothing is held, else the held event's category, basis and
/// properties.
fn outcome(case: &Json) -> Json {
    let tmp = tempfile::tempdir().expect("tempdir");
    let modicum = Modicum::start(Config::new(tmp.path(), "dev.modicum.vectors")).expect("starts");
    let age: AgeBand = case["age"]
        .as_str()
        .expect("age")
        .parse()
        .expect("age band");
    modicum
        .set_age(age, case["guardian_consent"].as_bool().unwrap_or(false))
        .expect("age");
    for grant in case["grants"].as_array().expect("grants") {
        modicum
            .set_consent_by_name(grant.as_str().expect("name"), true)
            .expect("grant");
    }
    // A refusal (no consent) is an outcome too: nothing held.
    let _ = modicum.record(event(&case["event"]));
    modicum.flush(Duration::from_secs(10)).expect("flush");
    let held: Json = serde_json::from_str(&modicum.held_json().expect("held")).expect("json");
    let outcome = match held.as_array().expect("array").as_slice() {
        [] => Json::Null,
        [one] => json!({
            "category": one["category"],
            "basis": one["basis"],
            "properties": one["properties"],
        }),
        more => panic!("{} events held for one recorded", more.len()),
    };
    normalized(outcome)
}

#[test]
fn every_case_minimizes_as_the_vectors_say() {
    let mut vectors: Json =
        serde_json::from_str(&std::fs::read_to_string(PATH).expect("vectors exist")).expect("json");
    let bless = std::env::var_os("MODICUM_BLESS").is_some();
    let cases = vectors["cases"].as_array_mut().expect("cases");
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in cases.iter_mut() {
        let actual = outcome(case);
        if bless {
            case["expected"] = actual;
        } else if case["expected"] != actual {
            mismatches.push(format!(
                "{}:\n  expected {}\n  actual   {actual}",
                case["name"], case["expected"]
            ));
        }
    }
    if bless {
        let text = serde_json::to_string_pretty(&vectors).expect("serializes");
        std::fs::write(PATH, text + "\n").expect("writes");
        return;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
