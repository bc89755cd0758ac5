//! Registry use cases for a logged-in user: every one checks access first, masks personal
//! data unless it is revealed, and audits what the audit log must show.

use doorstep_core::Conflict;
use doorstep_core::person::{Field, PersonInput};
use doorstep_core::text::compact;
use doorstep_core::{AgeBand, AreaKind, AreaPath, PersonFields, Problem, age};
use doorstep_store::{
    Area, AreaCount, HistoryEntry, Household, Page, PageRequest, Person, PersonQuery, PersonUpsert,
    Store, UpsertOutcome, UpsertReport, audit_entry, audit_with,
};
use serde_json::{Value, json};

use std::path::{Path, PathBuf};

use doorstep_core::Lang;
use doorstep_store::{AuditEntry, AuditQuery};

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::export::{SheetFormat, export_persons};
use crate::import::{ImportOptions, ImportReport, Progress, import_persons};
use crate::today;

/// A person as a user may see them: ID number and phone masked unless revealed, and beside a
/// mask only an age band, never the birth date or exact age (the hidden digits of a resident
/// ID are the birth date).
#[derive(Debug, Clone)]
pub struct PersonView {
    /// The stored file. Its fields hold the full values: show the view's fields instead.
    pub person: Person,
    /// The ID number, masked (`410103********1234`) unless revealed.
    pub id_number: String,
    /// The phone, masked (`138****1234`) unless revealed.
    pub phone: Option<String>,
    /// The birth date, only when revealed.
    pub birth_date: Option<time::Date>,
    /// The age: exact when revealed, a band otherwise.
    pub age: Option<Age>,
    /// Whether the values are the full ones.
    pub revealed: bool,
}

/// A person's age as a view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// Completed years (revealed views only).
    Years(i32),
    /// The band, beside a mask.
    Band(AgeBand),
}

impl Age {
    /// The age as a person reads it: `35` or `18–59岁`.
    pub fn label(self, lang: Lang) -> String {
        match self {
            Age::Years(y) => y.to_string(),
            Age::Band(b) => b.label(lang).to_string(),
        }
    }
}

impl PersonView {
    /// The view of a person, masked or revealed.
    pub fn new(person: Person, revealed: bool) -> PersonView {
        let f = &person.fields;
        let today = today();
        let (id_number, phone, birth_date) = if revealed {
            (
                f.doc().number().to_string(),
                f.phone().map(|p| p.as_str().to_string()),
                f.birth_date(),
            )
        } else {
            (f.doc().masked(), f.phone().map(|p| p.masked()), None)
        };
        let age = f.birth_date().map(|b| {
            if revealed {
                Age::Years(age::years(b, today))
            } else {
                Age::Band(AgeBand::of(b, today))
            }
        });
        PersonView {
            person,
            id_number,
            phone,
            birth_date,
            age,
            revealed,
        }
    }

    /// The age band, whether revealed or not (safe to show anywhere).
    pub fn age_band(&self) -> Option<AgeBand> {
        self.person
            .fields
            .birth_date()
            .map(|b| AgeBand::of(b, today()))
    }
}

/// Masks the personal numbers in a history entry's `{"field": [old, new]}` changes.
fn mask_history(changes: &mut Value) {
    let Some(map) = changes.as_object_mut() else {
        return;
    };
    for (field, pair) in map.iter_mut() {
        if !matches!(field.as_str(), "phone" | "id_number" | "birth_date") {
            continue;
        }
        if let Some(values) = pair.as_array_mut() {
            for v in values.iter_mut() {
                if field == "birth_date" {
                    // A birth date gives back the digits an ID mask hides.
                    if !v.is_null() {
                        *v = Value::String("****-**-**".into());
                    }
                } else if let Some(s) = v.as_str() {
                    let (head, tail) = if field == "phone" { (3, 4) } else { (6, 4) };
                    *v = Value::String(doorstep_core::idnum::mask_middle(s, head, tail));
                }
            }
        }
    }
}

/// A digit string a user without reveal may search by: a whole resident ID (a legacy 15-digit
/// one as its 18-digit form), another whole 15- or 18-character document, or a whole phone.
fn whole_number(code: &str) -> Option<String> {
    match code.len() {
        15 => Some(
            doorstep_core::IdDocument::parse(doorstep_core::DocType::ResidentId, code, today())
                .map_or_else(|_| code.to_string(), |d| d.number().to_string()),
        ),
        11 | 18 => Some(code.to_string()),
        _ => None,
    }
}

/// The registry as one user may use it.
pub struct Registry<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> Registry<'a> {
    /// The registry for `who`, auditing with `ctx`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Registry<'a> {
        Registry { store, who, ctx }
    }

    /// Appends an audit entry as this user.
    pub async fn audit(
        &self,
        action: &str,
        object: Option<(&str, i64)>,
        area: Option<&AreaPath>,
        details: Value,
    ) -> AppResult<()> {
        let entry = self
            .who
            .audit_entry(self.ctx, action, object, area, details);
        self.store.audit(&entry).await?;
        Ok(())
    }

    /// The areas a user starts from: their own area (the admin: every root).
    pub async fn home_areas(&self) -> AppResult<Vec<Area>> {
        if !self.who.may(Action::Read) {
            return Ok(Vec::new());
        }
        match self.who.scope(None) {
            Some(Some(p)) => Ok(self.store.area_by_path(&p).await?.into_iter().collect()),
            _ => Ok(self.store.root_areas().await?),
        }
    }

    /// How many persons under an area carry each tag.
    pub async fn tag_counts(&self, area: &AreaPath) -> AppResult<Vec<(String, i64)>> {
        self.who.authorize(Action::Read, area)?;
        Ok(self.store.tag_counts(area).await?)
    }

    /// An area by id.
    pub async fn area(&self, id: i64) -> AppResult<Area> {
        let a = self.store.area_by_id(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &a.path)?;
        Ok(a)
    }

    /// An area by path.
    pub async fn area_by_path(&self, path: &AreaPath) -> AppResult<Area> {
        self.who.authorize(Action::Read, path)?;
        self.store
            .area_by_path(path)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A subtree with its counts.
    pub async fn area_tree(&self, path: &AreaPath) -> AppResult<Vec<AreaCount>> {
        self.who.authorize(Action::Read, path)?;
        let tree = self.store.area_tree(path).await?;
        if tree.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(tree)
    }

    /// Searches persons within the user's area. Users who may not reveal can still find a
    /// person by a whole ID number or phone, but not by a longer tail than the mask shows.
    /// `count_cap` bounds the count as in [`PersonQuery::count_cap`].
    pub async fn search(
        &self,
        text: Option<String>,
        area: Option<AreaPath>,
        page: PageRequest,
        count_cap: Option<u32>,
    ) -> AppResult<Page<PersonView>> {
        if !self.who.may(Action::Read) {
            return Err(AppError::NotFound);
        }
        let Some(area) = self.who.scope(area) else {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        };
        // Users who may not reveal find a person by a whole document or phone, or by at most
        // the last four digits (what the mask shows anyway), never by a longer tail.
        let exact_numbers = !self.who.may(Action::Reveal);
        let mut text = text;
        if let Some(t) = &text
            && exact_numbers
        {
            let code = compact(t).to_uppercase();
            let digits = code.len() >= 3 && code.bytes().all(|b| b.is_ascii_digit() || b == b'X');
            if digits && code.len() > 4 {
                match whole_number(&code) {
                    Some(whole) => text = Some(whole),
                    None => {
                        return Ok(Page {
                            items: Vec::new(),
                            total: 0,
                        });
                    }
                }
            }
        }
        // Four digits or fewer are a tail anyone may match.
        let exact = exact_numbers && text.as_deref().is_some_and(|t| compact(t).len() > 4);
        let page = self
            .store
            .search_persons(&PersonQuery {
                text,
                area,
                page,
                count_cap,
                exact_numbers: exact,
            })
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|p| PersonView::new(p, false))
                .collect(),
            total: page.total,
        })
    }

    /// One person; `reveal` shows the full ID number and phone (allowed roles only; audited).
    pub async fn person(&self, id: i64, reveal: bool) -> AppResult<PersonView> {
        let p = self.store.person(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &p.area_path)?;
        if reveal {
            self.who.authorize(Action::Reveal, &p.area_path)?;
            self.audit(
                "person.reveal",
                Some(("person", p.id)),
                Some(&p.area_path),
                json!({"fields": ["id_number", "phone"]}),
            )
            .await?;
        }
        Ok(PersonView::new(p, reveal))
    }

    /// A person's change history.
    ///
    /// Old and new phone numbers in it are masked like the file itself, unless `revealed`
    /// (the caller has just revealed the file, which checked and audited that).
    pub async fn history(&self, id: i64, revealed: bool) -> AppResult<Vec<HistoryEntry>> {
        let p = self.store.person(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &p.area_path)?;
        let mut entries = self.store.person_history(id).await?;
        if !revealed {
            for e in &mut entries {
                mask_history(&mut e.changes);
            }
        }
        Ok(entries)
    }

    /// A household with its members (masked).
    pub async fn household(&self, id: i64) -> AppResult<(Household, Vec<PersonView>)> {
        let h = self.store.household(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &h.area_path)?;
        let members = self.store.household_members(id).await?;
        Ok((
            h,
            members
                .into_iter()
                .map(|p| PersonView::new(p, false))
                .collect(),
        ))
    }

    /// The households of an area.
    pub async fn households(
        &self,
        area: &AreaPath,
        room: Option<&str>,
        page: PageRequest,
    ) -> AppResult<Page<Household>> {
        self.who.authorize(Action::Read, area)?;
        Ok(self.store.households(area, room, page).await?)
    }

    /// Sets a household's notes (audited with before and after).
    pub async fn set_household_notes(&self, id: i64, notes: &str) -> AppResult<()> {
        let h = self.store.household(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Write, &h.area_path)?;
        let notes = doorstep_core::text::tidy(notes);
        if notes.chars().count() > 500 {
            return Err(AppError::invalid([(
                Field::Tags,
                Problem::TooLong { max: 500 },
            )]));
        }
        let new = (!notes.is_empty()).then_some(notes);
        if new == h.notes {
            return Ok(());
        }
        let entry = self.who.audit_entry(
            self.ctx,
            "household.update",
            Some(("household", id)),
            Some(&h.area_path),
            json!({"notes": [h.notes, new]}),
        );
        self.store
            .set_household_notes(id, new.as_deref(), audit_entry(entry))
            .await?;
        Ok(())
    }

    /// Adds an area (named by its whole path) under its parent, which must exist; audited.
    /// Allowed to whoever may write where the new area lies (the office: anywhere, so also a
    /// new district at the root).
    pub async fn create_area(&self, path: &AreaPath, kind: AreaKind) -> AppResult<Area> {
        self.who.authorize(Action::Write, path)?;
        let area = self
            .store
            .create_area(path.parent().as_ref(), kind, path.name())
            .await?;
        self.audit(
            "area.create",
            None,
            Some(&area.path),
            json!({"kind": area.kind.code()}),
        )
        .await?;
        Ok(area)
    }

    /// Adds an empty household (a room) to a building or unit.
    pub async fn add_household(&self, area_id: i64, room: &str) -> AppResult<Household> {
        let area = self.area(area_id).await?;
        self.who.authorize(Action::Write, &area.path)?;
        let room = doorstep_core::roster::room_name(room)
            .map_err(|p| AppError::invalid([(Field::Room, p)]))?;
        if !area.kind.holds_households() {
            return Err(AppError::invalid([(Field::Building, Problem::NoBuilding)]));
        }
        let prefix = crate::import::address_prefix(self.store, &area).await?;
        let address = doorstep_core::roster::readable_address([prefix.as_str()], &room);
        let (auditor, path, named) = (self.who.auditor(self.ctx), area.path.clone(), room.clone());
        let audit = audit_with(move |h: &Household| {
            vec![auditor.entry(
                "household.create",
                Some(("household", h.id)),
                Some(&path),
                json!({"room": named}),
            )]
        });
        Ok(self
            .store
            .create_household(area.id, &room, &address, audit)
            .await?)
    }

    /// Adds a person to a household, or moves an existing file (found by document) here.
    /// Validation is the import's; every problem comes back against its field.
    pub async fn add_person(
        &self,
        household_id: i64,
        input: &PersonInput,
    ) -> AppResult<PersonView> {
        let h = self
            .store
            .household(household_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Write, &h.area_path)?;
        let fields = PersonFields::parse(input, today()).map_err(AppError::invalid)?;
        // A file on record outside the user's area is refused by the store (moving it in would
        // let a worker read a stranger's file): `save` answers person_registered_elsewhere.
        self.save(&h, fields).await
    }

    /// Changes a person's fields (not their document); the history and audit say what changed.
    pub async fn edit_person(&self, id: i64, input: &PersonInput) -> AppResult<PersonView> {
        let p = self.store.person(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Write, &p.area_path)?;
        let mut input = input.clone();
        input.id_type = p.fields.doc().doc_type().code().to_string();
        input.id_number = p.fields.doc().number().to_string();
        let fields = PersonFields::parse(&input, today()).map_err(AppError::invalid)?;
        let h = self
            .store
            .household(p.household_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.save(&h, fields).await
    }

    async fn save(&self, h: &Household, fields: PersonFields) -> AppResult<PersonView> {
        let actor = self.who.actor("form");
        let upsert = PersonUpsert {
            area_id: h.area_id,
            room: h.room.clone(),
            address: h.address.clone(),
            fields,
        };
        let (auditor, path, household) = (self.who.auditor(self.ctx), h.area_path.clone(), h.id);
        let audit = audit_with(move |r: &UpsertReport| match r.outcomes.first() {
            Some(o) if o.outcome == UpsertOutcome::Created => vec![auditor.entry(
                "person.create",
                Some(("person", o.id)),
                Some(&path),
                json!({"household_id": household}),
            )],
            Some(o) if o.outcome == UpsertOutcome::Updated => vec![auditor.entry(
                "person.update",
                Some(("person", o.id)),
                Some(&path),
                json!({"changes": o.changes}),
            )],
            _ => Vec::new(),
        });
        let report = self.store.upsert_persons(&actor, &[upsert], audit).await?;
        let row = report
            .outcomes
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        if row.outcome == UpsertOutcome::Refused {
            return Err(AppError::Conflict(Conflict::PersonRegisteredElsewhere));
        }
        let p = self.store.person(row.id).await?.ok_or(AppError::NotFound)?;
        Ok(PersonView::new(p, false))
    }

    /// Exports every person under an area (audited). Roles that may not reveal get masked values.
    pub async fn export(
        &self,
        area: &AreaPath,
        format: SheetFormat,
        path: &Path,
    ) -> AppResult<u64> {
        self.who.authorize(Action::Export, area)?;
        self.store
            .area_by_path(area)
            .await?
            .ok_or(AppError::NotFound)?;
        let masked = !self.who.may(Action::Reveal);
        let n = export_persons(self.store, area, format, path, masked).await?;
        let format = match format {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        };
        self.audit(
            "persons.export",
            None,
            Some(area),
            json!({"count": n, "format": format, "masked": masked}),
        )
        .await?;
        Ok(n)
    }

    /// Imports a roster into an area (audited with its counts), keeping the rejected rows for
    /// writing back out.
    pub async fn import(
        &self,
        area: &AreaPath,
        file: PathBuf,
        lang: Lang,
        progress: impl FnMut(Progress) + Send,
    ) -> AppResult<ImportReport> {
        self.import_with(area, file, lang, true, progress).await
    }

    /// [`Registry::import`], keeping the rejected rows' cells only when `keep_rejects` (those
    /// of a large, messy roster take memory nobody may need).
    pub async fn import_with(
        &self,
        area: &AreaPath,
        file: PathBuf,
        lang: Lang,
        keep_rejects: bool,
        progress: impl FnMut(Progress) + Send,
    ) -> AppResult<ImportReport> {
        self.who.authorize(Action::Write, area)?;
        let opts = ImportOptions {
            into: area.clone(),
            actor: self.who.actor("import"),
            lang,
            keep_rejects,
            bulk: None,
            batch_rows: None,
            // Its counts are filled in and it is written with the import's last batch.
            audit: Some(self.who.audit_entry(
                self.ctx,
                "persons.import",
                None,
                Some(area),
                Value::Null,
            )),
        };
        Ok(import_persons(self.store, file, &opts, progress).await?)
    }

    /// Reads the audit log of the user's area, newest first (auditing roles only).
    pub async fn audit_log(&self, mut query: AuditQuery) -> AppResult<Page<AuditEntry>> {
        if !self.who.may(Action::Audit) {
            return Err(AppError::Forbidden);
        }
        match self.who.scope(query.area.take()) {
            Some(area) => query.area = area,
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    total: 0,
                });
            }
        }
        Ok(self.store.audit_entries(&query).await?)
    }
}
