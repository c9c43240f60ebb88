//! Text: HTML entities unescaped, Unicode NFC, trimmed, whitespace collapsed, `""` → absent.
//! SKELETON: to be completed.

use unicode_normalization::UnicodeNormalization;

/// Cleans a display text: NFC, trimmed, runs of whitespace collapsed to one space.
/// Returns `None` for empty or whitespace-only input.
pub fn clean(raw: &str) -> Option<String> {
    let joined = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        None
    } else {
        Some(joined.nfc().collect())
    }
}

/// [`clean`] over an optional value.
pub fn clean_opt(raw: Option<&str>) -> Option<String> {
    raw.and_then(clean)
}

/// Unescapes HTML entities (`&amp;` → `&`), then [`clean`]s.
pub fn clean_escaped(raw: &str) -> Option<String> {
    clean(&html_escape::decode_html_entities(raw))
}
