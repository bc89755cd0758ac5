//! A fresh, migrated store for each test, on either backend, and [`both_backends!`], which
//! turns one async test body into a SQLite test and a PostgreSQL test.
//!
//! PostgreSQL tests use `DOORSTEP_TEST_PG_URL` and a new schema per test. Without that
//! variable they are skipped with a message, except under CI (`CI` set), where a skipped
//! PostgreSQL test fails: CI must prove both databases.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use doorstep_store::Store;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema in the PostgreSQL at `DOORSTEP_TEST_PG_URL`.
    Postgres,
}

/// A store for one test; its database goes away with it (SQLite) or is dropped by [`TestDb::cleanup`].
pub struct TestDb {
    /// The migrated store.
    pub store: Arc<dyn Store>,
    /// The URL a separate process (the CLI under test) can open the same database with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(sqlx::PgPool, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A fresh store on `backend`, or `None` when PostgreSQL is not configured (outside CI).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let store = doorstep_store_sqlite::connect(&url)
                    .await
                    .expect("open sqlite");
                store.migrate().await.expect("migrate sqlite");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let Ok(base) = std::env::var("DOORSTEP_TEST_PG_URL") else {
                    if std::env::var_os("CI").is_some() {
                        panic!(
                            "CI is set but DOORSTEP_TEST_PG_URL is not: PostgreSQL tests must run in CI"
                        );
                    }
                    eprintln!("skipped on PostgreSQL: DOORSTEP_TEST_PG_URL is not set");
                    return None;
                };
                let schema = format!(
                    "t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos())
                );
                let admin = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&base)
                    .await
                    .expect("connect to DOORSTEP_TEST_PG_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                let store = doorstep_store_postgres::connect(&base, Some(&schema))
                    .await
                    .expect("open postgres");
                store.migrate().await.expect("migrate postgres");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    _dir: None,
                    pg: Some((admin, schema)),
                })
            }
        }
    }

    /// The schema's tables, indexes and constraints as the database describes them, sorted:
    /// equal for two databases built the same way (a bulk load must leave it as migrated).
    pub async fn schema(&self) -> Vec<String> {
        match &self.pg {
            None => {
                let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.url)
                    .await
                    .expect("open sqlite");
                sqlx::query_as::<_, (String, String, Option<String>)>(
                    "SELECT type, name, sql FROM sqlite_master ORDER BY type, name",
                )
                .fetch_all(&mut conn)
                .await
                .expect("read sqlite schema")
                .into_iter()
                .map(|(t, n, sql)| format!("{t} {n}: {}", sql.unwrap_or_default()))
                .collect()
            }
            Some((admin, schema)) => {
                let mut out: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename || ': ' || indexdef FROM pg_indexes WHERE schemaname = $1",
                )
                .bind(schema)
                .fetch_all(admin)
                .await
                .expect("read indexes");
                let defs: Vec<String> = sqlx::query_scalar(
                    "SELECT c.conrelid::regclass::text || ' ' || c.conname || ': ' || pg_get_constraintdef(c.oid) \
                     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1",
                )
                .bind(schema)
                .fetch_all(admin)
                .await
                .expect("read constraints");
                out.extend(
                    defs.into_iter()
                        .map(|d| d.replace(&format!("{schema}."), "")),
                );
                out.iter_mut()
                    .for_each(|d| *d = d.replace(&format!("{schema}."), ""));
                out.sort();
                out
            }
        }
    }

    /// Drops a PostgreSQL test schema (SQLite's file goes with its temporary folder).
    pub async fn cleanup(self) {
        if let Some((admin, schema)) = self.pg {
            drop(self.store);
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await;
        }
    }
}

/// Creates 二七区/京广路街道/祥云社区 (district, street, community) and returns the community:
/// the start of almost every test's area tree.
pub async fn demo_community(store: &dyn Store) -> doorstep_store::Area {
    use doorstep_core::AreaKind;
    let d = store
        .create_area(None, AreaKind::District, "二七区")
        .await
        .expect("district");
    let s = store
        .create_area(Some(&d.path), AreaKind::Street, "京广路街道")
        .await
        .expect("street");
    store
        .create_area(Some(&s.path), AreaKind::Community, "祥云社区")
        .await
        .expect("community")
}

/// Defines `NAME::sqlite` and `NAME::postgres` tests from one async body taking a [`TestDb`]
/// by reference: `both_backends!(name, |db| async move { … });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: $crate::Backend) {
                let Some(db) = $crate::TestDb::new(backend).await else {
                    return;
                };
                let body = $body;
                body(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::Backend::Postgres).await;
            }
        }
    };
}
