//! `doorstep episode …`: start home quarantine or health monitoring from the command line, as
//! the office ([`Principal::office`]), through the same use case as the API.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::quarantine::{EpisodeForm, QuarantineDesk};
use doorstep_core::Lang;
use serde_json::json;

use crate::staff::explain;

/// Episode commands.
#[derive(Subcommand, Debug)]
pub enum EpisodeCommand {
    /// Start an episode for a person (and their household when the policy includes
    /// co-residents, or with `--household`).
    Start {
        /// The person: a resident ID number, or a file id.
        #[arg(long)]
        person: String,
        /// home_quarantine, home_health_monitoring or central_quarantine (or the Chinese name).
        #[arg(long)]
        measure: String,
        /// Why: close contact, risk-place visit, returnee, sealed building …
        #[arg(long, default_value = "密接")]
        reason: String,
        /// Day 1, YYYY-MM-DD (China's date); today when left out.
        #[arg(long, default_value = "")]
        start: String,
        /// The policy: ninth_edition (the default) or nov_2022.
        #[arg(long, default_value = "")]
        policy: String,
        /// The whole household at once.
        #[arg(long)]
        household: bool,
        /// Print the episodes as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an episode command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: EpisodeCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = QuarantineDesk::new(store, &office, &ctx);
    match command {
        EpisodeCommand::Start {
            person,
            measure,
            reason,
            start,
            policy,
            household,
            json,
        } => {
            // A file id is a short number; an ID number has 15 or 18 characters.
            let person = person.trim();
            let (person_id, id_number) = match person.parse::<i64>() {
                Ok(id) if person.len() < 15 => (Some(id), String::new()),
                _ => (None, person.to_string()),
            };
            let done = desk
                .start(&EpisodeForm {
                    person_id,
                    id_number,
                    household,
                    measure,
                    reason,
                    start,
                    policy,
                })
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = done
                    .iter()
                    .map(|e| {
                        json!({"id": e.id, "person_id": e.person_id, "measure": e.measure.code(),
                               "policy": format!("{}@{}", e.policy_key, e.policy_version),
                               "starts_on": e.starts_on.to_string(), "last_day": e.last_day.to_string()})
                    })
                    .collect();
                outln!("{}", json!({"items": items, "total": done.len()}));
                return Ok(());
            }
            for e in &done {
                match lang {
                    Lang::Zh => outln!(
                        "第 {} 号：{}，{}，{} 至 {}",
                        e.id,
                        e.name,
                        e.measure.name_zh(),
                        e.starts_on,
                        e.last_day
                    ),
                    Lang::En => outln!(
                        "#{}: {}, {}, {} to {}",
                        e.id,
                        e.name,
                        e.measure.name_en(),
                        e.starts_on,
                        e.last_day
                    ),
                }
            }
            Ok(())
        }
    }
}
