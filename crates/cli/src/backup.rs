//! `doorstep backup FILE` and `doorstep restore FILE`.
//!
//! SQLite: a consistent copy while the server runs (`VACUUM INTO` in one read transaction),
//! and a restore that checks the file and copies it in through SQLite's backup API
//! (`doorstep_store_sqlite::backup`). PostgreSQL: `pg_dump --format=custom` and
//! `pg_restore --clean --if-exists` with the same URL (both must be on `PATH`; Debian's
//! `postgresql-client`); a URL whose options set a `search_path` dumps that schema alone. After a restore the database is migrated to this binary's schema, so
//! a backup made by an older Doorstep restores into a newer one.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, anyhow, bail};
use doorstep_app::is_postgres;
use doorstep_core::Lang;
use doorstep_store::StoreError;
use serde_json::json;

fn store_error(e: StoreError, lang: Lang) -> anyhow::Error {
    let what = match &e {
        StoreError::NotFound(w) => format!("{}{w}", lang.pick("找不到：", "not found: ")),
        StoreError::Conflict(w) | StoreError::Invalid(w) => w.clone(),
        StoreError::Other(c) | StoreError::Unavailable(c) => c.to_string(),
    };
    anyhow!(
        "{}{what}",
        lang.pick("备份/恢复失败：", "backup/restore failed: ")
    )
}

/// The schema a PostgreSQL URL puts first on the search path (`options=-c search_path=X`), if
/// any: the dump and the restore then cover that schema alone.
fn pg_schema(url: &str) -> Option<String> {
    let decoded = url
        .replace("%20", " ")
        .replace("%3D", "=")
        .replace("%3d", "=");
    let rest = &decoded[decoded.find("search_path=")? + "search_path=".len()..];
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Runs `program` with `args`, failing with its own error output.
fn run_tool(program: &str, args: &[&str], lang: Lang) -> Result<()> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        anyhow!(
            "{program}: {e} ({})",
            lang.pick(
                "请安装 PostgreSQL 客户端（postgresql-client）",
                "install the PostgreSQL client tools (postgresql-client)"
            )
        )
    })?;
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)
}

/// `doorstep backup FILE`.
pub async fn backup(url: &str, file: &Path, json: bool, lang: Lang) -> Result<()> {
    let shown = file.display().to_string();
    let out = if is_postgres(url) {
        if file.exists() {
            bail!("{shown}: {}", lang.pick("文件已存在", "exists already"));
        }
        let mut args = vec!["--format=custom", "--file", &shown];
        let schema = pg_schema(url);
        if let Some(s) = &schema {
            args.extend(["--schema", s.as_str()]);
        }
        args.push(url);
        run_tool("pg_dump", &args, lang)?;
        json!({"file": shown, "bytes": size(file), "format": "pg_dump custom"})
    } else {
        let (url, to) = (url.to_string(), file.to_path_buf());
        let c =
            tokio::task::spawn_blocking(move || doorstep_store_sqlite::backup::backup(&url, &to))
                .await?
                .map_err(|e| store_error(e, lang))?;
        json!({"file": shown, "bytes": c.bytes, "format": "sqlite", "schema": c.schema,
               "persons": c.persons})
    };
    if json {
        outln!("{out}");
    } else {
        outln!(
            "{}{shown} ({} bytes)",
            lang.pick("已备份到 ", "backed up to "),
            out["bytes"]
        );
    }
    Ok(())
}

/// `doorstep restore FILE`: the database at `url` becomes the backup's, migrated.
pub async fn restore(url: &str, file: &Path, json: bool, lang: Lang) -> Result<()> {
    let shown = file.display().to_string();
    let mut out = if is_postgres(url) {
        if !file.exists() {
            bail!("{shown}: {}", lang.pick("找不到文件", "no such file"));
        }
        run_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url,
                &shown,
            ],
            lang,
        )?;
        json!({"file": shown, "format": "pg_dump custom"})
    } else {
        let (u, from) = (url.to_string(), file.to_path_buf());
        let c =
            tokio::task::spawn_blocking(move || doorstep_store_sqlite::backup::restore(&u, &from))
                .await?
                .map_err(|e| store_error(e, lang))?;
        json!({"file": shown, "format": "sqlite", "schema": c.schema, "persons": c.persons})
    };
    // The restored database is brought to this binary's schema and opened as the server would.
    doorstep_app::open_store(url)
        .await
        .map_err(|e| anyhow!(e.message(lang)))?;
    out["migrated"] = json!(true);
    if json {
        outln!("{out}");
    } else {
        outln!("{}{shown}", lang.pick("已恢复自 ", "restored from "));
    }
    Ok(())
}
