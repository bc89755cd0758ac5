//! Registry pages: home, area, household (一户一账), person file (一人一档), search, and the
//! person and household forms.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::registry::{PersonView, Registry};
use doorstep_core::person::{Field, PersonInput};
use doorstep_core::{AreaKind, AreaPath, DocType, Lang, Residency, Sex, Tags};
use doorstep_store::{Area, PageRequest};
use serde::Deserialize;

use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// Rows per list page.
const PER_PAGE: u32 = 30;
/// Search pages count matches up to this many and then say "1000+".
const COUNT_CAP: u32 = 1000;

/// One person in a list.
pub struct PersonLine {
    href: String,
    name: String,
    sex: String,
    age: String,
    relation: String,
    id_number: String,
    phone: String,
    address: String,
    tags: Vec<String>,
}

impl PersonLine {
    fn new(v: &PersonView, lang: Lang) -> PersonLine {
        let f = &v.person.fields;
        PersonLine {
            href: format!("/persons/{}", v.person.id),
            name: f.name().to_string(),
            sex: f
                .sex()
                .map(|s| s.label(lang).to_string())
                .unwrap_or_default(),
            age: v.age.map(|a| a.label(lang)).unwrap_or_default(),
            relation: f.relation().unwrap_or("").to_string(),
            id_number: v.id_number.clone(),
            phone: v.phone.clone().unwrap_or_default(),
            address: v.person.address.clone(),
            tags: f.tags().as_slice().to_vec(),
        }
    }
}

/// A link in the breadcrumb.
pub struct Crumb {
    name: String,
    href: String,
}

/// Breadcrumb links for the areas from the user's own area down to `path`.
async fn crumbs(reg: &Registry<'_>, u: &PageUser, path: &AreaPath) -> Vec<Crumb> {
    let mut out = Vec::new();
    let mut cur = Some(path.clone());
    while let Some(p) = cur {
        if !u.who.covers(&p) {
            break;
        }
        if let Ok(a) = reg.area_by_path(&p).await {
            out.push(Crumb {
                name: a.name.clone(),
                href: format!("/areas/{}", a.id),
            });
        }
        cur = p.parent();
    }
    out.reverse();
    out
}

/// A count on the home page.
pub struct Stat {
    label: String,
    value: i64,
    href: String,
}

/// The home page: the user's area and the counts their role cares about.
#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    t: T,
    nav: Nav,
    role: String,
    area: String,
    stats: Vec<Stat>,
    areas: Vec<(String, String)>,
    can_read: bool,
    /// The emergencies running near the user (empty: the peacetime view).
    banners: Vec<super::emergency::Banner>,
}

/// Shows the home page.
pub async fn home(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let mut stats = Vec::new();
    let mut areas = Vec::new();
    for a in reg.home_areas().await.map_err(|e| u.fail(e))? {
        let tree = reg.area_tree(&a.path).await.map_err(|e| u.fail(e))?;
        if let Some(top) = tree.first() {
            let href = format!("/areas/{}", a.id);
            stats.push(Stat {
                label: u.t.s("households").into(),
                value: top.households,
                href: href.clone(),
            });
            stats.push(Stat {
                label: u.t.s("persons").into(),
                value: top.persons,
                href: href.clone(),
            });
        }
        for (tag, n) in reg
            .tag_counts(&a.path)
            .await
            .map_err(|e| u.fail(e))?
            .into_iter()
            .take(5)
        {
            let href = format!("/search?q={}", urlencode(&tag));
            stats.push(Stat {
                label: tag,
                value: n,
                href,
            });
        }
        areas.push((a.path.to_string(), format!("/areas/{}", a.id)));
    }
    Ok(HomePage {
        t: u.t,
        role: u.nav.role.clone(),
        area: u.user.area_path.to_string(),
        stats,
        areas,
        can_read: u.who.may(Action::Read),
        banners: super::emergency::banners(&s, &u).await,
        nav: u.nav,
    }
    .into_response())
}

/// A child area with its counts.
pub struct ChildLine {
    name: String,
    kind: String,
    households: i64,
    persons: i64,
    href: String,
}

/// A household in an area's list.
pub struct HouseholdLine {
    address: String,
    members: i64,
    href: String,
}

/// An area page: its children with counts, or (a building or unit) its households.
#[derive(Template, WebTemplate)]
#[template(path = "area.html")]
pub struct AreaPage {
    t: T,
    nav: Nav,
    crumbs: Vec<Crumb>,
    name: String,
    kind: String,
    households: i64,
    persons: i64,
    children: Vec<ChildLine>,
    homes: Vec<HouseholdLine>,
    prev: Option<String>,
    next: Option<String>,
    export_csv: Option<String>,
    export_xlsx: Option<String>,
    add_household: Option<String>,
    /// Who owns the area, duty by duty (分包).
    owners: Vec<super::staff::OwnerLine>,
    duties_href: String,
    gaps_href: Option<String>,
    /// "A task for every household here" (managers of tasks): the kinds to choose from.
    task_kinds: Vec<(String, String)>,
    task_key: String,
    tasks_href: String,
    notice_href: String,
    csrf: String,
}

/// A page number.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<u32>,
}

fn page_links(base: &str, page: u32, total: i64) -> (Option<String>, Option<String>) {
    let sep = if base.contains('?') { '&' } else { '?' };
    let prev = (page > 1).then(|| format!("{base}{sep}page={}", page - 1));
    let next = (i64::from(page) * i64::from(PER_PAGE) < total)
        .then(|| format!("{base}{sep}page={}", page + 1));
    (prev, next)
}

/// Shows an area.
pub async fn area(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area: Area = reg.area(id).await.map_err(|e| u.fail(e))?;
    let tree = reg.area_tree(&area.path).await.map_err(|e| u.fail(e))?;
    let (households, persons) = tree.first().map_or((0, 0), |c| (c.households, c.persons));
    let children: Vec<ChildLine> = tree
        .iter()
        .filter(|c| c.area.parent_id == Some(area.id))
        .map(|c| ChildLine {
            name: c.area.name.clone(),
            kind: c.area.kind.label(u.t.0).to_string(),
            households: c.households,
            persons: c.persons,
            href: format!("/areas/{}", c.area.id),
        })
        .collect();
    let page = q.page.unwrap_or(1).max(1);
    let (mut homes, mut prev, mut next) = (Vec::new(), None, None);
    if area.kind >= AreaKind::Building || children.is_empty() {
        let list = reg
            .households(
                &area.path,
                None,
                PageRequest {
                    offset: (page - 1) * PER_PAGE,
                    limit: PER_PAGE,
                },
            )
            .await
            .map_err(|e| u.fail(e))?;
        homes = list
            .items
            .iter()
            .map(|h| HouseholdLine {
                address: h.address.clone(),
                members: h.members,
                href: format!("/households/{}", h.id),
            })
            .collect();
        (prev, next) = page_links(&format!("/areas/{id}"), page, list.total);
    }
    let export = |f: &str| format!("/export?area={}&format={f}", urlencode(area.path.as_str()));
    let can_export = u.who.may(Action::Export);
    let owners = doorstep_app::staff::StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .owners(&area.path)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(AreaPage {
        owners: super::staff::owner_lines(&owners, u.t),
        duties_href: format!("/areas/{id}/duties"),
        gaps_href: (!area.kind.holds_households()).then(|| super::staff::gaps_href(&area.path)),
        task_kinds: if u.who.may(Action::ManageTasks) && area.kind >= AreaKind::Compound {
            super::tasks::kinds(u.t)
        } else {
            Vec::new()
        },
        task_key: doorstep_app::auth::random_hex(8).map_err(|e| u.fail(e))?,
        tasks_href: format!("/areas/{id}/tasks"),
        notice_href: format!("/areas/{id}/notice"),
        crumbs: crumbs(&reg, &u, &area.path).await,
        name: area.name.clone(),
        kind: area.kind.label(u.t.0).to_string(),
        households,
        persons,
        children,
        homes,
        prev,
        next,
        export_csv: can_export.then(|| export("csv")),
        export_xlsx: can_export.then(|| export("xlsx")),
        add_household: (area.kind.holds_households() && u.who.may(Action::Write))
            .then(|| format!("/areas/{id}/households")),
        csrf: u.csrf.clone(),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// A household page (一户一账).
#[derive(Template, WebTemplate)]
#[template(path = "household.html")]
pub struct HouseholdPage {
    t: T,
    nav: Nav,
    crumbs: Vec<Crumb>,
    id: i64,
    address: String,
    members: Vec<PersonLine>,
    phones: Vec<String>,
    tags: Vec<String>,
    notes: String,
    can_write: bool,
    /// May file the household's report on its behalf (代报).
    can_file: bool,
    /// Its members' quarantine and monitoring episodes, and the form to start them.
    episodes: super::episodes::EpisodeSection,
    /// The active seal over it, with the supplies section (封控: served at home).
    sealed: Option<super::supplies::SealedHousehold>,
    /// Whether the user may file supplies requests (and record check-ins).
    can_supply: bool,
    csrf: String,
}

/// Shows a household.
pub async fn household(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    household_page(&s, u, id, None).await
}

/// A household's page; with the episode start form as refused, when it was.
pub(crate) async fn household_page(
    s: &AppState,
    u: PageUser,
    id: i64,
    refused: Option<super::episodes::Refused>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let (h, members) = reg.household(id).await.map_err(|e| u.fail(e))?;
    let lines: Vec<PersonLine> = members.iter().map(|m| PersonLine::new(m, u.t.0)).collect();
    let phones = lines
        .iter()
        .filter(|l| !l.phone.is_empty())
        .map(|l| format!("{} {}", l.name, l.phone))
        .collect();
    let mut tags: Vec<String> = Vec::new();
    for l in &lines {
        for t in &l.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
    let episodes = doorstep_app::quarantine::QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .of_household(&h)
        .await
        .map_err(|e| u.fail(e))?;
    let episodes = super::episodes::EpisodeSection::new(
        s.store.as_ref(),
        &u,
        &episodes,
        members.first().map(|m| m.person.id),
        true,
        format!("/households/{id}"),
    )
    .await
    .with_refusal(refused);
    let sealed = super::supplies::sealed_section(s, &u, id, &h.area_path).await?;
    Ok(HouseholdPage {
        episodes,
        sealed,
        can_supply: u.who.may(Action::RecordCheckins),
        crumbs: crumbs(&reg, &u, &h.area_path).await,
        id,
        address: h.address.clone(),
        members: lines,
        phones,
        tags,
        notes: h.notes.clone().unwrap_or_default(),
        can_write: u.who.may(Action::Write),
        can_file: u.who.may(Action::FileReport),
        csrf: u.csrf.clone(),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// The new-household form.
#[derive(Debug, Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    room: String,
}

/// Adds a room (household) to a building or unit and opens it.
pub async fn add_household(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoomForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    match reg.add_household(id, &f.room).await {
        Ok(h) => Ok(Redirect::to(&format!("/households/{}", h.id)).into_response()),
        Err(AppError::Validation(problems)) => {
            let msg = problems
                .first()
                .map(|fp| {
                    format!(
                        "{}: {}",
                        field_label(&fp.path, u.t),
                        fp.problem.message(u.t.0)
                    )
                })
                .unwrap_or_default();
            Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                u.t,
                &msg,
                &u.ctx,
            ))
        }
        Err(AppError::Conflict(_)) => Err(PageError::new(
            StatusCode::CONFLICT,
            u.t,
            u.t.0.pick("该房号已存在", "this room already exists"),
            &u.ctx,
        )),
        Err(e) => Err(u.fail(e)),
    }
}

/// The notes form.
#[derive(Debug, Deserialize)]
pub struct NotesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    notes: String,
}

/// Saves a household's notes.
pub async fn save_notes(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<NotesForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    reg.set_household_notes(id, &f.notes)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/households/{id}")).into_response())
}

/// A labelled value on the person page.
pub struct Fact {
    label: &'static str,
    value: String,
    mono: bool,
}

/// One change in the history.
pub struct HistoryLine {
    at: String,
    actor: String,
    source: String,
    changes: Vec<(String, String, String)>,
}

/// The person file (一人一档).
#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub struct PersonPage {
    t: T,
    nav: Nav,
    crumbs: Vec<Crumb>,
    id: i64,
    name: String,
    facts: Vec<Fact>,
    tags: Vec<String>,
    household_href: String,
    revealed: bool,
    can_reveal: bool,
    can_write: bool,
    created: String,
    history: Vec<HistoryLine>,
    /// Quarantine and monitoring episodes, and the form to start one.
    episodes: super::episodes::EpisodeSection,
    csrf: String,
}

fn field_label(key: &str, t: T) -> String {
    match key {
        "address" => t.s("address").to_string(),
        "household_id" => t.s("household").to_string(),
        k => Field::ALL
            .iter()
            .find(|f| f.key() == k)
            .map_or(k.to_string(), |f| f.label(t.0).to_string()),
    }
}

/// A person's page; with the episode start form as refused, when it was.
pub(crate) async fn person_page(
    s: &AppState,
    u: PageUser,
    id: i64,
    reveal: bool,
    refused: Option<super::episodes::Refused>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let v = reg.person(id, reveal).await.map_err(|e| u.fail(e))?;
    let history = reg.history(id, v.revealed).await.map_err(|e| u.fail(e))?;
    let f = &v.person.fields;
    let l = u.t.0;
    let doc_label = match l {
        Lang::Zh => f.doc().doc_type().label_zh(),
        Lang::En => f.doc().doc_type().label_en(),
    };
    let facts = vec![
        Fact {
            label: u.t.s("id_type"),
            value: doc_label.to_string(),
            mono: false,
        },
        Fact {
            label: u.t.s("id_number"),
            value: v.id_number.clone(),
            mono: true,
        },
        Fact {
            label: u.t.s("sex"),
            value: f.sex().map(|s| s.label(l).to_string()).unwrap_or_default(),
            mono: false,
        },
        // Beside a masked number only the age band: the hidden digits are the birth date.
        match v.birth_date {
            Some(d) => Fact {
                label: u.t.s("birth_date"),
                value: d.to_string(),
                mono: false,
            },
            None => Fact {
                label: u.t.s("age_band"),
                value: v.age.map(|a| a.label(l)).unwrap_or_default(),
                mono: false,
            },
        },
        Fact {
            label: u.t.s("phone"),
            value: v.phone.clone().unwrap_or_default(),
            mono: true,
        },
        Fact {
            label: u.t.s("relation"),
            value: f.relation().unwrap_or("").to_string(),
            mono: false,
        },
        Fact {
            label: u.t.s("residency"),
            value: f
                .residency()
                .map(|r| r.label(l).to_string())
                .unwrap_or_default(),
            mono: false,
        },
        Fact {
            label: u.t.s("address"),
            value: v.person.address.clone(),
            mono: false,
        },
    ];
    let history = history
        .iter()
        .map(|h| HistoryLine {
            at: china_minute(h.at),
            actor: h.actor.clone(),
            source: match h.source.as_str() {
                "form" => u.t.s("source_form").to_string(),
                "import" => u.t.s("source_import").to_string(),
                "demo" => u.t.s("source_demo").to_string(),
                "report" => u.t.s("source_report").to_string(),
                other => other.to_string(),
            },
            changes: h
                .changes
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let s = |x: &serde_json::Value| x.as_str().unwrap_or("—").to_string();
                            (field_label(k, u.t), s(&v[0]), s(&v[1]))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let episodes = doorstep_app::quarantine::QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .of_person(&v.person)
        .await
        .map_err(|e| u.fail(e))?;
    let episodes = super::episodes::EpisodeSection::new(
        s.store.as_ref(),
        &u,
        &episodes,
        Some(id),
        false,
        format!("/persons/{id}"),
    )
    .await
    .with_refusal(refused);
    Ok(PersonPage {
        episodes,
        crumbs: crumbs(&reg, &u, &v.person.area_path).await,
        id,
        name: f.name().to_string(),
        facts,
        tags: f.tags().as_slice().to_vec(),
        household_href: format!("/households/{}", v.person.household_id),
        revealed: v.revealed,
        can_reveal: u.who.may(Action::Reveal) && !v.revealed,
        can_write: u.who.may(Action::Write),
        created: china_minute(v.person.created_at),
        history,
        csrf: u.csrf.clone(),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// Shows a person file, masked.
pub async fn person(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    person_page(&s, u, id, false, None).await
}

/// Shows a person file with full numbers (audited; a POST so it is never a cached link).
pub async fn reveal_person(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    person_page(&s, u, id, true, None).await
}

/// One field of a form.
pub struct FormField {
    pub(crate) key: &'static str,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    pub(crate) error: Option<String>,
    pub(crate) hint: Option<String>,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) required: bool,
}

/// A form of fields (add or edit a person, a staff member).
#[derive(Template, WebTemplate)]
#[template(path = "person_form.html")]
pub struct FormPage {
    pub(crate) t: T,
    pub(crate) nav: Nav,
    pub(crate) title: String,
    pub(crate) action: String,
    pub(crate) cancel: String,
    pub(crate) csrf: String,
    pub(crate) fields: Vec<FormField>,
    pub(crate) has_errors: bool,
}

/// The person form's fields as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_type: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    residency: String,
    #[serde(default)]
    tags: String,
}

impl PersonForm {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            id_type: self.id_type.clone(),
            id_number: self.id_number.clone(),
            sex: self.sex.clone(),
            birth_date: self.birth_date.clone(),
            phone: self.phone.clone(),
            relation: self.relation.clone(),
            residency: self.residency.clone(),
            tags: self.tags.clone(),
        }
    }

    fn of(v: &PersonView) -> PersonForm {
        let f = &v.person.fields;
        PersonForm {
            name: f.name().to_string(),
            id_type: f.doc().doc_type().code().to_string(),
            sex: f.sex().map(|s| s.code().to_string()).unwrap_or_default(),
            birth_date: v.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            phone: v.phone.clone().unwrap_or_default(),
            relation: f.relation().unwrap_or("").to_string(),
            residency: f
                .residency()
                .map(|r| r.code().to_string())
                .unwrap_or_default(),
            tags: f.tags().joined(),
            ..Default::default()
        }
    }
}

fn form_fields(
    v: &PersonForm,
    errors: &HashMap<&'static str, String>,
    t: T,
    new: bool,
) -> Vec<FormField> {
    let l = t.0;
    let mut fields = Vec::new();
    let mut push = |key: &'static str,
                    kind: &'static str,
                    value: &str,
                    options: Vec<(String, String)>,
                    hint: Option<String>,
                    required: bool| {
        let label = Field::ALL
            .iter()
            .find(|f| f.key() == key)
            .map_or(key.to_string(), |f| f.label(l).to_string());
        fields.push(FormField {
            key,
            label,
            kind,
            value: value.to_string(),
            error: errors.get(key).cloned(),
            hint,
            options,
            required,
        });
    };
    push("name", "text", &v.name, vec![], None, true);
    if new {
        let docs = DocType::ALL
            .iter()
            .map(|d| {
                (
                    d.code().to_string(),
                    match l {
                        Lang::Zh => d.label_zh(),
                        Lang::En => d.label_en(),
                    }
                    .to_string(),
                )
            })
            .collect();
        push(
            "id_type",
            "select",
            if v.id_type.is_empty() {
                "resident_id"
            } else {
                &v.id_type
            },
            docs,
            None,
            true,
        );
        push("id_number", "text", &v.id_number, vec![], None, true);
    }
    let sexes = [Sex::Male, Sex::Female]
        .iter()
        .map(|s| (s.code().to_string(), s.label(l).to_string()));
    push(
        "sex",
        "select",
        &v.sex,
        std::iter::once((String::new(), "—".to_string()))
            .chain(sexes)
            .collect(),
        None,
        false,
    );
    push(
        "birth_date",
        "date",
        &v.birth_date,
        vec![],
        Some(
            l.pick(
                "居民身份证可不填（从号码读取）",
                "not needed for a resident ID (read from the number)",
            )
            .into(),
        ),
        false,
    );
    push("phone", "tel", &v.phone, vec![], None, false);
    push(
        "relation",
        "text",
        &v.relation,
        vec![],
        Some(
            l.pick(
                "如：户主、配偶、子女、父母",
                "e.g. 户主 (head), 配偶 (spouse), 子女 (child)",
            )
            .into(),
        ),
        false,
    );
    let res = [
        Residency::Permanent,
        Residency::Renting,
        Residency::Temporary,
    ]
    .iter()
    .map(|r| (r.code().to_string(), r.label(l).to_string()));
    push(
        "residency",
        "select",
        &v.residency,
        std::iter::once((String::new(), "—".to_string()))
            .chain(res)
            .collect(),
        None,
        false,
    );
    let known = Tags::KNOWN.join("、");
    push(
        "tags",
        "text",
        &v.tags,
        vec![],
        Some(format!("{} {known}", t.s("tags_hint"))),
        false,
    );
    fields
}

fn errors_of(e: AppError, u: &PageUser) -> Result<HashMap<&'static str, String>, PageError> {
    match e {
        AppError::Validation(problems) => {
            let mut m = HashMap::new();
            for fp in problems {
                if let Some(f) = Field::ALL.iter().find(|f| f.key() == fp.path) {
                    m.entry(f.key())
                        .or_insert_with(|| fp.problem.message(u.t.0));
                }
            }
            Ok(m)
        }
        other => Err(u.fail(other)),
    }
}

/// What a person form is for.
enum FormFor<'a> {
    /// Adding a person to the household with this id and address.
    Add(i64, &'a str),
    /// Editing the person with this id and name.
    Edit(i64, &'a str),
}

/// The person form, blank, filled, or (with errors) returned with a message at each field.
fn person_form(
    u: PageUser,
    target: FormFor<'_>,
    form: &PersonForm,
    errors: &HashMap<&'static str, String>,
) -> Response {
    let (title, action, cancel, new) = match target {
        FormFor::Add(id, address) => (
            format!("{} · {address}", u.t.s("add_person")),
            format!("/households/{id}/persons/new"),
            format!("/households/{id}"),
            true,
        ),
        FormFor::Edit(id, name) => (
            format!("{} · {name}", u.t.s("edit")),
            format!("/persons/{id}/edit"),
            format!("/persons/{id}"),
            false,
        ),
    };
    let page = FormPage {
        title,
        action,
        cancel,
        csrf: u.csrf.clone(),
        fields: form_fields(form, errors, u.t, new),
        has_errors: !errors.is_empty(),
        t: u.t,
        nav: u.nav,
    };
    if errors.is_empty() {
        page.into_response()
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    }
}

/// Shows the form to add a person to a household.
pub async fn new_person_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let (h, _) = reg.household(id).await.map_err(|e| u.fail(e))?;
    u.who
        .authorize(Action::Write, &h.area_path)
        .map_err(|e| u.fail(e))?;
    Ok(person_form(
        u,
        FormFor::Add(id, &h.address),
        &PersonForm::default(),
        &HashMap::new(),
    ))
}

/// Adds a person; on problems shows the form again with a message at each field.
pub async fn add_person(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<PersonForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    match reg.add_person(id, &f.input()).await {
        Ok(p) => Ok(Redirect::to(&format!("/persons/{}", p.person.id)).into_response()),
        Err(e) => {
            let errors = errors_of(e, &u)?;
            let (h, _) = reg.household(id).await.map_err(|e| u.fail(e))?;
            Ok(person_form(u, FormFor::Add(id, &h.address), &f, &errors))
        }
    }
}

/// Shows the form to edit a person.
pub async fn edit_person_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let v = reg.person(id, false).await.map_err(|e| u.fail(e))?;
    u.who
        .authorize(Action::Write, &v.person.area_path)
        .map_err(|e| u.fail(e))?;
    // The form starts from the full phone and birth date: opening it is a reveal (audited).
    let v = reg.person(id, true).await.map_err(|e| u.fail(e))?;
    Ok(person_form(
        u,
        FormFor::Edit(id, v.person.fields.name()),
        &PersonForm::of(&v),
        &HashMap::new(),
    ))
}

/// Saves a person; on problems shows the form again with a message at each field.
pub async fn edit_person(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<PersonForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    match reg.edit_person(id, &f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(e) => {
            let errors = errors_of(e, &u)?;
            let name = f.name.clone();
            Ok(person_form(u, FormFor::Edit(id, &name), &f, &errors))
        }
    }
}

/// The search page.
#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    t: T,
    nav: Nav,
    q: String,
    results: Vec<PersonLine>,
    total: String,
    searched: bool,
    prev: Option<String>,
    next: Option<String>,
}

/// The search query.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<u32>,
}

/// Searches persons in the user's area.
pub async fn search(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let text = q.q.clone().unwrap_or_default().trim().to_string();
    let page = q.page.unwrap_or(1).max(1);
    let (results, total, prev, next) = if text.is_empty() {
        (Vec::new(), 0, None, None)
    } else {
        let found = reg
            .search(
                Some(text.clone()),
                None,
                PageRequest {
                    offset: (page - 1) * PER_PAGE,
                    limit: PER_PAGE,
                },
                Some(COUNT_CAP),
            )
            .await
            .map_err(|e| u.fail(e))?;
        let (prev, next) = page_links(
            &format!("/search?q={}", urlencode(&text)),
            page,
            found.total,
        );
        (
            found
                .items
                .iter()
                .map(|v| PersonLine::new(v, u.t.0))
                .collect(),
            found.total,
            prev,
            next,
        )
    };
    Ok(SearchPage {
        searched: !text.is_empty(),
        q: text,
        results,
        total: if total > i64::from(COUNT_CAP) {
            format!("{COUNT_CAP}+")
        } else {
            total.to_string()
        },
        prev,
        next,
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}
