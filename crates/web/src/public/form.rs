//! The resident's form at `/r/{token}`: no login, and it works without JavaScript (a small
//! script served by the binary filters long lists and puts focus on the error summary). The
//! address is picked in steps, each a GET (`?place=` the compound, building or unit so far; a
//! level with one choice is passed by itself), then the form fills in the room and the whole
//! household. "Add a member" and "remove" post the form back and get it again with one block
//! more or less; the idempotency key is generated with the page, so a double tap or a retry
//! stores one report.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::reports::{
    self, AddressInput, AnswersInput, FieldProblem, MemberInput, PublicError, SubmissionInput,
    address_choices_at,
};
use doorstep_core::Question;
use doorstep_store::{ReportLink, StoreError};
use serde::Deserialize;

use super::form_view::View;
use super::refusal::page_error;
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;
use crate::pages::PageError;

/// Which step of the form.
#[derive(Debug, Deserialize, Default)]
pub struct FormQuery {
    /// The compound, building or unit picked so far (0: start again).
    pub place: Option<i64>,
    /// What the list of the step is filtered by.
    pub q: Option<String>,
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

    /// A step's query as the fields the form would post.
    fn of_query(q: &FormQuery) -> Posted {
        let mut fields = HashMap::new();
        if let Some(p) = q.place {
            fields.insert("place".into(), p.to_string());
        }
        if let Some(f) = &q.q {
            fields.insert("q".into(), f.clone());
        }
        Posted { fields }
    }

    /// The place picked so far.
    fn place(&self) -> Option<i64> {
        self.get("place").parse().ok()
    }

    /// Member `from`'s fields moved to `to` (`from` = `None`: `to` emptied).
    fn move_member(&mut self, from: Option<usize>, to: usize) {
        for key in MEMBER_KEYS {
            let value = from
                .and_then(|f| self.fields.remove(&format!("m{f}_{key}")))
                .unwrap_or_default();
            self.fields.insert(format!("m{to}_{key}"), value);
        }
    }
}

/// The fields of a member block, each posted as `m{i}_{key}`.
const MEMBER_KEYS: [&str; 5] = ["name", "id_type", "id_number", "phone", "relation"];

/// `GET /r/{token}`: the next step of the address, or the form once it is picked.
pub async fn show(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Query(q): Query<FormQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let home = format!("/r/{token}");
    let link = reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx, &home))?;
    let mut posted = Posted::of_query(&q);
    let key = doorstep_app::auth::random_hex(16).map_err(|e| PageError::from_app(e, t, &ctx))?;
    posted.fields.insert("idempotency_key".into(), key);
    FormPage::new(&s, &link, &token, home.clone(), t, &ctx)
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
    let home = format!("/r/{token}");
    let link = reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx, &home))?;
    let page = FormPage::new(&s, &link, &token, home.clone(), t, &ctx);
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
        .map_err(|e| page_error(e, t, &ctx, &format!("/r/{token}")))?;
    let place = q.place.unwrap_or(report.area_id);
    let mut posted = Posted::of_query(&FormQuery {
        place: Some(place),
        q: q.q.clone(),
    });
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
        for key in MEMBER_KEYS {
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
        .map_err(|e| page_error(e, t, &ctx, &format!("/r/{token}")))?;
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

    /// Reads a posted report form, for both a first submission and a correction: a member
    /// block added or removed gives the form back, anything else is the report.
    async fn read_post(&self, form: Vec<(String, String)>) -> Result<Post, PageError> {
        let mut posted = Posted {
            fields: form.into_iter().collect(),
        };
        let n = members_posted(&posted);
        let action = posted.get("action");
        if action == "add" {
            let more = (n + 1).min(reports::MAX_MEMBERS);
            let page = self.render(&posted, more, &[]).await?;
            return Ok(Post::Page(page));
        }
        if let Some(i) = action.strip_prefix("remove-").and_then(|i| i.parse().ok()) {
            if i < n {
                for j in i..n {
                    posted.move_member((j + 1 < n).then_some(j + 1), j);
                }
            }
            let page = self
                .render(&posted, n.saturating_sub(1).max(1), &[])
                .await?;
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
            Err(e) => Err(page_error(
                e,
                self.t,
                self.ctx,
                &format!("/r/{}", self.token),
            )),
        }
    }

    /// The step of the address `posted` has reached, or the form with `n` member blocks,
    /// filled in with `posted`, `problems` at their fields.
    async fn render(
        &self,
        posted: &Posted,
        n: usize,
        problems: &[FieldProblem],
    ) -> Result<Response, PageError> {
        let (s, t, ctx) = (self.s, self.t, self.ctx);
        let choices = address_choices_at(s.store.as_ref(), &s.places, self.link, posted.place())
            .await
            .map_err(|e: StoreError| PageError::from_app(e.into(), t, ctx))?;
        let pick = choices.pick(posted.place());
        let view = View {
            t,
            link: self.link,
            token: self.token,
            action: &self.action,
        };
        let status = if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        if pick.place().is_none() {
            // A report sent without an address goes back to the step it lacks.
            let mut page = view.place_page(&pick, &choices, &posted.get("q"));
            if !problems.is_empty() {
                page.error = Some(t.s("rf_choose_place").to_string());
            }
            return Ok((status, page).into_response());
        }
        let get = |k: &str| posted.get(k);
        let mut page = view.form_page(&pick, &choices, &get, n, problems);
        page.notices = crate::pages::notices::showing(s, ctx, &self.link.area_path).await;
        Ok((status, page).into_response())
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
    let choices = reports::address_names(s.store.as_ref(), &s.places, link).await?;
    // Only a building or unit picked to the end places the report; anything less is refused
    // as a missing address, never completed with someone else's.
    let pick = choices.pick(posted.place());
    let done = pick.place().is_some();
    let name = |n: Option<&String>| n.filter(|_| done).cloned().unwrap_or_default();
    let room = match posted.get("room").trim() {
        "" => posted.get("room_other"),
        r => r.to_string(),
    };
    Ok(SubmissionInput {
        idempotency_key: posted.get("idempotency_key"),
        address: AddressInput {
            compound: name(pick.compound.map(|c| &c.name)),
            building: name(pick.building.map(|b| &b.name)),
            unit: name(pick.unit.map(|u| &u.name)),
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
            from_place: posted.get(Question::FromPlace.code()),
            risk_place: posted.get(Question::RiskPlace.code()),
            date: posted.get(Question::Date.code()),
            notified_by: posted.get(Question::NotifiedBy.code()),
            symptoms: posted.get(Question::Symptoms.code()),
            temperature: posted.get(Question::Temperature.code()),
            notes: posted.get(Question::Notes.code()),
        },
    })
}
