//! Free-text scrubbing: personal data found in text is replaced by a bracketed tag naming
//! what was removed, so the rest of the text stays readable.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

// The `regex` crate matches in linear time, so hostile input cannot stall the worker.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b")
        .expect("the email pattern is valid")
});

/// Returns `text` with every email address replaced by `[email]`; borrows when nothing matched.
pub fn scrub(text: &str) -> Cow<'_, str> {
    EMAIL.replace_all(text, "[email]")
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn emails_are_replaced() {
        assert_eq!(scrub("mail jane.doe+x@mail.example.com now"), "mail [email] now");
        assert_eq!(scrub("A@B.CO and c@d.org"), "[email] and [email]");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["user @ home", "v1.2.3@4", "at 0x7ffd1234 in main.rs:42", "HTTP 404"] {
            assert_eq!(scrub(text), text);
        }
    }
}
