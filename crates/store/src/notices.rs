//! Notices to residents (温馨提示) and files from above (上级文件).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use time::{Date, OffsetDateTime};

use crate::{Audit, Id, StoreResult};

/// A notice to publish.
#[derive(Debug, Clone)]
pub struct NewNotice {
    /// The area it is for.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// An English line (may be empty).
    pub english: String,
    /// First day.
    pub valid_from: Date,
    /// Last day.
    pub valid_to: Date,
    /// Its public page's token.
    pub token: String,
    /// Who publishes it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its id.
    pub id: Id,
    /// The area it is for.
    pub area_path: AreaPath,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// English line.
    pub english: String,
    /// First day.
    pub valid_from: Date,
    /// Last day.
    pub valid_to: Date,
    /// Its public page's token.
    pub token: String,
    /// Who published it.
    pub published_by: String,
    /// When.
    pub published_at: OffsetDateTime,
    /// Withdrawn: by whom, when, why.
    pub withdrawn: Option<(String, OffsetDateTime, String)>,
}

/// A file to keep.
#[derive(Debug, Clone)]
pub struct NewNoticeFile {
    /// The area it belongs to.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// The day it belongs to.
    pub day: Date,
    /// What it is.
    pub title: String,
    /// Its name.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// Who kept it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A kept file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFile {
    /// Its id.
    pub id: Id,
    /// The area it belongs to.
    pub area_path: AreaPath,
    /// The day.
    pub day: Date,
    /// What it is.
    pub title: String,
    /// Its name.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Who kept it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: OffsetDateTime,
}

/// Notices and files.
#[async_trait]
pub trait Notices: Send + Sync {
    /// Publishes a notice, audited.
    async fn publish_notice(&self, new: &NewNotice, audit: Audit<Notice>) -> StoreResult<Notice>;

    /// Withdraws a notice (once: a withdrawn one is left as it is), audited.
    async fn withdraw_notice(
        &self,
        id: Id,
        by: &str,
        reason: &str,
        at: OffsetDateTime,
        audit: Audit<Notice>,
    ) -> StoreResult<Notice>;

    /// Reads a notice.
    async fn notice(&self, id: Id) -> StoreResult<Option<Notice>>;

    /// Reads a notice by its public token.
    async fn notice_by_token(&self, token: &str) -> StoreResult<Option<Notice>>;

    /// Notices for areas under `area` (everywhere when `None`), newest first (at most 200).
    async fn notices_under(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Notice>>;

    /// Notices not withdrawn, valid on `day`, for `path` or an area above it, newest first.
    async fn notices_for(&self, path: &AreaPath, day: Date) -> StoreResult<Vec<Notice>>;

    /// Keeps a file, audited.
    async fn keep_notice_file(
        &self,
        new: &NewNoticeFile,
        audit: Audit<NoticeFile>,
    ) -> StoreResult<NoticeFile>;

    /// Files under `area` (everywhere when `None`), of `day` when given, newest first (at
    /// most 200).
    async fn notice_files(
        &self,
        area: Option<&AreaPath>,
        day: Option<Date>,
    ) -> StoreResult<Vec<NoticeFile>>;

    /// A file with its bytes.
    async fn notice_file(&self, id: Id) -> StoreResult<Option<(NoticeFile, Vec<u8>)>>;
}
