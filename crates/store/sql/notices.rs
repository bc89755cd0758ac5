//! [`doorstep_store::Notices`] over `notices` and `notice_files` (the bytes in the row: a
//! BLOB on SQLite, BYTEA on PostgreSQL).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::util::{Conn, already_done, day, db_err, is_already_done, utc, within, ymd};

const COLS: &str = "id, area_path, title, body, english, valid_from, valid_to, token, \
     published_by, published_at, withdrawn_by, withdrawn_at, withdraw_reason";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    area_path: String,
    title: String,
    body: String,
    english: String,
    valid_from: String,
    valid_to: String,
    token: String,
    published_by: String,
    published_at: OffsetDateTime,
    withdrawn_by: Option<String>,
    withdrawn_at: Option<OffsetDateTime>,
    withdraw_reason: Option<String>,
}

impl Row {
    fn into_notice(self) -> StoreResult<Notice> {
        Ok(Notice {
            id: self.id,
            area_path: AreaPath::from_stored(self.area_path),
            title: self.title,
            body: self.body,
            english: self.english,
            valid_from: day(&self.valid_from)?,
            valid_to: day(&self.valid_to)?,
            token: self.token,
            published_by: self.published_by,
            published_at: self.published_at,
            withdrawn: match (self.withdrawn_by, self.withdrawn_at) {
                (Some(by), Some(at)) => Some((by, at, self.withdraw_reason.unwrap_or_default())),
                _ => None,
            },
        })
    }
}

async fn read(conn: &mut Conn, id: Id) -> StoreResult<Notice> {
    let sql = format!("SELECT {COLS} FROM notices WHERE id = $1");
    sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?
        .into_notice()
}

const FILE_COLS: &str =
    "id, area_path, day, title, file_name, content_type, size, uploaded_by, uploaded_at";

#[derive(sqlx::FromRow)]
struct FileRow {
    id: i64,
    area_path: String,
    day: String,
    title: String,
    file_name: String,
    content_type: String,
    size: i64,
    uploaded_by: String,
    uploaded_at: OffsetDateTime,
}

impl FileRow {
    fn into_file(self) -> StoreResult<NoticeFile> {
        Ok(NoticeFile {
            id: self.id,
            area_path: AreaPath::from_stored(self.area_path),
            day: day(&self.day)?,
            title: self.title,
            file_name: self.file_name,
            content_type: self.content_type,
            size: self.size,
            uploaded_by: self.uploaded_by,
            uploaded_at: self.uploaded_at,
        })
    }
}

#[async_trait]
impl Notices for SqlStore {
    async fn publish_notice(&self, new: &NewNotice, audit: Audit<Notice>) -> StoreResult<Notice> {
        let n = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO notices (area_id, area_path, title, body, english, valid_from, \
                     valid_to, token, published_by, published_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(n.area_id)
                .bind(n.area_path.as_str())
                .bind(&n.title)
                .bind(&n.body)
                .bind(&n.english)
                .bind(ymd(n.valid_from))
                .bind(ymd(n.valid_to))
                .bind(&n.token)
                .bind(&n.by)
                .bind(utc(n.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                read(c, id).await
            })
        })
        .await
    }

    async fn withdraw_notice(
        &self,
        id: Id,
        by: &str,
        reason: &str,
        at: OffsetDateTime,
        audit: Audit<Notice>,
    ) -> StoreResult<Notice> {
        let (by, reason) = (by.to_string(), reason.to_string());
        let withdrawn = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let done = sqlx::query(
                    "UPDATE notices SET withdrawn_by = $1, withdrawn_at = $2, withdraw_reason = $3 \
                     WHERE id = $4 AND withdrawn_at IS NULL",
                )
                .bind(&by)
                .bind(utc(at))
                .bind(&reason)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?
                .rows_affected();
                    // Withdrawn by a write that committed after the caller's check (or gone):
                    // answered as it is, without a second entry.
                    if done == 0 {
                        return Err(already_done());
                    }
                    read(c, id).await
                })
            })
            .await;
        match withdrawn {
            Err(e) if is_already_done(&e) => {
                let mut c = self.pool().acquire().await.map_err(db_err)?;
                read(&mut c, id).await
            }
            other => other,
        }
    }

    async fn notice(&self, id: Id) -> StoreResult<Option<Notice>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        match read(&mut c, id).await {
            Ok(n) => Ok(Some(n)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn notice_by_token(&self, token: &str) -> StoreResult<Option<Notice>> {
        let sql = format!("SELECT {COLS} FROM notices WHERE token = $1");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(token)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(Row::into_notice)
            .transpose()
    }

    async fn notices_under(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Notice>> {
        let (cond, (a, b, c)) = within("area_path", 1, area);
        let sql = format!("SELECT {COLS} FROM notices WHERE {cond} ORDER BY id DESC LIMIT 200");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_notice)
            .collect()
    }

    async fn notices_for(&self, path: &AreaPath, day: Date) -> StoreResult<Vec<Notice>> {
        // The area itself or one above it: its path is a prefix of `path` ending at a `/`.
        let sql = format!(
            "SELECT {COLS} FROM notices WHERE withdrawn_at IS NULL AND valid_from <= $2 \
             AND valid_to >= $2 AND (area_path = $1 \
             OR substr($1, 1, length(area_path) + 1) = area_path || '/') \
             ORDER BY id DESC LIMIT 20"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(path.as_str())
            .bind(ymd(day))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_notice)
            .collect()
    }

    async fn keep_notice_file(
        &self,
        new: &NewNoticeFile,
        audit: Audit<NoticeFile>,
    ) -> StoreResult<NoticeFile> {
        let n = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO notice_files (area_id, area_path, day, title, file_name, \
                     content_type, size, content, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(n.area_id)
                .bind(n.area_path.as_str())
                .bind(ymd(n.day))
                .bind(&n.title)
                .bind(&n.file_name)
                .bind(&n.content_type)
                .bind(i64::try_from(n.content.len()).unwrap_or(i64::MAX))
                .bind(&n.content)
                .bind(&n.by)
                .bind(utc(n.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                let sql = format!("SELECT {FILE_COLS} FROM notice_files WHERE id = $1");
                sqlx::query_as::<_, FileRow>(AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?
                    .into_file()
            })
        })
        .await
    }

    async fn notice_files(
        &self,
        area: Option<&AreaPath>,
        day: Option<Date>,
    ) -> StoreResult<Vec<NoticeFile>> {
        let (cond, (a, b, c)) = within("area_path", 2, area);
        let on_day = if day.is_some() { "day = $1" } else { "$1 = ''" };
        let sql = format!(
            "SELECT {FILE_COLS} FROM notice_files WHERE {on_day} AND {cond} \
             ORDER BY day DESC, id DESC LIMIT 200"
        );
        sqlx::query_as::<_, FileRow>(AssertSqlSafe(sql))
            .bind(day.map(ymd).unwrap_or_default())
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(FileRow::into_file)
            .collect()
    }

    async fn notice_file(&self, id: Id) -> StoreResult<Option<(NoticeFile, Vec<u8>)>> {
        let sql = format!("SELECT {FILE_COLS}, content FROM notice_files WHERE id = $1");
        let row: Option<(FileRow, Vec<u8>)> = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(|r| {
                use sqlx::{FromRow, Row as _};
                let f = FileRow::from_row(&r)?;
                let bytes: Vec<u8> = r.try_get("content")?;
                Ok::<_, sqlx::Error>((f, bytes))
            })
            .transpose()
            .map_err(db_err)?;
        row.map(|(f, b)| Ok((f.into_file()?, b))).transpose()
    }
}
