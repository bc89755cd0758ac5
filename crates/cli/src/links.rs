//! `doorstep link …` (report links behind QR codes) and `doorstep export reports` (the upward
//! direct report). The command line acts as the office ([`Principal::office`], `cli` in the
//! audit log), through the same use cases as the web's staff pages.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_app::reports::{LinkInput, ReportDesk, export_reports_as};
use doorstep_core::{AreaPath, Lang};
use doorstep_store::{ReportLink, Store};
use serde_json::json;

use crate::FormatArg;

/// Report-link commands.
#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// Create a report link (and its QR poster at /report-links/{id}/poster).
    Create {
        /// The community, compound or building, e.g. 二七区/京广路街道/祥云社区.
        #[arg(long)]
        area: String,
        /// home_quarantine, risk_visit, returnee or census.
        #[arg(long)]
        purpose: String,
        /// Hours until it stops taking reports (none: until revoked).
        #[arg(long)]
        expires_in_hours: Option<i64>,
        /// A risk place residents choose from (repeat; default the four markets).
        #[arg(long = "risk-place")]
        risk_places: Vec<String>,
        /// The address residents reach the server at, for the printed URL.
        #[arg(
            long,
            env = "DOORSTEP_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        base_url: String,
        /// Print {"token":…,"url":…} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List report links.
    List {
        /// Only links under this area.
        #[arg(long)]
        area: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a report link by token: its QR code stops taking reports.
    Revoke {
        /// The link's token.
        token: String,
    },
}

fn path(raw: &str, lang: Lang) -> Result<AreaPath> {
    AreaPath::parse(raw).map_err(|p| anyhow!("{raw}: {}", p.message(lang)))
}

fn url(base: &str, link: &ReportLink) -> String {
    format!("{}/r/{}", base.trim_end_matches('/'), link.token)
}

/// Runs a link command.
pub async fn run(store: &dyn Store, command: LinkCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = ReportDesk::new(store, &office, &ctx);
    match command {
        LinkCommand::Create {
            area,
            purpose,
            expires_in_hours,
            risk_places,
            base_url,
            json,
        } => {
            let input = LinkInput {
                area: area.clone(),
                purpose,
                expires_in_hours: expires_in_hours.map(|h| h.to_string()).unwrap_or_default(),
                risk_places,
            };
            let link = desk.create_link_from(&input).await.map_err(|e| match e {
                AppError::NotFound => {
                    anyhow!("{}{area}", lang.pick("区域不存在：", "area not found: "))
                }
                AppError::Conflict(c) => anyhow!("{}", c.message(lang)),
                other => other.into(),
            })?;
            let u = url(&base_url, &link);
            if json {
                outln!("{}", json!({"token": link.token, "url": u, "id": link.id}));
            } else {
                outln!("{u}");
                eprintln!(
                    "{}{}/report-links/{}/poster",
                    lang.pick("打印海报：", "printable poster: "),
                    base_url.trim_end_matches('/'),
                    link.id
                );
            }
        }
        LinkCommand::List { area, json } => {
            let area = area.map(|a| path(&a, lang)).transpose()?;
            let links = desk.links(area).await?;
            if json {
                let items: Vec<_> = links
                    .iter()
                    .map(|l| {
                        json!({"id": l.id, "token": l.token, "area": l.area_path.to_string(), "purpose": l.purpose.code(),
                               "expires_at": l.expires_at.map(|t| t.to_string()), "revoked": l.revoked_at.is_some()})
                    })
                    .collect();
                outln!("{}", serde_json::Value::Array(items));
            } else {
                for l in links {
                    let state = if l.revoked_at.is_some() {
                        lang.pick("已停用", "revoked")
                    } else {
                        ""
                    };
                    outln!(
                        "{:<4} {:<26} {:<16} {} {state}",
                        l.id,
                        l.token,
                        l.purpose.code(),
                        l.area_path
                    );
                }
            }
        }
        LinkCommand::Revoke { token } => {
            let link = desk
                .link_by_token(token.trim())
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        anyhow!("{}", lang.pick("没有这个报备二维码", "no such report link"))
                    }
                    other => other.into(),
                })?;
            desk.revoke_link(link.id).await?;
            eprintln!("{}", lang.pick("已停用", "revoked"));
        }
    }
    Ok(())
}

/// `doorstep export reports`: the upward direct report of an area.
pub async fn export(
    store: &dyn Store,
    area: &str,
    since_last: bool,
    format: FormatArg,
    output: PathBuf,
    lang: Lang,
) -> Result<()> {
    let area = path(area, lang)?;
    let format = match format {
        FormatArg::Csv => SheetFormat::Csv,
        FormatArg::Xlsx => SheetFormat::Xlsx,
    };
    let office = Principal::office();
    let done = export_reports_as(
        store,
        &office,
        &Ctx::default(),
        &area,
        since_last,
        format,
        &output,
    )
    .await
    .map_err(|e| match e {
        AppError::NotFound => anyhow!("{}{area}", lang.pick("区域不存在：", "area not found: ")),
        other => other.into(),
    })?;
    match lang {
        Lang::Zh => eprintln!(
            "已导出 {} 份报备、{} 人到 {}",
            done.reports,
            done.rows,
            output.display()
        ),
        Lang::En => eprintln!(
            "exported {} reports, {} persons to {}",
            done.reports,
            done.rows,
            output.display()
        ),
    }
    Ok(())
}
