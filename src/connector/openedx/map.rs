//! One LMS Course API item (a course run) to a [`ListingDraft`] with one [`RunDraft`].
//! Lenient: any field but `id` and `name` may be absent, null or of the wrong type.

use crate::connector::json::kind;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use url::Url;

use super::key::CourseKey;
use crate::domain::{ListingDraft, Pacing, RawDates, Rejection, RunDraft};
use crate::normalise::{dates, effort, text};

/// Maps one item of `results`. A missing or unparseable `id`, or no usable `name`, rejects
/// the item; every other field degrades to "absent".
pub fn map_item(item: &Value, base_url: &Url, tz: Tz) -> Result<ListingDraft, Rejection> {
    let Some(obj) = item.as_object() else {
        return Err(Rejection {
            external_id: None,
            field: "(item)".into(),
            reason: format!("expected a JSON object, got {}", kind(item)),
        });
    };
    // `course_id` is the API's deprecated copy of `id`: good enough when `id` is missing.
    let raw_id = str_field(obj, "id").or_else(|| str_field(obj, "course_id"));
    let Some(raw_id) = raw_id else {
        return Err(Rejection {
            external_id: None,
            field: "id".into(),
            reason: "missing: the item has no course key".into(),
        });
    };
    let key = CourseKey::parse(raw_id).map_err(|e| Rejection {
        external_id: Some(raw_id.to_owned()),
        field: "id".into(),
        reason: format!("not a course key: {e}"),
    })?;
    let run_key = key.to_string();
    let title = str_field(obj, "name")
        .and_then(text::clean_escaped)
        .ok_or_else(|| Rejection {
            external_id: Some(run_key.clone()),
            field: "name".into(),
            reason: "missing or empty: a course needs a title".into(),
        })?;

    let media = obj.get("media").and_then(Value::as_object);
    let image_url = media.and_then(|m| {
        let image = m.get("image");
        ["large", "raw", "small"]
            .into_iter()
            .filter_map(|size| image.and_then(|i| i.get(size)).and_then(Value::as_str))
            .chain(uri(m, "course_image"))
            .find_map(|u| resolve(base_url, u))
    });
    let video_url = media
        .and_then(|m| uri(m, "course_video"))
        .and_then(|u| resolve(base_url, u));

    Ok(ListingDraft {
        external_id: key.course_id(),
        url: about_url(base_url, &run_key),
        title,
        short_description: str_field(obj, "short_description").and_then(text::clean_escaped),
        institutions: vec![key.org.clone()],
        image_url,
        video_url,
        effort: str_field(obj, "effort").and_then(effort::parse_effort),
        // The LMS list API does not say which language a course is taught in.
        languages: Vec::new(),
        same_as: vec![run_key.clone()],
        runs: vec![map_run(obj, run_key, tz)],
        ..Default::default()
    })
}

fn map_run(obj: &Map<String, Value>, run_key: String, tz: Tz) -> RunDraft {
    let (end, raw_end) = instant(obj, "end", tz);
    let (enrollment_start, raw_enrollment_start) = instant(obj, "enrollment_start", tz);
    let (enrollment_end, raw_enrollment_end) = instant(obj, "enrollment_end", tz);
    // `start_type: "empty"` means the team set no start: the LMS then sends a placeholder
    // date (2030-01-01), which must not become a real start.
    let announced = str_field(obj, "start_type").map(str::trim) != Some("empty");
    let (start, raw_start) = if announced {
        instant(obj, "start", tz)
    } else {
        (None, None)
    };
    let raw_start = if start.is_some() {
        raw_start
    } else {
        // No start: keep the human text ("Coming soon", "Feb. 5, 2013") as the raw start.
        str_field(obj, "start_display")
            .and_then(text::clean)
            .or(raw_start)
    };
    let pacing = str_field(obj, "pacing").and_then(|raw| {
        let known = pacing(raw);
        if known.is_none() && !raw.trim().is_empty() {
            // Accepted as unknown, and noted: a new value may deserve a mapping.
            tracing::warn!(record = %run_key, field = "pacing", value = raw, "Unknown pacing value; stored as unknown.");
        }
        known
    });
    RunDraft {
        external_run_id: run_key,
        start,
        end,
        enrollment_start,
        enrollment_end,
        raw_dates: RawDates {
            start: raw_start,
            end: raw_end,
            enrollment_start: raw_enrollment_start,
            enrollment_end: raw_enrollment_end,
        },
        pacing,
        hidden: flag(obj, "hidden"),
        invitation_only: flag(obj, "invitation_only"),
        status_raw: None,
    }
}

/// Reads pacing leniently: real data has `"instructor,"`, and course-discovery spells it
/// `instructor_paced`. Anything else is unknown, not a guess.
pub fn pacing(raw: &str) -> Option<Pacing> {
    let t = raw
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_lowercase()
        .replace(['-', ' '], "_");
    match t.as_str() {
        "instructor" | "instructor_paced" => Some(Pacing::Instructor),
        "self" | "self_paced" => Some(Pacing::SelfPaced),
        _ => None,
    }
}

/// A date field: the parsed instant (never the Unix epoch, which only a placeholder can
/// be) and the raw text it came from.
fn instant(
    obj: &Map<String, Value>,
    field: &str,
    tz: Tz,
) -> (Option<DateTime<Utc>>, Option<String>) {
    let Some(raw) = str_field(obj, field).and_then(text::clean) else {
        return (None, None);
    };
    let parsed = dates::parse_instant(&raw, tz).filter(|d| d.timestamp() != 0);
    (parsed, Some(raw))
}

/// The course's about page: `{base}/courses/{run key}/about`.
fn about_url(base_url: &Url, run_key: &str) -> Option<String> {
    super::base_dir(base_url)
        .join(&format!("courses/{run_key}/about"))
        .ok()
        .map(String::from)
}

/// Resolves a media URI against the site (`/asset-v1:…` is relative); only http(s) results
/// are kept, so a `javascript:` or `data:` "image" never reaches a reader.
fn resolve(base_url: &Url, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let url = base_url.join(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.into())
}

fn uri<'a>(media: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    media.get(field)?.get("uri")?.as_str()
}

/// A string field; any other type counts as absent.
fn str_field<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    obj.get(field)?.as_str()
}

/// A boolean flag; null, absent or not a boolean is `false`.
fn flag(obj: &Map<String, Value>, field: &str) -> bool {
    obj.get(field).and_then(Value::as_bool).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://courses.example.org").unwrap()
    }

    fn map(v: Value) -> Result<ListingDraft, Rejection> {
        map_item(&v, &base(), Tz::UTC)
    }

    #[test]
    fn course_identity_comes_from_the_key_not_the_display_fields() {
        let d = map(
            json!({"id": "course-v1:MITx+6.002x+2T2020", "name": "Circuits",
                           "org": "MIT", "number": "6002"}),
        )
        .unwrap();
        assert_eq!(d.external_id, "MITx+6.002x");
        assert_eq!(d.institutions, ["MITx"]);
        assert_eq!(d.runs[0].external_run_id, "course-v1:MITx+6.002x+2T2020");
        assert_eq!(
            d.url.as_deref(),
            Some("https://courses.example.org/courses/course-v1:MITx+6.002x+2T2020/about")
        );
    }

    #[test]
    fn pacing_typos_map_leniently_and_unknown_stays_unknown() {
        assert_eq!(pacing("instructor,"), Some(Pacing::Instructor));
        assert_eq!(pacing(" Self "), Some(Pacing::SelfPaced));
        assert_eq!(pacing("self_paced."), Some(Pacing::SelfPaced));
        assert_eq!(pacing("Instructor-Paced"), Some(Pacing::Instructor));
        assert_eq!(pacing("weekly"), None);
        assert_eq!(pacing(""), None);
    }

    #[test]
    fn empty_start_type_gives_no_start_but_keeps_the_display_text() {
        let d = map(
            json!({"id": "a/b/c", "name": "N", "start": "2030-01-01T00:00:00Z",
                           "start_type": "empty", "start_display": "Coming soon"}),
        )
        .unwrap();
        assert_eq!(d.runs[0].start, None);
        assert_eq!(d.runs[0].raw_dates.start.as_deref(), Some("Coming soon"));
    }

    #[test]
    fn epoch_start_is_a_placeholder_not_1970() {
        let d = map(json!({"id": "a/b/c", "name": "N", "start": "1970-01-01T00:00:00Z"})).unwrap();
        assert_eq!(d.runs[0].start, None);
        assert_eq!(
            d.runs[0].raw_dates.start.as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
    }

    #[test]
    fn wrong_types_in_optional_fields_count_as_absent() {
        let d = map(
            json!({"id": "a/b/c", "name": "N", "effort": 6, "hidden": "yes",
                           "media": "none", "short_description": ["x"], "pacing": 1}),
        )
        .unwrap();
        assert_eq!(d.effort, None);
        assert!(!d.runs[0].hidden);
        assert_eq!(d.image_url, None);
        assert_eq!(d.short_description, None);
        assert_eq!(d.runs[0].pacing, None);
    }

    #[test]
    fn relative_course_image_resolves_and_javascript_images_are_dropped() {
        let d = map(json!({"id": "a/b/c", "name": "N",
                           "media": {"image": {"large": "javascript:alert(1)"},
                                     "course_image": {"uri": "/asset-v1:a+b+c+type@asset+block@i.jpg"}}}))
        .unwrap();
        assert_eq!(
            d.image_url.as_deref(),
            Some("https://courses.example.org/asset-v1:a+b+c+type@asset+block@i.jpg")
        );
    }

    #[test]
    fn missing_id_or_name_rejects_with_the_field() {
        let e = map(json!({"name": "N"})).unwrap_err();
        assert_eq!((e.field.as_str(), e.external_id), ("id", None));
        let e = map(json!({"id": "nonsense", "name": "N"})).unwrap_err();
        assert_eq!(e.field, "id");
        assert!(e.reason.starts_with("not a course key"), "{}", e.reason);
        let e = map(json!({"id": "a/b/c", "name": "  "})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.external_id.as_deref()),
            ("name", Some("a/b/c"))
        );
        let e = map(json!(42)).unwrap_err();
        assert_eq!(e.field, "(item)");
    }
}
