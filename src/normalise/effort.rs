//! Effort and duration from free text in English, Chinese and Thai.
//! SKELETON: to be completed.

use crate::domain::Effort;

/// Parses effort text; the raw text is always kept. `None` only for empty input.
pub fn parse_effort(raw: &str) -> Option<Effort> {
    let text = super::text::clean(raw)?;
    Some(Effort {
        text: Some(text),
        ..Default::default()
    })
}

/// Parses a duration in weeks (`4 weeks`, `P2W`, `4 สัปดาห์`, `4周`).
pub fn parse_duration_weeks(_raw: &str) -> Option<f64> {
    None
}
