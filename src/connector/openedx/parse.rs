//! LMS Course API pages: the envelope (paginated `{results, pagination}` or a bare array)
//! and the detail endpoint's `overview`. Pure: bytes in, drafts and rejections out.

use crate::connector::json::kind;
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::map::map_item;
use crate::domain::{ListingDraft, Rejection};
use crate::normalise::html;

/// One catalogue page, parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedPage {
    /// Listings (items of one course on this page already merged, in first-seen order)
    /// and rejected items, in page order.
    #[serde(serialize_with = "items_as_tagged")]
    pub items: Vec<Result<ListingDraft, Rejection>>,
    /// The next page (resolved against the page's URL), `None` on the last page.
    #[serde(serialize_with = "url_as_str")]
    pub next: Option<Url>,
    /// The total number of items the platform announced, when it did.
    pub count: Option<u64>,
    /// Items on this page before merging (what `count` counts).
    pub records: u64,
}

/// Parses one page of `/api/courses/v1/courses/`. An `Err` (the message says why) means
/// the envelope itself is unusable and the run must fail; a bad item is only a rejection.
pub fn parse_page(
    body: &[u8],
    page_url: &Url,
    base_url: &Url,
    tz: Tz,
) -> Result<ParsedPage, String> {
    let doc = json(body)?;
    let (results, next, count) = match doc {
        // Older sites answer a bare array: one page, no total.
        Value::Array(items) => (items, None, None),
        Value::Object(mut obj) => {
            let results = match obj.remove("results") {
                Some(Value::Array(items)) => items,
                Some(other) => return Err(format!("`results` is {}, not an array", kind(&other))),
                None => {
                    return Err(
                        "expected {\"results\": [...], \"pagination\": {...}} or a JSON array"
                            .into(),
                    );
                }
            };
            // Stock sites nest paging under `pagination`; DRF's default envelope (and
            // course-discovery) put `next`/`count` at the top level. Accept either.
            let paging = match obj.remove("pagination") {
                Some(Value::Object(p)) => p,
                Some(Value::Null) | None => obj,
                Some(other) => {
                    return Err(format!("`pagination` is {}, not an object", kind(&other)));
                }
            };
            let next = match paging.get("next") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(
                    page_url
                        .join(s.trim())
                        .map_err(|e| format!("`next` {s:?} is not a URL: {e}"))?,
                ),
                Some(other) => return Err(format!("`next` is {}, not a URL", kind(other))),
            };
            let count = match paging.get("count") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_u64()
                        .ok_or_else(|| format!("`count` is {v}, not a count"))?,
                ),
            };
            (results, next, count)
        }
        other => {
            return Err(format!(
                "expected a JSON object or array, got {}",
                kind(&other)
            ));
        }
    };
    let records = results.len() as u64;
    Ok(ParsedPage {
        items: merge_same_course(results.iter().map(|item| map_item(item, base_url, tz))),
        next,
        count,
        records,
    })
}

/// The detail endpoint's `overview`, sanitised, with its plain-text twin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Description {
    pub html: String,
    pub text: String,
}

/// Parses a detail response (`/api/courses/v1/courses/{key}/`). `Ok(None)` when there is
/// no overview, or nothing visible is left of it after sanitising.
pub fn parse_detail(body: &[u8]) -> Result<Option<Description>, String> {
    let doc = json(body)?;
    let Some(obj) = doc.as_object() else {
        return Err(format!("expected a JSON object, got {}", kind(&doc)));
    };
    Ok(obj
        .get("overview")
        .and_then(Value::as_str)
        .and_then(html::sanitise)
        .map(|s| Description {
            html: s.html,
            text: s.text,
        }))
}

fn json(body: &[u8]) -> Result<Value, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))
}

/// Several runs of one course come as separate items: fold them into the first draft of
/// that course, keeping page order. Rejections stay where they were.
fn merge_same_course(
    items: impl Iterator<Item = Result<ListingDraft, Rejection>>,
) -> Vec<Result<ListingDraft, Rejection>> {
    let mut out: Vec<Result<ListingDraft, Rejection>> = Vec::new();
    for item in items {
        match item {
            Ok(draft) => {
                let first = out.iter_mut().find_map(|o| match o {
                    Ok(d) if d.external_id == draft.external_id => Some(d),
                    _ => None,
                });
                match first {
                    Some(first) => first.absorb(draft),
                    None => out.push(Ok(draft)),
                }
            }
            Err(r) => out.push(Err(r)),
        }
    }
    out
}

fn url_as_str<S: serde::Serializer>(url: &Option<Url>, s: S) -> Result<S::Ok, S::Error> {
    url.as_ref().map(Url::as_str).serialize(s)
}

/// Items as `{"listing": …}` / `{"rejected": …}`: the shape of the golden files.
fn items_as_tagged<S: serde::Serializer>(
    items: &[Result<ListingDraft, Rejection>],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Tagged<'a> {
        Listing(&'a ListingDraft),
        Rejected(&'a Rejection),
    }
    s.collect_seq(items.iter().map(|i| match i {
        Ok(d) => Tagged::Listing(d),
        Err(r) => Tagged::Rejected(r),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_url() -> Url {
        Url::parse("https://courses.example.org/api/courses/v1/courses/?page=1&page_size=2")
            .unwrap()
    }

    fn parse(body: &str) -> Result<ParsedPage, String> {
        let base = Url::parse("https://courses.example.org").unwrap();
        parse_page(body.as_bytes(), &page_url(), &base, Tz::UTC)
    }

    #[test]
    fn paginated_envelope_gives_next_and_count() {
        let p = parse(
            r#"{"results": [{"id": "a/b/c", "name": "N"}],
                          "pagination": {"next": "?page=2&page_size=2", "count": 3}}"#,
        )
        .unwrap();
        assert_eq!(
            p.next.map(String::from).as_deref(),
            Some("https://courses.example.org/api/courses/v1/courses/?page=2&page_size=2")
        );
        assert_eq!((p.count, p.records, p.items.len()), (Some(3), 1, 1));
    }

    #[test]
    fn bare_array_is_one_page_without_a_total() {
        let p = parse(r#"[{"id": "a/b/c", "name": "N"}, {"id": "x/y/z", "name": "M"}]"#).unwrap();
        assert_eq!((p.next, p.count, p.items.len()), (None, None, 2));
    }

    #[test]
    fn top_level_drf_paging_is_accepted() {
        let p = parse(r#"{"count": 1, "next": null, "results": []}"#).unwrap();
        assert_eq!(p.count, Some(1));
    }

    #[test]
    fn broken_envelopes_are_errors_not_empty_pages() {
        for body in [
            r#"{"results": [{"id": "a/b/c""#,
            r#"{"courses": []}"#,
            r#"{"results": {}}"#,
            r#""results""#,
            r#"{"results": [], "pagination": {"next": 5}}"#,
            r#"{"results": [], "pagination": {"count": -1}}"#,
            "",
        ] {
            assert!(parse(body).is_err(), "{body}");
        }
    }

    #[test]
    fn runs_of_one_course_on_one_page_become_one_listing() {
        let p = parse(
            r#"[{"id": "course-v1:K+1+A", "name": "One"}, {"id": "bad"},
                          {"id": "course-v1:Z+9+A", "name": "Two"},
                          {"id": "course-v1:K+1+B", "name": "One again"}]"#,
        )
        .unwrap();
        assert_eq!(p.records, 4);
        let ids: Vec<_> = p
            .items
            .iter()
            .map(|i| match i {
                Ok(d) => (d.external_id.clone(), d.runs.len()),
                Err(r) => (format!("rejected {}", r.field), 0),
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("K+1".into(), 2),
                ("rejected id".into(), 0),
                ("Z+9".into(), 1)
            ]
        );
    }

    #[test]
    fn detail_overview_is_sanitised() {
        let d = parse_detail(br#"{"overview": "<p onclick=\"x()\">Hi<script>bad()</script></p>"}"#)
            .unwrap()
            .unwrap();
        assert!(
            !d.html.contains("script") && !d.html.contains("onclick"),
            "{}",
            d.html
        );
        assert_eq!(d.text, "Hi");
        assert_eq!(parse_detail(br#"{"overview": null}"#).unwrap(), None);
        assert!(parse_detail(b"[]").is_err());
    }
}
