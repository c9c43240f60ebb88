//! Dates and calendars: every date form a platform sends, to UTC instants.
//! ISO 8601 / RFC 3339, naive times in the source's zone, RFC 2822, epochs, Thai and Chinese text.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::{chinese, text, thai};

mod range;
pub use range::{DateRange, is_any_time, parse_range};

/// Calendar years a course date may fall in; anything else is a typo or a placeholder.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// Digit strings below this are years, ids or zero placeholders, not instants (10⁸ s is
/// March 1973, before any online course).
const MIN_EPOCH_SECONDS: i64 = 100_000_000;
/// From here on a number is milliseconds: as seconds it would be past the year 5000.
const FIRST_EPOCH_MILLIS: i64 = 100_000_000_000;

/// Texts platforms send for "no date".
const NULL_LIKE: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "n/a",
    "na",
    "nan",
    "tba",
    "tbd",
    "-",
    "--",
    "—",
    "0000-00-00",
    "0000-00-00 00:00:00",
    "无",
    "暂无",
    "待定",
    "ไม่ระบุ",
];

/// Parses one date or date-time. Naive values (no offset) are read in `tz`; date-only and
/// `YYYY-MM` values are midnight in `tz` on the (first) day. `None` for null-like, empty or
/// unparseable text and for years outside 1900–2200 (the caller keeps the raw text);
/// never a made-up date.
pub fn parse_instant(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    parse_as(raw, tz, Side::Start)
}

/// Parses a date that ends a period (`end`, `enrollment_end`), like [`parse_instant`]
/// except that a value written without a time of day covers the whole of it: a date is the
/// last second of that day in `tz` (23:59:59 local), `YYYY-MM` or `2024年9月` the last
/// second of that month. Values with a time, an offset or an epoch are kept as written.
pub fn parse_end_instant(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    parse_as(raw, tz, Side::End)
}

/// Which end of a period a value is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Start,
    End,
}

fn parse_as(raw: &str, tz: Tz, side: Side) -> Option<DateTime<Utc>> {
    // Fast path for what most APIs send (`2025-09-01T12:00:00Z`): a full RFC 3339 instant
    // has a time of day, so both sides read it as written.
    if let Ok(fixed) = DateTime::parse_from_rfc3339(raw.trim()) {
        return YEARS
            .contains(&fixed.year())
            .then(|| fixed.with_timezone(&Utc));
    }
    let cleaned = text::clean(raw)?;
    let t = text::ascii_digits(&cleaned);
    if NULL_LIKE.iter().any(|n| t.eq_ignore_ascii_case(n)) {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        // Too long for i64 means too far in the future for any course: None.
        return t.parse::<i64>().ok().and_then(from_epoch);
    }
    if let Some(fixed) = parse_with_offset(&t) {
        return YEARS
            .contains(&fixed.year())
            .then(|| fixed.with_timezone(&Utc));
    }
    let (naive, precision) = parse_naive(&t)?;
    match side {
        Side::Start => resolve_local(naive, tz),
        Side::End => resolve_end(naive, precision, tz),
    }
}

/// An epoch number (a JSON number or a digit string) to an instant: seconds, or
/// milliseconds when the magnitude says so. Zero, negative and tiny values are placeholders
/// or years, never 1970.
pub fn from_epoch(n: i64) -> Option<DateTime<Utc>> {
    if n < MIN_EPOCH_SECONDS {
        return None;
    }
    let instant = if n >= FIRST_EPOCH_MILLIS {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }?;
    YEARS.contains(&instant.year()).then_some(instant)
}

/// A JSON date value: a string (any form [`parse_instant`] reads) or an epoch number.
/// `null`, `""`, `false` and other types are `None`.
pub fn parse_json(v: &serde_json::Value, tz: Tz) -> Option<DateTime<Utc>> {
    match v {
        serde_json::Value::String(s) => parse_instant(s, tz),
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                // `as` saturates; a huge or fractional number still lands in a checked range.
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc() as i64)
            })
            .and_then(from_epoch),
        _ => None,
    }
}

/// Forms that carry their own offset: RFC 3339 (`Z` or `±hh:mm`), ISO 8601 variants with a
/// space or `±hhmm`, a ` UTC`/` GMT` suffix, and RFC 2822.
fn parse_with_offset(t: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d);
    }
    let zulu = t
        .strip_suffix('Z')
        .or_else(|| t.strip_suffix('z'))
        .or_else(|| t.strip_suffix(" UTC"))
        .or_else(|| t.strip_suffix(" GMT"));
    if let Some(naive) = zulu.and_then(|rest| parse_naive_iso(rest.trim_end())) {
        return Some(naive.and_utc().fixed_offset());
    }
    const WITH_OFFSET: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f %#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
    ];
    WITH_OFFSET
        .iter()
        .find_map(|f| DateTime::parse_from_str(t, f).ok())
}

/// ISO-like naive date-times: `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]`, also with `/`.
fn parse_naive_iso(t: &str) -> Option<NaiveDateTime> {
    const DATE_TIMES: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ];
    DATE_TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

/// How much of a moment the text wrote down: a time of day, a whole day or a whole month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    Time,
    Day,
    Month,
}

/// Every form without an offset, as a calendar value to be read in the source's zone, with
/// how precisely it was written.
fn parse_naive(t: &str) -> Option<(NaiveDateTime, Precision)> {
    const DATES: &[&str] = &[
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y.%m.%d",
        "%d %B %Y",
        "%B %d, %Y",
        "%B %d %Y",
    ];
    parse_naive_iso(t)
        .map(|at| (at, Precision::Time))
        .or_else(|| {
            DATES
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                .map(|d| (d.and_time(NaiveTime::MIN), Precision::Day))
        })
        .or_else(|| year_month(t).map(|at| (at, Precision::Month)))
        .or_else(|| thai::parse_written(t))
        .or_else(|| chinese::parse_date(t))
}

/// `YYYY-MM` → the first of the month at midnight.
fn year_month(t: &str) -> Option<NaiveDateTime> {
    let (y, m) = t.split_once('-')?;
    let digits =
        |s: &str, lens: &[usize]| lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, &[4]) || !digits(m, &[1, 2]) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1).map(|d| d.and_time(NaiveTime::MIN))
}

/// Reads a calendar value in `tz`. In a DST overlap the earlier instant wins; in a DST gap
/// the wall clock is moved on an hour, as clocks themselves do.
fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    if !YEARS.contains(&naive.year()) {
        return None;
    }
    local_to_utc(naive, tz)
}

/// Reads the end of a period in `tz`: as written when it has a time of day, else one second
/// before the next day (or month) begins. That is 23:59:59 local on an ordinary day, and
/// still the day's true last second when its midnight falls in a DST change (a repeated
/// 23:xx hour is covered twice, a skipped 00:xx hour not at all).
fn resolve_end(naive: NaiveDateTime, precision: Precision, tz: Tz) -> Option<DateTime<Utc>> {
    if !YEARS.contains(&naive.year()) {
        return None;
    }
    let next = match precision {
        Precision::Time => return local_to_utc(naive, tz),
        Precision::Day => naive.date().succ_opt()?,
        Precision::Month => naive
            .date()
            .with_day(1)?
            .checked_add_months(Months::new(1))?,
    };
    local_to_utc(next.and_time(NaiveTime::MIN), tz)?.checked_sub_signed(TimeDelta::seconds(1))
}

/// A wall-clock value in `tz` to UTC, with the DST rules of [`resolve_local`].
fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let local = match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => Some(d),
        LocalResult::None => naive
            .checked_add_signed(TimeDelta::hours(1))
            .and_then(|later| tz.from_local_datetime(&later).earliest()),
    }?;
    Some(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
