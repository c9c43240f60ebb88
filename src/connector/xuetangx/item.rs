//! One `product_list` item to a [`ListingDraft`] with one [`RunDraft`] (its classroom),
//! or a [`Rejection`] naming the field at fault. Pure: values in, values out.

use crate::connector::json::kind;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value};
use url::Url;

use crate::domain::{Access, Effort, ListingDraft, RawDates, Rejection, RunDraft};
use crate::normalise::{dates, effort, language, text};

/// What a path segment must escape (RFC 3986 `pchar` minus what is safe in a segment).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The language of an item that does not say: XuetangX is a Chinese platform.
const DEFAULT_LANGUAGE: &str = "zh";

/// Maps one raw item. `base` is the source's base URL (with a trailing slash), `tz` the
/// zone naive times are read in.
pub fn map_item(item: &Value, base: &Url, tz: Tz) -> Result<ListingDraft, Rejection> {
    let Some(obj) = item.as_object() else {
        return Err(Rejection {
            external_id: None,
            field: "(item)".into(),
            reason: format!("expected a JSON object, got {}", kind(item)),
        });
    };
    let run_id = obj.get("classroom_id").and_then(id_text);
    let Some(sign) = ["course_sign", "sign"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(id_text))
    else {
        return Err(Rejection {
            external_id: None,
            field: "course_sign".into(),
            reason: match &run_id {
                Some(id) => format!("no course_sign or sign (classroom_id {id})"),
                None => "no course_sign or sign, and no classroom_id".into(),
            },
        });
    };
    let name = obj.get("name").and_then(text_of);
    let name_en = obj.get("name_en").and_then(text_of);
    // An item with only an English name still names its course; none at all cannot be shown.
    let Some(title) = name.clone().or_else(|| name_en.clone()) else {
        return Err(Rejection {
            external_id: Some(sign),
            field: "name".into(),
            reason: "no name or name_en".into(),
        });
    };

    let languages = match obj.get("language").and_then(text_of) {
        Some(raw) => vec![language::to_bcp47(&raw).unwrap_or(raw)],
        None => {
            vec![language::to_bcp47(DEFAULT_LANGUAGE).unwrap_or_else(|| DEFAULT_LANGUAGE.into())]
        }
    };
    let mut titles = BTreeMap::new();
    if let Some(n) = &name {
        // `name` is in the course's own language (Chinese unless the item says otherwise).
        let lang = languages
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_LANGUAGE.into());
        titles.insert(lang, n.clone());
    }
    if let Some(en) = &name_en {
        titles.entry("en".to_owned()).or_insert_with(|| en.clone());
    }

    // One institution: `org.name` (else `org.name_en`). The English name is not added as a
    // second entry — that would read as a course co-offered by two institutions; matching
    // "清华大学" to "Tsinghua University" is the institution aliases' job.
    let org = obj.get("org").and_then(Value::as_object);
    let institutions = org
        .and_then(|o| {
            o.get("name")
                .and_then(text_of)
                .or_else(|| o.get("name_en").and_then(text_of))
        })
        .into_iter()
        .collect();

    // `tag_titles` (badges like 国家精品) are not subjects and are not mapped.
    let runs = run_id
        .map(|id| vec![map_run(id, obj, tz)])
        .unwrap_or_default();

    Ok(ListingDraft {
        url: course_url(base, &sign),
        external_id: sign,
        title,
        titles,
        short_description: obj.get("short_intro").and_then(text_of),
        institutions,
        instructors: names(obj.get("teacher")),
        languages,
        subjects: names(obj.get("classify_name")),
        image_url: obj
            .get("cover")
            .and_then(text_of)
            .and_then(|c| absolute_http(base, &c)),
        effort: obj.get("hours_per_week").and_then(effort_of),
        access: obj
            .get("sell_type_name")
            .and_then(text_of)
            .and_then(|s| access(&s)),
        enrollment_count: obj.get("count").and_then(integer),
        runs,
        ..Default::default()
    })
}

fn map_run(external_run_id: String, obj: &Map<String, Value>, tz: Tz) -> RunDraft {
    let date = |key: &str| {
        obj.get(key)
            .map(|v| parse_date(v, tz))
            .unwrap_or((None, None))
    };
    let (start, start_raw) = date("class_start");
    let (end, end_raw) = date("class_end");
    let (enrollment_start, es_raw) = date("signup_start");
    let (enrollment_end, ee_raw) = date("signup_end");
    RunDraft {
        external_run_id,
        start,
        end,
        enrollment_start,
        enrollment_end,
        raw_dates: RawDates {
            start: start_raw,
            end: end_raw,
            enrollment_start: es_raw,
            enrollment_end: ee_raw,
        },
        pacing: None,
        hidden: false,
        invitation_only: false,
        status_raw: obj
            .get("status")
            .and_then(id_text)
            .map(|c| status_label(&c)),
    }
}

/// The course page: `{base}/course/{course_sign}` (an assumption: the web front end's
/// route, not stated by the API).
pub fn course_url(base: &Url, sign: &str) -> Option<String> {
    let segment = utf8_percent_encode(sign, SEGMENT).to_string();
    base.join(&format!("course/{segment}"))
        .ok()
        .map(|u| u.to_string())
}

/// A stable English label for each documented `status` code; the code itself otherwise.
pub fn status_label(code: &str) -> String {
    match code {
        "1" => "enrollment_open",
        "2" => "enrollment_not_started",
        "3" => "enrollment_ended",
        "4" => "class_ended",
        "5" => "not_enrollable",
        "6" => "review_period",
        "7" => "ended_after_review",
        "8" => "enrolled_not_started",
        "9" => "in_progress",
        "10" => "ended_without_review",
        other => other,
    }
    .to_owned()
}

/// `免费` is free, `付费` paid; anything else says nothing we can map.
pub fn access(sell_type_name: &str) -> Option<Access> {
    match sell_type_name.trim() {
        "免费" => Some(Access::Free),
        "付费" => Some(Access::Paid),
        _ => None,
    }
}

/// A date as XuetangX sends it — ISO text, naive Beijing text, epoch seconds or
/// milliseconds (as numbers or digit strings), `null` or `""` — with its raw text.
///
/// Stands in for `normalise::dates::parse_json`, which was not in the crate yet when this
/// was written: numbers are read here, text goes to `normalise::dates::parse_instant`.
pub fn parse_date(value: &Value, tz: Tz) -> (Option<DateTime<Utc>>, Option<String>) {
    match value {
        Value::Number(n) => {
            let raw = n.to_string();
            let instant = n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                .and_then(dates::from_epoch);
            (instant, Some(raw))
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return (None, None);
            }
            let instant = if t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<i64>().ok().and_then(dates::from_epoch)
            } else {
                dates::parse_instant(t, tz)
            };
            (instant, Some(s.clone()))
        }
        _ => (None, None),
    }
}

fn effort_of(v: &Value) -> Option<Effort> {
    match v {
        Value::String(s) => effort::parse_effort(s),
        // A bare number in a field named hours_per_week is hours a week.
        Value::Number(n) => {
            let hours = n.as_f64().filter(|h| h.is_finite() && *h > 0.0)?;
            Some(Effort {
                text: Some(n.to_string()),
                hours_per_week_min: Some(hours),
                hours_per_week_max: Some(hours),
                total_hours: None,
            })
        }
        _ => None,
    }
}

/// Names from a list of `{name: …}` objects or of strings (teachers, subjects); a single
/// string is a one-item list. Cleaned, empty ones dropped, duplicates dropped.
fn names(v: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::Object(o) => o.get("name").and_then(text_of),
        other => text_of(other),
    };
    let mut out: Vec<String> = Vec::new();
    let found: Vec<String> = match v {
        Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(other) => one(other).into_iter().collect(),
        None => Vec::new(),
    };
    for n in found {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// `cover` made absolute against the base; only http(s) is kept.
fn absolute_http(base: &Url, raw: &str) -> Option<String> {
    let url = base.join(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Display text: strings cleaned (NFC, trimmed, whitespace collapsed), numbers as text.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => text::clean(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An identifier: a non-empty string (trimmed) or an integer.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://www.xuetangx.com/").unwrap()
    }

    fn map(v: Value) -> Result<ListingDraft, Rejection> {
        map_item(&v, &base(), chrono_tz::Asia::Shanghai)
    }

    fn sample() -> Value {
        json!({"course_sign": "THU08091000247", "classroom_id": 968608, "sku_id": 4112,
               "name": "数据结构(上)", "name_en": "Data Structures and Algorithms (I)",
               "org": {"id": 1, "name": "清华大学", "name_en": "Tsinghua University"},
               "teacher": [{"name": "邓俊辉", "title": "教授"}],
               "classify_name": ["计算机"], "tag_titles": ["国家精品"],
               "short_intro": "本课程…\n…", "cover": "/upload/cover.png",
               "count": 412803, "sell_type_name": "免费", "language": "zh",
               "class_start": "2024-09-01T16:00:00Z", "class_end": 1736006399,
               "signup_start": "2024-08-01T16:00:00Z", "signup_end": null,
               "status": 1, "hours_per_week": "每周3-4小时"})
    }

    #[test]
    fn documented_sample_maps_every_field() {
        let d = map(sample()).unwrap();
        assert_eq!(d.external_id, "THU08091000247");
        assert_eq!(d.title, "数据结构(上)");
        assert_eq!(d.titles.get("zh").map(String::as_str), Some("数据结构(上)"));
        assert_eq!(
            d.titles.get("en").map(String::as_str),
            Some("Data Structures and Algorithms (I)")
        );
        assert_eq!(d.institutions, vec!["清华大学"]);
        assert_eq!(d.instructors, vec!["邓俊辉"]);
        assert_eq!(d.subjects, vec!["计算机"]);
        assert_eq!(d.access, Some(Access::Free));
        assert_eq!(d.enrollment_count, Some(412803));
        assert_eq!(
            d.url.as_deref(),
            Some("https://www.xuetangx.com/course/THU08091000247")
        );
        assert_eq!(
            d.image_url.as_deref(),
            Some("https://www.xuetangx.com/upload/cover.png")
        );
        assert_eq!(d.short_description.as_deref(), Some("本课程… …"));
        assert_eq!(
            d.effort.and_then(|e| e.text).as_deref(),
            Some("每周3-4小时")
        );
        let run = d.runs.first().unwrap();
        assert_eq!(run.external_run_id, "968608");
        assert_eq!(run.status_raw.as_deref(), Some("enrollment_open"));
        assert_eq!(
            run.start,
            Some(Utc.with_ymd_and_hms(2024, 9, 1, 16, 0, 0).unwrap())
        );
        assert_eq!(
            run.end,
            Some(Utc.with_ymd_and_hms(2025, 1, 4, 15, 59, 59).unwrap())
        );
        assert_eq!(run.enrollment_end, None);
        assert_eq!(run.raw_dates.end.as_deref(), Some("1736006399"));
        assert_eq!(run.pacing, None);
    }

    #[test]
    fn sign_is_read_when_course_sign_is_absent() {
        let mut v = sample();
        let o = v.as_object_mut().unwrap();
        o.remove("course_sign");
        o.insert("sign".into(), json!("  THU12011000342 "));
        assert_eq!(map(v).unwrap().external_id, "THU12011000342");
    }

    #[test]
    fn item_without_sign_is_rejected_naming_its_classroom() {
        let mut v = sample();
        v.as_object_mut().unwrap().remove("course_sign");
        let r = map(v).unwrap_err();
        assert_eq!(r.field, "course_sign");
        assert!(r.reason.contains("968608"), "{}", r.reason);
    }

    #[test]
    fn item_without_any_name_is_rejected() {
        let mut v = sample();
        let o = v.as_object_mut().unwrap();
        o.insert("name".into(), json!("   "));
        o.remove("name_en");
        let r = map(v).unwrap_err();
        assert_eq!(r.field, "name");
        assert_eq!(r.external_id.as_deref(), Some("THU08091000247"));
    }

    #[test]
    fn english_name_alone_becomes_the_title() {
        let mut v = sample();
        v.as_object_mut().unwrap().remove("name");
        let d = map(v).unwrap();
        assert_eq!(d.title, "Data Structures and Algorithms (I)");
        assert_eq!(d.titles.len(), 1);
    }

    #[test]
    fn a_non_object_item_is_rejected() {
        assert_eq!(map(json!(42)).unwrap_err().field, "(item)");
    }

    #[test]
    fn missing_language_means_chinese() {
        let mut v = sample();
        v.as_object_mut().unwrap().remove("language");
        assert_eq!(map(v).unwrap().languages, vec!["zh"]);
    }

    #[test]
    fn null_teacher_and_subjects_give_empty_lists() {
        let mut v = sample();
        let o = v.as_object_mut().unwrap();
        o.insert("teacher".into(), Value::Null);
        o.insert("classify_name".into(), Value::Null);
        let d = map(v).unwrap();
        assert!(d.instructors.is_empty());
        assert!(d.subjects.is_empty());
    }

    #[test]
    fn teachers_are_cleaned_and_deduplicated() {
        assert_eq!(
            names(Some(
                &json!([{"name": " 邓俊辉 "}, {"name": "邓俊辉"}, {"title": "x"}, "张三"])
            )),
            vec!["邓俊辉", "张三"]
        );
    }

    #[test]
    fn unknown_status_code_is_kept_verbatim() {
        assert_eq!(status_label("42"), "42");
        assert_eq!(status_label("10"), "ended_without_review");
        let mut v = sample();
        v.as_object_mut()
            .unwrap()
            .insert("status".into(), json!("42"));
        assert_eq!(
            map(v).unwrap().runs.first().unwrap().status_raw.as_deref(),
            Some("42")
        );
    }

    #[test]
    fn sell_type_maps_free_and_paid_only() {
        assert_eq!(access(" 免费"), Some(Access::Free));
        assert_eq!(access("付费"), Some(Access::Paid));
        assert_eq!(access("学分课"), None);
    }

    #[test]
    fn epoch_seconds_and_milliseconds_are_the_same_instant() {
        let tz = chrono_tz::Asia::Shanghai;
        let (s, _) = parse_date(&json!(1736006399), tz);
        let (ms, raw) = parse_date(&json!(1736006399000_i64), tz);
        assert_eq!(s, ms);
        assert!(s.is_some());
        assert_eq!(raw.as_deref(), Some("1736006399000"));
        let (text, _) = parse_date(&json!("1736006399"), tz);
        assert_eq!(text, s);
    }

    #[test]
    fn null_empty_and_zero_dates_are_absent_not_1970() {
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(parse_date(&Value::Null, tz), (None, None));
        assert_eq!(parse_date(&json!(""), tz), (None, None));
        assert_eq!(parse_date(&json!(0), tz).0, None);
    }

    #[test]
    fn unparseable_date_text_is_kept_raw() {
        let (d, raw) = parse_date(&json!("待定"), chrono_tz::Asia::Shanghai);
        assert_eq!(d, None);
        assert_eq!(raw.as_deref(), Some("待定"));
    }

    #[test]
    fn numeric_hours_per_week_is_hours_a_week() {
        let e = effort_of(&json!(3)).unwrap();
        assert_eq!(e.hours_per_week_min, Some(3.0));
        assert_eq!(e.hours_per_week_max, Some(3.0));
    }

    #[test]
    fn course_url_escapes_the_sign() {
        assert_eq!(
            course_url(&base(), "a/b c").as_deref(),
            Some("https://www.xuetangx.com/course/a%2Fb%20c")
        );
    }

    #[test]
    fn cover_with_a_non_http_scheme_is_dropped() {
        assert_eq!(absolute_http(&base(), "javascript:alert(1)"), None);
        assert_eq!(
            absolute_http(&base(), "//s.xuetangx.com/c.png").as_deref(),
            Some("https://s.xuetangx.com/c.png")
        );
    }

    fn leaf() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::from),
            "[0-9]{1,16}".prop_map(Value::from),
            proptest::collection::vec(".{0,6}".prop_map(|n| json!({"name": n})), 0..3)
                .prop_map(Value::from),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_item_maps_or_is_rejected_without_panicking(
            values in proptest::collection::vec(leaf(), 14)
        ) {
            let keys = ["course_sign", "sign", "classroom_id", "name", "name_en", "org", "teacher",
                "classify_name", "cover", "count", "class_start", "class_end", "status", "hours_per_week"];
            let item: Map<String, Value> = keys.iter().map(|k| (*k).to_owned()).zip(values).collect();
            match map(Value::Object(item)) {
                Ok(d) => {
                    proptest::prop_assert!(!d.external_id.is_empty());
                    proptest::prop_assert!(!d.title.trim().is_empty());
                }
                Err(r) => proptest::prop_assert!(!r.reason.is_empty()),
            }
        }
    }

    #[test]
    fn institution_falls_back_to_the_english_name() {
        let mut v = sample();
        v.as_object_mut()
            .unwrap()
            .insert("org".into(), json!({"name_en": "Tsinghua University"}));
        assert_eq!(map(v).unwrap().institutions, vec!["Tsinghua University"]);
    }
}
