//! [`MatchRecord`]: what the matcher knows about one listing, built from a
//! [`ListingDraft`] or from a row of the dedup benchmark's `records.csv`.

use crate::connector::openedx::CourseKey;
use crate::domain::ListingDraft;

/// One title with its language, when the source says which (`None`: detect from script).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedTitle {
    pub lang: Option<String>,
    pub text: String,
}

/// What the matcher knows about one listing (or one run listing, in the benchmark).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MatchRecord {
    /// The listing's id; cluster ids are the smallest member id.
    pub id: u64,
    /// The platform / source name (`edx`, `xuetangx`, …).
    pub source: String,
    /// The platform's own id of the listing (or run), when known.
    pub source_id: Option<String>,
    /// The main title first, then language-tagged alternatives (`titleEn`, `name_en`).
    pub titles: Vec<TaggedTitle>,
    /// Institution names as the source spells them.
    pub institutions: Vec<String>,
    pub instructors: Vec<String>,
    /// BCP 47 tags.
    pub languages: Vec<String>,
    /// Other identities of the course: Open edX keys (`course-v1:Org+Number+Run`,
    /// `Org/Number/Run`), `Org+Number` course ids, or opaque legacy keys.
    pub identifiers: Vec<String>,
    /// The part of a series, when the source states it outside the title.
    pub part: Option<u8>,
    /// `YYYY-MM-DD` of the (earliest) run.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD` of the latest run, when the listing has several.
    pub last_start_date: Option<String>,
    pub subject: Option<String>,
}

impl MatchRecord {
    /// The matcher's view of a stored listing: the external id and `same_as` keys are its
    /// identifiers, the main title comes first and the language-tagged titles after it.
    pub fn from_draft(listing_id: u64, source: &str, draft: &ListingDraft) -> Self {
        let mut titles = vec![TaggedTitle {
            lang: draft.languages.first().cloned(),
            text: draft.title.clone(),
        }];
        for (lang, text) in &draft.titles {
            if *text != draft.title {
                titles.push(TaggedTitle {
                    lang: Some(lang.clone()),
                    text: text.clone(),
                });
            }
        }
        let mut identifiers: Vec<String> = draft.same_as.clone();
        identifiers.extend(draft.runs.iter().map(|r| r.external_run_id.clone()));
        MatchRecord {
            id: listing_id,
            source: source.to_owned(),
            source_id: Some(draft.external_id.clone()),
            titles,
            institutions: draft.institutions.clone(),
            instructors: draft.instructors.clone(),
            languages: draft.languages.clone(),
            identifiers,
            part: None,
            start_date: draft
                .runs
                .iter()
                .filter_map(|r| r.start)
                .min()
                .map(|d| d.format("%Y-%m-%d").to_string()),
            last_start_date: draft
                .runs
                .iter()
                .filter_map(|r| r.start)
                .max()
                .map(|d| d.format("%Y-%m-%d").to_string()),
            subject: draft.subjects.first().cloned(),
        }
    }

    /// The matcher's view of one benchmark row (`record_id,platform,source_id,title,
    /// institution,instructors,language,run_label,start_date,subject`). The source id is
    /// also an identifier (an Open edX or legacy key parses to its course): the matcher
    /// reads it with the identifiers, so it is not copied into them.
    pub fn from_bench_row(row: &BenchRow) -> Self {
        let none_if_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        MatchRecord {
            id: row.record_id,
            source: row.platform.clone(),
            source_id: none_if_empty(&row.source_id),
            titles: vec![TaggedTitle {
                lang: None,
                text: row.title.clone(),
            }],
            institutions: none_if_empty(&row.institution).into_iter().collect(),
            instructors: super::text::split_people(&row.instructors)
                .map(str::to_owned)
                .collect(),
            // Not matching evidence (a title's script says its language), and a million
            // rows of it cost tens of megabytes.
            languages: Vec::new(),
            identifiers: Vec::new(),
            part: None,
            start_date: none_if_empty(&row.start_date),
            last_start_date: None,
            subject: none_if_empty(&row.subject),
        }
    }
}

/// One row of the benchmark's `records.csv`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct BenchRow {
    pub record_id: u64,
    pub platform: String,
    #[serde(default)]
    pub source_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub instructors: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub run_label: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub subject: String,
}

/// A course identity parsed from an identifier: the organisation (folded with
/// [`super::text::org_key`]) and the course number, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourseIdentity {
    pub org: String,
    pub number: String,
}

/// Parses `course-v1:Org+Number+Run`, `Org/Number/Run` or `Org+Number` into the course
/// identity; `None` for anything else (URLs, numeric ids).
pub fn course_identity(raw: &str) -> Option<CourseIdentity> {
    let (org, number) = match CourseKey::parse(raw) {
        Ok(key) => (key.org, key.number),
        Err(_) => {
            let (org, number) = raw.trim().split_once('+')?;
            if org.is_empty() || number.is_empty() || number.contains(['+', '/', ' ']) {
                return None;
            }
            (org.to_owned(), number.to_owned())
        }
    };
    if org.contains(':') || org.contains('.') {
        return None;
    }
    Some(CourseIdentity {
        org: super::text::org_key(&org),
        number: number.to_lowercase(),
    })
}

/// The listing part of a platform id that names a run: a URL's query (`?session=…`) and
/// fragment dropped, and of `course/run` numeric pairs the course. Same-platform records
/// with the same listing id are runs of one listing.
pub fn listing_of(source_id: &str) -> Option<String> {
    let s = source_id.trim();
    if s.is_empty() || course_identity(s).is_some() {
        return None;
    }
    if let Some(course) = numbered_listing_of(s) {
        return Some(course.to_owned());
    }
    let s = s.split(['?', '#']).next().unwrap_or(s);
    Some(s.to_lowercase())
}

/// The listing of a platform id that names one run of a numbered listing (`course/run`,
/// both numbers: `3581898/5659843` → `3581898`). A platform that numbers the runs of a
/// listing lists a course once: its runs come under that one listing id, so two of its
/// listing ids are two courses.
pub fn numbered_listing_of(source_id: &str) -> Option<&str> {
    let s = source_id.trim();
    let s = s.split(['?', '#']).next().unwrap_or(s);
    let (course, run) = s.split_once('/')?;
    (!course.is_empty()
        && course.bytes().all(|b| b.is_ascii_digit())
        && run.bytes().all(|b| b.is_ascii_digit()))
    .then_some(course)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_edx_keys_of_both_syntaxes_name_the_same_course() {
        let a = course_identity("course-v1:TsinghuaX+30240184X+2024_T1").unwrap();
        let b = course_identity("TSINGHUA/30240184x/fall_2019").unwrap();
        assert_eq!(a, b);
        assert!(course_identity("https://stepik.org/course/1234").is_none());
    }

    #[test]
    fn run_parts_of_platform_ids_are_dropped() {
        assert_eq!(
            listing_of("ml-basics?session=2020-09").as_deref(),
            Some("ml-basics")
        );
        assert_eq!(listing_of("3581898/5659843").as_deref(), Some("3581898"));
        assert_eq!(listing_of("course-v1:MITx+6.00x+2T2024"), None);
    }

    #[test]
    fn only_course_and_run_numbers_name_a_numbered_listing() {
        assert_eq!(numbered_listing_of("3581898/5659843"), Some("3581898"));
        assert_eq!(numbered_listing_of("https://stepik.org/course/1234"), None);
        assert_eq!(numbered_listing_of("ml-basics?session=2020-09"), None);
    }
}
