//! `doorstep checkpoint …`: the checkpoints at compound gates (卡口值守) and their counts per
//! hour, as the office ([`Principal::office`]) keeps them, through the same use case as the
//! pages and the API.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::checkpoints::CheckpointDesk;
use doorstep_core::Lang;
use serde_json::json;

use crate::staff::explain;

/// Checkpoint commands.
#[derive(Subcommand, Debug)]
pub enum CheckpointCommand {
    /// Set up a checkpoint at a gate of an area (a compound, usually).
    Add {
        /// The area's path.
        #[arg(long)]
        area: String,
        /// The gate's name (东门).
        #[arg(long)]
        name: String,
    },
    /// List the checkpoints under an area.
    List {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Passages per gate and hour of a day (China's time): in, out, refused, exceptions.
    Counts {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// The day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        date: String,
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a checkpoint command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: CheckpointCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = CheckpointDesk::new(store, &office, &ctx);
    match command {
        CheckpointCommand::Add { area, name } => {
            let c = desk.add(&area, &name).await.map_err(|e| explain(e, lang))?;
            outln!("{} {} {}", c.id, c.area_path, c.name);
        }
        CheckpointCommand::List { area, json } => {
            let list = desk.list(&area).await.map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|c| json!({"id": c.id, "area": c.area_path.as_str(), "name": c.name}))
                    .collect();
                outln!("{}", json!({"items": items, "total": list.len()}));
                return Ok(());
            }
            for c in &list {
                outln!("{} {} {}", c.id, c.area_path, c.name);
            }
        }
        CheckpointCommand::Counts { area, date, json } => {
            let (day, gates) = desk
                .counts(&area, &date)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let row = |h: &doorstep_app::checkpoints::HourRow| {
                    json!({"entered": h.entered, "left": h.left, "refused": h.refused,
                           "allowed": h.allowed})
                };
                let items: Vec<_> = gates
                    .iter()
                    .map(|g| {
                        let hours: Vec<_> = g
                            .hours
                            .iter()
                            .map(|h| {
                                let mut v = row(h);
                                v["hour"] = json!(h.hour);
                                v
                            })
                            .collect();
                        json!({"id": g.checkpoint.id, "name": g.checkpoint.name,
                               "area": g.checkpoint.area_path.as_str(), "hours": hours,
                               "total": row(&g.total)})
                    })
                    .collect();
                outln!("{}", json!({"date": day.to_string(), "gates": items}));
                return Ok(());
            }
            let (i, o, r) = (
                lang.pick("进", "in"),
                lang.pick("出", "out"),
                lang.pick("劝返", "refused"),
            );
            for g in &gates {
                outln!("{} {} · {day}", g.checkpoint.name, g.checkpoint.area_path);
                for h in &g.hours {
                    outln!(
                        "  {:02}:00  {i} {}  {o} {}  {r} {}",
                        h.hour,
                        h.entered,
                        h.left,
                        h.refused
                    );
                }
                outln!(
                    "  {}  {i} {}  {o} {}  {r} {}",
                    lang.pick("合计", "total"),
                    g.total.entered,
                    g.total.left,
                    g.total.refused
                );
            }
        }
    }
    Ok(())
}
