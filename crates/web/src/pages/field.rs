//! One input of a report form as the resident's form (`/r/{token}`) and 代报 (a worker filing
//! for a household) show it, with its label, value and problem: the template `field.html`.

use doorstep_core::{DocType, Lang, Purpose, Question};
use doorstep_store::ReportLink;

use crate::i18n::T;

/// One input; its element's id is `f-{name}`, its message's `e-{name}`.
pub struct Field {
    /// The form field's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// What it holds.
    pub value: String,
    /// `text`, `tel`, `date`, `select`.
    pub kind: &'static str,
    /// The keyboard a phone should offer (`inputmode`), or empty.
    pub inputmode: &'static str,
    /// The options of a select: (value, label).
    pub options: Vec<(String, String)>,
    /// The problem with it, in the reader's language.
    pub error: Option<String>,
    /// Whether it must be filled in.
    pub required: bool,
}

impl Field {
    /// A text input (`kind` `text`, `tel` or `date`; a phone gets the phone keyboard).
    pub fn text(
        name: &str,
        label: &str,
        value: &str,
        kind: &'static str,
        required: bool,
        error: Option<String>,
    ) -> Field {
        Field {
            name: name.to_string(),
            label: label.to_string(),
            value: value.to_string(),
            kind,
            inputmode: if kind == "tel" { "tel" } else { "" },
            options: Vec::new(),
            error,
            required,
        }
    }

    /// The list of document types, in the reader's language.
    pub fn doc_type(
        name: &str,
        label: &str,
        value: &str,
        required: bool,
        error: Option<String>,
        lang: Lang,
    ) -> Field {
        Field {
            kind: "select",
            options: DocType::ALL
                .iter()
                .map(|d| {
                    let label = lang.pick(d.label_zh(), d.label_en());
                    (d.code().to_string(), label.to_string())
                })
                .collect(),
            ..Field::text(name, label, value, "text", required, error)
        }
    }

    /// A question of `link`'s purpose, labelled as core asks it: the risk place from the
    /// link's list, the date as a date, the temperature with the number keyboard.
    pub fn question(
        q: Question,
        link: &ReportLink,
        name: &str,
        value: &str,
        error: Option<String>,
        t: T,
    ) -> Field {
        let purpose = link.purpose;
        let label = q.label(purpose, t.0);
        let required = q.required(purpose);
        match q {
            Question::RiskPlace => Field {
                kind: "select",
                options: std::iter::once((String::new(), t.s("rf_choose").to_string()))
                    .chain(
                        doorstep_app::reports::offered_risk_places(link)
                            .into_iter()
                            .map(|p| (p.clone(), p)),
                    )
                    .collect(),
                ..Field::text(name, label, value, "text", required, error)
            },
            Question::Date if purpose != Purpose::Census => {
                Field::text(name, label, value, "date", required, error)
            }
            Question::Temperature => Field {
                inputmode: "decimal",
                ..Field::text(name, label, value, "text", required, error)
            },
            _ => Field::text(name, label, value, "text", required, error),
        }
    }
}
