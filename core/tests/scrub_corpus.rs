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
