//! Rules for `dates`: one test per form a platform sends, plus property tests.

use super::*;
use chrono_tz::Asia::{Bangkok, Shanghai};
use chrono_tz::UTC;
use proptest::prelude::*;

/// The UTC instant of a wall-clock time in `tz`.
fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    match tz.with_ymd_and_hms(y, m, d, h, min, s) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        other => panic!("test date {y}-{m}-{d} is not single in {tz}: {other:?}"),
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    local(UTC, y, m, d, h, min, s)
}

#[test]
fn rfc3339_with_z_is_read() {
    assert_eq!(
        parse_instant("2024-09-01T02:03:04Z", Shanghai),
        Some(utc(2024, 9, 1, 2, 3, 4))
    );
    assert_eq!(
        parse_instant("2024-09-01T02:03:04.123Z", Shanghai).map(|d| d.timestamp_millis()),
        Some(utc(2024, 9, 1, 2, 3, 4).timestamp_millis() + 123)
    );
}

#[test]
fn rfc3339_offset_wins_over_source_timezone() {
    assert_eq!(
        parse_instant("2024-09-01T00:00:00+08:00", Bangkok),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_instant("2024-09-01 00:00:00+0800", Bangkok),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
}

#[test]
fn naive_time_is_read_in_source_timezone() {
    let expected = Some(utc(2016, 4, 24, 16, 0, 0));
    assert_eq!(parse_instant("2016-04-25 00:00:00", Shanghai), expected);
    assert_eq!(parse_instant("2016-04-25T00:00:00", Shanghai), expected);
    assert_eq!(parse_instant("2016-04-25T00:00", Shanghai), expected);
    assert_eq!(
        parse_instant("2016-04-25 00:00:00", Bangkok),
        Some(utc(2016, 4, 24, 17, 0, 0))
    );
}

#[test]
fn date_only_is_midnight_in_source_timezone() {
    assert_eq!(
        parse_instant("2024-09-01", Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_instant("2024/09/01", UTC),
        Some(utc(2024, 9, 1, 0, 0, 0))
    );
}

#[test]
fn year_month_is_first_of_month_at_midnight() {
    assert_eq!(
        parse_instant("2024-09", Bangkok),
        Some(local(Bangkok, 2024, 9, 1, 0, 0, 0))
    );
    assert_eq!(parse_instant("2024-9", UTC), Some(utc(2024, 9, 1, 0, 0, 0)));
    assert_eq!(parse_instant("2024-13", UTC), None);
}

#[test]
fn rfc2822_is_read() {
    assert_eq!(
        parse_instant("Mon, 25 Apr 2016 00:00:00 +0000", Shanghai),
        Some(utc(2016, 4, 25, 0, 0, 0))
    );
    assert_eq!(
        parse_instant("Sun, 1 Sep 2024 10:00:00 GMT", Shanghai),
        Some(utc(2024, 9, 1, 10, 0, 0))
    );
}

#[test]
fn epoch_seconds_are_read() {
    assert_eq!(
        parse_instant("1725120000", Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(from_epoch(1_725_120_000), Some(utc(2024, 8, 31, 16, 0, 0)));
}

#[test]
fn epoch_milliseconds_are_detected() {
    assert_eq!(
        parse_instant("1725120000000", Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        from_epoch(1_725_120_000_123).map(|d| d.timestamp_millis()),
        Some(1_725_120_000_123)
    );
}

#[test]
fn epoch_zero_negative_and_tiny_are_none_never_1970() {
    assert_eq!(from_epoch(0), None);
    assert_eq!(from_epoch(-1), None);
    assert_eq!(from_epoch(2024), None);
    assert_eq!(parse_instant("0", Shanghai), None);
    assert_eq!(parse_instant("-86400", Shanghai), None);
    assert_eq!(parse_instant("99999999999999999999999", Shanghai), None);
}

#[test]
fn json_string_number_and_null_like_values() {
    use serde_json::json;
    assert_eq!(
        parse_json(&json!(1_725_120_000), Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_json(&json!(1_725_120_000_000_i64), Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_json(&json!(1_725_120_000.7), Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_json(&json!("2024-09-01T00:00:00+08:00"), Bangkok),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(parse_json(&json!(null), Shanghai), None);
    assert_eq!(parse_json(&json!(""), Shanghai), None);
    assert_eq!(parse_json(&json!(false), Shanghai), None);
    assert_eq!(parse_json(&json!(0), Shanghai), None);
    assert_eq!(parse_json(&json!(-5), Shanghai), None);
    assert_eq!(parse_json(&json!(1e300), Shanghai), None);
}

#[test]
fn null_like_and_empty_text_is_none() {
    for raw in [
        "",
        "  ",
        "null",
        "NULL",
        "None",
        "undefined",
        "n/a",
        "TBA",
        "-",
        "0000-00-00 00:00:00",
    ] {
        assert_eq!(parse_instant(raw, Shanghai), None, "{raw:?}");
    }
}

#[test]
fn unparseable_text_is_none() {
    for raw in [
        "soon",
        "2024-02-30",
        "25:00",
        "Spring term",
        "2024-09-01T25:00:00Z",
    ] {
        assert_eq!(parse_instant(raw, Shanghai), None, "{raw:?}");
    }
}

#[test]
fn years_outside_1900_to_2200_are_none() {
    assert_eq!(parse_instant("1899-12-31", UTC), None);
    assert_eq!(parse_instant("2201-01-01T00:00:00Z", UTC), None);
    assert_eq!(parse_instant("0001-01-01", UTC), None);
    assert_eq!(parse_instant("9999-12-31T23:59:59Z", UTC), None);
    assert_eq!(
        parse_instant("1 มกราคม พ.ศ. 2000", Bangkok),
        None,
        "2000 BE is 1457 CE"
    );
    assert!(parse_instant("1900-01-01", UTC).is_some());
    assert!(parse_instant("2200-12-31", UTC).is_some());
}

#[test]
fn buddhist_era_year_becomes_common_era() {
    assert_eq!(
        parse_instant("15 มิถุนายน 2568", Bangkok),
        Some(local(Bangkok, 2025, 6, 15, 0, 0, 0))
    );
}

#[test]
fn thai_common_era_year_is_kept() {
    assert_eq!(
        parse_instant("15 มิถุนายน 2025", Bangkok),
        Some(local(Bangkok, 2025, 6, 15, 0, 0, 0))
    );
}

#[test]
fn abbreviated_thai_month_is_read() {
    let expected = Some(local(Bangkok, 2025, 6, 1, 0, 0, 0));
    assert_eq!(parse_instant("1 มิ.ย. 2568", Bangkok), expected);
    assert_eq!(parse_instant("1 มิ.ย.2568", Bangkok), expected);
    assert_eq!(parse_instant("1 มิย 2568", Bangkok), expected);
    assert_eq!(parse_instant("1มิ.ย.2568", Bangkok), expected);
    assert_eq!(parse_instant("1 มิ. ย. 2568", Bangkok), expected);
}

#[test]
fn thai_digits_are_read() {
    assert_eq!(
        parse_instant("๑๕ มิถุนายน ๒๕๖๘", Bangkok),
        Some(local(Bangkok, 2025, 6, 15, 0, 0, 0))
    );
}

#[test]
fn buddhist_era_prefix_before_year_is_read() {
    let expected = Some(local(Bangkok, 2024, 1, 1, 0, 0, 0));
    assert_eq!(parse_instant("1 ม.ค. พ.ศ. 2567", Bangkok), expected);
    assert_eq!(parse_instant("1 มกราคม พ.ศ.2567", Bangkok), expected);
    assert_eq!(parse_instant("1 มกราคม พศ 2567", Bangkok), expected);
}

#[test]
fn two_digit_thai_year_is_buddhist_era_2500s() {
    let expected = Some(local(Bangkok, 2024, 12, 1, 0, 0, 0));
    assert_eq!(parse_instant("1 ธ.ค. 67", Bangkok), expected);
    assert_eq!(parse_instant("1 ธันวาคม 67", Bangkok), expected);
    assert_eq!(parse_instant("๑ ธ.ค. ๖๗", Bangkok), expected);
    assert_eq!(parse_instant("1 ธ.ค. พ.ศ. 67", Bangkok), expected);
    assert_eq!(
        parse_instant("1 ม.ค. 05", Bangkok),
        Some(local(Bangkok, 1962, 1, 1, 0, 0, 0))
    );
}

#[test]
fn two_digit_year_without_a_thai_month_is_none() {
    assert_eq!(parse_instant("1 Dec 67", Bangkok), None);
    assert_eq!(parse_instant("1 December 67", Bangkok), None);
    assert_eq!(parse_instant("67-12-01", Bangkok), None);
    assert_eq!(
        parse_instant("1 ธ.ค. ค.ศ. 24", Bangkok),
        None,
        "no century guess"
    );
}

#[test]
fn two_digit_thai_years_are_read_in_ranges() {
    let r = parse_range("1 ธ.ค. 67 - 28 ก.พ. 68", Bangkok);
    assert_eq!(r.start, Some(local(Bangkok, 2024, 12, 1, 0, 0, 0)));
    assert_eq!(r.end, Some(local(Bangkok, 2025, 2, 28, 23, 59, 59)));
    let r = parse_range("๑ ธ.ค. ๖๗ ถึง ๒๘ ก.พ. ๒๕๖๘", Bangkok);
    assert_eq!(r.start, Some(local(Bangkok, 2024, 12, 1, 0, 0, 0)));
    assert_eq!(r.end, Some(local(Bangkok, 2025, 2, 28, 23, 59, 59)));
}

#[test]
fn thai_date_with_time_is_read_in_source_timezone() {
    assert_eq!(
        parse_instant("1 ม.ค. 2567 เวลา 09:30 น.", Bangkok),
        Some(utc(2024, 1, 1, 2, 30, 0))
    );
}

#[test]
fn chinese_date_text_is_read() {
    assert_eq!(
        parse_instant("2024年9月1日", Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
    assert_eq!(
        parse_instant("2024年9月1日 10:00", Shanghai),
        Some(utc(2024, 9, 1, 2, 0, 0))
    );
    assert_eq!(
        parse_instant("２０２４年９月１日", Shanghai),
        Some(utc(2024, 8, 31, 16, 0, 0))
    );
}

#[test]
fn english_month_names_are_read() {
    let expected = Some(utc(2024, 9, 1, 0, 0, 0));
    assert_eq!(parse_instant("1 September 2024", UTC), expected);
    assert_eq!(parse_instant("Sep 1, 2024", UTC), expected);
}

#[test]
fn thai_range_with_hyphen_is_read() {
    assert_eq!(
        parse_range("1 มิ.ย. 2568 - 31 ส.ค. 2568", Bangkok),
        DateRange {
            start: Some(local(Bangkok, 2025, 6, 1, 0, 0, 0)),
            end: Some(local(Bangkok, 2025, 8, 31, 23, 59, 59)),
        }
    );
}

#[test]
fn thai_range_with_en_dash_is_read() {
    assert_eq!(
        parse_range("15 มิถุนายน 2568 – 30 กันยายน 2568", Bangkok),
        DateRange {
            start: Some(local(Bangkok, 2025, 6, 15, 0, 0, 0)),
            end: Some(local(Bangkok, 2025, 9, 30, 23, 59, 59)),
        }
    );
}

#[test]
fn thai_range_with_word_to_is_read() {
    assert_eq!(
        parse_range("ตั้งแต่ 1 ม.ค. 2567 ถึง 31 มี.ค. 2567", Bangkok),
        DateRange {
            start: Some(local(Bangkok, 2024, 1, 1, 0, 0, 0)),
            end: Some(local(Bangkok, 2024, 3, 31, 23, 59, 59)),
        }
    );
}

#[test]
fn open_ended_thai_range_has_no_end() {
    assert_eq!(
        parse_range("ตั้งแต่ 1 มกราคม 2567", Bangkok),
        DateRange {
            start: Some(local(Bangkok, 2024, 1, 1, 0, 0, 0)),
            end: None,
        }
    );
}

#[test]
fn any_time_text_has_no_dates() {
    assert!(is_any_time("เรียนได้ตลอดเวลา"));
    assert!(is_any_time(" เรียนได้ ตลอดเวลา "));
    assert!(!is_any_time("1 ม.ค. 2567"));
    assert_eq!(parse_range("เรียนได้ตลอดเวลา", Bangkok), DateRange::default());
    assert_eq!(parse_instant("เรียนได้ตลอดเวลา", Bangkok), None);
}

#[test]
fn iso_range_with_hyphen_is_read() {
    assert_eq!(
        parse_range("2024-09-01 - 2024-12-31", Shanghai),
        DateRange {
            start: Some(utc(2024, 8, 31, 16, 0, 0)),
            end: Some(utc(2024, 12, 31, 15, 59, 59)),
        }
    );
    assert_eq!(
        parse_range("2024-09-01-2024-12-31", UTC),
        DateRange {
            start: Some(utc(2024, 9, 1, 0, 0, 0)),
            end: Some(utc(2024, 12, 31, 23, 59, 59)),
        }
    );
}

#[test]
fn chinese_range_is_read() {
    assert_eq!(
        parse_range("2024年9月1日至2024年12月31日", Shanghai),
        DateRange {
            start: Some(utc(2024, 8, 31, 16, 0, 0)),
            end: Some(utc(2024, 12, 31, 15, 59, 59)),
        }
    );
}

#[test]
fn single_date_in_a_range_field_is_a_start() {
    assert_eq!(
        parse_range("2024-09-01", UTC),
        DateRange {
            start: Some(utc(2024, 9, 1, 0, 0, 0)),
            end: None
        }
    );
}

#[test]
fn end_without_year_never_invents_a_start() {
    let r = parse_range("1 - 31 ม.ค. 2567", Bangkok);
    assert_eq!(r.start, None);
    assert_eq!(r.end, Some(local(Bangkok, 2024, 1, 31, 23, 59, 59)));
    let r = parse_range("2024年9月1日至12月31日", Shanghai);
    assert_eq!(r.start, Some(utc(2024, 8, 31, 16, 0, 0)));
    assert_eq!(r.end, None);
}

#[test]
fn empty_and_unparseable_ranges_have_no_dates() {
    assert_eq!(parse_range("", Bangkok), DateRange::default());
    assert_eq!(parse_range("null", Bangkok), DateRange::default());
    assert_eq!(parse_range("soon - later", Bangkok), DateRange::default());
    assert_eq!(parse_range("ตั้งแต่", Bangkok), DateRange::default());
}

#[test]
fn truncated_iso_prefix_is_not_taken_as_a_start() {
    assert_eq!(parse_range("2024-03-15 junk", UTC), DateRange::default());
}

#[test]
fn date_only_range_end_is_the_last_second_of_that_day() {
    let r = parse_range("15 มิถุนายน 2568 – 30 กันยายน 2568", Bangkok);
    assert_eq!(r.start, Some(local(Bangkok, 2025, 6, 15, 0, 0, 0)));
    assert_eq!(r.end, Some(utc(2025, 9, 30, 16, 59, 59)));
    assert_eq!(
        parse_end_instant("30 กันยายน 2568", Bangkok),
        Some(utc(2025, 9, 30, 16, 59, 59))
    );
    assert_eq!(
        parse_end_instant("2025/09/30", UTC),
        Some(utc(2025, 9, 30, 23, 59, 59))
    );
    assert_eq!(
        parse_end_instant("Sep 30, 2025", UTC),
        Some(utc(2025, 9, 30, 23, 59, 59))
    );
    // XuetangX sends its ends this way already: 1736006399 is 2025-01-04 23:59:59 Beijing.
    assert_eq!(
        parse_end_instant("2025-01-04", Shanghai).map(|d| d.timestamp()),
        Some(1_736_006_399)
    );
    assert_eq!(
        parse_end_instant("2024年12月31日", Shanghai),
        Some(utc(2024, 12, 31, 15, 59, 59))
    );
}

#[test]
fn month_only_end_is_the_last_second_of_the_month() {
    assert_eq!(
        parse_end_instant("2024-02", UTC),
        Some(utc(2024, 2, 29, 23, 59, 59))
    );
    assert_eq!(
        parse_end_instant("2024-12", Bangkok),
        Some(local(Bangkok, 2024, 12, 31, 23, 59, 59))
    );
    assert_eq!(
        parse_end_instant("2024年9月", Shanghai),
        Some(utc(2024, 9, 30, 15, 59, 59))
    );
    assert_eq!(
        parse_range("2024-09 - 2024-12", UTC),
        DateRange {
            start: Some(utc(2024, 9, 1, 0, 0, 0)),
            end: Some(utc(2024, 12, 31, 23, 59, 59)),
        }
    );
}

#[test]
fn end_with_a_time_is_kept_as_written() {
    assert_eq!(
        parse_end_instant("2025-09-30 18:00", Bangkok),
        Some(local(Bangkok, 2025, 9, 30, 18, 0, 0))
    );
    assert_eq!(
        parse_end_instant("2025-09-30T00:00:00Z", Bangkok),
        Some(utc(2025, 9, 30, 0, 0, 0))
    );
    assert_eq!(
        parse_end_instant("30 ก.ย. 2568 เวลา 00:00 น.", Bangkok),
        Some(local(Bangkok, 2025, 9, 30, 0, 0, 0)),
        "a midnight written out is meant"
    );
    assert_eq!(
        parse_end_instant("2024年12月31日 18:00", Shanghai),
        Some(utc(2024, 12, 31, 10, 0, 0))
    );
    assert_eq!(
        parse_end_instant("1736006399", Shanghai).map(|d| d.timestamp()),
        Some(1_736_006_399)
    );
    assert_eq!(
        parse_range("2024-09-01 09:00 - 2024-12-31 18:00", UTC),
        DateRange {
            start: Some(utc(2024, 9, 1, 9, 0, 0)),
            end: Some(utc(2024, 12, 31, 18, 0, 0)),
        }
    );
}

#[test]
fn starts_stay_at_the_beginning_of_their_period() {
    assert_eq!(
        parse_instant("2025-09-30", Bangkok),
        Some(local(Bangkok, 2025, 9, 30, 0, 0, 0))
    );
    assert_eq!(
        parse_instant("2024-12", UTC),
        Some(utc(2024, 12, 1, 0, 0, 0))
    );
}

#[test]
fn end_instant_keeps_the_null_and_year_rules() {
    assert_eq!(parse_end_instant("TBA", Bangkok), None);
    assert_eq!(parse_end_instant("", Bangkok), None);
    assert_eq!(parse_end_instant("soon", Bangkok), None);
    assert_eq!(parse_end_instant("1899-12-31", UTC), None);
    assert_eq!(
        parse_end_instant("2200-12-31", UTC),
        Some(utc(2200, 12, 31, 23, 59, 59)),
        "the next day being out of range does not matter"
    );
}

#[test]
fn end_of_a_day_whose_midnight_is_a_dst_change_is_its_true_last_second() {
    let santiago = chrono_tz::America::Santiago;
    // 6 April 2024: at 24:00 (-03) clocks went back to 23:00 (-04); 23:xx happened twice.
    assert_eq!(
        parse_end_instant("2024-04-06", santiago),
        Some(utc(2024, 4, 7, 3, 59, 59))
    );
    // 7 September 2024: at 24:00 (-04) clocks went on to 01:00 (-03) on the 8th.
    assert_eq!(
        parse_end_instant("2024-09-07", santiago),
        Some(utc(2024, 9, 8, 3, 59, 59))
    );
}

#[test]
fn dst_gap_moves_the_wall_clock_on() {
    let berlin = chrono_tz::Europe::Berlin;
    // 02:30 does not exist on 31 March 2024 in Berlin; it becomes 03:30 CEST = 01:30 UTC.
    assert_eq!(
        parse_instant("2024-03-31 02:30:00", berlin),
        Some(utc(2024, 3, 31, 1, 30, 0))
    );
}

// ---- properties ----------------------------------------------------------------------

/// Arbitrary text mixing any character with Thai, CJK, digits and date punctuation, so the
/// parsers' deeper branches are reached, not only the first rejection.
fn messy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        proptest::char::range('\u{0E00}', '\u{0E7F}').prop_map(String::from),
        proptest::char::range('\u{4E00}', '\u{9FFF}').prop_map(String::from),
        proptest::char::range('0', '9').prop_map(String::from),
        Just("年".to_owned()),
        Just("月".to_owned()),
        Just("日".to_owned()),
        Just(" ".to_owned()),
        Just("-".to_owned()),
        Just("–".to_owned()),
        Just("ถึง".to_owned()),
        Just("ตั้งแต่".to_owned()),
        Just("พ.ศ.".to_owned()),
        Just("มิ.ย.".to_owned()),
        Just(":".to_owned()),
        Just("T".to_owned()),
        Just("Z".to_owned()),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

const THAI_DIGITS: [char; 10] = ['๐', '๑', '๒', '๓', '๔', '๕', '๖', '๗', '๘', '๙'];

fn to_thai_digits(ascii: &str) -> String {
    ascii
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| THAI_DIGITS.get(d as usize).copied())
                .unwrap_or(c)
        })
        .collect()
}

/// A real date and whether to write its Buddhist-era year with two digits; two-digit
/// years only exist for 2500–2599 BE, i.e. 1957–2056 CE.
fn date_and_year_form() -> impl Strategy<Value = (NaiveDate, bool)> {
    any::<bool>()
        .prop_flat_map(|two_digits| {
            let years = if two_digits {
                1957i32..=2056
            } else {
                1901..=2199
            };
            (years, 1u32..=12, 1u32..=31, Just(two_digits))
        })
        .prop_filter_map("a real date", |(y, m, d, two_digits)| {
            NaiveDate::from_ymd_opt(y, m, d).map(|date| (date, two_digits))
        })
}

proptest! {
    #[test]
    fn date_parsers_never_panic_on_arbitrary_text(s in messy_text()) {
        let instant = parse_instant(&s, Bangkok);
        let range = parse_range(&s, Shanghai);
        let _ = is_any_time(&s);
        for d in [instant, range.start, range.end].into_iter().flatten() {
            prop_assert!(YEARS.contains(&d.year()) || YEARS.contains(&(d.year() + 1)) || YEARS.contains(&(d.year() - 1)));
        }
    }

    #[test]
    fn date_parsers_never_panic_on_any_string(s in "\\PC*") {
        let _ = parse_instant(&s, Bangkok);
        let _ = parse_range(&s, Bangkok);
    }

    #[test]
    fn epoch_numbers_never_give_1970(n in any::<i64>()) {
        if let Some(d) = from_epoch(n) {
            prop_assert!(d.year() > 1970);
        }
    }

    #[test]
    fn a_date_only_end_is_one_second_before_the_next_day_starts(
        date in (1900i32..=2199, 1u32..=12, 1u32..=31)
            .prop_filter_map("a real date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        zone in prop_oneof![
            Just(Bangkok),
            Just(Shanghai),
            Just(chrono_tz::America::Santiago),
            Just(chrono_tz::Europe::Berlin),
            Just(chrono_tz::America::New_York),
        ],
    ) {
        let next = date.succ_opt().map(|d| d.format("%Y-%m-%d").to_string());
        let end = parse_end_instant(&date.format("%Y-%m-%d").to_string(), zone);
        let start = parse_instant(&date.format("%Y-%m-%d").to_string(), zone);
        let next_start = next.and_then(|n| parse_instant(&n, zone));
        prop_assert!(end.is_some());
        prop_assert!(end > start);
        if let Some(next_start) = next_start {
            prop_assert_eq!(end.map(|e| e + TimeDelta::seconds(1)), Some(next_start));
        }
    }

    #[test]
    fn buddhist_era_text_round_trips_to_the_same_date(
        (date, two_digits) in date_and_year_form(),
        abbreviated in any::<bool>(),
        keep_dots in any::<bool>(),
        thai_digits in any::<bool>(),
        era_prefix in any::<bool>(),
    ) {
        let index = usize::try_from(date.month0()).unwrap_or(0);
        let month = if abbreviated {
            let abbr = thai::MONTHS_ABBR[index];
            if keep_dots { abbr.to_owned() } else { abbr.replace('.', "") }
        } else {
            thai::MONTHS_FULL[index].to_owned()
        };
        let digits = |ascii: String| if thai_digits { to_thai_digits(&ascii) } else { ascii };
        let be_year = date.year() + 543;
        let year = if two_digits {
            digits(format!("{:02}", be_year % 100))
        } else {
            digits(be_year.to_string())
        };
        let text = format!(
            "{} {} {}{}",
            digits(date.day().to_string()),
            month,
            if era_prefix { "พ.ศ. " } else { "" },
            year
        );
        let expected = resolve_local(date.and_time(chrono::NaiveTime::MIN), Bangkok);
        prop_assert!(expected.is_some());
        prop_assert_eq!(parse_instant(&text, Bangkok), expected, "{}", text);
    }
}
