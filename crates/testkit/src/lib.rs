//! Test support for every crate's integration tests, one copy of each:
//!
//! - a fresh store per test on SQLite and on PostgreSQL ([`TestDb`]), and [`both_backends!`],
//!   which turns one async test body into a SQLite test and a PostgreSQL test;
//! - [`TestApp`], the web application in-process over that store, with an anonymous and a
//!   bearer client of the API ([`ApiClient`]), a browser with cookies and CSRF ([`Browser`]),
//!   and single requests from any peer address ([`Req`]);
//! - the fixtures tests start from ([`demo_community`], [`two_compounds`], [`user`], [`id`],
//!   [`HEADER`], [`csv_file`], [`import`], [`report_link`]).
//!
//! A dev-dependency only: nothing outside tests may depend on it. It depends on
//! `doorstep-web` and `doorstep-app`, whose own integration tests use it too.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::panic)]

mod app;
mod db;
mod fixtures;
mod http;

pub use app::{TestApp, TestAppBuilder};
pub use db::{Backend, TestDb, run_on};
pub use fixtures::{
    COMMUNITY, HEADER, NEIGHBOUR, PASSWORD, csv_file, demo_community, id, import, import_batched,
    import_into, import_with, neighbour_community, report_count, report_link, revoke_link,
    two_compounds, user,
};
pub use http::{ApiClient, Browser, FORM, Req, Response, enc, first_href, form_body, hidden};

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
