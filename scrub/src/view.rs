//! The normalized view detectors read, and the way back to the original text.
//!
//! Personal data is written in many forms that mean the same characters: full-width digits and
//! `＠` from Chinese input methods, an ideographic full stop for a dot, zero-width characters
//! slipped inside an address, `%40` in a URL. Detectors see one form of each:
//! - a character whose Unicode compatibility decomposition (NFKD, from the
//!   `unicode-normalization` crate) is all ASCII becomes that ASCII: `１５９` → `159`, `＠` → `@`,
//!   `ﬁ` → `fi`; other characters stay as they are, so letters of other scripts keep their
//!   meaning (and `é` is not split into `e` and a combining accent);
//! - `。` and `｡` (ideographic full stops) read as `.`;
//! - format characters that render as nothing (zero-width spaces and joiners, soft hyphens,
//!   direction marks, the byte-order mark, variation selectors) are dropped;
//! - `%` and two hex digits naming a printable ASCII character read as that character.
//!
//! A match in the view maps back to exactly the original characters it covers, so replacing
//! them removes nothing more. Only the places where the view differs from the original are
//! remembered (an "edit" each), so text that needs no change (ASCII, or a script with nothing
//! to fold) is its own view: no copy and no map.

use std::borrow::Cow;

use unicode_normalization::char::decompose_compatible;

/// The text as detectors read it, and the edits that made it from the original.
pub(super) struct View<'t> {
    pub text: Cow<'t, str>,
    /// In view order: the view bytes `view.0..view.1` stand for the original bytes
    /// `original.0..original.1` (an empty view range for a dropped character). Between edits,
    /// view and original bytes correspond one to one.
    edits: Vec<Edit>,
}

#[derive(Debug, Clone, Copy)]
struct Edit {
    view: (usize, usize),
    original: (usize, usize),
}

/// What one original character becomes in the view.
enum Becomes {
    Itself,
    Nothing,
    Ascii(String),
    Escape(char),
}

fn becomes(original: &str, at: usize, c: char) -> Becomes {
    if c == '%' {
        return percent_escape(original.as_bytes(), at).map_or(Becomes::Itself, Becomes::Escape);
    }
    if c.is_ascii() {
        return Becomes::Itself;
    }
    if is_invisible(c) {
        return Becomes::Nothing;
    }
    fold(c).map_or(Becomes::Itself, Becomes::Ascii)
}

impl<'t> View<'t> {
    pub(super) fn new(original: &'t str) -> View<'t> {
        let quick = original.is_ascii() && !original.contains('%');
        let needs_change = !quick
            && original
                .char_indices()
                .any(|(at, c)| !matches!(becomes(original, at, c), Becomes::Itself));
        if !needs_change {
            return View {
                text: Cow::Borrowed(original),
                edits: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut edits = Vec::new();
        let mut chars = original.char_indices();
        while let Some((start, c)) = chars.next() {
            let end = start + c.len_utf8();
            let at = text.len();
            match becomes(original, start, c) {
                Becomes::Itself => {
                    text.push(c);
                    continue;
                }
                Becomes::Nothing => {}
                Becomes::Ascii(folded) => text.push_str(&folded),
                Becomes::Escape(decoded) => {
                    text.push(decoded);
                    chars.next();
                    chars.next();
                    edits.push(Edit {
                        view: (at, at + 1),
                        original: (start, start + 3),
                    });
                    continue;
                }
            }
            edits.push(Edit {
                view: (at, text.len()),
                original: (start, end),
            });
        }
        View {
            text: Cow::Owned(text),
            edits,
        }
    }

    /// The original byte range that the view's bytes `start..end` (non-empty) came from.
    pub(super) fn original(&self, start: usize, end: usize) -> (usize, usize) {
        if self.edits.is_empty() {
            return (start, end);
        }
        let from = match self.containing(start) {
            Ok(edit) => edit.original.0,
            Err(shift) => start - shift.1 + shift.0,
        };
        let to = match self.containing(end - 1) {
            Ok(edit) => edit.original.1,
            Err(shift) => end - shift.1 + shift.0,
        };
        (from, to)
    }

    /// The edit whose view range holds byte `at`, or else how far original positions are ahead
    /// of view positions there (as `(original, view)` offsets to add and subtract).
    fn containing(&self, at: usize) -> Result<&Edit, (usize, usize)> {
        // The last edit starting at or before `at`; a dropped character right at `at` is
        // before it.
        let i = self.edits.partition_point(|e| e.view.0 <= at);
        match i.checked_sub(1).map(|i| &self.edits[i]) {
            None => Err((0, 0)),
            Some(edit) if at < edit.view.1 => Ok(edit),
            Some(edit) => Err((edit.original.1, edit.view.1)),
        }
    }
}

/// The printable ASCII character `%XX` at `at` names, if it names one.
fn percent_escape(bytes: &[u8], at: usize) -> Option<char> {
    let hex = bytes.get(at + 1..at + 3)?;
    let text = std::str::from_utf8(hex).ok()?;
    let byte = u8::from_str_radix(text, 16).ok()?;
    (0x20..0x7f).contains(&byte).then_some(char::from(byte))
}

/// Characters that render as nothing and only split what a reader sees as one word.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// The blocks holding every character whose compatibility decomposition can be ASCII: Latin-1
/// signs, general punctuation to enclosed alphanumerics and arrows, CJK symbols and
/// punctuation, alphabetic presentation forms, small and full-width forms, mathematical
/// alphanumerics and enclosed supplements. Other characters (most text in other scripts) are
/// never looked up.
fn may_fold(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}'..='\u{00BF}'
            | '\u{2000}'..='\u{2BFF}'
            | '\u{3000}'..='\u{33FF}'
            | '\u{FB00}'..='\u{FB4F}'
            | '\u{FE10}'..='\u{FE6F}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{1D400}'..='\u{1D7FF}'
            | '\u{1F100}'..='\u{1F1FF}'
    )
}

/// The ASCII a character stands for, if its compatibility decomposition is all ASCII (or it
/// is an ideographic full stop).
fn fold(c: char) -> Option<String> {
    if matches!(c, '\u{3002}' | '\u{FF61}') {
        return Some(".".to_owned());
    }
    if !may_fold(c) {
        return None;
    }
    let mut folded = String::new();
    let mut ascii = true;
    decompose_compatible(c, |d| {
        ascii &= d.is_ascii();
        folded.push(d);
    });
    (ascii && !folded.is_empty()).then_some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back<'a>(original: &'a str, view: &View<'_>, needle: &str) -> &'a str {
        let at = view.text.find(needle).expect("in the view");
        let (s, e) = view.original(at, at + needle.len());
        &original[s..e]
    }

    #[test]
    fn text_with_nothing_to_change_is_its_own_view() {
        for text in ["plain text 12:34", "пользователь вошёл 用户登录 café"] {
            let view = View::new(text);
            assert!(matches!(view.text, Cow::Borrowed(_)), "{text}");
            assert_eq!(view.original(3, 6), (3, 6));
        }
    }

    #[test]
    fn full_width_zero_width_and_escapes_map_back_to_the_original() {
        let original = "邮箱ａｎｎ＠ｅｘａｍｐｌｅ。ｏｒｇ，a\u{200B}b%40c ﬁn";
        let view = View::new(original);
        assert_eq!(view.text, "邮箱ann@example.org,ab@c fin");
        assert_eq!(
            back(original, &view, "ann@example.org"),
            "ａｎｎ＠ｅｘａｍｐｌｅ。ｏｒｇ"
        );
        assert_eq!(back(original, &view, "ab@c"), "a\u{200B}b%40c");
        assert_eq!(back(original, &view, "b@c"), "b%40c");
        assert_eq!(back(original, &view, "fin"), "ﬁn");
        assert_eq!(back(original, &view, "邮箱"), "邮箱");
        // Half of a folded character maps to all of it.
        assert_eq!(back(original, &view, "f"), "ﬁ");
        // Letters of other scripts stay whole; a bare `%` stays.
        assert_eq!(View::new("café 100%").text, "café 100%");
        assert_eq!(View::new("１５９ ００００ １１１１").text, "159 0000 1111");
    }
}
