//! The resident's form at `/r/{token}`: no login, no JavaScript. Step one picks the building
//! (or unit) from the registry under the link's area; step two fills in the room and the whole
//! household. "Add a member" posts the form back and gets it again with one more block; the
//! idempotency key is generated with the page, so a double tap or a retry stores one report.

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::reports::{
    self, AddressInput, AnswersInput, FieldProblem, MemberInput, PlaceCache, PublicError, Purpose,
    SubmissionInput, offered_risk_places,
};
use doorstep_core::{AreaKind, DocType, Lang};
use doorstep_store::{Area, PageRequest, ReportLink, ReportStatus, Store, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;
use crate::pages::{Nav, PageError};

/// One input of the form.
pub struct Input {
    /// The form field's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// What it holds.
    pub value: String,
    /// `text`, `tel`, `date`, `select`.
    pub kind: &'static str,
    /// The options of a select: (value, label).
    pub options: Vec<(String, String)>,
    /// The problem with it, in the resident's language.
    pub error: Option<String>,
    /// Whether it must be filled in.
    pub required: bool,
}

/// One member's block.
pub struct MemberBlock {
    /// 1-based, for people.
    pub no: usize,
    /// Its inputs.
    pub inputs: Vec<Input>,
}

/// A building or unit the resident may pick.
#[derive(Clone)]
pub struct PlaceOption {
    id: i64,
    label: String,
    compound: String,
    building: String,
    unit: String,
    area: Area,
}

/// The form page.
#[derive(Template, WebTemplate)]
#[template(path = "report_form.html")]
pub struct ReportFormPage {
    t: T,
    nav: Nav,
    title: String,
    area_name: String,
    /// Where step one (GET) and the form (POST) go: `/r/{token}`, or the correction page.
    action: String,
    /// Correcting a stored report rather than submitting a new one.
    correcting: bool,
    choose_place: bool,
    places: Vec<(i64, String)>,
    place_id: i64,
    place_label: String,
    can_change_place: bool,
    rooms: Vec<String>,
    room: String,
    room_other: String,
    address_error: Option<String>,
    idempotency_key: String,
    members: Vec<MemberBlock>,
    n: usize,
    answers: Vec<Input>,
    has_errors: bool,
}

/// The receipt page.
#[derive(Template, WebTemplate)]
#[template(path = "report_receipt.html")]
pub struct ReceiptPage {
    t: T,
    nav: Nav,
    title: String,
    token: String,
    receipt: String,
    status: String,
    address: String,
    members: Vec<(String, String)>,
    submitted_at: String,
    edit_until: String,
    /// The correction page, while the report may still be corrected.
    correct_url: Option<String>,
    /// Just corrected.
    corrected: bool,
}

fn nav(path: String) -> Nav {
    Nav {
        path,
        ..Nav::default()
    }
}

fn page_error(e: PublicError, t: T, ctx: &doorstep_app::access::Ctx) -> PageError {
    let l = t.0;
    match e {
        PublicError::NotFound => PageError::new(
            StatusCode::NOT_FOUND,
            t,
            l.pick("二维码无效，请向社区核实", "this code is not valid; ask your community"),
            ctx,
        ),
        PublicError::Closed => PageError::new(
            StatusCode::GONE,
            t,
            l.pick(
                "此报备二维码已停用或过期，请向社区索取新的二维码",
                "this report code has been withdrawn or has expired; ask your community for a new one",
            ),
            ctx,
        ),
        PublicError::Locked => PageError::new(
            StatusCode::CONFLICT,
            t,
            l.pick("报备已不能修改", "the report can no longer be corrected"),
            ctx,
        ),
        PublicError::KeyReused => PageError::new(
            StatusCode::CONFLICT,
            t,
            l.pick(
                "这份表单已经提交过，本次内容与提交时不同，未保存。如需修改已提交的报备，请打开提交后收到的回执页；如要为另一户报备，请重新扫码填写。",
                "this form was already submitted with different content, so nothing was saved. To change the report you sent, open the receipt page you got after sending it; to report another household, scan the code again.",
            ),
            ctx,
        ),
        PublicError::Invalid(_) => PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            t,
            l.pick("填写有误", "invalid input"),
            ctx,
        ),
        PublicError::Store(e) => PageError::from_app(e.into(), t, ctx),
        PublicError::Internal(cause) => {
            PageError::from_app(doorstep_app::error::AppError::Internal(cause), t, ctx)
        }
    }
}

/// What the receipt page is told.
#[derive(Debug, Deserialize, Default)]
pub struct ReceiptQuery {
    /// Set after a correction was saved.
    pub corrected: Option<String>,
}

/// Which step of the form.
#[derive(Debug, Deserialize, Default)]
pub struct FormQuery {
    /// The chosen building or unit.
    pub place: Option<i64>,
}

/// The buildings and units under the link's area that hold households (a building with units
/// is offered by its units), labelled by compound, building and unit.
async fn place_options(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
) -> Result<Vec<PlaceOption>, StoreError> {
    let tree = places.tree(store, link.area_id).await?;
    let holders = tree.holders();
    let has_units: HashSet<String> = holders
        .iter()
        .filter(|h| h.kind == AreaKind::Unit)
        .filter_map(|h| h.path.parent().map(|p| p.to_string()))
        .collect();
    let mut out = Vec::new();
    for h in holders {
        if h.kind == AreaKind::Building && has_units.contains(h.path.as_str()) {
            continue;
        }
        let (mut compound, mut building, mut unit) = (String::new(), String::new(), String::new());
        let mut p = Some(h.path.clone());
        while let Some(path) = p {
            match tree.area(&path) {
                Some(a) if a.kind == AreaKind::Unit => unit = a.name.clone(),
                Some(a) if a.kind == AreaKind::Building => building = a.name.clone(),
                Some(a) if a.kind == AreaKind::Compound => compound = a.name.clone(),
                _ => {}
            }
            p = path.parent();
        }
        let label = [compound.as_str(), building.as_str(), unit.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(PlaceOption {
            id: h.id,
            label,
            compound,
            building,
            unit,
            area: h.clone(),
        });
    }
    Ok(out)
}

/// What the form holds, as posted.
#[derive(Default)]
struct Posted {
    fields: HashMap<String, String>,
}

impl Posted {
    fn get(&self, k: &str) -> String {
        self.fields.get(k).cloned().unwrap_or_default()
    }
}

/// `GET /r/{token}`: the form (or step one, picking the building).
pub async fn show(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Query(q): Query<FormQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let link = reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let mut posted = Posted::default();
    if let Some(p) = q.place {
        posted.fields.insert("place".into(), p.to_string());
    }
    let key = doorstep_app::auth::random_hex(16).map_err(|e| PageError::from_app(e, t, &ctx))?;
    posted.fields.insert("idempotency_key".into(), key);
    FormPage::new(&s, &link, &token, format!("/r/{token}"), t, &ctx)
        .render(&posted, 1, &[])
        .await
}

/// `POST /r/{token}`: adds a member block, or submits the report.
pub async fn submit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let link = reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let page = FormPage::new(&s, &link, &token, format!("/r/{token}"), t, &ctx);
    let (posted, n, input) = match page.read_post(form).await? {
        Post::Page(page) => return Ok(page),
        Post::Report(posted, n, input) => (posted, n, input),
    };
    let result = reports::submit_with(s.store.as_ref(), &s.places, &token, &input, ctx.now())
        .await
        .map(|done| format!("/r/{token}/receipt/{}", done.report.receipt));
    page.saved(&posted, n, result).await
}

/// `GET /r/{token}/receipt/{receipt}/edit`: the form again, filled in with the stored report,
/// while the resident may still correct it (pending, within 24 hours).
pub async fn edit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path((token, receipt)): Path<(String, String)>,
    Query(q): Query<FormQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let (link, report) = correctable_report(&s, &token, &receipt, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let mut posted = Posted::default();
    let place = q.place.unwrap_or(report.area_id);
    posted.fields.insert("place".into(), place.to_string());
    if place == report.area_id {
        let key = if report.room_new {
            "room_other"
        } else {
            "room"
        };
        posted.fields.insert(key.into(), report.room.clone());
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let members = report.members.as_array().cloned().unwrap_or_default();
    for (i, m) in members.iter().enumerate() {
        for key in ["name", "id_type", "id_number", "phone", "relation"] {
            posted.fields.insert(
                format!("m{i}_{key}"),
                m.get(key).map(text).unwrap_or_default(),
            );
        }
    }
    if let Some(answers) = report.answers.as_object() {
        for (k, v) in answers {
            posted.fields.insert(k.clone(), text(v));
        }
    }
    let n = members.len().clamp(1, reports::MAX_MEMBERS);
    let action = format!("/r/{token}/receipt/{receipt}/edit");
    FormPage::new(&s, &link, &token, action, t, &ctx)
        .render(&posted, n, &[])
        .await
}

/// `POST /r/{token}/receipt/{receipt}/edit`: adds a member block, or saves the correction.
pub async fn save_edit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path((token, receipt)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let (link, report) = correctable_report(&s, &token, &receipt, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let action = format!("/r/{token}/receipt/{receipt}/edit");
    let page = FormPage::new(&s, &link, &token, action, t, &ctx);
    let (posted, n, input) = match page.read_post(form).await? {
        Post::Page(page) => return Ok(page),
        Post::Report(posted, n, input) => (posted, n, input),
    };
    let result = reports::correct_with(
        s.store.as_ref(),
        &s.places,
        &token,
        &report.receipt,
        &input,
        ctx.now(),
    )
    .await
    .map(|r| format!("/r/{token}/receipt/{}?corrected=1", r.receipt));
    page.saved(&posted, n, result).await
}

/// A posted form: the page to show again (a member block was added), or the report it holds
/// with its member count.
enum Post {
    Page(Response),
    Report(Posted, usize, Box<SubmissionInput>),
}

/// One report form being answered: what showing it and saving it need at every step.
struct FormPage<'a> {
    s: &'a AppState,
    link: &'a ReportLink,
    token: &'a str,
    /// Where the form posts to.
    action: String,
    t: T,
    ctx: &'a doorstep_app::access::Ctx,
}

impl<'a> FormPage<'a> {
    fn new(
        s: &'a AppState,
        link: &'a ReportLink,
        token: &'a str,
        action: String,
        t: T,
        ctx: &'a doorstep_app::access::Ctx,
    ) -> FormPage<'a> {
        FormPage {
            s,
            link,
            token,
            action,
            t,
            ctx,
        }
    }

    /// Reads a posted report form, for both a first submission and a correction.
    async fn read_post(&self, form: Vec<(String, String)>) -> Result<Post, PageError> {
        let posted = Posted {
            fields: form.into_iter().collect(),
        };
        let n = members_posted(&posted);
        if posted.get("action") == "add" {
            let more = (n + 1).min(reports::MAX_MEMBERS);
            let page = self.render(&posted, more, &[]).await?;
            return Ok(Post::Page(page));
        }
        let input = input_of(self.s, self.link, &posted, n)
            .await
            .map_err(|e| PageError::from_app(e.into(), self.t, self.ctx))?;
        Ok(Post::Report(posted, n, Box::new(input)))
    }

    /// The answer to a saved report: on to `url`, or the form again with the problems at
    /// their fields (422).
    async fn saved(
        &self,
        posted: &Posted,
        n: usize,
        result: Result<String, PublicError>,
    ) -> Result<Response, PageError> {
        match result {
            Ok(url) => Ok(Redirect::to(&url).into_response()),
            Err(PublicError::Invalid(problems)) => {
                let mut res = self.render(posted, n, &problems).await?;
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(res)
            }
            Err(e) => Err(page_error(e, self.t, self.ctx)),
        }
    }

    /// The form with `n` member blocks, filled in with `posted`, `problems` at their fields.
    async fn render(
        &self,
        posted: &Posted,
        n: usize,
        problems: &[FieldProblem],
    ) -> Result<Response, PageError> {
        let (s, link, token, action, t, ctx) = (
            self.s,
            self.link,
            self.token,
            self.action.as_str(),
            self.t,
            self.ctx,
        );
        let lang = t.0;
        let purpose = link.purpose;
        let fail = |e: StoreError| PageError::from_app(e.into(), t, ctx);
        let store = s.store.as_ref();
        let options = place_options(store, &s.places, link).await.map_err(fail)?;
        let place = chosen(&options, posted);
        let err = |path: &str| {
            problems
                .iter()
                .find(|p| p.path == path)
                .map(|p| p.problem.message(lang))
        };
        let rooms = match place {
            Some(p) => store
                .households(
                    &p.area.path,
                    None,
                    PageRequest {
                        offset: 0,
                        limit: 2000,
                    },
                )
                .await
                .map_err(fail)?
                .items
                .into_iter()
                .map(|h| h.room)
                .collect(),
            None => Vec::new(),
        };
        let address_error = [
            "address.compound",
            "address.building",
            "address.unit",
            "address.room",
        ]
        .iter()
        .find_map(|p| err(p));
        let text = |name: &str, label: &str, kind: &'static str, required: bool| Input {
            name: name.to_string(),
            label: label.to_string(),
            value: posted.get(name),
            kind,
            options: Vec::new(),
            error: None,
            required,
        };
        let doc_options: Vec<(String, String)> = DocType::ALL
            .iter()
            .map(|d| {
                (
                    d.code().to_string(),
                    match lang {
                        Lang::Zh => d.label_zh(),
                        Lang::En => d.label_en(),
                    }
                    .to_string(),
                )
            })
            .collect();
        let members = (0..n)
            .map(|i| {
                let mut inputs = vec![
                    text(&format!("m{i}_name"), t.s("name"), "text", true),
                    Input {
                        options: doc_options.clone(),
                        ..text(&format!("m{i}_id_type"), t.s("id_type"), "select", true)
                    },
                    text(&format!("m{i}_id_number"), t.s("id_number"), "text", true),
                    text(&format!("m{i}_phone"), t.s("rf_phone"), "tel", false),
                    text(&format!("m{i}_relation"), t.s("relation"), "text", false),
                ];
                for (input, key) in
                    inputs
                        .iter_mut()
                        .zip(["name", "id_type", "id_number", "phone", "relation"])
                {
                    input.error = err(&format!("members[{i}].{key}"));
                }
                MemberBlock { no: i + 1, inputs }
            })
            .collect();
        let mut answers = Vec::new();
        if purpose.asks_from_place() {
            answers.push((
                "from_place",
                text("from_place", t.s("rf_from_place"), "text", true),
            ));
        }
        if purpose.asks_risk_place() {
            let mut options = vec![(String::new(), t.s("rf_choose").to_string())];
            options.extend(
                offered_risk_places(link)
                    .into_iter()
                    .map(|p| (p.clone(), p)),
            );
            answers.push((
                "risk_place",
                Input {
                    options,
                    ..text("risk_place", t.s("rf_risk_place"), "select", true)
                },
            ));
        }
        if purpose != Purpose::Census {
            let label = match purpose {
                Purpose::HomeQuarantine => t.s("rf_quarantine_date"),
                Purpose::RiskVisit => t.s("rf_visit_date"),
                _ => t.s("rf_arrival_date"),
            };
            answers.push(("date", text("date", label, "date", purpose.date_required())));
        }
        if purpose.asks_notified_by() {
            answers.push((
                "notified_by",
                text("notified_by", t.s("rf_notified_by"), "text", false),
            ));
        }
        if purpose.asks_health() {
            answers.push((
                "symptoms",
                text("symptoms", t.s("rf_symptoms"), "text", false),
            ));
            answers.push((
                "temperature",
                text("temperature", t.s("rf_temperature"), "text", false),
            ));
        }
        answers.push(("notes", text("notes", t.s("notes"), "text", false)));
        let answers = answers
            .into_iter()
            .map(|(key, mut input)| {
                input.error = err(&format!("answers.{key}"));
                input
            })
            .collect();
        let member_error = err("members");
        let page = ReportFormPage {
            t,
            nav: nav(format!("/r/{token}")),
            title: purpose.label(lang).to_string(),
            area_name: link.area_path.name().to_string(),
            action: action.to_string(),
            correcting: action != format!("/r/{token}"),
            choose_place: place.is_none(),
            places: options.iter().map(|o| (o.id, o.label.clone())).collect(),
            place_id: place.map_or(0, |p| p.id),
            place_label: place.map(|p| p.label.clone()).unwrap_or_default(),
            can_change_place: options.len() > 1,
            room: posted.get("room"),
            room_other: posted.get("room_other"),
            rooms,
            address_error: address_error.or(member_error),
            idempotency_key: posted.get("idempotency_key"),
            members,
            n,
            answers,
            has_errors: !problems.is_empty(),
        };
        Ok(page.into_response())
    }
}

/// The link and report of a receipt, if the link is open and the report may still be corrected.
async fn correctable_report(
    s: &AppState,
    token: &str,
    receipt: &str,
    now: time::OffsetDateTime,
) -> Result<(ReportLink, doorstep_store::Report), PublicError> {
    reports::open_link(s.store.as_ref(), token, now).await?;
    let (link, report) = reports::receipt_report(s.store.as_ref(), token, receipt).await?;
    if !reports::correctable(&report, now) {
        return Err(PublicError::Locked);
    }
    Ok((link, report))
}

/// How many member blocks the posted form had.
fn members_posted(posted: &Posted) -> usize {
    posted
        .get("n")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, reports::MAX_MEMBERS)
}

/// The submission a posted form says.
async fn input_of(
    s: &AppState,
    link: &ReportLink,
    posted: &Posted,
    n: usize,
) -> Result<SubmissionInput, StoreError> {
    let options = place_options(s.store.as_ref(), &s.places, link).await?;
    let place = chosen(&options, posted);
    let room = match posted.get("room").trim() {
        "" => posted.get("room_other"),
        r => r.to_string(),
    };
    Ok(SubmissionInput {
        idempotency_key: posted.get("idempotency_key"),
        address: AddressInput {
            compound: place.map(|p| p.compound.clone()).unwrap_or_default(),
            building: place.map(|p| p.building.clone()).unwrap_or_default(),
            unit: place.map(|p| p.unit.clone()).unwrap_or_default(),
            room,
        },
        members: (0..n)
            .map(|i| MemberInput {
                name: posted.get(&format!("m{i}_name")),
                id_type: posted.get(&format!("m{i}_id_type")),
                id_number: posted.get(&format!("m{i}_id_number")),
                phone: posted.get(&format!("m{i}_phone")),
                relation: posted.get(&format!("m{i}_relation")),
            })
            .collect(),
        answers: AnswersInput {
            from_place: posted.get("from_place"),
            risk_place: posted.get("risk_place"),
            date: posted.get("date"),
            notified_by: posted.get("notified_by"),
            symptoms: posted.get("symptoms"),
            temperature: posted.get("temperature"),
            notes: posted.get("notes"),
        },
    })
}

fn chosen<'a>(options: &'a [PlaceOption], posted: &Posted) -> Option<&'a PlaceOption> {
    if options.len() == 1 {
        return options.first();
    }
    let id = posted.get("place").parse::<i64>().ok()?;
    options.iter().find(|o| o.id == id)
}

/// `GET /r/{token}/receipt/{receipt}`: the resident's receipt and what they reported.
pub async fn receipt(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path((token, receipt)): Path<(String, String)>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let (link, report) = reports::receipt_report(s.store.as_ref(), &token, &receipt)
        .await
        .map_err(|e| page_error(e, t, &ctx))?;
    let fmt = doorstep_app::clock::china_minute;
    let members = doorstep_app::reports::stored_members(&report)
        .into_iter()
        .flatten()
        .map(|f| (f.name().to_string(), f.doc().masked()))
        .collect();
    let status = match report.status {
        ReportStatus::Pending => t.s("rf_status_pending"),
        ReportStatus::Accepted => t.s("rf_status_accepted"),
        ReportStatus::Rejected => t.s("rf_status_rejected"),
    };
    let page = ReceiptPage {
        t,
        nav: nav(format!("/r/{token}/receipt/{receipt}")),
        title: link.purpose.label(lang).to_string(),
        token: token.clone(),
        receipt: report.receipt.clone(),
        status: status.to_string(),
        address: report.address.clone(),
        members,
        submitted_at: fmt(report.submitted_at),
        edit_until: fmt(report.edit_until),
        correct_url: reports::correctable(&report, ctx.now())
            .then(|| format!("/r/{token}/receipt/{}/edit", report.receipt)),
        corrected: q.corrected.is_some(),
    };
    Ok(page.into_response())
}
