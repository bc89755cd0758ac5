//! `doorstep staff …` (the working force's roster) and `doorstep duty …` (分包: who owns which
//! area). The command line acts as the office ([`Principal::office`], `cli` in the audit log),
//! through the same use cases as the staff pages and the API.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::daily::DayFilter;
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_app::staff::StaffDesk;
use doorstep_core::{AreaKind, AreaPath, Duty, Lang};
use doorstep_store::{DutyAssignment, Store};
use serde_json::json;

use crate::FormatArg;

/// Staff roster commands.
#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Import a staff roster (CSV or XLSX: 姓名, 手机号, 单位/类别, 技能, 可用时间, 备注), keyed by
    /// phone: new phones are added, known ones updated.
    Import {
        /// The managing area (a community or street), e.g. 二七区/京广路街道/祥云社区.
        #[arg(long)]
        into: String,
        /// The roster file.
        file: PathBuf,
        /// Print the outcome as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Export the staff roster in the import's columns.
    Export {
        /// The managing area.
        #[arg(long)]
        area: String,
        /// csv or xlsx.
        #[arg(long, value_enum, default_value = "xlsx")]
        format: FormatArg,
        /// The file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// Duty commands.
#[derive(Subcommand, Debug)]
pub enum DutyCommand {
    /// Give a staff member a duty in an area.
    Assign {
        /// The area (grid, compound, building or unit), e.g. 二七区/京广路街道/祥云社区/佳纷天地/1号楼.
        #[arg(long)]
        area: String,
        /// area_lead, grid_leader, grid_worker, building_captain, unit_captain or volunteer (or 楼栋长 …).
        #[arg(long)]
        duty: String,
        /// The staff member's phone.
        #[arg(long)]
        staff: String,
        /// Print the assignment as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take a duty away, by its id (from `duty list --json`).
    Remove {
        /// The assignment's id.
        id: i64,
    },
    /// The responsibility table (分包责任表): every duty held in an area and below.
    List {
        /// The area.
        #[arg(long)]
        area: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The gaps: areas of a kind with no working owner of a duty.
    Gaps {
        /// Under this area.
        #[arg(long)]
        area: String,
        /// building (default), compound, grid or unit.
        #[arg(long, default_value = "building")]
        kind: String,
        /// The duty (default building_captain).
        #[arg(long, default_value = "building_captain")]
        duty: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A use case's refusal as the command line says it: field problems one per line.
pub(crate) fn explain(e: AppError, lang: Lang) -> anyhow::Error {
    match e {
        AppError::Validation(problems) => anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.problem.message(lang)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        AppError::Conflict(c) => anyhow!("{}", c.message(lang)),
        AppError::NotFound => anyhow!(
            "{}",
            lang.pick("区域或工作人员不存在", "no such area or staff member")
        ),
        other => other.into(),
    }
}

pub(crate) fn path(raw: &str, lang: Lang) -> Result<AreaPath> {
    AreaPath::parse(raw).map_err(|p| anyhow!("{raw}: {}", p.message(lang)))
}

fn duty_json(a: &DutyAssignment) -> serde_json::Value {
    json!({"id": a.id, "duty": a.duty.code(), "area": a.area_path.to_string(),
           "staff": {"id": a.staff.id, "name": a.staff.fields.name, "phone": a.staff.fields.phone.as_str()}})
}

/// Runs a staff command.
pub async fn run_staff(store: &dyn Store, command: StaffCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = StaffDesk::new(store, &office, &ctx);
    match command {
        StaffCommand::Import { into, file, json } => {
            let r = desk
                .import(&into, file, lang)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", serde_json::to_string(&r)?);
            } else {
                for e in &r.errors {
                    match lang {
                        Lang::Zh => eprintln!("第 {} 行 · {}：{}", e.row, e.column, e.message),
                        Lang::En => eprintln!("row {} · {}: {}", e.row, e.column, e.message),
                    }
                }
                outln!(
                    "{}",
                    match lang {
                        Lang::Zh => format!(
                            "读取 {} 行：新增 {}，更新 {}，未变 {}，未导入 {}，重复（以最后一行为准）{}",
                            r.rows, r.created, r.updated, r.unchanged, r.rejected, r.superseded
                        ),
                        Lang::En => format!(
                            "{} rows: {} added, {} updated, {} unchanged, {} rejected, {} listed again later (the last row counts)",
                            r.rows, r.created, r.updated, r.unchanged, r.rejected, r.superseded
                        ),
                    }
                );
            }
        }
        StaffCommand::Export {
            area,
            format,
            output,
        } => {
            let format = match format {
                FormatArg::Csv => SheetFormat::Csv,
                FormatArg::Xlsx => SheetFormat::Xlsx,
            };
            let n = desk
                .export(Some(path(&area, lang)?), format, &output)
                .await
                .map_err(|e| explain(e, lang))?;
            match lang {
                Lang::Zh => eprintln!("已导出 {n} 名工作人员到 {}", output.display()),
                Lang::En => eprintln!("exported {n} staff to {}", output.display()),
            }
        }
    }
    Ok(())
}

/// Runs a duty command.
pub async fn run_duty(store: &dyn Store, command: DutyCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = StaffDesk::new(store, &office, &ctx);
    match command {
        DutyCommand::Assign {
            area,
            duty,
            staff,
            json,
        } => {
            let a = desk
                .assign_by_phone(&area, &duty, &staff)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", duty_json(&a));
            } else {
                outln!(
                    "{} · {} · {} {}",
                    a.area_path,
                    a.duty.label(lang),
                    a.staff.fields.name,
                    a.staff.fields.phone.as_str()
                );
            }
        }
        DutyCommand::Remove { id } => {
            let a = desk.unassign(id).await.map_err(|e| explain(e, lang))?;
            eprintln!(
                "{}{} · {} · {}",
                lang.pick("已取消：", "removed: "),
                a.area_path,
                a.duty.label(lang),
                a.staff.fields.name
            );
        }
        DutyCommand::List { area, json } => {
            let all = desk
                .table(&path(&area, lang)?)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = all.iter().map(duty_json).collect();
                outln!("{}", json!({"items": items, "total": all.len()}));
            } else {
                for a in &all {
                    outln!(
                        "{}\t{}\t{}\t{}",
                        a.area_path,
                        a.duty.label(lang),
                        a.staff.fields.name,
                        a.staff.fields.phone.as_str()
                    );
                }
            }
        }
        DutyCommand::Gaps {
            area,
            kind,
            duty,
            json,
        } => {
            let kind =
                AreaKind::parse(&kind).map_err(|p| anyhow!("{kind}: {}", p.message(lang)))?;
            let duty = Duty::parse(&duty)
                .ok_or_else(|| anyhow!("{duty}: {}", lang.pick("职责不正确", "unknown duty")))?;
            let gaps = desk
                .gaps(&path(&area, lang)?, kind, duty)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = gaps.iter().map(|a| a.path.to_string()).collect();
                outln!("{}", json!({"items": items, "total": gaps.len()}));
            } else {
                for a in &gaps {
                    outln!("{}", a.path);
                }
            }
        }
    }
    Ok(())
}

/// Task commands.
#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// Create a task for every household under an area, each routed to its owner.
    Bulk {
        /// The area, e.g. 二七区/京广路街道/祥云社区/佳纷天地/1号楼.
        #[arg(long)]
        area: String,
        /// door_knock, home_sampling, delivery, checkin_followup, investigation_call,
        /// checkpoint_shift, disinfection, escort or other (or 入户敲门 …).
        #[arg(long)]
        kind: String,
        /// Due: YYYY-MM-DD (end of that day, China time) or YYYY-MM-DDTHH:MM.
        #[arg(long, default_value = "")]
        due: String,
        /// What to do.
        #[arg(long, default_value = "")]
        note: String,
        /// A key of your choosing: running the same command with it again creates nothing new.
        #[arg(long)]
        key: String,
        /// Print {"created":…,"unassigned":…} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the tasks under an area (overdue first).
    List {
        /// The area.
        #[arg(long)]
        area: String,
        /// Only in this status (open, in_progress, done, cannot_do, cancelled).
        #[arg(long)]
        status: Option<String>,
        /// Only those made on this day, YYYY-MM-DD (or, with --on, due, done or overdue then).
        #[arg(long, default_value = "")]
        day: String,
        /// With --day: created (the default), due, done or overdue.
        #[arg(long, default_value = "")]
        on: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a task command.
pub async fn run_task(store: &dyn Store, command: TaskCommand, lang: Lang) -> Result<()> {
    use doorstep_app::tasks::{TaskDesk, TaskTemplate};
    use doorstep_core::TaskStatus;
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = TaskDesk::new(store, &office, &ctx);
    match command {
        TaskCommand::Bulk {
            area,
            kind,
            due,
            note,
            key,
            json,
        } => {
            let template = TaskTemplate {
                kind,
                due,
                priority: String::new(),
                note,
            };
            let made = desk
                .for_households(&path(&area, lang)?, &template, &key)
                .await
                .map_err(|e| explain(e, lang))?;
            let unassigned = made.iter().filter(|t| t.assignee_id.is_none()).count();
            if json {
                outln!(
                    "{}",
                    json!({"created": made.len(), "unassigned": unassigned})
                );
            } else {
                match lang {
                    Lang::Zh => outln!(
                        "已创建 {} 个任务，其中 {unassigned} 个无人负责（见任务看板）",
                        made.len()
                    ),
                    Lang::En => outln!(
                        "{} tasks, {unassigned} without an owner (on the board)",
                        made.len()
                    ),
                }
            }
        }
        TaskCommand::List {
            area,
            status,
            day,
            on,
            json,
        } => {
            let day = desk
                .day(&DayFilter { day, on })
                .map_err(|e| explain(e, lang))?;
            let statuses = match status.as_deref() {
                None => Vec::new(),
                Some(s) => vec![TaskStatus::from_stored(s).ok_or_else(|| {
                    anyhow!("{s}: {}", lang.pick("状态不正确", "unknown status"))
                })?],
            };
            let page = desk
                .board(
                    Some(path(&area, lang)?),
                    doorstep_store::TaskQuery {
                        area: None,
                        assignee_id: None,
                        unassigned: false,
                        statuses,
                        kind: None,
                        due_before: None,
                        day,
                        page: doorstep_store::PageRequest {
                            offset: 0,
                            limit: 10_000,
                        },
                    },
                )
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = page
                    .items
                    .iter()
                    .map(|t| {
                        json!({"id": t.id, "kind": t.kind.code(), "label": t.label, "status": t.status.code(),
                               "assignee": t.assignee.as_ref().map(|(n, _)| n), "outcome": t.outcome})
                    })
                    .collect();
                outln!("{}", json!({"items": items, "total": page.total}));
            } else {
                for t in &page.items {
                    outln!(
                        "{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.kind.label(lang),
                        t.label,
                        t.status.label(lang),
                        t.assignee.as_ref().map_or("-", |(n, _)| n.as_str())
                    );
                }
            }
        }
    }
    Ok(())
}
