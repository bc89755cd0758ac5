//! Staff pages: the working force's roster (list, add, edit, import, export), a staff member's
//! page with what they own, an area's owners and the form to give duties there (分包), and the
//! gaps. Every page goes through `doorstep_app::staff::StaffDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_app::staff::{Owners, StaffDesk, StaffForm, StaffImportReport};
use doorstep_core::problem::FieldProblem;
use doorstep_core::staff::StaffInput;
use doorstep_core::{AreaKind, AreaPath, Duty, StaffKind};
use doorstep_store::{DutyAssignment, Id, PageRequest, StaffMember};
use serde::Deserialize;

use super::registry::{FormField, FormPage};
use super::roster::{download, io_err};
use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::api::reports::{sheet, written};
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list).post(create))
        .route("/staff/new", get(new_form))
        .route("/staff/import", post(import))
        .route("/staff/export", get(export))
        .route("/staff/{id}", get(member).post(update))
        .route("/areas/{id}/duties", get(area_duties).post(assign))
        .route("/duties/{id}/remove", post(remove))
        .route("/duties/gaps", get(gaps))
        .route("/duties/table", get(table))
        .route("/areas/{id}/notice", get(notice))
}

/// A staff member as a line of a list.
pub struct StaffLine {
    href: String,
    name: String,
    phone: String,
    kind: String,
    skills: String,
    active: bool,
}

fn line(m: &StaffMember, t: T) -> StaffLine {
    StaffLine {
        href: format!("/staff/{}", m.id),
        name: m.fields.name.clone(),
        phone: m.fields.phone.as_str().to_string(),
        kind: m.fields.kind.label(t.0).to_string(),
        skills: m.fields.skills.join("、"),
        active: m.active,
    }
}

/// The roster page, with the import's outcome after an upload.
#[derive(Template, WebTemplate)]
#[template(path = "staff_list.html")]
pub struct ListPage {
    t: T,
    nav: Nav,
    csrf: String,
    q: String,
    kind: String,
    kinds: Vec<(String, String)>,
    rows: Vec<StaffLine>,
    total: i64,
    can_manage: bool,
    imported: Option<StaffImportReport>,
    error: Option<String>,
}

/// The roster's filter.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
}

fn kinds(t: T) -> Vec<(String, String)> {
    std::iter::once((String::new(), t.s("all").to_string()))
        .chain(
            StaffKind::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.label(t.0).to_string())),
        )
        .collect()
}

async fn list_page(
    s: &AppState,
    u: &PageUser,
    q: ListQuery,
    imported: Option<StaffImportReport>,
    error: Option<String>,
) -> Result<ListPage, PageError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let kind = StaffKind::from_stored(&q.kind);
    let page = desk
        .list(
            None,
            kind,
            None,
            Some(q.q.clone()).filter(|t| !t.trim().is_empty()),
            PageRequest {
                offset: 0,
                limit: 200,
            },
        )
        .await
        .map_err(|e| u.fail(e))?;
    Ok(ListPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        q: q.q,
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        kinds: kinds(u.t),
        rows: page.items.iter().map(|m| line(m, u.t)).collect(),
        total: page.total,
        can_manage: u.who.may(Action::ManageStaff),
        imported,
        error,
    })
}

async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(list_page(&s, &u, q, None, None).await?.into_response())
}

/// The staff form as posted.
#[derive(Debug, Default, Deserialize)]
struct PostedStaff {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    active: String,
}

impl PostedStaff {
    fn form(&self, with_active: bool) -> StaffForm {
        StaffForm {
            input: StaffInput {
                name: self.name.clone(),
                phone: self.phone.clone(),
                kind: self.kind.clone(),
                skills: self.skills.clone(),
                availability: self.availability.clone(),
                notes: self.notes.clone(),
            },
            area: String::new(),
            username: Some(self.username.clone()),
            active: with_active.then_some(self.active == "1"),
        }
    }

    fn of(m: &StaffMember, username: String) -> PostedStaff {
        let f = &m.fields;
        PostedStaff {
            csrf: String::new(),
            name: f.name.clone(),
            phone: f.phone.as_str().to_string(),
            kind: f.kind.code().to_string(),
            skills: f.skills.join("、"),
            availability: f.availability.clone(),
            notes: f.notes.clone(),
            username,
            active: if m.active { "1" } else { "0" }.to_string(),
        }
    }
}

/// The form's fields with what was typed and the problems found.
fn fields(p: &PostedStaff, problems: &[FieldProblem], t: T, with_active: bool) -> Vec<FormField> {
    let err = |key: &str| {
        problems
            .iter()
            .find(|x| x.path == key)
            .map(|x| x.problem.message(t.0))
    };
    let field =
        |key: &'static str, label: &str, kind: &'static str, value: &str, required| FormField {
            key,
            label: label.to_string(),
            kind,
            value: value.to_string(),
            error: err(key),
            hint: None,
            options: Vec::new(),
            required,
        };
    let mut out = vec![
        field("name", t.s("name"), "text", &p.name, true),
        field("phone", t.s("st_phone"), "tel", &p.phone, true),
        FormField {
            options: kinds(t).into_iter().skip(1).collect(),
            ..field("kind", t.s("st_kind"), "select", &p.kind, true)
        },
        FormField {
            hint: Some(t.s("st_skills_hint").to_string()),
            ..field("skills", t.s("st_skills"), "text", &p.skills, false)
        },
        field(
            "availability",
            t.s("st_availability"),
            "text",
            &p.availability,
            false,
        ),
        field("notes", t.s("notes"), "text", &p.notes, false),
        FormField {
            hint: Some(t.s("st_username_hint").to_string()),
            ..field("username", t.s("st_username"), "text", &p.username, false)
        },
    ];
    if with_active {
        out.push(FormField {
            options: vec![
                ("1".into(), t.s("st_active").to_string()),
                ("0".into(), t.s("st_inactive").to_string()),
            ],
            ..field("active", t.s("st_status"), "select", &p.active, true)
        });
    }
    out
}

fn form_page(
    u: &PageUser,
    title: &str,
    action: String,
    cancel: String,
    fields: Vec<FormField>,
) -> FormPage {
    FormPage {
        t: u.t,
        nav: u.nav.clone(),
        title: title.to_string(),
        action,
        cancel,
        csrf: u.csrf.clone(),
        has_errors: fields.iter().any(|f| f.error.is_some()),
        fields,
    }
}

async fn new_form(u: PageUser) -> Result<Response, PageError> {
    if !u.who.may(Action::ManageStaff) {
        return Err(u.fail(AppError::Forbidden));
    }
    let p = PostedStaff {
        kind: StaffKind::Grid.code().to_string(),
        ..PostedStaff::default()
    };
    let f = fields(&p, &[], u.t, false);
    Ok(form_page(&u, u.t.s("st_add"), "/staff".into(), "/staff".into(), f).into_response())
}

async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Form(p): Form<PostedStaff>,
) -> Result<Response, PageError> {
    u.check_csrf(&p.csrf)?;
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    match desk.create(&p.form(false)).await {
        Ok(m) => Ok(Redirect::to(&format!("/staff/{}", m.id)).into_response()),
        Err(AppError::Validation(problems)) => {
            let f = fields(&p, &problems, u.t, false);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&u, u.t.s("st_add"), "/staff".into(), "/staff".into(), f),
            )
                .into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// A duty as a line: where, what, and (on a staff member's page) the remove button.
pub struct DutyLine {
    pub(crate) id: Id,
    pub(crate) duty: String,
    pub(crate) area: String,
    pub(crate) area_href: String,
    pub(crate) name: String,
    pub(crate) phone: String,
    pub(crate) staff_href: String,
}

fn duty_line(a: &DutyAssignment, t: T) -> DutyLine {
    DutyLine {
        id: a.id,
        duty: a.duty.label(t.0).to_string(),
        area: a.area_path.to_string(),
        area_href: format!("/areas/{}", a.area_id),
        name: a.staff.fields.name.clone(),
        phone: a.staff.fields.phone.as_str().to_string(),
        staff_href: format!("/staff/{}", a.staff.id),
    }
}

/// A staff member's page: details, what they own, and (for managers) the edit form.
#[derive(Template, WebTemplate)]
#[template(path = "staff_member.html")]
pub struct MemberPage {
    t: T,
    nav: Nav,
    csrf: String,
    id: Id,
    who: StaffLine,
    area: String,
    availability: String,
    notes: String,
    duties: Vec<DutyLine>,
    can_manage: bool,
    fields: Vec<FormField>,
}

async fn member_page(
    s: &AppState,
    u: &PageUser,
    id: Id,
    posted: Option<(PostedStaff, Vec<FieldProblem>)>,
) -> Result<MemberPage, PageError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (m, duties) = desk.member(id).await.map_err(|e| u.fail(e))?;
    let can_manage = u.who.may(Action::ManageStaff) && u.who.covers(&m.area_path);
    let username = match m.user_id {
        Some(uid) => s
            .store
            .users(u.who.area())
            .await
            .map_err(|e| u.fail(e.into()))?
            .into_iter()
            .find(|x| x.id == uid)
            .map(|x| x.username)
            .unwrap_or_default(),
        None => String::new(),
    };
    let (p, problems) = posted.unwrap_or_else(|| (PostedStaff::of(&m, username), Vec::new()));
    Ok(MemberPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        id,
        who: line(&m, u.t),
        area: m.area_path.to_string(),
        availability: m.fields.availability.clone(),
        notes: m.fields.notes.clone(),
        duties: duties.iter().map(|a| duty_line(a, u.t)).collect(),
        can_manage,
        fields: if can_manage {
            fields(&p, &problems, u.t, true)
        } else {
            Vec::new()
        },
    })
}

async fn member(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    Ok(member_page(&s, &u, id, None).await?.into_response())
}

async fn update(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(p): Form<PostedStaff>,
) -> Result<Response, PageError> {
    u.check_csrf(&p.csrf)?;
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    match desk.update(id, &p.form(true)).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/{id}")).into_response()),
        Err(AppError::Validation(problems)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            member_page(&s, &u, id, Some((p, problems))).await?,
        )
            .into_response()),
        Err(e) => Err(u.fail(e)),
    }
}

/// Receives a roster upload and imports it at once (staff rosters are small).
async fn import(
    State(s): State<AppState>,
    u: PageUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let dir = tempfile::tempdir().map_err(|e| u.fail(io_err(e)))?;
    let (mut csrf, mut file) = (String::new(), None);
    let bad = |u: &PageUser| {
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            u.t,
            u.t.0.pick("文件太大", "the file is too large"),
            &u.ctx,
        )
    };
    while let Some(field) = form.next_field().await.map_err(|_| bad(&u))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let bytes = field.bytes().await.map_err(|_| bad(&u))?;
                if !bytes.is_empty() {
                    let path = dir.path().join("staff");
                    tokio::fs::write(&path, &bytes)
                        .await
                        .map_err(|e| u.fail(io_err(e)))?;
                    file = Some(path);
                }
            }
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    let Some(file) = file else {
        let msg = u.t.0.pick("请选择要导入的文件", "choose a file to import");
        let page = list_page(&s, &u, ListQuery::default(), None, Some(msg.into())).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    match desk.import("", file, u.t.0).await {
        Ok(r) => Ok(list_page(&s, &u, ListQuery::default(), Some(r), None)
            .await?
            .into_response()),
        Err(AppError::Import(e)) => {
            let page =
                list_page(&s, &u, ListQuery::default(), None, Some(e.message(u.t.0))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// Which format.
#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let (format, ext, _) = sheet(q.format.as_deref().unwrap_or_default());
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (_, bytes) = written(
        ext,
        |path| async move { desk.export(None, format, &path).await },
    )
    .await
    .map_err(|e| u.fail(e))?;
    let area = u
        .who
        .area()
        .map(|a| a.name().to_string())
        .unwrap_or_default();
    let label = u.t.0.pick("工作力量", "staff");
    Ok(download(bytes, &format!("{area}-{label}.{ext}"), format))
}

/// Who owns one duty of an area, as the page shows it.
pub struct OwnerLine {
    pub(crate) duty: String,
    pub(crate) inherited_from: Option<String>,
    pub(crate) holders: Vec<DutyLine>,
}

/// The owners of an area for the area page and this one.
pub fn owner_lines(owners: &[Owners], t: T) -> Vec<OwnerLine> {
    owners
        .iter()
        .map(|o| OwnerLine {
            duty: o.duty.label(t.0).to_string(),
            inherited_from: o.inherited_from.as_ref().map(|p| p.name().to_string()),
            holders: o.holders.iter().map(|a| duty_line(a, t)).collect(),
        })
        .collect()
}

/// An area's owners, its own duties and the form to give one.
#[derive(Template, WebTemplate)]
#[template(path = "area_duties.html")]
pub struct AreaDutiesPage {
    t: T,
    nav: Nav,
    csrf: String,
    area_id: Id,
    area: String,
    owners: Vec<OwnerLine>,
    own: Vec<DutyLine>,
    can_manage: bool,
    duties: Vec<(String, String)>,
    staff: Vec<(Id, String)>,
    error: Option<String>,
}

async fn duties_page(
    s: &AppState,
    u: &PageUser,
    id: Id,
    error: Option<String>,
) -> Result<AreaDutiesPage, PageError> {
    let reg = doorstep_app::registry::Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = reg.area(id).await.map_err(|e| u.fail(e))?;
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let owners = desk.owners(&area.path).await.map_err(|e| u.fail(e))?;
    let own = owners
        .iter()
        .filter(|o| o.inherited_from.is_none())
        .flat_map(|o| o.holders.iter().map(|a| duty_line(a, u.t)))
        .collect();
    let can_manage = u.who.may(Action::ManageStaff);
    let staff = if can_manage {
        staff_choices(s, u).await?
    } else {
        Vec::new()
    };
    Ok(AreaDutiesPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area_id: id,
        area: area.path.to_string(),
        owners: owner_lines(&owners, u.t),
        own,
        can_manage,
        duties: Duty::ALL
            .iter()
            .map(|d| (d.code().to_string(), d.label(u.t.0).to_string()))
            .collect(),
        staff,
        error,
    })
}

async fn area_duties(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    Ok(duties_page(&s, &u, id, None).await?.into_response())
}

/// The area a page asks for (`?area=`), or the user's own.
fn area_or_own(u: &PageUser, raw: Option<&str>) -> Result<AreaPath, PageError> {
    match raw.filter(|a| !a.trim().is_empty()) {
        Some(a) => AreaPath::parse(a)
            .map_err(|p| PageError::new(StatusCode::BAD_REQUEST, u.t, &p.message(u.t.0), &u.ctx)),
        None => u
            .who
            .area()
            .cloned()
            .ok_or_else(|| u.fail(AppError::NotFound)),
    }
}

/// The working staff this user may give work to, as the choices of a select: (id, "name ·
/// kind · phone"), by name.
pub(crate) async fn staff_choices(
    s: &AppState,
    u: &PageUser,
) -> Result<Vec<(Id, String)>, PageError> {
    let page = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(
            None,
            None,
            Some(true),
            None,
            PageRequest {
                offset: 0,
                limit: 500,
            },
        )
        .await
        .map_err(|e| u.fail(e))?;
    Ok(page
        .items
        .iter()
        .map(|m| {
            let f = &m.fields;
            (
                m.id,
                format!(
                    "{} · {} · {}",
                    f.name,
                    f.kind.label(u.t.0),
                    f.phone.as_str()
                ),
            )
        })
        .collect())
}

/// A duty to give, as posted.
#[derive(Debug, Deserialize)]
struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    duty: String,
    #[serde(default)]
    staff: String,
}

async fn assign(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = doorstep_app::registry::Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = reg.area(id).await.map_err(|e| u.fail(e))?;
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let Ok(staff) = f.staff.parse::<Id>() else {
        let msg = u.t.0.pick("请选择工作人员", "choose a staff member");
        let page = duties_page(&s, &u, id, Some(msg.into())).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    match desk.assign(area.path.as_str(), &f.duty, staff).await {
        Ok(_) => Ok(Redirect::to(&format!("/areas/{id}/duties")).into_response()),
        Err(AppError::Validation(p)) => {
            let msg = u.problems_text(&p);
            let page = duties_page(&s, &u, id, Some(msg)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// Where to go back to after removing a duty.
#[derive(Debug, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

async fn remove(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let a = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .unassign(id)
        .await
        .map_err(|e| u.fail(e))?;
    // Only a local path: never an open redirect.
    let back = if f.back.starts_with('/') && !f.back.starts_with("//") {
        f.back
    } else {
        format!("/areas/{}/duties", a.area_id)
    };
    Ok(Redirect::to(&back).into_response())
}

/// The gaps page.
#[derive(Template, WebTemplate)]
#[template(path = "duty_gaps.html")]
pub struct GapsPage {
    t: T,
    nav: Nav,
    area: String,
    kind: String,
    duty: String,
    kinds: Vec<(String, String)>,
    duties: Vec<(String, String)>,
    rows: Vec<(String, String)>,
}

/// Which gaps.
#[derive(Debug, Deserialize)]
struct GapsQuery {
    area: Option<String>,
    kind: Option<String>,
    duty: Option<String>,
}

async fn gaps(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<GapsQuery>,
) -> Result<Response, PageError> {
    let area = area_or_own(&u, q.area.as_deref())?;
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| AreaKind::parse(k).ok())
        .unwrap_or(AreaKind::Building);
    let duty = q
        .duty
        .as_deref()
        .and_then(Duty::parse)
        .unwrap_or(Duty::BuildingCaptain);
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let found = desk.gaps(&area, kind, duty).await.map_err(|e| u.fail(e))?;
    let base = area.as_str().to_string();
    Ok(GapsPage {
        t: u.t,
        nav: u.nav.clone(),
        area: base.clone(),
        kind: kind.code().to_string(),
        duty: duty.code().to_string(),
        kinds: [
            AreaKind::Grid,
            AreaKind::Compound,
            AreaKind::Building,
            AreaKind::Unit,
        ]
        .iter()
        .map(|k| (k.code().to_string(), k.label(u.t.0).to_string()))
        .collect(),
        duties: Duty::ALL
            .iter()
            .map(|d| (d.code().to_string(), d.label(u.t.0).to_string()))
            .collect(),
        rows: found
            .iter()
            .map(|a| {
                let shown = a
                    .path
                    .as_str()
                    .strip_prefix(&format!("{base}/"))
                    .unwrap_or(a.path.as_str())
                    .to_string();
                (format!("/areas/{}/duties", a.id), shown)
            })
            .collect(),
    }
    .into_response())
}

/// The link to an area's gaps page (for the area page's "gaps" button).
pub fn gaps_href(area: &AreaPath) -> String {
    format!("/duties/gaps?area={}", urlencode(area.as_str()))
}

/// The responsibility table (分包责任表) of an area: print page, or XLSX/CSV with `format`.
#[derive(Template, WebTemplate)]
#[template(path = "duty_table.html")]
pub struct TablePage {
    t: T,
    nav: Nav,
    area: String,
    xlsx: String,
    rows: Vec<DutyLine>,
}

/// Which table.
#[derive(Debug, Deserialize)]
struct TableQuery {
    area: Option<String>,
    format: Option<String>,
}

async fn table(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    let area = area_or_own(&u, q.area.as_deref())?;
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let all = desk.table(&area).await.map_err(|e| u.fail(e))?;
    let format = match q.format.as_deref() {
        Some("xlsx") => Some((SheetFormat::Xlsx, "xlsx")),
        Some("csv") => Some((SheetFormat::Csv, "csv")),
        _ => None,
    };
    if let Some((format, ext)) = format {
        let (_, bytes) = written(ext, |path| {
            let (desk, all) = (&desk, &all);
            async move { desk.write_table(all, format, &path).await }
        })
        .await
        .map_err(|e| u.fail(e))?;
        let label = u.t.0.pick("分包责任表", "duties");
        return Ok(download(
            bytes,
            &format!("{}-{label}.{ext}", area.name()),
            format,
        ));
    }
    Ok(TablePage {
        t: u.t,
        nav: u.nav.clone(),
        xlsx: format!(
            "/duties/table?area={}&format=xlsx",
            urlencode(area.as_str())
        ),
        area: area.to_string(),
        rows: all.iter().map(|a| duty_line(a, u.t)).collect(),
    }
    .into_response())
}

/// One building's notice: its owners and the QR codes of the open report links covering it.
pub struct Notice {
    name: String,
    owners: Vec<OwnerLine>,
    codes: Vec<(String, String)>,
    /// The notices to residents showing today for the building (`pages::notices`).
    reminders: Vec<super::notices::NoticeLine>,
}

/// The building notices (楼栋公示牌) of an area: one A4 per building.
#[derive(Template, WebTemplate)]
#[template(path = "building_notice.html")]
pub struct NoticePage {
    t: T,
    nav: Nav,
    area_id: Id,
    notices: Vec<Notice>,
}

async fn notice(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let reg = doorstep_app::registry::Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = reg.area(id).await.map_err(|e| u.fail(e))?;
    let buildings = if area.kind >= AreaKind::Building {
        vec![area.clone()]
    } else {
        let mut b = s
            .store
            .areas_of_kind(&area.path, AreaKind::Building)
            .await
            .map_err(|e| u.fail(e.into()))?;
        b.sort_by(|x, y| doorstep_core::text::natural_cmp(x.path.as_str(), y.path.as_str()));
        b
    };
    if buildings.len() > 300 {
        let msg = u.t.0.pick(
            "楼栋太多，请在小区页面打印",
            "too many buildings: print from a compound's page",
        );
        return Err(PageError::new(StatusCode::BAD_REQUEST, u.t, msg, &u.ctx));
    }
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    // The open links covering the area, each code drawn once.
    let now = u.ctx.now();
    let links: Vec<_> = s
        .store
        .report_links(None)
        .await
        .map_err(|e| u.fail(e.into()))?
        .into_iter()
        .filter(|l| l.revoked_at.is_none() && l.expires_at.is_none_or(|e| e > now))
        .filter(|l| l.area_path.contains(&area.path) || area.path.contains(&l.area_path))
        .collect();
    let mut drawn: Vec<(doorstep_store::ReportLink, String)> = Vec::new();
    for l in links {
        let svg = super::reports::qr_svg_inline(&s.public_url.report_link(&l.token), 240).map_err(
            |e| {
                PageError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    u.t,
                    &e.to_string(),
                    &u.ctx,
                )
            },
        )?;
        drawn.push((l, svg));
    }
    let mut notices = Vec::new();
    for b in &buildings {
        let owners = desk.owners(&b.path).await.map_err(|e| u.fail(e))?;
        notices.push(Notice {
            name: b.path.names().skip(3).collect::<Vec<_>>().join(""),
            owners: owner_lines(&owners, u.t),
            codes: drawn
                .iter()
                .filter(|(l, _)| l.area_path.contains(&b.path))
                .map(|(l, svg)| (l.purpose.label(u.t.0).to_string(), svg.clone()))
                .collect(),
            reminders: super::notices::showing(&s, &u.ctx, &b.path).await,
        });
    }
    Ok(NoticePage {
        t: u.t,
        nav: u.nav.clone(),
        area_id: id,
        notices,
    }
    .into_response())
}
