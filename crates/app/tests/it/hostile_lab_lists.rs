//! Hostile lab-result files and investigation lists (issue 17). Whatever arrives as a lab's
//! results file (`doorstep import results`, `LabDesk::import_results`) or as an investigation
//! list (`ListDesk::import`, with a column mapping chosen, remembered, guessed or none, then
//! `ListDesk::map`) — CSV with stray quotes, mixed line ends, GBK, formula cells, tube codes
//! real, unknown and malformed, results and times in every spelling, mappings naming fields
//! and headers that do not exist, random bytes, a zip header over garbage, a real workbook cut
//! short — is taken or refused with a message in both languages: never a panic, a hang, or a
//! storage or internal error (a 500 on the web). On SQLite and on PostgreSQL.
//!
//! The cases per run come from `PROPTEST_CASES` (default 32, a smoke run in CI);
//! `bench/fuzz.sh` runs them at scale. Failing cases are kept in `bench/fuzz-corpus/` and
//! replayed first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::error::AppError;
use doorstep_app::import::ImportError;
use doorstep_app::lists::ListDesk;
use doorstep_app::rounds::LabDesk;
use doorstep_core::{Lang, Role};
use doorstep_store::StoreError;
use doorstep_testkit::{
    Backend, COMMUNITY, TestApp, TestDb, csv_file, id, import_into, two_compounds, user,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::json;

const RESULTS_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bench/fuzz-corpus/lab-results.txt"
);
const LISTS_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bench/fuzz-corpus/lists.txt"
);

/// The tubes the setup fills: LB000001 closed with five persons, LB000002 open with one.
const TUBES: [&str; 2] = ["LB000001", "LB000002"];

/// Cells a careless or hostile file holds, leaning on what each kind of file should hold.
fn cell(own: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(own).prop_map(str::to_string),
        2 => "[\\PC]{0,12}",
        1 => Just(String::new()),
        1 => prop::sample::select(&[
            "\"", "a\"b", "\"\"", "=cmd|' /C calc'!A0", "\r", "\n", "\u{feff}", "\u{0}",
            "\u{202e}", "𠀀", "1.23456789012346E+17", "+86 138-0000-0000", "45678", "-1",
            "'; DROP TABLE tubes; --", "<b>x</b>",
        ][..]).prop_map(str::to_string),
        1 => (0u16..40).prop_map(|i| id(i, i % 2 == 0)),
        1 => "啊{200,3000}",
    ]
}

/// What a results file's cells should hold.
const RESULT_CELLS: &[&str] = &[
    "LB000001",
    "LB000002",
    "lb000001",
    " LB000001 ",
    "LB999999",
    "LB-0001",
    "LB00000１",
    "阳性",
    "阴性",
    "positive",
    "negative",
    "POSITIVE",
    "无效",
    "待复检",
    "+",
    "-",
    "2026-12-07 10:00",
    "2026-12-07T10:00",
    "2026/12/7 10:00",
    "2026-13-40 25:00",
    "46000.5",
    "试管码",
    "检测结果",
    "检测时间",
    "tube",
    "result",
    "tested_at",
];

/// What a list's cells should hold.
const LIST_CELLS: &[&str] = &[
    "甲一",
    "乙二",
    "张三",
    "410103199001010011",
    "13800138000",
    "138 0013 8000",
    "12345",
    "农贸市场",
    "2026-12-05 14:00",
    "12月5日",
    "市疾控",
    "姓名",
    "证件号码",
    "手机号",
    "风险地点",
    "时间",
    "来源",
    "身份证号",
    "电话",
];

/// A CSV file's bytes from its rows (a header row or not, chosen by the caller), any line end,
/// sometimes GBK.
fn csv(
    own: &'static [&'static str],
    header: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(cell(own), 0..8), 0..25),
        prop::collection::vec(prop_oneof![Just("\n"), Just("\r\n"), Just("\r")], 1..4),
        prop::sample::subsequence(header, 0..=header.len()),
        any::<bool>(),
    )
        .prop_map(|(rows, eols, head, gbk)| {
            let mut out = String::new();
            if !head.is_empty() {
                out += &head.join(",");
                out += eols[0];
            }
            for (i, r) in rows.iter().enumerate() {
                out += &r.join(",");
                out += eols[i % eols.len()];
            }
            if gbk {
                encoding_rs::GB18030.encode(&out).0.into_owned()
            } else {
                out.into_bytes()
            }
        })
}

/// A workbook of these cells (strings and numbers), or cut short.
fn workbook(rows: &[Vec<String>], cut: Option<f64>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() => sheet.write_number(r as u32, c as u16, n),
                _ => sheet.write_string(r as u32, c as u16, v),
            }
            .unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    match cut {
        Some(f) => bytes[..(bytes.len() as f64 * f) as usize].to_vec(),
        None => bytes,
    }
}

/// A file's bytes: CSV, a workbook (whole or cut), random bytes, a zip header over garbage.
fn file(
    own: &'static [&'static str],
    header: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    let sheet = (
        prop::sample::subsequence(header, 0..=header.len()),
        prop::collection::vec(prop::collection::vec(cell(own), 0..6), 0..15),
        prop::option::weighted(0.3, 0.0f64..1.0),
    )
        .prop_map(|(head, mut rows, cut)| {
            rows.insert(0, head.iter().map(|h| h.to_string()).collect());
            workbook(&rows, cut)
        });
    prop_oneof![
        4 => csv(own, header),
        2 => sheet,
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        1 => prop::collection::vec(any::<u8>(), 0..2048).prop_map(|b| {
            let mut z = b"PK\x03\x04".to_vec();
            z.extend(b);
            z
        }),
    ]
}

/// Whether a refusal is one a person can read (a 4xx on the web), not a failure of the
/// server (a 5xx): an error otherwise.
fn explained(e: &AppError) -> Result<(), String> {
    match e {
        AppError::Internal(_)
        | AppError::Store(StoreError::Other(_) | StoreError::Unavailable(_))
        | AppError::Import(ImportError::Internal(_))
        | AppError::Import(ImportError::Store(StoreError::Other(_))) => {
            Err(format!("a server failure, not a refusal: {e:?}"))
        }
        AppError::Import(i) => {
            if i.message(Lang::Zh).trim().is_empty() || i.message(Lang::En).trim().is_empty() {
                return Err(format!("an import refusal without a message: {i:?}"));
            }
            Ok(())
        }
        AppError::Validation(problems) => {
            if problems.is_empty()
                || problems.iter().any(|p| {
                    p.problem.message(Lang::Zh).trim().is_empty()
                        || p.problem.message(Lang::En).trim().is_empty()
                })
            {
                return Err(format!(
                    "a validation refusal without messages: {problems:?}"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// 佳纷天地's six persons, an open round over it with pools of 5: LB000001 full (persons 1–5,
/// closed by its fifth), LB000002 with person 6.
async fn round_with_tubes(app: &TestApp) {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,小区,楼栋,单元,房号\n");
    for n in 1..=6u16 {
        rows += &format!("甲{n},{},佳纷天地,1,,10{n}\n", id(n, n % 2 == 1));
    }
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "s-jf",
        Role::Sampler,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin
        .send(
            "POST",
            "/api/v1/rounds",
            Some(json!({"area": COMMUNITY, "name": "化验", "pool_size": 5,
                        "areas": [format!("{COMMUNITY}/佳纷天地")]})),
        )
        .await;
    assert!(st.is_success(), "{r}");
    let rid = r["id"].as_i64().unwrap();
    let (st, r, _) = admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    assert!(st.is_success(), "{r}");
    let sampler = app.login_api("s-jf").await;
    for n in 1..=6u16 {
        let tube = TUBES[usize::from(n / 6)];
        let (st, r, _) = sampler
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/scans"),
                Some(json!({"client_id": format!("c{n}"), "tube": tube,
                            "person": {"id_number": id(n, n % 2 == 1)}})),
            )
            .await;
        assert!(st.is_success(), "{r}");
    }
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

fn write(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
    let file = dir.join("upload");
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn hostile_lab_results_record_or_refuse_clearly() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        lab_results_on(backend);
    }
}

fn lab_results_on(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::new(backend)) else {
        return;
    };
    let app = TestApp::new(&db);
    rt.block_on(round_with_tubes(&app));
    let dir = tempfile::tempdir().unwrap();
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = LabDesk::new(db.store.as_ref(), &office, &ctx);
    // What the cases build on: a good file records its tube.
    let good = write(
        dir.path(),
        "试管码,检测结果,检测时间\nLB000001,阴性,2026-12-07 10:00\n".as_bytes(),
    );
    let (done, errors) = rt.block_on(desk.import_results(good, Lang::Zh)).unwrap();
    assert_eq!((done.recorded, errors.len()), (1, 0), "{done:?} {errors:?}");
    let mut runner = TestRunner::new(Config {
        cases: cases(32),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(RESULTS_CORPUS))),
        ..Config::default()
    });
    let header: &'static [&'static str] = &["试管码", "检测结果", "检测时间"];
    runner
        .run(
            &(file(RESULT_CELLS, header), any::<bool>()),
            |(bytes, zh)| {
                let lang = if zh { Lang::Zh } else { Lang::En };
                let path = write(dir.path(), &bytes);
                let t0 = Instant::now();
                let out = rt.block_on(desk.import_results(path, lang));
                prop_assert!(
                    t0.elapsed() < Duration::from_secs(20),
                    "slow: {:?}",
                    t0.elapsed()
                );
                match out {
                    Ok((_, errors)) => {
                        for e in &errors {
                            prop_assert!(!e.message.trim().is_empty(), "{e:?}");
                            prop_assert!(!e.code.is_empty(), "{e:?}");
                        }
                    }
                    Err(e) => explained(&e).map_err(TestCaseError::fail)?,
                }
                Ok(())
            },
        )
        .unwrap();
    drop(app);
    rt.block_on(db.cleanup());
}

/// A mapping as a user or a hostile client might send it: field codes (real and not) to
/// header texts (real, and not).
fn mapping() -> impl Strategy<Value = Vec<(String, String)>> {
    let field = prop_oneof![
        4 => prop::sample::select(&["name", "id_number", "phone", "risk_place", "time", "source"][..])
            .prop_map(str::to_string),
        1 => "[\\PC]{0,8}",
    ];
    let header = prop_oneof![
        4 => prop::sample::select(LIST_HEADER).prop_map(str::to_string),
        1 => "[\\PC]{0,8}",
    ];
    prop::collection::vec((field, header), 0..8)
}

const LIST_HEADER: &[&str] = &["姓名", "证件号码", "手机号", "风险地点", "时间", "来源"];

#[test]
fn hostile_investigation_lists_import_or_refuse_clearly() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        lists_on(backend);
    }
}

fn lists_on(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::new(backend)) else {
        return;
    };
    let app = TestApp::new(&db);
    rt.block_on(round_with_tubes(&app));
    let dir = tempfile::tempdir().unwrap();
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = ListDesk::new(db.store.as_ref(), &office, &ctx);
    let mut runner = TestRunner::new(Config {
        cases: cases(32),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(LISTS_CORPUS))),
        ..Config::default()
    });
    // How the columns get mapped: chosen on upload, remembered/guessed (CLI), or later.
    let how = prop_oneof![
        mapping().prop_map(|m| (Some(m), false, None)),
        Just((None, true, None)),
        mapping().prop_map(|m| (None, false, Some(m))),
    ];
    let area = prop_oneof![
        8 => Just(COMMUNITY.to_string()),
        1 => Just(format!("{COMMUNITY}/佳纷天地")),
        1 => Just("二七区/不存在".to_string()),
        1 => "[\\PC]{0,12}",
    ];
    runner
        .run(
            &(file(LIST_CELLS, LIST_HEADER), how, area, "[\\PC]{0,120}"),
            |(bytes, (chosen, guess, later), area, name)| {
                let path = write(dir.path(), &bytes);
                let t0 = Instant::now();
                let out = rt.block_on(desk.import(&area, &name, path, chosen.as_deref(), guess));
                let imported = match out {
                    Ok(i) => i,
                    Err(e) => {
                        explained(&e).map_err(TestCaseError::fail)?;
                        return Ok(());
                    }
                };
                if let Some(m) = later
                    && imported.status == "mapping"
                    && let Err(e) = rt.block_on(desk.map(imported.id, &m))
                {
                    explained(&e).map_err(TestCaseError::fail)?;
                }
                let progress = rt.block_on(desk.progress(imported.id));
                prop_assert!(progress.is_ok(), "{progress:?}");
                prop_assert!(
                    t0.elapsed() < Duration::from_secs(20),
                    "slow: {:?}",
                    t0.elapsed()
                );
                Ok(())
            },
        )
        .unwrap();
    drop(app);
    rt.block_on(db.cleanup());
}
