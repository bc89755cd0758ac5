//! The working force and its responsibility areas: staff records and the duties that tie them
//! to areas, with the inheritance and the gaps the area pages show.

use async_trait::async_trait;
use doorstep_core::staff::StaffFields;
use doorstep_core::{AreaKind, AreaPath, Duty, StaffKind};
use time::OffsetDateTime;

use crate::{Area, Audit, Id, Page, PageRequest, StoreResult};

/// A staff member as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// Its id.
    pub id: Id,
    /// The area that manages them.
    pub area_id: Id,
    /// That area's path (what access is checked against).
    pub area_path: AreaPath,
    /// Name, phone, kind, skills, availability, notes.
    pub fields: StaffFields,
    /// Whether they are working now (inactive ones own nothing and get no tasks).
    pub active: bool,
    /// Their user account, if linked.
    pub user_id: Option<Id>,
    /// When the record was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A staff member to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// The managing area.
    pub area_id: Id,
    /// The checked details.
    pub fields: StaffFields,
    /// Their user account, if linked.
    pub user_id: Option<Id>,
}

/// A change to a staff member: every detail as it should be now.
#[derive(Debug, Clone)]
pub struct StaffChange {
    /// The checked details.
    pub fields: StaffFields,
    /// Working or not.
    pub active: bool,
    /// Their user account (`None` unlinks).
    pub user_id: Option<Id>,
}

/// Which staff.
#[derive(Debug, Clone)]
pub struct StaffQuery {
    /// Managed under this area (every one when `None`).
    pub area: Option<AreaPath>,
    /// Also those managed by exactly these areas (the areas above a user's own: the
    /// community's staff are a grid worker's colleagues).
    pub above: Vec<AreaPath>,
    /// Of this kind.
    pub kind: Option<StaffKind>,
    /// Only working ones (`Some(true)`), only inactive ones, or both.
    pub active: Option<bool>,
    /// Whose name contains this, or whose phone ends with it.
    pub text: Option<String>,
    /// Which page, by name.
    pub page: PageRequest,
}

/// What a staff import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StaffImport {
    /// New records.
    pub created: u64,
    /// Records whose details changed.
    pub updated: u64,
    /// Records already as the row says.
    pub unchanged: u64,
    /// Rows (by index in the batch) whose phone belongs to a record managed outside `within`:
    /// nothing of it was changed.
    pub refused: Vec<usize>,
}

/// A duty held by a staff member in an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyAssignment {
    /// Its id.
    pub id: Id,
    /// The duty.
    pub duty: Duty,
    /// The area it covers.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// That area's kind.
    pub area_kind: AreaKind,
    /// Who holds it.
    pub staff: StaffMember,
    /// Who assigned it.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Staff records and their duties.
#[async_trait]
pub trait Staff: Send + Sync {
    /// Creates a staff record, audited. Conflict `staff_phone_unique` when the phone has one,
    /// `staff_user_unique` when the account has one.
    async fn create_staff(
        &self,
        new: &NewStaff,
        audit: Audit<StaffMember>,
    ) -> StoreResult<StaffMember>;

    /// Changes a staff record, audited (the audit gets the record as it was and as it is).
    /// NotFound for an unknown id; the conflicts of [`Staff::create_staff`].
    async fn update_staff(
        &self,
        id: Id,
        change: &StaffChange,
        audit: Audit<(StaffMember, StaffMember)>,
    ) -> StoreResult<StaffMember>;

    /// Reads a staff record.
    async fn staff_member(&self, id: Id) -> StoreResult<Option<StaffMember>>;

    /// Reads the staff record of a phone (11 digits).
    async fn staff_by_phone(&self, phone: &str) -> StoreResult<Option<StaffMember>>;

    /// Reads the staff record linked to a user account.
    async fn staff_of_user(&self, user_id: Id) -> StoreResult<Option<StaffMember>>;

    /// A page of staff, by name.
    async fn staff_list(&self, query: &StaffQuery) -> StoreResult<Page<StaffMember>>;

    /// Creates or updates a batch of roster rows in one transaction, keyed by phone, managed
    /// by `area_id`; a row whose phone is on a record managed outside `within` is refused and
    /// changes nothing. Audited with the counts.
    async fn import_staff(
        &self,
        area_id: Id,
        within: Option<&AreaPath>,
        rows: &[doorstep_core::staff::StaffFields],
        audit: Audit<StaffImport>,
    ) -> StoreResult<StaffImport>;

    /// Gives a staff member a duty in an area, audited; giving it again changes nothing and
    /// answers the existing assignment. NotFound for an unknown staff member or area.
    async fn assign_duty(
        &self,
        staff_id: Id,
        area_id: Id,
        duty: Duty,
        by: &str,
        audit: Audit<DutyAssignment>,
    ) -> StoreResult<DutyAssignment>;

    /// Takes a duty away, audited. NotFound for an unknown id.
    async fn remove_duty(
        &self,
        id: Id,
        audit: Audit<DutyAssignment>,
    ) -> StoreResult<DutyAssignment>;

    /// Reads one assignment.
    async fn duty(&self, id: Id) -> StoreResult<Option<DutyAssignment>>;

    /// The assignments on areas under `area` (itself included), by area path then duty.
    async fn duties_under(&self, area: &AreaPath) -> StoreResult<Vec<DutyAssignment>>;

    /// The assignments on exactly these areas (an area and its ancestors: who owns it, by
    /// inheritance).
    async fn duties_on(&self, paths: &[AreaPath]) -> StoreResult<Vec<DutyAssignment>>;

    /// The assignments a staff member holds, by area path.
    async fn duties_of(&self, staff_id: Id) -> StoreResult<Vec<DutyAssignment>>;

    /// The areas of `kind` under `area` that have no active owner of `duty`, on themselves or
    /// on any area above them (a gap), by path.
    async fn duty_gaps(
        &self,
        area: &AreaPath,
        kind: AreaKind,
        duty: Duty,
    ) -> StoreResult<Vec<Area>>;
}
