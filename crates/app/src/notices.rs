//! Notices to residents (温馨提示) and files from above (上级文件): staff publish a notice for
//! an area (`Action::PublishNotices`, audited `notice.publish`), which shows on that area's
//! public pages — the self-report form, the check-in page, the building notice — and those of
//! every area below it while valid, and on its own public page (an opaque token, the printed
//! slip's QR code); withdrawing hides it everywhere (`notice.withdraw`). Files received from
//! above are kept with their day (`notice.file`), listed and downloaded by whoever reads the
//! area.

use doorstep_core::daily::parse_day;
use doorstep_core::notices::{FileKind, NoticeDraft, file_name};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Problem};
use doorstep_store::{NewNotice, NewNoticeFile, Notice, NoticeFile, Store, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// A notice as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct NoticeInput {
    /// The area's path.
    pub area: String,
    /// Title (Chinese), at most 60 characters.
    pub title: String,
    /// Text (Chinese), at most 2,000.
    pub body: String,
    /// An optional English line, at most 300.
    pub english: String,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`.
    pub valid_to: String,
}

/// A file as uploaded.
#[derive(Debug, Clone, Default)]
pub struct FileInput {
    /// The area's path.
    pub area: String,
    /// The day it belongs to, `YYYY-MM-DD` (blank: today).
    pub day: String,
    /// What it is (blank: its name).
    pub title: String,
    /// Its name as sent.
    pub file_name: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// The notices showing today for the public pages of `area` (its own and those of the areas
/// above it): no login, so nothing but what was published for residents.
pub async fn showing(store: &dyn Store, ctx: &Ctx, area: &AreaPath) -> AppResult<Vec<Notice>> {
    Ok(store.notices_for(area, ctx.today()).await?)
}

/// A notice's own public page: not found when unknown or withdrawn.
pub async fn by_token(store: &dyn Store, token: &str) -> AppResult<Notice> {
    let t = token.trim();
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    store
        .notice_by_token(t)
        .await?
        .filter(|n| n.withdrawn.is_none())
        .ok_or(AppError::NotFound)
}

/// Notices and files as one user may use them.
pub struct NoticeDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> NoticeDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        NoticeDesk { store, who, ctx }
    }

    /// The area `raw` names, inside the user's, authorized for `action`.
    async fn area(&self, raw: &str, action: Action) -> AppResult<doorstep_store::Area> {
        let path = match raw.trim() {
            "" => self.who.area().cloned().ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new("area", Problem::Required)])
            })?,
            a => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
        };
        if !self.who.covers(&path) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(action, &path)?;
        self.store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Publishes a notice for an area (audited `notice.publish`).
    pub async fn publish(&self, input: &NoticeInput) -> AppResult<Notice> {
        let area = self.area(&input.area, Action::PublishNotices).await?;
        let d = NoticeDraft::parse(
            &input.title,
            &input.body,
            &input.english,
            &input.valid_from,
            &input.valid_to,
        )
        .map_err(|ps| {
            AppError::Validation(
                ps.into_iter()
                    .map(|(f, p)| FieldProblem::new(f, p))
                    .collect(),
            )
        })?;
        let entry = self.who.audit_entry(
            self.ctx,
            "notice.publish",
            None,
            Some(&area.path),
            json!({"title": d.title, "valid_from": d.valid_from.to_string(),
                   "valid_to": d.valid_to.to_string()}),
        );
        let new = NewNotice {
            area_id: area.id,
            area_path: area.path,
            title: d.title,
            body: d.body,
            english: d.english,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            token: crate::auth::random_hex(16)?,
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        Ok(self
            .store
            .publish_notice(
                &new,
                audit_with(move |n: &Notice| {
                    let mut e = entry;
                    e.object_type = Some("notice".into());
                    e.object_id = Some(n.id);
                    vec![e]
                }),
            )
            .await?)
    }

    /// One notice (not found outside the user's area).
    pub async fn get(&self, id: i64) -> AppResult<Notice> {
        let n = self
            .store
            .notice(id)
            .await?
            .filter(|n| self.who.covers(&n.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &n.area_path)?;
        Ok(n)
    }

    /// The notices for areas under `area` (the user's own when blank), newest first.
    pub async fn list(&self, area: &str) -> AppResult<Vec<Notice>> {
        let area = self.who.area_for(area, Action::Read)?;
        Ok(self.store.notices_under(area.as_ref()).await?)
    }

    /// Withdraws a notice with a reason (audited `notice.withdraw`); a withdrawn one is
    /// answered as it is.
    pub async fn withdraw(&self, id: i64, reason: &str) -> AppResult<Notice> {
        let n = self.get(id).await?;
        self.who.authorize(Action::PublishNotices, &n.area_path)?;
        if n.withdrawn.is_some() {
            return Ok(n);
        }
        let reason = doorstep_core::checkpoints::short_text(reason, true)
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("reason", p)]))?;
        let entry = self.who.audit_entry(
            self.ctx,
            "notice.withdraw",
            Some(("notice", n.id)),
            Some(&n.area_path),
            json!({"reason": reason}),
        );
        Ok(self
            .store
            .withdraw_notice(
                n.id,
                self.who.username(),
                &reason,
                self.ctx.now(),
                audit_with(move |_: &Notice| vec![entry]),
            )
            .await?)
    }

    /// Keeps a file from above for an area and day (audited `notice.file`): a PDF, an image,
    /// a Word or Excel file of at most 10 MiB, checked by its bytes.
    pub async fn keep_file(&self, input: &FileInput) -> AppResult<NoticeFile> {
        let area = self.area(&input.area, Action::PublishNotices).await?;
        let mut problems = Vec::new();
        let name = file_name(&input.file_name);
        let kind = FileKind::of(&name, &input.content)
            .map_err(|p| problems.push(FieldProblem::new("file", p)))
            .ok();
        let day = match input.day.trim() {
            "" => Some(self.ctx.today()),
            d => parse_day(d)
                .map_err(|p| problems.push(FieldProblem::new("day", p)))
                .ok(),
        };
        let title = doorstep_core::checkpoints::short_text(&input.title, false)
            .map_err(|p| problems.push(FieldProblem::new("title", p)))
            .unwrap_or_default();
        let (Some(kind), Some(day), true) = (kind, day, problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "notice.file",
            None,
            Some(&area.path),
            json!({"name": name, "size": input.content.len(), "day": day.to_string()}),
        );
        let new = NewNoticeFile {
            area_id: area.id,
            area_path: area.path,
            day,
            title: if title.is_empty() {
                name.clone()
            } else {
                title
            },
            content_type: kind.content_type(&name).to_string(),
            file_name: name,
            content: input.content.clone(),
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        Ok(self
            .store
            .keep_notice_file(
                &new,
                audit_with(move |f: &NoticeFile| {
                    let mut e = entry;
                    e.object_type = Some("notice_file".into());
                    e.object_id = Some(f.id);
                    vec![e]
                }),
            )
            .await?)
    }

    /// The files under `area` (the user's own when blank), of `day` when given.
    pub async fn files(&self, area: &str, day: &str) -> AppResult<Vec<NoticeFile>> {
        let area = self.who.area_for(area, Action::Read)?;
        let day = match day.trim() {
            "" => None,
            d => Some(
                parse_day(d)
                    .map_err(|p| AppError::Validation(vec![FieldProblem::new("day", p)]))?,
            ),
        };
        Ok(self.store.notice_files(area.as_ref(), day).await?)
    }

    /// A file with its bytes (not found outside the user's area).
    pub async fn file(&self, id: i64) -> AppResult<(NoticeFile, Vec<u8>)> {
        let (f, bytes) = self
            .store
            .notice_file(id)
            .await?
            .filter(|(f, _)| self.who.covers(&f.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &f.area_path)?;
        Ok((f, bytes))
    }
}
