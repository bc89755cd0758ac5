//! The upward direct report (上级直报): accepted reports, one row per reported person, in the
//! upper-level template's column order, optionally only what no earlier export of the same
//! area has sent up.

use std::collections::HashMap;
use std::path::Path;

use doorstep_core::{AreaKind, AreaPath, Lang, Role};
use doorstep_store::{Area, Report, Store, User};
use serde_json::{Value, json};
use time::Date;

use super::stored_members;
use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::export::{ExportError, SheetFormat, Sink};
use crate::today;
use doorstep_core::templates::Template;

/// The upper-level template's columns, in order.
pub const REPORT_COLUMNS: [&str; 18] = [
    "序号",
    "姓名",
    "性别",
    "年龄",
    "证件类型",
    "证件号码",
    "联系电话",
    "现居住地址",
    "报备类型",
    "报备原因",
    "来源地/风险场所",
    "到达或接触日期",
    "报备时间",
    "所属社区",
    "所属网格",
    "网格员",
    "网格员电话",
    "备注",
];

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportExport {
    /// Reports sent up.
    pub reports: u64,
    /// Rows (persons) written.
    pub rows: u64,
}

/// Exports the accepted reports under `area` as the principal (who needs the export permission
/// there: a user, or the office from the command line); audited with the counts.
pub async fn export_reports_as(
    store: &dyn Store,
    who: &Principal,
    ctx: &Ctx,
    area: &AreaPath,
    since_last: bool,
    format: SheetFormat,
    path: &Path,
) -> AppResult<ReportExport> {
    who.authorize(Action::Export, area)?;
    store.area_by_path(area).await?.ok_or(AppError::NotFound)?;
    let (auditor, path_of) = (who.auditor(ctx), area.clone());
    let audit = move |done: &ReportExport| {
        let mut e = auditor.entry(
            "reports.export",
            None,
            Some(&path_of),
            json!({"reports": done.reports, "rows": done.rows, "since_last": since_last,
                "format": if format == SheetFormat::Csv { "csv" } else { "xlsx" }}),
        );
        e.object_type = Some("area".into());
        e
    };
    export_reports(store, area, since_last, format, path, who.username(), audit)
        .await
        .map_err(AppError::from)
}

/// Writes the accepted reports under `area` to `path` and remembers them as sent up by this
/// area's export, with the audit entry `audit` makes of the counts in the same transaction.
/// No access check: everyone goes through [`export_reports_as`].
async fn export_reports(
    store: &dyn Store,
    area: &AreaPath,
    since_last: bool,
    format: SheetFormat,
    path: &Path,
    by: &str,
    audit: impl FnOnce(&ReportExport) -> doorstep_store::NewAudit,
) -> Result<ReportExport, ExportError> {
    let reports = store.reports_for_export(area, since_last).await?;
    let rows = report_rows(store, &reports, false).await?;
    let path_buf = path.to_path_buf();
    let written = rows.len() as u64;
    // The layout is the built-in template's: one machinery for every export with a template.
    let template = Template::direct_report();
    tokio::task::spawn_blocking(move || -> Result<(), ExportError> {
        let mut sink = Sink::create(format, &path_buf, &template.headers())?;
        for r in &rows {
            sink.row(&template.cells(r))?;
        }
        sink.finish()
    })
    .await??;
    let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let done = ReportExport {
        reports: reports.len() as u64,
        rows: written,
    };
    store
        .mark_reports_exported(area, &ids, by, doorstep_store::audit_entry(audit(&done)))
        .await?;
    Ok(done)
}

/// The rows of `reports`, one per reported person, each holding the fields of
/// [`doorstep_core::templates::SELF_REPORT_FIELDS`] in order; `masked` hides the middle of the
/// ID number and phone (for roles that may export but not reveal).
pub(crate) async fn report_rows(
    store: &dyn Store,
    reports: &[Report],
    masked: bool,
) -> Result<Vec<Vec<String>>, ExportError> {
    let mut places = Places::default();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let today = today();
    for r in reports {
        let place = places.of(store, r).await?;
        for m in stored_members(r).into_iter().flatten() {
            rows.push(row(rows.len() + 1, r, &m, &place, today, masked));
        }
    }
    Ok(rows)
}

/// What the template says about where a report's address lies.
#[derive(Debug, Clone, Default)]
struct Place {
    /// Names from the district down to the community, joined (the start of 现居住地址).
    above: String,
    community: String,
    grid: String,
    workers: String,
    worker_phones: String,
}

/// Places found so far, by the area path of a report.
#[derive(Default)]
struct Places {
    areas: HashMap<String, Option<Area>>,
    users: HashMap<String, Vec<User>>,
    done: HashMap<String, Place>,
}

impl Places {
    async fn area(
        &mut self,
        store: &dyn Store,
        path: &AreaPath,
    ) -> Result<Option<Area>, ExportError> {
        if let Some(a) = self.areas.get(path.as_str()) {
            return Ok(a.clone());
        }
        let a = store.area_by_path(path).await?;
        self.areas.insert(path.to_string(), a.clone());
        Ok(a)
    }

    async fn of(&mut self, store: &dyn Store, r: &Report) -> Result<Place, ExportError> {
        if let Some(p) = self.done.get(r.area_path.as_str()) {
            return Ok(p.clone());
        }
        let mut chain = Vec::new();
        let mut cur = Some(r.area_path.clone());
        while let Some(p) = cur {
            if let Some(a) = self.area(store, &p).await? {
                chain.push(a);
            }
            cur = p.parent();
        }
        chain.reverse();
        let mut place = Place::default();
        let mut community_path = None;
        for a in &chain {
            match a.kind {
                AreaKind::Community => {
                    place.community = a.name.clone();
                    community_path = Some(a.path.clone());
                }
                AreaKind::Grid => place.grid = a.name.clone(),
                _ => {}
            }
            if a.kind <= AreaKind::Community {
                place.above.push_str(&a.name);
            }
        }
        if let Some(cp) = community_path {
            let users = match self.users.get(cp.as_str()) {
                Some(u) => u.clone(),
                None => {
                    let u = store.users(Some(&cp)).await?;
                    self.users.insert(cp.to_string(), u.clone());
                    u
                }
            };
            (place.workers, place.worker_phones) = grid_workers(&users, &r.area_path);
        }
        self.done.insert(r.area_path.to_string(), place.clone());
        Ok(place)
    }
}

/// The grid workers responsible for an address: the enabled grid workers (else grid leaders)
/// whose area holds it, the closest first; their names and their phones, each joined with 、.
fn grid_workers(users: &[User], at: &AreaPath) -> (String, String) {
    for role in [Role::GridWorker, Role::GridLeader] {
        let mut found: Vec<&User> = users
            .iter()
            .filter(|u| u.role == role && !u.disabled && u.area_path.contains(at))
            .collect();
        if !found.is_empty() {
            found.sort_by_key(|u| std::cmp::Reverse(u.area_path.as_str().len()));
            let names = found
                .iter()
                .map(|u| u.username.as_str())
                .collect::<Vec<_>>()
                .join("、");
            let phones = found
                .iter()
                .filter_map(|u| u.phone.as_deref())
                .collect::<Vec<_>>()
                .join("、");
            return (names, phones);
        }
    }
    (String::new(), String::new())
}

fn row(
    n: usize,
    r: &Report,
    m: &doorstep_core::PersonFields,
    place: &Place,
    today: Date,
    masked: bool,
) -> Vec<String> {
    let purpose = r.purpose;
    let a = |k: &str| -> String {
        match r.answers.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    let mut reason = purpose.reason_zh().to_string();
    if !a("notified_by").is_empty() {
        reason.push_str(&format!("（通知人：{}）", a("notified_by")));
    }
    let source = [a("from_place"), a("risk_place")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("；");
    let mut notes = Vec::new();
    if !a("symptoms").is_empty() {
        notes.push(format!("症状：{}", a("symptoms")));
    }
    if !a("temperature").is_empty() {
        notes.push(format!("体温：{}℃", a("temperature")));
    }
    if !a("notes").is_empty() {
        notes.push(a("notes"));
    }
    if let Some(by) = &r.filed_by {
        notes.push(format!("工作人员{by}代报"));
    }
    vec![
        n.to_string(),
        m.name().to_string(),
        m.sex().map(|s| s.label(Lang::Zh)).unwrap_or("").to_string(),
        m.birth_date()
            .map(|b| doorstep_core::age::years(b, today).max(0).to_string())
            .unwrap_or_default(),
        m.doc().doc_type().label_zh().to_string(),
        if masked {
            m.doc().masked()
        } else {
            m.doc().number().to_string()
        },
        m.phone()
            .map(|p| {
                if masked {
                    p.masked()
                } else {
                    p.as_str().to_string()
                }
            })
            .unwrap_or_default(),
        format!("{}{}", place.above, r.address),
        purpose.label(Lang::Zh).to_string(),
        reason,
        source,
        a("date"),
        crate::clock::china_minute(r.submitted_at),
        place.community.clone(),
        place.grid.clone(),
        place.workers.clone(),
        place.worker_phones.clone(),
        notes.join("；"),
        r.submitted_at
            .to_offset(crate::clock::CHINA)
            .date()
            .to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in template is the upper level's layout, column for column.
    #[test]
    fn the_built_in_template_is_the_direct_report() {
        assert_eq!(Template::direct_report().headers(), REPORT_COLUMNS);
    }
}
