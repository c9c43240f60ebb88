//! What the read API's in-process search index (`api::search_index`) reads: per listing,
//! its course, status, titles (every language), institutions and instructors; and the
//! change log's entries after a sequence number, to keep the index current when another
//! process writes.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::types::Json;

use super::api_sql::{Sql, bind_params};
use super::{Store, StoreError, dispatch};

/// The indexed fields of one listing.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub listing_id: String,
    pub course_id: String,
    pub active: bool,
    /// The title, then every translated title.
    pub titles: Vec<String>,
    /// Institutions, then instructors.
    pub people: Vec<String>,
}

/// One change-log entry as the index reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchChange {
    pub seq: i64,
    /// `listing` or `course`.
    pub entity: String,
    pub entity_id: String,
    /// The other course of a merge or split.
    pub related_id: Option<String>,
}

const DOC_COLUMNS: &str = "id, course_id, status, title, titles, institutions, instructors";

fn doc_from_row<R: Row>(r: &R) -> Result<SearchDoc, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Vec<String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<BTreeMap<String, String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = r.try_get("status")?;
    let mut titles = vec![r.try_get::<String, _>("title")?];
    titles.extend(
        r.try_get::<Json<BTreeMap<String, String>>, _>("titles")?
            .0
            .into_values(),
    );
    let mut people = r.try_get::<Json<Vec<String>>, _>("institutions")?.0;
    people.extend(r.try_get::<Json<Vec<String>>, _>("instructors")?.0);
    Ok(SearchDoc {
        listing_id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        active: status == "active",
        titles,
        people,
    })
}

impl Store {
    /// Up to `limit` listings' search fields with an id after `after`, in id order (every
    /// status).
    pub async fn search_docs_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SearchDoc>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(DOC_COLUMNS).push(" FROM listings");
        if let Some(a) = after {
            sql.push(" WHERE id > ").bind(a);
        }
        sql.push(" ORDER BY id LIMIT ").bind(i64::from(limit));
        self.fetch_docs(sql).await
    }

    /// The search docs `sql` (a `SELECT` of [`DOC_COLUMNS`]) reads.
    async fn fetch_docs(&self, sql: Sql) -> Result<Vec<SearchDoc>, StoreError> {
        let docs = dispatch!(self, DB, pool => {
            bind_params!(sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(doc_from_row)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(docs)
    }

    /// The search fields of the listings named in `listing_ids` and of every listing of
    /// `course_ids` (a listing that no longer exists is left out).
    pub async fn search_docs_of(
        &self,
        listing_ids: &[String],
        course_ids: &[String],
    ) -> Result<Vec<SearchDoc>, StoreError> {
        let mut out = Vec::new();
        for (column, ids) in [("id", listing_ids), ("course_id", course_ids)] {
            for chunk in ids.chunks(500) {
                let mut sql = Sql::new("SELECT ");
                sql.push(DOC_COLUMNS)
                    .push(" FROM listings WHERE ")
                    .push(column)
                    .push(" IN ")
                    .bind_list(chunk.iter().map(String::as_str));
                out.append(&mut self.fetch_docs(sql).await?);
            }
        }
        Ok(out)
    }

    /// Up to `limit` change-log entries with `seq > after`, in sequence order.
    pub async fn search_changes_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<SearchChange>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT seq, entity, entity_id, related_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(SearchChange {
                    seq: r.try_get("seq")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    related_id: r.try_get("related_id")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }
}
