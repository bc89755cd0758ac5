//! A fresh, migrated store for each test, on either backend, and the runner behind
//! [`both_backends!`](crate::both_backends).
//!
//! PostgreSQL tests use `DOORSTEP_TEST_PG_URL` and a new schema per test, dropped when the test
//! ends, also when it panics. Without that variable they are skipped with a message, except
//! under CI (`CI` set), where a skipped PostgreSQL test fails: CI must prove both databases.

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

/// A store for one test. Its database goes away with it: SQLite's temporary folder, and
/// PostgreSQL's schema, which [`TestDb::cleanup`] drops and, should the test panic before,
/// `Drop`.
pub struct TestDb {
    /// The migrated store.
    pub store: Arc<dyn Store>,
    /// The URL a separate process (the CLI under test) can open the same database with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    // Declared after `store`, so the store's pool is dropped before the schema.
    pg: Option<PgSchema>,
}

/// A test's PostgreSQL schema; dropping it drops the schema. Every connection made for it
/// (the store's pool, and any process the test starts with [`TestDb::url`]) carries the
/// schema's name as `application_name`, so the drop can end them first: a test that panics
/// may leave a transaction open, whose locks would make `DROP SCHEMA` wait.
struct PgSchema {
    admin: sqlx::PgPool,
    base: String,
    name: String,
    dropped: bool,
}

impl PgSchema {
    async fn drop_with(conn: &mut sqlx::PgConnection, name: &str) -> Result<(), sqlx::Error> {
        use sqlx::Executor;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name IN ($1, $1 || '_child') AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut *conn)
        .await?;
        conn.execute("SET lock_timeout = '30s'").await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE"
        )))
        .await?;
        Ok(())
    }

    /// The end of a test that returned: on the pool it already has.
    async fn drop_now(mut self) {
        let result = match self.admin.acquire().await {
            Ok(mut conn) => Self::drop_with(&mut conn, &self.name).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => self.dropped = true,
            Err(e) => eprintln!("dropping test schema {}: {e}", self.name),
        }
        // Otherwise `Drop` tries again.
    }
}

impl Drop for PgSchema {
    /// The end of a test that panicked (or never called [`TestDb::cleanup`]). `Drop` cannot
    /// await, and blocking inside the test's runtime is not allowed, so a thread of its own
    /// opens a new connection on a runtime of its own. Nothing here may panic: this runs while
    /// a panic unwinds.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (base, name) = (self.base.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&base).await?;
                PgSchema::drop_with(&mut conn, &name).await?;
                conn.close().await
            })
            .map_err(|e| e.to_string())
        })
        .join();
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("dropping test schema {}: {e}", self.name),
            Err(_) => eprintln!("dropping test schema {}: the thread panicked", self.name),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `$body` with `$conn` a fresh connection of the test's backend (outside the store), its
/// errors as text.
macro_rules! with_conn {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.pg {
            None => {
                let mut $conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&$db.url)
                    .await
                    .map_err(|e| e.to_string())?;
                $body.map_err(|e| e.to_string())
            }
            Some(_) => {
                let mut $conn = <sqlx::PgConnection as sqlx::Connection>::connect(&$db.url)
                    .await
                    .map_err(|e| e.to_string())?;
                $body.map_err(|e| e.to_string())
            }
        }
    };
}

impl TestDb {
    /// A fresh store on `backend`, or `None` when PostgreSQL is not configured (outside CI).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                // A test needs no power-cut durability (the binary's tests run the server's).
                let store = doorstep_store_sqlite::connect_with(
                    &url,
                    doorstep_store_sqlite::GROUP,
                    doorstep_store_sqlite::Durability::Process,
                )
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
                let pg = PgSchema {
                    admin,
                    base: base.clone(),
                    name: schema.clone(),
                    dropped: false,
                };
                let sep = if base.contains('?') { '&' } else { '?' };
                let tagged = format!("{base}{sep}application_name={schema}");
                let store = doorstep_store_postgres::connect(&tagged, Some(&schema))
                    .await
                    .expect("open postgres");
                store.migrate().await.expect("migrate postgres");
                let url = format!("{tagged}&options=-c%20search_path%3D{schema}");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    _dir: None,
                    pg: Some(pg),
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
            Some(PgSchema {
                admin,
                name: schema,
                ..
            }) => {
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

    /// Runs one SQL statement straight on the database, outside the store, as anyone holding
    /// the database's URL could: for tests of what the schema itself refuses. Answers the rows
    /// changed, or the database's error.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, String> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        with_conn!(self, |conn| sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|r| r.rows_affected()))
    }

    /// One number read straight from the database with `sql` (a `SELECT` of one BIGINT).
    pub async fn query_i64(&self, sql: &str) -> i64 {
        let read = async {
            let sql = sqlx::AssertSqlSafe(sql.to_string());
            with_conn!(self, |conn| sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut conn)
                .await)
        };
        read.await.unwrap_or_else(|e| panic!("query: {e}"))
    }

    /// The URL for a process the test starts and may kill: on PostgreSQL its connections carry
    /// an `application_name` of their own (the schema's, `_child` after it), so that
    /// [`TestDb::children_gone`] can wait for a killed one's server processes.
    pub fn child_url(&self) -> String {
        match self.pg_schema() {
            Some(schema) => format!("{}&application_name={schema}_child", self.url),
            None => self.url.clone(),
        }
    }

    /// Waits until no server process of a [`TestDb::child_url`] connection is left (at most
    /// 30 s). A process killed just after it sent a COMMIT has not written yet: PostgreSQL
    /// still commits, a moment later, and then ends the connection. Nothing to wait for on
    /// SQLite, whose writes are the process's own.
    pub async fn children_gone(&self) {
        let Some(schema) = self.pg_schema() else {
            return;
        };
        let sql = format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '{schema}_child'"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.query_i64(&sql).await > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "a killed process's connections outlive it"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// The PostgreSQL schema this test runs in (`None` on SQLite).
    pub fn pg_schema(&self) -> Option<&str> {
        self.pg.as_ref().map(|p| p.name.as_str())
    }

    /// Drops a PostgreSQL test schema without blocking (SQLite's file goes with its temporary
    /// folder). Dropping a `TestDb` does it too, blocking a thread for it.
    pub async fn cleanup(self) {
        let TestDb { store, pg, .. } = self;
        drop(store);
        if let Some(pg) = pg {
            pg.drop_now().await;
        }
    }
}

/// Runs one test body on a fresh [`TestDb`] on `backend` (nothing, with a message, when
/// PostgreSQL is not configured outside CI), then drops the database. A body that panics
/// still leaves no schema behind: the panic unwinds through the `TestDb`, whose `Drop`
/// drops the schema, and then goes on to fail the test.
pub async fn run_on<F>(backend: Backend, body: F)
where
    F: AsyncFnOnce(&TestDb),
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    body(&db).await;
    db.cleanup().await;
}

#[cfg(test)]
mod tests {
    //! The only test in this binary, so that no other test makes schemas while it counts them.
    use std::sync::{Arc, Mutex};

    use super::{Backend, TestDb, run_on};

    /// Where a test's database lives: its PostgreSQL schema, or its SQLite file.
    fn place(db: &TestDb) -> String {
        match db.pg_schema() {
            Some(schema) => schema.to_string(),
            None => db.url.trim_start_matches("sqlite://").to_string(),
        }
    }

    /// Runs `run_on` on a runtime of its own on another thread, as a test would be run, and
    /// says whether it panicked and where its database was.
    fn run_body(backend: Backend, panics: bool) -> (bool, Option<String>) {
        let seen = Arc::new(Mutex::new(None));
        let in_body = seen.clone();
        let outcome = std::thread::spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(run_on(backend, async move |db: &TestDb| {
                    if db.pg_schema().is_some() {
                        hold_a_lock(&db.url).await;
                    }
                    *in_body.lock().expect("lock") = Some(place(db));
                    if panics {
                        panic!("this test body panics on purpose");
                    }
                }))
        })
        .join();
        let place = seen.lock().expect("lock").clone();
        (outcome.is_err(), place)
    }

    /// Leaves a connection of the test's own in a transaction that has read a table, as a
    /// failing test may leave one: its lock would make `DROP SCHEMA` wait for ever.
    async fn hold_a_lock(url: &str) {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        conn.execute("BEGIN").await.expect("begin");
        conn.execute("SELECT count(*) FROM areas")
            .await
            .expect("read");
        std::mem::forget(conn);
    }

    async fn pg_schemas(admin: &sqlx::PgPool) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1")
            .bind(format!("t\\_{}\\_%", std::process::id()))
            .fetch_one(admin)
            .await
            .expect("count schemas")
    }

    async fn pg_schema_exists(admin: &sqlx::PgPool, name: &str) -> bool {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(name)
            .fetch_one(admin)
            .await
            .expect("look for schema")
    }

    #[tokio::test]
    async fn a_test_that_panics_leaves_no_database_behind() {
        // SQLite: the temporary file goes, whether the body returns or panics.
        for panics in [false, true] {
            let (panicked, file) = run_body(Backend::Sqlite, panics);
            assert_eq!(panicked, panics);
            let file = file.expect("the body ran");
            assert!(!std::path::Path::new(&file).exists(), "{file} is left");
        }

        // PostgreSQL: no schema named t_<pid>_* is left, the body's own included.
        let Ok(base) = std::env::var("DOORSTEP_TEST_PG_URL") else {
            let (panicked, place) = run_body(Backend::Postgres, true);
            assert!(!panicked && place.is_none(), "skipped without PostgreSQL");
            return;
        };
        let admin = sqlx::PgPool::connect(&base).await.expect("connect");
        let before = pg_schemas(&admin).await;
        for panics in [false, true] {
            let (panicked, schema) = run_body(Backend::Postgres, panics);
            assert_eq!(panicked, panics);
            let schema = schema.expect("the body ran");
            assert!(schema.starts_with(&format!("t_{}_", std::process::id())));
            assert!(!pg_schema_exists(&admin, &schema).await, "{schema} is left");
        }
        assert_eq!(pg_schemas(&admin).await, before);
        // The check can fail: a schema made here and not dropped is counted.
        let db = TestDb::new(Backend::Postgres).await.expect("postgres");
        let kept = db.pg_schema().expect("a schema").to_string();
        assert!(pg_schema_exists(&admin, &kept).await);
        assert_eq!(pg_schemas(&admin).await, before + 1);
        db.cleanup().await;
        assert!(!pg_schema_exists(&admin, &kept).await);
    }
}
