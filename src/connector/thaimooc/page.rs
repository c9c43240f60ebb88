//! A course page's HTML to owned fields: titles, and the values of the labelled info list
//! (institution, instructors, enrolment window, class dates, effort, language).
//! `scraper::Html` is `!Send`, so it lives and dies inside [`extract`].

use scraper::{ElementRef, Html};

use super::options::PageRules;
use crate::normalise::text;

/// What a course page says, as cleaned text; absent when the page does not say it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoursePage {
    pub title: Option<String>,
    pub title_en: Option<String>,
    pub institution: Option<String>,
    /// One entry a person: list items or lines of the value, or its comma-separated parts.
    pub instructors: Vec<String>,
    /// The enrolment window text (`1 มิ.ย. 2568 - 31 ส.ค. 2568`).
    pub enrollment: Option<String>,
    /// The class dates text, or `เรียนได้ตลอดเวลา`.
    pub class_dates: Option<String>,
    /// Effort text (`10 ชั่วโมง`).
    pub effort: Option<String>,
    pub language: Option<String>,
}

/// Extracts the fields `rules` point at. Never fails: a page without them gives an empty
/// [`CoursePage`].
pub fn extract(html: &str, rules: &PageRules) -> CoursePage {
    let doc = Html::parse_document(html);
    let first_text =
        |sel: &scraper::Selector| doc.select(sel).find_map(|el| text::clean(&joined(el)));
    let mut page = CoursePage {
        title: first_text(&rules.title),
        title_en: first_text(&rules.title_en),
        ..CoursePage::default()
    };
    let labels = &rules.labels;
    for (label, parts) in info_pairs(&doc, rules) {
        let value = text::clean(&parts.join(" "));
        let is = |wanted: &str| label == wanted || label.starts_with(wanted);
        // The first value of a label wins: a page repeating its info list (mobile and
        // desktop layouts) must not overwrite it.
        if is(&labels.institution) {
            page.institution = page.institution.or(value);
        } else if is(&labels.instructors) {
            if page.instructors.is_empty() {
                page.instructors = split_people(&parts);
            }
        } else if is(&labels.enrollment) {
            page.enrollment = page.enrollment.or(value);
        } else if is(&labels.class_dates) {
            page.class_dates = page.class_dates.or(value);
        } else if is(&labels.effort) {
            page.effort = page.effort.or(value);
        } else if is(&labels.language) {
            page.language = page.language.or(value);
        }
    }
    page
}

/// Label/value pairs of every info list, in document order: a value belongs to the
/// label before it; several values after one label are joined; a value's own
/// descendants are not looked at again.
fn info_pairs(doc: &Html, rules: &PageRules) -> Vec<(String, Vec<String>)> {
    let mut pairs: Vec<(String, Vec<String>)> = Vec::new();
    for list in doc.select(&rules.info) {
        let mut open = false;
        let mut inside = None;
        for el in list.descendants().filter_map(ElementRef::wrap) {
            if let Some(value_el) = inside
                && el.ancestors().any(|a| a.id() == value_el)
            {
                continue;
            }
            inside = None;
            if rules.info_label.matches(&el) {
                let label = text::clean(&joined(el)).unwrap_or_default();
                let label = label.trim_end_matches([':', '：', ' ']).to_owned();
                pairs.push((label, Vec::new()));
                open = true;
            } else if open && rules.info_value.matches(&el) {
                if let Some((_, parts)) = pairs.last_mut() {
                    parts.extend(el.text().filter_map(text::clean));
                }
                inside = Some(el.id());
            }
        }
    }
    pairs
}

/// An element's text pieces joined with spaces (so `<br>` does not glue words).
fn joined(el: ElementRef<'_>) -> String {
    el.text().collect::<Vec<_>>().join(" ")
}

/// People from a value's text pieces: one a piece when the page separates them with
/// markup, else split at commas and semicolons.
fn split_people(parts: &[String]) -> Vec<String> {
    let pieces: Vec<&str> = if parts.len() > 1 {
        parts.iter().map(String::as_str).collect()
    } else {
        parts
            .iter()
            .flat_map(|p| p.split([',', ';', '、']))
            .collect()
    };
    let mut out = Vec::new();
    for p in pieces.into_iter().filter_map(text::clean) {
        super::portal::push_unique(&mut out, p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::thaimooc::ThaimoocOptions;

    fn rules() -> PageRules {
        ThaimoocOptions::default().page_rules().unwrap()
    }

    const DOC_PAGE: &str = r#"<html><body><nav><dl class="menu"><dt>สถาบัน</dt><dd>ไม่ใช่</dd></dl></nav>
<h1 class="course-title"> การเงินส่วนบุคคล </h1>
<p class="course-title-en">Personal Finance</p>
<dl class="course-info">
  <dt>สถาบัน</dt><dd>มหาวิทยาลัยนเรศวร</dd>
  <dt>ผู้สอน</dt><dd>ผศ.ดร. สมชาย ใจดี</dd>
  <dt>ช่วงรับสมัคร</dt><dd>1 มิ.ย. 2568 - 31 ส.ค. 2568</dd>
  <dt>ช่วงเวลาเรียน</dt><dd>15 มิถุนายน 2568 – 30 กันยายน 2568</dd>
  <dt>ระยะเวลา</dt><dd>10 ชั่วโมง</dd>
  <dt>ภาษา</dt><dd>ไทย</dd>
</dl></body></html>"#;

    #[test]
    fn format_doc_page_gives_every_field() {
        let p = extract(DOC_PAGE, &rules());
        assert_eq!(p.title.as_deref(), Some("การเงินส่วนบุคคล"));
        assert_eq!(p.title_en.as_deref(), Some("Personal Finance"));
        assert_eq!(p.institution.as_deref(), Some("มหาวิทยาลัยนเรศวร"));
        assert_eq!(p.instructors, vec!["ผศ.ดร. สมชาย ใจดี"]);
        assert_eq!(p.enrollment.as_deref(), Some("1 มิ.ย. 2568 - 31 ส.ค. 2568"));
        assert_eq!(
            p.class_dates.as_deref(),
            Some("15 มิถุนายน 2568 – 30 กันยายน 2568")
        );
        assert_eq!(p.effort.as_deref(), Some("10 ชั่วโมง"));
        assert_eq!(p.language.as_deref(), Some("ไทย"));
    }

    #[test]
    fn labels_identify_fields_whatever_their_order_and_colons() {
        let html = r#"<dl class="course-info"><dt>ภาษา:</dt><dd>อังกฤษ</dd>
            <dt>ช่วงเวลาเรียน</dt><dd><span>เรียนได้ตลอดเวลา</span></dd>
            <dt>หมายเหตุ</dt><dd>อื่น ๆ</dd></dl>"#;
        let p = extract(html, &rules());
        assert_eq!(p.language.as_deref(), Some("อังกฤษ"));
        assert_eq!(p.class_dates.as_deref(), Some("เรียนได้ตลอดเวลา"));
        assert_eq!(p.institution, None);
        assert_eq!(p.effort, None);
    }

    #[test]
    fn several_instructors_are_separate_people() {
        let listed = r#"<dl class="course-info"><dt>ผู้สอน</dt><dd><ul><li>ก ข</li><li> ค ง </li></ul></dd></dl>"#;
        assert_eq!(extract(listed, &rules()).instructors, vec!["ก ข", "ค ง"]);
        let commas = r#"<dl class="course-info"><dt>ผู้สอน</dt><dd>ก ข, ค ง ;ก ข</dd></dl>"#;
        assert_eq!(extract(commas, &rules()).instructors, vec!["ก ข", "ค ง"]);
    }

    #[test]
    fn value_without_a_label_is_ignored() {
        let html =
            r#"<dl class="course-info"><dd>orphan</dd><dt>ระยะเวลา</dt><dd>6 ชั่วโมง</dd></dl>"#;
        let p = extract(html, &rules());
        assert_eq!(p.effort.as_deref(), Some("6 ชั่วโมง"));
        assert_eq!(p.institution, None);
    }

    #[test]
    fn page_without_the_markup_is_empty_not_an_error() {
        assert_eq!(extract("", &rules()), CoursePage::default());
        assert_eq!(
            extract("<p>Not found</p><dl", &rules()),
            CoursePage::default()
        );
    }
}
