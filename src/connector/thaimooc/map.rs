//! One portal course (plus its page, when there is one) to a [`ListingDraft`] with one run,
//! or to a [`Rejection`]. Pure: the directories and the base URL come in as values.

use chrono_tz::Tz;
use url::Url;

use super::keys::openedx_key_in;
use super::page::CoursePage;
use super::portal::{self, NameIndex, PortalCourse, push_unique};
use crate::domain::{Effort, ListingDraft, Pacing, RawDates, Rejection, RunDraft};
use crate::normalise::{dates, effort, html, language};

/// What mapping needs besides the course itself.
#[derive(Debug, Clone, Copy)]
pub struct MapContext<'a> {
    pub base_url: &'a Url,
    /// The zone the page's dates are read in (`Asia/Bangkok`).
    pub timezone: Tz,
    pub institutions: &'a NameIndex,
    pub instructors: &'a NameIndex,
}

/// The course page URL, `{base}/courses/{courseCode}` (the code percent-encoded).
pub fn course_page_url(base: &Url, code: &str) -> Url {
    endpoint(base, &["courses", code])
}

/// `base` with `segments` appended to its path (a base with a path prefix keeps it).
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Maps one course. The JSON wins over the page wherever both speak (it is structured);
/// the page fills what the JSON lacks and alone gives the dates.
pub fn to_listing(
    course: &PortalCourse,
    page: Option<&CoursePage>,
    cx: &MapContext<'_>,
) -> Result<ListingDraft, Rejection> {
    let Some(code) = course.code.clone() else {
        return Err(Rejection {
            external_id: None,
            field: "courseCode".into(),
            reason: "the course has no courseCode, its identity on Thai MOOC".into(),
        });
    };
    let empty = CoursePage::default();
    let page = page.unwrap_or(&empty);

    let title_th = course.title.clone().or_else(|| page.title.clone());
    let title_en = course.title_en.clone().or_else(|| page.title_en.clone());
    let Some(title) = title_th.clone().or_else(|| title_en.clone()) else {
        return Err(Rejection {
            external_id: Some(code),
            field: "title".into(),
            reason: "no title in the portal JSON (title, titleEn) nor on the course page".into(),
        });
    };
    let mut titles = std::collections::BTreeMap::new();
    if let Some(t) = title_th {
        titles.insert("th".to_owned(), t);
    }
    if let Some(t) = title_en {
        titles.insert("en".to_owned(), t);
    }

    let mut institutions = portal::institution_names(course, cx.institutions);
    if institutions.is_empty() {
        institutions.extend(page.institution.clone());
    }
    let mut instructors = portal::instructor_names(course, cx.instructors);
    if instructors.is_empty() {
        instructors.clone_from(&page.instructors);
    }

    let mut languages = Vec::new();
    let spoken: Vec<&String> = if course.teaching_languages.is_empty() {
        page.language.iter().collect()
    } else {
        course.teaching_languages.iter().collect()
    };
    for tag in spoken.into_iter().filter_map(|l| language::to_bcp47(l)) {
        push_unique(&mut languages, tag);
    }

    let description = course
        .description
        .as_deref()
        .and_then(|d| html::sanitise_with_base(d, cx.base_url));
    let key = course.course_url.as_deref().and_then(openedx_key_in);
    let same_as = key
        .as_ref()
        .map(|k| vec![k.run_key(), k.course_key()])
        .unwrap_or_default();
    let run_id = key.as_ref().map_or_else(|| code.clone(), |k| k.run_key());

    Ok(ListingDraft {
        url: Some(course_page_url(cx.base_url, &code).to_string()),
        title,
        titles,
        short_description: None,
        description_html: description.as_ref().map(|d| d.html.clone()),
        description_text: description.map(|d| d.text),
        institutions,
        instructors,
        languages,
        subjects: course.categories.clone(),
        level: course.level.clone(),
        image_url: course
            .image
            .as_deref()
            .and_then(|i| absolute(cx.base_url, i)),
        video_url: course
            .video_url
            .as_deref()
            .and_then(|v| absolute(cx.base_url, v)),
        effort: effort_of(course.duration_hours, page.effort.as_deref()),
        duration_weeks: None,
        access: None,
        certificate: course.has_certificate,
        enrollment_count: course.enroll_count,
        same_as,
        runs: vec![run_of(run_id, page, cx.timezone)],
        external_id: code,
    })
}

/// The one run of a course: dates from the page's Thai text, self-paced when it says
/// any time. Each raw text is kept for both ends of the range it gave.
pub fn run_of(external_run_id: String, page: &CoursePage, tz: Tz) -> RunDraft {
    let mut run = RunDraft {
        external_run_id,
        raw_dates: RawDates {
            start: page.class_dates.clone(),
            end: page.class_dates.clone(),
            enrollment_start: page.enrollment.clone(),
            enrollment_end: page.enrollment.clone(),
        },
        ..RunDraft::default()
    };
    match page.class_dates.as_deref() {
        Some(t) if dates::is_any_time(t) => run.pacing = Some(Pacing::SelfPaced),
        Some(t) => {
            let r = dates::parse_range(t, tz);
            (run.start, run.end) = (r.start, r.end);
        }
        // Open enrolment with no class dates at all is a self-paced course too.
        None if page.enrollment.as_deref().is_some_and(dates::is_any_time) => {
            run.pacing = Some(Pacing::SelfPaced);
        }
        None => {}
    }
    if let Some(t) = page
        .enrollment
        .as_deref()
        .filter(|t| !dates::is_any_time(t))
    {
        let r = dates::parse_range(t, tz);
        (run.enrollment_start, run.enrollment_end) = (r.start, r.end);
    }
    run
}

/// Effort from `durationHours` (a total) and the page's effort text (kept raw, parsed
/// best-effort); the JSON number wins for the total.
fn effort_of(duration_hours: Option<f64>, text: Option<&str>) -> Option<Effort> {
    let parsed = text.and_then(effort::parse_effort);
    match (parsed, duration_hours) {
        (None, None) => None,
        (Some(e), None) => Some(e),
        (parsed, Some(hours)) => Some(Effort {
            total_hours: Some(hours),
            ..parsed.unwrap_or_default()
        }),
    }
}

/// An absolute http(s) URL: as given, or resolved against the site (`/uploads/x.jpg`).
fn absolute(base: &Url, raw: &str) -> Option<String> {
    let url = base.join(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://thaimooc.ac.th").unwrap()
    }

    fn map(
        course: serde_json::Value,
        page: Option<&CoursePage>,
    ) -> Result<ListingDraft, Rejection> {
        let (inst, instr) = (NameIndex::new(), NameIndex::new());
        let b = base();
        let cx = MapContext {
            base_url: &b,
            timezone: chrono_tz::Asia::Bangkok,
            institutions: &inst,
            instructors: &instr,
        };
        to_listing(&portal::read_course(&course), page, &cx)
    }

    #[test]
    fn course_without_a_code_is_rejected_on_course_code() {
        let r = map(json!({"courseCode": "  ", "title": "x"}), None).unwrap_err();
        assert_eq!(r.field, "courseCode");
        assert_eq!(r.external_id, None);
    }

    #[test]
    fn course_without_any_title_is_rejected_on_title() {
        let r = map(
            json!({"courseCode": "UMOOCs00860", "title": " ", "titleEn": null}),
            None,
        )
        .unwrap_err();
        assert_eq!(r.field, "title");
        assert_eq!(r.external_id.as_deref(), Some("UMOOCs00860"));
    }

    #[test]
    fn page_title_fills_a_missing_json_title() {
        let page = CoursePage {
            title: Some("สื่อมวลชนและการรู้เท่าทันสื่อ".into()),
            ..Default::default()
        };
        let d = map(
            json!({"courseCode": "UMOOCs00862", "titleEn": "Mass Media and Media Literacy"}),
            Some(&page),
        )
        .unwrap();
        assert_eq!(d.title, "สื่อมวลชนและการรู้เท่าทันสื่อ");
        assert_eq!(
            d.titles.get("en").map(String::as_str),
            Some("Mass Media and Media Literacy")
        );
    }

    #[test]
    fn english_title_stands_in_when_there_is_no_thai_one() {
        let d = map(json!({"courseCode": "X1", "titleEn": "Korean 1-1"}), None).unwrap();
        assert_eq!(d.title, "Korean 1-1");
        assert_eq!(d.titles.len(), 1);
    }

    #[test]
    fn identity_url_and_run_come_from_the_code_without_a_key() {
        let d = map(json!({"courseCode": " courses143 ", "title": "t"}), None).unwrap();
        assert_eq!(d.external_id, "courses143");
        assert_eq!(
            d.url.as_deref(),
            Some("https://thaimooc.ac.th/courses/courses143")
        );
        assert_eq!(d.runs.len(), 1);
        assert_eq!(
            d.runs.first().map(|r| r.external_run_id.as_str()),
            Some("courses143")
        );
        assert!(d.same_as.is_empty());
    }

    #[test]
    fn course_url_key_gives_run_id_and_same_as() {
        let d = map(
            json!({"courseCode": "NU00436", "title": "t",
                   "courseUrl": "https://lms.thaimooc.org/courses/course-v1:NU+NU036+2021_T1/about"}),
            None,
        )
        .unwrap();
        assert_eq!(d.same_as, vec!["course-v1:NU+NU036+2021_T1", "NU+NU036"]);
        assert_eq!(
            d.runs.first().map(|r| r.external_run_id.as_str()),
            Some("course-v1:NU+NU036+2021_T1")
        );
    }

    #[test]
    fn relative_image_is_resolved_against_the_site() {
        let d = map(
            json!({"courseCode": "A1", "title": "t", "imageId": "/uploads/a1.jpg",
                   "videoUrl": "javascript:alert(1)"}),
            None,
        )
        .unwrap();
        assert_eq!(
            d.image_url.as_deref(),
            Some("https://thaimooc.ac.th/uploads/a1.jpg")
        );
        assert_eq!(d.video_url, None);
    }

    #[test]
    fn any_time_page_is_a_self_paced_run_without_dates() {
        let page = CoursePage {
            class_dates: Some("เรียนได้ตลอดเวลา".into()),
            ..Default::default()
        };
        let run = run_of("r".into(), &page, chrono_tz::Asia::Bangkok);
        assert_eq!(run.pacing, Some(Pacing::SelfPaced));
        assert_eq!((run.start, run.end), (None, None));
        assert_eq!(run.raw_dates.start.as_deref(), Some("เรียนได้ตลอดเวลา"));
    }

    #[test]
    fn duration_hours_is_the_total_and_page_text_is_kept() {
        let e = effort_of(Some(10.0), Some("10 ชั่วโมง")).unwrap();
        assert_eq!(e.total_hours, Some(10.0));
        assert_eq!(e.text.as_deref(), Some("10 ชั่วโมง"));
        assert_eq!(effort_of(None, None), None);
        assert_eq!(
            effort_of(Some(6.0), None).and_then(|e| e.total_hours),
            Some(6.0)
        );
    }

    #[test]
    fn joined_names_win_over_the_page() {
        let mut inst = NameIndex::new();
        inst.insert(
            "nu".into(),
            portal::Names {
                name: Some("มหาวิทยาลัยนเรศวร".into()),
                name_en: Some("Naresuan University".into()),
            },
        );
        let instr = NameIndex::new();
        let b = base();
        let cx = MapContext {
            base_url: &b,
            timezone: chrono_tz::Asia::Bangkok,
            institutions: &inst,
            instructors: &instr,
        };
        let page = CoursePage {
            institution: Some("ม.นเรศวร".into()),
            instructors: vec!["ผศ.ดร. สมชาย ใจดี".into()],
            ..Default::default()
        };
        let course = portal::read_course(
            &json!({"courseCode": "NU00420", "title": "t", "institutionId": "nu"}),
        );
        let d = to_listing(&course, Some(&page), &cx).unwrap();
        assert_eq!(
            d.institutions,
            vec!["มหาวิทยาลัยนเรศวร", "Naresuan University"]
        );
        assert_eq!(d.instructors, vec!["ผศ.ดร. สมชาย ใจดี"]);
    }
}
