//! Investigation lists from above (流调协查): the lists as received, their rows, matches and
//! repeats, and the mappings remembered by header set. A row's calls are tasks (source
//! `list_call`, key `{row id}:{n}`; the door-knock `list_knock`, key the row id): its state is
//! read from the latest of them, never stored twice.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::lists::{ListStatus, MatchKind};
use doorstep_core::task::{TaskKind, TaskStatus};
use time::OffsetDateTime;

use crate::{Audit, Id, StoreResult};

/// The task source of a row's calls (keyed `{row id}:{n}`).
pub const LIST_CALL_SOURCE: &str = "list_call";
/// The task source of a row's door-knock (keyed by the row id).
pub const LIST_KNOCK_SOURCE: &str = "list_knock";

/// A list to store.
#[derive(Debug, Clone)]
pub struct NewList {
    /// Its area (whose desk takes the rows not found).
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Its name (the file's, or as given).
    pub name: String,
    /// The file's headers, in order.
    pub headers: Vec<String>,
    /// `core::lists::header_key` of them.
    pub header_key: String,
    /// Field code → column index (JSON); `None` while the columns are to be mapped.
    pub mapping: Option<String>,
    /// `Mapping` or `Open`.
    pub status: ListStatus,
    /// Not-reached calls before a door-knock.
    pub max_calls: u32,
    /// Who.
    pub created_by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A row to store: as received, and (once mapped) read, keyed and matched.
#[derive(Debug, Clone, Default)]
pub struct NewListRow {
    /// Its place in the list (1, 2, …).
    pub seq: u32,
    /// Its spreadsheet row number.
    pub row_no: u64,
    /// The cells as received.
    pub cells: Vec<String>,
    /// The fields read (empty while unmapped).
    pub name: String,
    /// See `name`.
    pub id_number: String,
    /// See `name`.
    pub phone: String,
    /// See `name`.
    pub risk_place: String,
    /// See `name`.
    pub seen_at: String,
    /// See `name`.
    pub source: String,
    /// The normalised ID number.
    pub id_key: Option<String>,
    /// The normalised phone.
    pub phone_key: Option<String>,
    /// What was wrong with the ID number or phone (a problem code).
    pub problem: Option<String>,
    /// How it matched (`None` while unmapped).
    pub match_kind: Option<MatchKind>,
    /// The person found.
    pub person_id: Option<Id>,
    /// Their household.
    pub household_id: Option<Id>,
    /// The row it repeats: (list id, seq); `None` for the list itself being stored, see
    /// `dup_in_list`.
    pub dup_of: Option<(Id, u32)>,
    /// It repeats row `seq` of this same list.
    pub dup_in_list: Option<u32>,
    /// Calls to make (1 for a row to call, 0 for a repeat).
    pub calls: u32,
}

/// A stored list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestigationList {
    /// Its id.
    pub id: Id,
    /// Its area.
    pub area_id: Id,
    /// See `area_id`.
    pub area_path: AreaPath,
    /// Its name.
    pub name: String,
    /// The file's headers.
    pub headers: Vec<String>,
    /// Their key.
    pub header_key: String,
    /// The mapping (field code → column index, JSON).
    pub mapping: Option<String>,
    /// Where it stands.
    pub status: ListStatus,
    /// Not-reached calls before a door-knock.
    pub max_calls: u32,
    /// How many rows.
    pub rows: u64,
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A stored row with its latest task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// Its id.
    pub id: Id,
    /// Its list.
    pub list_id: Id,
    /// Its place in the list.
    pub seq: u32,
    /// Its spreadsheet row number.
    pub row_no: u64,
    /// The cells as received.
    pub cells: Vec<String>,
    /// 姓名
    pub name: String,
    /// 证件号码 as written.
    pub id_number: String,
    /// 手机号 as written.
    pub phone: String,
    /// 风险地点
    pub risk_place: String,
    /// 时间
    pub seen_at: String,
    /// 来源
    pub source: String,
    /// The normalised phone.
    pub phone_key: Option<String>,
    /// A problem code of its ID number or phone.
    pub problem: Option<String>,
    /// How it matched.
    pub match_kind: Option<MatchKind>,
    /// The person found.
    pub person_id: Option<Id>,
    /// Their household.
    pub household_id: Option<Id>,
    /// The row it repeats: (list id, seq).
    pub dup_of: Option<(Id, u32)>,
    /// Calls made.
    pub calls: u32,
    /// Whether the door-knock was made.
    pub knock: bool,
    /// The latest task.
    pub task: Option<ListTask>,
}

/// What a row shows of its latest task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTask {
    /// The task's id.
    pub id: Id,
    /// Call or door-knock.
    pub kind: TaskKind,
    /// Where it stands.
    pub status: TaskStatus,
    /// The assignee's name.
    pub assignee: Option<String>,
    /// The outcome's code.
    pub outcome: Option<String>,
    /// The outcome's note (where, for a person reached elsewhere).
    pub outcome_note: String,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A row of an open list, as another list's rows are checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenListKey {
    /// The list.
    pub list_id: Id,
    /// The row's place.
    pub seq: u32,
    /// Its keys and person.
    pub id_key: Option<String>,
    /// See `id_key`.
    pub phone_key: Option<String>,
    /// See `id_key`.
    pub person_id: Option<Id>,
}

/// A person an ID number or phone of a list names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHit {
    /// The person.
    pub person_id: Id,
    /// Their household.
    pub household_id: Id,
    /// Its area.
    pub area_path: AreaPath,
    /// Their name.
    pub name: String,
    /// Their document number.
    pub id_number: String,
    /// Their phone.
    pub phone: Option<String>,
}

/// A list's rows counted: (state pieces, count). The pieces are the match kind, whether a
/// repeat, the latest task's kind, status and outcome, and whether it was called more than
/// once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCount {
    /// How it matched.
    pub match_kind: Option<MatchKind>,
    /// A repeat.
    pub duplicate: bool,
    /// The latest task.
    pub task: Option<(TaskKind, TaskStatus, Option<String>)>,
    /// Calls made.
    pub calls: u32,
    /// How many rows.
    pub count: u64,
}

/// Which rows of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFilter {
    /// Every row, in order.
    All,
    /// Rows not found in the registry.
    NotFound,
    /// Repeats.
    Duplicates,
}

/// Investigation lists.
#[async_trait]
pub trait Lists: Send + Sync {
    /// Stores a list and its rows in one transaction (audited); with a mapping (`status`
    /// open) the mapping is remembered under the header key too.
    async fn create_list(
        &self,
        list: &NewList,
        rows: Vec<NewListRow>,
        remember: Option<String>,
        audit: Audit<Id>,
    ) -> StoreResult<Id>;

    /// Replaces a list's rows with their mapped and matched form, sets its mapping, opens it
    /// and remembers the mapping (field code → header text, JSON) under its header key, in
    /// one transaction (audited). Conflict `list_status` unless it was `mapping`.
    async fn map_list(
        &self,
        id: Id,
        mapping: &str,
        remember: &str,
        rows: Vec<NewListRow>,
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Sets a list's status (audited).
    async fn set_list_status(
        &self,
        id: Id,
        status: ListStatus,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// The mapping remembered for a header key (field code → header text, JSON).
    async fn list_mapping(&self, header_key: &str) -> StoreResult<Option<String>>;

    /// Reads a list.
    async fn investigation_list(&self, id: Id) -> StoreResult<Option<InvestigationList>>;

    /// Lists under an area (everywhere when `None`), newest first (at most `limit`).
    async fn investigation_lists(
        &self,
        area: Option<&AreaPath>,
        limit: u32,
    ) -> StoreResult<Vec<InvestigationList>>;

    /// A list's rows with their latest task, in order (at most `limit`).
    async fn list_rows(&self, id: Id, filter: RowFilter, limit: u32) -> StoreResult<Vec<ListRow>>;

    /// A row by its id.
    async fn list_row(&self, row_id: Id) -> StoreResult<Option<ListRow>>;

    /// A list's rows counted by state.
    async fn list_counts(&self, id: Id) -> StoreResult<Vec<ListCount>>;

    /// The rows of open lists other than `except` that are not repeats themselves.
    async fn open_list_keys(&self, except: Id) -> StoreResult<Vec<OpenListKey>>;

    /// The persons whose document number is one of `ids` or whose phone is one of `phones`.
    async fn persons_by_keys(
        &self,
        ids: &[String],
        phones: &[String],
    ) -> StoreResult<Vec<PersonHit>>;

    /// Records that a row's next call (`calls`, counted) or its door-knock (`knock`) is made.
    async fn set_list_row_stage(&self, row_id: Id, calls: u32, knock: bool) -> StoreResult<()>;
}
