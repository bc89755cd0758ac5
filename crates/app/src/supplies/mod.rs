//! Supplies and services for households at home (后勤供给): a household in an at-home
//! episode asks for food, medicine, a medical visit, garbage pickup or something else through
//! its check-in link (no login), or a worker files it for them; each request becomes a
//! delivery task for the owner of the building (source [`SOURCE`], key the request's id).
//!
//! One truth: the request's status is its task's (`SupplyStatus::of_task`). Assigning,
//! delivering (who, when) and cancelling (with a reason) are the task's own moves and
//! history, whether made on the task board, in "my tasks" or on the supplies page
//! ([`SupplyDesk::cancel`] cancels the task). A request is overdue when still open past its
//! deadline (`SupplyKind::deadline`), which is also its task's due time.

use doorstep_core::Target;
use doorstep_core::idempotency::BodyHash;
use doorstep_core::problem::FieldProblem;
use doorstep_core::supplies::{SupplyAsk, SupplyStatus, is_overdue};
use doorstep_core::{Conflict, Problem};
use doorstep_store::{
    CheckinHousehold, Idempotent, NewSupplyRequest, Store, SupplyDay, SupplyQuery, SupplyRequest,
    audit_with, no_audit,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::{Action, Ctx, Principal};
use crate::daily::DayFilter;
use crate::error::{AppError, AppResult};
use crate::tasks::{TaskDesk, TaskInput};

/// The task source of a request's delivery task (keyed by the request's id).
pub const SOURCE: &str = "supply";

/// The most requests a list shows.
pub const LIST_MAX: u32 = 500;

/// A request as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct SupplyInput {
    /// Chosen by the client (the page makes one with the form): 1–64 of `A-Za-z0-9_-`.
    pub idempotency_key: String,
    /// `food`, `medicine`, `medical_visit`, `garbage`, `other` (or the Chinese name).
    pub kind: String,
    /// What, how much; the medicine's name; what "other" is.
    pub detail: String,
    /// `normal` (blank) or `urgent`.
    pub urgency: String,
}

/// A request as stored, and whether this was a resend.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The request, with its task.
    pub request: SupplyRequest,
    /// Whether the same request was stored before under this key (nothing new written).
    pub replayed: bool,
}

/// Whether a request is overdue now.
pub fn overdue(r: &SupplyRequest, now: OffsetDateTime) -> bool {
    is_overdue(r.status(), Some(r.due_at), now)
}

async fn household_by_token(
    store: &dyn Store,
    ctx: &Ctx,
    token: &str,
) -> AppResult<CheckinHousehold> {
    store
        .checkin_household_by_token(token, ctx.now())
        .await?
        .ok_or(AppError::NotFound)
}

/// The household behind a check-in token and its requests, newest first; not found when the
/// token is unknown or the household's episodes are over.
pub async fn of_token(
    store: &dyn Store,
    ctx: &Ctx,
    token: &str,
) -> AppResult<(CheckinHousehold, Vec<SupplyRequest>)> {
    let hh = household_by_token(store, ctx, token).await?;
    let list = store.supply_requests_of_household(hh.household_id).await?;
    Ok((hh, list))
}

/// The household asks through its check-in link (only while it has an active at-home
/// episode).
pub async fn ask_by_token(
    store: &dyn Store,
    ctx: &Ctx,
    token: &str,
    input: &SupplyInput,
) -> AppResult<Filed> {
    let hh = household_by_token(store, ctx, token).await?;
    file(store, ctx, &hh, input, None).await
}

/// Reads, stores and routes one request.
async fn file(
    store: &dyn Store,
    ctx: &Ctx,
    hh: &CheckinHousehold,
    input: &SupplyInput,
    by: Option<&Principal>,
) -> AppResult<Filed> {
    let mut problems = Vec::new();
    let key = doorstep_core::idempotency::key(&input.idempotency_key)
        .map_err(|p| problems.push(FieldProblem::new("idempotency_key", p)))
        .unwrap_or_default();
    let ask = SupplyAsk::parse(&input.kind, &input.detail, &input.urgency)
        .map_err(|ps| {
            problems.extend(ps.into_iter().map(|(f, p)| FieldProblem::new(f, p)));
        })
        .ok();
    let (Some(ask), true) = (ask, problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    let now = ctx.now();
    let deadline = time::Duration::try_from(ask.kind.deadline(ask.urgency))
        .map_err(|e| AppError::Internal(e.into()))?;
    let hash = BodyHash::of(&json!({"kind": ask.kind.code(), "detail": ask.detail,
                                      "urgency": ask.urgency.code()}));
    let new = NewSupplyRequest {
        household_id: hh.household_id,
        area_path: hh.area_path.clone(),
        kind: ask.kind,
        detail: ask.detail.clone(),
        urgency: ask.urgency,
        asked_by: by.map(|p| p.username().to_string()),
        client_key: key,
        body_hash: hash.as_str().to_string(),
        due_at: now + deadline,
        at: now,
    };
    let audit = match by {
        Some(who) => {
            let entry = who.audit_entry(
                ctx,
                "supply.request",
                Some(("household", hh.household_id)),
                Some(&hh.area_path),
                json!({"kind": ask.kind.code(), "urgency": ask.urgency.code()}),
            );
            audit_with(move |done: &Idempotent<SupplyRequest>| match done {
                Idempotent::Created(r) => {
                    let mut e = entry;
                    e.details["request"] = json!(r.id);
                    vec![e]
                }
                _ => Vec::new(),
            })
        }
        None => no_audit(),
    };
    let (request, replayed) = match store.file_supply_request(&new, audit).await? {
        Idempotent::Created(r) => (r, false),
        Idempotent::Replayed(r) => (r, true),
        Idempotent::KeyReused => return Err(AppError::Conflict(Conflict::IdempotencyKeyReused)),
    };
    // Also on a resend: the task is keyed by the request, so one lost to a crash after the
    // request's commit is made now, and one made before is not made twice.
    let request = ensure_task(store, ctx, hh, request).await?;
    Ok(Filed { request, replayed })
}

/// The request's delivery task for the owner of the building, made (or found: keyed by the
/// request's id) and tied to the request; the request read again with it.
async fn ensure_task(
    store: &dyn Store,
    ctx: &Ctx,
    hh: &CheckinHousehold,
    r: SupplyRequest,
) -> AppResult<SupplyRequest> {
    if r.task.is_some() {
        return Ok(r);
    }
    let (kz, ke) = r.kind.names();
    let detail = if r.detail.is_empty() {
        String::new()
    } else {
        format!("：{}", r.detail)
    };
    let input = TaskInput {
        kind: "delivery".into(),
        target: Target::Household(r.household_id),
        assignee_id: None,
        due: r
            .due_at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| AppError::Internal(e.into()))?,
        priority: r.urgency.priority().into(),
        note: format!("后勤供给 {kz}{detail} / supplies: {ke} · {}", hh.address)
            .chars()
            .take(200)
            .collect(),
        source: SOURCE.into(),
        source_key: Some(r.id.to_string()),
    };
    let office = Principal::office();
    let task = TaskDesk::new(store, &office, ctx).create(&input).await?;
    store.set_supply_task(r.id, task.id).await?;
    store.supply_request(r.id).await?.ok_or(AppError::NotFound)
}

/// Supplies requests as one user may use them: filing one for a household
/// (`Action::RecordCheckins`: whoever may record check-ins, volunteers too), reading them
/// (`Action::Read`), cancelling one (`Action::ManageTasks`, through its task).
pub struct SupplyDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> SupplyDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        SupplyDesk { store, who, ctx }
    }

    /// A worker files a request for a household in an at-home episode or a sealed area
    /// (audited); not found outside the user's area or for a household with neither.
    pub async fn file(&self, household_id: i64, input: &SupplyInput) -> AppResult<Filed> {
        if !self.who.may(Action::RecordCheckins) {
            return Err(AppError::Forbidden);
        }
        let hh = match self
            .store
            .checkin_household(household_id, self.ctx.now())
            .await?
        {
            Some(hh) => hh,
            // No one at home under a measure: a household in a sealed area is served too.
            None => self.sealed_household(household_id).await?,
        };
        if !self.who.covers(&hh.area_path) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::RecordCheckins, &hh.area_path)?;
        file(self.store, self.ctx, &hh, input, Some(self.who)).await
    }

    /// A household under an active seal, as a request needs it (no episodes); not found when
    /// it is not sealed.
    async fn sealed_household(&self, household_id: i64) -> AppResult<CheckinHousehold> {
        let h = self
            .store
            .household(household_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if crate::seals::seal_over(self.store, &h.area_path)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        Ok(CheckinHousehold {
            household_id: h.id,
            address: h.address,
            area_path: h.area_path,
            episodes: Vec::new(),
        })
    }

    /// A household's requests, newest first.
    pub async fn of_household(&self, household_id: i64) -> AppResult<Vec<SupplyRequest>> {
        let h = self
            .store
            .household(household_id)
            .await?
            .filter(|h| self.who.covers(&h.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &h.area_path)?;
        Ok(self
            .store
            .supply_requests_of_household(household_id)
            .await?)
    }

    /// Requests under `area` (the user's own when blank), the soonest due first; `status`
    /// `open` (blank: requested or assigned), `overdue`, `all`, or one status's code; `day`
    /// those asked that day (`on` `requested`, the default: the daily report's
    /// `supplies.requested`) or delivered that day (`delivered`: `supplies.delivered`).
    pub async fn list(
        &self,
        area: &str,
        status: &str,
        day: &DayFilter,
    ) -> AppResult<Vec<SupplyRequest>> {
        let area = self.who.area_for(area, Action::Read)?;
        let day = day.read(&["requested", "delivered"])?.map(|d| match d.on {
            "delivered" => SupplyDay::Delivered {
                from: d.from,
                to: d.to,
            },
            _ => SupplyDay::Requested {
                from: d.from,
                to: d.to,
            },
        });
        let status = status.trim();
        let one = SupplyStatus::parse(status);
        if one.is_none() && !matches!(status, "" | "open" | "overdue" | "all") {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "status",
                Problem::Choice,
            )]));
        }
        let open_only = one.is_none_or(SupplyStatus::is_open) && status != "all";
        let mut list = self
            .store
            .supply_requests(&SupplyQuery {
                area,
                open_only,
                day,
                limit: LIST_MAX,
            })
            .await?;
        let now = self.ctx.now();
        if let Some(s) = one {
            list.retain(|r| r.status() == s);
        }
        if status == "overdue" {
            list.retain(|r| overdue(r, now));
        }
        // Overdue first (the soonest due first already), then the rest.
        list.sort_by_key(|r| !overdue(r, now));
        Ok(list)
    }

    /// Reads one request (not found outside the user's area).
    pub async fn get(&self, id: i64) -> AppResult<SupplyRequest> {
        let r = self
            .store
            .supply_request(id)
            .await?
            .filter(|r| self.who.covers(&r.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &r.area_path)?;
        Ok(r)
    }

    /// Cancels an open request with a reason: its task is cancelled (`task.cancel`, audited,
    /// the reason on the task), which is the request's status. A delivered or cancelled
    /// request is a conflict (`task_closed`).
    pub async fn cancel(&self, id: i64, reason: &str) -> AppResult<SupplyRequest> {
        let r = self.get(id).await?;
        self.who.authorize(Action::ManageTasks, &r.area_path)?;
        if !r.status().may_become(SupplyStatus::Cancelled) {
            return Err(AppError::Conflict(Conflict::TaskClosed));
        }
        if reason.trim().is_empty() {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "reason",
                Problem::Required,
            )]));
        }
        let r = match r.task {
            Some(_) => r,
            None => {
                let hh = CheckinHousehold {
                    household_id: r.household_id,
                    address: r.address.clone(),
                    area_path: r.area_path.clone(),
                    episodes: Vec::new(),
                };
                ensure_task(self.store, self.ctx, &hh, r).await?
            }
        };
        let task = r.task.as_ref().ok_or(AppError::NotFound)?;
        TaskDesk::new(self.store, self.who, self.ctx)
            .cancel(task.id, reason)
            .await
            .map_err(|e| match e {
                AppError::Validation(ps) => AppError::Validation(
                    ps.into_iter()
                        .map(|p| FieldProblem::new("reason", p.problem))
                        .collect(),
                ),
                e => e,
            })?;
        self.get(id).await
    }

    /// The open requests past their deadline under the user's area (at most 50), for the
    /// board's alerts: as the board itself, `Action::ManageTasks`.
    pub async fn overdue_for_board(&self) -> AppResult<Vec<SupplyRequest>> {
        if !self.who.may(Action::ManageTasks) {
            return Err(AppError::Forbidden);
        }
        let now = self.ctx.now();
        let mut list = self
            .store
            .supply_requests(&SupplyQuery {
                area: self.who.area().cloned(),
                open_only: true,
                day: None,
                limit: LIST_MAX,
            })
            .await?;
        list.retain(|r| overdue(r, now));
        list.truncate(50);
        Ok(list)
    }
}
