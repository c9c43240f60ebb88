//! A fresh database per test, on SQLite (a temporary file) and on PostgreSQL (a new
//! database on the server named by `COURSEFED_TEST_POSTGRES_URL`).
//!
//! With `CI=true` a missing `COURSEFED_TEST_POSTGRES_URL` fails the PostgreSQL tests;
//! elsewhere they are skipped with a note on stderr.

use coursefed::store::Store;
use sqlx::Connection;

/// A database that lives as long as the test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Closes the store and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// A fresh SQLite database file.
pub async fn sqlite() -> TestDb {
    coursefed::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    TestDb {
        store,
        url,
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh PostgreSQL database, or `None` (skip) outside CI when none is configured.
pub async fn postgres() -> Option<TestDb> {
    coursefed::install_crypto_provider();
    let admin = match std::env::var("COURSEFED_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but COURSEFED_TEST_POSTGRES_URL is not set: PostgreSQL store tests must run in CI"
                );
            }
            eprintln!("note: COURSEFED_TEST_POSTGRES_URL unset; skipping a PostgreSQL test");
            return None;
        }
    };
    let name = format!(
        "coursefed_test_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to COURSEFED_TEST_POSTGRES_URL: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&admin).expect("COURSEFED_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    let url = url.to_string();
    let store = Store::connect(&url)
        .await
        .expect("open PostgreSQL test database");
    Some(TestDb {
        store,
        url,
        _dir: None,
        pg: Some((admin, name)),
    })
}

/// For each async test body `fn(&TestDb)`, declares `mod <name> { sqlite(); postgres() }`
/// running it on each backend, so every test is named `<rule>::<backend>`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::common::db::sqlite().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
                #[tokio::test]
                async fn postgres() {
                    if let Some(db) = $crate::common::db::postgres().await {
                        super::$name(&db).await;
                        db.cleanup().await;
                    }
                }
            }
        )+
    };
}
