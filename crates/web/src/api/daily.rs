//! The daily report (日报) as JSON and XLSX, and a community's sign-off, through
//! `doorstep_app::daily::DailyDesk`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use doorstep_app::daily::{DailyDesk, DailyReport, ReportRow, RowKind, percent};
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_core::Lang;
use doorstep_core::daily::{FIGURES, Figures};
use doorstep_store::Signoff;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// Which report.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams, ToSchema)]
#[serde(default)]
pub struct DailyParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// The China day, `YYYY-MM-DD`; today when left out. Never after today.
    pub day: String,
}

/// One figure of the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct FigureInfo {
    /// Its key in `figures`.
    pub key: String,
    /// 中文
    pub label_zh: String,
    /// English.
    pub label_en: String,
}

/// A sign-off.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignoffResponse {
    /// The community's id.
    pub area_id: i64,
    /// Its path.
    pub area: String,
    /// The day.
    pub day: String,
    /// Who signed.
    pub signed_by: String,
    /// When (RFC 3339).
    pub signed_at: String,
    /// The figures as signed.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub figures: BTreeMap<String, i64>,
    /// The figures whose value differs now (in a report; empty in the answer to a sign-off).
    pub changed: Vec<String>,
}

impl SignoffResponse {
    fn of(s: &Signoff, changed: &[&str]) -> Self {
        SignoffResponse {
            area_id: s.area_id,
            area: s.area_path.to_string(),
            day: s.day.to_string(),
            signed_by: s.signed_by.clone(),
            signed_at: rfc3339(s.signed_at),
            figures: s.figures.0.clone(),
            changed: changed.iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// One row of the report: a district or street (the sum of its communities), a community,
/// or what lies outside every community.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyRow {
    /// The area's id.
    pub area_id: i64,
    /// Its path.
    pub area: String,
    /// Its name.
    pub name: String,
    /// `district`, `street`, `community` (…), or `outside`.
    pub kind: String,
    /// A sum of the communities under it.
    pub rollup: bool,
    /// Every figure, by key.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub figures: BTreeMap<String, i64>,
    /// Testing coverage of the current round (sampled / persons), `12.3%`.
    pub coverage: String,
    /// A community's sign-off, if signed.
    pub signed: Option<SignoffResponse>,
}

/// The daily report.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyResponse {
    /// The area asked for.
    pub area: String,
    /// The day.
    pub day: String,
    /// The figures, in the report's order.
    pub figures: Vec<FigureInfo>,
    /// The rows in tree order.
    pub rows: Vec<DailyRow>,
    /// The whole area (the sum of the communities).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub total: BTreeMap<String, i64>,
    /// How many communities have signed.
    pub signed: usize,
    /// How many communities there are.
    pub communities: usize,
}

fn row(r: &ReportRow) -> DailyRow {
    DailyRow {
        area_id: r.area.id,
        area: r.area.path.to_string(),
        name: r.area.name.clone(),
        kind: match r.kind {
            RowKind::Outside => "outside".into(),
            _ => r.area.kind.code().into(),
        },
        rollup: r.kind == RowKind::Rollup,
        figures: r.figures.0.clone(),
        coverage: percent(r.figures.coverage_permille()),
        signed: r
            .signed
            .as_ref()
            .map(|s| SignoffResponse::of(&s.signoff, &s.changed)),
    }
}

impl From<&DailyReport> for DailyResponse {
    fn from(r: &DailyReport) -> Self {
        let (signed, communities) = r.signed_count();
        DailyResponse {
            area: r.area.path.to_string(),
            day: r.day.to_string(),
            figures: FIGURES
                .iter()
                .map(|f| FigureInfo {
                    key: f.key.into(),
                    label_zh: f.zh.into(),
                    label_en: f.en.into(),
                })
                .collect(),
            rows: r.rows.iter().map(row).collect(),
            total: Figures::clone(&r.total).0,
            signed,
            communities,
        }
    }
}

/// The daily report of an area for a day: every figure counted from the rows per community,
/// the streets and districts summed, each community's sign-off with the figures changed
/// since. `404` for an area outside the caller's; `403` for a role that may not see reports;
/// `422` for a bad or future day.
#[utoipa::path(get, path = "/daily-report", tag = "daily", params(DailyParams),
    security(("bearer" = [])),
    responses((status = 200, body = DailyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<DailyParams>,
) -> Result<Json<DailyResponse>, ApiError> {
    let r = DailyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .report(&q.area, &q.day)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(DailyResponse::from(&r)))
}

/// The daily report as an XLSX workbook (audited `daily.export`): a row per area as in the
/// JSON, a column per figure, the coverage and the sign-off, then the total.
#[utoipa::path(get, path = "/daily-report/xlsx", tag = "daily", params(DailyParams),
    security(("bearer" = [])),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn xlsx(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<DailyParams>,
) -> Result<Response, ApiError> {
    let (bytes, name) = workbook(&s, &u.who, &u.ctx, &q.area, &q.day, u.lang)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(super::reports::download(
        bytes,
        &name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}

/// The report as XLSX bytes and a file name (the page's download too).
pub async fn workbook(
    s: &AppState,
    who: &doorstep_app::access::Principal,
    ctx: &doorstep_app::access::Ctx,
    area: &str,
    day: &str,
    lang: Lang,
) -> Result<(Vec<u8>, String), AppError> {
    let desk = DailyDesk::new(s.store.as_ref(), who, ctx);
    let r = desk.report(area, day).await?;
    let report = &r;
    let (_, bytes) = super::reports::written("xlsx", |path| async move {
        desk.write(report, SheetFormat::Xlsx, &path, lang).await
    })
    .await?;
    Ok((bytes, format!("{}-日报-{}.xlsx", r.area.name, r.day)))
}

/// Signs off a community's report for a day with its figures as counted now (audited
/// `daily.sign`); signing again replaces the earlier sign-off. `422 sign_community_only` at
/// `area` for an area that is not a community; `403` for a role that may not sign; `404`
/// outside the caller's area.
#[utoipa::path(post, path = "/daily-report/sign", tag = "daily", request_body = DailyParams,
    security(("bearer" = [])),
    responses((status = 200, body = SignoffResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(s): State<AppState>,
    u: ApiUser,
    Json(b): Json<DailyParams>,
) -> Result<Json<SignoffResponse>, ApiError> {
    let done = DailyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .sign(&b.area, &b.day)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(SignoffResponse::of(&done, &[])))
}

/// The daily report's routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(xlsx))
        .routes(routes!(sign))
}
