//! Generators of valid identifiers, one per family, each in the written forms people use;
//! check digits computed here, independently of the scrubber's code.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn word(rng: &mut XorShiftRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

pub(super) fn email(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let (user, domain) = (word(rng, 5), word(rng, 7));
    let tld = ["com", "org", "cn", "net", "io"][rng.random_range(0..5)];
    let plain = format!("{user}.{}@{domain}.{tld}", word(rng, 3));
    match pick % 7 {
        0 => ("plain", plain),
        1 => ("upper", plain.to_uppercase()),
        2 => ("full_width", full_width(&plain)),
        3 => {
            let at = plain.find('@').unwrap_or(0);
            (
                "zero_width",
                format!("{}\u{200B}{}", &plain[..at], &plain[at..]),
            )
        }
        4 => ("percent_40", plain.replace('@', "%40")),
        5 => ("spelled", format!("{user} at {domain} dot {tld}")),
        _ => ("bracketed", format!("{user} [at] {domain} [dot] {tld}")),
    }
}

pub(super) fn cn_mobile_digits(rng: &mut XorShiftRng) -> String {
    let second = rng.random_range(3..10u8);
    format!("1{second}{}", text(&digits(rng, 9)))
}

pub(super) fn cn_mobile(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let n = cn_mobile_digits(rng);
    match pick % 8 {
        0 => ("bare", n),
        1 => ("dashed", grouped(&n, &[3, 4, 4], "-")),
        2 => ("spaced", grouped(&n, &[3, 4, 4], " ")),
        3 => (
            "+86_spaced",
            format!("+86 {}", grouped(&n, &[3, 4, 4], " ")),
        ),
        4 => ("+86", format!("+86{n}")),
        5 => ("0086", format!("0086 {n}")),
        6 => ("full_width", full_width(&n)),
        _ => ("next_to_chinese", n),
    }
}

pub(super) fn phone(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    // North American numbers with area and exchange codes from 2 to 9, not dates.
    let area = format!("{}{}", rng.random_range(2..10u8), text(&digits(rng, 2)));
    let area = if &area[1..] == "11" {
        format!("{}12", &area[..1])
    } else {
        area
    };
    let exchange = format!("{}{}", rng.random_range(2..10u8), text(&digits(rng, 2)));
    let line = text(&digits(rng, 4));
    match pick % 8 {
        0 => ("nanp_dashed", format!("{area}-{exchange}-{line}")),
        1 => ("nanp_dotted", format!("{area}.{exchange}.{line}")),
        2 => ("nanp_brackets", format!("({area}) {exchange}-{line}")),
        3 => ("nanp_spaced", format!("{area} {exchange} {line}")),
        4 => ("nanp_plus1", format!("+1 {area} {exchange} {line}")),
        5 => (
            "uk",
            format!("+44 20 {} {}", text(&digits(rng, 4)), text(&digits(rng, 4))),
        ),
        6 => ("de", format!("+49 170 {}", text(&digits(rng, 7)))),
        _ => (
            "fr",
            format!(
                "+33 1 {} {} {} {}",
                text(&digits(rng, 2)),
                text(&digits(rng, 2)),
                text(&digits(rng, 2)),
                text(&digits(rng, 2))
            ),
        ),
    }
}

/// The first two digits of the provinces of mainland China.
pub(super) const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

pub(super) fn birth_date(rng: &mut XorShiftRng) -> (u32, u32, u32) {
    (
        rng.random_range(1950..2010),
        rng.random_range(1..13),
        rng.random_range(1..29),
    )
}

pub(super) fn cn_resident_id(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let province = PROVINCES[rng.random_range(0..PROVINCES.len())];
    let area = rng.random_range(101..9999u32);
    let (y, m, d) = birth_date(rng);
    let seq = rng.random_range(0..1000u32);
    if pick % 5 == 4 {
        return (
            "legacy_15",
            format!("{province}{area:04}{:02}{m:02}{d:02}{seq:03}", y % 100),
        );
    }
    let body = format!("{province}{area:04}{y}{m:02}{d:02}{seq:03}");
    // ISO 7064 MOD 11-2: weight 2^(17-i) mod 11 for the i-th of 17 digits.
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (1u32 << (17 - i)) % 11)
        .sum();
    let check = (12 - sum % 11) % 11;
    let check = if check == 10 {
        "X".to_owned()
    } else {
        check.to_string()
    };
    let id = format!("{body}{check}");
    match pick % 5 {
        0 | 1 => ("bare", id),
        2 => ("grouped", grouped(&id, &[6, 8, 4], " ")),
        _ => ("full_width", full_width(&id)),
    }
}

/// The Luhn check digit for `body`.
pub(super) fn luhn_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

pub(super) fn with_luhn(mut body: Vec<u8>) -> String {
    body.push(luhn_digit(&body));
    text(&body)
}

pub(super) fn card(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let (prefix, len): (&[u8], usize) = match pick % 5 {
        0 => (&[4], 16),
        1 => (&[5, rng.random_range(1..6)], 16),
        2 => (&[3, 7], 15),
        3 => (&[6, 2], [16, 17, 18, 19][rng.random_range(0..4)]),
        _ => (&[3, 5], 16),
    };
    let mut body = prefix.to_vec();
    body.extend(digits(rng, len - 1 - prefix.len()));
    let n = with_luhn(body);
    let grouped_form = match n.len() {
        15 => grouped(&n, &[4, 6, 5], " "),
        len => {
            let mut sizes = vec![4; len / 4];
            if len % 4 > 0 {
                sizes.push(len % 4);
            }
            grouped(&n, &sizes, " ")
        }
    };
    match pick % 3 {
        0 => ("bare", n),
        1 => ("grouped", grouped_form),
        _ => ("dashed", grouped_form.replace(' ', "-")),
    }
}

pub(super) fn imei(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    // Type allocation codes start 35, 86, 01 or 99 (never 34 or 37, American Express's).
    let tac: &[u8] = [&[3, 5][..], &[8, 6], &[0, 1], &[9, 9]][rng.random_range(0..4)];
    let mut body = tac.to_vec();
    body.extend(digits(rng, 12));
    let n = with_luhn(body);
    match pick % 3 {
        0 => ("bare", n),
        1 => ("glued_to_letters", format!("{GLUE}{n}")),
        _ => ("grouped", grouped(&n, &[2, 6, 6, 1], "-")),
    }
}

/// The ISO 7064 MOD 97-10 remainder of a string of digits and capital letters.
pub(super) fn mod97(s: &str) -> u32 {
    s.chars().fold(0, |r, c| {
        let v = c.to_digit(36).expect("alphanumeric");
        if v < 10 {
            (r * 10 + v) % 97
        } else {
            (r * 100 + v) % 97
        }
    })
}

pub(super) fn iban(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let letters = |rng: &mut XorShiftRng, n: usize| word(rng, n).to_uppercase();
    let (country, bban) = match pick % 5 {
        0 => ("DE", text(&digits(rng, 18))),
        1 => (
            "GB",
            format!("{}{}", letters(rng, 4), text(&digits(rng, 14))),
        ),
        2 => (
            "NL",
            format!("{}{}", letters(rng, 4), text(&digits(rng, 10))),
        ),
        3 => ("ES", text(&digits(rng, 20))),
        _ => ("FR", text(&digits(rng, 23))),
    };
    let check = 98 - mod97(&format!("{bban}{country}00"));
    let n = format!("{country}{check:02}{bban}");
    if pick % 2 == 0 {
        ("compact", n)
    } else {
        let mut sizes = vec![4; n.len() / 4];
        if n.len() % 4 > 0 {
            sizes.push(n.len() % 4);
        }
        ("grouped", grouped(&n, &sizes, " "))
    }
}

pub(super) fn us_ssn(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let mut area = rng.random_range(1..900u32);
    if area == 666 {
        area = 667;
    }
    let (group, serial) = (rng.random_range(1..100u32), rng.random_range(1..10000u32));
    let sep = if pick % 2 == 0 { "-" } else { " " };
    (
        "dashed",
        format!("{area:03}{sep}{group:02}{sep}{serial:04}"),
    )
}

pub(super) fn hk_id(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let two = pick % 3 == 2;
    let letters = word(rng, if two { 2 } else { 1 }).to_uppercase();
    let body = text(&digits(rng, 6));
    // Weights 9 to 2 over [space (36) or first letter][letter][six digits]; letters A=10.
    let mut values: Vec<u32> = letters
        .chars()
        .map(|c| c as u32 - 'A' as u32 + 10)
        .collect();
    if !two {
        values.insert(0, 36);
    }
    values.extend(body.bytes().map(|b| u32::from(b - b'0')));
    let sum: u32 = values.iter().zip((2..=9).rev()).map(|(v, w)| v * w).sum();
    let check = match (11 - sum % 11) % 11 {
        10 => "A".to_owned(),
        c => c.to_string(),
    };
    if pick % 2 == 0 {
        ("bracketed", format!("{letters}{body}({check})"))
    } else {
        ("bare", format!("{letters}{body}{check}"))
    }
}

pub(super) fn tw_id(rng: &mut XorShiftRng) -> (&'static str, String) {
    const CODES: &str = "ABCDEFGHJKLMNPQRSTUVXYWZIO";
    let index = rng.random_range(0..26usize);
    let letter = CODES.as_bytes()[index];
    // The letter's two-digit code is 10 + its place in this order.
    let code = 10 + u32::try_from(index).expect("an index below 26");
    let mut body = vec![rng.random_range(1..3u8)];
    body.extend(digits(rng, 7));
    let weights = [8u32, 7, 6, 5, 4, 3, 2, 1];
    let sum = code / 10
        + (code % 10) * 9
        + body
            .iter()
            .zip(weights)
            .map(|(&d, w)| u32::from(d) * w)
            .sum::<u32>();
    let check = (10 - sum % 10) % 10;
    (
        "bare",
        format!("{}{}{check}", char::from(letter), text(&body)),
    )
}

pub(super) fn jp_my_number(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let body = digits(rng, 11);
    let n = format!("{}{}", text(&body), jp_check(&body));
    if pick % 2 == 0 {
        ("bare", n)
    } else {
        ("grouped", grouped(&n, &[4, 4, 4], " "))
    }
}

/// Verhoeff's scheme over the dihedral group D5, computed rather than tabled: elements 0–4
/// are rotations, 5–9 reflections.
pub(super) fn d5(a: u8, b: u8) -> u8 {
    match (a < 5, b < 5) {
        (true, true) => (a + b) % 5,
        (true, false) => 5 + (a + b - 5) % 5,
        (false, true) => 5 + (a + 5 - b) % 5,
        (false, false) => (a + 10 - b) % 5,
    }
}

pub(super) fn verhoeff_permute(d: u8, times: usize) -> u8 {
    // The permutation (1 5 8 9 4 2 7 0)(3 6).
    const P: [u8; 10] = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
    (0..times).fold(d, |d, _| P[usize::from(d)])
}

pub(super) fn verhoeff_digit(body: &[u8]) -> u8 {
    let c = body
        .iter()
        .rev()
        .enumerate()
        .fold(0, |c, (i, &d)| d5(c, verhoeff_permute(d, (i + 1) % 8)));
    // The inverse in D5: rotations invert to 5 − r, reflections are their own inverse.
    if c < 5 {
        (5 - c) % 5
    } else {
        c
    }
}

pub(super) fn in_aadhaar(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let mut body = vec![rng.random_range(2..10u8)];
    body.extend(digits(rng, 10));
    let check = verhoeff_digit(&body);
    body.push(check);
    let n = text(&body);
    if pick % 2 == 0 {
        ("grouped", grouped(&n, &[4, 4, 4], " "))
    } else {
        ("bare", n)
    }
}

pub(super) fn br_cpf(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let mut d = digits(rng, 9);
    if d.iter().all(|&x| x == d[0]) {
        d[0] = (d[0] + 1) % 10;
    }
    for n in [9usize, 10] {
        // Weights n + 1 down to 2 from the left, so 2 up from the right.
        let sum: u32 = d[..n]
            .iter()
            .rev()
            .zip(2u32..)
            .map(|(&x, weight)| u32::from(x) * weight)
            .sum();
        let r = sum % 11;
        d.push(if r < 2 {
            0
        } else {
            u8::try_from(11 - r).expect("a digit")
        });
    }
    let n = text(&d);
    if pick % 2 == 0 {
        (
            "formatted",
            format!("{}.{}.{}-{}", &n[..3], &n[3..6], &n[6..9], &n[9..]),
        )
    } else {
        ("bare", n)
    }
}

pub(super) fn ip(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let octet = |rng: &mut XorShiftRng| rng.random_range(1..255u32);
    let (a, b, c, d) = (octet(rng), octet(rng), octet(rng), octet(rng));
    match pick % 3 {
        0 => ("v4", format!("{a}.{b}.{c}.{d}")),
        1 => ("v4_leading_zeros", format!("{a:03}.{b:03}.{c:03}.{d:03}")),
        _ => (
            "v6",
            format!("2001:db8:{:x}:{:x}::{:x}", a * 7, b * 11, c * 13 + 1),
        ),
    }
}

pub(super) fn hex(rng: &mut XorShiftRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect()
}

pub(super) fn mac(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    // Letters and digits both, as every real address but one in a few thousand has.
    let mut h = hex(rng, 12);
    h.replace_range(0..2, "3c");
    let pairs: Vec<&str> = (0..6).map(|i| &h[2 * i..2 * i + 2]).collect();
    match pick % 3 {
        0 => ("colons", pairs.join(":")),
        1 => ("dashes", pairs.join("-").to_uppercase()),
        _ => ("bare", h),
    }
}

pub(super) fn uuid(rng: &mut XorShiftRng, pick: usize) -> (&'static str, String) {
    let variant = char::from(b"89ab"[rng.random_range(0..4usize)]);
    let h = format!("{}4{}{variant}{}", hex(rng, 12), hex(rng, 3), hex(rng, 15));
    if pick % 2 == 0 {
        let dashed = grouped(&h, &[8, 4, 4, 4, 12], "-");
        ("dashed", dashed.to_uppercase())
    } else {
        ("bare", h)
    }
}
