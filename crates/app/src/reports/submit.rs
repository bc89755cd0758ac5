//! The resident's side: open a link by its token, validate a household's report exactly as an
//! import validates a roster row, place its address under the link's area, and store it once.

use doorstep_core::idempotency::BodyHash;
use doorstep_core::person::{Field, PersonInput, parse_date_optional};
use doorstep_core::roster::{AddressParts, readable_address};
use doorstep_core::text::{tidy, to_half_width};
use doorstep_core::{AreaKind, PersonFields, Problem};
use doorstep_store::{
    Area, Audit, Id, Idempotent, NewReport, Report, ReportLink, ReportStatus, Store, StoreError,
    no_audit,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{PlaceCache, PlaceTree, Purpose};
use crate::clock::{Clock, SystemClock};
use crate::today;

/// How long a resident may view and correct their report.
pub const EDIT_WINDOW_SECS: i64 = 24 * 3600;
/// The most members one household report may list.
pub const MAX_MEMBERS: usize = 20;

/// One member as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct MemberInput {
    /// 姓名
    pub name: String,
    /// 证件类型 (empty: resident ID card)
    pub id_type: String,
    /// 证件号码
    pub id_number: String,
    /// 联系电话 (optional for children)
    pub phone: String,
    /// 与户主关系
    pub relation: String,
}

impl MemberInput {
    /// Whether nothing was typed (an unused block of the form): every text field blank. The
    /// document type is a list with a default, so it alone does not make a member.
    pub fn is_blank(&self) -> bool {
        [&self.name, &self.id_number, &self.phone, &self.relation]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// The address as typed or picked.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct AddressInput {
    /// 小区/楼院
    pub compound: String,
    /// 楼栋
    pub building: String,
    /// 单元
    pub unit: String,
    /// 房号
    pub room: String,
}

/// The purpose's questions as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct AnswersInput {
    /// 来源地 (returnees).
    pub from_place: String,
    /// 风险场所 (risk-place visitors).
    pub risk_place: String,
    /// 到达或接触日期 (or the start of home quarantine).
    pub date: String,
    /// Who told them to home-quarantine.
    pub notified_by: String,
    /// Symptoms (free text; empty or 无 for none).
    pub symptoms: String,
    /// Body temperature in °C.
    pub temperature: String,
    /// Anything else.
    pub notes: String,
}

/// A household's report as the form or a JSON client sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct SubmissionInput {
    /// The client's key: a retry with the same key returns the first report.
    pub idempotency_key: String,
    /// The address.
    pub address: AddressInput,
    /// The members.
    pub members: Vec<MemberInput>,
    /// The purpose's answers.
    pub answers: AnswersInput,
}

impl SubmissionInput {
    /// The hash stored with the idempotency key: everything the report says, the key itself
    /// left out, as typed (a retry sends the same text; another text is another request).
    pub fn body_hash(&self) -> Result<BodyHash, PublicError> {
        let body = SubmissionInput {
            idempotency_key: String::new(),
            ..self.clone()
        };
        serde_json::to_value(&body)
            .map(|v| BodyHash::of(&v))
            .map_err(|e| PublicError::Internal(Box::new(e)))
    }
}

pub use doorstep_core::problem::FieldProblem;

/// Why a public request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    /// No link has this token (404).
    #[error("no such report link")]
    NotFound,
    /// The link expired or was revoked (410).
    #[error("the report link is closed")]
    Closed,
    /// The report has fields to fix (422).
    #[error("invalid report")]
    Invalid(Vec<FieldProblem>),
    /// The report can no longer be corrected (409).
    #[error("the report can no longer be corrected")]
    Locked,
    /// The idempotency key was used on this link for another report (409): nothing is stored
    /// and nothing of the first report is shown.
    #[error("the idempotency key was used for another report")]
    KeyReused,
    /// Storage failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something other than storage failed inside the server (500).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A stored report as the resident gets it back.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The report.
    pub report: Report,
    /// False when the idempotency key found an earlier report.
    pub created: bool,
}

/// A validated report, before it is stored.
pub(super) struct Checked {
    /// The building or unit of the address.
    pub area_id: Id,
    pub room: String,
    pub address: String,
    pub members: Value,
    pub answers: Value,
}

/// The link of a token, if it takes reports now.
pub async fn open_link(
    store: &dyn Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<ReportLink, PublicError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 64 {
        return Err(PublicError::NotFound);
    }
    let link = store
        .report_link_by_token(token)
        .await?
        .ok_or(PublicError::NotFound)?;
    if link.revoked_at.is_some() || link.expires_at.is_some_and(|e| e <= now) {
        return Err(PublicError::Closed);
    }
    Ok(link)
}

/// Validates and stores a household's report through a link. A retry with the same
/// idempotency key and the same body returns the first report, even from a concurrent
/// duplicate; the same key with another body is [`PublicError::KeyReused`].
pub async fn submit(
    store: &dyn Store,
    token: &str,
    input: &SubmissionInput,
) -> Result<Submitted, PublicError> {
    submit_with(store, &PlaceCache::new(), token, input, SystemClock.now()).await
}

/// [`submit`] at `now` (the request's clock), placing the address with the areas a server
/// keeps in memory.
pub async fn submit_with(
    store: &dyn Store,
    places: &PlaceCache,
    token: &str,
    input: &SubmissionInput,
    now: OffsetDateTime,
) -> Result<Submitted, PublicError> {
    let link = open_link(store, token, now).await?;
    let key = idempotency_key(&input.idempotency_key)?;
    let body_hash = input.body_hash()?;
    let c = check(store, places, &link, input).await?;
    store_checked(
        store,
        &link,
        Stored {
            key,
            body_hash,
            edit_secs: EDIT_WINDOW_SECS,
            filed_by: None,
            at: now,
        },
        c,
        no_audit(),
    )
    .await
}

/// How a checked report is kept: its key and body hash, how long the resident may correct
/// it, and who filled it in when not the resident.
pub(super) struct Stored {
    pub key: String,
    pub body_hash: BodyHash,
    pub edit_secs: i64,
    pub filed_by: Option<String>,
    /// The request's time.
    pub at: OffsetDateTime,
}

/// Stores a checked report through `link` once (the key finds a retry), auditing with `audit`.
pub(super) async fn store_checked(
    store: &dyn Store,
    link: &ReportLink,
    how: Stored,
    c: Checked,
    audit: Audit<Idempotent<Report>>,
) -> Result<Submitted, PublicError> {
    let receipt = receipt_code()?;
    let stored = store
        .submit_report(
            &NewReport {
                link_id: link.id,
                idempotency_key: how.key,
                body_hash: how.body_hash,
                receipt,
                purpose: link.purpose,
                area_id: c.area_id,
                room: c.room,
                address: c.address,
                members: c.members,
                answers: c.answers,
                edit_secs: how.edit_secs,
                filed_by: how.filed_by,
                at: how.at,
            },
            audit,
        )
        .await?;
    match stored {
        Idempotent::Created(report) => Ok(Submitted {
            report,
            created: true,
        }),
        Idempotent::Replayed(report) => Ok(Submitted {
            report,
            created: false,
        }),
        Idempotent::KeyReused => Err(PublicError::KeyReused),
    }
}

/// The report behind a link and receipt, for the resident's view-and-correct page.
pub async fn receipt_report(
    store: &dyn Store,
    token: &str,
    receipt: &str,
) -> Result<(ReportLink, Report), PublicError> {
    let link = store
        .report_link_by_token(token.trim())
        .await?
        .ok_or(PublicError::NotFound)?;
    let report = store
        .report_by_receipt(link.id, receipt.trim())
        .await?
        .ok_or(PublicError::NotFound)?;
    Ok((link, report))
}

/// Whether the resident may still correct a report at `now`.
pub fn correctable(report: &Report, now: OffsetDateTime) -> bool {
    report.status == ReportStatus::Pending && report.edit_until > now
}

/// Replaces a pending report's content within its correction window.
pub async fn correct(
    store: &dyn Store,
    token: &str,
    receipt: &str,
    input: &SubmissionInput,
) -> Result<Report, PublicError> {
    correct_with(
        store,
        &PlaceCache::new(),
        token,
        receipt,
        input,
        SystemClock.now(),
    )
    .await
}

/// [`correct`], placing the address with the areas a server keeps in memory.
pub async fn correct_with(
    store: &dyn Store,
    places: &PlaceCache,
    token: &str,
    receipt: &str,
    input: &SubmissionInput,
    now: OffsetDateTime,
) -> Result<Report, PublicError> {
    let (_, report) = receipt_report(store, token, receipt).await?;
    let link = open_link(store, token, now).await?;
    if !correctable(&report, now) {
        return Err(PublicError::Locked);
    }
    let c = check(store, places, &link, input).await?;
    let done = store
        .correct_report(
            report.id,
            &NewReport {
                link_id: link.id,
                idempotency_key: report.idempotency_key.clone(),
                // Not stored: the key keeps the hash of the first submission.
                body_hash: input.body_hash()?,
                receipt: report.receipt.clone(),
                purpose: link.purpose,
                area_id: c.area_id,
                room: c.room,
                address: c.address,
                members: c.members,
                answers: c.answers,
                edit_secs: EDIT_WINDOW_SECS,
                filed_by: report.filed_by.clone(),
                at: now,
            },
        )
        .await?;
    if !done {
        return Err(PublicError::Locked);
    }
    store.report(report.id).await?.ok_or(PublicError::NotFound)
}

pub(super) fn idempotency_key(raw: &str) -> Result<String, PublicError> {
    doorstep_core::idempotency::key(raw)
        .map_err(|p| PublicError::Invalid(vec![FieldProblem::new("idempotency_key", p)]))
}

/// A receipt code: 16 hex digits (64 random bits), the secret of the view-and-correct link.
fn receipt_code() -> Result<String, PublicError> {
    crate::auth::random_hex(8)
        .map(|s| s.to_uppercase())
        .map_err(|e| PublicError::Internal(Box::new(e)))
}

/// Validates every part of a report and reports every problem with its path.
async fn check(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
    input: &SubmissionInput,
) -> Result<Checked, PublicError> {
    let mut errors: Vec<FieldProblem> = Vec::new();
    let (members, answers) =
        check_content(link, &input.members, &input.answers, today(), &mut errors);
    let a = &input.address;
    let place = match AddressParts::parse(&a.compound, &a.building, &a.unit, &a.room) {
        Ok(parts) => match place_cached(store, places, link, &parts).await? {
            Ok((area, address)) => Some((area, parts.room, address)),
            Err(p) => {
                errors.push(p);
                None
            }
        },
        Err(problems) => {
            errors.extend(
                problems
                    .into_iter()
                    .map(|(f, p)| FieldProblem::new(format!("address.{}", f.key()), p)),
            );
            None
        }
    };
    match place {
        // Whether the room is new is decided by the store as it writes the report.
        Some((area, room, address)) if errors.is_empty() => Ok(Checked {
            area_id: area.id,
            room,
            address,
            members,
            answers,
        }),
        _ => Err(PublicError::Invalid(errors)),
    }
}

/// A report's members and answers, validated as of `today`; every problem goes to `errors`.
pub(super) fn check_content(
    link: &ReportLink,
    members: &[MemberInput],
    answers: &AnswersInput,
    today: time::Date,
    errors: &mut Vec<FieldProblem>,
) -> (Value, Value) {
    let members = check_members(members, today, errors);
    let answers = check_answers(link.purpose, link, answers, today, errors);
    (members, answers)
}

/// The members as stored: validated, normalised, one object each.
fn check_members(
    members: &[MemberInput],
    today: time::Date,
    errors: &mut Vec<FieldProblem>,
) -> Value {
    let given: Vec<(usize, &MemberInput)> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_blank())
        .collect();
    if given.is_empty() {
        errors.push(FieldProblem::new("members", Problem::Required));
        return Value::Array(Vec::new());
    }
    if members.len() > MAX_MEMBERS {
        errors.push(FieldProblem::new(
            "members",
            Problem::TooManyMembers { max: MAX_MEMBERS },
        ));
        return Value::Array(Vec::new());
    }
    let mut out = Vec::new();
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    for (i, m) in given {
        match PersonFields::parse(&member_person_input(m), today) {
            Ok(f) => {
                let key = (f.doc().doc_type().code(), f.doc().number().to_string());
                if seen.contains(&key) {
                    errors.push(FieldProblem::new(
                        format!("members[{i}].id_number"),
                        Problem::DuplicateMember,
                    ));
                }
                seen.push(key);
                out.push(member_json(&f));
            }
            Err(problems) => {
                errors.extend(problems.into_iter().map(|(field, p)| {
                    FieldProblem::new(format!("members[{i}].{}", field.key()), p)
                }))
            }
        }
    }
    Value::Array(out)
}

/// The roster fields of a member (the report asks no sex or birth date: the ID carries them).
fn member_person_input(m: &MemberInput) -> PersonInput {
    PersonInput {
        name: m.name.clone(),
        id_type: m.id_type.clone(),
        id_number: m.id_number.clone(),
        phone: m.phone.clone(),
        relation: m.relation.clone(),
        ..PersonInput::default()
    }
}

/// A validated member as stored in the report.
pub fn member_json(f: &PersonFields) -> Value {
    json!({
        "name": f.name(),
        "id_type": f.doc().doc_type().code(),
        "id_number": f.doc().number(),
        "phone": f.phone().map(|p| p.as_str()),
        "relation": f.relation(),
    })
}

/// The stored members of a report, as person fields (validated again: storage is not trusted
/// to still say what was checked, and the rules are the import's).
pub fn stored_members(report: &Report) -> Vec<Result<PersonFields, Vec<(Field, Problem)>>> {
    let text = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    report
        .members
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let input = PersonInput {
                name: text(m, "name"),
                id_type: text(m, "id_type"),
                id_number: text(m, "id_number"),
                phone: text(m, "phone"),
                relation: text(m, "relation"),
                ..PersonInput::default()
            };
            PersonFields::parse(&input, today())
        })
        .collect()
}

fn check_answers(
    purpose: Purpose,
    link: &ReportLink,
    a: &AnswersInput,
    today: time::Date,
    errors: &mut Vec<FieldProblem>,
) -> Value {
    let mut out = Map::new();
    let mut text = |key: &str, raw: &str, max: usize, required: bool| {
        let s = tidy(raw);
        if s.is_empty() {
            if required {
                errors.push(FieldProblem::new(
                    format!("answers.{key}"),
                    Problem::Required,
                ));
            }
        } else if s.chars().count() > max {
            errors.push(FieldProblem::new(
                format!("answers.{key}"),
                Problem::TooLong { max },
            ));
        } else {
            out.insert(key.to_string(), Value::String(s));
        }
    };
    if purpose.asks_from_place() {
        text("from_place", &a.from_place, 50, true);
    }
    if purpose.asks_notified_by() {
        text("notified_by", &a.notified_by, 50, false);
    }
    if purpose.asks_health() {
        text("symptoms", &a.symptoms, 100, false);
    }
    text("notes", &a.notes, 200, false);
    if purpose.asks_risk_place() {
        let place = tidy(&a.risk_place);
        let offered = offered_risk_places(link);
        if place.is_empty() {
            errors.push(FieldProblem::new("answers.risk_place", Problem::Required));
        } else if !offered.contains(&place) {
            errors.push(FieldProblem::new("answers.risk_place", Problem::Choice));
        } else {
            out.insert("risk_place".into(), Value::String(place));
        }
    }
    if purpose != Purpose::Census {
        match parse_date_optional(&a.date, today) {
            Ok(Some(d)) => {
                out.insert("date".into(), Value::String(d.to_string()));
            }
            Ok(None) if purpose.date_required() => {
                errors.push(FieldProblem::new("answers.date", Problem::Required));
            }
            Ok(None) => {}
            Err(p) => errors.push(FieldProblem::new("answers.date", p)),
        }
    }
    if purpose.asks_health() {
        let t = tidy(&to_half_width(&a.temperature));
        let t = t.trim_end_matches(['℃', 'C', 'c', '°']).trim();
        if !t.is_empty() {
            match t.parse::<f64>() {
                Ok(v) if (34.0..=43.0).contains(&v) => {
                    out.insert("temperature".into(), json!((v * 10.0).round() / 10.0));
                }
                _ => errors.push(FieldProblem::new(
                    "answers.temperature",
                    Problem::Temperature,
                )),
            }
        }
    }
    Value::Object(out)
}

/// The risk places a link offers.
pub fn offered_risk_places(link: &ReportLink) -> Vec<String> {
    if link.risk_places.is_empty() {
        Purpose::DEFAULT_RISK_PLACES
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        link.risk_places.clone()
    }
}

/// Places an address with the link's tree from memory, reading the tree again once if it
/// does not know a name (an area created since it was read).
async fn place_cached(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
    parts: &AddressParts,
) -> Result<Result<(Area, String), FieldProblem>, StoreError> {
    let tree = places.tree(store, link.area_id).await?;
    match place(&tree, parts) {
        Err(miss) => match places.reload_stale(store, &tree).await? {
            Some(fresh) => Ok(place(&fresh, parts)),
            None => Ok(Err(miss)),
        },
        found => Ok(found),
    }
}

/// Places an address under the link's area without creating anything: the compound, building
/// and unit must be in the registry under the link's area; the room may be new.
fn place(tree: &PlaceTree, parts: &AddressParts) -> Result<(Area, String), FieldProblem> {
    let mut cur = &tree.base;
    let levels = [
        (AreaKind::Compound, &parts.compound, Field::Compound),
        (AreaKind::Building, &parts.building, Field::Building),
        (AreaKind::Unit, &parts.unit, Field::Unit),
    ];
    let outside =
        |f: Field| FieldProblem::new(format!("address.{}", f.key()), Problem::OutsideArea);
    for (kind, name, field) in levels {
        let Some(name) = name else { continue };
        if cur.kind >= kind {
            // The link's own area (or one above it) named again: it must be the same one.
            if !cur.path.names().any(|n| n == name.as_str()) {
                return Err(outside(field));
            }
            continue;
        }
        let found = if kind == AreaKind::Compound {
            tree.compound_named(&cur.path, name)
        } else {
            match cur.path.child(name) {
                Ok(p) => tree.area(&p).filter(|a| a.kind == kind),
                Err(_) => None,
            }
        };
        match found {
            Some(a) => cur = a,
            None => return Err(outside(field)),
        }
    }
    if !cur.kind.holds_households() {
        return Err(FieldProblem::new("address.building", Problem::NoBuilding));
    }
    let address = readable_address([tree.prefix(&cur.path).as_str()], &parts.room);
    Ok((cur.clone(), address))
}
