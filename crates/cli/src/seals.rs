//! `doorstep seal …`: sealed areas (封控), as the office ([`Principal::office`]) makes and
//! lifts them, through the same use case as the API.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::china_minute;
use doorstep_app::seals::SealDesk;
use doorstep_core::Lang;
use doorstep_store::Seal;
use serde_json::json;

use crate::staff::explain;

/// Seal commands.
#[derive(Subcommand, Debug)]
pub enum SealCommand {
    /// Seal a compound, building or unit.
    Add {
        /// The area's path.
        path: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print the seal as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lift a seal.
    Lift {
        /// The seal's id.
        id: i64,
        /// Print the seal as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the seals under an area, active first.
    List {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// Lifted seals too.
        #[arg(long)]
        all: bool,
        /// Print the seals as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn as_json(s: &Seal) -> serde_json::Value {
    json!({"id": s.id, "area": s.area_path.as_str(), "reason": s.reason,
           "sealed_by": s.sealed_by, "active": s.lifted.is_none()})
}

fn line(s: &Seal, lang: Lang) -> String {
    let state = match &s.lifted {
        None => lang.pick("封控中", "sealed").to_string(),
        Some((by, at)) => format!(
            "{} {} {by}",
            lang.pick("已解封", "lifted"),
            china_minute(*at)
        ),
    };
    format!(
        "{} {} · {} · {} {} · {state}",
        s.id,
        s.area_path,
        s.reason,
        china_minute(s.sealed_at),
        s.sealed_by
    )
}

/// Runs a seal command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: SealCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = SealDesk::new(store, &office, &ctx);
    let explained = |e| explain(e, lang);
    let (seals, json) = match command {
        SealCommand::Add { path, reason, json } => (
            vec![desk.seal(&path, &reason).await.map_err(explained)?],
            json,
        ),
        SealCommand::Lift { id, json } => (vec![desk.lift(id).await.map_err(explained)?], json),
        SealCommand::List { area, all, json } => {
            let list = desk.list(&area, !all).await.map_err(explained)?;
            if json {
                let items: Vec<_> = list.iter().map(as_json).collect();
                outln!("{}", json!({"items": items, "total": list.len()}));
                return Ok(());
            }
            (list, false)
        }
    };
    for s in &seals {
        if json {
            outln!("{}", as_json(s));
        } else {
            outln!("{}", line(s, lang));
        }
    }
    Ok(())
}
