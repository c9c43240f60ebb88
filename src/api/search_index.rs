//! The in-process search index of the read API: titles (every language), institutions and
//! instructors of every listing, held in memory with inverted indexes of their 1-, 2- and
//! 3-character pieces, one for titles and one for names, so a search (`q` with no filter
//! but `status`) finds and ranks its first tier of courses without the database. Pieces
//! need no word segmentation: Thai and Chinese match like English and Russian. A term of
//! three characters or fewer is one piece, whose lists are exactly the listings holding
//! it (no text is checked); a longer one's candidates are checked against the text. The
//! rarest term gives the candidates, the others filter them.
//!
//! Ranking, by course (its best listing), in two tiers:
//! 1. every term found in a title, an institution or an instructor (this index): score
//!    `1 + Σ per term (10 in a title, else 3) + 1 / (2 + title length)` — title hits first,
//!    then the shorter title;
//! 2. the rest, found only with the descriptions: the database's full-text search
//!    (`Store::course_keys_full_text`), ranked by title hits, then the shorter title
//!    (no bm25, on both backends), its scores squashed into [0, 1).
//!
//! A page is taken from tier 1 and, once that runs out, continued from tier 2 (courses
//! already in tier 1 left out). The cursor's key (score, id) tells the tiers apart.
//!
//! Writers may be other processes (a daemon beside this server), so the index follows the
//! change log, as the response cache does (`cache.rs`): at most once per `poll` one
//! request reads the log's highest sequence number and, when it moved, reloads the
//! listings and courses the new entries name. The first build runs in a task of its own
//! (requests wait for it; a request that times out does not cancel it).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use unicode_normalization::UnicodeNormalization;

use crate::store::{
    CourseKey, CoursePage, CourseQuery, CourseSort, SearchDoc, SearchQuery, StatusFilter, Store,
    StoreError,
};

/// Listings read per statement while building.
const BUILD_BATCH: u32 = 5000;
/// Change-log entries read per statement while refreshing.
const CHANGES_BATCH: u32 = 10_000;
/// More listings touched than this since the last refresh: rebuild instead.
const REBUILD_OVER: usize = 50_000;
/// Candidates few enough to check without narrowing them further.
const FEW_CANDIDATES: usize = 32;
/// Weight of a term found in a title, and in an institution or instructor.
const TITLE_WEIGHT: f64 = 10.0;
const PEOPLE_WEIGHT: f64 = 3.0;

/// One listing in the index.
#[derive(Debug)]
struct Doc {
    listing: Arc<str>,
    course: u32,
    active: bool,
    /// Dropped from the index (replaced by a newer slot, or deleted).
    dead: bool,
    /// Lower-cased NFC titles, one per line.
    titles: Box<str>,
    /// Lower-cased NFC institutions and instructors, one per line.
    people: Box<str>,
    title_chars: u32,
}

#[derive(Debug, Default)]
struct CourseEntry {
    id: Arc<str>,
    /// Live slots of its listings.
    slots: Vec<u32>,
}

/// The index proper.
#[derive(Debug, Default)]
struct Inner {
    /// The change log's sequence number the index is current with.
    seq: i64,
    docs: Vec<Doc>,
    slot_of: HashMap<Arc<str>, u32>,
    courses: Vec<CourseEntry>,
    course_of: HashMap<Arc<str>, u32>,
    /// N-gram of a title → slots, ascending (new slots are appended).
    title_postings: HashMap<u64, Vec<u32>>,
    /// N-gram of an institution or instructor → slots, ascending.
    people_postings: HashMap<u64, Vec<u32>>,
    dead: usize,
}

fn normalise(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase()
}

/// Stands for "no character" in the key of a unigram or bigram (above every char).
const NONE: u64 = 0x1F_FFFF;

/// An n-gram of one to three characters as one key.
fn key(chars: &[char]) -> u64 {
    let at = |i: usize| chars.get(i).map_or(NONE, |c| u64::from(*c));
    (at(0) << 42) | (at(1) << 21) | at(2)
}

/// The keys of `term`'s postings: its trigrams, or the term itself when shorter.
fn term_keys(term: &str) -> Vec<u64> {
    let chars: Vec<char> = term.chars().collect();
    if chars.len() < 3 {
        return vec![key(&chars)];
    }
    chars.windows(3).map(key).collect()
}

/// The distinct unigrams, bigrams and trigrams of `text` (lines are separate: none spans
/// two).
fn ngrams(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let chars: Vec<char> = line.chars().collect();
        for n in 1..=3 {
            for w in chars.windows(n) {
                out.push(key(w));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Appends `slot` to the postings of every n-gram of `text`.
fn post(postings: &mut HashMap<u64, Vec<u32>>, text: &str, slot: u32) {
    for k in ngrams(text) {
        postings.entry(k).or_default().push(slot);
    }
}

/// The slots whose field holds `term`, from that field's postings: the intersection of
/// the term's n-gram lists, then — unless the term is a single n-gram (three characters
/// or fewer), whose list is exactly the slots holding it — each candidate checked by
/// `holds`.
fn slots_holding(
    postings: &HashMap<u64, Vec<u32>>,
    keys: &[u64],
    holds: impl Fn(u32) -> bool,
) -> Vec<u32> {
    let mut lists: Vec<&[u32]> = Vec::with_capacity(keys.len());
    for k in keys {
        match postings.get(k) {
            Some(l) => lists.push(l),
            None => return Vec::new(),
        }
    }
    lists.sort_by_key(|l| (l.len(), l.as_ptr()));
    lists.dedup_by_key(|l| l.as_ptr());
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    let mut out: Vec<u32> = first.to_vec();
    if keys.len() == 1 {
        return out;
    }
    for l in &lists[1..] {
        // Every candidate is checked against the term anyway: once few are left,
        // checking them costs less than walking more lists.
        if out.len() <= FEW_CANDIDATES {
            break;
        }
        out = intersect(&out, l);
    }
    out.retain(|s| holds(*s));
    out
}

impl Inner {
    fn course_slot(&mut self, id: &str) -> u32 {
        if let Some(&c) = self.course_of.get(id) {
            return c;
        }
        let id: Arc<str> = Arc::from(id);
        let c = u32::try_from(self.courses.len()).unwrap_or(u32::MAX);
        self.courses.push(CourseEntry {
            id: id.clone(),
            slots: Vec::new(),
        });
        self.course_of.insert(id, c);
        c
    }

    fn remove(&mut self, listing: &str) {
        if let Some(slot) = self.slot_of.remove(listing) {
            let doc = &mut self.docs[slot as usize];
            doc.dead = true;
            let course = doc.course as usize;
            self.dead += 1;
            if let Some(c) = self.courses.get_mut(course) {
                c.slots.retain(|s| *s != slot);
            }
        }
    }

    fn insert(&mut self, d: &SearchDoc) {
        self.remove(&d.listing_id);
        let titles = d
            .titles
            .iter()
            .map(|t| normalise(t))
            .collect::<Vec<_>>()
            .join("\n");
        let people = d
            .people
            .iter()
            .map(|t| normalise(t))
            .collect::<Vec<_>>()
            .join("\n");
        let title_chars = d
            .titles
            .first()
            .map_or(0, |t| u32::try_from(t.chars().count()).unwrap_or(u32::MAX));
        let Ok(slot) = u32::try_from(self.docs.len()) else {
            return;
        };
        post(&mut self.title_postings, &titles, slot);
        post(&mut self.people_postings, &people, slot);
        let course = self.course_slot(&d.course_id);
        self.courses[course as usize].slots.push(slot);
        let listing: Arc<str> = Arc::from(d.listing_id.as_str());
        self.slot_of.insert(listing.clone(), slot);
        self.docs.push(Doc {
            listing,
            course,
            active: d.active,
            dead: false,
            titles: titles.into(),
            people: people.into(),
            title_chars,
        });
    }

    /// The same index without dead slots (when they have piled up).
    fn compacted(self) -> Inner {
        let mut fresh = Inner {
            seq: self.seq,
            ..Inner::default()
        };
        for d in self.docs.into_iter().filter(|d| !d.dead) {
            let slot = u32::try_from(fresh.docs.len()).unwrap_or(u32::MAX);
            post(&mut fresh.title_postings, &d.titles, slot);
            post(&mut fresh.people_postings, &d.people, slot);
            let course_id = self.courses[d.course as usize].id.clone();
            let course = fresh.course_slot(&course_id);
            fresh.courses[course as usize].slots.push(slot);
            fresh.slot_of.insert(d.listing.clone(), slot);
            fresh.docs.push(Doc { course, ..d });
        }
        fresh
    }

    /// The slots matching every term of `q`, ascending, each with its score: per term
    /// [`TITLE_WEIGHT`] when a title holds it, else [`PEOPLE_WEIGHT`] when an institution
    /// or instructor does.
    fn matches(&self, q: &SearchQuery) -> Vec<(u32, f64)> {
        let posted =
            |postings: &HashMap<u64, Vec<u32>>, k: &u64| postings.get(k).map_or(0, Vec::len);
        // Terms by the length of their shortest n-gram list: the rarest term gives the
        // candidates, the others only filter them.
        let mut terms: Vec<(&str, Vec<u64>, usize)> = q
            .terms
            .iter()
            .map(|t| {
                let keys = term_keys(t);
                let fewest = keys
                    .iter()
                    .map(|k| posted(&self.title_postings, k) + posted(&self.people_postings, k))
                    .min()
                    .unwrap_or(0);
                (t.as_str(), keys, fewest)
            })
            .collect();
        terms.sort_by_key(|(_, _, n)| *n);
        let Some(((first, keys, _), rest)) = terms.split_first() else {
            return Vec::new();
        };
        let doc = |s: u32| &self.docs[s as usize];
        let titles = slots_holding(&self.title_postings, keys, |s| {
            doc(s).titles.contains(first)
        });
        let people = slots_holding(&self.people_postings, keys, |s| {
            doc(s).people.contains(first)
        });
        // The rarest term's slots, merged: a title hit where both hold it.
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(titles.len() + people.len());
        let (mut i, mut j) = (0, 0);
        loop {
            match (titles.get(i), people.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    out.push((*a, TITLE_WEIGHT));
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    out.push((*a, TITLE_WEIGHT));
                    i += 1;
                }
                (Some(a), None) => {
                    out.push((*a, TITLE_WEIGHT));
                    i += 1;
                }
                (_, Some(b)) => {
                    out.push((*b, PEOPLE_WEIGHT));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        for (term, keys, _) in rest {
            // A single n-gram's lists are exact: look the slot up instead of the text.
            let exact = match keys.as_slice() {
                [k] => Some((self.title_postings.get(k), self.people_postings.get(k))),
                _ => None,
            };
            let in_list =
                |l: Option<&Vec<u32>>, s: &u32| l.is_some_and(|l| l.binary_search(s).is_ok());
            out.retain_mut(|(slot, score)| {
                let (in_title, in_people) = match exact {
                    Some((t, p)) => (in_list(t, slot), in_list(p, slot)),
                    None => {
                        let d = doc(*slot);
                        let t = d.titles.contains(term);
                        (t, !t && d.people.contains(term))
                    }
                };
                if in_title {
                    *score += TITLE_WEIGHT;
                } else if in_people {
                    *score += PEOPLE_WEIGHT;
                }
                in_title || in_people
            });
            if out.is_empty() {
                break;
            }
        }
        out
    }

    /// Tier 1 for `q` under `status`: (score, course slot) of every matching course, in
    /// no order.
    fn search(&self, q: &SearchQuery, status: StatusFilter) -> Vec<(f64, u32)> {
        thread_local! {
            /// The best score per course slot so far; all 0.0 between searches (only the
            /// entries a search touched are reset, not the whole vector).
            static BEST: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BEST.with_borrow_mut(|best| {
            if best.len() < self.courses.len() {
                best.resize(self.courses.len(), 0.0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for (slot, score) in self.matches(q) {
                let d = &self.docs[slot as usize];
                if d.dead {
                    continue;
                }
                match status {
                    StatusFilter::Active if !d.active => continue,
                    StatusFilter::Withdrawn if d.active => continue,
                    _ => {}
                }
                let score = score + 1.0 / (2.0 + f64::from(d.title_chars));
                let b = &mut best[d.course as usize];
                if *b == 0.0 {
                    touched.push(d.course);
                }
                if score > *b {
                    *b = score;
                }
            }
            let hits = touched
                .iter()
                .filter(|c| {
                    // A withdrawn course has no active listing left.
                    status != StatusFilter::Withdrawn
                        || !self.courses[**c as usize]
                            .slots
                            .iter()
                            .any(|s| self.docs[*s as usize].active)
                })
                .map(|c| (1.0 + best[*c as usize], *c))
                .collect();
            for c in touched {
                best[c as usize] = 0.0;
            }
            hits
        })
    }

    /// The best `want` of `hits` after the key `after` (score, course id), best first,
    /// then by course id.
    fn top(
        &self,
        hits: &[(f64, u32)],
        after: Option<(f64, &str)>,
        want: usize,
    ) -> Vec<(f64, Arc<str>)> {
        let id = |c: u32| &self.courses[c as usize].id;
        let mut rest: Vec<(f64, &Arc<str>)> = hits
            .iter()
            .map(|(s, c)| (*s, id(*c)))
            .filter(|(s, c)| match after {
                None => true,
                Some((a, aid)) => *s < a || (*s == a && c.as_ref() > aid),
            })
            .collect();
        let order = |a: &(f64, &Arc<str>), b: &(f64, &Arc<str>)| {
            b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1))
        };
        if rest.len() > want && want > 0 {
            rest.select_nth_unstable_by(want - 1, order);
            rest.truncate(want);
        }
        rest.sort_by(order);
        rest.truncate(want);
        rest.into_iter().map(|(s, c)| (s, c.clone())).collect()
    }
}

/// The sorted intersection of two ascending lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    if large.len() > small.len() * 16 {
        let mut from = 0;
        for &x in small {
            match large[from..].binary_search(&x) {
                Ok(i) => {
                    out.push(x);
                    from += i + 1;
                }
                Err(i) => from += i,
            }
        }
    } else {
        let (mut i, mut j) = (0, 0);
        while i < small.len() && j < large.len() {
            match small[i].cmp(&large[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    out.push(small[i]);
                    i += 1;
                    j += 1;
                }
            }
        }
    }
    out
}

/// The index, shared by the server's requests.
pub struct SearchIndex {
    inner: RwLock<Option<Inner>>,
    /// Held by the one task building or refreshing.
    sync: tokio::sync::Mutex<()>,
    checked: Mutex<Option<Instant>>,
    poll: Duration,
}

impl SearchIndex {
    pub fn new(poll: Duration) -> Self {
        Self {
            inner: RwLock::new(None),
            sync: tokio::sync::Mutex::new(()),
            checked: Mutex::new(None),
            poll,
        }
    }

    fn fresh(&self) -> bool {
        self.checked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| t.elapsed() < self.poll)
    }

    fn built(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Makes the index current: built, and refreshed from the change log when the last
    /// check is older than `poll`. While one request refreshes, the others search what is
    /// there (except before the first build, which every request waits for).
    pub async fn current(self: &Arc<Self>, store: &Store) -> Result<(), StoreError> {
        if self.fresh() {
            return Ok(());
        }
        if self.built() && self.sync.try_lock().is_err() {
            return Ok(());
        }
        // In a task of its own: a request given up does not stop a build half-way.
        let me = self.clone();
        let store = store.clone();
        match tokio::spawn(async move { me.refresh(&store).await }).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Spool(format!(
                "search index refresh failed: {e}"
            ))),
        }
    }

    async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let _sync = self.sync.lock().await;
        if self.fresh() {
            return Ok(());
        }
        let seq_now = store.last_change_seq().await?;
        let have = self
            .inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|i| i.seq);
        match have {
            None => self.build(store, seq_now).await?,
            Some(seq) if seq != seq_now => {
                if !self.apply_changes(store, seq).await? {
                    self.build(store, seq_now).await?;
                }
            }
            Some(_) => {}
        }
        *self.checked.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(())
    }

    /// Reads every listing; the index is then current with `seq` (read before).
    async fn build(&self, store: &Store, seq: i64) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut inner = Inner {
            seq,
            ..Inner::default()
        };
        let mut after: Option<String> = None;
        loop {
            let docs = store
                .search_docs_page(after.as_deref(), BUILD_BATCH)
                .await?;
            for d in &docs {
                inner.insert(d);
            }
            match docs.last() {
                Some(d) if docs.len() == BUILD_BATCH as usize => {
                    after = Some(d.listing_id.clone());
                }
                _ => break,
            }
        }
        tracing::debug!(
            listings = inner.slot_of.len(),
            ngrams = inner.title_postings.len() + inner.people_postings.len(),
            ms = started.elapsed().as_millis() as u64,
            "Search index built."
        );
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = Some(inner);
        Ok(())
    }

    /// Reloads what the change-log entries after `seq` name. False when they touch so
    /// much that a rebuild is cheaper.
    async fn apply_changes(&self, store: &Store, seq: i64) -> Result<bool, StoreError> {
        let mut listings: HashSet<String> = HashSet::new();
        let mut courses: HashSet<String> = HashSet::new();
        let mut last = seq;
        loop {
            let changes = store.search_changes_after(last, CHANGES_BATCH).await?;
            for c in &changes {
                match c.entity.as_str() {
                    "listing" => {
                        listings.insert(c.entity_id.clone());
                    }
                    _ => {
                        courses.insert(c.entity_id.clone());
                        if let Some(r) = &c.related_id {
                            courses.insert(r.clone());
                        }
                    }
                }
                last = c.seq;
            }
            if listings.len() + courses.len() > REBUILD_OVER {
                return Ok(false);
            }
            if changes.len() < CHANGES_BATCH as usize {
                break;
            }
        }
        // Listings the index has under a named course may have moved away from it.
        {
            let guard = self.inner.read().unwrap_or_else(|p| p.into_inner());
            if let Some(inner) = guard.as_ref() {
                for c in &courses {
                    if let Some(&ci) = inner.course_of.get(c.as_str()) {
                        for s in &inner.courses[ci as usize].slots {
                            listings.insert(inner.docs[*s as usize].listing.to_string());
                        }
                    }
                }
            }
        }
        let listing_ids: Vec<String> = listings.iter().cloned().collect();
        let course_ids: Vec<String> = courses.into_iter().collect();
        let docs = store.search_docs_of(&listing_ids, &course_ids).await?;
        let mut guard = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let Some(inner) = guard.as_mut() else {
            return Ok(false);
        };
        let found: HashSet<&str> = docs.iter().map(|d| d.listing_id.as_str()).collect();
        for id in &listing_ids {
            if !found.contains(id.as_str()) {
                inner.remove(id);
            }
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for d in &docs {
            if seen.insert(d.listing_id.as_str()) {
                inner.insert(d);
            }
        }
        inner.seq = last;
        if inner.dead > inner.slot_of.len().max(1024) {
            let taken = std::mem::take(inner);
            *inner = taken.compacted();
        }
        Ok(true)
    }

    /// A page of `q` (a search with no filter but `status`, by relevance): tier 1 from
    /// the index, then tier 2 from the database. None when `q` is not such a query.
    pub async fn page(
        self: &Arc<Self>,
        store: &Store,
        q: &CourseQuery,
    ) -> Result<Option<CoursePage>, StoreError> {
        let Some(search) = &q.search else {
            return Ok(None);
        };
        if q.sort != CourseSort::Relevance || !q.only_status_filter() {
            return Ok(None);
        }
        self.current(store).await?;
        let limit = q.limit as usize;
        let want = limit + 1;
        // Where the page starts: after the cursor's key, in tier 1 or already in tier 2.
        let (after, in_tier2) = match &q.after {
            Some(CourseKey::Relevance { score, .. }) if *score < 1.0 => (None, true),
            Some(CourseKey::Relevance { score, id }) => (Some((*score, id.as_str())), false),
            _ => (None, false),
        };
        let (mut keys, skip) = {
            let guard = self.inner.read().unwrap_or_else(|p| p.into_inner());
            let Some(inner) = guard.as_ref() else {
                return Ok(None);
            };
            let hits = inner.search(search, q.status);
            let top = if in_tier2 {
                Vec::new()
            } else {
                inner.top(&hits, after, want)
            };
            // Tier 2 is read only when tier 1 runs out on this page.
            let skip: Option<HashSet<Arc<str>>> = (top.len() < want).then(|| {
                hits.iter()
                    .map(|(_, c)| inner.courses[*c as usize].id.clone())
                    .collect()
            });
            let keys: Vec<CourseKey> = top
                .into_iter()
                .map(|(score, c)| CourseKey::Relevance {
                    score,
                    id: c.to_string(),
                })
                .collect();
            (keys, skip)
        };
        if let Some(skip) = skip {
            let mut tail = q.clone();
            tail.limit = u32::try_from(limit - keys.len()).unwrap_or(0);
            if !in_tier2 {
                tail.after = None;
            }
            keys.extend(
                store
                    .course_keys_full_text(&tail, &|id| skip.contains(id), skip.len())
                    .await?,
            );
        }
        Ok(Some(CoursePage::from_keys(keys, limit)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(listing: &str, course: &str, active: bool, title: &str, people: &[&str]) -> SearchDoc {
        SearchDoc {
            listing_id: listing.into(),
            course_id: course.into(),
            active,
            titles: vec![title.into()],
            people: people.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn index(docs: &[SearchDoc]) -> Inner {
        let mut i = Inner::default();
        for d in docs {
            i.insert(d);
        }
        i
    }

    fn ranked(i: &Inner, q: &str, status: StatusFilter) -> Vec<(f64, Arc<str>)> {
        let hits = i.search(&SearchQuery::parse(q).unwrap(), status);
        i.top(&hits, None, usize::MAX)
    }

    fn ids(i: &Inner, q: &str, status: StatusFilter) -> Vec<String> {
        ranked(i, q, status)
            .into_iter()
            .map(|(_, c)| c.to_string())
            .collect()
    }

    #[test]
    fn every_term_must_match_and_titles_rank_above_names() {
        let i = index(&[
            doc(
                "s:1",
                "c1",
                true,
                "Data Structures",
                &["Tsinghua University"],
            ),
            doc(
                "s:2",
                "c2",
                true,
                "Introduction to Data Science",
                &["Data Lab"],
            ),
            doc(
                "s:3",
                "c3",
                true,
                "Philosophy",
                &["Structures Institute", "Ann Data"],
            ),
        ]);
        assert_eq!(
            ids(&i, "data structures", StatusFilter::Active),
            ["c1", "c3"]
        );
        assert_eq!(ids(&i, "STRUCTURES", StatusFilter::Active), ["c1", "c3"]);
        assert_eq!(ids(&i, "science lab", StatusFilter::Active), ["c2"]);
        assert!(ids(&i, "zzqqxx", StatusFilter::Active).is_empty());
        // Scores of the first tier are at least 1 (the database's second tier is below).
        let scored = ranked(&i, "data", StatusFilter::Active);
        assert!(scored.iter().all(|(s, _)| *s >= 1.0));
        // The shorter title first among title hits; the name-only hit last.
        let order: Vec<String> = scored.into_iter().map(|(_, c)| c.to_string()).collect();
        assert_eq!(order, ["c1", "c2", "c3"]);
    }

    #[test]
    fn thai_chinese_and_short_terms_match_without_segmentation() {
        let i = index(&[
            doc("th:1", "c1", true, "วิทยาการข้อมูลเบื้องต้น", &[]),
            doc("th:2", "c2", true, "คลังข้อมูลและการทำเหมืองข้อมูล", &[]),
            doc("zh:1", "c3", true, "数据结构(上)", &["清华大学", "邓俊辉"]),
            doc("zh:2", "c4", true, "数据库系统", &[]),
        ]);
        assert_eq!(ids(&i, "ข้อมูล", StatusFilter::Active).len(), 2);
        assert_eq!(ids(&i, "数据结构", StatusFilter::Active), ["c3"]);
        assert_eq!(ids(&i, "邓俊辉", StatusFilter::Active), ["c3"]);
        // Two characters: no trigram, every listing is checked.
        assert_eq!(ids(&i, "数据", StatusFilter::Active), ["c4", "c3"]);
        assert_eq!(ids(&i, "数据 结构", StatusFilter::Active), ["c3"]);
    }

    #[test]
    fn a_course_is_its_best_listing_and_status_is_judged_per_course() {
        let mut i = index(&[
            doc("a:1", "c1", true, "Machine Learning", &[]),
            doc("b:1", "c1", false, "Learning", &[]),
            doc("a:2", "c2", false, "Deep Learning", &[]),
        ]);
        assert_eq!(ids(&i, "learning", StatusFilter::Active), ["c1"]);
        // c1 still has an active listing: not withdrawn.
        assert_eq!(ids(&i, "learning", StatusFilter::Withdrawn), ["c2"]);
        assert_eq!(ids(&i, "learning", StatusFilter::Any).len(), 2);
        // A listing retitled, one moved to another course, one deleted.
        i.insert(&doc("a:1", "c1", true, "Statistics", &[]));
        i.insert(&doc("b:1", "c2", true, "Learning", &[]));
        i.remove("a:2");
        assert_eq!(ids(&i, "learning", StatusFilter::Active), ["c2"]);
        assert_eq!(ids(&i, "statistics", StatusFilter::Active), ["c1"]);
        assert!(ids(&i, "deep", StatusFilter::Any).is_empty());
        // Compaction drops the dead slots and keeps the answers.
        let before = ids(&i, "learning", StatusFilter::Any);
        let i = i.compacted();
        assert_eq!(i.dead, 0);
        assert_eq!(i.docs.len(), 2);
        assert_eq!(ids(&i, "learning", StatusFilter::Any), before);
    }

    #[test]
    fn pages_after_a_key_cover_every_hit_once() {
        let docs: Vec<SearchDoc> = (0..50)
            .map(|n| {
                // Ties on purpose: five title lengths.
                let title = format!("Data {}", "x".repeat(n % 5));
                doc(&format!("s:{n}"), &format!("c{n:02}"), true, &title, &[])
            })
            .collect();
        let i = index(&docs);
        let hits = i.search(&SearchQuery::parse("data").unwrap(), StatusFilter::Active);
        let all = i.top(&hits, None, usize::MAX);
        let mut paged = Vec::new();
        let mut after: Option<(f64, Arc<str>)> = None;
        loop {
            let page = i.top(&hits, after.as_ref().map(|(s, c)| (*s, c.as_ref())), 7);
            let Some(last) = page.last().cloned() else {
                break;
            };
            paged.extend(page);
            after = Some(last);
        }
        assert_eq!(paged, all);
        assert_eq!(all.len(), 50);
    }

    #[test]
    fn no_trigram_spans_two_names() {
        let i = index(&[doc("s:1", "c1", true, "Ab", &["cd", "ef"])]);
        assert_eq!(ids(&i, "cd", StatusFilter::Any), ["c1"]);
        assert!(ids(&i, "cdef", StatusFilter::Any).is_empty());
        assert!(ids(&i, "abcd", StatusFilter::Any).is_empty());
    }

    #[test]
    fn intersections_match_a_plain_filter() {
        let a: Vec<u32> = (0..1000).filter(|x| x % 3 == 0).collect();
        let b: Vec<u32> = (0..1000).filter(|x| x % 5 == 0).collect();
        let small = vec![15, 16, 900, 999];
        let want = |x: &[u32], y: &[u32]| -> Vec<u32> {
            x.iter().copied().filter(|v| y.contains(v)).collect()
        };
        assert_eq!(intersect(&a, &b), want(&a, &b));
        assert_eq!(intersect(&small, &a), want(&small, &a));
        assert_eq!(intersect(&a, &small), want(&small, &a));
        assert!(intersect(&[], &a).is_empty());
    }

    #[test]
    fn every_hit_and_score_is_what_a_scan_of_the_fields_finds() {
        // Many listings sharing words in titles and names, some withdrawn, two per course.
        let words = [
            "data",
            "to",
            "数据结构",
            "ข้อมูล",
            "tr",
            "ия",
            "a",
            "science",
            "lab",
        ];
        let docs: Vec<SearchDoc> = (0..400)
            .map(|i| {
                let title = format!(
                    "{} {} {i}",
                    words[i % words.len()],
                    words[(i / 3) % words.len()]
                );
                let person = format!("{} Institute", words[(i / 7) % words.len()]);
                SearchDoc {
                    listing_id: format!("s:{i}"),
                    course_id: format!("c{}", i / 2),
                    active: i % 5 != 0,
                    titles: vec![title],
                    people: vec![person, format!("Ann {}", i % 13)],
                }
            })
            .collect();
        let i = index(&docs);
        let queries = [
            "to",
            "a",
            "tr",
            "ия",
            "data",
            "数据",
            "数据结构",
            "ข้อมูล",
            "science lab",
            "data institute",
            "ann 7",
            "to a",
            "lab 12",
            "zz",
            "ta sc",
        ];
        for q in queries {
            let parsed = SearchQuery::parse(q).unwrap();
            let mut want: HashMap<String, f64> = HashMap::new();
            for d in docs.iter().filter(|d| d.active) {
                let title = normalise(&d.titles[0]);
                let people = d.people.iter().map(|p| normalise(p)).collect::<Vec<_>>();
                let mut score = 0.0;
                let all = parsed.terms.iter().all(|t| {
                    if title.contains(t.as_str()) {
                        score += TITLE_WEIGHT;
                    } else if people.iter().any(|p| p.contains(t.as_str())) {
                        score += PEOPLE_WEIGHT;
                    } else {
                        return false;
                    }
                    true
                });
                if all {
                    let s = 1.0 + score + 1.0 / (2.0 + d.titles[0].chars().count() as f64);
                    let b = want.entry(d.course_id.clone()).or_insert(0.0);
                    *b = b.max(s);
                }
            }
            let got: HashMap<String, f64> = ranked(&i, q, StatusFilter::Active)
                .into_iter()
                .map(|(s, c)| (c.to_string(), s))
                .collect();
            let mut got_ids: Vec<&String> = got.keys().collect();
            let mut want_ids: Vec<&String> = want.keys().collect();
            got_ids.sort();
            want_ids.sort();
            assert_eq!(got_ids, want_ids, "q={q}");
            for (c, s) in &want {
                assert!((got[c] - s).abs() < 1e-9, "q={q} {c}: {} != {s}", got[c]);
            }
        }
    }
}
