//! Stopping an SQLite statement whose caller gave up. sqlx runs SQLite statements on a
//! worker thread; dropping the future (the API's request timeout) does not stop a long
//! sort or scan there, so the read connection stays busy until it ends. A connection
//! taken through [`Interruptible`] carries a progress handler that aborts the statement
//! once the guard is dropped unfinished; that connection is then closed rather than
//! returned to the pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

/// Virtual machine steps between checks of the flag (a few microseconds of work).
const PROGRESS_OPS: i32 = 10_000;

/// A read connection whose running statement is interrupted when this is dropped before
/// [`finish`](Self::finish).
pub(super) struct Interruptible {
    conn: Option<PoolConnection<Sqlite>>,
    given_up: Arc<AtomicBool>,
}

impl Interruptible {
    /// Takes a connection from `pool` and arms it.
    pub async fn acquire(pool: &SqlitePool) -> Result<Self, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let given_up = Arc::new(AtomicBool::new(false));
        let flag = given_up.clone();
        // Replaces the handler an earlier use left; that one's flag is never set.
        conn.lock_handle()
            .await?
            .set_progress_handler(PROGRESS_OPS, move || !flag.load(Ordering::Relaxed));
        Ok(Self {
            conn: Some(conn),
            given_up,
        })
    }

    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        // Only `finish` and `drop` take the connection, and both consume `self`.
        self.conn
            .as_deref_mut()
            .expect("connection taken only on finish or drop")
    }

    /// Returns the connection to the pool: its statements ran to the end.
    pub fn finish(mut self) {
        self.conn.take();
    }
}

impl Drop for Interruptible {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // Given up mid-statement: stop it, and do not hand the connection (with a
            // handler that now refuses everything) to anyone else.
            self.given_up.store(true, Ordering::Relaxed);
            conn.close_on_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;

    /// Counts forever (until interrupted).
    const ENDLESS: &str =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c";

    #[tokio::test]
    async fn a_statement_given_up_stops_and_frees_its_connection() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let run = async {
            let mut c = Interruptible::acquire(&pool).await?;
            let n: i64 = sqlx::query_scalar(ENDLESS).fetch_one(c.conn()).await?;
            c.finish();
            Ok::<_, sqlx::Error>(n)
        };
        assert!(
            tokio::time::timeout(Duration::from_millis(200), run)
                .await
                .is_err(),
            "the endless statement is given up"
        );
        // The only connection is free again only once its statement has stopped (without
        // the interrupt the count would run forever and this acquire would time out).
        let mut c = Interruptible::acquire(&pool).await.unwrap();
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(c.conn())
            .await
            .unwrap();
        c.finish();
        assert_eq!(one, 1);
    }
}
