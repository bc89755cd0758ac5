//! What the resident's form shows: the address as steps (compound, building, unit: a list of
//! choices each, nothing chosen for them), then the form with the room, the members and the
//! link's questions, every problem at its field and once more in a summary at the top that
//! links to it.

use askama::Template;
use askama_web::WebTemplate;
use doorstep_app::reports::{AddressChoices, FieldProblem, Pick};
use doorstep_core::Problem;
use doorstep_core::text::tidy;
use doorstep_store::ReportLink;

use crate::i18n::T;
use crate::pages::Nav;
use crate::pages::field::Field;

/// A list longer than this gets a filter box.
const FILTER_FROM: usize = 8;

/// The member fields of the form, in its order: (key, label key, input type, required).
const MEMBER_FIELDS: [(&str, &str, &str, bool); 5] = [
    ("name", "name", "text", true),
    ("id_type", "id_type", "select", true),
    ("id_number", "id_number", "text", true),
    ("phone", "rf_phone", "tel", false),
    ("relation", "relation", "text", false),
];

/// One member's block.
pub struct MemberBlock {
    /// 1-based, for people.
    pub no: usize,
    /// 0-based, for the remove button.
    pub index: usize,
    /// Its inputs.
    pub inputs: Vec<Field>,
}

/// One line of the error summary: the field's id (`None`: not a field of the page) and what
/// is wrong.
pub struct SummaryLine {
    /// The element to jump to.
    pub target: Option<String>,
    /// The field's label and the problem.
    pub text: String,
}

/// The form page.
#[derive(Template, WebTemplate)]
#[template(path = "report_form.html")]
pub struct ReportFormPage {
    pub(super) t: T,
    pub(super) nav: Nav,
    pub(super) title: String,
    pub(super) area_name: String,
    /// Where the form posts: `/r/{token}`, or the correction page.
    pub(super) action: String,
    /// Correcting a stored report rather than submitting a new one.
    pub(super) correcting: bool,
    pub(super) place_id: i64,
    pub(super) place_label: String,
    /// Where "choose another address" leads, when there was something to choose.
    pub(super) change_place: Option<String>,
    pub(super) place_error: Option<String>,
    pub(super) rooms: Vec<String>,
    pub(super) room: String,
    pub(super) room_other: String,
    pub(super) room_error: Option<String>,
    pub(super) idempotency_key: String,
    pub(super) members: Vec<MemberBlock>,
    pub(super) n: usize,
    pub(super) answers: Vec<Field>,
    pub(super) summary: Vec<SummaryLine>,
    /// Notices for the link's area (`pages::notices`).
    pub(super) notices: Vec<crate::pages::notices::NoticeLine>,
}

/// A step of the address: the compounds, a compound's buildings or a building's units.
#[derive(Template, WebTemplate)]
#[template(path = "report_place.html")]
pub struct PlacePage {
    pub(super) t: T,
    pub(super) nav: Nav,
    pub(super) title: String,
    pub(super) area_name: String,
    pub(super) correcting: bool,
    /// The page itself (the filter's GET goes there).
    pub(super) action: String,
    /// What is picked so far, e.g. `佳纷天地 3号楼`, and where to start again.
    pub(super) picked: String,
    pub(super) restart: String,
    /// The place the filter keeps (none at the first step).
    pub(super) place: Option<i64>,
    pub(super) heading: &'static str,
    /// Whether the list gets a filter box.
    pub(super) filter: bool,
    pub(super) q: String,
    /// (link, name) of each choice the filter lets through.
    pub(super) items: Vec<(String, String)>,
    /// Why the form came back to this step (a report without an address).
    pub(super) error: Option<String>,
}

/// The page's shared parts: the link, the language, where the form lives.
pub struct View<'a> {
    pub t: T,
    pub link: &'a ReportLink,
    pub token: &'a str,
    /// Where the form posts and its steps are got from.
    pub action: &'a str,
}

impl View<'_> {
    fn nav(&self) -> Nav {
        Nav::resident(&format!("/r/{}", self.token), self.action)
    }

    fn correcting(&self) -> bool {
        self.action != format!("/r/{}", self.token)
    }

    /// The step after `pick`, the list filtered by `q`.
    pub fn place_page(&self, pick: &Pick<'_>, choices: &AddressChoices, q: &str) -> PlacePage {
        let t = self.t;
        let (heading, place, all): (_, _, Vec<(i64, &str)>) = match (pick.compound, pick.building) {
            (None, _) => (
                "rf_choose_compound",
                None,
                choices
                    .compounds
                    .iter()
                    .map(|c| (c.id, c.name.as_str()))
                    .collect(),
            ),
            (Some(c), None) => (
                "rf_choose_building",
                Some(c.id),
                c.buildings
                    .iter()
                    .map(|b| (b.id, b.name.as_str()))
                    .collect(),
            ),
            (Some(_), Some(b)) => (
                "rf_choose_unit",
                Some(b.id),
                b.units.iter().map(|u| (u.id, u.name.as_str())).collect(),
            ),
        };
        let want = tidy(q).to_lowercase();
        let items = all
            .iter()
            .filter(|(_, name)| want.is_empty() || name.to_lowercase().contains(&want))
            .map(|(id, name)| (format!("{}?place={id}", self.action), name.to_string()))
            .collect();
        PlacePage {
            t,
            nav: self.nav(),
            title: self.link.purpose.label(t.0).to_string(),
            area_name: self.link.area_path.name().to_string(),
            correcting: self.correcting(),
            action: self.action.to_string(),
            picked: picked_label(pick),
            restart: format!("{}?place=0", self.action),
            place: place.filter(|id| *id != 0),
            heading: t.s(heading),
            filter: all.len() > FILTER_FROM,
            q: tidy(q),
            items,
            error: None,
        }
    }

    /// The form at the picked place, filled in with `get`, `n` member blocks, `problems` at
    /// their fields and in the summary.
    pub fn form_page(
        &self,
        pick: &Pick<'_>,
        choices: &AddressChoices,
        get: &dyn Fn(&str) -> String,
        n: usize,
        problems: &[FieldProblem],
    ) -> ReportFormPage {
        let (t, lang, purpose) = (self.t, self.t.0, self.link.purpose);
        let err = |path: &str| {
            problems
                .iter()
                .find(|p| p.path == path)
                .map(|p| p.problem.message(lang))
        };
        let colon = lang.pick("：", ": ");
        let place_error = ["address.compound", "address.building", "address.unit"]
            .iter()
            .find_map(|p| err(p));
        let mut summary: Vec<SummaryLine> = place_error
            .iter()
            .map(|e| SummaryLine {
                target: Some("f-place".into()),
                text: format!("{}{colon}{e}", t.s("address")),
            })
            .collect();
        // The paths the page shows at a field; anything else is said in the summary alone.
        let mut used: Vec<String> = [
            "address.compound",
            "address.building",
            "address.unit",
            "members",
        ]
        .map(String::from)
        .to_vec();
        let mut note = |path: &str, target: &str, label: &str, msg: &Option<String>| {
            used.push(path.to_string());
            if let Some(m) = msg {
                summary.push(SummaryLine {
                    target: Some(target.to_string()),
                    text: format!("{label}{colon}{m}"),
                });
            }
        };
        let rooms = pick.rooms().to_vec();
        let room_error =
            problems
                .iter()
                .find(|p| p.path == "address.room")
                .map(|p| match p.problem {
                    Problem::Required => t.s("rf_room_required").to_string(),
                    ref other => other.message(lang),
                });
        let room_target = if rooms.is_empty() {
            "f-room-other"
        } else {
            "f-room"
        };
        note("address.room", room_target, t.s("room"), &room_error);

        // No member given at all: the message goes to the first member's name.
        let none_given = err("members");
        let members = (0..n)
            .map(|i| {
                let inputs = MEMBER_FIELDS
                    .iter()
                    .map(|&(key, label, kind, required)| {
                        let name = format!("m{i}_{key}");
                        let path = format!("members[{i}].{key}");
                        let mut error = err(&path);
                        if i == 0 && key == "name" && error.is_none() {
                            error = none_given.clone();
                        }
                        let label = t.s(label).to_string();
                        let who = format!("{} {} · {label}", t.s("rf_member"), i + 1);
                        note(&path, &format!("f-{name}"), &who, &error);
                        if kind == "select" {
                            Field::doc_type(&name, &label, &get(&name), required, error, lang)
                        } else {
                            Field::text(&name, &label, &get(&name), kind, required, error)
                        }
                    })
                    .collect();
                MemberBlock {
                    no: i + 1,
                    index: i,
                    inputs,
                }
            })
            .collect();

        let answers = purpose
            .questions()
            .into_iter()
            .map(|q| {
                let name = q.code().to_string();
                let path = format!("answers.{name}");
                let label = q.label(purpose, lang).to_string();
                let error = err(&path);
                note(&path, &format!("f-{name}"), &label, &error);
                Field::question(q, self.link, &name, &get(&name), error, t)
            })
            .collect();
        // Anything the page has no field for (a form sent by hand) is still said.
        for p in problems.iter().filter(|p| !used.contains(&p.path)) {
            summary.push(SummaryLine {
                target: None,
                text: p.problem.message(lang),
            });
        }

        let start = format!("{}?place=0", self.action);
        let chose = choices.compounds.len() > 1
            || choices
                .compounds
                .iter()
                .any(|c| c.buildings.len() > 1 || c.buildings.iter().any(|b| b.units.len() > 1));
        ReportFormPage {
            t,
            nav: self.nav(),
            title: purpose.label(lang).to_string(),
            area_name: self.link.area_path.name().to_string(),
            action: self.action.to_string(),
            correcting: self.correcting(),
            place_id: pick.place().unwrap_or(0),
            place_label: picked_label(pick),
            change_place: chose.then_some(start),
            place_error,
            room: get("room"),
            room_other: get("room_other"),
            rooms,
            room_error,
            idempotency_key: get("idempotency_key"),
            members,
            n,
            answers,
            summary,
            notices: Vec::new(),
        }
    }
}

/// The names picked so far, e.g. `佳纷天地 3号楼 2单元`.
fn picked_label(pick: &Pick<'_>) -> String {
    [
        pick.compound.map(|c| c.name.as_str()),
        pick.building.map(|b| b.name.as_str()),
        pick.unit.map(|u| u.name.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
}
