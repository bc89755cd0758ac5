//! 代报: a worker files a household's self-report on its behalf, from the household page. The
//! page knows the address and the registered members (shown masked, ticked by default); the
//! worker picks the link (when more than one open link covers the household), answers the
//! link's questions and may add one member not yet registered. It goes through
//! `ReportDesk::file_for_household`, as the API does.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::reports::{
    AnswersInput, MemberInput, OnBehalfChoices, OnBehalfInput, ReportDesk,
};
use doorstep_core::Question;
use doorstep_core::problem::FieldProblem;
use doorstep_store::{Id, ReportLink};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;
use crate::pages::field::Field;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/households/{id}/report", get(form).post(submit))
}

/// A registered member to tick.
pub struct MemberChoice {
    id: Id,
    name: String,
    relation: String,
    id_number: String,
    checked: bool,
    error: Option<String>,
}

/// A link to file through.
pub struct LinkChoice {
    id: Id,
    title: String,
    area: String,
}

/// The 代报 page: choose a link, or fill in the report, or what was filed.
#[derive(Template, WebTemplate)]
#[template(path = "file_report.html")]
pub struct FileReportPage {
    t: T,
    nav: Nav,
    csrf: String,
    household_id: Id,
    address: String,
    /// The links to choose from (when none is chosen yet).
    links: Vec<LinkChoice>,
    /// The chosen link.
    link: Option<LinkChoice>,
    members: Vec<MemberChoice>,
    extra: Vec<Field>,
    answers: Vec<Field>,
    idempotency_key: String,
    /// Every problem, for the summary at the top: (field id, text).
    problems: Vec<(String, String)>,
    /// The report filed: (its id, whether this user may open it in the queue).
    done: Option<(Id, bool)>,
}

/// Which link (none: choose).
#[derive(Debug, Deserialize)]
struct LinkQuery {
    link: Option<Id>,
}

async fn form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, PageError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let choices = desk.on_behalf_choices(id).await.map_err(|e| u.fail(e))?;
    let chosen = pick_link(&choices, q.link);
    let key = doorstep_app::auth::random_hex(16).map_err(|e| u.fail(e))?;
    let posted = Posted {
        idempotency_key: key,
        ..Posted::default()
    };
    Ok(page(&u, &choices, chosen, &posted, &[], None).into_response())
}

/// The chosen link: the one asked for, or the only one.
fn pick_link(c: &OnBehalfChoices, asked: Option<Id>) -> Option<&ReportLink> {
    match asked {
        Some(id) => c.links.iter().find(|l| l.id == id),
        None if c.links.len() == 1 => c.links.first(),
        None => None,
    }
}

/// The form as posted: repeated `person` boxes, the extra member `x_*`, the answers `a_*`.
#[derive(Debug, Default)]
struct Posted {
    csrf: String,
    link: Option<Id>,
    idempotency_key: String,
    persons: Option<Vec<Id>>,
    extra: MemberInput,
    answers: AnswersInput,
}

impl Posted {
    fn read(pairs: Vec<(String, String)>) -> Posted {
        let mut p = Posted {
            persons: Some(Vec::new()),
            ..Posted::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => p.csrf = v,
                "link" => p.link = v.parse().ok(),
                "idempotency_key" => p.idempotency_key = v,
                "person" => {
                    if let (Some(list), Ok(id)) = (p.persons.as_mut(), v.parse()) {
                        list.push(id);
                    }
                }
                "x_name" => p.extra.name = v,
                "x_id_type" => p.extra.id_type = v,
                "x_id_number" => p.extra.id_number = v,
                "x_phone" => p.extra.phone = v,
                "x_relation" => p.extra.relation = v,
                other => {
                    if let Some(q) = other.strip_prefix("a_").and_then(Question::from_stored) {
                        *answer_mut(&mut p.answers, q) = v;
                    }
                }
            }
        }
        p
    }

    fn answer(&self, q: Question) -> &str {
        match q {
            Question::FromPlace => &self.answers.from_place,
            Question::RiskPlace => &self.answers.risk_place,
            Question::Date => &self.answers.date,
            Question::NotifiedBy => &self.answers.notified_by,
            Question::Symptoms => &self.answers.symptoms,
            Question::Temperature => &self.answers.temperature,
            Question::Notes => &self.answers.notes,
        }
    }
}

fn answer_mut(a: &mut AnswersInput, q: Question) -> &mut String {
    match q {
        Question::FromPlace => &mut a.from_place,
        Question::RiskPlace => &mut a.risk_place,
        Question::Date => &mut a.date,
        Question::NotifiedBy => &mut a.notified_by,
        Question::Symptoms => &mut a.symptoms,
        Question::Temperature => &mut a.temperature,
        Question::Notes => &mut a.notes,
    }
}

async fn submit(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let posted = Posted::read(pairs);
    u.check_csrf(&posted.csrf)?;
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let choices = desk.on_behalf_choices(id).await.map_err(|e| u.fail(e))?;
    let chosen = pick_link(&choices, posted.link);
    let input = OnBehalfInput {
        link_id: chosen.map_or(0, |l| l.id),
        idempotency_key: posted.idempotency_key.clone(),
        person_ids: posted.persons.clone(),
        members: vec![posted.extra.clone()],
        answers: posted.answers.clone(),
    };
    match desk.file_for_household(id, &input).await {
        Ok(done) => {
            let may_review = u.who.may(Action::Write);
            Ok(page(
                &u,
                &choices,
                chosen,
                &posted,
                &[],
                Some((done.report.id, may_review)),
            )
            .into_response())
        }
        Err(AppError::Validation(problems)) => {
            Ok(page(&u, &choices, chosen, &posted, &problems, None).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// The page for `choices`, with what was posted and its problems.
fn page(
    u: &PageUser,
    choices: &OnBehalfChoices,
    chosen: Option<&ReportLink>,
    posted: &Posted,
    problems: &[FieldProblem],
    done: Option<(Id, bool)>,
) -> FileReportPage {
    let t = u.t;
    let lang = t.0;
    let err = |path: &str| {
        problems
            .iter()
            .find(|p| p.path == path)
            .map(|p| p.problem.message(lang))
    };
    let link_choice = |l: &ReportLink| LinkChoice {
        id: l.id,
        title: l.purpose.label(lang).to_string(),
        area: l.area_path.to_string(),
    };
    let members = choices
        .members
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = &v.person.fields;
            MemberChoice {
                id: v.person.id,
                name: f.name().to_string(),
                relation: f.relation().unwrap_or("").to_string(),
                id_number: v.id_number.clone(),
                checked: posted
                    .persons
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&v.person.id)),
                error: err(&format!("person_ids[{i}]")),
            }
        })
        .collect();
    let x = &posted.extra;
    let extra = vec![
        Field::text(
            "x_name",
            t.s("name"),
            &x.name,
            "text",
            false,
            err("members[0].name"),
        ),
        Field::doc_type(
            "x_id_type",
            t.s("id_type"),
            &x.id_type,
            false,
            err("members[0].id_type"),
            lang,
        ),
        Field::text(
            "x_id_number",
            t.s("id_number"),
            &x.id_number,
            "text",
            false,
            err("members[0].id_number"),
        ),
        Field::text(
            "x_phone",
            t.s("rf_phone"),
            &x.phone,
            "tel",
            false,
            err("members[0].phone"),
        ),
        Field::text(
            "x_relation",
            t.s("relation"),
            &x.relation,
            "text",
            false,
            err("members[0].relation"),
        ),
    ];
    let answers: Vec<Field> = chosen
        .map(|l| {
            l.purpose
                .questions()
                .into_iter()
                .map(|q| {
                    let name = format!("a_{}", q.code());
                    let error = err(&format!("answers.{}", q.code()));
                    Field::question(q, l, &name, posted.answer(q), error, t)
                })
                .collect()
        })
        .unwrap_or_default();
    // The summary names each problem with its field's label and links to the field.
    let problems = problems
        .iter()
        .map(|p| {
            let target = match p.path.as_str() {
                "link_id" => "links".to_string(),
                path if path == "members" || path.starts_with("person_ids") => {
                    "members".to_string()
                }
                path => path
                    .strip_prefix("members[0].")
                    .map(|k| format!("f-x_{k}"))
                    .or_else(|| path.strip_prefix("answers.").map(|k| format!("f-a_{k}")))
                    .unwrap_or_default(),
            };
            let label = match target.as_str() {
                "links" => t.s("ob_choose_link"),
                "members" => t.s("ob_members"),
                id => extra
                    .iter()
                    .chain(answers.iter())
                    .find(|f| format!("f-{}", f.name) == id)
                    .map_or("", |f| f.label.as_str()),
            };
            let text = p.problem.message(lang);
            let text = if label.is_empty() {
                text
            } else {
                format!("{label}{}{text}", lang.pick("：", ": "))
            };
            (target, text)
        })
        .collect();
    FileReportPage {
        t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        household_id: choices.household.id,
        address: choices.household.address.clone(),
        links: choices.links.iter().map(link_choice).collect(),
        link: chosen.map(link_choice),
        members,
        extra,
        answers,
        idempotency_key: posted.idempotency_key.clone(),
        problems,
        done,
    }
}
