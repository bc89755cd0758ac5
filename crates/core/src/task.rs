//! One task model for every kind of field work: what a task is (kind, target, priority, status,
//! outcome), the moves its status may make, the outcomes each kind offers, and which duties a
//! kind is routed to. Values only; storage and access live elsewhere.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::staff::Duty;
use crate::text::compact;

/// What kind of field work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// 入户敲门
    DoorKnock,
    /// 上门采样
    HomeSampling,
    /// 物资配送
    Delivery,
    /// 监测随访
    CheckinFollowup,
    /// 流调电话
    InvestigationCall,
    /// 卡口值守
    CheckpointShift,
    /// 消杀
    Disinfection,
    /// 接送
    Escort,
    /// 其他
    Other,
}

impl TaskKind {
    /// Every kind.
    pub const ALL: [TaskKind; 9] = [
        TaskKind::DoorKnock,
        TaskKind::HomeSampling,
        TaskKind::Delivery,
        TaskKind::CheckinFollowup,
        TaskKind::InvestigationCall,
        TaskKind::CheckpointShift,
        TaskKind::Disinfection,
        TaskKind::Escort,
        TaskKind::Other,
    ];

    /// The stable slug.
    pub fn code(self) -> &'static str {
        match self {
            TaskKind::DoorKnock => "door_knock",
            TaskKind::HomeSampling => "home_sampling",
            TaskKind::Delivery => "delivery",
            TaskKind::CheckinFollowup => "checkin_followup",
            TaskKind::InvestigationCall => "investigation_call",
            TaskKind::CheckpointShift => "checkpoint_shift",
            TaskKind::Disinfection => "disinfection",
            TaskKind::Escort => "escort",
            TaskKind::Other => "other",
        }
    }

    /// The kind's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            TaskKind::DoorKnock => ("入户敲门", "Door knock"),
            TaskKind::HomeSampling => ("上门采样", "Home sampling"),
            TaskKind::Delivery => ("物资配送", "Delivery"),
            TaskKind::CheckinFollowup => ("监测随访", "Check-in follow-up"),
            TaskKind::InvestigationCall => ("流调电话", "Investigation call"),
            TaskKind::CheckpointShift => ("卡口值守", "Checkpoint shift"),
            TaskKind::Disinfection => ("消杀", "Disinfection"),
            TaskKind::Escort => ("接送", "Escort"),
            TaskKind::Other => ("其他", "Other"),
        };
        lang.pick(zh, en)
    }

    /// The kind a stored slug names.
    pub fn from_stored(code: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Reads a kind from its slug or its Chinese or English name.
    pub fn parse(raw: &str) -> Option<TaskKind> {
        let s = compact(raw).to_lowercase();
        TaskKind::ALL.into_iter().find(|k| {
            k.code() == s
                || k.label(Lang::Zh) == s
                || compact(k.label(Lang::En)).to_lowercase() == s
        })
    }

    /// The duties a new task of this kind goes to, in order of preference (the default
    /// routing table): the first duty with an owner of the target's area (its own or
    /// inherited) takes it.
    pub fn default_route(self) -> &'static [Duty] {
        match self {
            TaskKind::DoorKnock | TaskKind::HomeSampling => &[
                Duty::BuildingCaptain,
                Duty::UnitCaptain,
                Duty::GridWorker,
                Duty::AreaLead,
            ],
            TaskKind::InvestigationCall | TaskKind::CheckinFollowup => {
                &[Duty::GridWorker, Duty::GridLeader, Duty::AreaLead]
            }
            TaskKind::Delivery | TaskKind::Escort | TaskKind::Disinfection => {
                &[Duty::Volunteer, Duty::GridWorker, Duty::AreaLead]
            }
            TaskKind::CheckpointShift | TaskKind::Other => &[Duty::GridWorker, Duty::AreaLead],
        }
    }

    /// The outcomes a finished task of this kind may record: (code, 中文, English).
    pub fn outcomes(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            TaskKind::DoorKnock => &[
                ("met", "已入户核实", "Met the household"),
                ("not_home", "家中无人", "Nobody home"),
                ("moved_out", "已搬离", "Moved out"),
                ("refused", "拒绝配合", "Refused"),
            ],
            TaskKind::HomeSampling => &[
                ("sampled", "已采样", "Sampled"),
                ("not_home", "家中无人", "Nobody home"),
                ("refused", "拒绝采样", "Refused"),
                ("exempt", "免采（婴幼儿、卧床等）", "Exempt"),
            ],
            TaskKind::Delivery => &[
                ("delivered", "已送达", "Delivered"),
                ("not_home", "家中无人", "Nobody home"),
                ("not_needed", "无需配送", "Not needed"),
            ],
            TaskKind::CheckinFollowup => &[
                ("called_ok", "已电话随访，情况正常", "Called, all well"),
                ("visited", "已上门随访", "Visited"),
                ("referred", "已转介就医", "Referred to a doctor"),
                ("transferred", "已转运", "Transferred"),
                ("not_reached", "未联系上", "Not reached"),
            ],
            TaskKind::InvestigationCall => &[
                ("reached_home", "已联系，人在家", "Reached, at home"),
                ("reached_away", "已联系，人在外地", "Reached, elsewhere"),
                ("not_reached", "未联系上", "Not reached"),
                ("not_resident", "非本辖区人员", "Not a resident here"),
                (
                    "quarantined",
                    "已落实居家隔离",
                    "Placed into home quarantine",
                ),
            ],
            TaskKind::CheckpointShift => &[("served", "已值守", "Served")],
            TaskKind::Disinfection => &[("done", "已消杀", "Disinfected")],
            TaskKind::Escort => &[
                ("done", "已接送", "Done"),
                (
                    "cancelled_by_resident",
                    "住户取消",
                    "Cancelled by the resident",
                ),
            ],
            TaskKind::Other => &[("done", "已完成", "Done")],
        }
    }

    /// Whether `code` is one of this kind's outcomes.
    pub fn has_outcome(self, code: &str) -> bool {
        self.outcomes().iter().any(|(c, _, _)| *c == code)
    }

    /// An outcome's text in a language (the code itself if it is not this kind's).
    pub fn outcome_label(self, code: &str, lang: Lang) -> String {
        self.outcomes()
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or_else(
                || code.to_string(),
                |(_, zh, en)| lang.pick(zh, en).to_string(),
            )
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting to be done.
    Open,
    /// Someone is on it.
    InProgress,
    /// Done, with an outcome.
    Done,
    /// Could not be done, with a reason.
    CannotDo,
    /// Not needed any more.
    Cancelled,
}

impl TaskStatus {
    /// Every status, in a board's order.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Open,
        TaskStatus::InProgress,
        TaskStatus::Done,
        TaskStatus::CannotDo,
        TaskStatus::Cancelled,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::CannotDo => "cannot_do",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The status's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            TaskStatus::Open => ("待办", "Open"),
            TaskStatus::InProgress => ("进行中", "In progress"),
            TaskStatus::Done => ("已完成", "Done"),
            TaskStatus::CannotDo => ("无法完成", "Cannot do"),
            TaskStatus::Cancelled => ("已取消", "Cancelled"),
        };
        lang.pick(zh, en)
    }

    /// The status a stored code names.
    pub fn from_stored(code: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the task is still to be done (open or in progress).
    pub fn is_active(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }

    /// Whether a task may move from this status to `to`: open ↔ in progress, and either to
    /// done, cannot do or cancelled; a closed task stays closed (a new task is made instead).
    pub fn may_become(self, to: TaskStatus) -> bool {
        self.is_active() && self != to
    }
}

/// How soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// 一般
    Normal,
    /// 优先
    High,
    /// 紧急
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 3] = [Priority::Normal, Priority::High, Priority::Urgent];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Priority::Normal => ("一般", "Normal"),
            Priority::High => ("优先", "High"),
            Priority::Urgent => ("紧急", "Urgent"),
        };
        lang.pick(zh, en)
    }

    /// The priority a stored or typed code names (blank: normal).
    pub fn parse(raw: &str) -> Option<Priority> {
        let s = compact(raw).to_lowercase();
        if s.is_empty() {
            return Some(Priority::Normal);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.code() == s || p.label(Lang::Zh) == s)
    }
}

/// What a task is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Target {
    /// An area (a building to disinfect, a gate to hold).
    Area(i64),
    /// A household (a door to knock on, supplies to bring).
    Household(i64),
    /// A person (a call to make, a swab to take).
    Person(i64),
}

impl Target {
    /// The stored type code.
    pub fn type_code(self) -> &'static str {
        match self {
            Target::Area(_) => "area",
            Target::Household(_) => "household",
            Target::Person(_) => "person",
        }
    }

    /// The target's id.
    pub fn id(self) -> i64 {
        match self {
            Target::Area(id) | Target::Household(id) | Target::Person(id) => id,
        }
    }

    /// The target a stored type and id name.
    pub fn from_stored(kind: &str, id: i64) -> Option<Target> {
        match kind {
            "area" => Some(Target::Area(id)),
            "household" => Some(Target::Household(id)),
            "person" => Some(Target::Person(id)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_statuses_priorities_round_trip() {
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::from_stored(k.code()), Some(k));
            assert_eq!(TaskKind::parse(k.label(Lang::Zh)), Some(k));
            assert!(!k.outcomes().is_empty());
            assert!(!k.default_route().is_empty());
        }
        assert_eq!(TaskKind::parse("Door knock"), Some(TaskKind::DoorKnock));
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::from_stored(s.code()), Some(s));
        }
        assert_eq!(Priority::parse(""), Some(Priority::Normal));
        assert_eq!(Priority::parse("紧急"), Some(Priority::Urgent));
        assert_eq!(
            Target::from_stored("household", 7),
            Some(Target::Household(7))
        );
    }

    #[test]
    fn a_closed_task_stays_closed() {
        use TaskStatus::*;
        assert!(Open.may_become(InProgress));
        assert!(InProgress.may_become(Open));
        assert!(InProgress.may_become(Done));
        assert!(Open.may_become(Cancelled));
        assert!(!Open.may_become(Open));
        for closed in [Done, CannotDo, Cancelled] {
            for to in TaskStatus::ALL {
                assert!(!closed.may_become(to), "{closed:?} → {to:?}");
            }
        }
    }

    #[test]
    fn door_knocks_go_to_the_building_captain_first() {
        assert_eq!(
            TaskKind::DoorKnock.default_route()[0],
            Duty::BuildingCaptain
        );
        assert_eq!(
            TaskKind::InvestigationCall.default_route()[0],
            Duty::GridWorker
        );
        assert_eq!(TaskKind::Delivery.default_route()[0], Duty::Volunteer);
        assert!(TaskKind::DoorKnock.has_outcome("not_home"));
        assert!(!TaskKind::DoorKnock.has_outcome("sampled"));
    }
}
