//! The shared scrubbing corpus (tests/vectors/scrub.json): Kotlin and Swift check the same
//! cases through the bindings, so all three languages are held to one truth.

use serde_json::Value;

#[test]
fn every_case_scrubs_as_the_corpus_says() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/scrub.json");
    let corpus: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("corpus exists"))
            .expect("valid JSON");
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(cases.len() >= 100, "the corpus has {} cases", cases.len());
    let mismatches: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let (input, expected) = (case["input"].as_str()?, case["expected"].as_str()?);
            let actual = modicum_core::scrub(input);
            (actual != expected).then(|| {
                format!(
                    "{}:\n  input    {input}\n  expected {expected}\n  actual   {actual}",
                    case["name"]
                )
            })
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

/// The collector re-checks what arrives with the same rules: scrubbed text must scrub to
/// itself and report nothing, or minimized batches would be refused.
#[test]
fn scrubbing_is_idempotent_over_the_corpus() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/scrub.json");
    let corpus: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("corpus exists"))
            .expect("valid JSON");
    let again: Vec<String> = corpus["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|case| {
            let once = modicum_core::scrub(case["input"].as_str()?).into_owned();
            let twice = modicum_core::scrub_report(&once);
            (!twice.found.is_empty() || twice.text != once)
                .then(|| format!("{} -> {:?}", once, twice.found))
        })
        .collect();
    assert!(again.is_empty(), "scrubbed text still reports: {again:#?}");
}
