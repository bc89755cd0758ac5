//! Self-report's kinds and states: what a report link is for (and what each purpose asks), and
//! where a report stands in review. Stored as their codes; `from_stored` reads them back.

use crate::lang::Lang;

/// The purpose of a report link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// 居家隔离人员报备: told to home-quarantine.
    HomeQuarantine,
    /// 赋码人员报备: visited a risk place and was given a risk code.
    RiskVisit,
    /// 返郑人员报备: returned from elsewhere.
    Returnee,
    /// 信息摸排: a general census update.
    Census,
}

impl Purpose {
    /// Every purpose, in the order forms offer them.
    pub const ALL: [Purpose; 4] = [
        Purpose::HomeQuarantine,
        Purpose::RiskVisit,
        Purpose::Returnee,
        Purpose::Census,
    ];

    /// The code used by the CLI, the API and storage.
    pub fn code(self) -> &'static str {
        match self {
            Purpose::HomeQuarantine => "home_quarantine",
            Purpose::RiskVisit => "risk_visit",
            Purpose::Returnee => "returnee",
            Purpose::Census => "census",
        }
    }

    /// The purpose a stored code names (`None`: not a code Doorstep wrote).
    pub fn from_stored(code: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Reads what a person typed: a code or the Chinese name.
    pub fn parse(s: &str) -> Option<Purpose> {
        let s = s.trim();
        Purpose::ALL
            .into_iter()
            .find(|p| p.code() == s || p.label(Lang::Zh) == s)
    }

    /// The name of the report, as posters and the upper-level template say it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Purpose::HomeQuarantine => lang.pick("居家隔离人员报备", "Home quarantine report"),
            Purpose::RiskVisit => lang.pick("赋码人员报备", "Risk-place visitor report"),
            Purpose::Returnee => lang.pick("返郑人员报备", "Returnee report"),
            Purpose::Census => lang.pick("居民信息摸排", "Household census update"),
        }
    }

    /// The tag an accepted report puts on each member's file, for the quarantine work.
    pub fn tag(self) -> Option<&'static str> {
        match self {
            Purpose::HomeQuarantine => Some("居家隔离"),
            Purpose::RiskVisit => Some("赋码"),
            Purpose::Returnee => Some("返郑"),
            Purpose::Census => None,
        }
    }

    /// The short reason the export writes in 报备原因.
    pub fn reason_zh(self) -> &'static str {
        match self {
            Purpose::HomeQuarantine => "被告知居家隔离",
            Purpose::RiskVisit => "到访风险场所被赋码",
            Purpose::Returnee => "外地返郑",
            Purpose::Census => "信息更新",
        }
    }

    /// Whether the form asks where from (returnees).
    pub fn asks_from_place(self) -> bool {
        self == Purpose::Returnee
    }

    /// Whether the form asks which risk place.
    pub fn asks_risk_place(self) -> bool {
        self == Purpose::RiskVisit
    }

    /// Whether the form asks who told them to quarantine.
    pub fn asks_notified_by(self) -> bool {
        self == Purpose::HomeQuarantine
    }

    /// Whether the form asks the date of arrival, of the visit or of the quarantine's start,
    /// and whether it is required.
    pub fn date_required(self) -> bool {
        matches!(self, Purpose::RiskVisit | Purpose::Returnee)
    }

    /// Whether the form asks about health (symptoms, temperature).
    pub fn asks_health(self) -> bool {
        self != Purpose::Census
    }

    /// Risk places offered when a risk-visit link names none (the markets of the source).
    pub const DEFAULT_RISK_PLACES: [&'static str; 4] =
        ["佳纷天地", "钱塘衣城", "陇海市场", "高寨市场"];

    /// The questions a link of this purpose asks besides the address and the members, in the
    /// form's order: the keys a report's answers are stored under.
    pub fn questions(self) -> Vec<Question> {
        let mut q = Vec::with_capacity(6);
        if self.asks_from_place() {
            q.push(Question::FromPlace);
        }
        if self.asks_risk_place() {
            q.push(Question::RiskPlace);
        }
        if self != Purpose::Census {
            q.push(Question::Date);
        }
        if self.asks_notified_by() {
            q.push(Question::NotifiedBy);
        }
        if self.asks_health() {
            q.push(Question::Symptoms);
            q.push(Question::Temperature);
        }
        q.push(Question::Notes);
        q
    }
}

/// A question of the report form besides address and members. Its code is the key the answer
/// is stored under (a report's `answers` object) and the form field's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Question {
    /// 从何地返回 (returnees).
    FromPlace,
    /// The risk place visited, one of the link's (risk visits).
    RiskPlace,
    /// The date of arrival, of the visit, or of the quarantine's start.
    Date,
    /// Who said to quarantine (home quarantine).
    NotifiedBy,
    /// Symptoms, free text.
    Symptoms,
    /// Body temperature in ℃.
    Temperature,
    /// Anything else.
    Notes,
}

impl Question {
    /// Every question, in the form's order.
    pub const ALL: [Question; 7] = [
        Question::FromPlace,
        Question::RiskPlace,
        Question::Date,
        Question::NotifiedBy,
        Question::Symptoms,
        Question::Temperature,
        Question::Notes,
    ];

    /// The key its answer is stored under and the form field's name.
    pub fn code(self) -> &'static str {
        match self {
            Question::FromPlace => "from_place",
            Question::RiskPlace => "risk_place",
            Question::Date => "date",
            Question::NotifiedBy => "notified_by",
            Question::Symptoms => "symptoms",
            Question::Temperature => "temperature",
            Question::Notes => "notes",
        }
    }

    /// The question a stored answer key names (`None`: not a key Doorstep wrote).
    pub fn from_stored(code: &str) -> Option<Question> {
        Question::ALL.into_iter().find(|q| q.code() == code)
    }

    /// Whether a link of `purpose` needs an answer to it.
    pub fn required(self, purpose: Purpose) -> bool {
        match self {
            Question::FromPlace | Question::RiskPlace => true,
            Question::Date => purpose.date_required(),
            Question::NotifiedBy | Question::Symptoms | Question::Temperature | Question::Notes => {
                false
            }
        }
    }

    /// The question as the form asks it on a link of `purpose` (the date's meaning depends on
    /// it).
    pub fn label(self, purpose: Purpose, lang: Lang) -> &'static str {
        match self {
            Question::FromPlace => lang.pick("从何地返回", "Returned from"),
            Question::RiskPlace => lang.pick("到访的风险场所", "Risk place visited"),
            Question::Date => match purpose {
                Purpose::HomeQuarantine => lang.pick("开始居家隔离日期", "Home quarantine since"),
                Purpose::RiskVisit => lang.pick("到访日期", "Date of the visit"),
                Purpose::Returnee | Purpose::Census => lang.pick("到达日期", "Date of arrival"),
            },
            Question::NotifiedBy => lang.pick(
                "通知居家隔离的单位或人员",
                "Who told you to quarantine at home",
            ),
            Question::Symptoms => {
                lang.pick("症状（没有请填“无”）", "Symptoms (write 'none' if none)")
            }
            Question::Temperature => lang.pick("体温（℃）", "Temperature (°C)"),
            Question::Notes => lang.pick("备注", "Notes"),
        }
    }
}

/// Where a report stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    /// Waiting for staff.
    Pending,
    /// Accepted into the registry.
    Accepted,
    /// Rejected with a reason.
    Rejected,
}

impl ReportStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Pending => "pending",
            ReportStatus::Accepted => "accepted",
            ReportStatus::Rejected => "rejected",
        }
    }

    /// The status a stored (or typed) code names.
    pub fn from_stored(s: &str) -> Option<ReportStatus> {
        ReportStatus::parse(s)
    }

    /// Reads a stored or typed code.
    pub fn parse(s: &str) -> Option<ReportStatus> {
        match s {
            "pending" => Some(ReportStatus::Pending),
            "accepted" => Some(ReportStatus::Accepted),
            "rejected" => Some(ReportStatus::Rejected),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()), Some(p));
            assert_eq!(Purpose::parse(p.label(Lang::Zh)), Some(p));
        }
        assert_eq!(Purpose::parse("nope"), None);
        for p in Purpose::ALL {
            assert_eq!(Purpose::from_stored(p.code()), Some(p));
        }
        assert_eq!(
            Purpose::from_stored("居家隔离人员报备"),
            None,
            "stored codes only"
        );
        for s in [
            ReportStatus::Pending,
            ReportStatus::Accepted,
            ReportStatus::Rejected,
        ] {
            assert_eq!(ReportStatus::from_stored(s.code()), Some(s));
        }
        for q in Question::ALL {
            assert_eq!(Question::from_stored(q.code()), Some(q));
        }
        assert_eq!(Question::from_stored("nope"), None);
    }

    #[test]
    fn each_purpose_asks_its_questions_in_the_forms_order() {
        use Question::*;
        assert_eq!(
            Purpose::HomeQuarantine.questions(),
            [Date, NotifiedBy, Symptoms, Temperature, Notes]
        );
        assert_eq!(
            Purpose::RiskVisit.questions(),
            [RiskPlace, Date, Symptoms, Temperature, Notes]
        );
        assert_eq!(
            Purpose::Returnee.questions(),
            [FromPlace, Date, Symptoms, Temperature, Notes]
        );
        assert_eq!(Purpose::Census.questions(), [Notes]);
        for p in Purpose::ALL {
            let asked = p.questions();
            let in_order: Vec<_> = Question::ALL
                .into_iter()
                .filter(|q| asked.contains(q))
                .collect();
            assert_eq!(asked, in_order, "{p:?}");
        }
    }
}
