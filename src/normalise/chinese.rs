//! Chinese date text: `2024年9月1日`, `2024年9月1日 10:00`, `2024年9月`.
//! Used by `dates` for XuetangX and other Chinese platforms.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

use super::dates::Precision;

/// `YYYY年M月[D日|号] [HH:MM[:SS] | HH时/点[MM分]]`, digits already ASCII.
static CHINESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?P<year>\d{4})\s*年\s*
        (?P<month>\d{1,2})\s*月
        (?:\s*(?P<day>\d{1,2})\s*[日号號]?
            (?:\s*(?P<hour>\d{1,2})\s*[:：时時点點]\s*
                (?:(?P<minute>\d{1,2})\s*分?)?
                (?:\s*[:：]\s*(?P<second>\d{1,2})\s*秒?)?
            )?
        )?
        $",
    )
    // The pattern is a constant: a failure here is a programming error caught by every test.
    .expect("the Chinese date pattern compiles")
});

/// Reads Chinese date text as a calendar value and how precisely it was written; without a
/// day it is the first of the month, without a time it is midnight. The caller applies the
/// time zone.
pub fn parse_date(text: &str) -> Option<(NaiveDateTime, Precision)> {
    let caps = CHINESE_DATE.captures(text)?;
    let number = |name: &str, absent: u32| -> Option<u32> {
        caps.name(name)
            .map_or(Some(absent), |m| m.as_str().parse().ok())
    };
    let year: i32 = caps.name("year")?.as_str().parse().ok()?;
    let date = NaiveDate::from_ymd_opt(year, number("month", 1)?, number("day", 1)?)?;
    let time = NaiveTime::from_hms_opt(
        number("hour", 0)?,
        number("minute", 0)?,
        number("second", 0)?,
    )?;
    let precision = if caps.name("hour").is_some() {
        Precision::Time
    } else if caps.name("day").is_some() {
        Precision::Day
    } else {
        Precision::Month
    };
    Some((date.and_time(time), precision))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, min, 0))
    }

    fn date_of(text: &str) -> Option<NaiveDateTime> {
        parse_date(text).map(|(at, _)| at)
    }

    fn precision_of(text: &str) -> Option<Precision> {
        parse_date(text).map(|(_, p)| p)
    }

    #[test]
    fn date_with_day_suffix_is_read() {
        assert_eq!(date_of("2024年9月1日"), at(2024, 9, 1, 0, 0));
        assert_eq!(date_of("2024 年 09 月 01 号"), at(2024, 9, 1, 0, 0));
    }

    #[test]
    fn time_after_the_date_is_read() {
        assert_eq!(date_of("2024年9月1日 10:00"), at(2024, 9, 1, 10, 0));
        assert_eq!(date_of("2024年9月1日10点30分"), at(2024, 9, 1, 10, 30));
    }

    #[test]
    fn month_only_is_the_first_of_the_month() {
        assert_eq!(date_of("2024年9月"), at(2024, 9, 1, 0, 0));
    }

    #[test]
    fn precision_is_time_day_or_month_as_written() {
        assert_eq!(precision_of("2024年9月1日 10:00"), Some(Precision::Time));
        assert_eq!(precision_of("2024年9月1日10点"), Some(Precision::Time));
        assert_eq!(precision_of("2024年9月1日"), Some(Precision::Day));
        assert_eq!(precision_of("2024年9月"), Some(Precision::Month));
    }

    #[test]
    fn impossible_dates_are_none() {
        assert_eq!(date_of("2024年13月1日"), None);
        assert_eq!(date_of("2024年2月30日"), None);
        assert_eq!(date_of("2024年9月1日 25:00"), None);
    }
}
