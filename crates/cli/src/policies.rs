//! `doorstep policy …`: list, show and edit quarantine policies from the command line, as the
//! office ([`Principal::office`]), through the same use case as the API. A policy is edited by
//! saving a new version; episodes already started keep theirs.

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::quarantine::policies::PolicyDesk;
use doorstep_core::Lang;
use doorstep_core::policy::{PolicyDoc, RulesDoc};
use doorstep_store::PolicyVersion;
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::staff::explain;

/// Policy commands.
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// The current version of every policy.
    List {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One policy's version (its current one unless `--version`).
    Show {
        /// The policy's key (ninth_edition, nov_2022, …).
        key: String,
        /// The version.
        #[arg(long)]
        version: Option<u32>,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a new version of a policy (version 1 of a new key) from a JSON file: either
    /// `{"name": …, "rules": {…}}` or the rules alone, keyed by measure code
    /// (`{"home_quarantine": {"days": 7, "windows": ["07:00-11:00"], "test_days": [1, 7],
    /// "co_residents": true, "release": {"checkins": true, "negative_tests": true}}}`).
    Edit {
        /// The policy's key.
        key: String,
        /// The JSON file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// The version's name (the file's, or else the current version's, when left out).
        #[arg(long)]
        name: Option<String>,
        /// Print `{"key","version"}` as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A version as JSON: the same shape the API answers.
fn version_json(v: &PolicyVersion) -> Value {
    let doc = PolicyDoc::of(&v.policy);
    json!({"key": v.policy.key, "version": v.version, "name": doc.name, "rules": doc.rules,
           "created_by": v.created_by,
           "created_at": v.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})
}

/// A version as one line per measure.
fn print_version(v: &PolicyVersion, lang: Lang) {
    outln!("{}@{}  {}", v.policy.key, v.version, v.policy.name);
    for r in &v.policy.rules {
        let tests: Vec<String> = r.test_days.iter().map(u16::to_string).collect();
        match lang {
            Lang::Zh => outln!(
                "  {}：{} 天，每天打卡 {} 次，检测日 {}，同住人员{}",
                r.measure.name_zh(),
                r.days,
                r.windows.len(),
                tests.join(","),
                if r.co_residents { "一并" } else { "不含" }
            ),
            Lang::En => outln!(
                "  {}: {} days, {} check-ins a day, test days {}, co-residents {}",
                r.measure.name_en(),
                r.days,
                r.windows.len(),
                tests.join(","),
                if r.co_residents {
                    "included"
                } else {
                    "not included"
                }
            ),
        }
    }
}

/// Runs a policy command.
pub async fn run(
    store: &dyn doorstep_store::Store,
    command: PolicyCommand,
    lang: Lang,
) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = PolicyDesk::new(store, &office, &ctx);
    match command {
        PolicyCommand::List { json } => {
            let all = desk.list().await.map_err(|e| explain(e, lang))?;
            if json {
                let items: Vec<Value> = all.iter().map(version_json).collect();
                outln!("{}", json!({"items": items, "total": all.len()}));
            } else {
                for v in &all {
                    print_version(v, lang);
                }
            }
        }
        PolicyCommand::Show { key, version, json } => {
            let v = desk
                .show(&key, version)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", version_json(&v));
            } else {
                print_version(&v, lang);
            }
        }
        PolicyCommand::Edit {
            key,
            file,
            name,
            json,
        } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("{}", file.display()))?;
            let value: Value =
                serde_json::from_str(&text).with_context(|| format!("{}: JSON", file.display()))?;
            let (file_name, rules) = match value {
                Value::Object(mut o) if o.contains_key("rules") => (
                    o.remove("name")
                        .and_then(|n| n.as_str().map(str::to_string)),
                    o.remove("rules").unwrap_or(Value::Null),
                ),
                other => (None, other),
            };
            let rules: BTreeMap<String, RulesDoc> = serde_json::from_value(rules)
                .with_context(|| format!("{}: rules", file.display()))?;
            let name = match name.or(file_name) {
                Some(n) => n,
                None => desk
                    .show(&key, None)
                    .await
                    .map(|v| v.policy.name)
                    .map_err(|_| {
                        anyhow!(
                            "{}",
                            lang.pick("新政策须用 --name 命名", "a new policy needs --name")
                        )
                    })?,
            };
            let v = desk
                .save(&key, &PolicyDoc { name, rules }, None)
                .await
                .map_err(|e| explain(e, lang))?;
            if json {
                outln!("{}", json!({"key": v.policy.key, "version": v.version}));
            } else {
                print_version(&v, lang);
            }
        }
    }
    Ok(())
}
