//! Chinese date text: `2024年9月1日`, `2024年9月1日 10:00`, `2024年9月`.
//! Used by `dates` for XuetangX and other Chinese platforms.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

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

/// Reads Chinese date text as a calendar value; without a day it is the first of the
/// month, without a time it is midnight. The caller applies the time zone.
pub fn parse_date(text: &str) -> Option<NaiveDateTime> {
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
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, min, 0))
    }

    #[test]
    fn date_with_day_suffix_is_read() {
        assert_eq!(parse_date("2024年9月1日"), at(2024, 9, 1, 0, 0));
        assert_eq!(parse_date("2024 年 09 月 01 号"), at(2024, 9, 1, 0, 0));
    }

    #[test]
    fn time_after_the_date_is_read() {
        assert_eq!(parse_date("2024年9月1日 10:00"), at(2024, 9, 1, 10, 0));
        assert_eq!(parse_date("2024年9月1日10点30分"), at(2024, 9, 1, 10, 30));
    }

    #[test]
    fn month_only_is_the_first_of_the_month() {
        assert_eq!(parse_date("2024年9月"), at(2024, 9, 1, 0, 0));
    }

    #[test]
    fn impossible_dates_are_none() {
        assert_eq!(parse_date("2024年13月1日"), None);
        assert_eq!(parse_date("2024年2月30日"), None);
        assert_eq!(parse_date("2024年9月1日 25:00"), None);
    }
}
