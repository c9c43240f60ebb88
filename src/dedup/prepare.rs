//! Per-record features for matching: course identities, listing ids, the resolved
//! institution, folded titles per script and instructor name keys.

use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::alias::AliasTable;
use super::record::{
    CourseIdentity, MatchRecord, course_identity, listing_of, numbered_listing_of,
};
use super::text::{self, Script, TitleCore, grams, split_bilingual, title_core};

/// A full institution name as n-grams with its script.
pub type InstitutionName = Rc<(Script, Vec<u32>)>;

/// One folded title of a record.
#[derive(Debug, Clone)]
pub struct PreparedTitle {
    pub script: Script,
    /// Shared by the records whose titles fold to the same core (runs of one course).
    pub core: Rc<str>,
    /// The hashed head ([`TitleCore::head`]); `None` when the head is empty.
    pub head: Option<u32>,
    pub grams: Rc<[u32]>,
    /// The title was cut short, so a part marker at its end may be lost.
    pub cut: bool,
}

/// What [`super::cluster`] compares.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Course identities as hashed `(organisation, number)`, sorted.
    pub keys: Vec<(u32, u32)>,
    /// The listing id ([`listing_of`]), hashed.
    pub listing: Option<u64>,
    /// The platform and listing, hashed, when the platform id names a run of a numbered
    /// listing ([`numbered_listing_of`]): a course is listed once on such a platform.
    pub numbered_listing: Option<(u32, u32)>,
    pub inst: Option<u32>,
    /// The institution's name as n-grams with its script, when it is a full name (not a
    /// one-word code): two different full names in one script are two institutions.
    /// Shared by the records that spell the name alike.
    pub inst_name: Option<InstitutionName>,
    pub titles: Vec<PreparedTitle>,
    pub part: Option<u8>,
    /// The part is unknown and cannot be known from this record: its title was cut short
    /// and its listing slug too ([`cut_slug_lengths`]), both where part markers go.
    pub part_hidden: bool,
    /// A title of unknown part cut short where a title of its institution naming a part
    /// begins ([`mark_cut_series_titles`]): the cut may have taken the marker off, so the
    /// title says nothing about which part of the series the record is.
    pub cut_of_series: bool,
    /// The part its title names is outvoted (or tied) by records sharing its course key
    /// that name another part ([`super::cluster`] sets it): the title may have lost a
    /// letter of its marker (`II` → `I`), so the record is no evidence of either part.
    pub part_contested: bool,
    /// The subject label, folded and hashed, with its script.
    pub subject: Option<(Script, u32)>,
    /// Squashed name keys of all instructors, hashed ([`hash32`]), sorted.
    pub people: Vec<u32>,
    /// Each instructor known by two or more name keys, as every pair of its packed keys
    /// ([`text::pack_name_key`], smaller first): one matching pair is one shared person
    /// (a shared given name alone, or a surname alone, is not).
    pub persons: Vec<(u64, u64)>,
    /// Whether the instructor names were written in Latin letters.
    pub people_script: Script,
}

/// Prepares every record, teaching `aliases` what the records' keys say about
/// institution names: a record listed under a platform organisation names that
/// organisation's institution.
pub fn prepare_all(records: &[MatchRecord], aliases: &mut AliasTable) -> Vec<Prepared> {
    let keys: Vec<Vec<CourseIdentity>> = records
        .iter()
        .map(|r| {
            let mut ks: Vec<CourseIdentity> = r
                .identifiers
                .iter()
                .chain(r.source_id.as_ref())
                .filter_map(|s| course_identity(s))
                .collect();
            ks.sort_unstable();
            ks.dedup();
            ks
        })
        .collect();
    let orgs: FxHashSet<String> = keys.iter().flatten().map(|k| k.org.clone()).collect();
    learn_institutions(records, &keys, aliases);
    let listings = listings_of(records);
    learn_from_listings(records, &listings, aliases);
    let is_org = |s: &str| orgs.contains(s);
    let cut_lengths = cut_slug_lengths(records, &listings, &is_org);
    let mut out = Vec::with_capacity(records.len());
    let mut inst_names: FxHashMap<&str, Option<InstitutionName>> = FxHashMap::default();
    let mut cores: FxHashMap<Rc<str>, (Script, Rc<[u32]>)> = FxHashMap::default();
    for ((r, ks), listing) in records.iter().zip(keys).zip(listings) {
        let inst = r.institutions.first().map(|n| aliases.resolve_or_add(n));
        let mut titles: Vec<PreparedTitle> = Vec::new();
        let mut part = r.part.or_else(|| {
            ks.iter()
                .find_map(|k| text::part_from_course_number(&k.number))
        });
        let key_part = part.is_some();
        for t in &r.titles {
            let pieces = match split_bilingual(&t.text) {
                Some((native, latin)) => vec![native, latin],
                None => vec![t.text.clone()],
            };
            for piece in pieces {
                let TitleCore {
                    core,
                    head,
                    part: p,
                    script,
                    cut,
                } = title_core(&piece, &is_org);
                if part.is_none() {
                    part = p;
                }
                if let Some(x) = titles
                    .iter_mut()
                    .find(|x| x.script == script && *x.core == *core)
                {
                    x.cut |= cut;
                    continue;
                }
                if core.is_empty() {
                    continue;
                }
                let (core, g) = match cores.get_key_value(core.as_str()) {
                    Some((c, (sc, g))) if *sc == script => (c.clone(), g.clone()),
                    Some(_) => {
                        let g: Rc<[u32]> = grams(&core, script).into();
                        (Rc::from(core), g)
                    }
                    None => {
                        let g: Rc<[u32]> = grams(&core, script).into();
                        let c: Rc<str> = Rc::from(core);
                        cores.insert(c.clone(), (script, g.clone()));
                        (c, g)
                    }
                };
                titles.push(PreparedTitle {
                    script,
                    core,
                    head: (!head.is_empty()).then(|| hash32(&head)),
                    grams: g,
                    cut,
                });
            }
        }
        // A slug is typed once and names the part the listing was made for; a title says
        // it again on every run (and may lose a letter of `II`). A slug cut short at the
        // platform's length limit may have lost the end of its marker (`…-ii` → `…-i`).
        let slug = listing.as_deref().and_then(|l| text::slug_base(l, &is_org));
        let slug_cut = slug.is_some_and(|b| {
            cut_lengths
                .get(r.source.as_str())
                .is_some_and(|&n| b.len() == n)
        });
        if !slug_cut
            && let Some(p) = slug.and_then(text::part_from_slug)
            && !key_part
        {
            part = Some(p);
        }
        let part_hidden = part.is_none() && slug_cut && titles.iter().any(|t| t.cut);
        let numbered_listing = r
            .source_id
            .as_deref()
            .and_then(numbered_listing_of)
            .map(|l| (hash32(&r.source), hash32(l)));
        let listing = listing.map(|l| hash64(&l));
        let mut people: Vec<u32> = Vec::new();
        let mut persons: Vec<(u64, u64)> = Vec::new();
        for raw in &r.instructors {
            // Persons by all their name keys: a one-letter surname key (`Liu`) names
            // part of a person, though as a conflict key alone it would meet any `L.`.
            let (mut keys, mut names) = text::person_keys_and_name_keys(raw);
            keys.sort_unstable();
            keys.dedup();
            names.sort_unstable();
            names.dedup();
            let mut packed: Vec<u64> = names.iter().map(|k| text::pack_name_key(k)).collect();
            packed.sort_unstable();
            for (x, a) in packed.iter().enumerate() {
                for b in &packed[x + 1..] {
                    persons.push((*a, *b));
                }
            }
            people.extend(keys.iter().map(|k| hash32(k)));
        }
        persons.sort_unstable();
        persons.dedup();
        people.sort_unstable();
        people.dedup();
        let people_script = r
            .instructors
            .first()
            .map(|p| Script::dominant(p))
            .unwrap_or(Script::Latin);
        let inst_name = r.institutions.first().and_then(|n| {
            inst_names
                .entry(n.as_str())
                .or_insert_with(|| {
                    let folded = text::institution_key(n);
                    let script = Script::dominant(&folded);
                    (folded.contains(' ') || script != Script::Latin)
                        .then(|| Rc::new((script, grams(&folded, script))))
                })
                .clone()
        });
        out.push(Prepared {
            inst_name,
            listing,
            numbered_listing,
            keys: {
                let mut hashed: Vec<(u32, u32)> = ks
                    .iter()
                    .map(|k| (hash32(&k.org), hash32(&k.number)))
                    .collect();
                hashed.sort_unstable();
                hashed.dedup();
                hashed
            },
            inst,
            titles,
            part,
            part_hidden,
            cut_of_series: false,
            part_contested: false,
            subject: r.subject.as_deref().map(|s| {
                let s = text::light(s);
                (Script::dominant(&s), hash32(&s))
            }),
            people,
            persons,
            people_script,
        });
    }
    mark_cut_series_titles(&mut out);
    out
}

/// Marks the records whose part is unknown and whose title, cut short, begins a title
/// (in the same script) that a record of the same institution names a part of, or is such
/// a title followed by the start of one more word (the cut fell inside the marker,
/// `Calculus Pa…`). `Introduction to Microeconomics and Tha…` may be either part of
/// `Introduction to Microeconomics and Thai Culture I`/`II`; a shared instructor does not
/// tell the parts apart either, since a series is taught by one team.
fn mark_cut_series_titles(out: &mut [Prepared]) {
    let mut part_titles: FxHashMap<(u32, Script), Vec<Rc<str>>> = FxHashMap::default();
    for p in out.iter() {
        let (Some(inst), Some(_)) = (p.inst, p.part) else {
            continue;
        };
        for t in p.titles.iter().filter(|t| !t.cut) {
            part_titles
                .entry((inst, t.script))
                .or_default()
                .push(t.core.clone());
        }
    }
    if part_titles.is_empty() {
        return;
    }
    for cores in part_titles.values_mut() {
        cores.sort_unstable();
        cores.dedup();
    }
    for p in out.iter_mut() {
        let Some(inst) = p.inst else { continue };
        if p.part.is_some() {
            continue;
        }
        p.cut_of_series = p.titles.iter().filter(|t| t.cut).any(|t| {
            part_titles
                .get(&(inst, t.script))
                .is_some_and(|cores| begins_one_of(cores, &t.core))
        });
    }
}

/// Whether `cut` (a title cut short) begins one of the sorted `cores`, or is one of them
/// followed by a single (partial) word.
fn begins_one_of(cores: &[Rc<str>], cut: &str) -> bool {
    let at = cores.partition_point(|c| &**c < cut);
    if cores.get(at).is_some_and(|c| c.starts_with(cut)) {
        return true;
    }
    cut.rsplit_once(' ')
        .is_some_and(|(head, _)| cores.binary_search_by(|c| (**c).cmp(head)).is_ok())
}

/// A 32-bit hash of a key, for compact comparisons.
pub fn hash32(s: &str) -> u32 {
    hash64(s) as u32
}

fn hash64(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// Teaches `aliases` that a record's institution name and the platform organisation in
/// its key are one institution — for the organisations a name is listed under in at
/// least [`ORG_SHARE`] of its keyed records. An ambiguous organisation (a truncated code
/// such as `NINGBO` used by several universities) is then a minority for the names that
/// also appear elsewhere, and cannot chain distinct institutions together.
fn learn_institutions(
    records: &[MatchRecord],
    keys: &[Vec<CourseIdentity>],
    aliases: &mut AliasTable,
) {
    use rustc_hash::FxHashMap;
    let mut counts: FxHashMap<String, FxHashMap<&str, u32>> = FxHashMap::default();
    for (r, ks) in records.iter().zip(keys) {
        for k in ks {
            for name in &r.institutions {
                let folded = text::institution_key(name);
                *counts.entry(folded).or_default().entry(&k.org).or_default() += 1;
            }
        }
    }
    let mut names: Vec<_> = counts.into_iter().collect();
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut names_of_org: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
    for (name, orgs) in &names {
        let total: u32 = orgs.values().sum();
        for (org, n) in orgs {
            if *n as f32 >= ORG_SHARE * total as f32 {
                names_of_org.entry(org).or_default().push(name);
            }
        }
    }
    let mut orgs: Vec<_> = names_of_org.into_iter().collect();
    orgs.sort_unstable();
    for (org, names) in orgs {
        if !ambiguous(&names) {
            for name in names {
                aliases.learn(name, org);
            }
        }
    }
}

/// Per platform, the length at which its listing slugs ([`text::slug_base`]) are cut
/// short: the length most slugs pile up at, when at least [`CUT_SLUG_MIN`] slugs have
/// it and [`CUT_SLUG_PILEUP`] times as many as the length one shorter (title lengths
/// change smoothly; a limit piles them up). A slug whose organisation suffix is not
/// known as one is longer than the limit and does not hide it.
pub fn cut_slug_lengths<'a>(
    records: &'a [MatchRecord],
    listings: &[Option<String>],
    is_org: &dyn Fn(&str) -> bool,
) -> FxHashMap<&'a str, usize> {
    let mut counts: FxHashMap<&str, FxHashMap<usize, u32>> = FxHashMap::default();
    for (r, listing) in records.iter().zip(listings) {
        if let Some(base) = listing.as_deref().and_then(|l| text::slug_base(l, is_org)) {
            *counts
                .entry(r.source.as_str())
                .or_default()
                .entry(base.len())
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter_map(|(source, lengths)| {
            let below = |len: usize| lengths.get(&(len.wrapping_sub(1))).copied().unwrap_or(0);
            lengths
                .iter()
                .filter(|&(&len, &n)| n >= CUT_SLUG_MIN && n >= CUT_SLUG_PILEUP * below(len))
                .max_by_key(|&(&len, &n)| (n, len))
                .map(|(&len, _)| (source, len))
        })
        .collect()
}

/// Each record's listing id ([`listing_of`]), read once for every pass that needs it.
fn listings_of(records: &[MatchRecord]) -> Vec<Option<String>> {
    records
        .iter()
        .map(|r| r.source_id.as_deref().and_then(listing_of))
        .collect()
}

/// Slugs a platform must cut at one length before the length counts as its limit.
const CUT_SLUG_MIN: u32 = 5;
/// How many times more slugs the limit length holds than the length one shorter.
const CUT_SLUG_PILEUP: u32 = 3;

/// Teaches `aliases` that the institution names of one numeric listing id on one
/// platform (the runs of one listing, `3581898/5659843` and `3581898/7799268`) are one
/// institution — unless they hold two different full names in one script.
fn learn_from_listings(
    records: &[MatchRecord],
    listings: &[Option<String>],
    aliases: &mut AliasTable,
) {
    let mut by_listing: FxHashMap<(&str, &str), Vec<String>> = FxHashMap::default();
    for (r, listing) in records.iter().zip(listings) {
        let Some(listing) = listing.as_deref() else {
            continue;
        };
        if listing.is_empty() || !listing.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(name) = r.institutions.first() else {
            continue;
        };
        let folded = text::institution_key(name);
        if folded.is_empty() {
            continue;
        }
        let names = by_listing.entry((r.source.as_str(), listing)).or_default();
        if !names.contains(&folded) {
            names.push(folded);
        }
    }
    let mut lists: Vec<Vec<String>> = by_listing
        .into_values()
        .filter(|names| names.len() >= 2)
        .collect();
    lists.sort_unstable();
    for names in lists {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        if ambiguous(&refs) {
            continue;
        }
        for other in &names[1..] {
            aliases.learn(&names[0], other);
        }
    }
}

/// An organisation is ambiguous when it lists two different full names in one script:
/// an institution has one name per language (spelling variants aside), so `PHITSA`
/// listing both a university and a nursing college names two institutions.
fn ambiguous(names: &[&str]) -> bool {
    let full: Vec<(Script, Vec<u32>)> = names
        .iter()
        .filter(|n| n.contains(' ') || Script::dominant(n) != Script::Latin)
        .map(|n| {
            let script = Script::dominant(n);
            (script, grams(n, script))
        })
        .collect();
    full.iter().enumerate().any(|(i, (sa, ga))| {
        full[i + 1..]
            .iter()
            .any(|(sb, gb)| sa == sb && text::dice(ga, gb) < SAME_NAME_SIMILARITY)
    })
}

/// Two full names in one script at least this similar are spellings of one name.
pub const SAME_NAME_SIMILARITY: f32 = 0.7;

/// The share of a name's keyed records an organisation needs to be learned as its alias.
const ORG_SHARE: f32 = 0.3;

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(source: &str, id: &str) -> MatchRecord {
        MatchRecord {
            source: source.into(),
            source_id: Some(id.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_cut_title_begins_a_series_title_or_stops_inside_its_marker() {
        let cores: Vec<Rc<str>> = ["calculus", "data structures and algorithms"]
            .into_iter()
            .map(Rc::from)
            .collect();
        assert!(begins_one_of(&cores, "data structures and"));
        assert!(begins_one_of(&cores, "data str"));
        assert!(begins_one_of(&cores, "calculus"));
        assert!(begins_one_of(&cores, "calculus pa"), "cut inside `Part 2`");
        assert!(!begins_one_of(&cores, "calculus for engineers and"));
        assert!(!begins_one_of(&cores, "algebra"));
    }

    #[test]
    fn slugs_piled_up_at_one_length_are_cut_there() {
        let mut records: Vec<MatchRecord> = (0..8)
            .map(|n| listed("coursera", &format!("{:-<20}", format!("course-{n}"))))
            .collect();
        records.push(listed("coursera", "short-slug"));
        records.push(listed(
            "coursera",
            "a-much-longer-slug-beyond-limit-michiganx",
        ));
        records.push(listed("stepik", "https://stepik.org/course/1"));
        let orgs = |o: &str| o == "michigan" || o == "michiganx";
        let cut = cut_slug_lengths(&records, &listings_of(&records), &orgs);
        assert_eq!(cut.get("coursera"), Some(&20));
        assert_eq!(cut.get("stepik"), None);
        // Lengths that thin out smoothly have no limit.
        let smooth: Vec<MatchRecord> = (5..30)
            .map(|n| listed("edx", &format!("{:-<n$}", "a-b")))
            .collect();
        assert!(cut_slug_lengths(&smooth, &listings_of(&smooth), &orgs).is_empty());
    }
}
