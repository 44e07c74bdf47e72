//! Home paths: the user's account name in `/Users/<name>`, `/home/<name>`,
//! `C:\Users\<name>`, and the app's package in Android's `/data/user/<n>/<package>`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, replace, Found, PiiKind};

static HOME: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r#"(?i)((?:^|[^\w])(?:/Users/|/home/|[a-z]:\\Users\\|/data/user/\d+/))([^/\\\s:'"]+)"#)
});

/// Account folders that name no person.
const SHARED: [&str; 4] = ["shared", "public", "default", "all users"];

pub(super) fn may_hold_home(text: &str) -> bool {
    text.contains("/Users/")
        || text.contains("/home/")
        || text.contains("\\Users\\")
        || text.contains("/data/user/")
        || text.contains("\\users\\")
}

pub(super) fn home_paths<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&HOME, text, found, |c| {
        let name = &c[2];
        if SHARED.contains(&name.to_ascii_lowercase().as_str()) || name.starts_with('[') {
            return None;
        }
        Some((
            PiiKind::UserPath,
            format!("{}{}", &c[1], PiiKind::UserPath.tag()),
        ))
    })
}
