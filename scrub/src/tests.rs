use super::*;

fn report(text: &str) -> (String, Vec<(PiiKind, u32)>) {
    let s = scrub_report(text);
    (s.text.into_owned(), s.found)
}

#[test]
fn clean_text_is_borrowed_and_reports_nothing() {
    let text = "at com.example.Foo.bar(Foo.kt:42) 0x00007ffd1234abcd v2.4.1";
    let s = scrub_report(text);
    assert!(matches!(s.text, Cow::Borrowed(_)));
    assert!(s.found.is_empty());
    assert_eq!(s.removed(), 0);
}

#[test]
fn counts_each_kind() {
    let (text, found) =
        report("ann@example.org, bo@example.com from 203.0.113.7 imei 490154203237518");
    assert_eq!(text, "[email], [email] from [ip] imei [imei]");
    assert_eq!(
        found,
        vec![(PiiKind::Email, 2), (PiiKind::Ip, 1), (PiiKind::Imei, 1)]
    );
}

#[test]
fn ipv6_needs_to_parse_and_stand_alone() {
    assert_eq!(
        scrub("peer 2001:db8::8a2e:370:7334 closed"),
        "peer [ip] closed"
    );
    assert_eq!(scrub("link fe80::1%eth0 up"), "link [ip] up");
    assert_eq!(scrub("mapped ::ffff:203.0.113.7"), "mapped [ip]");
    for clean in ["std::io::Error", "at 15:04:05", "Foo::bar::baz()", "a::b"] {
        assert_eq!(scrub(clean), clean);
    }
}

#[test]
fn dotted_versions_are_not_addresses() {
    for clean in [
        "version 1.2.3.4",
        "v10.0.19045.2965",
        "build 4.2.1.0",
        "999.1.1.1",
        "1.2.3.4.5",
    ] {
        assert_eq!(scrub(clean), clean, "{clean}");
    }
}

#[test]
fn families_have_distinct_names_that_parse_back() {
    let mut names: Vec<_> = PiiKind::ALL.iter().map(|k| k.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), PiiKind::ALL.len());
    for kind in PiiKind::ALL {
        assert_eq!(kind.name().parse::<PiiKind>(), Ok(kind));
        assert!(kind.tag().starts_with('[') && kind.tag().ends_with(']'));
    }
    assert!("telepathy".parse::<PiiKind>().is_err());
    let some: Families = [PiiKind::Email, PiiKind::Card].into_iter().collect();
    assert_eq!(
        some.iter().collect::<Vec<_>>(),
        [PiiKind::Email, PiiKind::Card]
    );
}

#[test]
fn digit_runs() {
    use numbers::has_digit_run;
    assert!(has_digit_run(b"call 0170 1234567", 7));
    assert!(!has_digit_run(b"12:34:56", 7));
    assert!(!has_digit_run(b"v1.2.3", 4));
}

#[test]
fn personal_data_next_to_other_scripts_is_found() {
    // Word boundaries are ASCII: a letter of another script beside the data does not hide it.
    assert_eq!(
        scrub("пользователь ann@example.org вошёл"),
        "пользователь [email] вошёл"
    );
    assert_eq!(scrub("éann@example.orgé"), "é[email]é");
    assert_eq!(
        scrub("カード4111111111111111で支払い"),
        "カード[card]で支払い"
    );
    assert_eq!(
        scrub("ID:6D92078A-8246-4BA4-AE5B-76104861E7DC。"),
        "ID:[id]。"
    );
}

#[test]
fn separators_close_together() {
    assert!(close_together("a-b-c-d-e", b'-', 4, 36));
    assert!(!close_together(
        "2026-11-22 and later 2026-11-23",
        b'-',
        4,
        10
    ));
    assert!(close_together(
        "2026-11-22 and later 2026-11-23",
        b'-',
        4,
        30
    ));
    assert!(!close_together("a-b", b'-', 3, 36));
    assert!(close_together("x.", b'.', 1, 1));
}

/// Characters that exercise every family and the normalized view: digits and separators in
/// ASCII and full width, letters that start identifiers, CJK text, invisible characters,
/// escapes and the punctuation the patterns look for.
fn hostile_char() -> impl proptest::strategy::Strategy<Value = char> {
    use proptest::prelude::*;
    prop_oneof![
        4 => proptest::char::range('0', '9'),
        2 => proptest::sample::select(vec![' ', '-', '.', '+', '(', ')', ':', '/', '@', '%', '=', '_', '[', ']', '\n']),
        2 => proptest::sample::select(vec!['A', 'X', 'x', 'a', 'f', 'D', 'E', 'G', 'B', 'e', 'y', 'J']),
        1 => proptest::char::range('０', '９'),
        1 => proptest::sample::select(vec!['＠', '。', '．', '\u{200B}', '\u{FEFF}', '\u{00AD}', 'ﬁ', '①', '短', '信', 'é', '\u{1}']),
        1 => any::<char>(),
    ]
}

proptest::proptest! {
    // MODICUM_SCRUB_CASES runs longer.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
        std::env::var("MODICUM_SCRUB_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
    ))]

    /// Whatever the text, scrubbing returns (never panics), every span lies on character
    /// boundaries of the original, and what comes out scrubs to itself.
    #[test]
    fn any_text_scrubs_without_panicking_and_settles(
        chars in proptest::collection::vec(hostile_char(), 0..120)
    ) {
        let text: String = chars.into_iter().collect();
        let once = scrub_report(&text);
        for span in &once.spans {
            proptest::prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            proptest::prop_assert!(span.start < span.end);
        }
        let twice = scrub_report(&once.text);
        proptest::prop_assert_eq!(&twice.text, &once.text, "{:?}", twice.spans);
    }
}

#[test]
fn a_doubles_integer_digits_are_read_and_its_fraction_never() {
    assert_eq!(integer_digits(16.285_714_285_714_285), Some(16));
    assert_eq!(integer_digits(-5.9), Some(5));
    assert_eq!(integer_digits(-0.0), Some(0));
    assert_eq!(
        integer_digits(4_111_111_111_111_111.0),
        Some(4_111_111_111_111_111)
    );
    assert_eq!(integer_digits(1e20), None, "beyond u64");
    assert_eq!(integer_digits(f64::NAN), None);
    assert_eq!(integer_digits(f64::INFINITY), None);
}
