//! The options of `style = "thaimooc"`: whether to fetch course pages, and the CSS
//! selectors and Thai labels that find each field on them, so a redesign is a config change.

use scraper::Selector;
use serde::Deserialize;

/// Options of `style = "thaimooc"`.
///
/// ```toml
/// fetch_pages = true
/// [selectors]
/// title = "h1.course-title"
/// [labels]
/// class_dates = "ช่วงเวลาเรียน"
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThaimoocOptions {
    /// Fetch each course's HTML page for its schedule (one request a course). Without it
    /// listings carry the portal JSON only and their run has no dates.
    #[serde(default = "yes")]
    pub fetch_pages: bool,
    /// CSS selectors on the course page. (Boxed, as are the labels, to keep the
    /// `StyleConfig` and `Connector` enums small.)
    #[serde(default)]
    pub selectors: Box<PageSelectors>,
    /// The labels (`<dt>` texts) that identify each field of the info list.
    #[serde(default)]
    pub labels: Box<PageLabels>,
}

fn yes() -> bool {
    true
}

impl Default for ThaimoocOptions {
    fn default() -> Self {
        Self {
            fetch_pages: true,
            selectors: Box::default(),
            labels: Box::default(),
        }
    }
}

/// CSS selectors of the course page (`[selectors]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PageSelectors {
    /// The Thai title.
    pub title: String,
    /// The English title.
    pub title_en: String,
    /// The info list(s) holding label/value pairs.
    pub info: String,
    /// A label inside the info list.
    pub info_label: String,
    /// A value inside the info list; it belongs to the label before it.
    pub info_value: String,
}

impl Default for PageSelectors {
    fn default() -> Self {
        Self {
            title: "h1.course-title".into(),
            title_en: ".course-title-en".into(),
            info: "dl.course-info".into(),
            info_label: "dt".into(),
            info_value: "dd".into(),
        }
    }
}

/// Labels of the info list (`[labels]`). A label matches when the page's label text,
/// trimmed of a trailing colon, equals it or starts with it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PageLabels {
    pub institution: String,
    pub instructors: String,
    /// The enrolment window.
    pub enrollment: String,
    /// When the class runs.
    pub class_dates: String,
    /// Effort or duration text (`10 ชั่วโมง`).
    pub effort: String,
    pub language: String,
}

impl Default for PageLabels {
    fn default() -> Self {
        Self {
            institution: "สถาบัน".into(),
            instructors: "ผู้สอน".into(),
            enrollment: "ช่วงรับสมัคร".into(),
            class_dates: "ช่วงเวลาเรียน".into(),
            effort: "ระยะเวลา".into(),
            language: "ภาษา".into(),
        }
    }
}

/// The compiled form of the page options, ready to extract with.
#[derive(Debug, Clone)]
pub struct PageRules {
    pub(crate) title: Selector,
    pub(crate) title_en: Selector,
    pub(crate) info: Selector,
    pub(crate) info_label: Selector,
    pub(crate) info_value: Selector,
    pub(crate) labels: PageLabels,
}

impl ThaimoocOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        self.page_rules().map(|_| ())
    }

    /// Compiles the selectors and cleans the labels; on error, the key at fault and why.
    pub fn page_rules(&self) -> Result<PageRules, (&'static str, String)> {
        let s = &self.selectors;
        let l = &self.labels;
        let mut labels = PageLabels::clone(l);
        for (key, value, out) in [
            (
                "labels.institution",
                &l.institution,
                &mut labels.institution,
            ),
            (
                "labels.instructors",
                &l.instructors,
                &mut labels.instructors,
            ),
            ("labels.enrollment", &l.enrollment, &mut labels.enrollment),
            (
                "labels.class_dates",
                &l.class_dates,
                &mut labels.class_dates,
            ),
            ("labels.effort", &l.effort, &mut labels.effort),
            ("labels.language", &l.language, &mut labels.language),
        ] {
            *out = crate::normalise::text::clean(value)
                .ok_or_else(|| (key, "empty: a label must have some text".to_owned()))?;
        }
        Ok(PageRules {
            title: compile("selectors.title", &s.title)?,
            title_en: compile("selectors.title_en", &s.title_en)?,
            info: compile("selectors.info", &s.info)?,
            info_label: compile("selectors.info_label", &s.info_label)?,
            info_value: compile("selectors.info_value", &s.info_value)?,
            labels,
        })
    }
}

fn compile(key: &'static str, css: &str) -> Result<Selector, (&'static str, String)> {
    Selector::parse(css).map_err(|e| (key, format!("{css:?} is not a CSS selector: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_format_doc() {
        let o: ThaimoocOptions = toml::from_str("").unwrap();
        assert_eq!(o, ThaimoocOptions::default());
        assert!(o.fetch_pages);
        assert_eq!(o.selectors.title, "h1.course-title");
        assert_eq!(o.labels.class_dates, "ช่วงเวลาเรียน");
        assert!(o.validate().is_ok());
    }

    #[test]
    fn one_overridden_selector_keeps_the_other_defaults() {
        let o: ThaimoocOptions = toml::from_str("[selectors]\ntitle = \"h2.name\"\n").unwrap();
        assert_eq!(o.selectors.title, "h2.name");
        assert_eq!(o.selectors.info, "dl.course-info");
    }

    #[test]
    fn bad_selector_names_its_key() {
        let mut o = ThaimoocOptions::default();
        o.selectors.info_value = "dd[".into();
        let (key, message) = o.validate().unwrap_err();
        assert_eq!(key, "selectors.info_value");
        assert!(message.contains("dd["), "{message}");
    }

    #[test]
    fn blank_label_names_its_key() {
        let mut o = ThaimoocOptions::default();
        o.labels.effort = "  ".into();
        assert_eq!(o.validate().unwrap_err().0, "labels.effort");
    }

    #[test]
    fn unknown_option_is_refused() {
        assert!(toml::from_str::<ThaimoocOptions>("[selectors]\nsubtitle = \"h2\"\n").is_err());
        assert!(toml::from_str::<ThaimoocOptions>("fetch_page = false\n").is_err());
    }
}
