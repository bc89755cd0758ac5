//! `doorstep supplies …`: the supplies and services requests (后勤供给) of an area, as the
//! office ([`Principal::office`]) reads them, through the same use case as the API.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::china_minute;
use doorstep_app::daily::DayFilter;
use doorstep_app::supplies::{SupplyDesk, overdue};
use doorstep_core::Lang;
use serde_json::json;

use crate::staff::explain;

/// Supplies commands.
#[derive(Subcommand, Debug)]
pub enum SuppliesCommand {
    /// List the requests of households under an area, overdue first.
    List {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// open (the default), overdue, all, requested, assigned, delivered or cancelled.
        #[arg(long, default_value = "")]
        status: String,
        /// Only those asked on this day, YYYY-MM-DD (with --on delivered: delivered that day).
        #[arg(long, default_value = "")]
        day: String,
        /// With --day: requested (the default) or delivered.
        #[arg(long, default_value = "")]
        on: String,
        /// Print the requests as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a supplies command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: SuppliesCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = SupplyDesk::new(store, &office, &ctx);
    match command {
        SuppliesCommand::List {
            area,
            status,
            day,
            on,
            json,
        } => {
            let list = desk
                .list(&area, &status, &DayFilter { day, on })
                .await
                .map_err(|e| explain(e, lang))?;
            let now = ctx.now();
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "household_id": r.household_id, "address": r.address,
                               "kind": r.kind.code(), "detail": r.detail,
                               "urgency": r.urgency.code(), "status": r.status().code(),
                               "overdue": overdue(r, now), "task_id": r.task.as_ref().map(|t| t.id),
                               "assignee": r.task.as_ref().and_then(|t| t.assignee.clone())})
                    })
                    .collect();
                outln!("{}", json!({"items": items, "total": list.len()}));
                return Ok(());
            }
            for r in &list {
                outln!(
                    "{}{} {} {} {} · {} · {}",
                    if overdue(r, now) { "⚠ " } else { "" },
                    r.id,
                    r.address,
                    r.kind.label(lang),
                    r.detail,
                    r.status().label(lang),
                    china_minute(r.due_at)
                );
            }
            Ok(())
        }
    }
}
