//! Full-text search of listings for the read API's `q`, in every language the catalogue
//! holds. SQLite: FTS5 with the trigram tokenizer (`listing_fts`), ranked by bm25 with
//! titles weighted highest. PostgreSQL: lower-cased substring match through pg_trgm's GIN
//! index (`listing_search`), ranked by the terms found in the title, then the shorter
//! title (no per-hit trigram similarity: a third of the cost). Trigrams
//! need no word segmentation, so Thai and Chinese match like English and Russian. Terms
//! shorter than three characters have no trigram: they are matched by a scan (`LIKE`).

use unicode_normalization::UnicodeNormalization;

use super::api_sql::{Sql, like_contains};
use super::{Store, StoreError};

/// Listings written by one apply from which the full-text index is compacted afterwards
/// ([`Store::compact_full_text`]).
pub const COMPACT_FULL_TEXT_AFTER: u64 = 1000;

/// Terms of one query, at most this many.
pub const MAX_TERMS: usize = 16;
/// Characters of one query, at most this many.
pub const MAX_QUERY_CHARS: usize = 256;

/// Which SQL dialect a fragment is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

/// A parsed `q`: NFC-normalised, lower-cased, whitespace-separated terms; every term must
/// match (in any indexed field).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The whole query, normalised (used for ranking on PostgreSQL).
    pub text: String,
    pub terms: Vec<String>,
}

/// Why a `q` cannot be searched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchQueryError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("has more than {MAX_TERMS} terms")]
    TooManyTerms,
}

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, SearchQueryError> {
        let text: String = raw.nfc().collect::<String>().trim().to_lowercase();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchQueryError::TooLong);
        }
        let terms: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == '"')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if terms.is_empty() {
            return Err(SearchQueryError::Empty);
        }
        if terms.len() > MAX_TERMS {
            return Err(SearchQueryError::TooManyTerms);
        }
        let text = terms.join(" ");
        Ok(Self { text, terms })
    }

    fn long_terms(&self) -> impl Iterator<Item = &String> {
        self.terms.iter().filter(|t| t.chars().count() >= 3)
    }

    fn short_terms(&self) -> impl Iterator<Item = &String> {
        self.terms.iter().filter(|t| t.chars().count() < 3)
    }

    /// The FTS5 query: every term ≥ 3 characters as a quoted string, all required.
    fn fts5_match(&self) -> Option<String> {
        let parts: Vec<String> = self
            .long_terms()
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }
}

impl Store {
    /// Merges SQLite's full-text index into one segment (FTS5 `optimize`). Writes add
    /// segments and FTS5 merges them only lazily: the bench's 100k-listing catalogue, built
    /// in four applies, kept 13, whose seeks were a sixth of an uncached search. Compacted
    /// (about 2 s), uncached searches went from 565 to 775 req/s, p99 124 -> 83 ms (wrk
    /// -c32, the two databases served in turn, three rounds). Its own write transaction,
    /// after the data is committed: a failure leaves a slower index, never a wrong one.
    /// PostgreSQL's trigram index needs no such step (a `VACUUM ANALYZE` of the same
    /// catalogue changed nothing measurable); there it does nothing.
    pub async fn compact_full_text(&self) -> Result<(), StoreError> {
        if let Store::Sqlite(b) = self {
            let started = std::time::Instant::now();
            sqlx::query("INSERT INTO listing_fts (listing_fts) VALUES ('optimize')")
                .execute(&b.write)
                .await?;
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "Full-text index compacted."
            );
        }
        Ok(())
    }
}

/// How [`push_hits`] scores a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HitScore {
    /// The backend's ranking: SQLite's bm25 over the columns (titles weigh most);
    /// PostgreSQL's title hits, then the shorter title.
    Rank,
    /// Title hits, then the shorter title, on both backends. SQLite's bm25 first reads
    /// every row of each term to count them (its IDF), which made most of a search's
    /// database time when the in-process index asks only for the rest of a page.
    TitleHits,
    /// No score (the page is sorted by something else): 0.
    Unused,
}

/// Appends [`HitScore::TitleHits`]'s score of a hit whose title is `title`: title hits
/// rank first, then a shorter title (the terms are more of it). Cheap per hit: no
/// statistics, no trigram similarity. (`\` is PostgreSQL's default `LIKE` escape too.)
fn push_title_hits(sql: &mut Sql, q: &SearchQuery, title: &str) {
    sql.push("(");
    for t in &q.terms {
        sql.push("(CASE WHEN ")
            .push(title)
            .push(" LIKE ")
            .bind(like_contains(t))
            .push(" ESCAPE '\\' THEN 2.0 ELSE 0.0 END) + ");
    }
    sql.push("1.0 / (2 + length(").push(title).push(")))");
}

/// Appends a `SELECT listing_id, course_id, status, score …` of the listings matching `q`
/// (a higher score is a better match, as `score` says); the course and status come from
/// the index, so a plain search needs no lookup of the listings themselves.
pub(super) fn push_hits(sql: &mut Sql, dialect: Dialect, q: &SearchQuery, score: HitScore) {
    match dialect {
        Dialect::Sqlite => {
            let m = q.fts5_match();
            sql.push(
                "SELECT s.listing_id AS listing_id, s.course_id AS course_id, s.status AS status, ",
            );
            match (score, &m, q.short_terms().next()) {
                (HitScore::Unused, _, _) => {
                    sql.push("0.0");
                }
                (HitScore::TitleHits, _, _) => push_title_hits(sql, q, "listing_fts.title"),
                // bm25 is lower-is-better; titles weigh most, then institutions and
                // instructors, then descriptions.
                (HitScore::Rank, Some(_), _) => {
                    sql.push("-bm25(listing_fts, 10.0, 1.0, 3.0, 3.0)");
                }
                (HitScore::Rank, None, Some(first)) => {
                    sql.push("(CASE WHEN listing_fts.title LIKE ")
                        .bind(like_contains(first))
                        .push(" ESCAPE '\\' THEN 2.0 ELSE 1.0 END)");
                }
                (HitScore::Rank, None, None) => {
                    sql.push("0.0");
                }
            }
            sql.push(
                " AS score FROM listing_fts JOIN listing_search s ON s.rowid = listing_fts.rowid WHERE 1 = 1",
            );
            if let Some(m) = m {
                sql.push(" AND listing_fts MATCH ").bind(m);
            }
            for t in q.short_terms() {
                let p = like_contains(t);
                sql.push(" AND (");
                for (i, col) in ["title", "description", "institutions", "instructors"]
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        sql.push(" OR ");
                    }
                    sql.push("listing_fts.")
                        .push(col)
                        .push(" LIKE ")
                        .bind(p.clone())
                        .push(" ESCAPE '\\'");
                }
                sql.push(")");
            }
        }
        Dialect::Postgres => {
            sql.push(
                "SELECT ls.listing_id AS listing_id, ls.course_id AS course_id, ls.status AS status, ",
            );
            if score == HitScore::Unused {
                sql.push("0.0::float8");
            } else {
                push_title_hits(sql, q, "ls.title");
                sql.push("::float8");
            }
            sql.push(" AS score FROM listing_search ls WHERE 1 = 1");
            for t in &q.terms {
                sql.push(" AND ls.doc LIKE ").bind(like_contains(t));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_normalised_lower_cased_and_split() {
        let q = SearchQuery::parse("  Data   STRUCTURES ").unwrap();
        assert_eq!(q.terms, ["data", "structures"]);
        assert_eq!(q.text, "data structures");
    }

    #[test]
    fn thai_and_chinese_stay_one_term_each() {
        assert_eq!(SearchQuery::parse("ข้อมูล").unwrap().terms, ["ข้อมูล"]);
        assert_eq!(SearchQuery::parse("数据结构").unwrap().terms, ["数据结构"]);
    }

    #[test]
    fn empty_and_oversized_queries_are_refused() {
        assert_eq!(SearchQuery::parse("   "), Err(SearchQueryError::Empty));
        assert_eq!(
            SearchQuery::parse(&"x".repeat(MAX_QUERY_CHARS + 1)),
            Err(SearchQueryError::TooLong)
        );
        let many = vec!["abc"; MAX_TERMS + 1].join(" ");
        assert_eq!(
            SearchQuery::parse(&many),
            Err(SearchQueryError::TooManyTerms)
        );
    }

    #[test]
    fn short_terms_are_left_out_of_the_fts_match() {
        let q = SearchQuery::parse("ai 数据 systems").unwrap();
        assert_eq!(q.fts5_match().as_deref(), Some("\"systems\""));
        assert_eq!(q.short_terms().count(), 2);
    }

    #[test]
    fn quotes_cannot_break_out_of_an_fts_string() {
        let q = SearchQuery::parse("abc\"def OR xyz*").unwrap();
        // `"` separates terms; FTS operators inside a quoted string are plain text.
        assert_eq!(
            q.fts5_match().as_deref(),
            Some("\"abc\" AND \"def\" AND \"xyz*\"")
        );
    }
}
