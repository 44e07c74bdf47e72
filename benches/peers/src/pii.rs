//! The personal data planted in the session's free text and URLs: mainland China mobile
//! numbers, 18-digit resident identity numbers with a valid check digit, and email addresses.
//! Each value is distinct, so finding it in a body means that body carries it.

use crate::workload::Rng;

/// Every planted value, by family.
#[derive(Debug, Clone, Default)]
pub struct Planted {
    pub phones: Vec<String>,
    pub ids: Vec<String>,
    pub emails: Vec<String>,
}

/// How many of each family the session plants.
pub const PER_FAMILY: usize = 24;

impl Planted {
    pub fn generate(rng: &mut Rng) -> Planted {
        let mut planted = Planted::default();
        while planted.phones.len() < PER_FAMILY {
            let phone = mobile(rng);
            if !planted.phones.contains(&phone) {
                planted.phones.push(phone);
            }
        }
        while planted.ids.len() < PER_FAMILY {
            let id = resident_id(rng);
            if !planted.ids.contains(&id) {
                planted.ids.push(id);
            }
        }
        for i in 0..PER_FAMILY {
            planted.emails.push(email(rng, i));
        }
        planted
    }

    /// The families in table order, with their names.
    pub fn families(&self) -> [(&'static str, &[String]); 3] {
        [
            ("phones", &self.phones),
            ("IDs", &self.ids),
            ("emails", &self.emails),
        ]
    }
}

/// How many values of each family appear in any of `plaintexts`.
pub fn found(planted: &Planted, plaintexts: &[Vec<u8>]) -> [usize; 3] {
    planted.families().map(|(_, values)| {
        values
            .iter()
            .filter(|v| plaintexts.iter().any(|p| contains(p, v.as_bytes())))
            .count()
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A mainland mobile number: a carrier prefix, then eight digits.
fn mobile(rng: &mut Rng) -> String {
    const PREFIXES: [&str; 16] = [
        "134", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "182", "186",
        "187", "188", "199",
    ];
    format!("{}{:08}", rng.pick(&PREFIXES), rng.below(100_000_000))
}

/// A resident identity number: region, birth date, sequence, and the ISO 7064 MOD 11-2 check
/// character of GB 11643.
fn resident_id(rng: &mut Rng) -> String {
    const REGIONS: [&str; 6] = ["110105", "310115", "440305", "330106", "510107", "420111"];
    let body = format!(
        "{}{}{:02}{:02}{:03}",
        rng.pick(&REGIONS),
        1960 + rng.below(45),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000),
    );
    let check = id_check(&body);
    format!("{body}{check}")
}

/// The check character of the first 17 digits of a resident identity number.
pub fn id_check(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn email(rng: &mut Rng, i: usize) -> String {
    const NAMES: [&str; 8] = [
        "zhang.wei",
        "li.na",
        "wang.fang",
        "liu.yang",
        "chen.jing",
        "yang.min",
        "zhao.lei",
        "huang.xiu",
    ];
    const DOMAINS: [&str; 3] = ["example.cn", "example.com", "mail.example.net"];
    // The index keeps every address distinct.
    format!(
        "{}{}{}@{}",
        rng.pick(&NAMES),
        i,
        rng.below(90) + 10,
        rng.pick(&DOMAINS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character_matches_the_published_example() {
        // The example number of GB 11643-1999.
        assert_eq!(id_check("11010519491231002"), 'X');
        assert_eq!(id_check("44052418800101001"), '4');
    }

    #[test]
    fn planted_values_are_distinct_and_well_formed() {
        let planted = Planted::generate(&mut Rng::new(7));
        for id in &planted.ids {
            assert_eq!(id.len(), 18);
            assert_eq!(id.chars().last(), Some(id_check(&id[..17])));
        }
        for phone in &planted.phones {
            assert_eq!(phone.len(), 11);
            assert!(phone.starts_with('1'));
        }
        let mut emails = planted.emails.clone();
        emails.dedup();
        assert_eq!(emails.len(), PER_FAMILY);
    }
}
