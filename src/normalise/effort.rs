//! Effort and duration from free text in English, Chinese and Thai, and ISO 8601 durations.
//! Best effort: what cannot be read stays in `Effort.text`, which is always kept.

use std::sync::LazyLock;

use regex::Regex;

use super::text;
use crate::domain::Effort;

/// A number or a range of two: `3`, `1.5`, `10-12`, `2–4`, `3 to 4`, `3~4`, `3至4`.
const NUMBER_RANGE: &str =
    r"(?P<lo>\d+(?:\.\d+)?)(?:\s*(?:-|–|—|~|～|to|至|到)\s*(?P<hi>\d+(?:\.\d+)?))?";

/// Hours in the week: more per week than this is a typo.
const HOURS_IN_A_WEEK: f64 = 168.0;
/// A stated total beyond this is not a course's effort.
const MAX_TOTAL_HOURS: f64 = 10_000.0;
/// Average weeks in a month and a year, for `P3M`, `3 months`.
const WEEKS_PER_MONTH: f64 = 365.2425 / 12.0 / 7.0;
const WEEKS_PER_YEAR: f64 = 365.2425 / 7.0;

/// Compiles one of this module's constant patterns.
fn pattern(re: &str) -> Regex {
    // The patterns are constants: a failure is a programming error every test would catch.
    Regex::new(re).expect("a constant effort pattern compiles")
}

static HOURS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?i){NUMBER_RANGE}\s*(?:(?:hours?|hrs?|h)(?:[^a-z]|$)|个小时|個小時|小时|小時|学时|學時|ชั่วโมง|ชม\.?)"
    ))
});

static MINUTES: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?i){NUMBER_RANGE}\s*(?:(?:minutes?|mins?)(?:[^a-z]|$)|分钟|分鐘|นาที)"
    ))
});

static WEEKS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?i){NUMBER_RANGE}\s*(?:(?:weeks?|wks?)(?:[^a-z]|$)|个星期|個星期|个礼拜|個禮拜|星期|周|週|สัปดาห์|อาทิตย์)"
    ))
});

static MONTHS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?i){NUMBER_RANGE}\s*(?:months?(?:[^a-z]|$)|个月|個月|เดือน)"
    ))
});

static DAYS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?i){NUMBER_RANGE}\s*(?:days?(?:[^a-z]|$)|天|วัน)"
    ))
});

/// The text says the hours are per week.
static PER_WEEK: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)per\s*week|/\s*(?:week|wk|w)\b|\ba\s+week|each\s+week|every\s+week|weekly|每周|每週|每星期|每个星期|/\s*周|/\s*週|ต่อ\s*สัปดาห์|/\s*สัปดาห์|สัปดาห์\s*ละ|ต่อ\s*อาทิตย์|อาทิตย์\s*ละ",
    )
});

/// ISO 8601 duration: `P[nY][nM][nW][nD][T[nH][nM][nS]]`.
static ISO_DURATION: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    )
});

/// Parses effort text; the raw text is always kept (cleaned). Hours per week (min, max)
/// only when the text says per week (`10-12 hours/week`, `每周3-4小时`,
/// `3 ชั่วโมง/สัปดาห์`); otherwise stated hours are `total_hours` (`6 hours`, `10 ชั่วโมง`,
/// `PT10H`; the upper bound of a range). Minutes count as hours. `None` only for empty input.
pub fn parse_effort(raw: &str) -> Option<Effort> {
    let cleaned = text::clean(raw)?;
    let t = text::ascii_digits(&cleaned);
    let mut effort = Effort {
        text: Some(cleaned),
        ..Effort::default()
    };
    let Some((lo, hi)) = iso_hours(&t).map(|h| (h, h)).or_else(|| stated_hours(&t)) else {
        return Some(effort);
    };
    if PER_WEEK.is_match(&t) {
        if hi <= HOURS_IN_A_WEEK {
            effort.hours_per_week_min = Some(lo);
            effort.hours_per_week_max = Some(hi);
        }
    } else if hi <= MAX_TOTAL_HOURS {
        effort.total_hours = Some(hi);
    }
    Some(effort)
}

/// Parses a duration in weeks: `4 weeks`, `4-6 weeks` (the upper bound), `4 周`,
/// `6 สัปดาห์`, `P2W`, `P14D`, `3 months`, `30 days`. `None` when no duration is stated.
pub fn parse_duration_weeks(raw: &str) -> Option<f64> {
    let cleaned = text::clean(raw)?;
    let t = text::ascii_digits(&cleaned);
    let weeks = if let Some(caps) = ISO_DURATION.captures(&t) {
        let part = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<f64>().ok());
        let date_parts = [
            part("y").map(|y| y * WEEKS_PER_YEAR),
            part("mo").map(|m| m * WEEKS_PER_MONTH),
            part("w"),
            part("d").map(|d| d / 7.0),
        ];
        // `PT10H` is an effort, not a duration in weeks.
        date_parts.iter().flatten().copied().reduce(|a, b| a + b)?
    } else {
        let upper = |re: &Regex| first_range(re, &t).map(|(_, hi)| hi);
        upper(&WEEKS)
            .or_else(|| upper(&MONTHS).map(|m| m * WEEKS_PER_MONTH))
            .or_else(|| upper(&DAYS).map(|d| d / 7.0))?
    };
    (weeks.is_finite() && weeks > 0.0).then_some(weeks)
}

/// Hours of an ISO 8601 time-only duration (`PT10H`, `PT1H30M`).
fn iso_hours(t: &str) -> Option<f64> {
    let caps = ISO_DURATION.captures(t)?;
    if ["y", "mo", "w", "d"].iter().any(|n| caps.name(n).is_some()) {
        return None;
    }
    let part = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<f64>().ok());
    let (h, m, s) = (part("h"), part("mi"), part("s"));
    if h.is_none() && m.is_none() && s.is_none() {
        return None;
    }
    let hours = h.unwrap_or(0.0) + m.unwrap_or(0.0) / 60.0 + s.unwrap_or(0.0) / 3600.0;
    hours.is_finite().then_some(hours)
}

/// The first hour range in the text (`1 hour 30 minutes` adds up), else minutes as hours.
fn stated_hours(t: &str) -> Option<(f64, f64)> {
    let minutes = first_range(&MINUTES, t);
    match first_range(&HOURS, t) {
        Some((lo, hi)) if lo == hi => {
            let extra = minutes
                .filter(|(a, b)| a == b)
                .map_or(0.0, |(m, _)| m / 60.0);
            Some((lo + extra, hi + extra))
        }
        Some(range) => Some(range),
        None => minutes.map(|(lo, hi)| (lo / 60.0, hi / 60.0)),
    }
}

/// The first `NUMBER_RANGE` matched by `re`, ordered (min ≤ max), finite and non-negative.
fn first_range(re: &Regex, t: &str) -> Option<(f64, f64)> {
    let caps = re.captures(t)?;
    let lo: f64 = caps.name("lo")?.as_str().parse().ok()?;
    let hi: f64 = caps
        .name("hi")
        .map_or(Some(lo), |m| m.as_str().parse().ok())?;
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    Some((lo.min(hi), lo.max(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn per_week(raw: &str) -> (Option<f64>, Option<f64>) {
        let e = parse_effort(raw).unwrap_or_default();
        (e.hours_per_week_min, e.hours_per_week_max)
    }

    fn total(raw: &str) -> Option<f64> {
        parse_effort(raw).and_then(|e| e.total_hours)
    }

    #[test]
    fn hours_per_week_only_when_text_says_per_week() {
        assert_eq!(per_week("10-12 hours/week"), (Some(10.0), Some(12.0)));
        assert_eq!(total("10-12 hours/week"), None);
        assert_eq!(per_week("6 hours"), (None, None));
        assert_eq!(total("6 hours"), Some(6.0));
    }

    #[test]
    fn english_per_week_forms_are_read() {
        assert_eq!(per_week("2–4 hours per week"), (Some(2.0), Some(4.0)));
        assert_eq!(per_week("3 to 5 hrs a week"), (Some(3.0), Some(5.0)));
        assert_eq!(per_week("4 hours weekly"), (Some(4.0), Some(4.0)));
        assert_eq!(per_week("5h/wk"), (Some(5.0), Some(5.0)));
        assert_eq!(per_week("2~3 hours per week"), (Some(2.0), Some(3.0)));
    }

    #[test]
    fn chinese_per_week_forms_are_read() {
        assert_eq!(per_week("每周3-4小时"), (Some(3.0), Some(4.0)));
        assert_eq!(per_week("每周 2 小时"), (Some(2.0), Some(2.0)));
        assert_eq!(per_week("3至4小时/周"), (Some(3.0), Some(4.0)));
    }

    #[test]
    fn thai_hours_are_read() {
        assert_eq!(total("10 ชั่วโมง"), Some(10.0));
        assert_eq!(per_week("10 ชั่วโมง"), (None, None));
        assert_eq!(per_week("3 ชั่วโมง/สัปดาห์"), (Some(3.0), Some(3.0)));
        assert_eq!(per_week("2 ชั่วโมง ต่อสัปดาห์"), (Some(2.0), Some(2.0)));
        assert_eq!(per_week("สัปดาห์ละ ๓ ชม."), (Some(3.0), Some(3.0)));
    }

    #[test]
    fn minutes_convert_to_hours() {
        assert_eq!(total("30 minutes"), Some(0.5));
        assert_eq!(per_week("90 minutes per week"), (Some(1.5), Some(1.5)));
        assert_eq!(total("1 hour 30 minutes"), Some(1.5));
        assert_eq!(total("45 分钟"), Some(0.75));
    }

    #[test]
    fn english_units_must_be_whole_words() {
        assert_eq!(total("3 minimum"), None);
        assert_eq!(total("2 high-level modules"), None);
        assert_eq!(parse_duration_weeks("3 weekdays"), None);
        assert_eq!(total("6hours"), Some(6.0));
    }

    #[test]
    fn reversed_range_is_ordered() {
        assert_eq!(per_week("12-10 hours/week"), (Some(10.0), Some(12.0)));
    }

    #[test]
    fn iso_time_duration_is_total_hours() {
        assert_eq!(total("PT10H"), Some(10.0));
        assert_eq!(total("PT1H30M"), Some(1.5));
        assert_eq!(total("P2W"), None);
    }

    #[test]
    fn impossible_weekly_hours_are_dropped_but_text_kept() {
        let e = parse_effort("200 hours per week").expect("text kept");
        assert_eq!(e.hours_per_week_max, None);
        assert_eq!(e.text.as_deref(), Some("200 hours per week"));
    }

    #[test]
    fn raw_text_is_always_kept_cleaned() {
        let e = parse_effort("  self-paced,\u{00A0}no fixed effort ").expect("text kept");
        assert_eq!(e.text.as_deref(), Some("self-paced, no fixed effort"));
        assert_eq!((e.hours_per_week_min, e.total_hours), (None, None));
        assert_eq!(parse_effort("  "), None);
        assert_eq!(
            parse_effort("每周3-4小时").and_then(|e| e.text).as_deref(),
            Some("每周3-4小时")
        );
    }

    #[test]
    fn duration_in_weeks_is_read() {
        assert_eq!(parse_duration_weeks("4 weeks"), Some(4.0));
        assert_eq!(parse_duration_weeks("4 周"), Some(4.0));
        assert_eq!(parse_duration_weeks("6 สัปดาห์"), Some(6.0));
        assert_eq!(parse_duration_weeks("๖ สัปดาห์"), Some(6.0));
        assert_eq!(parse_duration_weeks("4-6 weeks"), Some(6.0));
        assert_eq!(parse_duration_weeks("P2W"), Some(2.0));
        assert_eq!(parse_duration_weeks("P14D"), Some(2.0));
        assert_eq!(parse_duration_weeks("14 days"), Some(2.0));
    }

    #[test]
    fn per_week_effort_is_not_a_duration() {
        assert_eq!(parse_duration_weeks("10-12 hours/week"), None);
        assert_eq!(parse_duration_weeks("每周3-4小时"), None);
        assert_eq!(parse_duration_weeks("PT10H"), None);
        assert_eq!(parse_duration_weeks(""), None);
        assert_eq!(parse_duration_weeks("0 weeks"), None);
    }

    #[test]
    fn months_convert_to_weeks() {
        let weeks = parse_duration_weeks("3 months").unwrap_or_default();
        assert!((weeks - 13.04).abs() < 0.01, "{weeks}");
        assert_eq!(parse_duration_weeks("P3M"), Some(3.0 * WEEKS_PER_MONTH));
    }

    fn messy_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            proptest::char::range('\u{0E00}', '\u{0E7F}').prop_map(String::from),
            proptest::char::range('\u{4E00}', '\u{9FFF}').prop_map(String::from),
            "[0-9]{1,4}(\\.[0-9]{1,2})?",
            Just("-".to_owned()),
            Just(" to ".to_owned()),
            Just("hours".to_owned()),
            Just("minutes".to_owned()),
            Just("/week".to_owned()),
            Just("每周".to_owned()),
            Just("小时".to_owned()),
            Just("ชั่วโมง".to_owned()),
            Just("สัปดาห์".to_owned()),
            Just("weeks".to_owned()),
            Just("P".to_owned()),
            Just("T".to_owned()),
            Just("H".to_owned()),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
    }

    fn assert_effort_sane(e: &Effort) -> Result<(), TestCaseError> {
        if let (Some(lo), Some(hi)) = (e.hours_per_week_min, e.hours_per_week_max) {
            prop_assert!(lo <= hi, "{lo} > {hi}");
            prop_assert!(lo >= 0.0 && hi <= HOURS_IN_A_WEEK);
        }
        prop_assert_eq!(
            e.hours_per_week_min.is_some(),
            e.hours_per_week_max.is_some()
        );
        if let Some(t) = e.total_hours {
            prop_assert!(t.is_finite() && t >= 0.0);
        }
        prop_assert!(e.text.is_some());
        Ok(())
    }

    proptest! {
        #[test]
        fn effort_parsers_never_panic_and_min_never_exceeds_max(s in messy_text()) {
            if let Some(e) = parse_effort(&s) {
                assert_effort_sane(&e)?;
            }
            if let Some(w) = parse_duration_weeks(&s) {
                prop_assert!(w.is_finite() && w > 0.0);
            }
        }

        #[test]
        fn effort_parsers_never_panic_on_any_string(s in "\\PC*") {
            if let Some(e) = parse_effort(&s) {
                assert_effort_sane(&e)?;
            }
            let _ = parse_duration_weeks(&s);
        }

        #[test]
        fn weekly_ranges_are_ordered_whatever_the_order_written(
            a in 0u32..100, b in 0u32..100, sep in prop::sample::select(vec!["-", "–", " to ", "~", "至"]),
        ) {
            let e = parse_effort(&format!("{a}{sep}{b} hours per week")).unwrap_or_default();
            prop_assert_eq!(e.hours_per_week_min, Some(f64::from(a.min(b))));
            prop_assert_eq!(e.hours_per_week_max, Some(f64::from(a.max(b))));
            prop_assert_eq!(e.total_hours, None);
        }
    }
}
