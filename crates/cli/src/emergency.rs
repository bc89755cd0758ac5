//! `doorstep emergency …` (平急转换) and `doorstep retention run`: as the office
//! ([`Principal::office`]), through the same use cases as the API and pages.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::emergency::retention::{RetentionDesk, RetentionReport, Standing};
use doorstep_app::emergency::{EmergencyDesk, EndInput, MemberInput, StartInput};
use doorstep_core::Lang;
use doorstep_store::Emergency;
use serde_json::json;

use crate::staff::explain;

/// Emergency commands.
#[derive(Subcommand, Debug)]
pub enum EmergencyCommand {
    /// Switch a community into emergency mode.
    Start {
        /// The community's path.
        #[arg(long)]
        area: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The first day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        on: String,
        /// A task force's member as FORCE=STAFF_ID (info_check, duty, disinfection, service);
        /// repeat for each.
        #[arg(long = "member")]
        members: Vec<String>,
        /// Print the emergency as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Switch a community back to peacetime.
    End {
        /// The emergency's id.
        id: i64,
        /// The last day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        on: String,
        /// Days its personal data is kept after the last day (30 when left out).
        #[arg(long, default_value = "")]
        retention_days: String,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
        /// Print the emergency as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add or remove members of a running emergency's task forces (each change audited);
    /// without --add or --remove, print its members.
    Members {
        /// The emergency's id.
        id: i64,
        /// A member to add as FORCE=STAFF_ID; repeat for each.
        #[arg(long = "add")]
        add: Vec<String>,
        /// A member to remove as FORCE=STAFF_ID; repeat for each.
        #[arg(long = "remove")]
        remove: Vec<String>,
        /// Print the emergency as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The emergencies under an area, running first.
    List {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Retention commands.
#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Anonymise or delete the personal data of emergencies whose retention period is over.
    Run {
        /// Only count what would go.
        #[arg(long)]
        dry_run: bool,
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn as_json(e: &Emergency) -> serde_json::Value {
    let members: Vec<_> = e
        .members
        .iter()
        .map(|m| json!({"force": m.force.code(), "staff_id": m.staff_id, "name": m.name}))
        .collect();
    json!({"id": e.id, "area": e.area_path.as_str(), "running": e.ended.is_none(),
           "started_on": e.started_on.to_string(),
           "ended_on": e.ended.as_ref().map(|x| x.on.to_string()),
           "reason": e.reason, "retention_days": e.retention.days(), "members": members})
}

fn line(e: &Emergency, lang: Lang) -> String {
    let state = match &e.ended {
        None => lang.pick("应急中", "running").to_string(),
        Some(end) => format!("{} {}", lang.pick("结束于", "ended"), end.on),
    };
    format!(
        "{} {} · {} · {} {} · {state}",
        e.id,
        e.area_path,
        e.reason,
        lang.pick("开始于", "since"),
        e.started_on
    )
}

/// Runs an emergency command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: EmergencyCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = EmergencyDesk::new(store, &office, &ctx);
    let explained = |e| explain(e, lang);
    let (list, json) = match command {
        EmergencyCommand::Start {
            area,
            reason,
            on,
            members,
            json,
        } => {
            let input = StartInput {
                area,
                started_on: on,
                reason,
                members: members
                    .iter()
                    .map(|m| member(m, lang))
                    .collect::<Result<_>>()?,
            };
            (vec![desk.start(&input).await.map_err(explained)?], json)
        }
        EmergencyCommand::End {
            id,
            on,
            retention_days,
            note,
            json,
        } => {
            let input = EndInput {
                ended_on: on,
                note,
                retention_days,
            };
            (vec![desk.end(id, &input).await.map_err(explained)?], json)
        }
        EmergencyCommand::Members {
            id,
            add,
            remove,
            json,
        } => {
            let mut e = desk.get(id).await.map_err(explained)?;
            let changes = add.iter().map(|m| (m, true));
            for (m, add) in changes.chain(remove.iter().map(|m| (m, false))) {
                let (force, staff_id) = member(m, lang)?;
                let input = MemberInput {
                    force,
                    staff_id,
                    add,
                };
                e = desk.change_member(id, &input).await.map_err(explained)?;
            }
            if !json {
                for m in &e.members {
                    outln!("{}\t{}\t{}", m.force.label(lang), m.staff_id, m.name);
                }
                return Ok(());
            }
            (vec![e], json)
        }
        EmergencyCommand::List { area, json } => {
            let list = desk.list(&area).await.map_err(explained)?;
            if json {
                let items: Vec<_> = list.iter().map(as_json).collect();
                outln!("{}", json!({"items": items, "total": list.len()}));
                return Ok(());
            }
            (list, false)
        }
    };
    for e in &list {
        if json {
            outln!("{}", as_json(e));
        } else {
            outln!("{}", line(e, lang));
        }
    }
    Ok(())
}

/// A member as FORCE=STAFF_ID.
fn member(m: &str, lang: Lang) -> Result<(String, i64)> {
    let (force, id) = m.split_once('=').unwrap_or((m, ""));
    let id = id.trim().parse::<i64>().map_err(|_| {
        anyhow::anyhow!(
            "{}: {m}",
            lang.pick("成员应写作 专班=工作人员编号", "a member is FORCE=STAFF_ID")
        )
    })?;
    Ok((force.trim().to_string(), id))
}

/// A retention report as JSON: the totals and each emergency's counts by kind.
pub fn report_json(r: &RetentionReport) -> serde_json::Value {
    let counts = |c: &[(doorstep_core::emergency::RetentionKind, i64)]| {
        c.iter()
            .map(|(k, n)| (k.code().to_string(), json!(n)))
            .collect::<serde_json::Map<_, _>>()
    };
    let items: Vec<_> = r
        .items
        .iter()
        .map(|i| {
            json!({"emergency": i.emergency.id, "area": i.emergency.area_path.as_str(),
                   "standing": match i.standing { Standing::Running => "running", Standing::Kept(_) => "kept", Standing::Due => "due" },
                   "purge_from": i.purge_from.map(|d| d.to_string()),
                   "counts": counts(&i.counts)})
        })
        .collect();
    json!({"dry_run": r.dry_run,
           "area": r.area.as_ref().map(|a| a.as_str().to_string()).unwrap_or_default(),
           "totals": counts(&r.totals()), "emergencies": items})
}

/// Runs a retention command.
pub async fn run_retention(
    store: &dyn doorstep_store::Store,
    command: RetentionCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let RetentionCommand::Run {
        dry_run,
        area,
        json,
    } = command;
    let report = RetentionDesk::new(store, &office, &ctx)
        .run(&area, dry_run)
        .await
        .map_err(|e| explain(e, lang))?;
    if json {
        outln!("{}", report_json(&report));
        return Ok(());
    }
    for i in &report.items {
        let what: Vec<String> = i
            .counts
            .iter()
            .map(|(k, n)| format!("{} {n}", k.label(lang)))
            .collect();
        outln!(
            "{} {} · {:?} · {}",
            i.emergency.id,
            i.emergency.area_path,
            i.standing,
            what.join(", ")
        );
    }
    let total: i64 = report.totals().iter().map(|(_, n)| n).sum();
    outln!(
        "{} {total}",
        if dry_run {
            lang.pick("将处理记录数", "records that would be treated")
        } else {
            lang.pick("已处理记录数", "records treated")
        }
    );
    Ok(())
}
