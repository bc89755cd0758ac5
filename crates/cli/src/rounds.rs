//! `doorstep round …`: set up a mass-testing round and follow its coverage from the command
//! line, as the office ([`Principal::office`]), through the same use cases as the API.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{LabDesk, RoundDesk, RoundForm};
use doorstep_core::{Lang, RoundStatus};
use doorstep_store::{Round, Store};
use serde_json::json;

use crate::staff::{explain, path};

/// Round commands.
#[derive(Subcommand, Debug)]
pub enum RoundCommand {
    /// Create a round (planned): `--area` runs it, `--sample` narrows it to some areas in it.
    Create {
        /// The area running it, e.g. 二七区/京广路街道/祥云社区.
        #[arg(long)]
        area: String,
        /// Its name, e.g. 第3轮全员核酸.
        #[arg(long)]
        name: String,
        /// The default pool size: 1, 5, 10 or 20.
        #[arg(long, default_value_t = 10)]
        pool_size: u32,
        /// Minutes from a box's first sample to the lab before it is late: 30–1440 (240, the
        /// published 4 hours, when left out).
        #[arg(long)]
        lab_deadline_minutes: Option<i64>,
        /// An area to sample (repeatable; all of `--area` when left out).
        #[arg(long)]
        sample: Vec<String>,
        /// Planned start (YYYY-MM-DD or YYYY-MM-DDTHH:MM, China time).
        #[arg(long, default_value = "")]
        starts: String,
        /// Planned end.
        #[arg(long, default_value = "")]
        ends: String,
        /// Print `{"id": …}` and the round as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open a round for sampling (or reopen a closed one).
    Open {
        /// The round's id.
        id: i64,
    },
    /// Close a round.
    Close {
        /// The round's id.
        id: i64,
    },
    /// The rounds, newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A round's sampling points (采样点): add, edit, list.
    Point {
        /// The point command.
        #[command(subcommand)]
        command: crate::materials::PointCommand,
    },
    /// Materials handed to sampling points (物资): tube and box codes, swabs; the day's
    /// reconciliation.
    Materials {
        /// The materials command.
        #[command(subcommand)]
        command: crate::materials::MaterialsCommand,
    },
    /// A round's report, handover slips (交接单) and chains of custody.
    #[command(flatten)]
    Custody(crate::custody::CustodyCommand),
    /// Coverage of an area in a round: expected, sampled, excused, missing, per child area.
    Coverage {
        /// The round's id.
        id: i64,
        /// The area (the round's when left out).
        #[arg(long)]
        area: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn round_json(r: &Round) -> serde_json::Value {
    json!({"id": r.id, "name": r.name, "area": r.area_path.to_string(), "pool_size": r.pool_size.get(),
           "lab_deadline_minutes": r.lab_deadline_minutes,
           "status": r.status.code(), "areas": r.areas.iter().map(ToString::to_string).collect::<Vec<_>>()})
}

/// Runs a round command.
pub async fn run(store: &dyn Store, command: RoundCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    let say = |r: &Round| match lang {
        Lang::Zh => outln!(
            "第 {} 号：{}（{}，{}）",
            r.id,
            r.name,
            r.area_path,
            r.status.label(lang)
        ),
        Lang::En => outln!(
            "#{}: {} ({}, {})",
            r.id,
            r.name,
            r.area_path,
            r.status.label(lang)
        ),
    };
    match command {
        RoundCommand::Point { command } => {
            return crate::materials::run_point(store, command, lang).await;
        }
        RoundCommand::Materials { command } => {
            return crate::materials::run_materials(store, command, lang).await;
        }
        RoundCommand::Custody(command) => {
            return crate::custody::run(store, command, lang).await;
        }
        RoundCommand::Create {
            area,
            name,
            pool_size,
            lab_deadline_minutes,
            sample,
            starts,
            ends,
            json,
        } => {
            let r = desk
                .create(&RoundForm {
                    area,
                    name,
                    pool_size,
                    starts,
                    ends,
                    areas: sample,
                    groups: Vec::new(),
                    lab_deadline_minutes,
                })
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", round_json(&r));
            } else {
                say(&r);
            }
        }
        RoundCommand::Open { id } | RoundCommand::Close { id } => {
            let to = if matches!(command, RoundCommand::Open { .. }) {
                RoundStatus::Open
            } else {
                RoundStatus::Closed
            };
            let r = desk
                .set_status(id, to)
                .await
                .map_err(|e| explain(e, lang))?;
            say(&r);
        }
        RoundCommand::List { json } => {
            let rounds = desk.list().await.map_err(|e| explain(e, lang))?;
            if json {
                outln!(
                    "{}",
                    serde_json::Value::Array(rounds.iter().map(round_json).collect())
                );
            } else {
                rounds.iter().for_each(say);
            }
        }
        RoundCommand::Coverage { id, area, json } => {
            let area = area.map(|a| path(&a, lang)).transpose()?;
            let c = desk
                .coverage(id, area)
                .await
                .map_err(|e| explain(e, lang))?;
            let line = |c: &doorstep_app::rounds::Coverage| {
                json!({"area": c.area.as_ref().map(ToString::to_string), "expected": c.expected,
                       "sampled": c.sampled, "excluded": c.excluded, "missing": c.missing})
            };
            if json {
                let mut top = line(&c);
                top["children"] = c.children.iter().map(line).collect();
                outln!("{top}");
            } else {
                for k in std::iter::once(&c).chain(&c.children) {
                    outln!(
                        "{}\t{}/{}\t{} {}\t{} {}",
                        k.area.as_ref().map(ToString::to_string).unwrap_or_default(),
                        k.sampled,
                        k.expected,
                        lang.pick("免采", "excused"),
                        k.excluded,
                        lang.pick("未采", "missing"),
                        k.missing
                    );
                }
            }
        }
    }
    Ok(())
}

/// `doorstep import results FILE`: a lab's results through the lab's use case, as the office.
pub async fn import_results(
    store: &dyn Store,
    file: PathBuf,
    json: bool,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let (done, errors) = LabDesk::new(store, &office, &ctx)
        .import_results(file, lang)
        .await
        .map_err(|e| explain(e, lang))?;
    if json {
        let errors: Vec<_> = errors
            .iter()
            .map(
                |e| json!({"row": e.row, "column": e.column, "code": e.code, "message": e.message}),
            )
            .collect();
        outln!(
            "{}",
            json!({"recorded": done.recorded, "unchanged": done.unchanged, "different": done.different,
                   "unknown": done.unknown, "flagged": done.flagged, "tasks": done.tasks,
                   "rejected": errors.len(), "errors": errors})
        );
        return Ok(());
    }
    match lang {
        Lang::Zh => outln!(
            "已登记 {} 管结果（{} 管与先前相同），{} 管有不同结果未覆盖，{} 个试管码不存在；阳性混管标记 {} 人，生成上门复采任务 {} 个",
            done.recorded,
            done.unchanged,
            done.different.len(),
            done.unknown.len(),
            done.flagged,
            done.tasks
        ),
        Lang::En => outln!(
            "{} results recorded ({} as before), {} tubes with a different result kept, {} unknown codes; {} persons flagged by positive pools, {} home re-sampling tasks",
            done.recorded,
            done.unchanged,
            done.different.len(),
            done.unknown.len(),
            done.flagged,
            done.tasks
        ),
    }
    for e in &errors {
        eprintln!(
            "{} {}, {}: {}",
            lang.pick("第", "row"),
            e.row,
            e.column,
            e.message
        );
    }
    Ok(())
}
