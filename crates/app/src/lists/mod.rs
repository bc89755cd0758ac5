//! Investigation lists from above (流调摸排 / 协查): staff import a list (CSV or XLSX through
//! the roster reader), map its columns once per header set (remembered), and each row is
//! matched to the registry — by ID number, else by phone, else not found — and becomes a
//! call task: for the owner of the person's building (the task model's routing of
//! `investigation_call`), or, not found, for the **desk**: a task on the list's own area (the
//! community), routed like any task there, which is the community's board when nobody holds
//! the duty. Repeats (within the list, or of a row of an open list) are kept and shown, never
//! called.
//!
//! Access: `Action::InvestigationLists` (community admin and up) imports, maps, closes, sees
//! progress and writes the return file; calls are tasks, recorded by their assignee or a
//! manager ([`calls`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use doorstep_core::lists::{
    DEFAULT_MAX_CALLS, ListField, ListStatus, Mapping, MatchKind, RowState, header_key,
};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Conflict, Lang, Problem, Target};
use doorstep_store::{
    Id, InvestigationList, LIST_CALL_SOURCE, ListRow, NewList, NewListRow, RowFilter, Store,
    audit_with,
};
use serde::Serialize;
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::import::ImportError;
use crate::tasks::{MAX_BULK, TaskDesk, TaskInput};

pub mod calls;
pub mod matching;
mod read;
mod return_file;

pub use matching::RawListRow;

/// The most lists a page shows.
pub const LIST_MAX: u32 = 200;
/// The most rows a page of not-found rows or repeats shows.
pub const ROWS_MAX: u32 = 500;

/// What an import did (the CLI's `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// The list's id.
    pub id: Id,
    /// `mapping` (its columns are to be mapped) or `open` (matched, calls made).
    pub status: String,
    /// Rows read.
    pub rows: u64,
    /// The counts, once matched.
    pub progress: Option<Progress>,
    /// Where the time went, in milliseconds (for the benchmark and the CLI's `--json`).
    pub timings: Timings,
}

/// Where an import's time went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Reading the file.
    pub read_ms: u64,
    /// Looking the keys up in the registry and on open lists, matching, finding repeats.
    pub match_ms: u64,
    /// Storing the list and its rows.
    pub store_ms: u64,
    /// Making the call tasks (routed).
    pub calls_ms: u64,
}

fn ms(since: std::time::Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// A list's rows counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// Rows.
    pub total: u64,
    /// Matched by ID number.
    pub by_id_number: u64,
    /// Matched by phone only.
    pub by_phone: u64,
    /// Not found (repeats left out): calls for the desk.
    pub not_found: u64,
    /// Repeats, never called.
    pub duplicates: u64,
    /// Rows by state: (code, count), open states first.
    pub states: Vec<(String, u64)>,
}

impl Progress {
    /// The rows still to do (calls, recalls, door-knocks).
    pub fn open(&self) -> u64 {
        self.states
            .iter()
            .filter(|(c, _)| matches!(c.as_str(), "calling" | "retrying" | "door_knock"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The end of today in China, as a task's due time (a list's calls are made the same day).
fn due_today(ctx: &Ctx) -> String {
    ctx.today().to_string()
}

/// Investigation lists as one user may use them.
pub struct ListDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> ListDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        ListDesk { store, who, ctx }
    }

    /// A list this user may work on (not found outside their area).
    pub async fn get(&self, id: Id) -> AppResult<InvestigationList> {
        let l = self
            .store
            .investigation_list(id)
            .await?
            .filter(|l| self.who.covers(&l.area_path))
            .ok_or(AppError::NotFound)?;
        self.who
            .authorize(Action::InvestigationLists, &l.area_path)?;
        Ok(l)
    }

    /// The lists under `area` (the user's own when blank), newest first.
    pub async fn lists(&self, area: &str) -> AppResult<Vec<InvestigationList>> {
        let area = self.who.area_for(area, Action::InvestigationLists)?;
        Ok(self
            .store
            .investigation_lists(area.as_ref(), LIST_MAX)
            .await?)
    }

    /// Imports a list into `area`: the rows are read (CSV or XLSX, through the roster
    /// reader) and stored as received. Its columns are mapped by `chosen` (field code →
    /// header text), else by the mapping remembered for its header set, else — when `guess`
    /// (the CLI) — by the guess; then the rows are matched and called at once. Otherwise the
    /// list waits for its mapping ([`ListDesk::map`]). Audited (`list.import`).
    pub async fn import(
        &self,
        area: &str,
        name: &str,
        file: PathBuf,
        chosen: Option<&[(String, String)]>,
        guess: bool,
    ) -> AppResult<Imported> {
        let area = AreaPath::parse(area.trim())
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("area", p)]))?;
        if !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::InvestigationLists, &area)?;
        let place = self
            .store
            .area_by_path(&area)
            .await?
            .ok_or(AppError::NotFound)?;
        let name = doorstep_core::text::tidy(name);
        if name.chars().count() > 100 {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "name",
                Problem::TooLong { max: 100 },
            )]));
        }
        let mut timings = Timings::default();
        let t0 = std::time::Instant::now();
        let (headers, raw) = tokio::task::spawn_blocking(move || read::read(&file))
            .await
            .map_err(|e| AppError::Import(ImportError::Internal(e)))?
            .map_err(|e| AppError::Import(ImportError::File(e)))?;
        timings.read_ms = ms(t0);
        let key = header_key(&headers);
        let mapping = match chosen {
            Some(c) => Some(parse_mapping(&headers, c)?),
            None => match self.store.list_mapping(&key).await? {
                Some(stored) => remembered(&headers, &stored),
                None if guess => {
                    let m = Mapping::guess(&headers);
                    if !m.can_match() {
                        return Err(AppError::Validation(vec![FieldProblem::new(
                            "mapping",
                            Problem::Required,
                        )]));
                    }
                    Some(m)
                }
                None => None,
            },
        };
        let new = NewList {
            area_id: place.id,
            area_path: area.clone(),
            name: if name.is_empty() {
                format!("名单 {}", self.ctx.today())
            } else {
                name
            },
            headers: headers.clone(),
            header_key: key,
            mapping: mapping.as_ref().map(mapping_json),
            status: if mapping.is_some() {
                ListStatus::Open
            } else {
                ListStatus::Mapping
            },
            max_calls: DEFAULT_MAX_CALLS,
            created_by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        let total = raw.len() as u64;
        let t0 = std::time::Instant::now();
        let rows = match &mapping {
            Some(m) => self.matched(m, raw, None, &area).await?,
            None => raw
                .into_iter()
                .enumerate()
                .map(|(i, (row_no, cells))| NewListRow {
                    seq: i as u32 + 1,
                    row_no,
                    cells,
                    ..NewListRow::default()
                })
                .collect(),
        };
        timings.match_ms = ms(t0);
        // A repeat is never called: the row it repeats is. An import killed between storing its
        // list and making the list's calls left that row without its call, so the calls of
        // every list this one repeats are made first (keyed: none is made twice).
        let mut repeated: Vec<Id> = rows.iter().filter_map(|r| r.dup_of.map(|d| d.0)).collect();
        repeated.sort_unstable();
        repeated.dedup();
        for list in repeated {
            self.make_calls(list).await?;
        }
        let t0 = std::time::Instant::now();
        let entry = self.who.audit_entry(
            self.ctx,
            "list.import",
            None,
            Some(&area),
            json!({"rows": total, "mapped": mapping.is_some()}),
        );
        let remember = mapping.as_ref().map(|m| remember_json(m, &headers));
        let id = self
            .store
            .create_list(
                &new,
                rows,
                remember,
                audit_with(move |id: &Id| {
                    let mut e = entry;
                    e.object_type = Some("list".into());
                    e.object_id = Some(*id);
                    vec![e]
                }),
            )
            .await?;
        timings.store_ms = ms(t0);
        let t0 = std::time::Instant::now();
        let progress = if mapping.is_some() {
            self.make_calls(id).await?;
            timings.calls_ms = ms(t0);
            Some(self.progress(id).await?)
        } else {
            None
        };
        Ok(Imported {
            id,
            status: new.status.code().into(),
            rows: total,
            progress,
            timings,
        })
    }

    /// The fields with the header each is mapped to now: the list's own mapping, else the
    /// one remembered for its headers, else the guess.
    pub async fn mapping_choices(
        &self,
        id: Id,
    ) -> AppResult<(InvestigationList, Vec<(ListField, Option<String>)>)> {
        let l = self.get(id).await?;
        let m = match &l.mapping {
            Some(m) => serde_json::from_str::<Mapping>(m).ok(),
            None => None,
        };
        let m = match m {
            Some(m) => m,
            None => match self.store.list_mapping(&l.header_key).await? {
                Some(stored) => {
                    remembered(&l.headers, &stored).unwrap_or_else(|| Mapping::guess(&l.headers))
                }
                None => Mapping::guess(&l.headers),
            },
        };
        let out = ListField::ALL
            .into_iter()
            .map(|f| (f, m.get(f).and_then(|i| l.headers.get(i).cloned())))
            .collect();
        Ok((l, out))
    }

    /// Maps a waiting list's columns (field code → header text), remembers the mapping for
    /// its header set, matches its rows and makes their calls. Conflict `list_status` for a
    /// list mapped already. Audited (`list.map`).
    pub async fn map(&self, id: Id, chosen: &[(String, String)]) -> AppResult<Progress> {
        let l = self.get(id).await?;
        if l.status != ListStatus::Mapping {
            return Err(AppError::Conflict(Conflict::ListStatus));
        }
        let m = parse_mapping(&l.headers, chosen)?;
        let raw: Vec<RawListRow> = self
            .store
            .list_rows(id, RowFilter::All, u32::MAX)
            .await?
            .into_iter()
            .map(|r| (r.row_no, r.cells))
            .collect();
        let rows = self.matched(&m, raw, Some(id), &l.area_path).await?;
        let entry = self.who.audit_entry(
            self.ctx,
            "list.map",
            Some(("list", id)),
            Some(&l.area_path),
            json!({"mapping": remember_value(&m, &l.headers)}),
        );
        self.store
            .map_list(
                id,
                &mapping_json(&m),
                &remember_json(&m, &l.headers),
                rows,
                self.who.username(),
                audit_with(move |_| vec![entry]),
            )
            .await?;
        self.make_calls(id).await?;
        self.progress(id).await
    }

    /// The rows read through `m`, matched to the registry of the list's area (a person of
    /// the city who lives outside it is "not found" here, the desk's to settle) and checked
    /// for repeats against the open lists (other than `this`).
    async fn matched(
        &self,
        m: &Mapping,
        raw: Vec<RawListRow>,
        this: Option<Id>,
        area: &AreaPath,
    ) -> AppResult<Vec<NewListRow>> {
        let mut rows = matching::read_rows(raw, m, self.ctx.today());
        let (ids, phones) = matching::keys_of(&rows);
        let hits = self.store.persons_by_keys(&ids, &phones).await?;
        let open = self.store.open_list_keys(this.unwrap_or(0)).await?;
        matching::match_rows(&mut rows, &hits, area, &open);
        Ok(rows)
    }

    /// Makes the first call of every row to call that has none yet (keyed, so a second run
    /// makes nothing twice): on the person, or on the list's area (the desk) when not found.
    async fn make_calls(&self, id: Id) -> AppResult<()> {
        let l = self
            .store
            .investigation_list(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows = self.store.list_rows(id, RowFilter::All, u32::MAX).await?;
        let due = due_today(self.ctx);
        let inputs: Vec<TaskInput> = rows
            .iter()
            .filter(|r| r.calls > 0 && r.task.is_none())
            .map(|r| call_task(&l, r, r.calls, &due))
            .collect();
        if inputs.is_empty() {
            return Ok(());
        }
        let office = Principal::office();
        let tasks = TaskDesk::new(self.store, &office, self.ctx);
        for chunk in inputs.chunks(MAX_BULK) {
            tasks.create_many(chunk).await?;
        }
        Ok(())
    }

    /// A list's rows counted by how they matched and where they stand.
    pub async fn progress(&self, id: Id) -> AppResult<Progress> {
        let counts = self.store.list_counts(id).await?;
        let mut p = Progress::default();
        let mut states: HashMap<String, u64> = HashMap::new();
        for c in &counts {
            p.total += c.count;
            if c.duplicate {
                p.duplicates += c.count;
            } else {
                match c.match_kind {
                    Some(MatchKind::IdNumber) => p.by_id_number += c.count,
                    Some(MatchKind::Phone) => p.by_phone += c.count,
                    Some(MatchKind::NotFound) => p.not_found += c.count,
                    None => {}
                }
            }
            let task = c.task.as_ref().map(|(k, s, o)| (*k, *s, o.as_deref()));
            let state = RowState::of(c.duplicate, task, c.calls);
            *states.entry(state.code()).or_default() += c.count;
        }
        let order = |c: &str| match c {
            "calling" => 0,
            "retrying" => 1,
            "door_knock" => 2,
            "waiting" => 3,
            "duplicate" => 9,
            _ => 5,
        };
        let mut states: Vec<(String, u64)> = states.into_iter().collect();
        states.sort_by(|a, b| order(&a.0).cmp(&order(&b.0)).then(a.0.cmp(&b.0)));
        p.states = states;
        Ok(p)
    }

    /// Progress as the user may see it.
    pub async fn progress_of(&self, id: Id) -> AppResult<(InvestigationList, Progress)> {
        let l = self.get(id).await?;
        let p = self.progress(id).await?;
        Ok((l, p))
    }

    /// A list's rows: every one, the not-found ones or the repeats (at most `limit`).
    pub async fn rows(&self, id: Id, filter: RowFilter, limit: u32) -> AppResult<Vec<ListRow>> {
        self.get(id).await?;
        Ok(self.store.list_rows(id, filter, limit).await?)
    }

    /// Closes a list: its rows no longer count as on an open list. Audited (`list.close`).
    pub async fn close(&self, id: Id) -> AppResult<InvestigationList> {
        let l = self.get(id).await?;
        if l.status == ListStatus::Closed {
            return Err(AppError::Conflict(Conflict::ListStatus));
        }
        let entry = self.who.audit_entry(
            self.ctx,
            "list.close",
            Some(("list", id)),
            Some(&l.area_path),
            serde_json::Value::Null,
        );
        self.store
            .set_list_status(id, ListStatus::Closed, audit_with(move |_| vec![entry]))
            .await?;
        self.get(id).await
    }
}

/// The call number `n` of row `r` as a task: on the person, or on the list's area (the desk).
pub(crate) fn call_task(l: &InvestigationList, r: &ListRow, n: u32, due: &str) -> TaskInput {
    let (target, who) = match r.person_id {
        Some(p) => (Target::Person(p), String::new()),
        None => (
            Target::Area(l.area_id),
            format!(
                "未匹配 / not found: {} {}",
                r.name,
                doorstep_core::idnum::mask_middle(&r.phone, 3, 4)
            ),
        ),
    };
    let note = format!(
        "流调协查「{}」第{}行 {} {} {}",
        l.name, r.row_no, r.risk_place, r.seen_at, who
    );
    TaskInput {
        kind: "investigation_call".into(),
        target,
        assignee_id: None,
        due: due.to_string(),
        priority: if n > 1 {
            "high".into()
        } else {
            "normal".into()
        },
        note: doorstep_core::text::tidy(&note).chars().take(200).collect(),
        source: LIST_CALL_SOURCE.into(),
        source_key: Some(format!("{}:{n}", r.id)),
    }
}

fn parse_mapping(headers: &[String], chosen: &[(String, String)]) -> AppResult<Mapping> {
    Mapping::parse(headers, chosen).map_err(|ps| {
        AppError::Validation(
            ps.into_iter()
                .map(|(f, p)| FieldProblem::new(f, p))
                .collect(),
        )
    })
}

/// A remembered mapping (field code → header text) applied to these headers; `None` when it
/// no longer fits them.
fn remembered(headers: &[String], stored: &str) -> Option<Mapping> {
    let pairs: Vec<(String, String)> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(stored)
            .ok()?
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
    let by_key: Vec<String> = headers
        .iter()
        .map(|h| doorstep_core::text::compact(h).to_lowercase())
        .collect();
    // The key matched loosely (case, spaces): map by the file's own spelling.
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter_map(|(f, h)| {
            let want = doorstep_core::text::compact(&h).to_lowercase();
            let i = by_key.iter().position(|k| *k == want)?;
            Some((f, headers[i].trim().to_string()))
        })
        .collect();
    Mapping::parse(headers, &pairs).ok()
}

fn mapping_json(m: &Mapping) -> String {
    let v: serde_json::Map<String, serde_json::Value> = ListField::ALL
        .into_iter()
        .filter_map(|f| Some((f.code().to_string(), json!(m.get(f)?))))
        .collect();
    serde_json::Value::Object(v).to_string()
}

fn remember_value(m: &Mapping, headers: &[String]) -> serde_json::Value {
    serde_json::Value::Object(
        m.by_header(headers)
            .into_iter()
            .map(|(f, h)| (f, json!(h)))
            .collect(),
    )
}

fn remember_json(m: &Mapping, headers: &[String]) -> String {
    remember_value(m, headers).to_string()
}

/// A row's state from its latest task.
pub fn row_state(r: &ListRow) -> RowState {
    RowState::of(
        r.dup_of.is_some(),
        r.task
            .as_ref()
            .map(|t| (t.kind, t.status, t.outcome.as_deref())),
        r.calls,
    )
}

/// A row's state in words, with the outcome's note (where) when there is one.
pub fn row_state_text(r: &ListRow, lang: Lang) -> String {
    let s = row_state(r).label(lang);
    match r.task.as_ref().map(|t| t.outcome_note.as_str()) {
        Some(n) if !n.is_empty() && !row_state(r).is_open() => format!("{s}：{n}"),
        _ => s,
    }
}

/// Writes the return file; see [`return_file`].
pub use return_file::{ReturnFile, repeats};

impl ListDesk<'_> {
    /// Writes the list as received, same columns and order, with the outcome columns
    /// after, to `path` (XLSX or CSV). Audited (`list.return`).
    pub async fn write_return(
        &self,
        id: Id,
        format: crate::export::SheetFormat,
        path: &Path,
    ) -> AppResult<u64> {
        let l = self.get(id).await?;
        let rows = self.store.list_rows(id, RowFilter::All, u32::MAX).await?;
        let n = rows.len() as u64;
        let file = ReturnFile::of(&l, &rows);
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || file.write(format, &path))
            .await
            .map_err(AppError::internal)??;
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "list.return",
                Some(("list", id)),
                Some(&l.area_path),
                json!({"rows": n}),
            ))
            .await?;
        Ok(n)
    }
}
