//! The portal's JSON: the `{"success", "data"}` envelope, and courses, institutions and
//! instructors read leniently — any field may be missing, null or of a surprising type.

use std::collections::HashMap;

use serde_json::Value;

use crate::normalise::text;

/// Why a portal response could not be read as a list of records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The body is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// `success` is false; the platform's message, if it gave one.
    #[error("{0}")]
    Failed(String),
    /// No `data` array.
    #[error("no `data` array in the response")]
    NoData,
}

/// Reads `{"success": true, "data": [...]}`. `success: false` is [`EnvelopeError::Failed`];
/// a missing `success` is accepted when `data` is there.
pub fn parse_envelope(body: &[u8]) -> Result<Vec<Value>, EnvelopeError> {
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
    if flag(v.get("success")) == Some(false) {
        let message = text_of(&v, &["message", "error"])
            .unwrap_or_else(|| "the response says success: false".to_owned());
        return Err(EnvelopeError::Failed(message));
    }
    match v.get_mut("data").map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(EnvelopeError::NoData),
    }
}

/// A name in Thai and in English, as the portal's directories give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub name: Option<String>,
    pub name_en: Option<String>,
}

/// Institutions or instructors by id (ids compared as text, so `17` matches `"17"`).
pub type NameIndex = HashMap<String, Names>;

/// Indexes `/api/institutions` or `/api/instructors` items by `id`; items without an id
/// or without any name are skipped.
pub fn name_index(items: &[Value]) -> NameIndex {
    items
        .iter()
        .filter_map(|item| {
            let id = text_of(item, &["id"])?;
            let names = Names {
                name: text_of(item, &["name"]),
                name_en: text_of(item, &["nameEn", "name_en"]),
            };
            (names.name.is_some() || names.name_en.is_some()).then_some((id, names))
        })
        .collect()
}

/// One course of `/api/courses`, cleaned; nothing here is validated yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortalCourse {
    /// `courseCode`, trimmed: the listing identity.
    pub code: Option<String>,
    pub title: Option<String>,
    pub title_en: Option<String>,
    /// Raw HTML, sanitised later.
    pub description: Option<String>,
    pub course_url: Option<String>,
    pub video_url: Option<String>,
    /// `imageId`: a URL or a site-relative path.
    pub image: Option<String>,
    pub institution_ids: Vec<String>,
    pub instructor_ids: Vec<String>,
    /// Category names carried by `courseCategories` / `course_categories` (Thai, then
    /// English when different). `categoryIds` alone carry no names and give nothing.
    pub categories: Vec<String>,
    pub level: Option<String>,
    /// `teachingLanguage`: codes or names, as given.
    pub teaching_languages: Vec<String>,
    pub duration_hours: Option<f64>,
    pub has_certificate: Option<bool>,
    pub enroll_count: Option<i64>,
}

/// Reads one course record; a non-object gives an empty course (no code: rejected later).
pub fn read_course(v: &Value) -> PortalCourse {
    PortalCourse {
        code: text_of(v, &["courseCode", "course_code"]),
        title: text_of(v, &["title"]),
        title_en: text_of(v, &["titleEn", "title_en"]),
        description: raw_of(v, &["description"]),
        course_url: text_of(v, &["courseUrl", "course_url"]),
        video_url: text_of(v, &["videoUrl", "video_url"]),
        image: text_of(v, &["imageId", "imageUrl", "image"]),
        institution_ids: ids_of(v, &["institutionId", "institutionIds", "institution_id"]),
        instructor_ids: ids_of(v, &["instructorId", "instructorIds", "instructor_id"]),
        categories: category_names(v),
        level: text_of(v, &["level"]),
        teaching_languages: texts_of(v, &["teachingLanguage", "teaching_language"]),
        duration_hours: number_of(v, &["durationHours", "duration_hours"]).filter(|h| *h > 0.0),
        has_certificate: flag(first(v, &["hasCertificate", "has_certificate"])),
        enroll_count: number_of(v, &["enrollCount", "enroll_count"])
            .filter(|n| *n >= 0.0 && *n < 1e15)
            .map(|n| n as i64),
    }
}

/// Institution names of a course: for each, the Thai name, then the English name as a
/// second entry when it differs (so dedup can match either spelling).
pub fn institution_names(course: &PortalCourse, index: &NameIndex) -> Vec<String> {
    let mut out = Vec::new();
    for names in course.institution_ids.iter().filter_map(|id| index.get(id)) {
        for n in [&names.name, &names.name_en].into_iter().flatten() {
            push_unique(&mut out, n.clone());
        }
    }
    out
}

/// Instructor names of a course: one entry a person, the Thai name (the English one when
/// there is no Thai name), so that one person is never counted twice.
pub fn instructor_names(course: &PortalCourse, index: &NameIndex) -> Vec<String> {
    let mut out = Vec::new();
    for names in course.instructor_ids.iter().filter_map(|id| index.get(id)) {
        if let Some(n) = names.name.as_ref().or(names.name_en.as_ref()) {
            push_unique(&mut out, n.clone());
        }
    }
    out
}

pub(crate) fn push_unique(out: &mut Vec<String>, value: String) {
    if !out.contains(&value) {
        out.push(value);
    }
}

/// The first of `keys` present and not null.
fn first<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| v.get(*k).filter(|x| !x.is_null()))
}

/// A scalar as cleaned text. Placeholders the portal emits for "nothing" (`"null"`,
/// `"undefined"`, `"-"`) count as absent.
fn scalar_text(v: &Value) -> Option<String> {
    let raw = match v {
        Value::String(s) => text::clean(s)?,
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!matches!(raw.as_str(), "null" | "NULL" | "undefined" | "-")).then_some(raw)
}

/// The first of `keys` holding a string or a number, cleaned.
fn text_of(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().filter_map(|k| v.get(*k)).find_map(scalar_text)
}

/// Like [`text_of`] but only trimmed (HTML keeps its inner whitespace).
fn raw_of(v: &Value, keys: &[&str]) -> Option<String> {
    first(v, keys)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A scalar or an array of scalars, cleaned.
fn texts_of(v: &Value, keys: &[&str]) -> Vec<String> {
    match first(v, keys) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(x) => scalar_text(x).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Ids: a scalar, an array of scalars, or objects with an `id`.
fn ids_of(v: &Value, keys: &[&str]) -> Vec<String> {
    let one = |x: &Value| match x {
        Value::Object(_) => text_of(x, &["id"]),
        _ => scalar_text(x),
    };
    let mut out = Vec::new();
    for key in keys {
        match v.get(*key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(one)
                .for_each(|id| push_unique(&mut out, id)),
            Some(x) => one(x).into_iter().for_each(|id| push_unique(&mut out, id)),
            None => {}
        }
    }
    out
}

/// A number, or a string holding one (`"6"`, `"1,520"`).
fn number_of(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter()
        .filter_map(|k| v.get(*k))
        .find_map(|x| match x {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ',')
                .collect::<String>()
                .parse::<f64>()
                .ok(),
            _ => None,
        })
        .filter(|n| n.is_finite())
}

/// A boolean, `0`/`1`, or `"true"`/`"false"`/`"yes"`/`"no"`.
fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Category names from the relation arrays (`[{"category": {"name", "nameEn"}}]` or
/// `[{"name", "nameEn"}]`), Thai first, English when it differs.
fn category_names(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["courseCategories", "course_categories", "categories"] {
        let Some(Value::Array(items)) = v.get(key) else {
            continue;
        };
        for item in items {
            let holder = item
                .get("category")
                .filter(|c| c.is_object())
                .unwrap_or(item);
            for name in [
                text_of(holder, &["name"]),
                text_of(holder, &["nameEn", "name_en"]),
            ]
            .into_iter()
            .flatten()
            {
                push_unique(&mut out, name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn success_false_is_a_platform_failure_with_its_message() {
        let e = parse_envelope(&body(json!({"success": false, "message": "DB down"}))).unwrap_err();
        assert_eq!(e, EnvelopeError::Failed("DB down".into()));
        let e = parse_envelope(&body(json!({"success": "false", "data": []}))).unwrap_err();
        assert!(matches!(e, EnvelopeError::Failed(_)));
    }

    #[test]
    fn envelope_without_a_data_array_is_an_error() {
        assert_eq!(
            parse_envelope(&body(json!({"success": true, "data": {}}))),
            Err(EnvelopeError::NoData)
        );
        assert!(matches!(
            parse_envelope(b"<html>"),
            Err(EnvelopeError::NotJson(_))
        ));
    }

    #[test]
    fn envelope_gives_its_items() {
        let items = parse_envelope(&body(json!({"success": true, "data": [1, {"a": 2}]}))).unwrap();
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn stray_whitespace_and_placeholders_are_cleaned() {
        let c = read_course(&json!({
            "courseCode": "  ICCS00894\n", "title": "การฟื้นฟูแบตเตอรี่เก่า \n",
            "titleEn": "null", "level": "  ", "videoUrl": null
        }));
        assert_eq!(c.code.as_deref(), Some("ICCS00894"));
        assert_eq!(c.title.as_deref(), Some("การฟื้นฟูแบตเตอรี่เก่า"));
        assert_eq!(c.title_en, None);
        assert_eq!(c.level, None);
        assert_eq!(c.video_url, None);
    }

    #[test]
    fn surprising_types_are_read_where_they_make_sense() {
        let c = read_course(&json!({
            "courseCode": 143, "durationHours": "6", "enrollCount": "1,520",
            "hasCertificate": 1, "institutionId": 17, "instructorId": ["a", {"id": "b"}, null],
            "level": 2, "teachingLanguage": ["th", "en"]
        }));
        assert_eq!(c.code.as_deref(), Some("143"));
        assert_eq!(c.duration_hours, Some(6.0));
        assert_eq!(c.enroll_count, Some(1520));
        assert_eq!(c.has_certificate, Some(true));
        assert_eq!(c.institution_ids, vec!["17"]);
        assert_eq!(c.instructor_ids, vec!["a", "b"]);
        assert_eq!(c.level.as_deref(), Some("2"));
        assert_eq!(c.teaching_languages, vec!["th", "en"]);
    }

    #[test]
    fn nonsense_values_are_absent_not_fatal() {
        let c = read_course(&json!({
            "courseCode": {"x": 1}, "durationHours": "ten", "enrollCount": -5,
            "hasCertificate": "maybe", "title": ["a"], "courseCategories": "x"
        }));
        assert_eq!(c, PortalCourse::default());
        assert_eq!(read_course(&json!(null)), PortalCourse::default());
    }

    #[test]
    fn category_relations_under_both_names_give_names_once() {
        let c = read_course(&json!({
            "categoryIds": ["cat-3"],
            "courseCategories": [{"categoryId": "cat-3", "category": {"name": "ธุรกิจ", "nameEn": "Business"}}],
            "course_categories": [{"category": {"name": "ธุรกิจ", "nameEn": "Business"}}, {"name": "ภาษา", "nameEn": "ภาษา"}]
        }));
        assert_eq!(c.categories, vec!["ธุรกิจ", "Business", "ภาษา"]);
    }

    #[test]
    fn institutions_join_thai_then_english_name() {
        let index = name_index(&[
            json!({"id": "inst-nu", "name": " มหาวิทยาลัยนเรศวร ", "nameEn": "Naresuan University"}),
            json!({"id": 17, "name": "Microsoft", "nameEn": "Microsoft"}),
            json!({"name": "no id"}),
        ]);
        assert_eq!(index.len(), 2);
        let c = read_course(&json!({"institutionId": ["inst-nu", "17", "unknown"]}));
        assert_eq!(
            institution_names(&c, &index),
            vec!["มหาวิทยาลัยนเรศวร", "Naresuan University", "Microsoft"]
        );
    }

    #[test]
    fn instructors_join_one_name_a_person() {
        let index = name_index(&[
            json!({"id": "i1", "name": "สมชาย ใจดี", "nameEn": "Somchai Jaidee"}),
            json!({"id": "i2", "name": null, "nameEn": "Jane Roe"}),
        ]);
        let c = read_course(&json!({"instructorId": ["i1", "i2"]}));
        assert_eq!(instructor_names(&c, &index), vec!["สมชาย ใจดี", "Jane Roe"]);
    }
}
