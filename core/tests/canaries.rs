//! No planted identifier ever leaves minimization, raw or under a reversible encoding, for any
//! combination of consent flags and age bands, unless the policy explicitly allows it (the
//! built-in policy allows precise location for adults who granted `location_precise`, and
//! nothing else on this list).

use modicum_core::consent::Consent;
use modicum_core::minimize::{minimize, Context};
use modicum_core::transform::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
use modicum_core::{AgeBand, Category, DataClass, Event, Policy, Value};
use proptest::prelude::*;

const IDFA: &str = "6D92078A-8246-4BA4-AE5B-76104861E7DC";
const ANDROID_ID: &str = "9774d56d682e549c";
const MAC: &str = "3c:22:fb:12:34:56";
const IMEI: &str = "490154203237518";
const SERIAL: &str = "R58M12ABCDE";
const EMAIL: &str = "canary.person@example.org";
const PHONE: &str = "+44 20 7946 0958";
const IP: &str = "203.0.113.77";
const LAT: f64 = 52.520_008;
const LON: f64 = 13.404_954;

/// Every form in which a canary must not appear in the output.
fn forbidden_forms(canary: &str) -> Vec<String> {
    let compact: String = canary
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut forms = vec![
        canary.to_owned(),
        canary.to_lowercase(),
        canary.to_uppercase(),
        compact.to_lowercase(),
    ];
    forms.push(canary.bytes().map(|b| format!("{b:02x}")).collect());
    forms.push(base64(canary.as_bytes()));
    forms.retain(|f| f.len() >= 6);
    forms
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|chunk| {
            let n =
                chunk.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            (0..=chunk.len()).map(move |i| ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char)
        })
        .collect()
}

/// The event an app could plausibly build: identifiers in their declared classes, the
/// recognizable ones also in free text, the IMEI also as a bare number, the place as a location.
fn planted_event(category: Category, text_prefix: &str) -> Event {
    let text = format!(
        "{text_prefix} user {EMAIL} phone {PHONE} from {IP} dev {MAC} imei {IMEI} ad {IDFA}"
    );
    Event::new("canary")
        .in_category(category)
        .with_class("idfa", Value::Text(IDFA.into()), DataClass::IdAdvertising)
        .with_class(
            "android_id",
            Value::Text(ANDROID_ID.into()),
            DataClass::IdVendor,
        )
        .with_class("mac", Value::Text(MAC.into()), DataClass::IdHardware)
        .with_class("imei", Value::Text(IMEI.into()), DataClass::IdHardware)
        .with_class("serial", Value::Text(SERIAL.into()), DataClass::IdHardware)
        .with_class("email", Value::Text(EMAIL.into()), DataClass::Contact)
        .with_class("phone", Value::Text(PHONE.into()), DataClass::Contact)
        .with_class("ip", Value::Text(IP.into()), DataClass::NetworkIp)
        .with("imei_number", Value::Int(490_154_203_237_518))
        .with("where", Value::Location { lat: LAT, lon: LON })
        .with("message", Value::Text(text.clone()))
        .with_class("log", Value::Text(text), DataClass::Text)
}

fn consent_from_bits(bits: u16, age: AgeBand, guardian: bool) -> Consent {
    let mut consent = Consent::default();
    for (i, &category) in Category::USER.iter().enumerate() {
        consent
            .set(category, bits & (1 << i) != 0, 0)
            .expect("user categories can be set");
    }
    consent.set_age(age, guardian, 0);
    consent
}

fn check(
    bits: u16,
    age: AgeBand,
    guardian: bool,
    category: Category,
    prefix: &str,
) -> Result<(), TestCaseError> {
    let policy = Policy::default().with_essential("canary test");
    let consent = consent_from_bits(bits, age, guardian);
    let pseudonymizer = Pseudonymizer::new(&InstallSecret::from_bytes([3; 32]), DEFAULT_ROTATION)
        .expect("valid period");
    let cx = Context {
        permits: consent.permits(&policy),
        policy: &policy,
        pseudonymizer: &pseudonymizer,
        now_ms: 1_795_000_000_000,
    };
    let (minimized, trace) = minimize(planted_event(category, prefix), &cx);
    let output = format!(
        "{} {}",
        serde_json::to_string(&minimized).expect("serializes"),
        serde_json::to_string(&trace).expect("serializes")
    );
    for canary in [IDFA, ANDROID_ID, MAC, IMEI, SERIAL, EMAIL, PHONE, IP] {
        for form in forbidden_forms(canary) {
            prop_assert!(!output.contains(&form), "{canary} leaked as {form} (bits {bits:#b}, {age:?}, guardian {guardian}): {output}");
        }
    }
    let precise_allowed =
        age == AgeBand::Adult && consent.permit(Category::LocationPrecise, &policy).is_some();
    if !precise_allowed {
        for coordinate in ["52.520008", "13.404954", "52.52000", "13.40495"] {
            prop_assert!(
                !output.contains(coordinate),
                "precise location leaked (bits {bits:#b}, {age:?}): {output}"
            );
        }
    }
    Ok(())
}

const AUDIENCES: [(AgeBand, bool); 4] = [
    (AgeBand::Adult, false),
    (AgeBand::Minor, false),
    (AgeBand::Child, true),
    (AgeBand::Child, false),
];

#[test]
fn no_canary_leaks_for_any_consent_combination_or_age_band() {
    for bits in 0..(1u16 << Category::USER.len()) {
        for (age, guardian) in AUDIENCES {
            for category in [Category::Analytics, Category::Essential] {
                check(bits, age, guardian, category, "log:").unwrap();
            }
        }
    }
}

proptest! {
    #[test]
    fn no_canary_leaks_whatever_surrounds_it(
        bits in 0u16..(1 << 9),
        audience in 0usize..4,
        essential in any::<bool>(),
        prefix in "[a-zA-Z0-9 .,:;=/_-]{0,40}",
    ) {
        let (age, guardian) = AUDIENCES[audience];
        let category = if essential { Category::Essential } else { Category::Analytics };
        check(bits, age, guardian, category, &prefix)?;
    }
}
