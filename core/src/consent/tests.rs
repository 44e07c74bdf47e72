use super::*;
use crate::policy::Policy;

fn adult_granting(categories: &[Category]) -> Consent {
    let mut consent = Consent::default();
    for &c in categories {
        consent.set(c, true, 1).unwrap();
    }
    consent
}

fn permitted(consent: &Consent, policy: &Policy) -> Vec<Category> {
    Category::ALL
        .into_iter()
        .filter(|&c| consent.permit(c, policy).is_some())
        .collect()
}

#[test]
fn default_is_deny_everything() {
    assert!(permitted(&Consent::default(), &Policy::default()).is_empty());
}

#[test]
fn grant_then_withdraw() {
    let policy = Policy::default();
    let mut consent = Consent::default();
    consent.set(Category::Analytics, true, 10).unwrap();
    let permit = consent.permit(Category::Analytics, &policy).unwrap();
    assert_eq!(
        (permit.category(), permit.basis()),
        (Category::Analytics, Basis::Consent)
    );
    consent.set(Category::Analytics, false, 20).unwrap();
    assert!(consent.permit(Category::Analytics, &policy).is_none());
    assert_eq!(
        consent.decision(Category::Analytics),
        Some(Decision {
            granted: false,
            at_ms: 20,
            version: 0
        })
    );
    assert_eq!(consent.history().count(), 2);
}

#[test]
fn a_category_introduced_later_stays_off_until_consent_again() {
    let policy =
        Policy::from_json(r#"{"version": 2, "introduced_in": {"sensors_raw": 2}}"#).unwrap();
    let mut consent = Consent::default();
    consent.agree_to_version(1, 1);
    consent.set(Category::SensorsRaw, true, 2).unwrap();
    consent.set(Category::Sensors, true, 2).unwrap();
    assert!(
        consent.permit(Category::SensorsRaw, &policy).is_none(),
        "granted under v1, introduced in v2"
    );
    assert!(
        consent.permit(Category::Sensors, &policy).is_some(),
        "older categories keep their grant"
    );

    consent.agree_to_version(2, 3);
    assert!(
        consent.permit(Category::SensorsRaw, &policy).is_none(),
        "a version bump alone is not consent"
    );
    consent.set(Category::SensorsRaw, true, 4).unwrap();
    assert!(consent.permit(Category::SensorsRaw, &policy).is_some());
}

#[test]
fn a_child_without_guardian_consent_gets_essential_only() {
    let policy = Policy::default().with_essential("fraud detection");
    let mut consent = adult_granting(Category::USER);
    consent.set_age(AgeBand::Child, false, 5);
    assert_eq!(permitted(&consent, &policy), vec![Category::Essential]);
    assert!(
        permitted(&consent, &Policy::default()).is_empty(),
        "nothing without a declared essential purpose"
    );

    consent.set_age(AgeBand::Child, true, 6);
    let with_guardian = permitted(&consent, &policy);
    assert!(with_guardian.contains(&Category::Analytics));
    assert!(
        !with_guardian.contains(&Category::Advertising),
        "children never get advertising"
    );
    assert!(
        !with_guardian.contains(&Category::LocationPrecise),
        "children never get precise location"
    );
}

#[test]
fn minors_never_get_advertising_or_precise_location() {
    let policy = Policy::default();
    let mut consent = adult_granting(Category::USER);
    assert!(consent.permit(Category::Advertising, &policy).is_some());
    consent.set_age(AgeBand::Minor, false, 5);
    let p = permitted(&consent, &policy);
    assert!(!p.contains(&Category::Advertising) && !p.contains(&Category::LocationPrecise));
    assert!(p.contains(&Category::Location) && p.contains(&Category::Analytics));
}

#[test]
fn essential_is_declared_by_the_policy_not_granted_by_the_user() {
    let mut consent = Consent::default();
    assert_eq!(
        consent.set(Category::Essential, true, 1),
        Err(crate::Error::EssentialIsDeclared)
    );
    assert!(consent
        .permit(Category::Essential, &Policy::default())
        .is_none());
    let permit = consent
        .permit(
            Category::Essential,
            &Policy::default().with_essential("security"),
        )
        .unwrap();
    assert_eq!(permit.basis(), Basis::Essential);
}

#[test]
fn history_is_bounded() {
    let mut consent = Consent::default();
    for i in 0..(HISTORY_CAPACITY as u64 + 5) {
        consent.set(Category::Analytics, i % 2 == 0, i).unwrap();
    }
    assert_eq!(consent.history().count(), HISTORY_CAPACITY);
    assert!(matches!(
        consent.history().next(),
        Some(Change::Decision { at_ms: 5, .. })
    ));
}

#[test]
fn the_store_round_trips_state_and_history() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ConsentStore::in_dir(crate::storage::Filesystem::shared(), tmp.path());
    let (fresh, loaded) = store.load().unwrap();
    assert_eq!((fresh, loaded), (Consent::default(), Loaded::Fresh));

    let mut consent = Consent::default();
    consent.agree_to_version(3, 1);
    consent.set(Category::Location, true, 2).unwrap();
    consent.set_age(AgeBand::Minor, false, 3);
    store.save(&consent).unwrap();
    assert_eq!(store.load().unwrap(), (consent, Loaded::Restored));
}

#[test]
fn a_corrupt_store_is_kept_aside_and_consent_falls_back_to_deny() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ConsentStore::in_dir(crate::storage::Filesystem::shared(), tmp.path());
    std::fs::write(
        tmp.path().join(ConsentStore::FILE_NAME),
        b"{\"version\": \"not a number\"",
    )
    .unwrap();
    let (consent, loaded) = store.load().unwrap();
    assert_eq!(consent, Consent::default());
    let Loaded::Corrupt { kept_at, .. } = loaded else {
        panic!("expected Corrupt, got {loaded:?}")
    };
    assert_eq!(
        std::fs::read(kept_at).unwrap(),
        b"{\"version\": \"not a number\""
    );
}
