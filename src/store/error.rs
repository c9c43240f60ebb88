//! Errors of the store layer.

/// A database failure. Any of these fails a sync run; the catalogue is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The run's spooled listings could not be read back while applying them.
    #[error("reading the run's spooled listings failed: {0}")]
    Spool(String),
    /// A stored value could not be read back (a row written by a newer version?).
    #[error("corrupt row in {table} ({id}): {message}")]
    Corrupt {
        table: &'static str,
        id: String,
        message: String,
    },
    /// Another holder has the source's lease: the source is being synced elsewhere.
    #[error("source {source_id} is being synced by {holder} until {until}")]
    LeaseHeld {
        source_id: String,
        holder: String,
        until: chrono::DateTime<chrono::Utc>,
    },
    /// The run's ledger row is no longer `running` (its lease expired and another holder
    /// reclaimed the source, marking it `abandoned`): the run's result was not applied.
    #[error("run {run_id} was closed by another holder (its lease was lost); nothing applied")]
    RunClosed { run_id: i64 },
    /// Deduplication could not run (the shipped institution alias table is invalid), or
    /// an operator override names something that does not exist.
    #[error("deduplication: {0}")]
    Dedup(String),
}
