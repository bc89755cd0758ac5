//! Retention of what an emergency collected (`Action::Retention`, community admin and up; the
//! office from the command line).
//!
//! An emergency's personal data — self-reports, check-ins, investigation lists' rows and
//! calls, checkpoint register entries, test scans — is the community subtree's rows collected
//! from its first day's start to its last day's end. Once its period is over
//! (`core::emergency::purge_from`: the day after the last day plus the period), those rows are
//! anonymised or deleted, per kind (`RetentionKind::treatment`). Never touched: the registry
//! (persons, households), the data of an emergency still running or whose period is not over
//! — also where its span meets an older one's — and anything collected outside an emergency.
//! A run is a series of batches, one transaction each, each treating at most
//! [`BATCH`] rows that are still to treat, so a run stopped half-way, a second run and two
//! runs at once treat each row once; the counts it reports are the rows it treated, and one
//! audit entry (`retention.run`) records them after the last batch.

use doorstep_core::AreaPath;
use doorstep_core::emergency::{RetentionKind, purge_from, window};
use doorstep_store::{Emergency, RetentionScope, Store};
use serde_json::json;
use time::Date;

use crate::access::{Action, Ctx, Principal};
use crate::error::AppResult;

/// The job's name in `daily_sweeps`: the scheduled run's claim for a China day.
pub const SCHEDULED_JOB: &str = "retention";

/// The time of day (China's, on the app's clock) the scheduled run starts by default.
pub const SCHEDULED_AT: time::Time = time::macros::time!(03:30);

/// The scheduled run (`doorstep serve`, once a day): at or after `at` on the app's clock
/// (China time), the first server to claim today's row in `daily_sweeps` runs retention over
/// every area as the office, audited as any run (`retention.run`); the others, and this one
/// later that day, find the day claimed and do nothing. `None` when it did not run.
///
/// The claim is the lock: one `INSERT … ON CONFLICT DO NOTHING` on `(job, day)`, so two
/// servers never run it at the same time for the same day. A server that dies half-way
/// leaves the rest for the next day's run (each batch is its own transaction and a run
/// only ever treats what is still due, so nothing is treated twice and nothing is lost).
pub async fn run_scheduled(
    store: &dyn Store,
    ctx: &Ctx,
    at: time::Time,
) -> AppResult<Option<RetentionReport>> {
    let now = ctx.now();
    let china = now.to_offset(crate::clock::CHINA);
    if china.time() < at {
        return Ok(None);
    }
    let today = china.date();
    if store.daily_sweep_done(SCHEDULED_JOB, today).await?
        || !store.mark_daily_sweep(SCHEDULED_JOB, today, now).await?
    {
        return Ok(None);
    }
    let office = Principal::office();
    let report = RetentionDesk::new(store, &office, ctx)
        .run("", false)
        .await?;
    Ok(Some(report))
}

/// The most rows one transaction treats.
pub const BATCH: i64 = 2_000;

/// Where an emergency stands for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Running: nothing of it is touched.
    Running,
    /// Ended; its data is kept until the day named.
    Kept(Date),
    /// Its period is over: its data goes.
    Due,
}

/// One emergency's part of a preview or a run: its rows per kind.
#[derive(Debug, Clone)]
pub struct RetentionItem {
    /// The emergency.
    pub emergency: Emergency,
    /// Where it stands.
    pub standing: Standing,
    /// The day its data may go from (`None` while it runs).
    pub purge_from: Option<Date>,
    /// Rows per kind, in [`RetentionKind::ALL`]'s order: to treat (preview), treated (run);
    /// all zero unless due.
    pub counts: Vec<(RetentionKind, i64)>,
}

/// A preview or a run over an area.
#[derive(Debug, Clone)]
pub struct RetentionReport {
    /// The area (`None`: everywhere).
    pub area: Option<AreaPath>,
    /// Whether this only counted.
    pub dry_run: bool,
    /// Each emergency of the area, running first.
    pub items: Vec<RetentionItem>,
}

impl RetentionReport {
    /// Rows per kind over every emergency.
    pub fn totals(&self) -> Vec<(RetentionKind, i64)> {
        RetentionKind::ALL
            .iter()
            .map(|k| {
                let n = self
                    .items
                    .iter()
                    .flat_map(|i| i.counts.iter())
                    .filter(|(kind, _)| kind == k)
                    .map(|(_, n)| n)
                    .sum();
                (*k, n)
            })
            .collect()
    }
}

/// Retention as one user may use it.
pub struct RetentionDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> RetentionDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        RetentionDesk { store, who, ctx }
    }

    fn area(&self, raw: &str) -> AppResult<Option<AreaPath>> {
        self.who.area_for(raw, Action::Retention)
    }

    /// What a run over `area` (the user's own when blank) would treat, per emergency and
    /// kind; nothing is changed.
    pub async fn preview(&self, area: &str) -> AppResult<RetentionReport> {
        let area = self.area(area)?;
        self.go(area, true).await
    }

    /// Treats what is due under `area` (`dry_run`: only counts, as [`Self::preview`]).
    pub async fn run(&self, area: &str, dry_run: bool) -> AppResult<RetentionReport> {
        let area = self.area(area)?;
        self.go(area, dry_run).await
    }

    async fn go(&self, area: Option<AreaPath>, dry_run: bool) -> AppResult<RetentionReport> {
        let today = self.ctx.today();
        let all = self.store.emergencies(area.as_ref()).await?;
        let standing = |e: &Emergency| match &e.ended {
            None => Standing::Running,
            Some(end) => {
                let from = purge_from(end.on, e.retention);
                if today >= from {
                    Standing::Due
                } else {
                    Standing::Kept(from)
                }
            }
        };
        let mut items = Vec::new();
        for e in &all {
            let st = standing(e);
            let mut counts: Vec<(RetentionKind, i64)> =
                RetentionKind::ALL.iter().map(|k| (*k, 0)).collect();
            if st == Standing::Due {
                let (from, to) = window(e.started_on, e.ended.as_ref().map(|x| x.on));
                let spared = all
                    .iter()
                    .filter(|o| {
                        o.id != e.id && o.area_path == e.area_path && standing(o) != Standing::Due
                    })
                    .map(|o| window(o.started_on, o.ended.as_ref().map(|x| x.on)))
                    .collect();
                let scope = RetentionScope {
                    area: e.area_path.clone(),
                    from,
                    to: to.unwrap_or(from),
                    spared,
                };
                for (kind, n) in counts.iter_mut() {
                    *n = if dry_run {
                        self.store.retention_count(&scope, *kind).await?
                    } else {
                        self.treat(&scope, *kind).await?
                    };
                }
            }
            items.push(RetentionItem {
                purge_from: e.ended.as_ref().map(|end| purge_from(end.on, e.retention)),
                emergency: e.clone(),
                standing: st,
                counts,
            });
        }
        let report = RetentionReport {
            area,
            dry_run,
            items,
        };
        if !dry_run {
            let per: Vec<serde_json::Value> = report
                .items
                .iter()
                .filter(|i| i.standing == Standing::Due)
                .map(|i| {
                    let counts: serde_json::Map<String, serde_json::Value> = i
                        .counts
                        .iter()
                        .map(|(k, n)| (k.code().to_string(), json!(n)))
                        .collect();
                    json!({"emergency": i.emergency.id, "area": i.emergency.area_path.as_str(), "counts": counts})
                })
                .collect();
            let totals: serde_json::Map<String, serde_json::Value> = report
                .totals()
                .into_iter()
                .map(|(k, n)| (k.code().to_string(), json!(n)))
                .collect();
            let entry = self.who.audit_entry(
                self.ctx,
                "retention.run",
                None,
                report.area.as_ref(),
                json!({"totals": totals, "emergencies": per}),
            );
            self.store.audit(&entry).await?;
        }
        Ok(report)
    }

    /// Batches until nothing of `kind` is left in `scope`; the rows this run treated.
    async fn treat(&self, scope: &RetentionScope, kind: RetentionKind) -> AppResult<i64> {
        let mut treated = 0i64;
        loop {
            let step = self
                .store
                .retention_batch(scope, kind, self.ctx.now(), BATCH)
                .await?;
            treated += i64::try_from(step.treated).unwrap_or(i64::MAX);
            if step.found == 0 {
                return Ok(treated);
            }
        }
    }
}
