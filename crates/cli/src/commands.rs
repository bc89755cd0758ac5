//! Each subcommand: parse what the user typed, call the use case, print the outcome.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::error::AppError;
use doorstep_app::export::{SheetFormat, save_rejects};
use doorstep_app::registry::Registry;
use doorstep_app::{OpenError, create_database, demo, open_store};
use doorstep_core::{AreaKind, AreaPath, Lang};
use doorstep_store::{AreaCount, Store, StoreError};
use doorstep_web::PublicUrl;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{AreaCommand, Cli, Command, ExportWhat, FormatArg, ImportWhat};

/// The address links and QR codes print: `DOORSTEP_PUBLIC_URL` (or `--public-url`), which a
/// server beyond loopback must have (otherwise only the request's Host header would say where
/// residents are sent, and whoever sends the request chooses that).
fn serve_url(addr: SocketAddr, raw: Option<&str>) -> Result<Option<PublicUrl>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Ok(Some(
            PublicUrl::parse(raw).map_err(|e| anyhow!("DOORSTEP_PUBLIC_URL={raw}: {e}"))?,
        )),
        None if addr.ip().is_loopback() => Ok(None),
        None => bail!("{}", doorstep_web::NEEDS_PUBLIC_URL),
    }
}

/// Runs one command.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let lang = Lang::from_tag(&cli.lang);
    // A server that would print links with the wrong address does not start, nor touch the
    // database.
    let public_url = match &cli.command {
        Command::Serve {
            addr, public_url, ..
        } => serve_url(*addr, public_url.as_deref())?,
        _ => None,
    };
    // Backup and restore work on the database file or server itself, not through the store.
    match &cli.command {
        Command::Backup { file, json } => {
            crate::backup::backup(&cli.db, file, *json, lang).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Restore { file, json } => {
            crate::backup::restore(&cli.db, file, *json, lang).await?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let store = match open_store(&cli.db).await {
        Ok(store) => store,
        // `migrate` is the setup step: it creates a missing database where the server allows.
        Err(OpenError::DatabaseMissing(db)) if matches!(cli.command, Command::Migrate) => {
            if let Err(e) = create_database(&cli.db).await {
                let cause = format!("{:#}", anyhow::Error::from(e));
                tracing::info!(error = %cause, "creating the database failed");
                bail!(OpenError::DatabaseMissing(db).message(lang));
            }
            outln!("{}{db}", lang.pick("已创建数据库 ", "created database "));
            open_store(&cli.db)
                .await
                .map_err(|e| anyhow!(e.message(lang)))?
        }
        Err(e) => {
            // The cause goes to the log (shown with -v); the user reads what to do, once.
            let message = e.message(lang);
            let cause = format!("{:#}", anyhow::Error::from(e));
            tracing::info!(error = %cause, db = %redact(&cli.db), "opening the database failed");
            bail!(message);
        }
    };
    match cli.command {
        // Answered above, before the store opens.
        Command::Backup { .. } | Command::Restore { .. } => {}
        Command::Migrate => {
            outln!(
                "{}",
                lang.pick("数据库已是最新结构", "database schema is up to date")
            );
        }
        Command::Demo => load_demo(store.as_ref(), lang).await?,
        Command::Serve {
            addr,
            demo,
            proxies,
            limits,
            seal_webhook,
            retention_at,
            no_retention,
            ..
        } => {
            // A bad webhook stops the server before it starts, like a bad proxy setting.
            let hook = match seal_webhook.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(url) => {
                    Some(doorstep_app::rounds::Webhook::parse(url).map_err(|e| anyhow!("{e}"))?)
                }
            };
            if demo {
                if store.max_person_id().await? == 0 {
                    load_demo(store.as_ref(), lang).await?;
                }
                print_demo_users(store.as_ref(), lang, addr).await?;
            }
            let mut app = doorstep_web::RouterBuilder::new(store.clone())
                .trusted_proxies(proxies.trusted())
                .limits(limits.limits())
                .writes(limits.writes(&cli.db));
            if let Some(url) = public_url {
                app = app.public_url(url);
            }
            // Seal notifications, the sweeps and the day's retention run beside the server.
            let background = doorstep_app::rounds::run_background(
                store.clone(),
                hook,
                doorstep_app::clock::system(),
                (!no_retention).then_some(retention_at),
            );
            let served = doorstep_web::serve(app, addr).await;
            background.abort();
            served?;
        }
        Command::User { command } => crate::users::run(store.as_ref(), command, lang).await?,
        Command::Area { command } => area(store, command, lang).await?,
        Command::Link { command } => crate::links::run(store.as_ref(), command, lang).await?,
        Command::Staff { command } => {
            crate::staff::run_staff(store.as_ref(), command, lang).await?
        }
        Command::Duty { command } => crate::staff::run_duty(store.as_ref(), command, lang).await?,
        Command::Task { command } => crate::staff::run_task(store.as_ref(), command, lang).await?,
        Command::Round { command } => crate::rounds::run(store.as_ref(), command, lang).await?,
        Command::Episode { command } => crate::episodes::run(store.as_ref(), command, lang).await?,
        Command::Policy { command } => crate::policies::run(store.as_ref(), command, lang).await?,
        Command::Seal { command } => crate::seals::run(store.as_ref(), command, lang).await?,
        Command::Notice { command } => crate::notices::run(store.as_ref(), command, lang).await?,
        Command::Template { command } => {
            crate::templates::run(store.as_ref(), command, lang).await?
        }
        Command::Export {
            what: ExportWhat::Template(args),
        } => crate::templates::export(store.as_ref(), args, lang).await?,
        Command::Emergency { command } => {
            crate::emergency::run(store.as_ref(), command, lang).await?
        }
        Command::Retention { command } => {
            crate::emergency::run_retention(store.as_ref(), command, lang).await?
        }
        Command::List { command } => crate::lists::run(store.as_ref(), command, lang).await?,
        Command::Report { command } => crate::daily::run(store.as_ref(), command, lang).await?,
        Command::Supplies { command } => {
            crate::supplies::run(store.as_ref(), command, lang).await?
        }
        Command::Checkpoint { command } => {
            crate::checkpoints::run(store.as_ref(), command, lang).await?
        }
        Command::Export {
            what:
                ExportWhat::Reports {
                    area,
                    since_last,
                    format,
                    output,
                },
        } => crate::links::export(store.as_ref(), &area, since_last, format, output, lang).await?,
        Command::Import {
            what:
                ImportWhat::Persons {
                    into,
                    file,
                    json,
                    rejects,
                    as_user,
                },
        } => {
            let who = match as_user {
                Some(name) => principal(store.as_ref(), &name, lang).await?,
                None => Principal::office(),
            };
            return import(store, &into, file, json, rejects, who, lang).await;
        }
        Command::Import {
            what: ImportWhat::Results { file, json },
        } => crate::rounds::import_results(store.as_ref(), file, json, lang).await?,
        Command::Export {
            what:
                ExportWhat::Persons {
                    area,
                    format,
                    output,
                },
        } => {
            let path = parse_path(&area, lang)?;
            let format = match format {
                FormatArg::Csv => SheetFormat::Csv,
                FormatArg::Xlsx => SheetFormat::Xlsx,
            };
            let (office, ctx) = (Principal::office(), Ctx::default());
            let n = Registry::new(store.as_ref(), &office, &ctx)
                .export(&path, format, &output)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        anyhow!("{}{path}", lang.pick("区域不存在：", "area not found: "))
                    }
                    other => other.into(),
                })?;
            match lang {
                Lang::Zh => eprintln!("已导出 {n} 人到 {}", output.display()),
                Lang::En => eprintln!("exported {n} persons to {}", output.display()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(c) => format!("{}:***{}", &url[..s + 3 + c], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

fn parse_path(raw: &str, lang: Lang) -> Result<AreaPath> {
    AreaPath::parse(raw).map_err(|p| anyhow!("{raw}: {}", p.message(lang)))
}

async fn print_demo_users(store: &dyn Store, lang: Lang, addr: std::net::SocketAddr) -> Result<()> {
    let users = doorstep_app::users::demo_users(store)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    doorstep_app::staff::demo(store)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    outln!(
        "{}",
        lang.pick("演示账号（密码均为 ", "demo logins (password for all: ")
            .to_string()
            + doorstep_app::users::DEMO_PASSWORD
            + lang.pick("）：", "):")
    );
    for (name, role, area) in users {
        outln!("  {name:<24} {:<14} {area}", role.label(lang));
    }
    outln!("{} http://{addr}/login", lang.pick("登录：", "log in at"));
    Ok(())
}

async fn load_demo(store: &dyn Store, lang: Lang) -> Result<()> {
    let started = Instant::now();
    eprintln!(
        "{}",
        lang.pick("正在生成演示社区……", "creating the demo community…")
    );
    let r = demo::load(store).await?;
    let secs = started.elapsed().as_secs_f64();
    match lang {
        Lang::Zh => outln!(
            "演示社区 {}：13 个小区，新建 {} 户、{} 人（已有未变 {} 人），用时 {secs:.1} 秒",
            demo::COMMUNITY,
            r.households_created,
            r.created,
            r.unchanged
        ),
        Lang::En => outln!(
            "demo community {}: 13 compounds, {} households and {} persons created ({} already there), {secs:.1} s",
            demo::COMMUNITY,
            r.households_created,
            r.created,
            r.unchanged
        ),
    }
    Ok(())
}

async fn area(store: Arc<dyn Store>, command: AreaCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let reg = Registry::new(store.as_ref(), &office, &ctx);
    match command {
        AreaCommand::Add { kind, path } => {
            let kind = AreaKind::parse(&kind)
                .map_err(|p| anyhow!("--kind {kind}: {}", p.message(lang)))?;
            let path = parse_path(&path, lang)?;
            let area = reg.create_area(&path, kind).await.map_err(|e| match e {
                AppError::NotFound => {
                    let parent = path.parent().map(|p| p.to_string()).unwrap_or_default();
                    anyhow!(
                        "{}{parent}",
                        lang.pick("上级区域不存在：", "parent area not found: ")
                    )
                }
                AppError::Conflict(_) => {
                    anyhow!(
                        "{}{path}",
                        lang.pick("区域已存在：", "area already exists: ")
                    )
                }
                AppError::Store(StoreError::Invalid(m)) => anyhow!("{m}"),
                other => other.into(),
            })?;
            outln!(
                "{} {} ({})",
                lang.pick("已创建", "created"),
                area.path,
                area.kind.label(lang)
            );
        }
        AreaCommand::List { path, json } => {
            let roots = match path {
                Some(p) => {
                    let p = parse_path(&p, lang)?;
                    vec![reg.area_by_path(&p).await.map_err(|e| match e {
                        AppError::NotFound => {
                            anyhow!("{}{p}", lang.pick("区域不存在：", "area not found: "))
                        }
                        other => other.into(),
                    })?]
                }
                None => reg.home_areas().await?,
            };
            let mut all: Vec<AreaCount> = Vec::new();
            for r in roots {
                all.extend(reg.area_tree(&r.path).await?);
            }
            if json {
                let items: Vec<_> = all
                    .iter()
                    .map(|c| {
                        json!({"id": c.area.id, "path": c.area.path.as_str(), "kind": c.area.kind.code(),
                               "name": c.area.name, "households": c.households, "persons": c.persons})
                    })
                    .collect();
                outln!("{}", json!({ "items": items, "total": items.len() }));
            } else {
                print_tree(&all, lang);
            }
        }
    }
    Ok(())
}

fn print_tree(all: &[AreaCount], lang: Lang) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let Some(first) = all.first() else {
        let _ = writeln!(out, "{}", lang.pick("（还没有区域）", "(no areas yet)"));
        return;
    };
    let base_depth = first.area.path.names().count();
    for c in all {
        let indent = "  ".repeat(c.area.path.names().count().saturating_sub(base_depth));
        let (name, kind, h, p) = (
            &c.area.name,
            c.area.kind.label(lang),
            c.households,
            c.persons,
        );
        let line = match lang {
            Lang::Zh => writeln!(out, "{indent}{name}（{kind}）  {h} 户  {p} 人"),
            Lang::En => writeln!(out, "{indent}{name} ({kind})  {h} households  {p} persons"),
        };
        // A closed pipe (`| head`) ends the listing quietly.
        if line.is_err() {
            return;
        }
    }
}

/// The enabled user named `name`, to act as.
async fn principal(store: &dyn Store, name: &str, lang: Lang) -> Result<Principal> {
    match store.user_for_login(name).await? {
        Some((user, _)) if !user.disabled => Ok(Principal::user(user)),
        _ => bail!(
            "{}{name}",
            lang.pick("用户不存在或已停用：", "no such enabled user: ")
        ),
    }
}

async fn import(
    store: Arc<dyn Store>,
    into: &str,
    file: std::path::PathBuf,
    json_out: bool,
    rejects: Option<std::path::PathBuf>,
    who: Principal,
    lang: Lang,
) -> Result<ExitCode> {
    let into = parse_path(into, lang)?;
    let bar = if json_out {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0));
        b.set_style(
            ProgressStyle::with_template("{bar:40} {percent:>3}%  {msg}  {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let started = Instant::now();
    let ctx = Ctx::default();
    // The same use case as the web's upload: access checked first, the counts audited.
    let result = Registry::new(store.as_ref(), &who, &ctx)
        .import_with(&into, file, lang, rejects.is_some(), |p| {
            if let Some(total) = p.total_rows {
                bar.set_length(total);
                bar.set_position(p.rows);
            } else {
                bar.set_position(p.bytes);
            }
            bar.set_message(format!("{} {}", p.rows, lang.pick("行", "rows")));
        })
        .await;
    bar.finish_and_clear();
    let mut report = match result {
        Ok(r) => r,
        Err(AppError::NotFound | AppError::Forbidden) => bail!(
            "{}{into}",
            lang.pick(
                "该用户不能向此区域导入（区域不存在或不在其负责范围内）：",
                "this user may not import into this area (it does not exist or lies outside theirs): "
            )
        ),
        Err(AppError::Import(e)) => {
            let message = e.message(lang);
            if json_out {
                outln!("{}", json!({"error": "import_failed", "message": message}));
            } else {
                eprintln!("{}{message}", lang.pick("导入失败：", "import failed: "));
            }
            return Ok(ExitCode::FAILURE);
        }
        Err(other) => return Err(other.into()),
    };
    let wrote_rejects = rejects.is_some() && !report.rejects.is_empty();
    if let (Some(path), true) = (&rejects, wrote_rejects) {
        let rows = std::mem::take(&mut report.rejects);
        save_rejects(path.clone(), report.headers.clone(), rows, lang).await?;
    }
    if json_out {
        // Written as it is serialised: the errors of a large roster run to tens of megabytes.
        crate::out::json(&report);
        return Ok(ExitCode::SUCCESS);
    }
    let secs = started.elapsed().as_secs_f64();
    let r = &report;
    match lang {
        Lang::Zh => outln!(
            "共 {} 行：新建 {} 人，更新 {} 人，未变 {} 人，拒绝 {} 行；新建 {} 户。用时 {secs:.1} 秒",
            r.rows,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected,
            r.households_created
        ),
        Lang::En => outln!(
            "{} rows: {} created, {} updated, {} unchanged, {} rejected; {} households created, in {secs:.1} s",
            r.rows,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected,
            r.households_created
        ),
    }
    for e in r.errors.iter().take(50) {
        match lang {
            Lang::Zh => outln!("  第 {} 行「{}」：{}", e.row, e.column, e.message),
            Lang::En => outln!("  row {} [{}]: {}", e.row, e.column, e.message),
        }
    }
    if r.errors.len() > 50 {
        outln!("  … {}", r.errors.len() - 50);
    }
    if let (Some(path), true) = (&rejects, wrote_rejects) {
        outln!(
            "{}{}",
            lang.pick("被拒绝的行已写入 ", "rejected rows written to "),
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
