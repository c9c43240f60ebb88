//! Clustering listings into courses: candidate links from blocks (shared keys, platform
//! ids, institution + title), strongest first, merged under constraints that keep series
//! siblings, operator unlinks and weak chains apart.

use rustc_hash::{FxHashMap, FxHashSet};

use super::alias::AliasTable;
use super::prepare::{Prepared, hash32, prepare_all};
use super::record::MatchRecord;
use super::text::{Script, dice, similar_name_keys};

/// Records with one folded title at one institution and part: `(institution, script,
/// core, part)`.
type GroupKey<'a> = (u32, Script, &'a str, Option<u8>);
/// A group's n-grams, hashed title head, part, instructor name keys (hashed, sorted),
/// persons, whether any member's title was cut short and whether any was cut where a
/// series title of its institution begins ([`Prepared::cut_of_series`]).
type GroupFeatures<'a> = (
    &'a [u32],
    Option<u32>,
    Option<u8>,
    Vec<u32>,
    Vec<(u64, u64)>,
    bool,
    bool,
);
/// The title groups of one institution and part.
type InstitutionBlock = ((u32, Option<u8>), Vec<usize>);
/// Pairs of titles in two scripts known to translate each other.
type Translations<'a> = FxHashSet<((Script, &'a str), (Script, &'a str))>;

/// Why two records were linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// An operator forced the link.
    OperatorLink,
    /// The same course identity (`Org+Number`) in both records' keys.
    SharedKey,
    /// The same listing id on the same platform (runs of one listing).
    SameSourceId,
    /// The same folded title at the same institution (`score` 1.0), or a similar one.
    TitleSimilarity { lang: &'static str },
    /// Titles in two languages that confident matches elsewhere showed to be translations.
    CrossLanguageTitle,
    /// A shared instructor (two name keys, e.g. given name and surname) with a similar
    /// title or the same title head; or, across languages, the mutual best candidate by
    /// shared instructors.
    InstructorOverlap,
}

/// One accepted link: the evidence that put `a` and `b` in one cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub a: u64,
    pub b: u64,
    pub signal: Signal,
    pub score: f32,
}

/// Operator decisions, honoured over any evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Pairs forced into one cluster.
    pub links: Vec<(u64, u64)>,
    /// Pairs kept in different clusters whatever the evidence says.
    pub unlinks: Vec<(u64, u64)>,
}

/// The fixed thresholds of the matcher (reported with every clustering).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Minimum character n-gram Dice similarity of two titles in one script.
    pub title_similarity: f32,
    /// Minimum Dice similarity for a title link backed by a shared instructor.
    pub title_with_instructor: f32,
    /// No evidence link may grow a cluster beyond this many records.
    pub max_cluster_size: usize,
}

/// The thresholds [`cluster`] uses; fixed in code, never tuned per run.
pub const THRESHOLDS: Thresholds = Thresholds {
    title_similarity: 0.8,
    title_with_instructor: 0.6,
    max_cluster_size: 64,
};

/// The result of [`cluster`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// `(record id, cluster id)` in input order; a cluster id is its smallest record id.
    pub assignments: Vec<(u64, u64)>,
    /// The links that merged clusters (a spanning forest of every cluster).
    pub links: Vec<Link>,
    pub thresholds: Thresholds,
}

impl Clustering {
    /// The cluster id of a record.
    pub fn cluster_of(&self, record: u64) -> Option<u64> {
        self.assignments
            .iter()
            .find(|(r, _)| *r == record)
            .map(|(_, c)| *c)
    }
}

/// Assigns every record to exactly one cluster (course). `aliases` seeds institution
/// identity and is extended (on a copy) with what the records teach.
pub fn cluster(records: &[MatchRecord], aliases: &AliasTable, overrides: &Overrides) -> Clustering {
    let mut aliases = aliases.clone();
    let mut prepared = prepare_all(records, &mut aliases);
    mark_contested_parts(&mut prepared);
    super::trace_memory("prepare");
    let mut forest = Forest::new(records, &prepared, overrides);
    super::trace_memory("forest");

    if !overrides.links.is_empty() {
        let index: FxHashMap<u64, usize> =
            records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        for (a, b) in &overrides.links {
            if let (Some(&i), Some(&j)) = (index.get(a), index.get(b)) {
                forest.union(i, j, Signal::OperatorLink, 1.0, Strength::Forced);
            }
        }
    }

    // Shared course identities.
    // Course numbers are reused (renumbering, small number spaces), so a shared key links
    // only records that do not contradict each other: same institution when both are
    // known, no instructor conflict, and similar titles where they share a script.
    let mut by_key: FxHashMap<(u32, u32), Vec<usize>> = FxHashMap::default();
    for (i, p) in prepared.iter().enumerate() {
        if p.part_contested {
            continue;
        }
        for key in &p.keys {
            let members = by_key.entry(*key).or_default();
            if let Some(&j) = members
                .iter()
                .find(|&&j| key_compatible(&prepared[i], &prepared[j]))
            {
                forest.union(j, i, Signal::SharedKey, 1.0, Strength::Key);
            }
            members.push(i);
        }
    }
    drop(by_key);
    super::trace_memory("shared keys");

    // Runs of one listing: same platform, same listing id, same institution. A listing id
    // whose records name different parts (a slug cut short, shared by a series) links
    // only the records of one part, and none whose part is unknown.
    let mut by_listing: FxHashMap<(&str, u64, Option<u32>), Vec<usize>> = FxHashMap::default();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(listing) = p.listing {
            let key = (records[i].source.as_str(), listing, p.inst);
            by_listing.entry(key).or_default().push(i);
        }
    }
    let mut listings: Vec<Vec<usize>> = by_listing.into_values().collect();
    listings.sort_unstable();
    for members in &listings {
        let first_part = members.iter().find_map(|&i| prepared[i].part);
        let mixed = members
            .iter()
            .any(|&i| prepared[i].part.is_some_and(|p| Some(p) != first_part));
        let mut first_of: Vec<(Option<u8>, usize)> = Vec::new();
        for &i in members {
            let part = prepared[i].part;
            // A record whose title and slug were both cut may be any part of a series
            // whose parts share the cut slug.
            if (mixed && part.is_none()) || prepared[i].part_hidden {
                continue;
            }
            match first_of.iter().find(|(p, _)| *p == part) {
                Some(&(_, first)) => {
                    forest.union(first, i, Signal::SameSourceId, 1.0, Strength::Key);
                }
                None => first_of.push((part, i)),
            }
        }
    }
    drop(listings);
    super::trace_memory("listing ids");

    // Same folded title, same institution, same part: one group each; members are linked
    // to the group's first member they share no instructor conflict with.
    let mut groups: FxHashMap<GroupKey<'_>, Vec<usize>> = FxHashMap::default();
    for (i, p) in prepared.iter().enumerate() {
        let Some(inst) = p.inst else { continue };
        if p.part_contested {
            continue;
        }
        for t in &p.titles {
            if t.core.is_empty() {
                continue;
            }
            groups
                .entry((inst, t.script, &*t.core, p.part))
                .or_default()
                .push(i);
        }
    }
    let mut group_list: Vec<(GroupKey<'_>, Vec<usize>)> = groups.into_iter().collect();
    group_list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for ((_, script, core, part), members) in &group_list {
        let lang = script.language();
        // A title cut short may have lost its part marker: of unknown part, it joins only
        // a record it shares an instructor with.
        let cut: Vec<bool> = members
            .iter()
            .map(|&m| part.is_none() && is_cut(&prepared[m], *script, core))
            .collect();
        // Each member joins the first earlier cluster of the group that nothing keeps it
        // from (a few tried at most: a generic title at a big institution is many courses).
        let mut tried: Vec<usize> = Vec::new();
        for (k, &i) in members.iter().enumerate().skip(1) {
            tried.clear();
            for (l, &j) in members[..k].iter().enumerate() {
                let root = forest.find(j);
                if tried.contains(&root) {
                    continue;
                }
                if (cut[k] || cut[l])
                    && shared_persons(&prepared[i].persons, &prepared[j].persons) == 0
                {
                    continue;
                }
                // Nor a title cut where a series title of the institution begins: its
                // part is anyone's guess, and the series shares its instructors.
                if prepared[i].cut_of_series || prepared[j].cut_of_series {
                    continue;
                }
                if tried.len() >= GROUP_TRIES
                    || forest.union(
                        j,
                        i,
                        Signal::TitleSimilarity { lang },
                        1.0,
                        Strength::Evidence,
                    )
                {
                    break;
                }
                tried.push(root);
            }
        }
    }

    // Similar titles within one institution and script: compare group representatives.
    let mut blocks: FxHashMap<(u32, Script), Vec<usize>> = FxHashMap::default();
    for (g, ((inst, script, _, _), _)) in group_list.iter().enumerate() {
        blocks.entry((*inst, *script)).or_default().push(g);
    }
    let mut block_list: Vec<_> = blocks.into_iter().collect();
    block_list.sort_unstable_by_key(|(k, _)| *k);
    for ((_, script), gs) in &block_list {
        if gs.len() < 2 {
            continue;
        }
        let lang = script.language();
        // Built per block: all groups' features at once would hold every record's names
        // a second time.
        let group_grams: Vec<GroupFeatures<'_>> = gs
            .iter()
            .map(|&g| group_features(&group_list[g], &prepared))
            .collect();
        let group_subjects: Vec<Vec<(Script, u32)>> = gs
            .iter()
            .map(|&g| subjects_of(&group_list[g].1, &prepared))
            .collect();
        for x in 0..gs.len() {
            for y in x + 1..gs.len() {
                let (ga, gb) = (gs[x], gs[y]);
                let (a, b) = (&group_grams[x], &group_grams[y]);
                if a.2 != b.2 {
                    continue;
                }
                let score = dice(a.0, b.0);
                let shared = shared_persons(&a.4, &b.4);
                let conflict = !a.3.is_empty() && !b.3.is_empty() && !sorted_intersect(&a.3, &b.3);
                let ia = group_list[ga].1[0];
                let ib = group_list[gb].1[0];
                // A cut title of unknown part is no title evidence on its own.
                let cut = a.2.is_none() && (a.5 || b.5);
                let subjects = subjects_differ(&group_subjects[x], &group_subjects[y]);
                if score >= THRESHOLDS.title_similarity && !conflict && !cut && !subjects {
                    forest.union(
                        ia,
                        ib,
                        Signal::TitleSimilarity { lang },
                        score,
                        Strength::Evidence,
                    );
                } else if shared >= 1
                    && !(a.6 || b.6)
                    && !subjects
                    && (score >= THRESHOLDS.title_with_instructor || (a.1.is_some() && a.1 == b.1))
                {
                    forest.union(ia, ib, Signal::InstructorOverlap, score, Strength::Evidence);
                }
            }
        }
    }

    // Cross-language: learn which titles are translations of each other from clusters
    // that already hold several scripts, then link same-institution, same-part groups
    // whose titles are known translations.
    let scripts = forest.scripts_by_root(&prepared);
    let mut cores_by_root: FxHashMap<usize, Vec<(Script, &str)>> = FxHashMap::default();
    for (i, p) in prepared.iter().enumerate() {
        let root = forest.find(i);
        if scripts[root].count_ones() < 2 {
            continue;
        }
        let entry = cores_by_root.entry(root).or_default();
        for t in &p.titles {
            if !t.core.is_empty() && !entry.contains(&(t.script, &*t.core)) {
                entry.push((t.script, &*t.core));
            }
        }
    }
    let mut translations: Translations<'_> = FxHashSet::default();
    let mut roots: Vec<_> = cores_by_root.into_iter().collect();
    roots.sort_unstable_by_key(|(r, _)| *r);
    for (_, cores) in &roots {
        for a in cores {
            for b in cores {
                if a.0 != b.0 {
                    translations.insert((*a, *b));
                }
            }
        }
    }
    let mut by_inst_part: FxHashMap<(u32, Option<u8>), Vec<usize>> = FxHashMap::default();
    for (g, ((inst, _, _, part), _)) in group_list.iter().enumerate() {
        by_inst_part.entry((*inst, *part)).or_default().push(g);
    }
    let mut ip_list: Vec<_> = by_inst_part.into_iter().collect();
    ip_list.sort_unstable_by_key(|(k, _)| *k);
    let mut known: FxHashMap<(Script, &str), Vec<(Script, &str)>> = FxHashMap::default();
    for (a, b) in &translations {
        known.entry(*a).or_default().push(*b);
    }
    for v in known.values_mut() {
        v.sort_unstable();
    }
    for (_, gs) in &ip_list {
        let index: FxHashMap<(Script, &str), usize> = gs
            .iter()
            .map(|&g| ((group_list[g].0.1, group_list[g].0.2), g))
            .collect();
        for &ga in gs {
            let ((_, sa, ca, _), ma) = &group_list[ga];
            let Some(others) = known.get(&(*sa, *ca)) else {
                continue;
            };
            for other in others {
                if let Some(&gb) = index.get(other)
                    && gb > ga
                {
                    let mb = &group_list[gb].1;
                    forest.union(
                        ma[0],
                        mb[0],
                        Signal::CrossLanguageTitle,
                        1.0,
                        Strength::Evidence,
                    );
                }
            }
        }
    }

    super::trace_memory("titles");
    // The clusters a round's links make teach more translations to the next.
    for _ in 0..DICTIONARY_ROUNDS {
        let dictionary = Dictionary::learn(&prepared, &mut forest);
        super::trace_memory("dictionary");
        link_by_dictionary(&group_list, &ip_list, &dictionary, &mut forest);
    }
    // The last stage works per cluster: the title groups are done with.
    drop((known, ip_list, group_list));

    super::trace_memory("dictionary links");
    link_across_languages_by_people(records, &prepared, &mut forest, &translations);
    super::trace_memory("instructor links");

    forest.finish(records)
}

/// The features of one title group, for comparing it with the others of its block.
fn group_features<'a>(
    group: &(GroupKey<'a>, Vec<usize>),
    prepared: &'a [Prepared],
) -> GroupFeatures<'a> {
    let ((_, script, core, part), members) = group;
    let title = prepared[members[0]]
        .titles
        .iter()
        .find(|t| t.script == *script && &*t.core == *core);
    let grams = title.map(|t| &t.grams[..]).unwrap_or(&[]);
    let head = title.and_then(|t| t.head);
    let mut people: Vec<u32> = members
        .iter()
        .flat_map(|&m| prepared[m].people.iter().copied())
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut persons: Vec<(u64, u64)> = members
        .iter()
        .flat_map(|&m| prepared[m].persons.iter().copied())
        .collect();
    persons.sort_unstable();
    persons.dedup();
    let cut = members.iter().any(|&m| is_cut(&prepared[m], *script, core));
    let cut_of_series = members.iter().any(|&m| prepared[m].cut_of_series);
    (grams, head, *part, people, persons, cut, cut_of_series)
}

/// The subject labels of a title group's records, folded and hashed, with their script;
/// sorted.
fn subjects_of(members: &[usize], prepared: &[Prepared]) -> Vec<(Script, u32)> {
    let mut out: Vec<(Script, u32)> = members
        .iter()
        .filter_map(|&m| prepared[m].subject)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Two groups whose subject labels in one script share no label: two courses. An
/// instructor teaches several subjects at one institution, and one institution gives
/// look-alike titles to courses of two subjects (`Data Analysis` in computer science,
/// `Data Analytics` in business), so neither a shared instructor nor a similar title
/// links across subjects.
fn subjects_differ(a: &[(Script, u32)], b: &[(Script, u32)]) -> bool {
    a.iter().any(|(sa, _)| b.iter().any(|(sb, _)| sa == sb)) && !a.iter().any(|x| b.contains(x))
}

/// Whether the record's title with this core was cut short.
fn is_cut(p: &Prepared, script: Script, core: &str) -> bool {
    p.titles
        .iter()
        .any(|t| t.cut && t.script == script && &*t.core == core)
}

/// Title words learned to translate each other: from clusters that already hold titles
/// in two scripts (linked by keys, bilingual titles or known title translations), the
/// features of one script that keep occurring with features of another. Features are
/// words (their first six letters) in scripts with spaces, character bigrams in Chinese
/// and trigrams in Thai.
struct Dictionary {
    /// Per feature, the features of other scripts it translates to.
    translations: FxHashMap<u32, Vec<u32>>,
}

/// A title's features, each tagged with its script in the top bits.
fn title_features(core: &str, script: Script) -> Vec<u32> {
    let tag = (script as u32) << 28;
    let mask = (1u32 << 28) - 1;
    let mut out: Vec<u32> = match script {
        Script::Han | Script::Thai => super::text::grams(core, script),
        _ => core
            .split(' ')
            .filter(|w| w.chars().count() >= 2)
            .map(|w| {
                let stem: String = w.chars().take(6).collect();
                hash32(&stem)
            })
            .collect(),
    };
    for f in &mut out {
        *f = (*f & mask) | tag;
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn feature_script(f: u32) -> u32 {
    f >> 28
}

impl Dictionary {
    fn learn(prepared: &[Prepared], forest: &mut Forest<'_>) -> Self {
        let mut by_root: FxHashMap<usize, Vec<u32>> = FxHashMap::default();
        let scripts = forest.scripts_by_root(prepared);
        for (i, p) in prepared.iter().enumerate() {
            let root = forest.find(i);
            if scripts[root].count_ones() < 2 {
                continue;
            }
            let e = by_root.entry(root).or_default();
            for t in &p.titles {
                e.extend(title_features(&t.core, t.script));
            }
        }
        let mut single: FxHashMap<u32, u32> = FxHashMap::default();
        let mut pairs: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut roots: Vec<_> = by_root.into_iter().collect();
        roots.sort_unstable_by_key(|(r, _)| *r);
        for (_, mut fs) in roots {
            fs.sort_unstable();
            fs.dedup();
            for &f in &fs {
                *single.entry(f).or_default() += 1;
            }
            for (x, &a) in fs.iter().enumerate() {
                for &b in &fs[x + 1..] {
                    if feature_script(a) != feature_script(b) {
                        *pairs.entry((a, b)).or_default() += 1;
                    }
                }
            }
        }
        let mut translations: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        let mut kept: Vec<_> = pairs
            .into_iter()
            .filter(|(_, n)| *n >= DICTIONARY_SUPPORT)
            .filter_map(|((a, b), n)| {
                let (ca, cb) = (single.get(&a)?, single.get(&b)?);
                let d = 2.0 * n as f32 / (ca + cb) as f32;
                (d >= DICTIONARY_ASSOCIATION).then_some((a, b))
            })
            .collect();
        kept.sort_unstable();
        for (a, b) in kept {
            translations.entry(a).or_default().push(b);
            translations.entry(b).or_default().push(a);
        }
        Dictionary { translations }
    }

    /// The share of the features of `a` (those the dictionary knows in `b`'s script)
    /// whose translation is in `b`, and the number of such known features.
    fn coverage(&self, a: &[u32], b: &[u32]) -> (f32, usize) {
        let Some(target) = b.first().map(|f| feature_script(*f)) else {
            return (0.0, 0);
        };
        let (mut known, mut hit) = (0usize, 0usize);
        for f in a {
            let Some(ts) = self.translations.get(f) else {
                continue;
            };
            let mut any_known = false;
            let mut found = false;
            for t in ts {
                if feature_script(*t) == target {
                    any_known = true;
                    if b.binary_search(t).is_ok() {
                        found = true;
                        break;
                    }
                }
            }
            if any_known {
                known += 1;
                if found {
                    hit += 1;
                }
            }
        }
        if known == 0 {
            (0.0, 0)
        } else {
            (hit as f32 / known as f32, known)
        }
    }
}

/// A feature pair must occur in at least this many clusters to be learned (the Dice
/// association below keeps chance pairs of frequent features out).
const DICTIONARY_SUPPORT: u32 = 2;
/// How many times the dictionary is learned and applied.
const DICTIONARY_ROUNDS: usize = 2;
/// And its Dice association (clusters with both / clusters with either) at least this.
const DICTIONARY_ASSOCIATION: f32 = 0.3;
/// Two titles in different scripts translate each other when this share of the known
/// features of each has its translation in the other.
const TRANSLATION_COVERAGE: f32 = 0.7;

/// Links same-institution, same-part title groups in different scripts whose titles
/// translate each other by the learned [`Dictionary`]: each group's best such partner
/// in the other script, when the choice is mutual and unambiguous.
fn link_by_dictionary(
    group_list: &[(GroupKey<'_>, Vec<usize>)],
    blocks: &[InstitutionBlock],
    dictionary: &Dictionary,
    forest: &mut Forest<'_>,
) {
    let features: Vec<Vec<u32>> = group_list
        .iter()
        .map(|((_, script, core, _), _)| title_features(core, *script))
        .collect();
    for (_, gs) in blocks {
        if gs.len() < 2 {
            continue;
        }
        let mut postings: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        for &g in gs {
            for f in &features[g] {
                postings.entry(*f).or_default().push(g);
            }
        }
        // Best partner per (group, other script): (partner, score, tied).
        let mut best: FxHashMap<(usize, u32), (usize, f32, bool)> = FxHashMap::default();
        for &ga in gs {
            let mut hits: FxHashMap<usize, u32> = FxHashMap::default();
            for f in &features[ga] {
                for t in dictionary.translations.get(f).into_iter().flatten() {
                    for &gb in postings.get(t).into_iter().flatten() {
                        *hits.entry(gb).or_default() += 1;
                    }
                }
            }
            let mut cands: Vec<_> = hits.into_iter().filter(|(_, n)| *n >= 2).collect();
            cands.sort_unstable();
            for (gb, _) in cands {
                let (sa, sb) = (group_list[ga].0.1, group_list[gb].0.1);
                if sa == sb {
                    continue;
                }
                let (fa, fb) = (&features[ga], &features[gb]);
                let (ca, ka) = dictionary.coverage(fa, fb);
                let (cb, kb) = dictionary.coverage(fb, fa);
                if ka < 2 || kb < 2 {
                    continue;
                }
                let score = ca.min(cb);
                if score < TRANSLATION_COVERAGE {
                    continue;
                }
                let key = (ga, sb as u32);
                best.entry(key)
                    .and_modify(|e| {
                        if score > e.1 {
                            *e = (gb, score, false);
                        } else if score == e.1 && e.0 != gb {
                            e.2 = true;
                        }
                    })
                    .or_insert((gb, score, false));
            }
        }
        let mut pairs: Vec<(usize, usize, f32)> = best
            .iter()
            .filter(|((ga, _), (gb, _, tie))| {
                !tie && ga < gb && {
                    let back = (*gb, group_list[*ga].0.1 as u32);
                    best.get(&back).is_some_and(|(g, _, t)| g == ga && !t)
                }
            })
            .map(|((ga, _), (gb, s, _))| (*ga, *gb, *s))
            .collect();
        pairs.sort_unstable_by_key(|(a, b, _)| (*a, *b));
        for (ga, gb, score) in pairs {
            let (a, b) = (group_list[ga].1[0], group_list[gb].1[0]);
            forest.union(a, b, Signal::CrossLanguageTitle, score, Strength::Evidence);
        }
    }
}

/// What one cluster holds, for the cross-language step.
#[derive(Default)]
struct RootInfo<'a> {
    scripts: u8,
    /// Scripts of the cluster's institution names (a one-word code counts as Latin).
    inst_scripts: u8,
    /// Name keys of the cluster's persons (sorted once all records are in).
    people: Vec<u64>,
    persons: Vec<(u64, u64)>,
    /// Interned subject labels.
    subjects: Vec<u32>,
    year: Option<u16>,
    cores: Vec<(Script, &'a str)>,
}

/// Links clusters with no script in common (a Chinese listing and an English one) at the
/// same institution and part when they share an instructor (names folded across
/// scripts), their subject labels are not known to differ, and each is the other's
/// single best candidate. Subject-label translations are learned from clusters that hold
/// several labels, as title translations are.
fn link_across_languages_by_people(
    records: &[MatchRecord],
    prepared: &[Prepared],
    forest: &mut Forest<'_>,
    translations: &Translations<'_>,
) {
    let mut info: FxHashMap<usize, RootInfo<'_>> = FxHashMap::default();
    let mut key_of: FxHashMap<usize, (u32, Option<u8>)> = FxHashMap::default();
    let mut subject_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut subject_scripts: Vec<Script> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        let root = forest.find(i);
        let e = info.entry(root).or_default();
        for t in &p.titles {
            e.scripts |= 1 << (t.script as u8);
            e.cores.push((t.script, &*t.core));
        }
        if p.inst.is_some() {
            let script = p.inst_name.as_ref().map_or(Script::Latin, |n| n.0);
            e.inst_scripts |= 1 << (script as u8);
        }
        // Candidates are found by the longer name keys: a one-letter key (`Liu` → `l`)
        // is shared by too many persons to look them up by (a person is found by its
        // other key).
        e.people.extend(
            p.persons
                .iter()
                .flat_map(|(a, b)| [*a, *b])
                .filter(|k| *k >= ONE_LETTER_KEYS),
        );
        e.persons.extend(p.persons.iter().copied());
        if let Some(s) = &records[i].subject {
            let s = super::text::light(s);
            let next = subject_ids.len() as u32;
            let id = *subject_ids.entry(s).or_insert_with_key(|s| {
                subject_scripts.push(Script::dominant(s));
                next
            });
            if !e.subjects.contains(&id) {
                e.subjects.push(id);
            }
        }
        let year = records[i]
            .start_date
            .as_deref()
            .and_then(|d| d.get(..4))
            .and_then(|y| y.parse::<u16>().ok());
        e.year = match (e.year, year) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(inst) = p.inst {
            key_of.entry(root).or_insert((inst, forest.part[root]));
        }
    }
    drop(subject_ids);
    for e in info.values_mut() {
        e.people.sort_unstable();
        e.people.dedup();
    }
    // Subject labels in two scripts that several clusters carry together translate each
    // other; two labels in one script are two subjects.
    let mut subject_counts: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    for e in info.values() {
        for &a in &e.subjects {
            for &b in &e.subjects {
                if a != b && subject_scripts[a as usize] != subject_scripts[b as usize] {
                    *subject_counts.entry((a, b)).or_default() += 1;
                }
            }
        }
    }
    let subject_pairs: FxHashSet<(u32, u32)> = subject_counts
        .into_iter()
        .filter(|(_, n)| *n >= SUBJECT_SUPPORT)
        .map(|(k, _)| k)
        .collect();
    let mut postings: FxHashMap<(u32, Option<u8>, u64), Vec<usize>> = FxHashMap::default();
    // Across institutions, by part and person: an institution named only in its own
    // script on one side and only in another on the other may be one institution the
    // alias table does not know.
    let mut across: FxHashMap<(Option<u8>, u64), Vec<usize>> = FxHashMap::default();
    let mut roots: Vec<usize> = key_of.keys().copied().collect();
    roots.sort_unstable();
    for &r in &roots {
        let (Some(k), Some(e)) = (key_of.get(&r), info.get(&r)) else {
            continue;
        };
        for person in &e.people {
            postings.entry((k.0, k.1, *person)).or_default().push(r);
            across.entry((k.1, *person)).or_default().push(r);
        }
    }
    let mut best: FxHashMap<usize, (usize, f32, bool)> = FxHashMap::default();
    for &r in &roots {
        let (Some(k), Some(e)) = (key_of.get(&r), info.get(&r)) else {
            continue;
        };
        let mut shared: FxHashMap<usize, u32> = FxHashMap::default();
        for person in &e.people {
            if let Some(list) = postings.get(&(k.0, k.1, *person)) {
                for &c in list {
                    if c != r {
                        *shared.entry(c).or_default() += 1;
                    }
                }
            }
            if let Some(list) = across.get(&(k.1, *person))
                && list.len() <= ACROSS_POSTING_LIMIT
            {
                for &c in list {
                    if c != r
                        && key_of.get(&c).is_some_and(|o| o.0 != k.0)
                        && info
                            .get(&c)
                            .is_some_and(|o| o.inst_scripts & e.inst_scripts == 0)
                    {
                        *shared.entry(c).or_default() += 1;
                    }
                }
            }
        }
        let mut top: Option<(usize, f32, bool)> = None;
        let mut candidates: Vec<_> = shared.into_iter().collect();
        candidates.sort_unstable();
        for (c, _) in candidates {
            let Some(o) = info.get(&c) else { continue };
            let n = shared_persons(&e.persons, &o.persons);
            let same_institution = key_of.get(&c).is_some_and(|o| o.0 == k.0);
            if n == 0 || (!same_institution && n < ACROSS_INSTITUTION_PERSONS) {
                continue;
            }
            if o.scripts & e.scripts != 0 || o.scripts == 0 || e.scripts == 0 {
                continue;
            }
            let subjects_known = !e.subjects.is_empty() && !o.subjects.is_empty();
            let subjects_agree = e.subjects.iter().any(|a| {
                o.subjects
                    .iter()
                    .any(|b| a == b || subject_pairs.contains(&(*a, *b)))
            });
            if subjects_known && !subjects_agree {
                continue;
            }
            let translated = e
                .cores
                .iter()
                .any(|a| o.cores.iter().any(|b| translations.contains(&(*a, *b))));
            let mut score = n as f32;
            if subjects_agree {
                score += 1.0;
            }
            if e.year.is_some() && e.year == o.year {
                score += 0.5;
            }
            if translated {
                score += 2.0;
            }
            top = match top {
                Some((_, s, _)) if s > score => top,
                Some((tc, s, _)) if s == score => Some((tc, s, true)),
                _ => Some((c, score, false)),
            };
        }
        if let Some(t) = top {
            best.insert(r, t);
        }
    }
    let mut pairs: Vec<(usize, usize, f32)> = best
        .iter()
        .filter(|(r, (c, _, tie))| {
            !tie && *r < c && best.get(c).is_some_and(|(back, _, t)| back == *r && !t)
        })
        .map(|(r, (c, s, _))| (*r, *c, *s))
        .collect();
    pairs.sort_unstable_by_key(|(a, b, _)| (*a, *b));
    for (a, b, score) in pairs {
        forest.union(a, b, Signal::InstructorOverlap, score, Strength::Evidence);
    }
}

/// Packed name keys below this are one letter long ([`super::text::pack_name_key`]).
const ONE_LETTER_KEYS: u64 = 32;

/// Shared persons two clusters at institutions named in different scripts (not known
/// to be one) need for a cross-language instructor link.
const ACROSS_INSTITUTION_PERSONS: usize = 2;
/// A person name key carried by more clusters than this is too common to look for
/// partners across institutions with.
const ACROSS_POSTING_LIMIT: usize = 64;

/// Clusters that must carry two subject labels together before they count as one subject.
const SUBJECT_SUPPORT: u32 = 3;

/// Whether two records sharing a course key may be linked by it.
fn key_compatible(a: &Prepared, b: &Prepared) -> bool {
    // The key's organisation may be ambiguous (a truncated code shared by several
    // institutions): two different full names in one script mean two institutions.
    if let (Some(x), Some(y)) = (a.inst, b.inst)
        && x != y
        && let (Some(na), Some(nb)) = (&a.inst_name, &b.inst_name)
        && na.0 == nb.0
        && dice(&na.1, &nb.1) < super::prepare::SAME_NAME_SIMILARITY
    {
        return false;
    }
    if people_conflict(a, b) {
        return false;
    }
    // Platforms number courses in small spaces (three digits per organisation), so a
    // shared key of two courses is no rare accident: subject labels in one script that
    // differ name two courses.
    if subjects_differ(a.subject.as_slice(), b.subject.as_slice()) {
        return false;
    }
    let mut shared_script = false;
    for ta in &a.titles {
        for tb in &b.titles {
            if ta.script == tb.script {
                shared_script = true;
                if ta.head == tb.head || dice(&ta.grams, &tb.grams) >= KEY_TITLE_SIMILARITY {
                    return true;
                }
            }
        }
    }
    !shared_script
}

/// The part of a cluster holding a record whose part is contested
/// ([`Prepared::part_contested`]): no title names it, so the cluster joins no cluster of a
/// named part.
const CONTESTED_PART: u8 = 0;

/// A course key with more records than this is not looked at for contested parts (the
/// runs of one listing are a handful).
const CONTESTED_KEY_LIMIT: usize = 64;

/// Marks the records whose title names a part that records sharing one of its course keys,
/// and fit to be linked by it ([`key_compatible`]), outvote or tie with another part. The
/// runs of one listing name one part; a title that names another may have lost a letter
/// of its marker (`Control Systems I` among runs of `Control Systems II`), and keys
/// collide (a platform's short course numbers), so neither its title nor its key says
/// which part it is.
fn mark_contested_parts(prepared: &mut [Prepared]) {
    let mut by_key: FxHashMap<(u32, u32), Vec<usize>> = FxHashMap::default();
    for (i, p) in prepared.iter().enumerate() {
        if p.part.is_some() {
            for key in &p.keys {
                by_key.entry(*key).or_default().push(i);
            }
        }
    }
    let mut contested: Vec<usize> = Vec::new();
    let mut votes: Vec<(u8, u32)> = Vec::new();
    for members in by_key.values() {
        if members.len() < 2 || members.len() > CONTESTED_KEY_LIMIT {
            continue;
        }
        let first = prepared[members[0]].part;
        if members.iter().all(|&m| prepared[m].part == first) {
            continue;
        }
        for &i in members {
            votes.clear();
            for &j in members {
                if j != i && !key_compatible(&prepared[i], &prepared[j]) {
                    continue;
                }
                let Some(part) = prepared[j].part else {
                    continue;
                };
                match votes.iter_mut().find(|(p, _)| *p == part) {
                    Some((_, n)) => *n += 1,
                    None => votes.push((part, 1)),
                }
            }
            let own = prepared[i].part;
            let mine = votes
                .iter()
                .find(|(p, _)| Some(*p) == own)
                .map_or(0, |(_, n)| *n);
            if votes.iter().any(|(p, n)| Some(*p) != own && *n >= mine) {
                contested.push(i);
            }
        }
    }
    for i in contested {
        prepared[i].part_contested = true;
    }
}

/// How many distinct earlier clusters of a same-title group a record tries to join.
const GROUP_TRIES: usize = 4;

/// Titles of two records sharing a key and a script must be at least this similar.
const KEY_TITLE_SIMILARITY: f32 = 0.4;

/// Two records whose instructors are both known, in one script, and share no name.
fn people_conflict(a: &Prepared, b: &Prepared) -> bool {
    !a.people.is_empty()
        && !b.people.is_empty()
        && a.people_script == b.people_script
        && !sorted_intersect(&a.people, &b.people)
}

/// How much a link may override: operator links ignore the evidence rules; key links
/// (shared course identity, same listing id) are checked against the clusters'
/// instructors; evidence links (titles, instructors) also against their course keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Forced,
    Key,
    Evidence,
}

/// What a cluster is known to be, kept per root: the instructors' name keys (hashed,
/// sorted) with the scripts they were written in, and the course keys (organisation,
/// number; hashed, sorted).
#[derive(Debug, Clone, Default)]
struct Profile {
    people: Vec<u32>,
    people_scripts: u8,
    persons: Vec<(u64, u64)>,
    keys: Vec<(u32, u32)>,
    /// Numbered listings (platform, listing; hashed, sorted) of the cluster's records.
    listings: Vec<(u32, u32)>,
}

impl Profile {
    fn of(p: &Prepared) -> Self {
        let people = p.people.clone();
        let keys = p.keys.clone();
        Profile {
            people_scripts: if people.is_empty() {
                0
            } else {
                1 << (p.people_script as u8)
            },
            people,
            persons: p.persons.clone(),
            keys,
            listings: p.numbered_listing.into_iter().collect(),
        }
    }

    fn absorb(&mut self, other: Profile) {
        self.people = merge_sorted(std::mem::take(&mut self.people), other.people);
        self.people_scripts |= other.people_scripts;
        self.persons = merge_sorted(std::mem::take(&mut self.persons), other.persons);
        self.keys = merge_sorted(std::mem::take(&mut self.keys), other.keys);
        self.listings = merge_sorted(std::mem::take(&mut self.listings), other.listings);
    }

    fn shares_person(&self, other: &Profile) -> bool {
        shared_persons(&self.persons, &other.persons) > 0
    }

    /// Both clusters name instructors in a common script and no name key is shared.
    fn people_conflict(&self, other: &Profile) -> bool {
        self.people_scripts & other.people_scripts != 0
            && !sorted_intersect(&self.people, &other.people)
    }

    /// Both clusters hold numbered listings of one platform and share none of them: a
    /// platform that numbers the runs of a listing lists a course once, so two of its
    /// listings are two courses, however alike their titles and teams (the parts of a
    /// series, one of whose titles lost the `I` of its `II`).
    fn listing_conflict(&self, other: &Profile) -> bool {
        if sorted_intersect(&self.listings, &other.listings) {
            return false;
        }
        self.listings
            .iter()
            .any(|(platform, _)| other.listings.iter().any(|(p, _)| p == platform))
    }

    /// Both clusters carry keys of one organisation and share none of them.
    fn key_conflict(&self, other: &Profile) -> bool {
        if sorted_intersect(&self.keys, &other.keys) {
            return false;
        }
        self.keys
            .iter()
            .any(|(org, _)| other.keys.iter().any(|(o, _)| o == org))
    }
}

/// How many persons of `a` have a match in `b`: both name keys spelled alike
/// ([`similar_name_keys`]), at least one of them exactly.
fn shared_persons(a: &[(u64, u64)], b: &[(u64, u64)]) -> usize {
    a.iter()
        .filter(|(a0, a1)| {
            b.iter().any(|(b0, b1)| {
                let same = |x: u64, y: u64, u: u64, v: u64| {
                    (x == y && similar_name_keys(u, v)) || (u == v && similar_name_keys(x, y))
                };
                same(*a0, *b0, *a1, *b1) || same(*a0, *b1, *a1, *b0)
            })
        })
        .count()
}

fn merge_sorted<T: Ord + Copy>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn sorted_intersect<T: Ord>(a: &[T], b: &[T]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// The first and last run start of a record, as days of the common era; `None` when
/// no date parses.
fn run_span(r: &MatchRecord) -> Option<(i32, i32)> {
    use chrono::Datelike;
    let day = |d: &Option<String>| {
        d.as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok())
            .map(|d| d.num_days_from_ce())
    };
    match (day(&r.start_date), day(&r.last_start_date)) {
        (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
        (a, b) => a.or(b).map(|d| (d, d)),
    }
}

/// Two clusters whose runs are more than this many days (three years) apart (the last
/// run of one before the first of the other) are not joined by title or instructor
/// evidence alone: a course's listings on several platforms run in overlapping years,
/// while an institution's same-subject courses with look-alike titles come and go years
/// apart. Shared keys and listing ids still join them. (Two years cost a recorded
/// catalogue its edX run scheduled 25 months after the XuetangX one.)
const MAX_RUN_GAP_DAYS: i32 = 1095;

/// Whether two clusters' runs lie more than [`MAX_RUN_GAP_DAYS`] apart.
fn runs_apart(a: Option<(i32, i32)>, b: Option<(i32, i32)>) -> bool {
    let (Some((a0, a1)), Some((b0, b1))) = (a, b) else {
        return false;
    };
    (b0 - a1).max(a0 - b1) > MAX_RUN_GAP_DAYS
}

/// Union-find over record indexes with the merge constraints.
struct Forest<'a> {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// The series part of each root's cluster, when any member names one.
    part: Vec<Option<u8>>,
    /// Per root: the first and last run start of its cluster (days), when any is known.
    span: Vec<Option<(i32, i32)>>,
    /// Per root: what its cluster is known to be.
    profile: Vec<Profile>,
    /// Per root: members that carry an operator unlink.
    guarded: FxHashMap<usize, Vec<usize>>,
    unlinks: FxHashMap<usize, Vec<usize>>,
    links: Vec<Link>,
    ids: Vec<u64>,
    _records: std::marker::PhantomData<&'a ()>,
}

impl<'a> Forest<'a> {
    fn new(records: &'a [MatchRecord], prepared: &[Prepared], overrides: &Overrides) -> Self {
        let index: FxHashMap<u64, usize> = if overrides.unlinks.is_empty() {
            FxHashMap::default()
        } else {
            records.iter().enumerate().map(|(i, r)| (r.id, i)).collect()
        };
        let mut unlinks: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut guarded: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        for (a, b) in &overrides.unlinks {
            if let (Some(&i), Some(&j)) = (index.get(a), index.get(b)) {
                unlinks.entry(i).or_default().push(j);
                unlinks.entry(j).or_default().push(i);
                guarded.entry(i).or_default().push(i);
                guarded.entry(j).or_default().push(j);
            }
        }
        for v in guarded.values_mut() {
            v.dedup();
        }
        Forest {
            parent: (0..records.len() as u32).collect(),
            size: vec![1; records.len()],
            part: prepared
                .iter()
                .map(|p| {
                    if p.part_contested {
                        Some(CONTESTED_PART)
                    } else {
                        p.part
                    }
                })
                .collect(),
            span: records.iter().map(run_span).collect(),
            profile: prepared.iter().map(Profile::of).collect(),
            guarded,
            unlinks,
            links: Vec::new(),
            ids: records.iter().map(|r| r.id).collect(),
            _records: std::marker::PhantomData,
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while let Some(&p) = self.parent.get(i) {
            let p = p as usize;
            if p == i {
                break;
            }
            let gp = self.parent.get(p).copied().unwrap_or(p as u32);
            if let Some(slot) = self.parent.get_mut(i) {
                *slot = gp;
            }
            i = p;
        }
        i
    }

    /// Per record index, the scripts (bit per [`Script`]) of its cluster's titles when the
    /// index is a root.
    fn scripts_by_root(&mut self, prepared: &[Prepared]) -> Vec<u8> {
        let mut scripts = vec![0u8; prepared.len()];
        for (i, p) in prepared.iter().enumerate() {
            let root = self.find(i);
            for t in &p.titles {
                scripts[root] |= 1 << (t.script as u8);
            }
        }
        scripts
    }

    /// Whether the clusters of `a` and `b` could be merged by a link of `strength`.
    fn allowed(&mut self, a: usize, b: usize, strength: Strength) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if strength != Strength::Forced {
            let size = self.size[ra] + self.size[rb];
            if size as usize > THRESHOLDS.max_cluster_size {
                return false;
            }
            // A contested part is no part: it may be either of two, so it is not the
            // part of another contested cluster either.
            if let (Some(pa), Some(pb)) = (self.part[ra], self.part[rb])
                && (pa != pb || pa == CONTESTED_PART)
            {
                return false;
            }
            let (x, y) = (&self.profile[ra], &self.profile[rb]);
            if x.people_conflict(y) {
                return false;
            }
            if strength == Strength::Evidence && x.key_conflict(y) && !x.shares_person(y) {
                return false;
            }
            if strength == Strength::Evidence && x.listing_conflict(y) {
                return false;
            }
            if strength == Strength::Evidence && runs_apart(self.span[ra], self.span[rb]) {
                return false;
            }
        }
        !self.unlinked(ra, rb)
    }

    /// Merges the clusters of `a` and `b` unless a constraint forbids it (a forced merge
    /// ignores the size cap and the evidence rules, never an unlink).
    fn union(
        &mut self,
        a: usize,
        b: usize,
        signal: Signal,
        score: f32,
        strength: Strength,
    ) -> bool {
        if !self.allowed(a, b, strength) {
            return false;
        }
        let (ra, rb) = (self.find(a), self.find(b));
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[gone] = keep as u32;
        self.size[keep] += self.size[gone];
        if self.part[keep].is_none() {
            self.part[keep] = self.part[gone];
        }
        self.span[keep] = match (self.span[keep], self.span[gone]) {
            (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
            (a, b) => a.or(b),
        };
        let gone_profile = std::mem::take(&mut self.profile[gone]);
        self.profile[keep].absorb(gone_profile);
        if let Some(g) = self.guarded.remove(&gone) {
            self.guarded.entry(keep).or_default().extend(g);
        }
        self.links.push(Link {
            a: self.ids[a],
            b: self.ids[b],
            signal,
            score,
        });
        true
    }

    fn unlinked(&mut self, ra: usize, rb: usize) -> bool {
        let (ra, rb) = if self.guarded.contains_key(&ra) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let Some(members) = self.guarded.get(&ra).cloned() else {
            return false;
        };
        for m in members {
            let partners = self.unlinks.get(&m).cloned().unwrap_or_default();
            if partners.into_iter().any(|p| self.find(p) == rb) {
                return true;
            }
        }
        false
    }

    fn finish(mut self, records: &[MatchRecord]) -> Clustering {
        let mut smallest: FxHashMap<usize, u64> = FxHashMap::default();
        let roots: Vec<usize> = (0..records.len()).map(|i| self.find(i)).collect();
        for (i, r) in roots.iter().enumerate() {
            let id = self.ids[i];
            smallest
                .entry(*r)
                .and_modify(|m| *m = (*m).min(id))
                .or_insert(id);
        }
        let assignments = roots
            .iter()
            .enumerate()
            .map(|(i, r)| (self.ids[i], smallest.get(r).copied().unwrap_or(self.ids[i])))
            .collect();
        Clustering {
            assignments,
            links: self.links,
            thresholds: THRESHOLDS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::TaggedTitle;

    #[test]
    fn a_contested_part_is_the_part_of_no_other_cluster() {
        let records: Vec<MatchRecord> = ["Calculus I", "Calculus I", "Calculus I", "Calculus"]
            .iter()
            .zip(1u64..)
            .map(|(title, id)| MatchRecord {
                id,
                source: "stepik".into(),
                titles: vec![TaggedTitle {
                    lang: None,
                    text: (*title).into(),
                }],
                institutions: vec!["MIT".into()],
                ..Default::default()
            })
            .collect();
        let mut aliases = AliasTable::load_default().unwrap();
        let mut prepared = prepare_all(&records, &mut aliases);
        prepared[0].part_contested = true;
        prepared[1].part_contested = true;
        let mut forest = Forest::new(&records, &prepared, &Overrides::default());
        assert!(
            !forest.allowed(0, 1, Strength::Evidence),
            "either may be either part"
        );
        assert!(!forest.allowed(0, 2, Strength::Key), "a named part");
        assert!(forest.allowed(0, 3, Strength::Evidence), "no part named");
    }
}
