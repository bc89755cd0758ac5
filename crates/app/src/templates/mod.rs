//! Export templates (报表模板), "one entry, every format": templates are data kept for an area
//! (its subtree uses them; the areas above it see them too), made, changed, deleted, exported
//! and imported as JSON files by those who may manage them (`Action::ManageTemplates`), each
//! change audited; any template exports any area the user may export (`Action::Export`), as
//! CSV or XLSX, audited ([`export`]). The upward direct report (上级直报) is built in: id 0,
//! everywhere, never changed.

mod export;
mod kinds;

pub use export::{ExportDays, TemplateExport};

use doorstep_core::AreaPath;
use doorstep_core::conflict::Conflict;
use doorstep_core::problem::FieldProblem;
use doorstep_core::templates::{ColumnInput, Template};
use doorstep_store::{NewTemplate, Store, StoredTemplate, audit_with};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// The built-in template's id (stored ids start at 1).
pub const BUILT_IN: i64 = 0;

/// A template as a user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    /// Its id ([`BUILT_IN`] for the built-in one).
    pub id: i64,
    /// The area it is kept for (`None`: built in, everywhere).
    pub area: Option<AreaPath>,
    /// The template.
    pub template: Template,
    /// Who changed it last and when (`None`: built in).
    pub updated: Option<(String, OffsetDateTime)>,
    /// Whether this user may change or delete it.
    pub editable: bool,
}

/// A template as typed: name, kind code, columns (blank rows are skipped).
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    /// Its name.
    pub name: String,
    /// The kind of rows (`RowKind::code`: `persons`, `self_reports`, `episodes`,
    /// `test_results`, `call_outcomes`, `daily_figures`).
    pub kind: String,
    /// The columns in order.
    pub columns: Vec<ColumnInput>,
}

/// Templates as one user may use them.
pub struct TemplateDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> TemplateDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        TemplateDesk { store, who, ctx }
    }

    fn view(&self, t: StoredTemplate) -> AppResult<TemplateView> {
        let template = Template::parse(&t.name, &t.kind, &t.columns)
            .map_err(|_| AppError::internal("a stored template is invalid"))?;
        let editable = self.who.covers(&t.area_path) && self.who.may(Action::ManageTemplates);
        Ok(TemplateView {
            id: t.id,
            area: Some(t.area_path),
            template,
            updated: Some((t.updated_by, t.updated_at)),
            editable,
        })
    }

    fn built_in() -> TemplateView {
        TemplateView {
            id: BUILT_IN,
            area: None,
            template: Template::direct_report(),
            updated: None,
            editable: false,
        }
    }

    /// Whether this user sees templates kept for `area`: it lies inside their area, or above it.
    fn sees(&self, area: &AreaPath) -> bool {
        match self.who.area() {
            None => true,
            Some(mine) => mine.contains(area) || area.contains(mine),
        }
    }

    /// The templates this user may use: the built-in one, then those kept for their area,
    /// the areas above it and the areas inside it. Needs the export permission.
    pub async fn list(&self) -> AppResult<Vec<TemplateView>> {
        if !self.who.may(Action::Export) {
            return Err(AppError::Forbidden);
        }
        let mut out = vec![Self::built_in()];
        for t in self.store.templates_for(self.who.area()).await? {
            out.push(self.view(t)?);
        }
        Ok(out)
    }

    /// One template this user may use, by id; not found when it is kept outside their reach.
    pub async fn get(&self, id: i64) -> AppResult<TemplateView> {
        if !self.who.may(Action::Export) {
            return Err(AppError::Forbidden);
        }
        if id == BUILT_IN {
            return Ok(Self::built_in());
        }
        let t = self.store.template(id).await?.ok_or(AppError::NotFound)?;
        if !self.sees(&t.area_path) {
            return Err(AppError::NotFound);
        }
        self.view(t)
    }

    /// A template by id or, failing that, by name (the closest area's first), for the command
    /// line and links.
    pub async fn find(&self, key: &str) -> AppResult<TemplateView> {
        let key = key.trim();
        if let Ok(id) = key.parse::<i64>() {
            return self.get(id).await;
        }
        let mut found = self
            .list()
            .await?
            .into_iter()
            .filter(|t| t.template.name() == key)
            .collect::<Vec<_>>();
        // The closest area first: the longest path that holds the user's area or lies in it.
        found.sort_by_key(|t| std::cmp::Reverse(t.area.as_ref().map_or(0, |a| a.as_str().len())));
        found.into_iter().next().ok_or(AppError::NotFound)
    }

    /// Saves a new template for `area` (the user's own when blank), audited `template.create`.
    pub async fn create(&self, area: &str, input: &TemplateInput) -> AppResult<TemplateView> {
        self.create_as(area, input, "template.create").await
    }

    /// Saves a template file (JSON, as [`TemplateDesk::file`] writes it) as a new template for
    /// `area`, audited `template.import`. A file that is not a template is a problem at `file`.
    pub async fn import(&self, area: &str, bytes: &[u8]) -> AppResult<TemplateView> {
        let t = Template::from_file(bytes).map_err(AppError::Validation)?;
        let input = TemplateInput {
            name: t.name().to_string(),
            kind: t.kind().code().to_string(),
            columns: t.inputs(),
        };
        self.create_as(area, &input, "template.import").await
    }

    async fn create_as(
        &self,
        area: &str,
        input: &TemplateInput,
        action: &str,
    ) -> AppResult<TemplateView> {
        let area = self.area(area)?;
        let template = parse(input)?;
        self.who.authorize(Action::ManageTemplates, &area)?;
        self.store
            .area_by_path(&area)
            .await?
            .ok_or(AppError::NotFound)?;
        let entry = self.who.audit_entry(
            self.ctx,
            action,
            None,
            Some(&area),
            json!({"name": template.name(), "kind": template.kind().code(),
                   "columns": template.columns().len()}),
        );
        let saved = self
            .store
            .create_template(
                &self.new_template(area, &template),
                audit_with(move |t: &StoredTemplate| {
                    let mut e = entry;
                    e.object_type = Some("template".into());
                    e.object_id = Some(t.id);
                    vec![e]
                }),
            )
            .await?;
        self.view(saved)
    }

    /// Replaces a template's name, kind and columns, audited `template.update`.
    pub async fn update(&self, id: i64, input: &TemplateInput) -> AppResult<TemplateView> {
        let old = self.editable(id).await?;
        let template = parse(input)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "template.update",
            Some(("template", id)),
            Some(&old.area_path),
            json!({"name": template.name(), "kind": template.kind().code(),
                   "columns": template.columns().len(), "before": old.name}),
        );
        let saved = self
            .store
            .update_template(
                id,
                &self.new_template(old.area_path.clone(), &template),
                audit_with(move |_: &StoredTemplate| vec![entry]),
            )
            .await?
            .ok_or(AppError::NotFound)?;
        self.view(saved)
    }

    /// Deletes a template, audited `template.delete`.
    pub async fn delete(&self, id: i64) -> AppResult<()> {
        let old = self.editable(id).await?;
        let entry = self.who.audit_entry(
            self.ctx,
            "template.delete",
            Some(("template", id)),
            Some(&old.area_path),
            json!({"name": old.name, "kind": old.kind}),
        );
        if self
            .store
            .delete_template(id, audit_with(move |_: &()| vec![entry]))
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// A template as a file (pretty JSON) to hand on: its name for the download and its bytes.
    pub async fn file(&self, id: i64) -> AppResult<(String, Vec<u8>)> {
        let t = self.get(id).await?;
        let bytes = serde_json::to_vec_pretty(&t.template.file())
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
        Ok((format!("{}.json", t.template.name()), bytes))
    }

    /// A stored template this user may change: not found outside their reach, forbidden
    /// without the permission or above their area, a conflict for the built-in one.
    async fn editable(&self, id: i64) -> AppResult<StoredTemplate> {
        if id == BUILT_IN {
            return Err(if self.who.may(Action::ManageTemplates) {
                AppError::Conflict(Conflict::TemplateBuiltIn)
            } else {
                AppError::Forbidden
            });
        }
        let t = self.store.template(id).await?.ok_or(AppError::NotFound)?;
        if !self.sees(&t.area_path) {
            return Err(AppError::NotFound);
        }
        if !self.who.covers(&t.area_path) {
            // Kept above the user's area: they use it, the area above changes it.
            return Err(AppError::Forbidden);
        }
        self.who.authorize(Action::ManageTemplates, &t.area_path)?;
        Ok(t)
    }

    fn area(&self, raw: &str) -> AppResult<AreaPath> {
        match raw.trim() {
            "" => self.who.area().cloned().ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new(
                    "area",
                    doorstep_core::Problem::Required,
                )])
            }),
            a => AreaPath::parse(a).map_err(|_| AppError::NotFound),
        }
    }

    fn new_template(&self, area: AreaPath, t: &Template) -> NewTemplate {
        NewTemplate {
            area_path: area,
            name: t.name().to_string(),
            kind: t.kind().code().to_string(),
            columns: t.inputs(),
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        }
    }
}

fn parse(input: &TemplateInput) -> AppResult<Template> {
    Template::parse(&input.name, &input.kind, &input.columns).map_err(AppError::Validation)
}
