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
    }
}
