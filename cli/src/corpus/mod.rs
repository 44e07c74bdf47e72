//! `modicum corpus`: a labelled corpus for the scrubber, from a fixed seed.
//!
//! Every line is JSON: the text, and each piece of personal data in it with its family and
//! byte range. Positive lines carry one identifier of every family, with valid check digits,
//! in the forms people and attackers write them (grouped, full-width, next to Chinese text,
//! behind a country code, with zero-width characters or `%40`, spelled out); hard negatives
//! carry what must stay as written (millisecond timestamps, hex addresses and offsets,
//! versions and build numbers, durations, prices, ratios, and order and error codes whose
//! digits fail every family's check).
//!
//! Check digits here are computed by code of this file's own, written from each scheme's
//! definition rather than shared with the scrubber, so a mistake in one is caught by the other.

use std::io::{self, BufWriter, Write};

use rand::{RngExt, SeedableRng};
use rand_xorshift::XorShiftRng;
use serde::Serialize;

#[derive(Serialize)]
struct Line {
    text: String,
    pii: Vec<Pii>,
    /// For a hard negative, what kind of text it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    negative: Option<&'static str>,
}

#[derive(Serialize)]
struct Pii {
    kind: &'static str,
    start: usize,
    end: usize,
    /// How it was written (`grouped`, `full_width`, `+86`…), for reading a report.
    form: &'static str,
}

mod families;
mod negatives;

use families::*;
use negatives::*;

pub fn run(seed: u64, lines: usize) -> Result<(), String> {
    let mut out = BufWriter::new(io::stdout().lock());
    for line in generate(seed, lines) {
        let json = serde_json::to_string(&line).map_err(|e| e.to_string())?;
        writeln!(out, "{json}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// `lines` lines: about two thirds positive (every family in turn), a third hard negatives.
fn generate(seed: u64, lines: usize) -> Vec<Line> {
    let mut rng = XorShiftRng::seed_from_u64(seed);
    let negatives = lines * 3 / 8;
    let mut out = Vec::with_capacity(lines);
    for i in 0..lines - negatives {
        let (kind, form, value) = positive(&mut rng, i);
        out.push(embed(&mut rng, kind, form, value));
    }
    for i in 0..negatives {
        let (what, text) = negative(&mut rng, i);
        out.push(Line {
            text,
            pii: Vec::new(),
            negative: Some(what),
        });
    }
    out
}

const EN_TEMPLATES: &[&str] = &[
    "user {} logged in",
    "sending verification to {} failed: timeout",
    "contact: {}",
    "profile updated ({})",
    "WARN retry 3 for {} after error",
    "payload={} status=ok",
    "[auth] lookup {} -> not found",
];
const CN_TEMPLATES: &[&str] = &[
    "短信已发送到{}",
    "用户{}登录失败",
    "联系方式：{}，请核实",
    "绑定成功 {} 谢谢",
    "收到来自{}的请求",
];

/// Letters written straight before an identifier (`imei490154203237518`): in the text, not
/// in the label.
const GLUE: &str = "imei";

/// Puts `value` into a log line, recording where it landed.
fn embed(rng: &mut XorShiftRng, kind: &'static str, form: &'static str, value: String) -> Line {
    let chinese = form == "next_to_chinese" || rng.random_bool(0.3);
    let templates = if chinese { CN_TEMPLATES } else { EN_TEMPLATES };
    let template = templates[rng.random_range(0..templates.len())];
    let (before, after) = template.split_once("{}").expect("templates have a hole");
    let glue = if form == "glued_to_letters" {
        GLUE.len()
    } else {
        0
    };
    let start = before.len() + glue;
    Line {
        text: format!("{before}{value}{after}"),
        pii: vec![Pii {
            kind,
            start,
            end: before.len() + value.len(),
            form,
        }],
        negative: None,
    }
}

fn digits(rng: &mut XorShiftRng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.random_range(0..10u8)).collect()
}

fn text(d: &[u8]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Groups `s` by `sizes`, joined by `sep`.
fn grouped(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut parts = Vec::new();
    let mut at = 0;
    for &n in sizes {
        parts.push(&s[at..at + n]);
        at += n;
    }
    parts.join(sep)
}

/// ASCII letters and digits as their full-width forms (U+FF01…).
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            c => c,
        })
        .collect()
}

const FAMILIES: &[&str] = &[
    "email",
    "cn_mobile",
    "phone",
    "cn_resident_id",
    "card",
    "imei",
    "iban",
    "us_ssn",
    "hk_id",
    "tw_id",
    "jp_my_number",
    "in_aadhaar",
    "br_cpf",
    "ip",
    "mac",
    "id",
];

/// The `i`-th positive: families in turn, each in one of its forms.
fn positive(rng: &mut XorShiftRng, i: usize) -> (&'static str, &'static str, String) {
    let kind = FAMILIES[i % FAMILIES.len()];
    let pick = rng.random_range(0..100usize);
    let (form, value) = match kind {
        "email" => email(rng, pick),
        "cn_mobile" => cn_mobile(rng, pick),
        "phone" => phone(rng, pick),
        "cn_resident_id" => cn_resident_id(rng, pick),
        "card" => card(rng, pick),
        "imei" => imei(rng, pick),
        "iban" => iban(rng, pick),
        "us_ssn" => us_ssn(rng, pick),
        "hk_id" => hk_id(rng, pick),
        "tw_id" => tw_id(rng),
        "jp_my_number" => jp_my_number(rng, pick),
        "in_aadhaar" => in_aadhaar(rng, pick),
        "br_cpf" => br_cpf(rng, pick),
        "ip" => ip(rng, pick),
        "mac" => mac(rng, pick),
        _ => uuid(rng, pick),
    };
    (kind, form, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator's check digits against published examples, so the corpus is not just
    /// the scrubber agreeing with itself.
    #[test]
    fn check_digits_match_published_examples() {
        assert_eq!(
            luhn_digit(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
            1
        );
        assert_eq!(luhn_digit(&[4, 9, 0, 1, 5, 4, 2, 0, 3, 2, 3, 7, 5, 1]), 8);
        // ISO 13616's example IBANs.
        assert_eq!(98 - mod97("370400440532013000DE00"), 89);
        assert_eq!(98 - mod97("WEST12345698765432GB00"), 82);
        // Verhoeff's own example: 236 has check digit 3.
        assert_eq!(verhoeff_digit(&[2, 3, 6]), 3);
        // The CPF 111.444.777-35 and the My Number 123456789018.
        assert_eq!(jp_check(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]), 8);
    }

    /// The targets `docs/benchmarks.md` reports for the default corpus: every validated
    /// family's identifiers entirely removed, and at least 99% of hard negatives untouched.
    #[test]
    fn the_scrubber_meets_its_targets_on_the_default_corpus() {
        let lines = generate(14, 3400);
        let mut missed = Vec::new();
        let (mut negatives, mut untouched) = (0, 0);
        for line in &lines {
            let scrubbed = modicum_core::scrub_report(&line.text);
            if line.negative.is_some() {
                negatives += 1;
                untouched += usize::from(scrubbed.spans.is_empty());
            }
            for pii in &line.pii {
                let kind: modicum_core::PiiKind = pii.kind.parse().unwrap();
                let value = &line.text[pii.start..pii.end];
                if kind.validated() && scrubbed.text.contains(value) {
                    missed.push(format!("{}: {}", pii.kind, line.text));
                }
            }
        }
        assert!(missed.is_empty(), "{missed:#?}");
        assert!(
            untouched * 100 >= negatives * 99,
            "{untouched} of {negatives}"
        );
    }

    #[test]
    fn the_corpus_is_deterministic_and_large_enough() {
        let a: Vec<String> = generate(1, 3400).into_iter().map(|l| l.text).collect();
        let b: Vec<String> = generate(1, 3400).into_iter().map(|l| l.text).collect();
        assert_eq!(a, b);
        let lines = generate(1, 3400);
        let negatives = lines.iter().filter(|l| l.negative.is_some()).count();
        assert!(negatives >= 1000 && lines.len() >= 3000, "{negatives}");
        for line in &lines {
            for pii in &line.pii {
                assert!(
                    line.text.is_char_boundary(pii.start) && line.text.is_char_boundary(pii.end)
                );
            }
        }
    }
}
