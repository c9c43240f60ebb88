//! Date ranges in text (`1 มิ.ย. 2568 - 31 ส.ค. 2568`, `2024年9月1日至2024年12月31日`,
//! `ตั้งแต่ …`, `เรียนได้ตลอดเวลา`): split at a separator, each side read by `dates`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{parse_end_instant, parse_instant};
use crate::normalise::text;

/// A parsed range; either end may be absent (open-ended or unparseable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Words that open an open-ended range ("from …"): Thai ตั้งแต่ and เริ่ม, English from/since.
const OPEN_PREFIXES: &[&str] = &["ตั้งแต่", "เริ่ม", "from ", "since ", "From ", "Since "];
/// Longer text is prose, not a date range; the cap keeps the split search (quadratic in
/// the number of separators) cheap on hostile input.
const MAX_RANGE_LEN: usize = 256;
/// Separators that always mean "to"; a bare `-` is also tried, but only where both sides
/// parse, since it also sits inside ISO dates.
const STRONG_SEPARATORS: &[&str] = &[
    " - ",
    "–",
    "—",
    "ถึง",
    "至",
    "到",
    "~",
    "～",
    " to ",
    " until ",
];

/// Parses a date range in text: `1 ม.ค. 2567 - 31 มี.ค. 2567`, `15 มิถุนายน 2568 – 30
/// กันยายน 2568`, `… ถึง …`, `ตั้งแต่ 1 ม.ค. 2567` (start only), `2024年9月1日至2024年12月31日`,
/// `เรียนได้ตลอดเวลา` (no dates). A single date is a start. An end written without its
/// year (`1 - 31 ม.ค. 2567`) leaves the start absent rather than guessing it. Starts are
/// read by [`parse_instant`], ends by [`parse_end_instant`]: a date-only end is the last
/// second of its day, so a class is not over before its last day is.
pub fn parse_range(raw: &str, tz: Tz) -> DateRange {
    let Some(cleaned) = text::clean(raw) else {
        return DateRange::default();
    };
    if is_any_time(&cleaned) {
        return DateRange::default();
    }
    let body = OPEN_PREFIXES
        .iter()
        .find_map(|p| cleaned.strip_prefix(p))
        .map_or(cleaned.as_str(), str::trim);
    if let Some(start) = parse_instant(body, tz) {
        return DateRange {
            start: Some(start),
            end: None,
        };
    }
    if body.len() > MAX_RANGE_LEN {
        return DateRange::default();
    }
    let mut splits: Vec<(&str, &str, bool)> = Vec::new();
    for sep in STRONG_SEPARATORS.iter().chain(std::iter::once(&"-")) {
        let strong = *sep != "-";
        for (i, _) in body.match_indices(sep) {
            let (left, right) = body.split_at(i);
            splits.push((left, right.get(sep.len()..).unwrap_or(""), strong));
        }
    }
    let parsed: Vec<_> = splits
        .iter()
        .map(|(l, r, strong)| (parse_instant(l, tz), parse_end_instant(r, tz), *strong))
        .collect();
    if let Some((s, e, _)) = parsed.iter().find(|(s, e, _)| s.is_some() && e.is_some()) {
        return DateRange { start: *s, end: *e };
    }
    // Only one side readable: keep what the text states, at a real separator only (a bare
    // `-` inside `2024-03-15 …` would yield a truncated, invented date).
    let start = parsed
        .iter()
        .find_map(|(s, _, strong)| s.filter(|_| *strong));
    let end = parsed
        .iter()
        .find_map(|(_, e, strong)| e.filter(|_| *strong));
    match (start, end) {
        (Some(s), _) => DateRange {
            start: Some(s),
            end: None,
        },
        (None, e) => DateRange {
            start: None,
            end: e,
        },
    }
}

/// True when the text says the course can be taken at any time (Thai MOOC's
/// `เรียนได้ตลอดเวลา`), i.e. it has no dates at all.
pub fn is_any_time(raw: &str) -> bool {
    let squeezed: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{200B}')
        .collect::<String>()
        .to_lowercase();
    [
        "เรียนได้ตลอดเวลา",
        "ตลอดเวลา",
        "ทุกเวลา",
        "随到随学",
        "anytime",
    ]
    .iter()
    .any(|m| squeezed.contains(m))
}
