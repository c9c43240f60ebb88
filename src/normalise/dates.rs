//! Dates and calendars: every date form a platform sends, to UTC instants.
//! SKELETON: to be completed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Parses one date or date-time. Naive values are read in `tz`. `None` for null-like,
/// empty or unparseable text (the caller keeps the raw text); never a made-up date.
pub fn parse_instant(raw: &str, _tz: Tz) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A parsed range; either end may be absent (open-ended or unparseable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Parses a date range in text (`1 ม.ค. 2567 - 31 มี.ค. 2567`, `ตั้งแต่ …`, …).
pub fn parse_range(raw: &str, tz: Tz) -> DateRange {
    DateRange {
        start: parse_instant(raw, tz),
        end: None,
    }
}
