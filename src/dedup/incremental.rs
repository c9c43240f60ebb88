//! Incremental matching on top of [`cluster`](super::cluster): the blocking keys stored
//! per listing (so a sync re-matches only the neighbourhood of what changed), and the
//! reconciliation of a fresh clustering with the stored course ids (stable ids, merges,
//! splits). Pure: the store runs the SQL around it (`src/store/dedup.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::text;
use super::{AliasTable, Link, MatchRecord, Signal, THRESHOLDS, course_identity};

/// The shipped alias table, parsed once per process.
pub fn default_aliases() -> Result<&'static AliasTable, String> {
    static TABLE: OnceLock<Result<AliasTable, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| AliasTable::load_default().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Computes blocking keys. Two listings the matcher could link share at least one key:
/// - `k:ORG+NUMBER` — a course identity (`SharedKey`);
/// - `i:INSTITUTION` — an institution (canonical id of the alias table, else the folded
///   name; platform organisations of the keys too): every title, translation and
///   instructor signal of the matcher links only records of one institution;
/// - `t:CORE` — a folded title core, main and alternative titles (same title where the
///   institution names could not be aliased);
/// - `p:NAME` — an instructor's full name key (two name parts or more).
pub struct KeyMaker {
    aliases: AliasTable,
}

impl KeyMaker {
    pub fn new(aliases: &AliasTable) -> Self {
        Self {
            aliases: aliases.clone(),
        }
    }

    /// The sorted, distinct keys of one record.
    pub fn keys(&mut self, r: &MatchRecord) -> Vec<String> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        let mut orgs: Vec<String> = Vec::new();
        for ident in r.identifiers.iter().chain(r.source_id.as_ref()) {
            if let Some(id) = course_identity(ident) {
                keys.insert(format!("k:{}+{}", id.org, id.number));
                orgs.push(id.org);
            }
        }
        for name in r.institutions.iter().chain(&orgs) {
            let inst = self
                .aliases
                .canonical_id(name)
                .unwrap_or_else(|| text::institution_key(name));
            if !inst.is_empty() {
                keys.insert(format!("i:{inst}"));
            }
        }
        let no_orgs = |_: &str| false;
        for t in &r.titles {
            let pieces = match text::split_bilingual(&t.text) {
                Some((native, latin)) => vec![native, latin],
                None => vec![t.text.clone()],
            };
            for piece in pieces {
                let core = text::title_core(&piece, &no_orgs);
                if !core.core.is_empty() {
                    let part = core.part.map(|p| format!("#{p}")).unwrap_or_default();
                    keys.insert(format!("t:{}{part}", core.core));
                }
            }
        }
        for person in &r.instructors {
            let mut parts = text::person_name_keys(person);
            if parts.len() >= 2 {
                parts.sort_unstable();
                keys.insert(format!("p:{}", parts.join(" ")));
            }
        }
        keys.into_iter().collect()
    }
}

/// What one rematch did; all zero when nothing changed (no matching work at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RematchStats {
    /// Listings whose keys were recomputed (created, updated or reactivated).
    pub seeds: u64,
    /// Listings clustered (the neighbourhood of the seeds; a listing next to seeds of two
    /// batches counts twice).
    pub clustered: u64,
    /// Batches the seeds were clustered in (see `coursefed dedup rematch --batch`).
    pub batches: u64,
    /// Courses merged into another one.
    pub merged: u64,
    /// Courses that lost listings to another course (split entries).
    pub split: u64,
    /// Courses created for split-off listings.
    pub new_courses: u64,
    /// Listings that changed course.
    pub moved: u64,
}

/// One listing of the neighbourhood as the reconciliation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub listing: String,
    pub course: String,
    pub first_seen: DateTime<Utc>,
}

/// What the store must write to turn the stored courses into a new clustering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconciled {
    /// `(listing, course)`: listings that change course.
    pub moves: Vec<(String, String)>,
    /// Courses to create (for listings split off a course).
    pub new_courses: Vec<String>,
    /// `(loser, survivor)`: the loser's id keeps resolving to the survivor.
    pub merges: Vec<(String, String)>,
    /// `(course, other)`: the course lost listings to `other` (new or existing).
    pub splits: Vec<(String, String)>,
    /// `(fresh course, survivor)`: a course created by this very sync whose listing joined
    /// an existing course; nobody has seen its id, so it is deleted rather than merged.
    pub dropped: Vec<(String, String)>,
    /// Courses whose membership changed (change log `upsert`), sorted.
    pub touched: Vec<String>,
    /// Every cluster's course and its members (indices into the members).
    pub clusters: Vec<(String, Vec<usize>)>,
}

/// Reconciles the clustering `cluster_of[i]` (any cluster label per member) with the
/// members' stored courses:
/// - a course's *home* is the cluster holding its oldest listing (first seen, then id);
/// - a cluster keeps the smallest id among the courses at home in it (ULIDs sort by
///   creation time: the oldest course wins), preferring courses that existed before this
///   sync over `fresh` ones; the other courses at home there are merged into it;
/// - a cluster where no course is at home gets a new course (`new_id`), and the courses
///   its listings came from record a split.
pub fn reconcile(
    members: &[Member],
    cluster_of: &[u64],
    fresh: &HashSet<String>,
    mut new_id: impl FnMut() -> String,
) -> Reconciled {
    let mut out = Reconciled::default();
    // Clusters in order of their first member, for determinism.
    let mut order: Vec<u64> = Vec::new();
    let mut clusters: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in cluster_of.iter().enumerate().take(members.len()) {
        let entry = clusters.entry(*c).or_default();
        if entry.is_empty() {
            order.push(*c);
        }
        entry.push(i);
    }
    // Each course's home cluster.
    let mut oldest: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        let slot = oldest.entry(m.course.as_str()).or_insert(i);
        let cur = &members[*slot];
        if (m.first_seen, &m.listing) < (cur.first_seen, &cur.listing) {
            *slot = i;
        }
    }
    let home: BTreeMap<&str, u64> = oldest
        .iter()
        .map(|(course, &i)| (*course, cluster_of[i]))
        .collect();

    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut splits: BTreeSet<(String, String)> = BTreeSet::new();
    for label in order {
        let idx = &clusters[&label];
        let courses: BTreeSet<&str> = idx.iter().map(|&i| members[i].course.as_str()).collect();
        let at_home: Vec<&str> = courses
            .iter()
            .copied()
            .filter(|c| home.get(c) == Some(&label))
            .collect();
        let survivor = at_home
            .iter()
            .copied()
            .filter(|c| !fresh.contains(*c))
            .min()
            .or_else(|| at_home.iter().copied().min())
            .map(str::to_owned);
        let survivor = match survivor {
            Some(s) => s,
            None => {
                let id = new_id();
                out.new_courses.push(id.clone());
                touched.insert(id.clone());
                id
            }
        };
        for c in &at_home {
            if *c == survivor {
                continue;
            }
            if fresh.contains(*c) {
                out.dropped.push(((*c).to_owned(), survivor.clone()));
            } else {
                out.merges.push(((*c).to_owned(), survivor.clone()));
            }
            touched.insert(survivor.clone());
        }
        for c in &courses {
            if !at_home.contains(c) {
                splits.insert(((*c).to_owned(), survivor.clone()));
                touched.insert((*c).to_owned());
                touched.insert(survivor.clone());
            }
        }
        for &i in idx {
            if members[i].course != survivor {
                out.moves
                    .push((members[i].listing.clone(), survivor.clone()));
            }
        }
        out.clusters.push((survivor, idx.clone()));
    }
    out.splits = splits.into_iter().collect();
    let gone: HashSet<&str> = out
        .merges
        .iter()
        .chain(&out.dropped)
        .map(|(l, _)| l.as_str())
        .collect();
    out.touched = touched
        .into_iter()
        .filter(|c| !gone.contains(c.as_str()))
        .collect();
    out
}

/// A link's evidence as stored and shown: signal name, language of a title signal, and
/// the threshold the score had to reach (none for exact evidence).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub signal: &'static str,
    pub lang: Option<&'static str>,
    pub score: f32,
    pub threshold: Option<f32>,
}

/// The stored form of a matcher [`Link`].
pub fn evidence(link: &Link) -> Evidence {
    let t = THRESHOLDS;
    let (signal, lang, threshold) = match link.signal {
        Signal::OperatorLink => ("operator_link", None, None),
        Signal::SharedKey => ("shared_key", None, None),
        Signal::SameSourceId => ("same_source_id", None, None),
        Signal::TitleSimilarity { lang } => {
            let threshold = (link.score < 1.0).then_some(t.title_similarity);
            ("title_similarity", Some(lang), threshold)
        }
        Signal::CrossLanguageTitle => ("cross_language_title", None, None),
        Signal::InstructorOverlap => {
            // Above 1 the score counts shared instructors of a cross-language mutual best
            // candidate; up to 1 it is the title similarity of a same-script link (below
            // the threshold when the titles share their head instead).
            let threshold = (link.score <= 1.0 && link.score >= t.title_with_instructor)
                .then_some(t.title_with_instructor);
            ("instructor_overlap", None, threshold)
        }
    };
    Evidence {
        signal,
        lang,
        score: link.score,
        threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn m(listing: &str, course: &str, seen: &str) -> Member {
        Member {
            listing: listing.into(),
            course: course.into(),
            first_seen: t(seen),
        }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("NEW{n}")
        }
    }

    #[test]
    fn unchanged_clustering_plans_nothing() {
        let members = [
            m("a:1", "C1", "2025-01-01T00:00:00Z"),
            m("b:1", "C1", "2025-01-02T00:00:00Z"),
            m("a:2", "C2", "2025-01-01T00:00:00Z"),
        ];
        let r = reconcile(&members, &[0, 0, 2], &HashSet::new(), ids());
        assert!(r.moves.is_empty() && r.merges.is_empty() && r.splits.is_empty());
        assert!(r.new_courses.is_empty() && r.touched.is_empty());
        assert_eq!(r.clusters.len(), 2);
    }

    #[test]
    fn survivor_is_the_smallest_that_is_the_oldest_course_id() {
        let members = [
            m("a:1", "01B", "2025-01-01T00:00:00Z"),
            m("b:1", "01A", "2025-03-01T00:00:00Z"),
            m("c:1", "01C", "2024-01-01T00:00:00Z"),
        ];
        let r = reconcile(&members, &[7, 7, 7], &HashSet::new(), ids());
        assert_eq!(r.clusters[0].0, "01A");
        assert_eq!(
            r.merges,
            vec![("01B".into(), "01A".into()), ("01C".into(), "01A".into())]
        );
        assert_eq!(r.moves.len(), 2);
        assert_eq!(r.touched, vec!["01A".to_string()]);
    }

    #[test]
    fn merge_prefers_an_existing_course_over_one_created_by_this_sync() {
        // The fresh id is smaller, but nobody has seen it: it is dropped, not merged.
        let members = [
            m("a:1", "00FRESH", "2025-05-01T00:00:00Z"),
            m("b:1", "01OLD", "2025-01-01T00:00:00Z"),
        ];
        let fresh: HashSet<String> = ["00FRESH".to_string()].into();
        let r = reconcile(&members, &[1, 1], &fresh, ids());
        assert_eq!(r.clusters[0].0, "01OLD");
        assert!(r.merges.is_empty());
        assert_eq!(r.dropped, vec![("00FRESH".into(), "01OLD".into())]);
        assert_eq!(r.moves, vec![("a:1".into(), "01OLD".into())]);
    }

    #[test]
    fn split_keeps_the_id_for_the_cluster_holding_the_oldest_listing() {
        let members = [
            m("a:1", "C1", "2025-02-01T00:00:00Z"),
            m("b:1", "C1", "2025-01-01T00:00:00Z"),
            m("c:1", "C1", "2025-03-01T00:00:00Z"),
        ];
        // a:1 and c:1 leave; b:1 (the oldest) keeps C1.
        let r = reconcile(&members, &[5, 9, 5], &HashSet::new(), ids());
        let of = |l: &str| {
            r.clusters
                .iter()
                .find(|(_, idx)| idx.iter().any(|&i| members[i].listing == l))
                .map(|(c, _)| c.clone())
                .unwrap()
        };
        assert_eq!(of("b:1"), "C1");
        assert_eq!(of("a:1"), "NEW1");
        assert_eq!(of("c:1"), "NEW1");
        assert_eq!(r.new_courses, vec!["NEW1".to_string()]);
        assert_eq!(r.splits, vec![("C1".into(), "NEW1".into())]);
        assert!(r.merges.is_empty());
    }

    #[test]
    fn listings_leaving_for_an_existing_course_record_a_split_not_a_new_course() {
        let members = [
            m("a:1", "C1", "2025-01-01T00:00:00Z"),
            m("a:2", "C1", "2025-02-01T00:00:00Z"),
            m("b:1", "C2", "2025-01-01T00:00:00Z"),
        ];
        let r = reconcile(&members, &[0, 1, 1], &HashSet::new(), ids());
        assert!(r.new_courses.is_empty());
        assert_eq!(r.moves, vec![("a:2".into(), "C2".into())]);
        assert_eq!(r.splits, vec![("C1".into(), "C2".into())]);
        assert_eq!(r.touched, vec!["C1".to_string(), "C2".to_string()]);
    }

    #[test]
    fn keys_meet_on_identity_institution_alias_and_title() {
        let aliases = AliasTable::load_default().unwrap();
        let mut km = KeyMaker::new(&aliases);
        let edx = MatchRecord {
            id: 1,
            source: "edx".into(),
            source_id: Some("TsinghuaX+30240184X".into()),
            titles: vec![super::super::TaggedTitle {
                lang: Some("en".into()),
                text: "Data Structures and Algorithms".into(),
            }],
            institutions: vec!["TsinghuaX".into()],
            ..Default::default()
        };
        let xt = MatchRecord {
            id: 2,
            source: "xuetangx".into(),
            source_id: Some("THU08091000999".into()),
            titles: vec![
                super::super::TaggedTitle {
                    lang: Some("zh".into()),
                    text: "数据结构与算法".into(),
                },
                super::super::TaggedTitle {
                    lang: Some("en".into()),
                    text: "Data Structures and Algorithms".into(),
                },
            ],
            institutions: vec!["清华大学".into()],
            instructors: vec!["邓俊辉".into()],
            ..Default::default()
        };
        let a = km.keys(&edx);
        let b = km.keys(&xt);
        assert!(a.contains(&"k:tsinghua+30240184x".to_string()), "{a:?}");
        assert!(a.contains(&"i:tsinghua".to_string()), "{a:?}");
        assert!(b.contains(&"i:tsinghua".to_string()), "{b:?}");
        assert!(a.iter().any(|k| k.starts_with("t:") && b.contains(k)));
        assert!(b.iter().any(|k| k.starts_with("p:")), "{b:?}");
    }

    #[test]
    fn evidence_of_an_exact_title_has_no_threshold_and_a_similar_one_has() {
        let link = |score| Link {
            a: 1,
            b: 2,
            signal: Signal::TitleSimilarity { lang: "en" },
            score,
        };
        assert_eq!(evidence(&link(1.0)).threshold, None);
        assert_eq!(
            evidence(&link(0.85)).threshold,
            Some(THRESHOLDS.title_similarity)
        );
        assert_eq!(evidence(&link(0.85)).signal, "title_similarity");
    }
}
