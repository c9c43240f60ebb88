//! Connection set-up per backend, and the few statements whose text differs.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use super::StoreError;

/// SQLite: one writer connection (SQLite has one writer at a time; queueing in the pool
/// is cheaper than BUSY retries) and a small read pool that WAL lets run beside it.
#[derive(Clone)]
pub struct SqliteBackend {
    pub(super) write: SqlitePool,
    pub(super) read: SqlitePool,
}

impl SqliteBackend {
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // 64 MiB of page cache per connection (the default 2 MiB thrashes once the
            // catalogue outgrows it: index inserts become random reads).
            .pragma("cache_size", "-65536");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Ok(Self { write, read })
    }
}

/// PostgreSQL: one pool.
#[derive(Clone)]
pub struct PgBackend {
    pub(super) pool: PgPool,
}

impl PgBackend {
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }
}

/// What differs between backends when a write transaction starts.
pub(super) trait WriteTx: Sized {
    /// Opens a write transaction that holds the write lock from its first statement.
    async fn begin_write(&self) -> Result<Self::Tx, StoreError>;
    type Tx;
}

impl WriteTx for SqlitePool {
    type Tx = Transaction<'static, Sqlite>;
    async fn begin_write(&self) -> Result<Self::Tx, StoreError> {
        // A deferred transaction that later upgrades to a write lock fails with BUSY at
        // once, ignoring busy_timeout; IMMEDIATE waits for the lock instead.
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl WriteTx for PgPool {
    type Tx = Transaction<'static, Postgres>;
    async fn begin_write(&self) -> Result<Self::Tx, StoreError> {
        let mut tx = self.begin().await?;
        // Serialise writers of the change log so that sequence order is commit order: a
        // feed reader that stored seq N never misses a change committed later below N.
        sqlx::query("SELECT pg_advisory_xact_lock(7270700001)")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// The temporary table of external ids seen in a run (for withdrawals).
pub(super) const SEEN_TABLE_SQLITE: &str =
    "CREATE TEMP TABLE IF NOT EXISTS seen_ext (external_id TEXT PRIMARY KEY)";
pub(super) const SEEN_CLEAR_SQLITE: &str = "DELETE FROM seen_ext";
pub(super) const SEEN_TABLE_PG: &str =
    "CREATE TEMP TABLE IF NOT EXISTS seen_ext (external_id TEXT PRIMARY KEY) ON COMMIT DELETE ROWS";
