//! Hard negatives: text that looks like personal data and is not (timestamps, hex offsets,
//! versions, prices, codes whose digits fail every check).

#[allow(clippy::wildcard_imports)]
use super::*;

/// The `i`-th hard negative.
pub(super) fn negative(rng: &mut XorShiftRng, i: usize) -> (&'static str, String) {
    match i % 9 {
        0 => {
            let ms = rng.random_range(1_600_000_000_000u64..1_900_000_000_000);
            ("timestamp_ms", format!("event at ts={ms} processed"))
        }
        1 => {
            let addr = hex(rng, 12);
            let off = hex(rng, 3);
            (
                "hex_address",
                format!("#0{} pc 0x0000{addr} libfoo.so (+0x{off})", i % 10),
            )
        }
        2 => {
            let (a, b, c) = (
                rng.random_range(0..20u32),
                rng.random_range(0..50u32),
                rng.random_range(0..200u32),
            );
            let build = rng.random_range(1000..99_999u32);
            match i % 3 {
                0 => (
                    "version",
                    format!("app version {a}.{b}.{c} (build {build})"),
                ),
                1 => ("version", format!("Windows 10.0.{build}.{c}")),
                _ => (
                    "version",
                    format!("build {a}.{b}.{c}.{}", rng.random_range(0..10u32)),
                ),
            }
        }
        3 => {
            let day = rng.random_range(1..29u32);
            let month = rng.random_range(1..13u32);
            let code = format!(
                "{}{month:02}{day:02}{:02}",
                rng.random_range(2019..2030u32),
                rng.random_range(0..24u32)
            );
            ("build_number", format!("versionCode {code} installed"))
        }
        4 => {
            let ms = rng.random_range(1..100_000u32);
            (
                "duration",
                format!("request took {ms} ms, timeout {}.{}s", ms / 1000, ms % 10),
            )
        }
        5 => {
            let (a, b) = (rng.random_range(1..10_000u32), rng.random_range(0..100u32));
            ("price", format!("total {a}.{b:02} USD, tax ¥{}.00", a * 7))
        }
        6 => {
            let (a, b) = (rng.random_range(1..100u32), rng.random_range(100..1000u32));
            (
                "ratio",
                format!("hit ratio {a}/{b} = 0.{:06}", a * 1000 / b),
            )
        }
        7 => (
            "order_code",
            format!("order ORD-{} failed", failing_code(rng)),
        ),
        _ => (
            "error_code",
            format!("error {} at step 3", failing_code(rng)),
        ),
    }
}

/// Digits that no family accepts in any shape it reads: too short or long for the lengths
/// with a check, or failing every check and structure rule that applies to their length.
pub(super) fn failing_code(rng: &mut XorShiftRng) -> String {
    loop {
        let len = rng.random_range(9..20usize);
        let d = digits(rng, len);
        // A leading zero reads as a trunk or international prefix, which is a phone's.
        if d[0] != 0 && !accepted_by_any(&d) {
            return text(&d);
        }
    }
}

/// Whether any family could take these digits, written bare.
pub(super) fn accepted_by_any(d: &[u8]) -> bool {
    let luhn = |d: &[u8]| luhn_digit(&d[..d.len() - 1]) == d[d.len() - 1];
    let len = d.len();
    let card_prefix = matches!(d[0], 2..=6);
    let card = (12..=19).contains(&len) && card_prefix && luhn(d);
    let imei = len == 15 && luhn(d);
    let cn_mobile = len == 11 && d[0] == 1 && d[1] >= 3;
    let nanp = len == 10 && d[0] >= 2 && d[3] >= 2;
    let twelve = len == 12
        && ((d[0] >= 2 && verhoeff_digit(&d[..11]) == d[11]) || jp_check(&d[..11]) == d[11]);
    let cpf = len == 11;
    let cn_id = len == 15 || len == 18;
    card || imei || cn_mobile || nanp || twelve || cpf || cn_id
}

/// The My Number check digit: weights from the right, 2 to 7 for the first six digits and 2
/// to 6 for the rest, modulo 11.
pub(super) fn jp_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .zip(0u32..)
        .map(|(&d, i)| u32::from(d) * if i < 6 { i + 2 } else { i - 4 })
        .sum();
    match sum % 11 {
        0 | 1 => 0,
        r => u8::try_from(11 - r).expect("a digit"),
    }
}
