//! Field tasks: one model for every kind of field work (door-knocks, home sampling, deliveries,
//! follow-ups, calls, shifts …). A task is placed on the smallest area holding its target and,
//! without an assignee, routed to the owner of that area whose duty fits the kind
//! ([`TaskKind::default_route`], inherited from above); a target with no such owner stays
//! unassigned and shows on the community's board, never dropped. Other features create their
//! tasks through [`TaskDesk::create_many`] with their own `source` and keys.
//!
//! Access: `Action::ManageTasks` creates, assigns, cancels and sees the board of an area;
//! `Action::WorkTasks` sees and does one's own tasks (a volunteer sees nothing else).

use std::collections::{HashMap, HashSet};

use doorstep_core::problem::FieldProblem;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaPath, Duty, Priority, Problem, Target, TaskKind, TaskStatus};
use doorstep_store::{
    Household, Id, NewTask, Page, PageRequest, StaffMember, Store, Task, TaskChange, TaskDay,
    TaskEvent, TaskQuery, audit_with,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::{Action, Ctx, Principal};
use crate::daily::DayFilter;
use crate::error::{AppError, AppResult};
use crate::staff::StaffDesk;

/// The most tasks one bulk creates.
pub const MAX_BULK: usize = 20_000;

/// A task as a form, the API or another feature asks for it.
#[derive(Debug, Clone)]
pub struct TaskInput {
    /// What kind of work (slug or name).
    pub kind: String,
    /// What it is about.
    pub target: Target,
    /// Who does it (`None`: routed).
    pub assignee_id: Option<Id>,
    /// When it is due: `YYYY-MM-DD` (the end of that day, China time), `YYYY-MM-DDTHH:MM`
    /// (China time) or RFC 3339; blank for no due time.
    pub due: String,
    /// `normal`, `high`, `urgent` (blank: normal).
    pub priority: String,
    /// What to do, in words.
    pub note: String,
    /// The feature making it (`''` by hand) and its key there.
    pub source: String,
    /// See `source`.
    pub source_key: Option<String>,
}

/// What every task of a bulk shares (and a single task, with its target and assignee).
#[derive(Debug, Clone, Default)]
pub struct TaskTemplate {
    /// What kind of work (slug or name).
    pub kind: String,
    /// When due, as [`TaskInput::due`].
    pub due: String,
    /// `normal`, `high`, `urgent` (blank: normal).
    pub priority: String,
    /// What to do, in words.
    pub note: String,
}

impl TaskTemplate {
    /// One task of this template by hand: for `target`, to `assignee` (`None`: routed).
    pub fn task(&self, target: Target, assignee_id: Option<Id>) -> TaskInput {
        TaskInput {
            kind: self.kind.clone(),
            target,
            assignee_id,
            due: self.due.clone(),
            priority: self.priority.clone(),
            note: self.note.clone(),
            source: String::new(),
            source_key: None,
        }
    }

    /// One task of a bulk the client keys `key`: the same key and target never make a
    /// second task, however the bulk named its targets.
    pub fn bulk_task(&self, target: Target, key: &str) -> TaskInput {
        TaskInput {
            source: "bulk".into(),
            source_key: Some(format!("{key}:{}:{}", target.type_code(), target.id())),
            ..self.task(target, None)
        }
    }
}

/// What a task's outcome says.
#[derive(Debug, Clone, Default)]
pub struct Finish {
    /// The outcome's code (one of the kind's) or, for cannot-do and cancel, the reason.
    pub outcome: String,
    /// A note.
    pub note: String,
}

/// Reads a due time as people give it.
pub fn parse_due(raw: &str) -> Result<Option<OffsetDateTime>, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let china = time::UtcOffset::from_hms(8, 0, 0).map_err(|_| Problem::DateValue)?;
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(t));
    }
    let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
    let minute_fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    if let Ok(t) = time::PrimitiveDateTime::parse(s, minute_fmt) {
        return Ok(Some(t.assume_offset(china)));
    }
    if let Ok(d) = time::Date::parse(s, date_fmt) {
        let end = d.with_hms(23, 59, 0).map_err(|_| Problem::DateValue)?;
        return Ok(Some(end.assume_offset(china)));
    }
    Err(Problem::DateValue)
}

/// Field tasks as one user may use them.
pub struct TaskDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

/// Where a target is, for placing and routing.
struct Place {
    area_id: Id,
    area_path: AreaPath,
    room: String,
    label: String,
}

impl Place {
    /// A household's place, read as `label`.
    fn of(h: &Household, label: String) -> Place {
        Place {
            area_id: h.area_id,
            area_path: h.area_path.clone(),
            room: h.room.clone(),
            label,
        }
    }
}

impl<'a> TaskDesk<'a> {
    /// The desk for `who`, auditing with `ctx`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> TaskDesk<'a> {
        TaskDesk { store, who, ctx }
    }

    /// Where each target is, in a few reads however many there are (a target that does not
    /// exist is left out).
    async fn places(&self, targets: &[Target]) -> AppResult<HashMap<Target, Place>> {
        let mut out = HashMap::with_capacity(targets.len());
        let (mut households, mut persons) = (Vec::new(), Vec::new());
        for t in targets {
            match *t {
                Target::Area(id) => {
                    if out.contains_key(t) {
                        continue;
                    }
                    if let Some(a) = self.store.area_by_id(id).await? {
                        out.insert(
                            *t,
                            Place {
                                area_id: a.id,
                                label: a.path.names().skip(3).collect::<Vec<_>>().join(""),
                                area_path: a.path,
                                room: String::new(),
                            },
                        );
                    }
                }
                Target::Household(id) => households.push(id),
                Target::Person(id) => persons.push(id),
            }
        }
        persons.sort_unstable();
        persons.dedup();
        let persons = self.store.persons_by_ids(&persons).await?;
        households.extend(persons.iter().map(|p| p.household_id));
        households.sort_unstable();
        households.dedup();
        let households: HashMap<Id, Household> = self
            .store
            .households_by_ids(&households)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        for t in targets {
            if let Target::Household(id) = t
                && let Some(h) = households.get(id)
            {
                out.insert(*t, Place::of(h, h.address.clone()));
            }
        }
        for p in &persons {
            if let Some(h) = households.get(&p.household_id) {
                let label = format!("{} · {}", p.fields.name(), h.address);
                out.insert(Target::Person(p.id), Place::of(h, label));
            }
        }
        Ok(out)
    }

    /// The routing table: each kind with the duties its new tasks go to, in order (as admins
    /// set it, else the default), and whether that is the default.
    pub async fn routes(&self) -> AppResult<Vec<(TaskKind, Vec<Duty>, bool)>> {
        let set = self.store.task_routes().await?;
        Ok(TaskKind::ALL
            .into_iter()
            .map(|k| match set.iter().find(|(x, _)| *x == k) {
                Some((_, d)) => (k, d.clone(), false),
                None => (k, k.default_route().to_vec(), true),
            })
            .collect())
    }

    /// Sets the duties a kind's new tasks go to, in order (none: back to the default); admins
    /// only, audited. Tasks made before keep their assignee.
    pub async fn set_route(&self, kind: &str, duties: &[String]) -> AppResult<Vec<Duty>> {
        if !self.who.may(Action::Configure) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let kind = TaskKind::parse(kind);
        if kind.is_none() {
            problems.push(FieldProblem::new("kind", Problem::Choice));
        }
        let mut list: Vec<Duty> = Vec::new();
        for (i, d) in duties.iter().filter(|d| !d.trim().is_empty()).enumerate() {
            match Duty::parse(d) {
                Some(d) if !list.contains(&d) => list.push(d),
                Some(_) => {}
                None => problems.push(FieldProblem::new(format!("duties[{i}]"), Problem::Choice)),
            }
        }
        let Some(kind) = kind.filter(|_| problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "task.route",
            None,
            None,
            json!({"kind": kind.code(), "duties": list.iter().map(|d| d.code()).collect::<Vec<_>>()}),
        );
        self.store
            .set_task_route(kind, &list, audit_with(move |_| vec![entry]))
            .await?;
        Ok(if list.is_empty() {
            kind.default_route().to_vec()
        } else {
            list
        })
    }

    /// The staff member each `(area, kind)` is routed to: for each fitting duty in order (the
    /// routing table's), the area's working owners (own or inherited); the first duty with one
    /// wins, none is a gap. One read of the duties for all of them.
    async fn route_all(
        &self,
        wanted: &[(AreaPath, TaskKind)],
    ) -> AppResult<HashMap<(AreaPath, TaskKind), Option<Id>>> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let table = self.routes().await?;
        let mut areas: Vec<AreaPath> = wanted.iter().map(|(a, _)| a.clone()).collect();
        areas.sort();
        areas.dedup();
        let office = Principal::office();
        let owners = StaffDesk::new(self.store, &office, self.ctx)
            .owners_of_many(&areas)
            .await?;
        Ok(wanted
            .iter()
            .map(|(area, kind)| {
                let duties = table
                    .iter()
                    .find(|(k, _, _)| k == kind)
                    .map(|(_, d, _)| d.as_slice())
                    .unwrap_or(kind.default_route());
                let here = owners.get(area).map(Vec::as_slice).unwrap_or_default();
                let who = duties.iter().find_map(|duty| {
                    here.iter()
                        .find(|o| o.duty == *duty)
                        .and_then(|o| o.holders.first())
                        .map(|a| a.staff.id)
                });
                ((area.clone(), *kind), who)
            })
            .collect())
    }

    /// A staff member who may be given tasks here: visible to this user and working.
    async fn assignee(&self, id: Id, path: &str) -> AppResult<StaffMember> {
        let m = self.store.staff_member(id).await?;
        match m {
            Some(m)
                if m.active
                    && (self.who.covers(&m.area_path)
                        || self.who.area().is_some_and(|a| m.area_path.contains(a))
                        || self.who.area().is_none()) =>
            {
                Ok(m)
            }
            _ => Err(AppError::Validation(vec![FieldProblem::new(
                path,
                Problem::Choice,
            )])),
        }
    }

    /// Creates one task.
    pub async fn create(&self, input: &TaskInput) -> AppResult<Task> {
        let mut made = self.create_many(std::slice::from_ref(input)).await?;
        made.pop().ok_or(AppError::NotFound)
    }

    /// Creates tasks in one transaction: each placed on its target's area (which this user
    /// must manage tasks in), routed when it has no assignee; every problem at its index
    /// (`tasks[i].kind` …; a single task's at its field). A task whose source key exists
    /// answers the existing one.
    pub async fn create_many(&self, inputs: &[TaskInput]) -> AppResult<Vec<Task>> {
        // A role that may not create tasks is refused as a role, even for an empty list (each
        // target's area is checked below).
        if !self.who.may(Action::ManageTasks) {
            return Err(AppError::Forbidden);
        }
        if inputs.len() > MAX_BULK {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "tasks",
                Problem::TooLong { max: MAX_BULK },
            )]));
        }
        let single = inputs.len() == 1;
        let at = |i: usize, f: &str| {
            if single {
                f.to_string()
            } else {
                format!("tasks[{i}].{f}")
            }
        };
        let mut problems = Vec::new();
        let targets: Vec<Target> = inputs.iter().map(|i| i.target).collect();
        let places = self.places(&targets).await?;
        // Each given assignee checked once: its id, or None when it may not be given tasks.
        let mut assignees: HashMap<Id, Option<Id>> = HashMap::new();
        let mut out = Vec::with_capacity(inputs.len());
        let mut unrouted: Vec<(usize, AreaPath, TaskKind)> = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let kind = TaskKind::parse(&input.kind);
            if kind.is_none() {
                problems.push(FieldProblem::new(at(i, "kind"), Problem::Choice));
            }
            let priority = Priority::parse(&input.priority);
            if priority.is_none() {
                problems.push(FieldProblem::new(at(i, "priority"), Problem::Choice));
            }
            let due = parse_due(&input.due)
                .map_err(|p| problems.push(FieldProblem::new(at(i, "due"), p)))
                .ok()
                .flatten();
            if input.note.chars().count() > 200 {
                problems.push(FieldProblem::new(
                    at(i, "note"),
                    Problem::TooLong { max: 200 },
                ));
            }
            let Some(place) = places.get(&input.target) else {
                if single {
                    return Err(AppError::NotFound);
                }
                problems.push(FieldProblem::new(at(i, "target"), Problem::Choice));
                continue;
            };
            self.who.authorize(Action::ManageTasks, &place.area_path)?;
            let (Some(kind), Some(priority)) = (kind, priority) else {
                continue;
            };
            let assignee = match input.assignee_id {
                Some(id) => {
                    let ok = match assignees.get(&id) {
                        Some(ok) => *ok,
                        None => {
                            let ok = match self.assignee(id, "assignee_id").await {
                                Ok(m) => Some(m.id),
                                Err(AppError::Validation(_)) => None,
                                Err(e) => return Err(e),
                            };
                            assignees.insert(id, ok);
                            ok
                        }
                    };
                    if ok.is_none() {
                        problems.push(FieldProblem::new(at(i, "assignee_id"), Problem::Choice));
                        continue;
                    }
                    ok
                }
                None => {
                    unrouted.push((out.len(), place.area_path.clone(), kind));
                    None
                }
            };
            out.push(NewTask {
                kind,
                target: input.target,
                area_id: place.area_id,
                area_path: place.area_path.clone(),
                room: place.room.clone(),
                label: place.label.clone(),
                note: input.note.trim().to_string(),
                assignee_id: assignee,
                due_at: due,
                priority,
                source: input.source.clone(),
                source_key: input.source_key.clone(),
            });
        }
        if problems.is_empty() {
            let wanted: HashSet<(AreaPath, TaskKind)> =
                unrouted.iter().map(|(_, a, k)| (a.clone(), *k)).collect();
            let wanted: Vec<_> = wanted.into_iter().collect();
            let routed = self.route_all(&wanted).await?;
            for (n, area, kind) in unrouted {
                out[n].assignee_id = routed.get(&(area, kind)).copied().flatten();
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        let who = self.who.clone();
        let ctx = self.ctx.clone();
        let made = self
            .store
            .create_tasks(
                &out,
                self.who.username(),
                audit_with(move |tasks: &Vec<Task>| {
                    let unassigned = tasks.iter().filter(|t| t.assignee_id.is_none()).count();
                    let area = tasks.first().map(|t| t.area_path.clone());
                    vec![
                        who.audit_entry(
                            &ctx,
                            "task.create",
                            tasks
                                .first()
                                .filter(|_| tasks.len() == 1)
                                .map(|t| ("task", t.id)),
                            area.as_ref(),
                            json!({"tasks": tasks.len(), "unassigned": unassigned}),
                        ),
                    ]
                }),
            )
            .await?;
        Ok(made)
    }

    /// One task for every household under an area (a door-knock for a building, say). The
    /// client's `key` makes a retry create nothing new.
    pub async fn for_households(
        &self,
        area: &AreaPath,
        template: &TaskTemplate,
        key: &str,
    ) -> AppResult<Vec<Task>> {
        self.who.authorize(Action::ManageTasks, area)?;
        let mut inputs = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .households(
                    area,
                    None,
                    PageRequest {
                        offset,
                        limit: 1000,
                    },
                )
                .await?;
            let n = page.items.len() as u32;
            inputs.extend(
                page.items
                    .iter()
                    .map(|h| template.bulk_task(Target::Household(h.id), key)),
            );
            if n < 1000 {
                break;
            }
            offset += n;
        }
        self.create_many(&inputs).await
    }

    /// The staff record of this user (tasks are assigned to staff, linked to accounts).
    pub async fn me(&self) -> AppResult<Option<StaffMember>> {
        match self.who.user_id() {
            Some(uid) => Ok(self.store.staff_of_user(uid).await?),
            None => Ok(None),
        }
    }

    /// My tasks: open and in progress, due by the end of today or overdue or with no due time,
    /// in walking order (compound, building, unit, room).
    pub async fn mine(&self) -> AppResult<Vec<Task>> {
        if !self.who.may(Action::WorkTasks) {
            return Err(AppError::Forbidden);
        }
        let Some(me) = self.me().await? else {
            return Ok(Vec::new());
        };
        let china = time::UtcOffset::from_hms(8, 0, 0).map_err(AppError::internal)?;
        let now = self.ctx.now().to_offset(china);
        let end_of_today = now
            .date()
            .with_hms(23, 59, 59)
            .map_err(AppError::internal)?
            .assume_offset(china);
        let page = self
            .store
            .tasks(&TaskQuery {
                area: None,
                assignee_id: Some(me.id),
                unassigned: false,
                statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
                kind: None,
                due_before: None,
                day: None,
                page: PageRequest {
                    offset: 0,
                    limit: 2000,
                },
            })
            .await?;
        let mut mine: Vec<Task> = page
            .items
            .into_iter()
            .filter(|t| t.due_at.is_none_or(|d| d <= end_of_today))
            .collect();
        mine.sort_by(|a, b| {
            natural_cmp(a.area_path.as_str(), b.area_path.as_str())
                .then_with(|| natural_cmp(&a.room, &b.room))
                .then(a.id.cmp(&b.id))
        });
        Ok(mine)
    }

    /// A board's day filter read: `on` is `created` (the default: made that day), `due` (due
    /// that day), `done` (done that day: the daily report's `tasks.done`) or `overdue`
    /// (overdue at the day's end, or now for today: `tasks.overdue`).
    pub fn day(&self, filter: &DayFilter) -> AppResult<Option<TaskDay>> {
        let Some(d) = filter.read(&["created", "due", "done", "overdue"])? else {
            return Ok(None);
        };
        let (from, to) = (d.from, d.to);
        Ok(Some(match d.on {
            "due" => TaskDay::Due { from, to },
            "done" => TaskDay::Done { from, to },
            "overdue" => TaskDay::Overdue {
                by: to.min(self.ctx.now()),
                to,
            },
            _ => TaskDay::Created { from, to },
        }))
    }

    /// The board of an area: tasks by status, kind, assignee (or only unassigned ones) and due
    /// time, overdue on top.
    pub async fn board(&self, area: Option<AreaPath>, filter: TaskQuery) -> AppResult<Page<Task>> {
        let scope = self.who.scope(area).ok_or(AppError::NotFound)?;
        match &scope {
            Some(a) => self.who.authorize(Action::ManageTasks, a)?,
            None if self.who.may(Action::ManageTasks) => {}
            None => return Err(AppError::Forbidden),
        }
        Ok(self
            .store
            .tasks(&TaskQuery {
                area: scope,
                ..filter
            })
            .await?)
    }

    /// A task with its history, for its manager or its assignee.
    pub async fn task(&self, id: Id) -> AppResult<(Task, Vec<TaskEvent>)> {
        let t = self.visible(id).await?;
        let events = self.store.task_events(id).await?;
        Ok((t, events))
    }

    /// The task if this user manages its area or does it.
    async fn visible(&self, id: Id) -> AppResult<Task> {
        self.visible_to_me(id).await.map(|(t, _)| t)
    }

    /// [`TaskDesk::visible`], and whether this user sees it as its assignee (a manager of its
    /// area sees it as manager, with no staff lookup: every role that manages tasks may reveal).
    async fn visible_to_me(&self, id: Id) -> AppResult<(Task, bool)> {
        let t = self.store.task(id).await?.ok_or(AppError::NotFound)?;
        if self.manages(&t) {
            return Ok((t, false));
        }
        if self.who.may(Action::WorkTasks)
            && let (Some(me), Some(a)) = (self.me().await?, t.assignee_id)
            && me.id == a
        {
            return Ok((t, true));
        }
        Err(AppError::NotFound)
    }

    /// The full phone numbers of a task's household (a person's household for a person), for
    /// the one doing it while it is open: its assignee, or a manager who may reveal. Each
    /// reveal is audited; a closed task reveals nothing (Conflict `task_closed`).
    pub async fn phones(&self, id: Id) -> AppResult<Vec<(String, String)>> {
        let (t, mine) = self.visible_to_me(id).await?;
        if !mine {
            self.who.authorize(Action::Reveal, &t.area_path)?;
        }
        if !t.status.is_active() {
            return Err(AppError::Conflict(doorstep_core::Conflict::TaskClosed));
        }
        let household = match t.target {
            Target::Household(h) => Some(h),
            Target::Person(p) => self.store.person(p).await?.map(|p| p.household_id),
            Target::Area(_) => None,
        };
        let Some(household) = household else {
            return Ok(Vec::new());
        };
        let members = self.store.household_members(household).await?;
        let out: Vec<(String, String)> = members
            .iter()
            .filter_map(|p| {
                p.fields
                    .phone()
                    .map(|ph| (p.fields.name().to_string(), ph.as_str().to_string()))
            })
            .collect();
        let ids: Vec<Id> = members.iter().map(|p| p.id).collect();
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "task.reveal_phones",
                Some(("task", t.id)),
                Some(&t.area_path),
                json!({"persons": ids}),
            ))
            .await?;
        Ok(out)
    }

    fn manages(&self, t: &Task) -> bool {
        self.who.covers(&t.area_path) && self.who.may(Action::ManageTasks)
    }

    async fn change(&self, t: &Task, change: TaskChange, action: &str) -> AppResult<Task> {
        let entry = self.who.audit_entry(
            self.ctx,
            action,
            Some(("task", t.id)),
            Some(&t.area_path),
            serde_json::Value::Null,
        );
        let done = self
            .store
            .update_task(
                t.id,
                &change,
                self.who.username(),
                audit_with(move |(b, a): &(Task, Task)| {
                    let mut e = entry;
                    e.details = json!({"from": b.status.code(), "to": a.status.code(),
                                       "assignee": a.assignee_id});
                    vec![e]
                }),
            )
            .await?;
        Ok(done)
    }

    /// Starts a task (its assignee or a manager).
    pub async fn start(&self, id: Id) -> AppResult<Task> {
        let t = self.visible(id).await?;
        let change = TaskChange {
            from: Some(t.status),
            status: Some(TaskStatus::InProgress),
            ..TaskChange::default()
        };
        self.change(&t, change, "task.start").await
    }

    /// Finishes a task with one of its kind's outcomes.
    ///
    /// A feature's task whose outcome has consequences goes through that feature's desk, so
    /// the board and the feature's own page do the same: an investigation list's call
    /// (`list_call`) is recorded by [`crate::lists::calls::CallDesk::record`] (the next call, the
    /// door-knock, the episode), the note standing for the place of a `reached_away`.
    pub async fn finish(&self, id: Id, f: &Finish) -> AppResult<Task> {
        let t = self.visible(id).await?;
        if t.source == doorstep_store::LIST_CALL_SOURCE {
            return crate::lists::calls::CallDesk::new(self.store, self.who, self.ctx)
                .record_from_board(id, f)
                .await
                .map(|call| call.task);
        }
        self.finish_plain(t, f).await
    }

    /// Records the outcome on the task alone (the feature's desk calls this after its checks).
    pub(crate) async fn finish_task(&self, id: Id, f: &Finish) -> AppResult<Task> {
        let t = self.visible(id).await?;
        self.finish_plain(t, f).await
    }

    async fn finish_plain(&self, t: Task, f: &Finish) -> AppResult<Task> {
        if !t.kind.has_outcome(f.outcome.trim()) {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "outcome",
                Problem::Choice,
            )]));
        }
        let change = TaskChange {
            from: Some(t.status),
            status: Some(TaskStatus::Done),
            outcome: Some(f.outcome.trim().to_string()),
            outcome_note: Some(note(&f.note)?),
            ..TaskChange::default()
        };
        self.change(&t, change, "task.done").await
    }

    /// Marks a task as not doable, with the reason.
    pub async fn cannot_do(&self, id: Id, reason: &str) -> AppResult<Task> {
        let t = self.visible(id).await?;
        let change = TaskChange {
            from: Some(t.status),
            status: Some(TaskStatus::CannotDo),
            outcome_note: Some(required_note(reason)?),
            ..TaskChange::default()
        };
        self.change(&t, change, "task.cannot_do").await
    }

    /// Cancels a task, with the reason (managers only).
    pub async fn cancel(&self, id: Id, reason: &str) -> AppResult<Task> {
        let t = self.visible(id).await?;
        self.who.authorize(Action::ManageTasks, &t.area_path)?;
        let change = TaskChange {
            from: Some(t.status),
            status: Some(TaskStatus::Cancelled),
            outcome_note: Some(required_note(reason)?),
            ..TaskChange::default()
        };
        self.change(&t, change, "task.cancel").await
    }

    /// Gives a task to another staff member, or back to the board (`None`; managers only).
    pub async fn reassign(&self, id: Id, assignee: Option<Id>) -> AppResult<Task> {
        let t = self.visible(id).await?;
        self.who.authorize(Action::ManageTasks, &t.area_path)?;
        let assignee = match assignee {
            Some(a) => Some(self.assignee(a, "assignee_id").await?.id),
            None => None,
        };
        let change = TaskChange {
            from: Some(t.status),
            assignee_id: Some(assignee),
            ..TaskChange::default()
        };
        self.change(&t, change, "task.assign").await
    }
}

impl TaskDesk<'_> {
    /// Writes tasks (a board as filtered) to a file, audited: 类型, 对象, 区域, 状态, 负责人,
    /// 截止, 结果, 说明.
    pub async fn write_tasks(
        &self,
        tasks: &[Task],
        format: crate::export::SheetFormat,
        path: &std::path::Path,
    ) -> AppResult<()> {
        use doorstep_core::Lang;
        let rows: Vec<Vec<String>> = tasks
            .iter()
            .map(|t| {
                vec![
                    t.kind.label(Lang::Zh).to_string(),
                    t.label.clone(),
                    t.area_path.to_string(),
                    t.status.label(Lang::Zh).to_string(),
                    t.assignee
                        .as_ref()
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default(),
                    t.due_at.map(crate::clock::china_minute).unwrap_or_default(),
                    t.outcome
                        .as_deref()
                        .map(|o| t.kind.outcome_label(o, Lang::Zh))
                        .unwrap_or_default(),
                    t.outcome_note.clone(),
                ]
            })
            .collect();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<(), crate::export::ExportError> {
            let mut sink = crate::export::Sink::create(
                format,
                &path,
                &[
                    "类型",
                    "对象",
                    "区域",
                    "状态",
                    "负责人",
                    "截止",
                    "结果",
                    "说明",
                ],
            )?;
            for r in &rows {
                sink.row(r)?;
            }
            sink.finish()
        })
        .await
        .map_err(crate::export::ExportError::from)??;
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "task.export",
                None,
                None,
                json!({ "rows": tasks.len() }),
            ))
            .await?;
        Ok(())
    }
}

fn note(raw: &str) -> AppResult<String> {
    let s = raw.trim().to_string();
    if s.chars().count() > 200 {
        return Err(AppError::Validation(vec![FieldProblem::new(
            "note",
            Problem::TooLong { max: 200 },
        )]));
    }
    Ok(s)
}

fn required_note(raw: &str) -> AppResult<String> {
    let s = note(raw)?;
    if s.is_empty() {
        return Err(AppError::Validation(vec![FieldProblem::new(
            "note",
            Problem::Required,
        )]));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_as_people_give_them() {
        let d = parse_due("2026-12-02").unwrap().unwrap();
        assert_eq!(d.to_offset(time::UtcOffset::UTC).hour(), 15);
        let m = parse_due("2026-12-02T07:00").unwrap().unwrap();
        assert_eq!(m.to_offset(time::UtcOffset::UTC).hour(), 23);
        assert!(parse_due("").unwrap().is_none());
        assert!(parse_due("明天").is_err());
    }
}
