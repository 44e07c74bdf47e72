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
fn kinds_have_distinct_tags_and_names() {
    let kinds = [
        PiiKind::Jwt,
        PiiKind::Token,
        PiiKind::Secret,
        PiiKind::Credentials,
        PiiKind::Query,
        PiiKind::Email,
        PiiKind::UserPath,
        PiiKind::Id,
        PiiKind::Mac,
        PiiKind::Ip,
        PiiKind::Imei,
        PiiKind::Card,
        PiiKind::Phone,
    ];
    let mut tags: Vec<_> = kinds.iter().map(|k| (k.tag(), k.name())).collect();
    tags.sort_unstable();
    tags.dedup();
    assert_eq!(tags.len(), kinds.len());
}

#[test]
fn digit_runs() {
    assert!(has_digit_run("call 0170 1234567", 7));
    assert!(!has_digit_run("12:34:56", 7));
    assert!(!has_digit_run("v1.2.3", 4));
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
