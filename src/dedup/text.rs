//! Text folding for matching: titles reduced to a comparable core (run suffixes, course
//! codes and part markers taken off), institution and person names folded across scripts.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The writing system a title is in; titles only compare directly within one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    Latin,
    Han,
    Thai,
    Cyrillic,
    Other,
}

impl Script {
    /// The BCP 47 language a title in this script most likely is (for explanations).
    pub fn language(self) -> &'static str {
        match self {
            Script::Latin => "en",
            Script::Han => "zh",
            Script::Thai => "th",
            Script::Cyrillic => "ru",
            Script::Other => "und",
        }
    }

    fn of_char(c: char) -> Option<Script> {
        match c {
            'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Some(Script::Latin),
            '\u{0400}'..='\u{04FF}' => Some(Script::Cyrillic),
            '\u{0E00}'..='\u{0E7F}' => Some(Script::Thai),
            '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' => Some(Script::Han),
            c if c.is_alphabetic() => Some(Script::Other),
            _ => None,
        }
    }

    /// The script most letters of `s` are written in; Han characters count double since
    /// one carries a word's worth of meaning (`Python程序设计` is a Chinese title).
    pub fn dominant(s: &str) -> Script {
        let mut counts = [0usize; 5];
        for c in s.chars() {
            if let Some(script) = Script::of_char(c) {
                counts[script as usize] += if script == Script::Han { 3 } else { 1 };
            }
        }
        let all = [
            Script::Latin,
            Script::Han,
            Script::Thai,
            Script::Cyrillic,
            Script::Other,
        ];
        all.into_iter()
            .max_by_key(|s| (counts[*s as usize], std::cmp::Reverse(*s as usize)))
            .unwrap_or(Script::Latin)
    }
}

/// NFKC (full-width letters, compatibility forms) with the Thai vowel ำ recomposed, HTML
/// `&amp;` undone, lower-cased, `ё` folded to `е`, zero-width characters removed and
/// whitespace collapsed. Punctuation is kept: suffix and prefix rules still need it.
pub fn light(raw: &str) -> String {
    let unescaped = raw.replace("&amp;", "&");
    let mut out = String::with_capacity(unescaped.len());
    let mut space = false;
    for c in unescaped.nfkc() {
        let c = match c {
            'ё' | 'Ё' => 'е',
            _ => c,
        };
        if c.is_whitespace() {
            space = true;
        } else if matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}') {
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    // NFKC splits SARA AM (ำ) into NIKHAHIT + SARA AA; put it back so Thai text compares
    // the same whichever form the source used.
    if out.contains('\u{0E4D}') {
        out = out.replace("\u{0E4D}\u{0E32}", "\u{0E33}");
    }
    out
}

/// Keeps letters, digits and combining marks (Thai vowel and tone marks are category Mn
/// and must survive); everything else becomes a word break. Input should be [`light`].
pub fn strip_punctuation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() || is_combining_mark(c) || is_thai_mark(c) {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// Thai vowel signs and tone marks that are not alphabetic in Unicode's tables.
fn is_thai_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

macro_rules! re {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("a valid built-in pattern"));
    };
}

// Run and term suffixes: they name one offering, not the course.
re!(
    RUN_SUFFIX,
    r"(?x)
    \s*(?:
        [(\[（【][^()\[\]（）【】]*\d{4}[^()\[\]（）【】]*[)\]）】]      # (2024 fall) [2019] (ปี 2567)
      | [(\[（【]\s*(?:self[-\s]?paced|自主模式|随堂模式|第\s*\d+\s*期|archived)\s*[)\]）】]
      | [-–—:]?\s*(?:spring|fall|autumn|summer|winter)\s+\d{4}
      | \d{4}\s*(?:年)?\s*(?:春|秋|夏|冬)(?:季)?(?:学期)?
      | 第\s*\d+\s*期
      | รุ่น(?:ที่)?\s*\d+(?:\s*/\s*\d{4})?
      | (?:ปี|ภาคเรียน)\s*\d{4}
      | [-–—]?\s*(?:весна|осень|лето|зима)\s+\d{4}
      | [-–—]?\s*\d+\s*-?\s*й\s+(?:запуск|поток)
      | \d?t\d{4} | \d{4}_t\d | \d{4}_(?:spring|fall|summer|autumn|winter)
      | (?:19|20|25)\d{2}
    )\s*[.\s]*$"
);

// A bracketed code in front: `[30240184X] `, `【30240184】`.
re!(
    BRACKET_CODE,
    r"^[\[【(（]\s*[\p{L}\d._+\-]*\d[\p{L}\d._+\-]*\s*[\]】)）]\s*"
);
// `CS101x: `, `MITx CS101x: `, `RL59 `: a token with a digit (and no space) before a colon,
// optionally after one more token; or a code that ends in `x`/digits with no colon.
re!(
    COLON_CODE,
    r"^(?:[a-z][a-z0-9._\-]*\s+)?[a-z0-9._\-]*\d[a-z0-9._\-]*\s*[:：]\s*"
);
re!(BARE_CODE, r"^[a-z]{1,10}[._\-]?\d{2,}[a-z0-9._\-]*\s+");
re!(DIGIT_CODE, r"^\d{5,}[a-z]?\s+");

// Part markers at the end of a title.
re!(
    PART,
    r"(?x)
    (?:
        \b(?:part|часть|ч\.|ภาค|ตอนที่|ตอน|vol\.?|volume|том)\s*(?P<n>\d+|i{1,3}|iv|v|one|two|three)
      | [(\[（【]\s*(?P<b>\d|i{1,3}|iv|上|中|下|一|二|三|四)\s*[)\]）】]
      | [\s.](?P<r>i{1,3}|iv)
      | (?P<d>\d)
    )\s*$"
);

/// A title reduced for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleCore {
    /// Folded text (no punctuation), part marker and run suffix removed.
    pub core: String,
    /// The text before the first subtitle separator (`:`, ` - `, `—`), folded.
    pub head: String,
    /// The part of a series (`Part 2`, `（下）`, `ภาค 2` → 2), if the title names one.
    pub part: Option<u8>,
    pub script: Script,
    /// The title was cut short (`…`, `...`): its end, where part markers go, is unknown.
    pub cut: bool,
}

/// Reduces a title to its [`TitleCore`]: course-code prefixes (including `orgs`, the
/// platform organisation names known to be institutions) and run/term suffixes removed,
/// the part marker taken out into `part`, the rest folded.
pub fn title_core(raw: &str, orgs: &dyn Fn(&str) -> bool) -> TitleCore {
    let mut s = light(raw);
    let cut = s.ends_with('…') || s.ends_with("...");
    let trimmed = s.trim_end_matches(['.', '…']).trim_end();
    if trimmed.len() != s.len() && !s.ends_with('.') {
        s = trimmed.to_owned();
    }
    // A part the title names only in a bracketed course code in front (`[CS56.2] …`).
    let mut code_part = None;
    s = strip_prefixes(&s, orgs, &mut code_part);
    loop {
        let cut = RUN_SUFFIX.find(&s).map(|m| m.start());
        match cut {
            Some(at) if at > 0 => s.truncate(at),
            _ => break,
        }
    }
    s = strip_prefixes(&s, orgs, &mut code_part);
    let mut part = None;
    if let Some(caps) = PART.captures(&s)
        && let Some(whole) = caps.get(0)
    {
        let token = ["n", "b", "r", "d"]
            .iter()
            .find_map(|k| caps.name(k))
            .map(|m| m.as_str())
            .unwrap_or("");
        let number = part_number(token);
        // A bare trailing digit is a part marker only when it is glued to a word of a
        // script that has no spaces (`数据结构1`) or stands alone (`… 2`), never `C++11`.
        // In a Chinese title a digit glued to a Latin word (`基于Python2`) is one too.
        let plausible = caps.name("d").is_none()
            || whole.start() > 0 && {
                let before = s[..whole.start()].chars().last().unwrap_or(' ');
                before == ' '
                    || Script::of_char(before) == Some(Script::Han)
                    || before.is_ascii_alphabetic() && Script::dominant(&s) == Script::Han
            };
        if let Some(n) = number
            && plausible
            && whole.start() > 0
        {
            part = Some(n);
            s.truncate(whole.start());
        }
    }
    let part = part.or(code_part);
    let script = Script::dominant(&s);
    let head = s
        .split([':', '：', '—', '–'])
        .next()
        .map(|h| h.split(" - ").next().unwrap_or(h))
        .unwrap_or(&s);
    let head = strip_punctuation(head);
    TitleCore {
        core: strip_punctuation(&s),
        head,
        part,
        script,
        cut,
    }
}

/// Strips course codes and organisation names in front of a title; a part number that a
/// bracketed code ends in (`[CS56.2]`, `【30240184_2】`) goes to `code_part`.
fn strip_prefixes(s: &str, orgs: &dyn Fn(&str) -> bool, code_part: &mut Option<u8>) -> String {
    let mut s = s.trim().to_owned();
    for _ in 0..3 {
        let before = s.len();
        if let Some(m) = BRACKET_CODE.find(&s) {
            let code = m
                .as_str()
                .trim()
                .trim_matches(['[', ']', '【', '】', '(', ')', '（', '）']);
            *code_part = code_part.or_else(|| part_from_course_number(code.trim()));
            s = s[m.end()..].to_owned();
        }
        if let Some(m) = COLON_CODE.find(&s) {
            s = s[m.end()..].to_owned();
        }
        // `MITx: …`, `mitx cs101x …`: a platform organisation in front of the title.
        let first = s.split([' ', ':', '：']).next().unwrap_or("");
        if !first.is_empty() && first.len() < s.len() && orgs(&org_key(first)) {
            s = s[first.len()..]
                .trim_start_matches([':', '：', ' '])
                .to_owned();
        }
        if let Some(m) = BARE_CODE.find(&s).or_else(|| DIGIT_CODE.find(&s))
            && m.end() < s.len()
        {
            s = s[m.end()..].to_owned();
        }
        if s.len() == before {
            break;
        }
    }
    s
}

// A part number at the end of a course number: `6.00.1x`, `CS101.2x`, `30240184_2X`.
re!(NUMBER_PART, r"[._](\d)x?$");

/// The part of a series a course number names (`6.00.1x` → 1), if any; the number should
/// be lower case.
pub fn part_from_course_number(number: &str) -> Option<u8> {
    let caps = NUMBER_PART.captures(number)?;
    part_number(caps.get(1)?.as_str())
}

fn part_number(token: &str) -> Option<u8> {
    Some(match token {
        "1" | "i" | "one" | "上" | "一" => 1,
        "2" | "ii" | "two" | "下" | "二" | "中" => 2,
        "3" | "iii" | "three" | "三" => 3,
        "4" | "iv" | "四" => 4,
        "v" => 5,
        t => t.parse().ok().filter(|n| (1..=20).contains(n))?,
    })
}

/// Splits a bilingual title (`数据结构 | Data Structures`, `… (Data Structures)`,
/// `Data Structures 数据结构`) into its non-Latin and Latin parts. `None` when the title
/// is in one script, or its Latin text is a single word (`Python程序设计`).
pub fn split_bilingual(raw: &str) -> Option<(String, String)> {
    if let Some((a, b)) = raw.split_once(" | ") {
        return Some((a.to_owned(), b.to_owned()));
    }
    if let Some(pair) = split_bracketed_alternative(raw) {
        return Some(pair);
    }
    let has_latin = raw.chars().any(|c| c.is_ascii_alphabetic());
    let has_other = raw.chars().any(|c| {
        matches!(
            Script::of_char(c),
            Some(Script::Han | Script::Thai | Script::Cyrillic)
        )
    });
    if !has_latin || !has_other {
        return None;
    }
    // The longest run of Latin words (letters, digits, spaces, common punctuation).
    let mut best: (usize, usize) = (0, 0);
    let mut start: Option<usize> = None;
    for (i, c) in raw
        .char_indices()
        .chain(std::iter::once((raw.len(), '\u{0}')))
    {
        let latinish =
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '+' | '#' | '-' | '&' | ',' | '\'');
        match (latinish, start) {
            (true, None) => start = Some(i),
            (false, Some(s0)) => {
                if raw[s0..i].trim().len() > best.1 - best.0 {
                    best = (s0, i);
                }
                start = None;
            }
            _ => {}
        }
    }
    let latin = raw[best.0..best.1].trim();
    let words = latin
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    if words < 2 {
        return None;
    }
    // `KMUTTx KMUTT695: ภาษาจีน…`, `DalianAUx 82710242x: 面向…`: a course code in front
    // of the title, not a translation of it.
    let code_prefix = raw[..best.0]
        .chars()
        .all(|c| c.is_whitespace() || "[(【（".contains(c))
        && raw[best.1..].trim_start().starts_with([':', '：'])
        && latin
            .split_whitespace()
            .any(|w| w.len() >= 3 && w.chars().any(|c| c.is_ascii_digit()));
    if code_prefix {
        return None;
    }
    let mut rest = String::with_capacity(raw.len());
    rest.push_str(&raw[..best.0]);
    rest.push(' ');
    rest.push_str(&raw[best.1..]);
    let rest = rest
        .replace("( )", "")
        .replace("()", "")
        .replace("（ ）", "")
        .replace("（）", "")
        .trim()
        .to_owned();
    if rest.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        return None;
    }
    Some((rest, latin.to_owned()))
}

/// `body` without a run suffix after its last closing bracket (`Статистика (Statistics)
/// — 1-й запуск`, `数据结构 (Data Structures) 2024秋`, `… (Statistics) (весна 2021)`): the
/// translation in brackets is still the title's end.
fn without_run_suffix_after_bracket(mut body: &str) -> &str {
    for _ in 0..2 {
        let Some(at) = body.rfind([')', '）']) else {
            return body;
        };
        let end = at + body[at..].chars().next().map_or(1, char::len_utf8);
        if !body[end..].trim().is_empty() {
            return if is_run_suffix(&body[end..]) {
                &body[..end]
            } else {
                body
            };
        }
        // The last bracket may be a run suffix itself.
        match body[..at].rfind(['(', '（']) {
            Some(open) if is_run_suffix(&body[open..]) => body = body[..open].trim_end(),
            _ => return body,
        }
    }
    body
}

/// Whether all of `s` is a run or term suffix ([`RUN_SUFFIX`]).
fn is_run_suffix(s: &str) -> bool {
    let s = light(s);
    !s.is_empty() && RUN_SUFFIX.find(&s).is_some_and(|m| m.start() == 0)
}

/// A title in one script followed by its translation in brackets (`数据结构（上） (Data
/// Structures I)`, `Маркетинг. Часть 1 (Marketing…`, the bracket left open when the
/// title was cut short) as `(non-Latin, Latin)`: the whole bracket is the alternative
/// title, so a part marker inside it or in front of it stays with its own title.
fn split_bracketed_alternative(raw: &str) -> Option<(String, String)> {
    let body = without_run_suffix_after_bracket(raw.trim_end());
    let closed = body.ends_with([')', '）']);
    // The bracket that is still open at the end (cut short), or the one the final `)`
    // closes; brackets nest (`(Data Structures (2))`).
    let mut depth = usize::from(closed);
    let mut open = None;
    let scan = if closed {
        &body[..body.len() - body.chars().last().map_or(0, char::len_utf8)]
    } else {
        body
    };
    for (i, c) in scan.char_indices().rev() {
        match c {
            ')' | '）' => depth += 1,
            '(' | '（' if depth <= 1 => {
                open = Some(i);
                break;
            }
            '(' | '（' => depth -= 1,
            _ => {}
        }
    }
    let open = open?;
    if !closed && depth != 0 {
        return None;
    }
    let inner = scan[open..].trim_start_matches(['(', '（']).trim();
    let outer = raw[..open].trim();
    let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).count();
    if letters(inner) < 4 || letters(outer) < 2 {
        return None;
    }
    // A closed bracket holds a whole title: one Latin word (`(Python)`) is a keyword.
    let latin_words = |s: &str| {
        s.split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
            .count()
    };
    let (si, so) = (Script::dominant(inner), Script::dominant(outer));
    match (so, si) {
        (Script::Latin, Script::Latin) => None,
        (Script::Latin, _) if !closed || latin_words(outer) >= 2 => {
            Some((inner.to_owned(), outer.to_owned()))
        }
        (_, Script::Latin) if !closed || latin_words(inner) >= 2 => {
            Some((outer.to_owned(), inner.to_owned()))
        }
        _ => None,
    }
}

/// `listing` trimmed when it is a slug (lowercase ASCII words and digits joined by `-`);
/// `None` for ids that are not (numbers, URLs, keys).
fn as_slug(listing: &str) -> Option<&str> {
    let slug = listing.trim();
    (slug.contains('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    .then_some(slug)
}

/// A listing slug without a trailing platform organisation (`…-physics-i-michiganx` →
/// `…-physics-i`): the organisation is appended after the title's words, so the part
/// marker comes before it. `None` for ids that are not slugs.
pub fn slug_base<'a>(listing: &'a str, orgs: &dyn Fn(&str) -> bool) -> Option<&'a str> {
    let slug = as_slug(listing)?;
    match slug.rsplit_once('-') {
        Some((base, last)) if base.contains('-') && orgs(&org_key(last)) => Some(base),
        _ => Some(slug),
    }
}

/// The part of a series a listing slug names at its end (`calculus-part-2`,
/// `data-structures-ii`, `research-methods-2` → 2), read as a title would be; `None`
/// for ids that are not slugs (numbers, URLs).
pub fn part_from_slug(listing: &str) -> Option<u8> {
    let slug = as_slug(listing)?;
    title_core(&slug.replace('-', " "), &|_| false).part
}

/// Character n-gram fingerprints of a folded core (spaces ignored): bigrams for Han,
/// trigrams elsewhere, hashed, sorted and deduplicated.
pub fn grams(core: &str, script: Script) -> Vec<u32> {
    let chars: Vec<char> = core.chars().filter(|c| *c != ' ').collect();
    let n = if script == Script::Han { 2 } else { 3 };
    let mut out: Vec<u32> = if chars.len() < n {
        vec![hash_chars(&chars)]
    } else {
        chars.windows(n).map(hash_chars).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn hash_chars(cs: &[char]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for c in cs {
        h ^= *c as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Dice coefficient of two sorted, deduplicated gram sets.
pub fn dice(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (2 * common) as f32 / (a.len() + b.len()) as f32
}

/// A platform organisation (`TsinghuaX`, `CHULA`, `BMSTUx`) or a one-word institution
/// name folded to the same key: lower case with the edX-style trailing `x` dropped.
pub fn org_key(raw: &str) -> String {
    let l = light(raw);
    let l = l.trim_matches(|c: char| !c.is_alphanumeric());
    match l.strip_suffix('x') {
        Some(stem) if stem.chars().count() >= 2 && !stem.contains(' ') => stem.to_owned(),
        _ => l.to_owned(),
    }
}

// Country qualifiers some catalogues append to an institution's name.
re!(
    COUNTRY_SUFFIX,
    r"(?:,\s*|\s*[(（]\s*)(?:china|p\.?\s*r\.?\s*china|thailand|russia|russian federation|usa|u\.s\.a\.|united states|uk|united kingdom|中国|ประเทศไทย|россия)\s*[)）]?$"
);

/// Folds an institution name to its lookup key: case, width, `The`, a trailing country,
/// `Univ.` and punctuation folded; a single word like `TsinghuaX` becomes [`org_key`].
pub fn institution_key(raw: &str) -> String {
    let l = light(raw);
    let l = COUNTRY_SUFFIX.replace(&l, "");
    let l = l.strip_prefix("the ").unwrap_or(&l);
    let folded = strip_punctuation(l);
    let words: Vec<&str> = folded
        .split(' ')
        .map(|w| if w == "univ" { "university" } else { w })
        .collect();
    if words.len() == 1 {
        return org_key(&folded);
    }
    words.join(" ")
}

// Honorifics and initials in front of (or behind) a person's name.
re!(
    HONORIFIC,
    r"^(?:(?:prof|dr|mr|mrs|ms|assoc|asst|ดร|ผศ|รศ|ศ|อ|นพ|พญ|проф|д-р)\.\s*|professor\s+|\p{L}\.\s*)+"
);
re!(TRAILING_INITIALS, r"(?:\s+\p{L}\.)+$");

/// Splits an instructor list on the separators catalogues use (`;`, `,`, `/`, `、`, `，`).
pub fn split_people(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([';', ',', '/', '、', '，', '；', '|', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Folds a person's name to name keys comparable across scripts and name order:
/// honorifics and initials dropped, transliterated to ASCII (a Chinese name becomes its
/// surname syllable and its given-name syllables as one word, like the romanised form),
/// then squashed (vowels, `y`, `w`, an `h` after a consonant and doubled letters dropped) so that
/// `Aleksandr`/`Alexander` or `Somchai`/สมชาย meet.
pub fn person_keys(raw: &str) -> Vec<String> {
    keys_where(name_words(raw), is_conflict_key)
}

/// The name keys that tell one person from another: [`person_keys`] and also the keys a
/// short name squashes to one letter (`Liu`, `Ma`, `Tao`; 刘, 马, 涛), which would meet
/// any initial as a conflict key but are a name's part of a person. Initials (`J.`) are
/// still dropped.
pub fn person_name_keys(raw: &str) -> Vec<String> {
    keys_where(name_words(raw), is_name_key)
}

/// [`person_keys`] and [`person_name_keys`] of one name, folded once.
pub fn person_keys_and_name_keys(raw: &str) -> (Vec<String>, Vec<String>) {
    let words = name_words(raw);
    (
        keys_where(words.clone(), is_conflict_key),
        keys_where(words, is_name_key),
    )
}

/// A [`person_keys`] key: two letters or more once squashed.
fn is_conflict_key(key: &str, _letters: usize) -> bool {
    key.len() >= 2
}

/// A [`person_name_keys`] key: a word of two letters or more (no initial).
fn is_name_key(key: &str, letters: usize) -> bool {
    !key.is_empty() && letters >= 2
}

fn keys_where(words: Vec<(String, usize)>, keep: fn(&str, usize) -> bool) -> Vec<String> {
    words
        .into_iter()
        .filter(|(key, letters)| keep(key, *letters))
        .map(|(key, _)| key)
        .collect()
}

/// Each word of a name, squashed, with its number of letters before squashing.
fn name_words(raw: &str) -> Vec<(String, usize)> {
    let l = light(raw);
    let l = HONORIFIC.replace(&l, "");
    let l = TRAILING_INITIALS.replace(&l, "");
    let words: Vec<String> = if l.chars().all(|c| Script::of_char(c) == Some(Script::Han)) {
        let mut chars = l.chars();
        let surname = chars
            .next()
            .map(|c| any_ascii::any_ascii_char(c).to_owned());
        let given: String = chars.map(any_ascii::any_ascii_char).collect();
        surname.into_iter().chain(Some(given)).collect()
    } else {
        l.split_whitespace().map(any_ascii::any_ascii).collect()
    };
    words
        .iter()
        .map(|w| {
            let letters = w.chars().filter(char::is_ascii_alphabetic).count();
            (squash(w), letters)
        })
        .collect()
}

fn squash(word: &str) -> String {
    let lower = word.to_ascii_lowercase().replace('x', "ks");
    let mut out = String::with_capacity(lower.len());
    let mut last = ' ';
    let mut prev_consonant = false;
    for c in lower.chars() {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'w');
        // `ph`/`p`, `th`/`t`, `kh`/`k`: an `h` after a consonant is a spelling choice.
        let silent_h = c == 'h' && prev_consonant;
        prev_consonant = c.is_ascii_alphabetic() && !vowel;
        if !c.is_ascii_alphabetic() || vowel || silent_h {
            continue;
        }
        if c != last {
            out.push(c);
        }
        last = c;
    }
    out
}

/// A squashed name key ([`person_keys`]) packed into a number: five bits a letter, the
/// first twelve letters, so keys compare without allocation.
pub fn pack_name_key(key: &str) -> u64 {
    let mut out = 0u64;
    for b in key.bytes().filter(u8::is_ascii_lowercase).take(12) {
        out = (out << 5) | u64::from(b - b'a' + 1);
    }
    out
}

fn unpack_name_key(mut code: u64) -> ([u8; 12], usize) {
    let mut out = [0u8; 12];
    let mut n = 0;
    while code != 0 && n < 12 {
        out[n] = (code & 31) as u8;
        code >>= 5;
        n += 1;
    }
    out[..n].reverse();
    (out, n)
}

/// Two packed name keys are spellings of one name: equal, or (romanisations of Thai
/// names vary most) the same first letter and at most one edit apart, or two edits when
/// both are at least four letters long.
pub fn similar_name_keys(a: u64, b: u64) -> bool {
    if a == b {
        return true;
    }
    let ((x, nx), (y, ny)) = (unpack_name_key(a), unpack_name_key(b));
    if nx == 0 || ny == 0 || x[0] != y[0] {
        return false;
    }
    let allowed = if nx.min(ny) >= 4 { 2 } else { 1 };
    levenshtein(&x[..nx], &y[..ny]) <= allowed
}

fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(s: &str) -> TitleCore {
        title_core(s, &|o| o == "mit")
    }

    #[test]
    fn thai_tone_marks_survive_title_folding() {
        let t = core("การเรียนรู้ของเครื่อง");
        assert_eq!(t.core, "การเรียนรู้ของเครื่อง");
        assert!(t.core.contains('\u{0E49}') && t.core.contains('\u{0E48}'));
    }

    #[test]
    fn nfkc_split_sara_am_is_recomposed() {
        assert_eq!(light("\u{0E19}\u{0E4D}\u{0E32}"), "\u{0E19}\u{0E33}");
        assert_eq!(light("น้ำ"), "น้ำ");
    }

    #[test]
    fn term_suffix_is_removed_from_titles() {
        for raw in [
            "数据结构（2024秋）",
            "数据结构2024秋季学期",
            "数据结构(第3期)",
            "【30240184】数据结构",
        ] {
            assert_eq!(core(raw).core, "数据结构", "{raw}");
        }
        assert_eq!(core("ระบบฐานข้อมูล รุ่นที่ 3").core, "ระบบฐานข้อมูล");
        assert_eq!(core("ระบบฐานข้อมูล รุ่น 2/2567").core, "ระบบฐานข้อมูล");
        assert_eq!(core("Optics - Fall 2019").core, "optics");
        assert_eq!(core("MITx CS101x: Optics 2T2024").core, "optics");
        assert_eq!(core("Оптика — 3-й запуск").core, "оптика");
        assert_eq!(core("MITx: Optics (Self-Paced)").core, "optics");
    }

    #[test]
    fn part_markers_are_read_in_each_language() {
        assert_eq!(core("Calculus Part 2").part, Some(2));
        assert_eq!(core("Calculus II").part, Some(2));
        assert_eq!(core("Calculus (1)").part, Some(1));
        assert_eq!(core("微积分（下）").part, Some(2));
        assert_eq!(core("微积分1").part, Some(1));
        assert_eq!(core("แคลคูลัส ภาค 2").part, Some(2));
        assert_eq!(core("Математический анализ. Часть 1").part, Some(1));
        assert_eq!(core("C++11").part, None);
        assert_eq!(core("Calculus Part 2 (2024 Fall)").core, "calculus");
    }

    #[test]
    fn course_numbers_name_their_part() {
        assert_eq!(part_from_course_number("6.00.1x"), Some(1));
        assert_eq!(part_from_course_number("cs101.2x"), Some(2));
        assert_eq!(part_from_course_number("30240184_2x"), Some(2));
        assert_eq!(part_from_course_number("chula123.3"), Some(3));
        assert_eq!(part_from_course_number("6.002x"), None);
        assert_eq!(part_from_course_number("30240184x"), None);
    }

    #[test]
    fn digit_after_a_latin_word_in_a_chinese_title_is_a_part() {
        assert_eq!(core("应用金融市场：基于Python2").part, Some(2));
        assert_eq!(core("Python3").part, None);
        assert_eq!(core("C++11").part, None);
    }

    #[test]
    fn a_course_code_in_front_is_no_alternative_title() {
        assert_eq!(
            split_bilingual("KMUTTx KMUTT695: ภาษาจีนเบื้องต้น รุ่น 1/2559"),
            None
        );
        assert_eq!(
            split_bilingual("DalianAUx 82710242x：面向工程师的供应链管理"),
            None
        );
        let (native, latin) = split_bilingual("Data Science Basics: 数据科学基础").unwrap();
        assert_eq!(
            (native.as_str(), latin.as_str()),
            (": 数据科学基础", "Data Science Basics")
        );
    }

    #[test]
    fn bilingual_titles_split_by_script() {
        let (native, latin) = split_bilingual("数据结构 (Data Structures)").unwrap();
        assert_eq!(latin, "Data Structures");
        assert_eq!(native, "数据结构");
        assert!(split_bilingual("Python程序设计").is_none());
    }

    #[test]
    fn a_run_suffix_after_a_bracketed_translation_leaves_the_translation_whole() {
        for title in [
            "Статистика. Часть 2 (Fundamentals of Statistics: Foundations Part 2) — 1-й запуск",
            "Статистика. Часть 2 (Fundamentals of Statistics: Foundations Part 2) (весна 2021)",
            "Статистика. Часть 2 (Fundamentals of Statistics: Foundations Part 2) 2021",
        ] {
            let (native, latin) = split_bilingual(title).unwrap();
            assert_eq!(native, "Статистика. Часть 2");
            assert_eq!(latin, "Fundamentals of Statistics: Foundations Part 2");
            assert_eq!(core(&latin).part, Some(2));
        }
        // Text after the bracket that is no run suffix is part of the title.
        let (native, _) = split_bilingual("Статистика (Statistics for All) для всех").unwrap();
        assert!(native.ends_with("для всех"), "{native}");
    }

    #[test]
    fn bracketed_translation_is_split_off_as_an_alternative_title() {
        let (native, latin) =
            split_bilingual("Маркетинг. Часть 2 (Advanced Marketing (2))").unwrap();
        assert_eq!(native, "Маркетинг. Часть 2");
        assert_eq!(latin, "Advanced Marketing (2)");
        assert_eq!(core(&native).part, Some(2));
        assert_eq!(core(&latin).part, Some(2));
        let (native, latin) =
            split_bilingual("概念与方法（三） (Applied Astrophysics for…").unwrap();
        assert_eq!(native, "概念与方法（三）");
        assert_eq!(latin, "Applied Astrophysics for…");
        // A part marker or a one-word keyword in brackets is no translation.
        assert!(split_bilingual("Data Structures (II)").is_none());
        assert_eq!(split_bilingual("数据结构(上)"), None);
        assert_eq!(split_bilingual("高级编程 (Python)"), None);
    }

    #[test]
    fn part_numbers_in_a_bracketed_code_in_front_are_part_markers() {
        assert_eq!(core("[CS56.2] Data Structures").part, Some(2));
        assert_eq!(core("【30240184_1】数据结构").part, Some(1));
        assert_eq!(core("[CS56.2] Data Structures").core, "data structures");
        // The title's own marker wins; a code without a part number names none.
        assert_eq!(core("[CS56.1] Data Structures Part 2").part, Some(2));
        assert_eq!(core("[30240184X] Data Structures").part, None);
    }

    #[test]
    fn part_markers_are_read_from_slugs() {
        assert_eq!(
            part_from_slug("calculus-modern-perspectives-part-2"),
            Some(2)
        );
        assert_eq!(part_from_slug("data-structures-ii"), Some(2));
        assert_eq!(part_from_slug("research-methods-2"), Some(2));
        assert_eq!(part_from_slug("research-methods"), None);
        assert_eq!(part_from_slug("microeconomics-2016"), None);
        assert_eq!(part_from_slug("1234"), None);
        assert_eq!(part_from_slug("https://stepik.org/course/1234"), None);
    }

    #[test]
    fn slug_part_marker_comes_before_a_trailing_organisation() {
        // The predicate sees organisations folded with `org_key` (`MiamiSBEx` → `miamisbe`).
        let orgs = |o: &str| o == org_key("MiamiSBEx");
        let base = slug_base("practical-numerical-analysis-iii-miamisbex", &orgs);
        assert_eq!(base, Some("practical-numerical-analysis-iii"));
        assert_eq!(part_from_slug(base.unwrap()), Some(3));
        // A last word that is no organisation stays.
        assert_eq!(slug_base("calculus-part-2", &orgs), Some("calculus-part-2"));
        assert_eq!(slug_base("1234", &orgs), None);
    }

    #[test]
    fn titles_cut_short_are_marked() {
        assert!(core("Цифровой маркетинг. Продвинутый курс…").cut);
        assert!(core("International Relations: An Introduction...").cut);
        assert!(!core("Calculus Part 2").cut);
        assert!(!core("Intro to U.S.").cut);
    }

    #[test]
    fn short_name_words_are_person_keys_but_initials_are_not() {
        let mut native = person_name_keys("刘军");
        let mut roman = person_name_keys("Jun Liu");
        native.sort();
        roman.sort();
        assert_eq!(native, roman);
        assert_eq!(
            native.len(),
            2,
            "a one-letter surname key is kept: {native:?}"
        );
        assert_eq!(person_name_keys("J. Liu"), person_name_keys("Liu"));
        // As conflict keys the short words stay out.
        assert_eq!(person_keys("刘军").len(), 1);
        assert_eq!(
            person_keys_and_name_keys("J. Liu Jun"),
            (person_keys("J. Liu Jun"), person_name_keys("J. Liu Jun"))
        );
    }

    #[test]
    fn chinese_and_romanised_names_share_keys() {
        let native = person_keys("韩慧君");
        let roman = person_keys("Huijun Han");
        assert!(
            native.iter().any(|k| roman.contains(k)),
            "{native:?} {roman:?}"
        );
        let ru = person_keys("Александр Иванов");
        let en = person_keys("Alexander Ivanov");
        assert!(en.iter().all(|k| ru.contains(k)), "{ru:?} {en:?}");
    }

    #[test]
    fn thai_romanisations_of_one_name_are_similar_keys() {
        let key = |s: &str| pack_name_key(person_keys(s).last().map_or("", String::as_str));
        assert!(similar_name_keys(key("กิตติ บุญรักษ์"), key("Kitti Boonrak")));
        assert!(similar_name_keys(
            key("ผศ.ดร.ธนากร ศรีเดช"),
            key("Dr. Tanakorn Sridet")
        ));
        assert!(!similar_name_keys(key("Anna Ivanova"), key("Anna Petrova")));
    }

    #[test]
    fn institution_names_fold_their_decorations() {
        assert_eq!(
            institution_key("The University of Edinburgh"),
            institution_key("UNIVERSITY OF EDINBURGH (USA)")
        );
        assert_eq!(institution_key("TsinghuaX"), "tsinghua");
        assert_eq!(
            institution_key("Tsinghua Univ., China"),
            "tsinghua university"
        );
    }
}
