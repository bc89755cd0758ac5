//! The daily report (日报) for staff: the dashboard (`/daily`: the total, then each street
//! and community with its figures linking to the lists behind them, sign-off state and the
//! sign button), its printable table (`/daily/print`), the XLSX download (`/daily/xlsx`),
//! the 14-day charts as server-drawn SVG (`/daily/trend`), and signing (`POST /daily/sign`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::daily::{DailyDesk, DailyReport, ReportRow, RowKind, percent};
use doorstep_core::daily::{FIGURES, Figure, Figures, Section};
use doorstep_core::{AreaKind, AreaPath};
use serde::Deserialize;

use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// The report's choice of area and day.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DayQuery {
    area: String,
    day: String,
}

/// One figure as shown: its label, value, the list behind it, and the signed value when it
/// changed since the sign-off.
pub struct FigureCell {
    pub key: &'static str,
    pub label: &'static str,
    pub value: i64,
    pub href: String,
    pub signed_value: Option<i64>,
}

/// A section of figures.
pub struct SectionView {
    pub title: &'static str,
    pub cells: Vec<FigureCell>,
    /// The testing section's coverage of the current round.
    pub coverage: Option<String>,
}

/// One row (a district, street or community).
pub struct RowView {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub rollup: bool,
    pub community: bool,
    pub depth: usize,
    pub coverage: String,
    pub sections: Vec<SectionView>,
    /// Signed by whom, when.
    pub signed: Option<(String, String)>,
    /// How many figures changed since the sign-off.
    pub changed: usize,
    pub may_sign: bool,
    pub path: String,
    /// The cells in the registry's order (the printable table).
    pub values: Vec<i64>,
}

/// The list behind figure `f` of area `row` on `day`.
fn link(f: &Figure, id: i64, path: &AreaPath, day: &str) -> String {
    f.link
        .replace("{area_id}", &id.to_string())
        .replace("{path}", &urlencode(path.as_str()))
        .replace("{day}", day)
}

fn sections(
    t: T,
    figures: &Figures,
    signed: Option<&Figures>,
    id: i64,
    path: &AreaPath,
    day: &str,
) -> Vec<SectionView> {
    Section::ALL
        .iter()
        .map(|s| SectionView {
            title: s.label(t.0),
            cells: FIGURES
                .iter()
                .filter(|f| f.section == *s)
                .map(|f| {
                    let value = figures.get(f.key);
                    FigureCell {
                        key: f.key,
                        label: f.label(t.0),
                        value,
                        href: link(f, id, path, day),
                        signed_value: signed.map(|g| g.get(f.key)).filter(|v| *v != value),
                    }
                })
                .collect(),
            coverage: (*s == Section::Testing).then(|| percent(figures.coverage_permille())),
        })
        .collect()
}

fn row_view(u: &PageUser, r: &ReportRow, day: &str) -> RowView {
    let t = u.t;
    RowView {
        id: r.area.id,
        name: r.area.name.clone(),
        kind: match r.kind {
            RowKind::Outside => t.s("dr_outside"),
            _ => r.area.kind.label(t.0),
        },
        rollup: r.kind == RowKind::Rollup,
        community: r.kind == RowKind::Community,
        depth: r.depth,
        coverage: percent(r.figures.coverage_permille()),
        sections: sections(
            t,
            &r.figures,
            r.signed.as_ref().map(|s| &s.signoff.figures),
            r.area.id,
            &r.area.path,
            day,
        ),
        signed: r.signed.as_ref().map(|s| {
            (
                s.signoff.signed_by.clone(),
                china_minute(s.signoff.signed_at),
            )
        }),
        changed: r.signed.as_ref().map_or(0, |s| s.changed.len()),
        may_sign: r.kind == RowKind::Community
            && r.area.kind == AreaKind::Community
            && u.who.authorize(Action::SignDaily, &r.area.path).is_ok(),
        path: r.area.path.to_string(),
        values: FIGURES.iter().map(|f| r.figures.get(f.key)).collect(),
    }
}

/// The dashboard.
#[derive(Template, WebTemplate)]
#[template(path = "daily.html")]
pub struct DailyPage {
    t: T,
    nav: Nav,
    csrf: String,
    area: String,
    day: String,
    areas: Vec<(String, String)>,
    total: Vec<SectionView>,
    rows: Vec<RowView>,
    signed: usize,
    communities: usize,
    unsigned: Vec<String>,
    query: String,
}

/// The area choices: the user's own area and the streets and communities under it.
async fn area_choices(s: &AppState, u: &PageUser) -> Result<Vec<(String, String)>, PageError> {
    let mut out = Vec::new();
    if let Some(own) = u.who.area() {
        out.push((own.to_string(), own.to_string()));
        for kind in [AreaKind::Street, AreaKind::Community] {
            for a in s
                .store
                .areas_of_kind(own, kind)
                .await
                .map_err(|e| u.fail(e.into()))?
            {
                if a.path != *own {
                    out.push((a.path.to_string(), a.path.to_string()));
                }
            }
        }
    }
    Ok(out)
}

async fn report(s: &AppState, u: &PageUser, q: &DayQuery) -> Result<DailyReport, PageError> {
    DailyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .report(&q.area, &q.day)
        .await
        .map_err(|e| u.fail(e))
}

fn query_of(r: &DailyReport) -> String {
    format!("area={}&day={}", urlencode(r.area.path.as_str()), r.day)
}

/// `GET /daily`: the dashboard of an area (the user's own by default) for a day (today).
async fn dashboard(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let r = report(&s, &u, &q).await?;
    let day = r.day.to_string();
    let (signed, communities) = r.signed_count();
    let unsigned = r
        .communities()
        .filter(|c| c.signed.is_none())
        .map(|c| c.area.name.clone())
        .collect();
    Ok(DailyPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area: r.area.path.to_string(),
        areas: area_choices(&s, &u).await?,
        total: sections(u.t, &r.total, None, r.area.id, &r.area.path, &day),
        rows: r.rows.iter().map(|row| row_view(&u, row, &day)).collect(),
        signed,
        communities,
        unsigned,
        query: query_of(&r),
        day,
    }
    .into_response())
}

/// The printable table: one A4 (landscape) sheet, a row per area, a column per figure.
#[derive(Template, WebTemplate)]
#[template(path = "daily_print.html")]
pub struct DailyPrintPage {
    t: T,
    area: String,
    day: String,
    labels: Vec<&'static str>,
    rows: Vec<RowView>,
    total: Vec<i64>,
    coverage: String,
    printed: String,
    query: String,
}

/// `GET /daily/print`.
async fn print(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let r = report(&s, &u, &q).await?;
    let day = r.day.to_string();
    Ok(DailyPrintPage {
        t: u.t,
        area: r.area.path.to_string(),
        labels: FIGURES.iter().map(|f| f.label(u.t.0)).collect(),
        rows: r.rows.iter().map(|row| row_view(&u, row, &day)).collect(),
        total: FIGURES.iter().map(|f| r.total.get(f.key)).collect(),
        coverage: percent(r.total.coverage_permille()),
        printed: china_minute(u.ctx.now()),
        query: query_of(&r),
        day,
    }
    .into_response())
}

/// `GET /daily/xlsx`: the report as a workbook.
async fn xlsx(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let (bytes, name) = crate::api::daily::workbook(&s, &u.who, &u.ctx, &q.area, &q.day, u.t.0)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(crate::api::reports_download(
        bytes,
        &name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}

/// One bar of a chart.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub h: u32,
    pub value: i64,
    pub day: String,
}

/// One figure's last 14 days.
pub struct Chart {
    pub title: &'static str,
    pub href: String,
    pub max: i64,
    pub last: i64,
    pub bars: Vec<Bar>,
    pub first_day: String,
    pub last_day: String,
}

/// Chart geometry (SVG user units): bars of `BAR_W` every `STEP`, `PLOT_H` high under a
/// `TOP` margin.
const STEP: u32 = 20;
const BAR_W: u32 = 14;
const PLOT_H: u32 = 80;
const TOP: u32 = 4;

/// A chart of `values` (oldest first); bars scale to the largest value.
pub fn chart(title: &'static str, href: String, days: &[String], values: &[i64]) -> Chart {
    let max = values.iter().copied().max().unwrap_or(0).max(0);
    let bars = values
        .iter()
        .zip(days)
        .enumerate()
        .map(|(i, (v, d))| {
            let h = if max == 0 {
                0
            } else {
                u32::try_from((v.max(&0) * i64::from(PLOT_H)) / max).unwrap_or(PLOT_H)
            };
            // A value above zero always shows as a sliver.
            let h = if *v > 0 { h.max(2) } else { h };
            Bar {
                x: u32::try_from(i).unwrap_or(0) * STEP + (STEP - BAR_W) / 2,
                y: TOP + PLOT_H - h,
                h,
                value: *v,
                day: d.clone(),
            }
        })
        .collect();
    Chart {
        title,
        href,
        max,
        last: values.last().copied().unwrap_or(0),
        bars,
        first_day: days.first().cloned().unwrap_or_default(),
        last_day: days.last().cloned().unwrap_or_default(),
    }
}

/// The charts page.
#[derive(Template, WebTemplate)]
#[template(path = "daily_trend.html")]
pub struct DailyTrendPage {
    t: T,
    nav: Nav,
    area: String,
    day: String,
    charts: Vec<Chart>,
    query: String,
    width: u32,
}

/// `GET /daily/trend`: each figure's last 14 days as a bar chart (SVG drawn here, no script).
async fn trend(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let (area, series) = DailyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .trend(&q.area, &q.day)
        .await
        .map_err(|e| u.fail(e))?;
    let days: Vec<String> = series.iter().map(|(d, _)| d.to_string()).collect();
    let day = days.last().cloned().unwrap_or_default();
    let charts = FIGURES
        .iter()
        .filter(|f| f.section != Section::Population)
        .map(|f| {
            let values: Vec<i64> = series.iter().map(|(_, v)| v.get(f.key)).collect();
            chart(
                f.label(u.t.0),
                link(f, area.id, &area.path, &day),
                &days,
                &values,
            )
        })
        .collect();
    Ok(DailyTrendPage {
        t: u.t,
        nav: u.nav.clone(),
        query: format!("area={}&day={}", urlencode(area.path.as_str()), day),
        area: area.path.to_string(),
        day,
        charts,
        width: STEP * u32::from(doorstep_app::daily::CHART_DAYS),
    }
    .into_response())
}

/// The sign-off form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignForm {
    csrf: String,
    /// The community signing.
    area: String,
    day: String,
    /// The report to go back to.
    back: String,
}

/// `POST /daily/sign`: signs the community's report for the day, then back to the report.
async fn sign(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<SignForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = DailyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .sign(&f.area, &f.day)
        .await
        .map_err(|e| u.fail(e))?;
    let back = if f.back.is_empty() { &f.area } else { &f.back };
    Ok(Redirect::to(&format!(
        "/daily?area={}&day={}#a-{}",
        urlencode(back),
        done.day,
        done.area_id
    ))
    .into_response())
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/daily.css"),
    )
}

/// The daily report's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/daily", get(dashboard))
        .route("/daily/print", get(print))
        .route("/daily/xlsx", get(xlsx))
        .route("/daily/trend", get(trend))
        .route("/daily/sign", post(sign))
        .route("/static/daily.css", get(css))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_zero_draws_nothing() {
        let days: Vec<String> = (1..=3).map(|d| format!("2026-01-0{d}")).collect();
        let c = chart("x", String::new(), &days, &[0, 5, 10]);
        assert_eq!(c.max, 10);
        assert_eq!(c.bars[0].h, 0);
        assert_eq!(c.bars[1].h, PLOT_H / 2);
        assert_eq!(c.bars[2].h, PLOT_H);
        assert_eq!(c.bars[2].y, TOP);
        assert_eq!(c.bars[1].x, STEP + (STEP - BAR_W) / 2);
    }
}
