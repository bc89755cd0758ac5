//! `doorstep episode …`: start home quarantine or health monitoring from the command line, as
//! the office ([`Principal::office`]), through the same use case as the API.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::quarantine::{
    ChangeForm, EpisodeForm, ListFilter, QuarantineDesk, ReleaseForm, TransferForm,
};
use doorstep_core::Lang;
use doorstep_store::{Episode, PageRequest};
use serde_json::{Value, json};

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
    /// Release an episode (解除) after its checklist; an early release or unmet items need
    /// `--reason`.
    Release {
        /// The episode's id.
        id: i64,
        /// Why (an early release, or the override of unmet items).
        #[arg(long, default_value = "")]
        reason: String,
        /// Release the household's other active episodes of the same measure too.
        #[arg(long)]
        household: bool,
        /// Print the episodes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Extend or shorten an episode to a new last day.
    Extend {
        /// The episode's id.
        id: i64,
        /// The new last day, YYYY-MM-DD (China's date).
        #[arg(long)]
        last_day: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print the episode as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Transfer an episode to central quarantine or a hospital (it ends there).
    Transfer {
        /// The episode's id.
        id: i64,
        /// central or hospital.
        #[arg(long)]
        to: String,
        /// The site's or hospital's name.
        #[arg(long, default_value = "")]
        place: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// To central quarantine: start a central quarantine episode at once.
        #[arg(long)]
        start_central: bool,
        /// Print the episodes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the episodes under an area.
    List {
        /// The area's path.
        #[arg(long)]
        area: String,
        /// Only this measure.
        #[arg(long, default_value = "")]
        measure: String,
        /// Only this status: active, transferred, released.
        #[arg(long, default_value = "")]
        status: String,
        /// today (planned end reached, overdue included) or tomorrow.
        #[arg(long, default_value = "")]
        due: String,
        /// A day, YYYY-MM-DD, read with --on (as the daily report counts it).
        #[arg(long, default_value = "")]
        day: String,
        /// With --day: new (started that day), ongoing or released (that day).
        #[arg(long, default_value = "")]
        on: String,
        /// Print the episodes as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn as_json(e: &Episode) -> Value {
    json!({"id": e.id, "person_id": e.person_id, "name": e.name, "measure": e.measure.code(),
           "policy": format!("{}@{}", e.policy_key, e.policy_version),
           "starts_on": e.starts_on.to_string(), "last_day": e.last_day.to_string(),
           "status": e.status.code()})
}

fn print(episodes: &[Episode], json: bool, lang: Lang) {
    if json {
        let items: Vec<_> = episodes.iter().map(as_json).collect();
        outln!("{}", json!({"items": items, "total": episodes.len()}));
        return;
    }
    for e in episodes {
        match lang {
            Lang::Zh => outln!(
                "第 {} 号：{}，{}，{} 至 {}，{}",
                e.id,
                e.name,
                e.measure.name_zh(),
                e.starts_on,
                e.last_day,
                e.status.label(lang)
            ),
            Lang::En => outln!(
                "#{}: {}, {}, {} to {}, {}",
                e.id,
                e.name,
                e.measure.name_en(),
                e.starts_on,
                e.last_day,
                e.status.label(lang)
            ),
        }
    }
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
            print(&done, json, lang);
            Ok(())
        }
        EpisodeCommand::Release {
            id,
            reason,
            household,
            json,
        } => {
            let done = desk
                .release(id, &ReleaseForm { reason, household })
                .await
                .map_err(|e| explain(e, lang))?;
            print(&done, json, lang);
            Ok(())
        }
        EpisodeCommand::Extend {
            id,
            last_day,
            reason,
            json,
        } => {
            let done = desk
                .change(id, &ChangeForm { last_day, reason })
                .await
                .map_err(|e| explain(e, lang))?;
            print(&[done], json, lang);
            Ok(())
        }
        EpisodeCommand::Transfer {
            id,
            to,
            place,
            reason,
            start_central,
            json,
        } => {
            let (done, next) = desk
                .transfer(
                    id,
                    &TransferForm {
                        to,
                        place,
                        at: String::new(),
                        reason,
                        start_central,
                    },
                )
                .await
                .map_err(|e| explain(e, lang))?;
            let mut all = vec![done];
            all.extend(next);
            print(&all, json, lang);
            Ok(())
        }
        EpisodeCommand::List {
            area,
            measure,
            status,
            due,
            day,
            on,
            json,
        } => {
            let filter = ListFilter {
                measure,
                status,
                due,
                day,
                on,
            };
            let page = desk
                .list_filtered(
                    Some(&area),
                    &filter,
                    PageRequest {
                        offset: 0,
                        limit: 10_000,
                    },
                )
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<_> = page.items.iter().map(as_json).collect();
                outln!("{}", json!({"items": items, "total": page.total}));
            } else {
                print(&page.items, false, lang);
            }
            Ok(())
        }
    }
}
