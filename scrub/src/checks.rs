//! Check digits and structure rules: what tells an identifier from a number that only looks
//! like one. Each function takes the characters without separators.

/// Digits as values, or `None` if any byte is not an ASCII digit.
pub(super) fn digits(text: &[u8]) -> Option<Vec<u8>> {
    text.iter()
        .map(|&b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

/// The Luhn check (payment cards, IMEIs).
pub(super) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum % 10 == 0
}

/// A payment card: an issuer's prefix with that issuer's lengths (Visa, Mastercard, American
/// Express, Discover, UnionPay, JCB, Diners Club, Maestro), and the Luhn check. A millisecond
/// timestamp starts with 1, which no network uses.
pub(super) fn card(digits: &[u8]) -> bool {
    let len = digits.len();
    if !(13..=19).contains(&len) {
        return false;
    }
    let prefix = |n: usize| number(&digits[..n]);
    let issued = match digits[0] {
        4 => matches!(len, 13 | 16 | 19),
        2 => (2221..=2720).contains(&prefix(4)) && len == 16,
        3 => match prefix(2) {
            34 | 37 => len == 15,
            35 => (16..=19).contains(&len),
            30 | 36 | 38 | 39 => (14..=19).contains(&len),
            _ => false,
        },
        5 => match prefix(2) {
            51..=55 => len == 16,
            // Maestro also issues 12 digits, but 12 digits in fours are far likelier an
            // Aadhaar or a My Number, which have checks of their own.
            50 | 56..=58 => (13..=19).contains(&len),
            _ => false,
        },
        6 => (16..=19).contains(&len) || (13..=19).contains(&len) && prefix(2) == 67,
        _ => false,
    };
    issued && luhn(digits)
}

/// An IMEI: 15 digits with the Luhn check (and not an American Express card, 34 or 37).
pub(super) fn imei(digits: &[u8]) -> bool {
    digits.len() == 15 && !matches!(digits[0] * 10 + digits[1], 34 | 37) && luhn(digits)
}

/// Mainland China province codes: the first two digits of a resident identity number.
const CN_PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn date_ok(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, &d| n * 10 + u32::from(d))
}

/// A mainland China resident identity number: 18 characters (province, area, birth date,
/// sequence, and an ISO 7064 MOD 11-2 check character that may be `X`), or the legacy 15-digit
/// form (province, area, two-digit birth year and date, sequence; no check character).
pub(super) fn cn_resident_id(text: &[u8]) -> bool {
    match text.len() {
        18 => {
            let Some(body) = digits(&text[..17]) else {
                return false;
            };
            let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            let sum: u32 = body
                .iter()
                .zip(weights)
                .map(|(&d, w)| u32::from(d) * w)
                .sum();
            let expected = b"10X98765432"[(sum % 11) as usize];
            let check = text[17].to_ascii_uppercase();
            let year = number(&body[6..10]);
            check == expected
                && CN_PROVINCES.contains(&(body[0] * 10 + body[1]))
                && (1900..=2099).contains(&year)
                && date_ok(year, number(&body[10..12]), number(&body[12..14]))
        }
        15 => digits(text).is_some_and(|d| {
            let year = 1900 + number(&d[6..8]);
            CN_PROVINCES.contains(&(d[0] * 10 + d[1]))
                && date_ok(year, number(&d[8..10]), number(&d[10..12]))
        }),
        _ => false,
    }
}

/// A mainland China mobile number: 11 digits, `1` then `3` to `9`.
pub(super) fn cn_mobile(digits: &[u8]) -> bool {
    digits.len() == 11 && digits[0] == 1 && (3..=9).contains(&digits[1])
}

/// A US Social Security number: area 001–899 but not 666, group 01–99, serial 0001–9999.
pub(super) fn us_ssn(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let (area, group, serial) = (
        number(&digits[..3]),
        number(&digits[3..5]),
        number(&digits[5..]),
    );
    (1..=899).contains(&area) && area != 666 && group != 0 && serial != 0
}

/// A North American (NANP) number without country code: area and exchange codes start with 2
/// to 9, and the area code is not an `N11` service code.
pub(super) fn nanp(digits: &[u8]) -> bool {
    digits.len() == 10 && digits[0] >= 2 && !(digits[1] == 1 && digits[2] == 1) && digits[3] >= 2
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// The Verhoeff check (India's Aadhaar).
pub(super) fn verhoeff(digits: &[u8]) -> bool {
    let c = digits.iter().rev().enumerate().fold(0u8, |c, (i, &d)| {
        VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(d)])]
    });
    c == 0
}

/// An Aadhaar number: 12 digits, the first 2 to 9, and the Verhoeff check.
pub(super) fn in_aadhaar(digits: &[u8]) -> bool {
    digits.len() == 12 && digits[0] >= 2 && verhoeff(digits)
}

/// Japan's Individual Number (My Number): 12 digits, the last a check digit over the other
/// eleven with weights 2–7 then 2–6 from the right, modulo 11.
pub(super) fn jp_my_number(digits: &[u8]) -> bool {
    if digits.len() != 12 {
        return false;
    }
    let sum: u32 = digits[..11]
        .iter()
        .rev()
        .zip(1u32..)
        .map(|(&d, n)| u32::from(d) * if n <= 6 { n + 1 } else { n - 5 })
        .sum();
    let remainder = sum % 11;
    let check = if remainder <= 1 { 0 } else { 11 - remainder };
    u32::from(digits[11]) == check
}

/// Brazil's CPF: 11 digits with two modulo-11 check digits, not all the same digit.
pub(super) fn br_cpf(digits: &[u8]) -> bool {
    if digits.len() != 11 || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let check = |n: usize| {
        // Weights n + 1 down to 2 from the left, so 2 up from the right.
        let sum: u32 = digits[..n]
            .iter()
            .rev()
            .zip(2u32..)
            .map(|(&d, weight)| u32::from(d) * weight)
            .sum();
        (sum * 10 % 11 % 10) as u8
    };
    check(9) == digits[9] && check(10) == digits[10]
}

/// A letter's value in the identity numbers of Hong Kong and Taiwan.
fn letter(b: u8) -> Option<u32> {
    b.is_ascii_uppercase().then(|| u32::from(b - b'A'))
}

/// A Hong Kong identity card number: one or two letters, six digits, and a check character
/// (a digit or `A`) so that the weighted sum is a multiple of 11. Brackets are removed first.
pub(super) fn hk_id(text: &[u8]) -> bool {
    let (letters, rest) = match text {
        [a, b, rest @ ..] if b.is_ascii_uppercase() => (vec![*a, *b], rest),
        [a, rest @ ..] => (vec![*a], rest),
        [] => return false,
    };
    let [d @ .., check] = rest else {
        return false;
    };
    let Some(d) = digits(d).filter(|d| d.len() == 6) else {
        return false;
    };
    // A single letter is read as if a space (36) came before it.
    let mut values: Vec<u32> = if letters.len() == 1 { vec![36] } else { vec![] };
    for &l in &letters {
        match letter(l) {
            Some(v) => values.push(v + 10),
            None => return false,
        }
    }
    values.extend(d.iter().map(|&d| u32::from(d)));
    let check = match check {
        b'A' => 10,
        c if c.is_ascii_digit() => u32::from(c - b'0'),
        _ => return false,
    };
    let sum: u32 = values.iter().zip((2..=9).rev()).map(|(v, w)| v * w).sum();
    (sum + check) % 11 == 0
}

/// Taiwan's national identification number (and the resident certificate's new form): a
/// letter, `1`, `2`, `8` or `9`, seven digits, and a check digit.
pub(super) fn tw_id(text: &[u8]) -> bool {
    const VALUES: &[u8; 26] = &[
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    let [l, rest @ ..] = text else {
        return false;
    };
    let (Some(l), Some(d)) = (letter(*l), digits(rest)) else {
        return false;
    };
    if d.len() != 9 || !matches!(d[0], 1 | 2 | 8 | 9) {
        return false;
    }
    let n = u32::from(VALUES[l as usize]);
    let weights = [8, 7, 6, 5, 4, 3, 2, 1, 1];
    let sum = n / 10
        + (n % 10) * 9
        + d.iter()
            .zip(weights)
            .map(|(&d, w)| u32::from(d) * w)
            .sum::<u32>();
    sum % 10 == 0
}

/// The length of an IBAN in each country that issues them (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// How long an IBAN of `country` (two capital letters) is, if the country issues them.
pub(super) fn iban_length(country: &[u8; 2]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(code, _)| *code == country)
        .map(|&(_, len)| len)
}

/// An IBAN: a country's code and length, and the ISO 7064 MOD 97-10 check (the number, its
/// first four characters moved to the end and letters read as 10–35, leaves 1 modulo 97).
pub(super) fn iban(text: &[u8]) -> bool {
    let Some(country) = text.get(..2) else {
        return false;
    };
    let length_ok = IBAN_LENGTHS
        .iter()
        .any(|(code, len)| &code[..] == country && *len == text.len());
    if !length_ok || !text[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut remainder = 0u32;
    for &b in text[4..].iter().chain(&text[..4]) {
        remainder = match b {
            b'0'..=b'9' => (remainder * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => (remainder * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        digits(s.as_bytes()).unwrap()
    }

    /// Published examples: the card networks' test numbers, the IMEI in 3GPP's example, the
    /// resident identity number in GB 11643's example, an IBAN from the ISO 13616 registry,
    /// the SSA's and the other issuers' documented shapes.
    #[test]
    fn published_examples_pass_and_one_changed_digit_fails() {
        assert!(card(&d("4111111111111111")) && card(&d("6222021234567890128")));
        assert!(!card(&d("4111111111111112")) && !card(&d("1795359944414")));
        assert!(imei(&d("490154203237518")) && !imei(&d("490154203237517")));
        assert!(!imei(&d("378282246310005")), "an Amex card");
        assert!(cn_resident_id(b"11010519491231002X") && cn_resident_id(b"11010519491231002x"));
        assert!(!cn_resident_id(b"110105194912310021"));
        assert!(!cn_resident_id(b"99010519491231002X"), "no such province");
        assert!(cn_resident_id(b"110105491231002") && !cn_resident_id(b"110105491331002"));
        assert!(iban(b"DE89370400440532013000") && iban(b"GB82WEST12345698765432"));
        assert!(!iban(b"DE89370400440532013001") && !iban(b"DE8937040044053201300"));
        assert!(us_ssn(&d("536221234")) && !us_ssn(&d("666221234")) && !us_ssn(&d("536001234")));
        assert!(!us_ssn(&d("900221234")) && !us_ssn(&d("536220000")));
        assert!(in_aadhaar(&d("234123412346")) && !in_aadhaar(&d("234123412345")));
        assert!(
            !in_aadhaar(&d("123412341234")),
            "Aadhaar never starts with 0 or 1"
        );
        assert!(jp_my_number(&d("123456789018")) && !jp_my_number(&d("123456789017")));
        assert!(br_cpf(&d("11144477735")) && !br_cpf(&d("11144477736")));
        assert!(!br_cpf(&d("11111111111")), "all one digit");
        assert!(hk_id(b"A1234563") && hk_id(b"AB9876543") && !hk_id(b"A1234564"));
        assert!(tw_id(b"A123456789") && !tw_id(b"A123456788") && !tw_id(b"A323456789"));
        assert!(cn_mobile(&d("15900001111")) && !cn_mobile(&d("12900001111")));
        assert!(nanp(&d("2025550143")) && !nanp(&d("1025550143")) && !nanp(&d("2115550143")));
        assert!(!nanp(&d("2021550143")), "an exchange starting with 1");
    }
}
