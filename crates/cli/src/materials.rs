//! `doorstep round point …` and `doorstep round materials …`: a round's sampling points and
//! the materials handed to them, as the office ([`Principal::office`]), through the same use
//! cases as the API and the pages.

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{
    BatchInput, CodesInput, CountInput, PointForm, PointMaterials, RoundDesk,
};
use doorstep_core::{CodeSet, Lang};
use doorstep_store::{SamplingPoint, Store};
use serde_json::json;

use crate::staff::explain;

/// Sampling point commands.
#[derive(Subcommand, Debug)]
pub enum PointCommand {
    /// Add a sampling point to a round.
    Add {
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// Its name, e.g. 佳纷天地东门.
        #[arg(long)]
        name: String,
        /// Where it stands: an area path inside the round, e.g. …/祥云社区/佳纷天地.
        #[arg(long)]
        area: String,
        /// A user name working there (repeatable).
        #[arg(long)]
        staff: Vec<String>,
        /// Print the point as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a point's name, place and staff.
    Edit {
        /// The point's id.
        id: i64,
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Where it stands.
        #[arg(long)]
        area: String,
        /// A user name working there (repeatable; the list replaces the one before).
        #[arg(long)]
        staff: Vec<String>,
        /// Print the point as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A round's points.
    List {
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Materials commands.
#[derive(Subcommand, Debug)]
pub enum MaterialsCommand {
    /// Record what a point received: tube or box codes (`--range` or `--codes`), or swabs
    /// (`--quantity`).
    Issue {
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// The point's id.
        #[arg(long)]
        point: i64,
        /// `tube`, `box` or `swab`.
        #[arg(long)]
        kind: String,
        /// A range of codes, e.g. T2026000001-T2026000500.
        #[arg(long)]
        range: Option<String>,
        /// Codes listed (repeatable, or separated by spaces or commas).
        #[arg(long)]
        codes: Vec<String>,
        /// How many swabs.
        #[arg(long, default_value = "")]
        quantity: String,
        /// The day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        day: String,
        /// Print the batch as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record what a point returned and spoiled of one kind on a day.
    Counts {
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// The point's id.
        #[arg(long)]
        point: i64,
        /// `tube`, `box` or `swab`.
        #[arg(long)]
        kind: String,
        /// Given back.
        #[arg(long, default_value = "0")]
        returned: String,
        /// Spoiled.
        #[arg(long, default_value = "0")]
        spoiled: String,
        /// The day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        day: String,
    },
    /// The day's reconciliation: every point's (or one point's) tubes, boxes and swabs,
    /// issued = used + returned + spoiled, and what runs low.
    Show {
        /// The round's id.
        #[arg(long)]
        round: i64,
        /// Only this point.
        #[arg(long)]
        point: Option<i64>,
        /// The day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        day: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn point_json(p: &SamplingPoint) -> serde_json::Value {
    json!({"id": p.id, "round_id": p.round_id, "name": p.name, "place": p.place.to_string(), "staff": p.staff})
}

fn materials_json(m: &PointMaterials) -> serde_json::Value {
    json!({
        "point": point_json(&m.point),
        "day": m.day.to_string(),
        "low": m.low(),
        "ledgers": m.ledgers.iter().map(|l| json!({
            "kind": l.kind.code(), "issued": l.ledger.issued, "used": l.ledger.used,
            "returned": l.ledger.returned, "spoiled": l.ledger.spoiled,
            "remaining": l.ledger.remaining(), "balanced": l.ledger.balanced(),
            "low": l.low, "threshold": l.threshold})).collect::<Vec<_>>(),
        "batches": m.batches.iter().map(|b| json!({
            "id": b.batch.id, "kind": b.batch.kind.code(), "quantity": b.batch.quantity,
            "codes": b.batch.codes.as_ref().map(CodeSet::describe), "used": b.used})).collect::<Vec<_>>(),
    })
}

fn say_point(p: &SamplingPoint, lang: Lang) {
    let staff = if p.staff.is_empty() {
        "—".to_string()
    } else {
        p.staff.join(", ")
    };
    match lang {
        Lang::Zh => outln!("采样点 {}：{}（{}；{}）", p.id, p.name, p.place, staff),
        Lang::En => outln!("point {}: {} ({}; {})", p.id, p.name, p.place, staff),
    }
}

/// Runs a sampling point command.
pub async fn run_point(store: &dyn Store, command: PointCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    let staff_of = |staff: Vec<String>| {
        staff
            .iter()
            .flat_map(|s| PointForm::staff_from_text(s))
            .collect::<Vec<_>>()
    };
    let (round, id, form, json) = match command {
        PointCommand::Add {
            round,
            name,
            area,
            staff,
            json,
        } => (round, None, (name, area, staff), json),
        PointCommand::Edit {
            id,
            round,
            name,
            area,
            staff,
            json,
        } => (round, Some(id), (name, area, staff), json),
        PointCommand::List { round, json } => {
            let points = desk.points(round).await.map_err(|e| explain(e, lang))?;
            if json {
                outln!(
                    "{}",
                    serde_json::Value::Array(points.iter().map(point_json).collect())
                );
            } else {
                points.iter().for_each(|p| say_point(p, lang));
            }
            return Ok(());
        }
    };
    let form = PointForm {
        name: form.0,
        place: form.1,
        staff: staff_of(form.2),
    };
    let p = match id {
        Some(id) => desk.update_point(round, id, &form).await,
        None => desk.create_point(round, &form).await,
    }
    .map_err(|e| explain(e, lang))?;
    if json {
        outln!("{}", point_json(&p));
    } else {
        say_point(&p, lang);
    }
    Ok(())
}
/// Runs a materials command.
pub async fn run_materials(store: &dyn Store, command: MaterialsCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    match command {
        MaterialsCommand::Issue {
            round,
            point,
            kind,
            range,
            codes,
            quantity,
            day,
            json,
        } => {
            let codes = match (range, codes.is_empty()) {
                (Some(r), _) => CodesInput::Range(r),
                (None, false) => CodesInput::List(
                    codes
                        .iter()
                        .flat_map(|c| PointForm::staff_from_text(c))
                        .collect(),
                ),
                (None, true) => CodesInput::None,
            };
            let b = desk
                .add_batch(
                    round,
                    point,
                    &BatchInput {
                        kind,
                        day,
                        codes,
                        quantity,
                    },
                )
                .await
                .map_err(|e| explain(e, lang))?;
            let codes = b.codes.as_ref().map(CodeSet::describe).unwrap_or_default();
            if json {
                outln!(
                    "{}",
                    json!({"id": b.id, "point_id": b.point_id, "kind": b.kind.code(), "day": b.day.to_string(),
                           "quantity": b.quantity, "codes": b.codes.as_ref().map(CodeSet::describe)})
                );
            } else {
                outln!("{} {} × {} {codes}", b.day, b.kind.label(lang), b.quantity);
            }
        }
        MaterialsCommand::Counts {
            round,
            point,
            kind,
            returned,
            spoiled,
            day,
        } => {
            desk.set_counts(
                round,
                point,
                &CountInput {
                    kind,
                    day,
                    returned,
                    spoiled,
                },
            )
            .await
            .map_err(|e| explain(e, lang))?;
            outln!("{}", lang.pick("已登记", "recorded"));
        }
        MaterialsCommand::Show {
            round,
            point,
            day,
            json,
        } => {
            let all = match point {
                Some(p) => vec![
                    desk.point_materials(round, p, &day)
                        .await
                        .map_err(|e| explain(e, lang))?,
                ],
                None => desk
                    .round_materials(round, &day)
                    .await
                    .map_err(|e| explain(e, lang))?,
            };
            if json {
                outln!(
                    "{}",
                    serde_json::Value::Array(all.iter().map(materials_json).collect())
                );
                return Ok(());
            }
            for m in &all {
                say_point(&m.point, lang);
                for l in &m.ledgers {
                    outln!(
                        "  {}\t{} {}\t{} {}\t{} {}\t{} {}\t{} {}{}",
                        l.kind.label(lang),
                        lang.pick("领取", "issued"),
                        l.ledger.issued,
                        lang.pick("已用", "used"),
                        l.ledger.used,
                        lang.pick("退回", "returned"),
                        l.ledger.returned,
                        lang.pick("损耗", "spoiled"),
                        l.ledger.spoiled,
                        lang.pick("剩余", "remaining"),
                        l.ledger.remaining(),
                        if l.low {
                            lang.pick("（不足）", " (low)")
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    Ok(())
}
