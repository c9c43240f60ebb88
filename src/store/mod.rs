//! Persistence behind one interface, on SQLite (the embedded default) and PostgreSQL.
//!
//! Both backends run the same SQL text (`$N` placeholders, `ON CONFLICT`, `RETURNING`);
//! [`dispatch!`] expands one body per backend so no query is written twice. Migrations
//! are per backend under `migrations/`.

mod api_courses;
mod api_read;
pub(crate) mod api_sql;
mod archive;
mod backend;
mod dedup;
mod error;
mod health;
mod interrupt;
mod lease;
mod ledger;
mod read;
pub mod search;
mod search_docs;
mod write;

pub use api_courses::{CourseKey, CourseLookup, CoursePage, CourseQuery, CourseSort, StatusFilter};
pub use api_read::{ChangeRow, SourceRow};
pub use archive::{NewRawPage, RawPage};
pub use dedup::{CourseLinkRow, OverrideRow, REMATCH_BATCH};
pub use error::StoreError;
pub use health::{Freshness, RunBrief, SourceHealth, SourceOverview, freshness, next_tick};
pub use lease::{Lease, LeaseInfo, default_holder};
pub use ledger::{RunStats, SyncRunRow};
pub use read::{ListingFilter, StoredListing};
pub use search::{SearchQuery, SearchQueryError};
pub use search_docs::{SearchChange, SearchDoc};
pub use write::{ApplyReport, ApplyStats};

use backend::{PgBackend, SqliteBackend};

/// The catalogue database.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteBackend),
    Postgres(PgBackend),
}

/// Runs `$body` with `$pool` bound to the backend's pool (the writer for SQLite when
/// `write` is given, the read pool otherwise) and `$db` naming the sqlx database type.
macro_rules! dispatch {
    ($store:expr, $db:ident, $pool:ident => $body:expr) => {
        dispatch!(@on $store, read, $db, $pool => $body)
    };
    (write $store:expr, $db:ident, $pool:ident => $body:expr) => {
        dispatch!(@on $store, write, $db, $pool => $body)
    };
    (@on $store:expr, $sqlite_pool:ident, $db:ident, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite(b) => {
                #[allow(dead_code)]
                type $db = sqlx::Sqlite;
                let $pool = &b.$sqlite_pool;
                $body
            }
            $crate::store::Store::Postgres(b) => {
                #[allow(dead_code)]
                type $db = sqlx::Postgres;
                let $pool = &b.pool;
                $body
            }
        }
    };
}
pub(crate) use dispatch;

impl Store {
    /// Opens the database at `url` (`sqlite://PATH` or `postgres://…`), creating an SQLite
    /// file if missing, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if url.starts_with("sqlite:") {
            Self::Sqlite(SqliteBackend::open(url).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(PgBackend::open(url).await?)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(b) => sqlx::migrate!("migrations/sqlite").run(&b.write).await?,
            Self::Postgres(b) => sqlx::migrate!("migrations/postgres").run(&b.pool).await?,
        }
        Ok(())
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (waits for them to be returned).
    pub async fn close(&self) {
        match self {
            Self::Sqlite(b) => {
                b.write.close().await;
                b.read.close().await;
            }
            Self::Postgres(b) => b.pool.close().await,
        }
    }
}
