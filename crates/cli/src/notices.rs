//! `doorstep notice …`: notices to residents (温馨提示) and files from above (上级文件), as the
//! office ([`Principal::office`]) publishes, withdraws and keeps them, through the same use
//! case as the API and the pages.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::china_minute;
use doorstep_app::notices::{FileInput, NoticeDesk, NoticeInput};
use doorstep_core::Lang;
use doorstep_store::{Notice, NoticeFile};
use serde_json::json;

use crate::staff::explain;

/// Notice commands.
#[derive(Subcommand, Debug)]
pub enum NoticeCommand {
    /// Publish a notice for an area: it shows on that area's public pages while valid.
    Publish {
        /// The area's path, e.g. 二七区/京广路街道/祥云社区.
        #[arg(long)]
        area: String,
        /// Title (Chinese), at most 60 characters.
        #[arg(long)]
        title: String,
        /// Text (Chinese), at most 2,000 characters.
        #[arg(long)]
        body: String,
        /// An optional English line.
        #[arg(long, default_value = "")]
        english: String,
        /// First day, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        to: String,
        /// Print the notice as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a notice, with the reason: it stops showing everywhere.
    Withdraw {
        /// The notice's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print the notice as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The notices for areas under an area, newest first.
    List {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep a file received from above (PDF, image, Word, Excel; at most 10 MiB) for an area
    /// and day.
    Keep {
        /// The file.
        file: PathBuf,
        /// The area's path.
        #[arg(long)]
        area: String,
        /// The day it belongs to, YYYY-MM-DD (today when left out).
        #[arg(long, default_value = "")]
        day: String,
        /// What it is (its name when left out).
        #[arg(long, default_value = "")]
        title: String,
        /// Print the file's record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The files kept under an area, of one day when given.
    Files {
        /// The area's path (everywhere when left out).
        #[arg(long, default_value = "")]
        area: String,
        /// The day, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        day: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn notice_json(n: &Notice) -> serde_json::Value {
    json!({"id": n.id, "area": n.area_path.as_str(), "title": n.title, "body": n.body,
           "english": n.english, "valid_from": n.valid_from.to_string(),
           "valid_to": n.valid_to.to_string(), "page": format!("/n/{}", n.token),
           "published_by": n.published_by, "withdrawn": n.withdrawn.is_some()})
}

fn notice_line(n: &Notice, lang: Lang) -> String {
    let state = match &n.withdrawn {
        None => lang.pick("有效", "showing").to_string(),
        Some((by, at, why)) => format!(
            "{} {} {by}：{why}",
            lang.pick("已撤回", "withdrawn"),
            china_minute(*at)
        ),
    };
    format!(
        "{} {} · {} · {}–{} · {} {} · {state}",
        n.id,
        n.area_path,
        n.title,
        n.valid_from,
        n.valid_to,
        china_minute(n.published_at),
        n.published_by
    )
}

fn file_json(f: &NoticeFile) -> serde_json::Value {
    json!({"id": f.id, "area": f.area_path.as_str(), "day": f.day.to_string(),
           "title": f.title, "file_name": f.file_name, "content_type": f.content_type,
           "size": f.size, "uploaded_by": f.uploaded_by})
}

/// Runs a notice command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: NoticeCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = NoticeDesk::new(store, &office, &ctx);
    let explained = |e| explain(e, lang);
    let (notices, json) = match command {
        NoticeCommand::Publish {
            area,
            title,
            body,
            english,
            from,
            to,
            json,
        } => {
            let from = if from.trim().is_empty() {
                ctx.today().to_string()
            } else {
                from
            };
            let input = NoticeInput {
                area,
                title,
                body,
                english,
                valid_from: from,
                valid_to: to,
            };
            (vec![desk.publish(&input).await.map_err(explained)?], json)
        }
        NoticeCommand::Withdraw { id, reason, json } => (
            vec![desk.withdraw(id, &reason).await.map_err(explained)?],
            json,
        ),
        NoticeCommand::List { area, json } => {
            let list = desk.list(&area).await.map_err(explained)?;
            if json {
                let items: Vec<_> = list.iter().map(notice_json).collect();
                outln!("{}", json!({"items": items, "total": list.len()}));
                return Ok(());
            }
            (list, false)
        }
        NoticeCommand::Keep {
            file,
            area,
            day,
            title,
            json,
        } => {
            let content = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let input = FileInput {
                area,
                day,
                title,
                file_name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                content,
            };
            let f = desk.keep_file(&input).await.map_err(explained)?;
            if json {
                outln!("{}", file_json(&f));
            } else {
                outln!(
                    "{} {} · {} · {} · {} B",
                    f.id,
                    f.area_path,
                    f.day,
                    f.title,
                    f.size
                );
            }
            return Ok(());
        }
        NoticeCommand::Files { area, day, json } => {
            let files = desk.files(&area, &day).await.map_err(explained)?;
            if json {
                let items: Vec<_> = files.iter().map(file_json).collect();
                outln!("{}", json!({"items": items, "total": files.len()}));
            } else {
                for f in &files {
                    outln!(
                        "{} {} · {} · {} · {}",
                        f.id,
                        f.area_path,
                        f.day,
                        f.title,
                        f.file_name
                    );
                }
            }
            return Ok(());
        }
    };
    for n in &notices {
        if json {
            outln!("{}", notice_json(n));
        } else {
            outln!("{}", notice_line(n, lang));
        }
    }
    Ok(())
}
