//! One raw feed item to a [`ListingDraft`] with its single run, or a [`Rejection`].
//! Pure: the page URL resolves relative links, the source's zone reads naive times.

use chrono_tz::Tz;
use url::Url;

use super::xml::RawItem;
use crate::connector::openedx::CourseKey;
use crate::domain::{Access, ListingDraft, Pacing, RawDates, Rejection, RunDraft};
use crate::normalise::{dates, effort, html, language, text};

/// What every item of one page is mapped with.
pub(crate) struct PageContext<'a> {
    pub page_url: &'a Url,
    pub tz: Tz,
    /// The channel's `<language>`, for items without `course:language`.
    pub channel_language: Option<&'a str>,
}

/// Maps one item. Rejected without a parseable `course:id` (no identity) or a title.
pub(crate) fn map_item(item: RawItem, cx: &PageContext<'_>) -> Result<ListingDraft, Rejection> {
    let Some(raw_id) = text::clean(item.id.as_deref().unwrap_or_default()) else {
        return Err(Rejection {
            external_id: None,
            field: "course:id".into(),
            reason: "missing: an item without a course key has no identity".into(),
        });
    };
    let Ok(key) = CourseKey::parse(&raw_id) else {
        return Err(Rejection {
            external_id: Some(raw_id.clone()),
            field: "course:id".into(),
            reason: format!(
                "{raw_id:?} is not an Open edX course key (course-v1:Org+Number+Run or Org/Number/Run)"
            ),
        });
    };
    let external_id = key.course_id();
    let run_key = key.to_string();
    let Some(title) = item.title.as_deref().and_then(text::clean_escaped) else {
        return Err(Rejection {
            external_id: Some(external_id),
            field: "title".into(),
            reason: "missing or empty".into(),
        });
    };

    let description = item.description.as_deref().and_then(|d| {
        if looks_like_html(d) {
            html::sanitise_with_base(d, cx.page_url)
        } else {
            html::sanitise_with_base(&plain_text_to_html(d), cx.page_url)
        }
    });
    let short_description = item
        .subtitle
        .as_deref()
        .and_then(html::sanitise)
        .map(|s| s.text);

    let mut institutions = cleaned_unique(&item.schools);
    if institutions.is_empty() {
        // The key's org is the school's short name (`MITx`): better than nothing for dedup.
        institutions.push(key.org.clone());
    }
    let languages: Vec<String> = item
        .language
        .as_deref()
        .or(cx.channel_language)
        .and_then(language::to_bcp47)
        .into_iter()
        .collect();
    let titles = match languages.as_slice() {
        [only] => [(only.clone(), title.clone())].into_iter().collect(),
        _ => Default::default(),
    };
    // `course:verified` 1 means a paid verified certificate beside the free audit track.
    let verified = item.verified.as_deref().map(str::trim) == Some("1");

    let raw_start = text::clean_opt(item.start.as_deref());
    let raw_end = text::clean_opt(item.end.as_deref());
    let run = RunDraft {
        external_run_id: run_key.clone(),
        start: raw_start
            .as_deref()
            .and_then(|r| dates::parse_instant(r, cx.tz)),
        end: raw_end
            .as_deref()
            .and_then(|r| dates::parse_end_instant(r, cx.tz)),
        raw_dates: RawDates {
            start: raw_start,
            end: raw_end,
            ..Default::default()
        },
        pacing: item.self_paced.as_deref().and_then(pacing),
        ..Default::default()
    };

    Ok(ListingDraft {
        external_id,
        url: item.link.as_deref().and_then(|l| absolute(l, cx.page_url)),
        title,
        titles,
        short_description,
        description_html: description.as_ref().map(|d| d.html.clone()),
        description_text: description.map(|d| d.text),
        institutions,
        instructors: cleaned_unique(&item.staff_names),
        languages,
        subjects: cleaned_unique(&item.subjects),
        level: None,
        image_url: item
            .image_thumbnail
            .as_deref()
            .and_then(|i| absolute(i, cx.page_url))
            .or_else(|| {
                item.image_banner
                    .as_deref()
                    .and_then(|i| absolute(i, cx.page_url))
            }),
        video_url: item
            .video_youtube
            .as_deref()
            .and_then(|v| youtube(v, cx.page_url))
            .or_else(|| {
                item.video_file
                    .as_deref()
                    .and_then(|v| absolute(v, cx.page_url))
            }),
        effort: item.effort.as_deref().and_then(effort::parse_effort),
        duration_weeks: item
            .length
            .as_deref()
            .and_then(effort::parse_duration_weeks),
        access: verified.then_some(Access::FreePaidCertificate),
        certificate: verified.then_some(true),
        enrollment_count: None,
        same_as: vec![run_key],
        runs: vec![run],
    })
}

/// `course:self_paced`: `1` self-paced, `0` instructor-paced, anything else unknown.
fn pacing(raw: &str) -> Option<Pacing> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(Pacing::SelfPaced),
        "0" | "false" => Some(Pacing::Instructor),
        _ => None,
    }
}

/// An absolute http(s) URL, resolving a relative one against the page it was found on.
fn absolute(raw: &str, page_url: &Url) -> Option<String> {
    let raw = text::clean(raw)?;
    let url = page_url.join(&raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// `course:video-youtube` holds a URL, or sometimes a bare 11-character video id.
fn youtube(raw: &str, page_url: &Url) -> Option<String> {
    let raw = raw.trim();
    let bare_id = raw.len() == 11
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare_id {
        return Some(format!("https://www.youtube.com/watch?v={raw}"));
    }
    absolute(raw, page_url)
}

/// Cleaned, non-empty, first occurrence only, in feed order.
fn cleaned_unique(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().filter_map(|v| text::clean_escaped(v)) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Whether a description is HTML (has a tag) rather than plain text with line breaks.
fn looks_like_html(s: &str) -> bool {
    s.match_indices('<').any(|(i, _)| {
        s.get(i + 1..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!')
    })
}

/// Plain text keeps its paragraphs (blank lines) and line breaks as HTML.
fn plain_text_to_html(s: &str) -> String {
    let normalised = s.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .filter_map(|para| {
            let lines: Vec<String> = para
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| html_escape::encode_text(l).into_owned())
                .collect();
            (!lines.is_empty()).then(|| format!("<p>{}</p>", lines.join("<br>")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(url: &Url) -> PageContext<'_> {
        PageContext {
            page_url: url,
            tz: Tz::UTC,
            channel_language: Some("en"),
        }
    }

    fn item(id: &str, title: &str) -> RawItem {
        RawItem {
            id: Some(id.into()),
            title: Some(title.into()),
            ..Default::default()
        }
    }

    fn page() -> Url {
        Url::parse("https://www.edx.org/api/v2/report/course-feed/rss?page=1").unwrap()
    }

    #[test]
    fn item_without_a_course_id_is_rejected_without_an_external_id() {
        let r = map_item(
            RawItem {
                title: Some("T".into()),
                ..Default::default()
            },
            &cx(&page()),
        )
        .unwrap_err();
        assert_eq!(r.field, "course:id");
        assert_eq!(r.external_id, None);
    }

    #[test]
    fn item_with_a_malformed_key_is_rejected_naming_the_key() {
        let r = map_item(item("MITx+only-two", "T"), &cx(&page())).unwrap_err();
        assert_eq!(r.field, "course:id");
        assert_eq!(r.external_id.as_deref(), Some("MITx+only-two"));
    }

    #[test]
    fn item_without_a_title_is_rejected_with_its_listing_id() {
        let r = map_item(item("course-v1:A+B+C", "  "), &cx(&page())).unwrap_err();
        assert_eq!(r.field, "title");
        assert_eq!(r.external_id.as_deref(), Some("A+B"));
    }

    #[test]
    fn listing_id_is_org_plus_number_and_the_run_is_the_whole_key() {
        let d = map_item(item("course-v1:MITx+6.00x+1T2016", "Intro"), &cx(&page())).unwrap();
        assert_eq!(d.external_id, "MITx+6.00x");
        assert_eq!(d.runs[0].external_run_id, "course-v1:MITx+6.00x+1T2016");
        assert_eq!(d.same_as, ["course-v1:MITx+6.00x+1T2016"]);
        // No course:school: the org stands in.
        assert_eq!(d.institutions, ["MITx"]);
        assert_eq!(d.languages, ["en"]);
    }

    #[test]
    fn self_paced_flag_maps_to_pacing() {
        assert_eq!(pacing("1"), Some(Pacing::SelfPaced));
        assert_eq!(pacing(" 0 "), Some(Pacing::Instructor));
        assert_eq!(pacing("maybe"), None);
    }

    #[test]
    fn relative_links_resolve_against_the_page_and_other_schemes_are_dropped() {
        let p = page();
        assert_eq!(
            absolute("/course/x", &p).as_deref(),
            Some("https://www.edx.org/course/x")
        );
        assert_eq!(absolute("javascript:alert(1)", &p), None);
        assert_eq!(absolute("   ", &p), None);
    }

    #[test]
    fn bare_youtube_id_becomes_a_watch_url() {
        assert_eq!(
            youtube("dQw4w9WgXcQ", &page()).as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
        );
        assert_eq!(
            youtube("https://youtu.be/abc", &page()).as_deref(),
            Some("https://youtu.be/abc")
        );
    }

    #[test]
    fn plain_text_description_keeps_paragraphs_and_escapes_markup_characters() {
        assert_eq!(
            plain_text_to_html("One & two\nthree\n\n\nFour <5"),
            "<p>One &amp; two<br>three</p><p>Four &lt;5</p>"
        );
        assert!(!looks_like_html("a < b and 3<4"));
        assert!(looks_like_html("<p>x</p>"));
    }

    #[test]
    fn verified_track_means_a_paid_certificate_beside_free_audit() {
        let mut it = item("course-v1:A+B+C", "T");
        it.verified = Some("1".into());
        let d = map_item(it, &cx(&page())).unwrap();
        assert_eq!(d.certificate, Some(true));
        assert_eq!(d.access, Some(Access::FreePaidCertificate));
    }
}
