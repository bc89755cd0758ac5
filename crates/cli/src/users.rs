//! `doorstep user …`: accounts from the command line, which acts as the office (the machine's
//! authority, [`By::Cli`], audited as `cli`) through the same use cases as a manager.

use std::io::BufRead;

use anyhow::{Result, anyhow, bail};
use doorstep_app::error::AppError;
use doorstep_app::users::{self, By};
use doorstep_core::{AreaPath, Lang, Role};
use doorstep_store::Store;
use serde_json::json;

use crate::UserCommand;

fn read_password(lang: Lang) -> Result<String> {
    if atty_stdin() {
        eprint!("{}", lang.pick("新密码：", "new password: "));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        bail!(
            "{}",
            lang.pick(
                "没有读到密码（从标准输入读取第一行）",
                "no password on standard input (first line)"
            )
        );
    }
    Ok(pw)
}

/// Whether standard input is a terminal (then we prompt).
fn atty_stdin() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

fn explain(e: AppError, lang: Lang) -> anyhow::Error {
    match e {
        AppError::NotFound => anyhow!("{}", lang.pick("用户或区域不存在", "no such user or area")),
        AppError::Conflict(c) => anyhow!("{}", c.message(lang)),
        AppError::Validation(_) => anyhow!(
            "{}",
            lang.pick(
                "手机号码应为 11 位，以 13–19 开头",
                "a mobile number has 11 digits starting 13–19"
            )
        ),
        other => other.into(),
    }
}

/// Runs a user command.
pub async fn run(store: &dyn Store, command: UserCommand, lang: Lang) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            area,
            password_stdin,
            phone,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
                anyhow!(
                    "--role {role}: {} {}",
                    lang.pick("可选：", "one of:"),
                    all.join(", ")
                )
            })?;
            let area = AreaPath::parse(&area)
                .map_err(|p| anyhow!("--area {area}: {}", p.message(lang)))?;
            if !password_stdin && !atty_stdin() {
                bail!("--password-stdin");
            }
            let pw = read_password(lang)?;
            let u = users::create_user(store, By::Cli, &username, role, &area, &pw)
                .await
                .map_err(|e| explain(e, lang))?;
            if let Some(p) = phone {
                users::set_phone(store, By::Cli, &u.username, &p)
                    .await
                    .map_err(|e| explain(e, lang))?;
            }
            outln!(
                "{} {} ({}, {})",
                lang.pick("已创建用户", "created user"),
                u.username,
                u.role.label(lang),
                u.area_path
            );
        }
        UserCommand::List { json: as_json } => {
            let all = users::list(store, By::Cli)
                .await
                .map_err(|e| explain(e, lang))?;
            if as_json {
                let items: Vec<_> = all
                    .iter()
                    .map(|u| json!({"username": u.username, "role": u.role.code(), "area": u.area_path.as_str(), "disabled": u.disabled, "phone": u.phone}))
                    .collect();
                outln!("{}", json!({"items": items, "total": items.len()}));
            } else {
                for u in all {
                    let state = if u.disabled {
                        lang.pick("（已停用）", " (disabled)")
                    } else {
                        ""
                    };
                    outln!(
                        "{:<24} {:<14} {}{state}",
                        u.username,
                        u.role.label(lang),
                        u.area_path
                    );
                }
            }
        }
        UserCommand::Phone { username, phone } => {
            users::set_phone(store, By::Cli, &username, &phone)
                .await
                .map_err(|e| explain(e, lang))?;
            outln!("{} {username}", lang.pick("已设置电话", "phone set for"));
        }
        UserCommand::Disable { username } => {
            users::set_disabled(store, By::Cli, &username, true)
                .await
                .map_err(|e| explain(e, lang))?;
            outln!("{} {username}", lang.pick("已停用", "disabled"));
        }
        UserCommand::Enable { username } => {
            users::set_disabled(store, By::Cli, &username, false)
                .await
                .map_err(|e| explain(e, lang))?;
            outln!("{} {username}", lang.pick("已启用", "enabled"));
        }
        UserCommand::Passwd { username } => {
            let pw = read_password(lang)?;
            users::set_password(store, By::Cli, &username, &pw)
                .await
                .map_err(|e| explain(e, lang))?;
            outln!(
                "{} {username}",
                lang.pick("已修改密码", "password changed for")
            );
        }
    }
    Ok(())
}
