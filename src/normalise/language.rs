//! Languages: codes and names in several scripts to BCP 47 tags.
//! SKELETON: to be completed.

/// Maps a language code or name to a BCP 47 tag (`en-us` → `en-US`, `中文` → `zh`).
pub fn to_bcp47(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_owned())
    }
}
