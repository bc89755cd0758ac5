//! `doorstep report daily …`: the daily report (日报) of an area for a day, as the office
//! ([`Principal::office`]) reads it, through the same use case as the API and the pages.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::daily::{DailyDesk, RowKind, percent};
use doorstep_app::export::SheetFormat;
use doorstep_core::Lang;
use doorstep_core::daily::FIGURES;
use serde_json::json;

use crate::staff::explain;

/// Report commands.
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The daily report (日报): every figure per community, rolled up per street and district.
    Daily {
        /// The area's path.
        #[arg(long)]
        area: String,
        /// The China day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        day: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Write the report as an XLSX workbook to this file.
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
}

/// Runs a report command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: ReportCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = DailyDesk::new(store, &office, &ctx);
    match command {
        ReportCommand::Daily {
            area,
            day,
            json,
            xlsx,
        } => {
            let r = desk
                .report(&area, &day)
                .await
                .map_err(|e| explain(e, lang))?;
            if let Some(path) = xlsx {
                desk.write(&r, SheetFormat::Xlsx, &path, lang)
                    .await
                    .map_err(|e| explain(e, lang))?;
                outln!("{}", path.display());
                return Ok(());
            }
            let (signed, communities) = r.signed_count();
            if json {
                let rows: Vec<_> = r
                    .rows
                    .iter()
                    .map(|row| {
                        json!({"area_id": row.area.id, "area": row.area.path.as_str(),
                               "kind": if row.kind == RowKind::Outside { "outside" } else { row.area.kind.code() },
                               "rollup": row.kind == RowKind::Rollup,
                               "figures": row.figures.0,
                               "coverage": percent(row.figures.coverage_permille()),
                               "signed": row.signed.as_ref().map(|s| json!({
                                   "signed_by": s.signoff.signed_by,
                                   "figures": s.signoff.figures.0,
                                   "changed": s.changed}))})
                    })
                    .collect();
                outln!(
                    "{}",
                    json!({"area": r.area.path.as_str(), "day": r.day.to_string(), "rows": rows,
                           "total": r.total.0, "signed": signed, "communities": communities})
                );
                return Ok(());
            }
            outln!("{} · {}", r.area.path, r.day);
            for row in &r.rows {
                let sign = match &row.signed {
                    Some(s) if s.changed.is_empty() => format!(" ✓ {}", s.signoff.signed_by),
                    Some(s) => format!(" ✓ {} ⚠ {}", s.signoff.signed_by, s.changed.join(",")),
                    None => String::new(),
                };
                outln!("{}{}{}", "  ".repeat(row.depth), row.area.name, sign);
                let cells: Vec<String> = FIGURES
                    .iter()
                    .map(|f| format!("{} {}", f.label(lang), row.figures.get(f.key)))
                    .collect();
                outln!("{}  {}", "  ".repeat(row.depth), cells.join(" · "));
            }
            outln!(
                "{} {signed}/{communities}",
                lang.pick("已签收社区", "communities signed")
            );
            Ok(())
        }
    }
}
