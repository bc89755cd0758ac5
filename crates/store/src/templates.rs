//! Export templates (报表模板): a named list of columns for one kind of rows, kept for an area
//! (a street's template serves all its communities).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::templates::ColumnInput;
use time::OffsetDateTime;

use crate::{Audit, Id, StoreResult};

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
}
