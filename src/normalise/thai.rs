//! Thai calendar text: Buddhist-era years (also abbreviated to two digits), full and
//! abbreviated Thai month names. Used by `dates` to read Thai MOOC pages
//! (`15 มิถุนายน 2568`, `1 มิ.ย. พ.ศ. ๒๕๖๘`, `1 ธ.ค. 67`).

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

use super::dates::Precision;

/// Full Thai month names, January first.
pub const MONTHS_FULL: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

/// Abbreviated Thai month names as usually written (with dots), January first.
pub const MONTHS_ABBR: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];

/// Years from here on are Buddhist era: 2400 BE is 1857 CE, long before any course, and
/// 2400 CE is past the range dates accept.
const FIRST_BE_YEAR: i32 = 2400;
/// BE − 543 = CE.
const BE_OFFSET: i32 = 543;
/// A two-digit year beside a Thai month is the short form of a Buddhist-era year in the
/// 2500s (`67` is 2567 BE, i.e. 2024 CE), as Thai pages write it.
const BE_CENTURY: i32 = 2500;

/// The month number (1–12) of a full or abbreviated Thai month name; dots and spaces are
/// ignored, so `มิ.ย.`, `มิ.ย`, `มิย` and `มิ. ย.` all read as June.
pub fn month_number(name: &str) -> Option<u32> {
    let key: String = name
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect();
    let strip = |m: &str| m.replace('.', "");
    let index = MONTHS_FULL
        .iter()
        .position(|m| *m == key)
        .or_else(|| MONTHS_ABBR.iter().position(|m| strip(m) == key))?;
    u32::try_from(index + 1).ok()
}

/// Converts a year to the common era: explicitly Buddhist-era years, and any year of 2400
/// or more, lose 543.
pub fn to_common_era(year: i32, explicitly_buddhist: bool) -> i32 {
    if explicitly_buddhist || year >= FIRST_BE_YEAR {
        year - BE_OFFSET
    } else {
        year
    }
}

/// `[วันจันทร์ที่] D month [พ.ศ.|ค.ศ.] YYYY|YY [[เวลา] HH:MM[:SS] [น.]]`, digits already ASCII.
static THAI_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?:วัน\p{Thai}*?ที่\s*)?
        (?P<day>\d{1,2})\s*
        (?P<month>[\p{Thai}.\s]+?)\s*
        (?:(?P<era>พ\.?\s*ศ\.?|ค\.?\s*ศ\.?)\s*)?
        (?P<year>\d{4}|\d{2})
        (?:\s*(?:เวลา\s*)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?\s*(?:น\.?)?)?
        $",
    )
    // The pattern is a constant: a failure here is a programming error caught by every test.
    .expect("the Thai date pattern compiles")
});

/// Reads a Thai date (or date and time) as a calendar value in common era; the caller
/// applies the time zone. `text` must already be cleaned with ASCII digits.
pub fn parse_date(text: &str) -> Option<NaiveDateTime> {
    parse_written(text).map(|(at, _)| at)
}

/// [`parse_date`], also saying whether a time of day was written.
pub(crate) fn parse_written(text: &str) -> Option<(NaiveDateTime, Precision)> {
    let caps = THAI_DATE.captures(text)?;
    let day: u32 = caps.name("day")?.as_str().parse().ok()?;
    let month = month_number(caps.name("month")?.as_str())?;
    let year_text = caps.name("year")?.as_str();
    let written_year: i32 = year_text.parse().ok()?;
    let era = caps.name("era").map(|m| m.as_str().contains('พ'));
    let year = match (era, year_text.len()) {
        // `ค.ศ. 24` could be 1924 or 2024: no guess.
        (Some(false), 2) => return None,
        (_, 2) => to_common_era(BE_CENTURY + written_year, true),
        (Some(false), _) => written_year,
        (Some(true), _) => to_common_era(written_year, true),
        (None, _) => to_common_era(written_year, false),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let number = |name: &str| -> Option<u32> {
        caps.name(name).map_or(Some(0), |m| m.as_str().parse().ok())
    };
    let time = NaiveTime::from_hms_opt(number("hour")?, number("minute")?, number("second")?)?;
    let precision = if caps.name("hour").is_some() {
        Precision::Time
    } else {
        Precision::Day
    };
    Some((date.and_time(time), precision))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_full_and_abbreviated_month_is_known() {
        for (i, (full, abbr)) in MONTHS_FULL.iter().zip(MONTHS_ABBR).enumerate() {
            let n = u32::try_from(i + 1).ok();
            assert_eq!(month_number(full), n, "{full}");
            assert_eq!(month_number(abbr), n, "{abbr}");
            assert_eq!(
                month_number(&abbr.replace('.', "")),
                n,
                "{abbr} without dots"
            );
        }
    }

    #[test]
    fn abbreviation_with_spaces_is_read() {
        assert_eq!(month_number("มิ. ย."), Some(6));
    }

    #[test]
    fn unknown_month_name_is_none() {
        assert_eq!(month_number("มกรา"), None);
        assert_eq!(month_number(""), None);
    }

    #[test]
    fn explicit_common_era_year_is_kept() {
        let d = parse_date("1 มกราคม ค.ศ. 2024").expect("date");
        assert_eq!(
            d.date(),
            NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid")
        );
    }

    #[test]
    fn weekday_prefix_and_time_are_read() {
        let d = parse_date("วันจันทร์ที่ 1 มกราคม 2567 เวลา 13.30 น.").expect("date");
        assert_eq!(
            d,
            NaiveDate::from_ymd_opt(2024, 1, 1)
                .and_then(|d| d.and_hms_opt(13, 30, 0))
                .expect("valid")
        );
    }

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(y, m, d).map(|d| d.and_time(NaiveTime::MIN))
    }

    #[test]
    fn two_digit_year_is_a_buddhist_era_year_in_the_2500s() {
        assert_eq!(parse_date("1 ธ.ค. 67"), ymd(2024, 12, 1));
        assert_eq!(parse_date("28 กุมภาพันธ์ 68"), ymd(2025, 2, 28));
        assert_eq!(parse_date("1 ม.ค. พ.ศ. 00"), ymd(1957, 1, 1));
        assert_eq!(parse_date("1 ม.ค. 99"), ymd(2056, 1, 1));
    }

    #[test]
    fn two_digit_year_with_a_time_is_read() {
        assert_eq!(
            parse_written("1 ธ.ค. 67 เวลา 09:30 น."),
            NaiveDate::from_ymd_opt(2024, 12, 1)
                .and_then(|d| d.and_hms_opt(9, 30, 0))
                .map(|at| (at, Precision::Time))
        );
    }

    #[test]
    fn two_digit_common_era_year_one_digit_and_three_digit_years_are_none() {
        assert_eq!(parse_date("1 ธ.ค. ค.ศ. 24"), None);
        assert_eq!(parse_date("1 ธ.ค. 7"), None);
        assert_eq!(parse_date("1 ธ.ค. 567"), None);
        assert_eq!(parse_date("1 ธ.ค. 25670"), None);
    }

    #[test]
    fn precision_says_whether_a_time_was_written() {
        assert_eq!(
            parse_written("1 มกราคม 2567").map(|(_, p)| p),
            Some(Precision::Day)
        );
        assert_eq!(
            parse_written("1 มกราคม 2567 00:00").map(|(_, p)| p),
            Some(Precision::Time)
        );
    }

    #[test]
    fn impossible_day_is_none() {
        assert_eq!(parse_date("31 กุมภาพันธ์ 2567"), None);
        assert_eq!(parse_date("0 มกราคม 2567"), None);
    }
}
