//! A listing as one source lists it ([`ListingDraft`]), its runs ([`RunDraft`]) and the
//! rejection of a record that could not become one ([`Rejection`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Access, Availability, Pacing};

/// A normalised listing, ready to store. Every text is NFC, trimmed and non-empty;
/// absent values are `None` or empty collections, never `""`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ListingDraft {
    /// The platform's course identity (edX `Org+Number`, XuetangX `course_sign`, …).
    pub external_id: String,
    /// The course's page on the platform (absolute).
    pub url: Option<String>,
    /// The main title, in the listing's main language.
    pub title: String,
    /// Language-tagged titles (`{"th": …, "en": …}`), BCP 47 keys.
    pub titles: BTreeMap<String, String>,
    /// Plain text.
    pub short_description: Option<String>,
    /// Sanitised HTML (no script, style, event handlers or `javascript:` URLs).
    pub description_html: Option<String>,
    /// The plain-text twin of `description_html`.
    pub description_text: Option<String>,
    /// Institution names as the source gives them.
    pub institutions: Vec<String>,
    pub instructors: Vec<String>,
    /// BCP 47 tags.
    pub languages: Vec<String>,
    /// Source subject labels.
    pub subjects: Vec<String>,
    pub level: Option<String>,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub effort: Option<Effort>,
    pub duration_weeks: Option<f64>,
    pub access: Option<Access>,
    pub certificate: Option<bool>,
    pub enrollment_count: Option<i64>,
    /// Other known identities of this course (e.g. Open edX course keys), for dedup.
    pub same_as: Vec<String>,
    pub runs: Vec<RunDraft>,
}

/// Effort as stated by the source, with what could be parsed from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Effort {
    /// The raw text, always kept.
    pub text: Option<String>,
    /// Only when the text says "per week".
    pub hours_per_week_min: Option<f64>,
    pub hours_per_week_max: Option<f64>,
    /// Total hours, where the text states a total.
    pub total_hours: Option<f64>,
}

/// The raw date texts a run's dates were parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RawDates {
    pub start: Option<String>,
    pub end: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
}

/// One dated offering of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunDraft {
    /// The platform's run identity (edX full course key, XuetangX `classroom_id`, …).
    pub external_run_id: String,
    /// `None` means "to be announced" — never 1970.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub enrollment_start: Option<DateTime<Utc>>,
    pub enrollment_end: Option<DateTime<Utc>>,
    pub raw_dates: RawDates,
    pub pacing: Option<Pacing>,
    /// Stored, but not offered as enrollable.
    pub hidden: bool,
    pub invitation_only: bool,
    /// A platform status code kept verbatim when it maps to nothing we know.
    pub status_raw: Option<String>,
}

impl RunDraft {
    /// Derives availability from the dates at `now`.
    pub fn availability(&self, now: DateTime<Utc>) -> Availability {
        if let Some(end) = self.end
            && end <= now
        {
            return Availability::Archived;
        }
        if self.pacing == Some(Pacing::SelfPaced) {
            return Availability::SelfPaced;
        }
        match self.start {
            Some(start) if start > now => Availability::Upcoming,
            Some(_) => Availability::Current,
            None => Availability::Unknown,
        }
    }
}

impl ListingDraft {
    /// Folds another draft of the same listing (another page's run items) into this one:
    /// runs are merged by run id (the later one wins), list fields gain what they lacked,
    /// scalar fields keep the first value seen unless absent.
    pub fn absorb(&mut self, other: ListingDraft) {
        debug_assert_eq!(self.external_id, other.external_id);
        for run in other.runs {
            match self
                .runs
                .iter_mut()
                .find(|r| r.external_run_id == run.external_run_id)
            {
                Some(existing) => *existing = run,
                None => self.runs.push(run),
            }
        }
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = other.$f; } )* };
        }
        fill!(
            url,
            short_description,
            description_html,
            description_text,
            level,
            image_url,
            video_url,
            effort,
            duration_weeks,
            access,
            certificate,
            enrollment_count
        );
        for (lang, t) in other.titles {
            self.titles.entry(lang).or_insert(t);
        }
        for (mine, theirs) in [
            (&mut self.institutions, other.institutions),
            (&mut self.instructors, other.instructors),
            (&mut self.languages, other.languages),
            (&mut self.subjects, other.subjects),
            (&mut self.same_as, other.same_as),
        ] {
            for v in theirs {
                if !mine.contains(&v) {
                    mine.push(v);
                }
            }
        }
    }

    /// Puts runs in a canonical order so that the same content always hashes the same.
    pub fn canonicalise(&mut self) {
        self.runs
            .sort_by(|a, b| a.external_run_id.cmp(&b.external_run_id));
    }

    /// A hash of the normalised content: equal hashes mean nothing worth storing changed.
    /// Call [`ListingDraft::canonicalise`] first.
    pub fn content_hash(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("a ListingDraft always serialises");
        blake3::hash(&bytes).to_hex().to_string()
    }
}

/// A record that could not become a listing: counted in the run's ledger, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The record's id on the platform, when it could be read.
    pub external_id: Option<String>,
    /// The field at fault (`id`, `name`, …).
    pub field: String,
    /// Why, in words an operator can act on.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn availability_follows_the_dates() {
        let now = at(2025, 6, 1);
        let mut run = RunDraft {
            start: Some(at(2025, 7, 1)),
            ..Default::default()
        };
        assert_eq!(run.availability(now), Availability::Upcoming);
        run.start = Some(at(2025, 5, 1));
        assert_eq!(run.availability(now), Availability::Current);
        run.end = Some(at(2025, 5, 20));
        assert_eq!(run.availability(now), Availability::Archived);
        run.start = None;
        run.end = None;
        assert_eq!(run.availability(now), Availability::Unknown);
        run.pacing = Some(Pacing::SelfPaced);
        assert_eq!(run.availability(now), Availability::SelfPaced);
    }

    #[test]
    fn absorbing_merges_runs_by_id_and_fills_gaps() {
        let mut a = ListingDraft {
            external_id: "MITx+1".into(),
            title: "A".into(),
            runs: vec![RunDraft {
                external_run_id: "r1".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let b = ListingDraft {
            external_id: "MITx+1".into(),
            title: "B".into(),
            image_url: Some("http://x/i.png".into()),
            runs: vec![
                RunDraft {
                    external_run_id: "r2".into(),
                    ..Default::default()
                },
                RunDraft {
                    external_run_id: "r1".into(),
                    hidden: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        a.absorb(b);
        assert_eq!(a.title, "A");
        assert_eq!(a.image_url.as_deref(), Some("http://x/i.png"));
        assert_eq!(a.runs.len(), 2);
        assert!(
            a.runs
                .iter()
                .find(|r| r.external_run_id == "r1")
                .unwrap()
                .hidden
        );
    }

    #[test]
    fn content_hash_ignores_run_order_after_canonicalising() {
        let run = |id: &str| RunDraft {
            external_run_id: id.into(),
            ..Default::default()
        };
        let mut a = ListingDraft {
            external_id: "x".into(),
            runs: vec![run("1"), run("2")],
            ..Default::default()
        };
        let mut b = ListingDraft {
            external_id: "x".into(),
            runs: vec![run("2"), run("1")],
            ..Default::default()
        };
        a.canonicalise();
        b.canonicalise();
        assert_eq!(a.content_hash(), b.content_hash());
        b.title = "changed".into();
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
