//! Text: HTML entities unescaped, Unicode NFC, trimmed, whitespace collapsed, `""` → absent.
//! Every display string a connector stores passes through here first.

use unicode_normalization::UnicodeNormalization;

/// Cleans a display text: NFC, trimmed, runs of whitespace (including NBSP and the
/// ideographic space U+3000) collapsed to one space, zero-width spaces and stray control
/// characters dropped. Returns `None` for empty or whitespace-only input.
pub fn clean(raw: &str) -> Option<String> {
    // NFC first: composing never creates whitespace, and Thai vowels and tone marks are
    // left as they are (NFC only reorders/composes, it never drops a mark). ASCII text is
    // already NFC, and is most of what catalogues send: skip the normaliser for it.
    if raw.is_ascii() {
        collapse(raw.chars(), raw.len())
    } else {
        collapse(raw.nfc(), raw.len())
    }
}

/// Trims, collapses whitespace runs to one space and drops invisible characters.
fn collapse(chars: impl Iterator<Item = char>, len: usize) -> Option<String> {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if c.is_whitespace() {
            pending_space = true;
        } else if is_invisible(c) {
            // Zero-width spaces are word breaks in Thai text, not visible gaps: drop them.
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Characters that carry no visible text: zero-width space, BOM, and control characters
/// that are not whitespace (whitespace controls such as `\t` are collapsed instead).
/// Zero-width (non-)joiners stay: they change how Indic and Arabic scripts render.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}') || c.is_control()
}

/// [`clean`] over an optional value.
pub fn clean_opt(raw: Option<&str>) -> Option<String> {
    raw.and_then(clean)
}

/// Unescapes HTML entities (`&amp;` → `&`) in one pass, then [`clean`]s. A double-escaped
/// `&amp;amp;` becomes `&amp;`: unescaping twice would corrupt text that really says `&amp;`.
pub fn clean_escaped(raw: &str) -> Option<String> {
    clean(&html_escape::decode_html_entities(raw))
}

/// Replaces Thai digits (๐–๙) and full-width digits (０–９) with ASCII digits, so one
/// number grammar serves Thai, Chinese and Latin text.
pub fn ascii_digits(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{0E50}'..='\u{0E59}' => shift_digit(c, '\u{0E50}'),
            '\u{FF10}'..='\u{FF19}' => shift_digit(c, '\u{FF10}'),
            _ => c,
        })
        .collect()
}

fn shift_digit(c: char, zero: char) -> char {
    let offset = u32::from(c).saturating_sub(u32::from(zero));
    char::from_digit(offset, 10).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrounding_whitespace_is_trimmed_and_runs_collapsed() {
        assert_eq!(clean("  a \t\n b  ").as_deref(), Some("a b"));
    }

    #[test]
    fn empty_and_whitespace_only_text_is_absent() {
        assert_eq!(clean(""), None);
        assert_eq!(clean(" \n\t "), None);
        assert_eq!(clean("\u{00A0}\u{3000}\u{200B}"), None);
        assert_eq!(clean_opt(None), None);
        assert_eq!(clean_opt(Some("  ")), None);
    }

    #[test]
    fn nbsp_and_ideographic_space_collapse_to_one_space() {
        assert_eq!(clean("a\u{00A0}\u{00A0}b").as_deref(), Some("a b"));
        assert_eq!(clean("中文\u{3000}课程").as_deref(), Some("中文 课程"));
    }

    #[test]
    fn zero_width_space_is_removed() {
        assert_eq!(clean("การ\u{200B}เงิน").as_deref(), Some("การเงิน"));
        assert_eq!(clean("a \u{200B} b").as_deref(), Some("a b"));
    }

    #[test]
    fn decomposed_text_becomes_nfc() {
        assert_eq!(clean("Cafe\u{0301}").as_deref(), Some("Caf\u{00E9}"));
    }

    #[test]
    fn thai_combining_marks_survive() {
        let thai = "การเงินส่วนบุคคล ผู้สอน น้ำ";
        assert_eq!(clean(thai).as_deref(), Some(thai));
    }

    #[test]
    fn html_entities_are_unescaped_once() {
        assert_eq!(
            clean_escaped("Tom &amp; Jerry").as_deref(),
            Some("Tom & Jerry")
        );
        assert_eq!(clean_escaped("&lt;b&gt;").as_deref(), Some("<b>"));
        assert_eq!(clean_escaped("a&amp;amp;b").as_deref(), Some("a&amp;b"));
        assert_eq!(clean_escaped("&nbsp;x&nbsp;").as_deref(), Some("x"));
    }

    #[test]
    fn thai_and_full_width_digits_become_ascii() {
        assert_eq!(ascii_digits("๑๕ มิ.ย. ๒๕๖๘"), "15 มิ.ย. 2568");
        assert_eq!(ascii_digits("２０２４年"), "2024年");
        assert_eq!(ascii_digits("abc 123"), "abc 123");
    }

    #[test]
    fn plain_clean_leaves_entities_alone() {
        assert_eq!(clean("a &amp; b").as_deref(), Some("a &amp; b"));
    }
}
