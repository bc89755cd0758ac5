//! Export templates (报表模板): a named list of columns for one kind of rows, kept for an area
//! (a street's template serves all its communities).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::templates::ColumnInput;
use doorstep_core::testing::{SampleMode, TubeResult};
use time::OffsetDateTime;

use crate::{Audit, Id, ListRow, Person, StoreResult};

/// A template to save (new, or over an existing one).
#[derive(Debug, Clone)]
pub struct NewTemplate {
    /// The area it is kept for.
    pub area_path: AreaPath,
    /// Its name (unique in the area).
    pub name: String,
    /// The kind of rows (`RowKind::code`).
    pub kind: String,
    /// Its columns, validated by `Template::parse`.
    pub columns: Vec<ColumnInput>,
    /// Who saves it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// Its id.
    pub id: Id,
    /// The area it is kept for.
    pub area_path: AreaPath,
    /// Its name.
    pub name: String,
    /// The kind of rows.
    pub kind: String,
    /// Its columns.
    pub columns: Vec<ColumnInput>,
    /// Who made it.
    pub created_by: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When.
    pub updated_at: OffsetDateTime,
}

/// A person's sample in a round with its tube's result: one row of a test results export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResultRow {
    /// The sample's id (the export pages by it).
    pub sample_id: Id,
    /// The person sampled (as the registry holds them now).
    pub person: Person,
    /// The round's name.
    pub round: String,
    /// The tube's code.
    pub tube: String,
    /// How the tube was sampled.
    pub mode: SampleMode,
    /// A retest of a person already sampled in the round.
    pub retest: bool,
    /// Who sampled.
    pub sampled_by: String,
    /// When.
    pub sampled_at: OffsetDateTime,
    /// The tube's result (`None`: not yet).
    pub result: Option<TubeResult>,
    /// When the lab tested it.
    pub result_at: Option<OffsetDateTime>,
    /// The lab its box went to.
    pub lab: Option<String>,
}

/// An investigation list's row with its latest call: one row of a call outcomes export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcomeRow {
    /// The list's name.
    pub list: String,
    /// The row with its latest call or door-knock.
    pub row: ListRow,
}

/// Export templates.
#[async_trait]
pub trait Templates: Send + Sync {
    /// Saves a new template, audited; `Conflict("template_name_unique")` when the area has one
    /// of that name.
    async fn create_template(
        &self,
        template: &NewTemplate,
        audit: Audit<StoredTemplate>,
    ) -> StoreResult<StoredTemplate>;

    /// Replaces a template's name, kind and columns (its area stays), audited. `None` if there
    /// is no such template.
    async fn update_template(
        &self,
        id: Id,
        template: &NewTemplate,
        audit: Audit<StoredTemplate>,
    ) -> StoreResult<Option<StoredTemplate>>;

    /// Deletes a template, audited; whether there was one.
    async fn delete_template(&self, id: Id, audit: Audit<()>) -> StoreResult<bool>;

    /// A template.
    async fn template(&self, id: Id) -> StoreResult<Option<StoredTemplate>>;

    /// The templates a user of `area` may use: those kept for `area` or an area above it, and
    /// those kept inside it (all when `None`); by area, then name.
    async fn templates_for(&self, area: Option<&AreaPath>) -> StoreResult<Vec<StoredTemplate>>;

    /// Samples taken of persons under `area` (by the sample's building), with their tube's
    /// round, result and lab, after sample id `after`, by id, at most `limit`.
    async fn test_results_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<TestResultRow>>;

    /// Rows of the investigation lists kept under `area`, with their latest call, after row
    /// id `after`, by id, at most `limit`.
    async fn call_outcomes_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<CallOutcomeRow>>;
}
