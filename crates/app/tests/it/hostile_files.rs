//! Hostile roster files (issue 17): whatever bytes arrive as a roster — random bytes, CSV with
//! stray quotes, broken line ends, GBK and invalid UTF-8, formula cells, a zip header over
//! garbage, a real workbook cut short — the import never panics or hangs, and either imports
//! or refuses with a message in both languages. Each file goes through the whole import (the
//! roster reader, row checks, the store) on SQLite and on PostgreSQL.
//!
//! The cases per run come from `PROPTEST_CASES` (default 48, a smoke run in CI);
//! `bench/fuzz.sh` runs it at scale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use doorstep_app::import::{ImportOptions, import_persons};
use doorstep_core::{AreaPath, Lang};
use doorstep_store::Actor;
use doorstep_testkit::{COMMUNITY, HEADER, TestDb, demo_community, id};
use proptest::prelude::*;

/// Cells a hostile or careless roster holds.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\PC]{0,12}",
        Just(String::new()),
        Just("\"".to_string()),
        Just("a\"b".to_string()),
        Just("=cmd|' /C calc'!A0".to_string()),
        Just("\r".to_string()),
        Just("\u{feff}".to_string()),
        (0u16..500).prop_map(|i| id(i, i % 2 == 0)),
        Just("4101031990010112".to_string()),
        Just("1.23456789012346E+17".to_string()),
        Just("+86 138-0000-0000".to_string()),
        Just("佳纷天地".to_string()),
        Just("3号楼".to_string()),
    ]
}

/// A CSV roster's bytes, header or not, with any line end.
fn csv() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(cell(), 0..14), 0..30),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
    )
        .prop_map(|(rows, eol, header)| {
            let mut out = if header {
                HEADER.replace('\n', eol)
            } else {
                String::new()
            };
            for r in rows {
                out += &r.join(",");
                out += eol;
            }
            out.into_bytes()
        })
}

/// A roster file's bytes.
fn roster() -> impl Strategy<Value = Vec<u8>> {
    let gbk = csv().prop_map(|b: Vec<u8>| {
        let text = String::from_utf8_lossy(&b).into_owned();
        encoding_rs::GB18030.encode(&text).0.into_owned()
    });
    prop_oneof![
        3 => csv(),
        1 => gbk,
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        1 => prop::collection::vec(any::<u8>(), 0..2048).prop_map(|b| {
            let mut z = b"PK\x03\x04".to_vec();
            z.extend(b);
            z
        }),
        1 => (0.0f64..1.0).prop_map(|cut| {
            let w = workbook();
            w[..(w.len() as f64 * cut) as usize].to_vec()
        }),
    ]
}

/// A real roster workbook.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.trim().split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for r in 1..40u16 {
        for (c, v) in [format!("人{r}"), "身份证".into(), id(r, true)]
            .iter()
            .enumerate()
        {
            sheet.write_string(u32::from(r), c as u16, v).unwrap();
        }
        sheet.write_string(u32::from(r), 5, "佳纷天地").unwrap();
        sheet
            .write_number(u32::from(r), 6, f64::from(r % 5 + 1))
            .unwrap();
        sheet
            .write_number(u32::from(r), 8, f64::from(100 + r))
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn hostile_rosters_import_or_refuse_clearly() {
    for backend in [
        doorstep_testkit::Backend::Sqlite,
        doorstep_testkit::Backend::Postgres,
    ] {
        hostile_rosters_on(backend);
    }
}

/// The property on one backend (PostgreSQL only when `DOORSTEP_TEST_PG_URL` is set).
fn hostile_rosters_on(backend: doorstep_testkit::Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::new(backend)) else {
        return;
    };
    rt.block_on(demo_community(db.store.as_ref()));
    let dir = tempfile::tempdir().unwrap();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let opts = ImportOptions {
        into: AreaPath::parse(COMMUNITY).unwrap(),
        actor: Actor {
            name: "fuzz".into(),
            source: "import".into(),
            within: None,
        },
        lang: Lang::Zh,
        keep_rejects: true,
        bulk: None,
        batch_rows: None,
        audit: None,
    };
    runner
        .run(&roster(), |bytes| {
            let file = dir.path().join("roster");
            std::fs::write(&file, &bytes).unwrap();
            let t0 = Instant::now();
            let out = rt.block_on(import_persons(db.store.as_ref(), file, &opts, |_| {}));
            prop_assert!(
                t0.elapsed() < Duration::from_secs(20),
                "slow: {:?}",
                t0.elapsed()
            );
            match out {
                Ok(report) => {
                    prop_assert_eq!(
                        report.rows,
                        report.created + report.updated + report.unchanged + report.rejected
                    );
                    for e in &report.errors {
                        prop_assert!(!e.message.is_empty());
                    }
                }
                Err(e) => {
                    prop_assert!(!e.message(Lang::Zh).is_empty());
                    prop_assert!(!e.message(Lang::En).is_empty());
                }
            }
            Ok(())
        })
        .unwrap();
}
