//! `doorstep list …`: investigation lists (流调协查) as the office ([`Principal::office`])
//! imports them and writes their return files, through the same use cases as the pages.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::export::SheetFormat;
use doorstep_app::lists::ListDesk;
use doorstep_core::Lang;
use serde_json::json;

use crate::staff::explain;

/// List commands.
#[derive(Subcommand, Debug)]
pub enum ListCommand {
    /// Import a list (CSV or XLSX): matched against the area's registry, each row a call task.
    /// Its columns: `--map field=header`, else the mapping remembered for its headers, else
    /// the guess from the headers (an ID number or phone column is needed).
    Import {
        /// The file.
        file: PathBuf,
        /// The area (community) the list is for.
        #[arg(long)]
        area: String,
        /// The list's name (the file's name when left out).
        #[arg(long, default_value = "")]
        name: String,
        /// A column: `name`, `id_number`, `phone`, `risk_place`, `time` or `source`, `=` its
        /// header (repeatable).
        #[arg(long = "map", value_name = "FIELD=HEADER")]
        map: Vec<String>,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a list's return file: the list as received plus the outcome columns.
    Return {
        /// The list's id.
        id: i64,
        /// The file to write (`.csv` for CSV, else XLSX).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// Runs a list command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: ListCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = ListDesk::new(store, &office, &ctx);
    match command {
        ListCommand::Import {
            file,
            area,
            name,
            map,
            json,
        } => {
            let mut chosen = Vec::new();
            for m in &map {
                let Some((f, h)) = m.split_once('=') else {
                    bail!("--map takes FIELD=HEADER, not {m}");
                };
                chosen.push((f.trim().to_string(), h.trim().to_string()));
            }
            let name = if name.is_empty() {
                file.file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default()
            } else {
                name
            };
            let chosen = (!chosen.is_empty()).then_some(chosen.as_slice());
            let done = desk
                .import(&area, &name, file, chosen, true)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", json!(done));
                return Ok(());
            }
            outln!("list {} · {} rows · {}", done.id, done.rows, done.status);
            if let Some(p) = &done.progress {
                outln!(
                    "by ID {} · by phone {} · not found {} · repeats {}",
                    p.by_id_number,
                    p.by_phone,
                    p.not_found,
                    p.duplicates
                );
            }
            Ok(())
        }
        ListCommand::Return { id, output } => {
            let format = if output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                SheetFormat::Csv
            } else {
                SheetFormat::Xlsx
            };
            let n = desk
                .write_return(id, format, &output)
                .await
                .map_err(|e| explain(e, lang))?;
            outln!("{n} rows → {}", output.display());
            Ok(())
        }
    }
}
