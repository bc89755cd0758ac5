//! Doorstep's use cases, shared by the web server and the CLI: opening the store, importing
//! and exporting rosters, demo data. Nothing here knows HTTP or the terminal.
#![forbid(unsafe_code)]

pub mod access;
pub mod auth;
pub mod checkpoints;
pub mod clock;
pub mod csv_export;
pub mod daily;
pub mod demo;
pub mod emergency;
pub mod error;
pub mod export;
pub mod hashing;
pub mod import;
pub mod lists;
pub mod notices;
pub mod quarantine;
pub mod registry;
pub mod reports;
pub mod rounds;
pub mod seals;
pub mod staff;
pub mod supplies;
pub mod tasks;
pub mod templates;
pub mod users;

use std::sync::Arc;

use doorstep_store::{Store, StoreError};
use time::Date;

pub use clock::CHINA;

/// Today's date in China, by the system clock (validation of birth dates and the like; use
/// cases with a request read `ctx.today()`).
pub fn today() -> Date {
    clock::Clock::today(&clock::SystemClock)
}

/// A storage failure as a person reads it: what happened and where the cause is.
pub const STORE_FAILED: Texts = Texts(
    "数据库操作失败，未完成的更改没有保存（加 -v 查看原因）",
    "the database operation failed and nothing unfinished was kept (-v shows why)",
);

/// A text in Chinese and English.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub &'static str, pub &'static str);

impl Texts {
    /// The text in `lang`.
    pub fn pick(self, lang: doorstep_core::Lang) -> &'static str {
        lang.pick(self.0, self.1)
    }
}

/// A file error as a person reads it: what went wrong, in their language, without the operating
/// system's English.
pub fn io_message(e: &std::io::Error, lang: doorstep_core::Lang) -> String {
    use std::io::ErrorKind as K;
    let (zh, en) = match e.kind() {
        K::NotFound => ("找不到该文件或文件夹", "no such file or folder"),
        K::PermissionDenied => ("没有权限读写该文件", "permission denied"),
        K::AlreadyExists => ("文件已存在", "the file already exists"),
        K::IsADirectory => ("这是一个文件夹，不是文件", "this is a folder, not a file"),
        K::StorageFull => ("磁盘已满", "the disk is full"),
        K::ReadOnlyFilesystem => ("磁盘只读，无法写入", "the disk is read-only"),
        _ => ("文件读写失败", "reading or writing the file failed"),
    };
    lang.pick(zh, en).to_string()
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is neither `sqlite:` nor `postgres://`.
    #[error("unknown database URL: use sqlite://FILE or postgres://USER@HOST/DB")]
    BadUrl,
    /// The PostgreSQL server is there but the database is not.
    #[error("database {0} does not exist")]
    DatabaseMissing(String),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpenError {
    /// The message a person reads, with what to do.
    pub fn message(&self, lang: doorstep_core::Lang) -> String {
        use doorstep_core::Lang;
        match (self, lang) {
            (OpenError::BadUrl, _) => lang
                .pick(
                    "数据库地址无法识别，请用 sqlite://文件 或 postgres://用户@主机/数据库",
                    "unknown database URL: use sqlite://FILE or postgres://USER@HOST/DB",
                )
                .to_string(),
            (OpenError::DatabaseMissing(db), Lang::Zh) => format!(
                "数据库“{db}”不存在。请先创建：createdb {db}，或运行 doorstep --db 同一地址 migrate（服务器允许时它会创建该数据库）"
            ),
            (OpenError::DatabaseMissing(db), Lang::En) => format!(
                "database \"{db}\" does not exist: create it with `createdb {db}`, or run `doorstep --db <same URL> migrate`, which creates it where the server allows"
            ),
            (OpenError::Store(_), _) => lang
                .pick(
                    "无法打开数据库（服务器是否已启动、地址和权限是否正确？加 -v 查看详情）",
                    "cannot open the database (is the server up, the URL and permissions right? -v shows details)",
                )
                .to_string(),
        }
    }
}

/// Whether `url` names a PostgreSQL database (else SQLite's).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// How SQLite commits, from `DOORSTEP_SQLITE_SYNC`: `full` (the default: each commit synced to
/// the disk) or `normal` (synced at checkpoints only: an acknowledged write survives a killed
/// process but not a power cut; for throwaway databases and to measure what syncing costs).
fn sqlite_durability() -> doorstep_store_sqlite::Durability {
    match std::env::var("DOORSTEP_SQLITE_SYNC").as_deref() {
        Ok("normal") => doorstep_store_sqlite::Durability::Process,
        _ => doorstep_store_sqlite::Durability::Disk,
    }
}

/// Opens the store a URL names: `sqlite://…` (the default) or `postgres://…`, and migrates it.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let store: Arc<dyn Store> = if is_postgres(url) {
        match doorstep_store_postgres::connect(url, None).await {
            Ok(s) => Arc::new(s),
            Err(StoreError::NotFound(what)) => {
                let db = what.strip_prefix("database ").unwrap_or(&what).to_string();
                return Err(OpenError::DatabaseMissing(db));
            }
            Err(e) => return Err(e.into()),
        }
    } else if url.starts_with("sqlite:") {
        Arc::new(
            doorstep_store_sqlite::connect_with(
                url,
                doorstep_store_sqlite::GROUP,
                sqlite_durability(),
            )
            .await?,
        )
    } else {
        return Err(OpenError::BadUrl);
    };
    store.migrate().await?;
    Ok(store)
}

/// Creates the PostgreSQL database `url` names (for `doorstep migrate`); SQLite files are
/// created on opening anyway.
pub async fn create_database(url: &str) -> Result<(), OpenError> {
    if is_postgres(url) {
        doorstep_store_postgres::create_database(url).await?;
    }
    Ok(())
}
