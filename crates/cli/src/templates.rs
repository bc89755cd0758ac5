//! `doorstep export TEMPLATE …` (an area's rows with a template) and `doorstep template …`
//! (list, import and export template files), as the office ([`Principal::office`]), through
//! the same use cases as the API.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Parser, Subcommand};
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::export::SheetFormat;
use doorstep_app::templates::{ExportDays, TemplateDesk, TemplateView};
use doorstep_core::Lang;
use serde_json::json;

use crate::FormatArg;
use crate::staff::explain;

/// Template commands.
#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// List the templates (the built-in one first).
    List {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a template file (JSON) as a new template for an area.
    Import {
        /// The template file.
        file: PathBuf,
        /// The area it is kept for.
        #[arg(long)]
        area: String,
    },
    /// Write a template as a file to hand on.
    Export {
        /// The template's id or name.
        template: String,
        /// The output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// `doorstep export TEMPLATE --area PATH [--format xlsx|csv] [--from D --to D] -o FILE`.
#[derive(Parser, Debug)]
#[command(
    name = "doorstep export",
    about = "Export an area's rows with a template"
)]
struct ExportArgs {
    /// The template's id or name (0 or 上级直报: the built-in direct report).
    template: String,
    /// The area.
    #[arg(long)]
    area: String,
    /// csv or xlsx.
    #[arg(long, value_enum, default_value = "xlsx")]
    format: FormatArg,
    /// The output file.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Daily figures: the first day, YYYY-MM-DD (default: 13 days before --to).
    #[arg(long, default_value = "")]
    from: String,
    /// Daily figures: the last day, YYYY-MM-DD (default: today).
    #[arg(long, default_value = "")]
    to: String,
}

fn as_json(v: &TemplateView) -> serde_json::Value {
    json!({"id": v.id, "name": v.template.name(), "kind": v.template.kind().code(),
           "area": v.area.as_ref().map(|a| a.as_str()), "headers": v.template.headers()})
}

/// Runs `doorstep export TEMPLATE …`: `args` are the words after `export`.
pub async fn export(
    store: &dyn doorstep_store::Store,
    args: Vec<String>,
    lang: Lang,
) -> Result<()> {
    let args = match ExportArgs::try_parse_from(
        std::iter::once("doorstep export".to_string()).chain(args),
    ) {
        Ok(a) => a,
        Err(e) => {
            // Help and usage mistakes print as clap prints them.
            e.exit()
        }
    };
    let format = match args.format {
        FormatArg::Csv => SheetFormat::Csv,
        FormatArg::Xlsx => SheetFormat::Xlsx,
    };
    let (office, ctx) = (Principal::office(), Ctx::default());
    let days = ExportDays {
        from: args.from.clone(),
        to: args.to.clone(),
    };
    let (view, done) = TemplateDesk::new(store, &office, &ctx)
        .export(&args.template, &args.area, &days, format, &args.output)
        .await
        .map_err(|e| explain(e, lang))?;
    match lang {
        Lang::Zh => eprintln!(
            "已按模板“{}”导出 {} 行到 {}",
            view.template.name(),
            done.rows,
            args.output.display()
        ),
        Lang::En => eprintln!(
            "exported {} rows with the template \"{}\" to {}",
            done.rows,
            view.template.name(),
            args.output.display()
        ),
    }
    Ok(())
}

/// Runs a template command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: TemplateCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = TemplateDesk::new(store, &office, &ctx);
    let explained = |e| explain(e, lang);
    match command {
        TemplateCommand::List { json } => {
            let all = desk.list().await.map_err(explained)?;
            if json {
                let items: Vec<_> = all.iter().map(as_json).collect();
                outln!("{}", json!({"items": items, "total": all.len()}));
            } else {
                for v in &all {
                    let area = v
                        .area
                        .as_ref()
                        .map_or(lang.pick("内置", "built in").to_string(), |a| {
                            a.to_string()
                        });
                    outln!(
                        "{} {} · {} · {} · {}",
                        v.id,
                        v.template.name(),
                        v.template.kind().label(lang),
                        area,
                        v.template.headers().join("、")
                    );
                }
            }
        }
        TemplateCommand::Import { file, area } => {
            let bytes = tokio::fs::read(&file)
                .await
                .map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let v = desk.import(&area, &bytes).await.map_err(explained)?;
            outln!("{}", as_json(&v));
        }
        TemplateCommand::Export { template, output } => {
            let v = desk.find(&template).await.map_err(explained)?;
            let (_, bytes) = desk.file(v.id).await.map_err(explained)?;
            tokio::fs::write(&output, bytes)
                .await
                .map_err(|e| anyhow!("{}: {e}", output.display()))?;
            eprintln!("{}", output.display());
        }
    }
    Ok(())
}
