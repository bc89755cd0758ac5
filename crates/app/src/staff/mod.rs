//! The working force (工作力量) and its responsibility areas (分包): the staff roster of an area,
//! its import and export, and the duties that give every building an owner "from start to
//! end". Every use case authorizes first (`Action::Read` to see, `Action::ManageStaff` to
//! change), parses its input once and audits what it changes in the same transaction.
//!
//! Staff phones are work numbers: they are shown in full to users who may see the area (the
//! building notice posts them on the building's door), unlike residents' phones.

use std::collections::HashMap;

mod import;

pub use import::*;

use doorstep_core::problem::FieldProblem;
use doorstep_core::staff::StaffInput;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath, Duty, Problem, StaffKind};
use doorstep_store::{
    Area, DutyAssignment, Id, NewAudit, NewStaff, Page, PageRequest, StaffChange, StaffMember,
    StaffQuery, Store, audit_with,
};
use serde_json::{Value, json};

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// Who owns an area for one duty: the holders, and where the duty comes from when the area has
/// no holder of its own (inherited from the nearest area above that has one).
#[derive(Debug, Clone)]
pub struct Owners {
    /// The duty.
    pub duty: Duty,
    /// The assignments (on the area itself, or on `inherited_from`).
    pub holders: Vec<DutyAssignment>,
    /// The area above the holders sit on, when not the area itself.
    pub inherited_from: Option<AreaPath>,
}

/// A staff member's details and account as a form, the API or the CLI give them.
#[derive(Debug, Clone, Default)]
pub struct StaffForm {
    /// Name, phone, kind, skills, availability, notes as typed.
    pub input: StaffInput,
    /// The managing area's path (creating; blank: the user's own area).
    pub area: String,
    /// The user name of their account: blank unlinks; `None` keeps what is linked.
    pub username: Option<String>,
    /// Working or not (changing only; `None` keeps it).
    pub active: Option<bool>,
}

/// The staff roster and duties as one user may use them.
pub struct StaffDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> StaffDesk<'a> {
    /// The desk for `who`, auditing with `ctx`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> StaffDesk<'a> {
        StaffDesk { store, who, ctx }
    }

    fn entry(&self, action: &str, object: (&str, Id), area: &AreaPath, details: Value) -> NewAudit {
        self.who
            .audit_entry(self.ctx, action, Some(object), Some(area), details)
    }

    /// A page of the staff managed under `area` (the user's own when `None`).
    pub async fn list(
        &self,
        area: Option<AreaPath>,
        kind: Option<StaffKind>,
        active: Option<bool>,
        text: Option<String>,
        page: PageRequest,
    ) -> AppResult<Page<StaffMember>> {
        let asked = area.is_some();
        let scope = self.who.scope(area).ok_or(AppError::NotFound)?;
        if let Some(a) = &scope {
            self.who.authorize(Action::Read, a)?;
        } else if !self.who.may(Action::Read) {
            return Err(AppError::NotFound);
        }
        // Their own list holds the staff of the areas above them too: colleagues.
        let above = match (asked, self.who.area()) {
            (false, Some(own)) => ancestors(own),
            _ => Vec::new(),
        };
        Ok(self
            .store
            .staff_list(&StaffQuery {
                area: scope,
                above,
                kind,
                active,
                text,
                page,
            })
            .await?)
    }

    /// One staff member, with the duties they hold.
    pub async fn member(&self, id: Id) -> AppResult<(StaffMember, Vec<DutyAssignment>)> {
        let m = self.visible(id).await?;
        let duties = self.store.duties_of(id).await?;
        Ok((m, duties))
    }

    /// The staff member if this user may see them.
    async fn visible(&self, id: Id) -> AppResult<StaffMember> {
        let m = self
            .store
            .staff_member(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.colleague(&m)?;
        Ok(m)
    }

    /// Whether this user may see a staff member: one managed inside their area, or by an area
    /// above it (the community's staff are a grid worker's colleagues).
    fn colleague(&self, m: &StaffMember) -> AppResult<()> {
        match self.who.area() {
            Some(own) if m.area_path.contains(own) && !self.who.covers(&m.area_path) => {
                self.who.authorize(Action::Read, own)
            }
            _ => self.who.authorize(Action::Read, &m.area_path),
        }
    }

    /// The staff member of a phone, if this user may see them.
    pub async fn by_phone(&self, phone: &str) -> AppResult<StaffMember> {
        let p = doorstep_core::Phone::parse(phone)
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("staff", p)]))?;
        let m = self
            .store
            .staff_by_phone(p.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        self.colleague(&m)?;
        Ok(m)
    }

    /// The area named by a form's path (the user's own when blank), if it may be managed.
    async fn managed_area(&self, raw: &str) -> AppResult<Area> {
        let path = if raw.trim().is_empty() {
            self.who.area().cloned().ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new("area", Problem::Required)])
            })?
        } else {
            AreaPath::parse(raw)
                .map_err(|p| AppError::Validation(vec![FieldProblem::new("area", p)]))?
        };
        self.who.authorize(Action::ManageStaff, &path)?;
        self.store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The account a form names, if it lies in this user's area (`None` for blank).
    async fn account(&self, username: Option<&str>) -> AppResult<Option<Id>> {
        let name = username.unwrap_or("").trim();
        if name.is_empty() {
            return Ok(None);
        }
        let problem = || AppError::Validation(vec![FieldProblem::new("username", Problem::Choice)]);
        let (user, _) = self.store.user_for_login(name).await?.ok_or_else(problem)?;
        if !self.who.covers(&user.area_path) {
            return Err(problem());
        }
        Ok(Some(user.id))
    }

    /// Adds a staff member to an area's roster.
    pub async fn create(&self, form: &StaffForm) -> AppResult<StaffMember> {
        let area = self.managed_area(&form.area).await?;
        let fields = form.input.parse().map_err(AppError::Validation)?;
        let user_id = self.account(form.username.as_deref()).await?;
        let who = self.who.clone();
        let ctx = self.ctx.clone();
        let path = area.path.clone();
        let m = self
            .store
            .create_staff(
                &NewStaff {
                    area_id: area.id,
                    fields,
                    user_id,
                },
                audit_with(move |m: &StaffMember| {
                    vec![who.audit_entry(
                        &ctx,
                        "staff.create",
                        Some(("staff", m.id)),
                        Some(&path),
                        json!({ "kind": m.fields.kind.code() }),
                    )]
                }),
            )
            .await?;
        Ok(m)
    }

    /// The form that would leave a staff member as they are (the start of a partial change).
    pub fn form_of(m: &StaffMember) -> StaffForm {
        let f = &m.fields;
        StaffForm {
            input: StaffInput {
                name: f.name.clone(),
                phone: f.phone.as_str().to_string(),
                kind: f.kind.code().to_string(),
                skills: f.skills.join("、"),
                availability: f.availability.clone(),
                notes: f.notes.clone(),
            },
            area: m.area_path.to_string(),
            username: None,
            active: Some(m.active),
        }
    }

    /// Changes a staff member's details, account and whether they are working.
    pub async fn update(&self, id: Id, form: &StaffForm) -> AppResult<StaffMember> {
        let m = self.visible(id).await?;
        self.who.authorize(Action::ManageStaff, &m.area_path)?;
        let fields = form.input.parse().map_err(AppError::Validation)?;
        let user_id = match &form.username {
            None => m.user_id,
            Some(name) => self.account(Some(name)).await?,
        };
        let entry = self.entry("staff.update", ("staff", id), &m.area_path, Value::Null);
        let m = self
            .store
            .update_staff(
                id,
                &StaffChange {
                    fields,
                    active: form.active.unwrap_or(m.active),
                    user_id,
                },
                audit_with(move |(before, after): &(StaffMember, StaffMember)| {
                    let mut e = entry;
                    e.details = changes(before, after);
                    vec![e]
                }),
            )
            .await?;
        Ok(m)
    }

    /// Gives the staff member of `phone` a duty in the area at `area` (the CLI's way).
    pub async fn assign_by_phone(
        &self,
        area: &str,
        duty: &str,
        phone: &str,
    ) -> AppResult<DutyAssignment> {
        let m = self.by_phone(phone).await?;
        self.assign(area, duty, m.id).await
    }

    /// Gives a staff member a duty in an area (a grid, compound, building or unit); giving it
    /// again changes nothing.
    pub async fn assign(&self, area: &str, duty: &str, staff_id: Id) -> AppResult<DutyAssignment> {
        let mut problems = Vec::new();
        let path = AreaPath::parse(area)
            .map_err(|p| problems.push(FieldProblem::new("area", p)))
            .ok();
        let duty = Duty::parse(duty);
        if duty.is_none() {
            problems.push(FieldProblem::new("duty", Problem::Choice));
        }
        let (Some(path), Some(duty)) = (path, duty) else {
            return Err(AppError::Validation(problems));
        };
        self.who.authorize(Action::ManageStaff, &path)?;
        let area = self
            .store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)?;
        let m = self.visible(staff_id).await?;
        let entry = self.entry(
            "duty.assign",
            ("staff", m.id),
            &area.path,
            json!({ "duty": duty.code(), "area": area.path.as_str() }),
        );
        let a = self
            .store
            .assign_duty(
                m.id,
                area.id,
                duty,
                self.who.username(),
                audit_with(move |_| vec![entry]),
            )
            .await?;
        Ok(a)
    }

    /// Takes a duty away.
    pub async fn unassign(&self, duty_id: Id) -> AppResult<DutyAssignment> {
        let a = self.store.duty(duty_id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::ManageStaff, &a.area_path)?;
        let entry = self.entry(
            "duty.remove",
            ("staff", a.staff.id),
            &a.area_path,
            json!({ "duty": a.duty.code(), "area": a.area_path.as_str() }),
        );
        Ok(self
            .store
            .remove_duty(duty_id, audit_with(move |_| vec![entry]))
            .await?)
    }

    /// Who owns an area, duty by duty: its own holders, or the nearest area above's (only
    /// working staff count).
    pub async fn owners(&self, area: &AreaPath) -> AppResult<Vec<Owners>> {
        let mut all = self.owners_of_many(std::slice::from_ref(area)).await?;
        Ok(all.remove(area).unwrap_or_default())
    }

    /// [`StaffDesk::owners`] of many areas, with one read of the duties on them and above
    /// them (a bulk of tasks routes thousands of targets this way).
    pub async fn owners_of_many(
        &self,
        areas: &[AreaPath],
    ) -> AppResult<HashMap<AreaPath, Vec<Owners>>> {
        for a in areas {
            self.who.authorize(Action::Read, a)?;
        }
        let mut chains: Vec<AreaPath> = Vec::new();
        for a in areas {
            chains.push(a.clone());
            chains.extend(ancestors(a));
        }
        chains.sort();
        chains.dedup();
        let mut on: HashMap<&AreaPath, Vec<DutyAssignment>> = HashMap::new();
        let all = self.store.duties_on(&chains).await?;
        for d in &all {
            if d.staff.active {
                on.entry(&d.area_path).or_default().push(d.clone());
            }
        }
        let mut out = HashMap::with_capacity(areas.len());
        for area in areas {
            let mut chain = vec![area.clone()];
            chain.extend(ancestors(area));
            let mut owners = Vec::new();
            for duty in Duty::ALL {
                // Nearest first: the area itself, then its parent, and so on.
                let found = chain.iter().find_map(|p| {
                    let here: Vec<DutyAssignment> = on
                        .get(p)
                        .into_iter()
                        .flatten()
                        .filter(|a| a.duty == duty)
                        .cloned()
                        .collect();
                    (!here.is_empty()).then(|| (p.clone(), here))
                });
                if let Some((p, holders)) = found {
                    owners.push(Owners {
                        duty,
                        holders,
                        inherited_from: (p != *area).then_some(p),
                    });
                }
            }
            out.insert(area.clone(), owners);
        }
        Ok(out)
    }

    /// The duties held under an area (the responsibility table, 分包责任表), by area.
    pub async fn table(&self, area: &AreaPath) -> AppResult<Vec<DutyAssignment>> {
        self.who.authorize(Action::Read, area)?;
        let mut all = self.store.duties_under(area).await?;
        // 2号楼 before 10号楼, as people count.
        all.sort_by(|a, b| {
            natural_cmp(a.area_path.as_str(), b.area_path.as_str()).then(a.duty.cmp(&b.duty))
        });
        Ok(all)
    }

    /// The areas of `kind` under `area` with no working owner of `duty` (a gap).
    pub async fn gaps(&self, area: &AreaPath, kind: AreaKind, duty: Duty) -> AppResult<Vec<Area>> {
        self.who.authorize(Action::Read, area)?;
        let mut gaps = self.store.duty_gaps(area, kind, duty).await?;
        gaps.sort_by(|a, b| natural_cmp(a.path.as_str(), b.path.as_str()));
        Ok(gaps)
    }
}

/// The areas above `path`, nearest first.
fn ancestors(path: &AreaPath) -> Vec<AreaPath> {
    std::iter::successors(path.parent(), AreaPath::parent).collect()
}

/// What an update changed, field by field: `{"field": [before, after]}`.
fn changes(before: &StaffMember, after: &StaffMember) -> Value {
    let mut out = serde_json::Map::new();
    let (b, a) = (&before.fields, &after.fields);
    let mut put = |k: &str, x: Value, y: Value| {
        if x != y {
            out.insert(k.to_string(), json!([x, y]));
        }
    };
    put("name", json!(b.name), json!(a.name));
    put("phone", json!(b.phone.as_str()), json!(a.phone.as_str()));
    put("kind", json!(b.kind.code()), json!(a.kind.code()));
    put("skills", json!(b.skills), json!(a.skills));
    put("availability", json!(b.availability), json!(a.availability));
    put("notes", json!(b.notes), json!(a.notes));
    put("active", json!(before.active), json!(after.active));
    put("user_id", json!(before.user_id), json!(after.user_id));
    Value::Object(out)
}

/// The demo community's working force: the demo grid leader, grid worker and volunteer as staff
/// (linked to their logins) owning 佳纷天地, building captains for its first eight buildings
/// (the rest are gaps, as on a real first day), and a few more people. Once made, it is not
/// made again (every `serve --demo` calls it: no writes, no audit entries after the first).
pub async fn demo(store: &dyn Store) -> AppResult<()> {
    if store.staff_by_phone("13700000005").await?.is_some() {
        return Ok(());
    }
    let office = Principal::office();
    let ctx = Ctx::default();
    let desk = StaffDesk::new(store, &office, &ctx);
    let community = crate::demo::COMMUNITY;
    let compound = format!("{community}/佳纷天地");
    let people: [(&str, &str, &str, &str, Option<&str>); 11] = [
        (
            "赵建国",
            "13700000005",
            "网格员",
            "会开车",
            Some("demo-grid-leader"),
        ),
        (
            "钱晓燕",
            "13700000006",
            "网格员",
            "会采样",
            Some("demo-grid-worker"),
        ),
        (
            "孙志强",
            "13700000007",
            "志愿者",
            "会开车",
            Some("demo-volunteer"),
        ),
        ("李秀兰", "13800001001", "党员", "", None),
        ("周海涛", "13800001002", "物业", "", None),
        ("吴桂芳", "13800001003", "志愿者", "会说方言", None),
        ("郑伟", "13800001004", "下沉干部", "", None),
        ("王丽娟", "13800001005", "社区两委", "", None),
        ("冯建军", "13800001006", "物业", "会开车", None),
        ("陈红梅", "13800001007", "医护", "会采样", None),
        ("褚明", "13800001008", "党员", "", None),
    ];
    for (name, phone, kind, skills, login) in people {
        desk.create(&StaffForm {
            input: StaffInput {
                name: name.into(),
                phone: phone.into(),
                kind: kind.into(),
                skills: skills.into(),
                ..StaffInput::default()
            },
            area: community.into(),
            username: login.map(str::to_string),
            active: None,
        })
        .await?;
    }
    let duties: [(&str, Duty, &str); 3] = [
        (compound.as_str(), Duty::AreaLead, "13700000005"),
        (compound.as_str(), Duty::GridWorker, "13700000006"),
        (compound.as_str(), Duty::Volunteer, "13700000007"),
    ];
    for (area, duty, phone) in duties {
        desk.assign_by_phone(area, duty.code(), phone).await?;
    }
    let captains = [
        "13800001001",
        "13800001002",
        "13800001003",
        "13800001004",
        "13800001005",
        "13800001006",
        "13800001007",
        "13800001008",
    ];
    for (i, phone) in captains.iter().enumerate() {
        let building = format!("{compound}/{}号楼", i + 1);
        if store
            .area_by_path(
                &AreaPath::parse(&building)
                    .map_err(|p| AppError::Validation(vec![FieldProblem::new("area", p)]))?,
            )
            .await?
            .is_some()
        {
            desk.assign_by_phone(&building, Duty::BuildingCaptain.code(), phone)
                .await?;
        }
    }
    Ok(())
}
