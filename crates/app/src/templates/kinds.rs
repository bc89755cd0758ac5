//! The rows of the kinds beyond the registry's own: test results (one per person per round's
//! sample), investigation list calls (one per list row, its latest call) and the daily
//! report's figures (one per community per day). Each kind only makes its rows' fields in
//! `RowKind::fields` order; reading by pages and writing go through `export.rs`.

use std::path::Path;

use doorstep_core::daily::{FIGURES, day_bounds};
use doorstep_core::idnum::mask_middle;
use doorstep_core::templates::Template;
use doorstep_core::{AreaPath, Lang};
use doorstep_store::{CallOutcomeRow, DayQuery, Store, TestResultRow, UnitFigures};
use time::{Date, OffsetDateTime};

use super::export::{PAGE, finish, send_pages, spawn_writer};
use crate::clock::{CHINA, china_minute};
use crate::error::AppResult;
use crate::export::{ExportError, SheetFormat};
use crate::lists::{repeats, row_state};

/// A test result that has not come back yet, as its cell reads (a mapping can rename it).
pub const PENDING: &str = "待出结果";

/// The China day of an instant, `YYYY-MM-DD`.
fn china_day(t: OffsetDateTime) -> String {
    t.to_offset(CHINA).date().to_string()
}

fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.to_string()
}

pub(super) async fn test_results(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
    masked: bool,
) -> AppResult<u64> {
    let (tx, writer) = spawn_writer(template, format, path, move |r: &TestResultRow| {
        test_result_fields(r, masked)
    });
    let read = send_pages(
        &tx,
        |r: &TestResultRow| r.sample_id,
        |after| store.test_results_after(area, after, PAGE),
    )
    .await;
    finish(read, tx, writer).await
}

/// A sample's fields in `TEST_RESULT_FIELDS` order.
fn test_result_fields(r: &TestResultRow, masked: bool) -> Vec<String> {
    let f = &r.person.fields;
    let phone = f.phone().map_or_else(String::new, |p| {
        if masked {
            p.masked()
        } else {
            p.as_str().to_string()
        }
    });
    vec![
        r.round.clone(),
        r.tube.clone(),
        f.name().to_string(),
        f.doc().doc_type().label_zh().to_string(),
        if masked {
            f.doc().masked()
        } else {
            f.doc().number().to_string()
        },
        phone,
        r.person.address.clone(),
        r.person.area_path.as_str().to_string(),
        r.mode.label(Lang::Zh).to_string(),
        yes_no(r.retest),
        china_minute(r.sampled_at),
        china_day(r.sampled_at),
        r.sampled_by.clone(),
        r.result.map_or(PENDING, |x| x.label(Lang::Zh)).to_string(),
        r.result_at.map(china_minute).unwrap_or_default(),
        r.result_at.map(china_day).unwrap_or_default(),
        r.lab.clone().unwrap_or_default(),
    ]
}

pub(super) async fn call_outcomes(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
    masked: bool,
) -> AppResult<u64> {
    let (tx, writer) = spawn_writer(template, format, path, move |r: &CallOutcomeRow| {
        call_outcome_fields(r, masked)
    });
    let read = send_pages(
        &tx,
        |r: &CallOutcomeRow| r.row.id,
        |after| store.call_outcomes_after(area, after, PAGE),
    )
    .await;
    finish(read, tx, writer).await
}

/// A list row's fields in `CALL_OUTCOME_FIELDS` order: the row as received (its ID number
/// and phone masked as the list's pages mask them), then what its latest call came to, as
/// the return file writes it.
fn call_outcome_fields(o: &CallOutcomeRow, masked: bool) -> Vec<String> {
    let r = &o.row;
    let state = row_state(r);
    let task = r.task.as_ref();
    let (id_number, phone) = if masked {
        (mask_middle(&r.id_number, 6, 4), mask_middle(&r.phone, 3, 4))
    } else {
        (r.id_number.clone(), r.phone.clone())
    };
    vec![
        o.list.clone(),
        r.seq.to_string(),
        r.name.clone(),
        id_number,
        phone,
        r.risk_place.clone(),
        r.seen_at.clone(),
        r.source.clone(),
        r.match_kind
            .map(|m| m.label(Lang::Zh).to_string())
            .unwrap_or_default(),
        state.label(Lang::Zh),
        task.filter(|_| !state.is_open())
            .map(|t| t.outcome_note.clone())
            .unwrap_or_default(),
        r.calls.to_string(),
        task.and_then(|t| t.assignee.clone()).unwrap_or_default(),
        task.map(|t| china_minute(t.updated_at)).unwrap_or_default(),
        task.map(|t| china_day(t.updated_at)).unwrap_or_default(),
        repeats(r.list_id, r),
    ]
}

/// One community's figures for a day with its sign-off.
struct DayRow {
    day: Date,
    unit: UnitFigures,
    signed: Option<(String, OffsetDateTime)>,
}

pub(super) async fn daily_figures(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
    days: Vec<Date>,
    now: OffsetDateTime,
) -> AppResult<u64> {
    let (tx, writer) = spawn_writer(template, format, path, daily_fields);
    let read = async {
        for day in days {
            let (from, to) = day_bounds(day);
            let q = DayQuery {
                area: area.clone(),
                day,
                from,
                to,
                now,
            };
            let units = store.daily_figures(&q).await?;
            let signoffs = store.daily_signoffs(area, day).await?;
            let rows: Vec<DayRow> = units
                .into_iter()
                .map(|unit| DayRow {
                    day,
                    signed: signoffs
                        .iter()
                        .find(|s| s.area_id == unit.area.id)
                        .map(|s| (s.signed_by.clone(), s.signed_at)),
                    unit,
                })
                .collect();
            if tx.send(rows).await.is_err() {
                break;
            }
        }
        Ok::<(), ExportError>(())
    }
    .await;
    finish(read, tx, writer).await
}

/// A community's day in `DAILY_FIELDS` order.
fn daily_fields(r: &DayRow) -> Vec<String> {
    let f = &r.unit.figures;
    let mut cells = vec![
        r.day.to_string(),
        r.unit.area.path.as_str().to_string(),
        r.unit.area.name.clone(),
        r.signed.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
        r.signed
            .as_ref()
            .map(|s| china_minute(s.1))
            .unwrap_or_default(),
    ];
    cells.extend(FIGURES.iter().map(|x| f.get(x.key).to_string()));
    cells.push(crate::daily::percent(f.coverage_permille()));
    cells
}
