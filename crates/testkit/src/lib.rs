//! Test support for every crate's integration tests: a fresh store per test on SQLite and on
//! PostgreSQL, and [`both_backends!`], which turns one async test body into a SQLite test and
//! a PostgreSQL test.
//!
//! A dev-dependency only: nothing outside tests may depend on it.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::panic)]

mod db;

pub use db::{Backend, TestDb, run_on};

use doorstep_store::Store;

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
/// by reference: `both_backends!(name, async |db: &TestDb| { … });`. The database is dropped
/// when the body ends, also when it panics ([`run_on`]).
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: $crate::Backend) {
                $crate::run_on(backend, $body).await;
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
