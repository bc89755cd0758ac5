//! Investigation lists from above (流调摸排 / 协查): the columns a list carries, how a file's
//! headers map onto them (guessed, then remembered by header set), how a row is keyed for
//! matching and for duplicates, the call outcomes and what a row's state is.
//!
//! Values only; reading files, storage and tasks live elsewhere.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::idnum::IdDocument;
use crate::task::{TaskKind, TaskStatus};
use crate::text::{compact, tidy};
use crate::{Lang, Phone, Problem};

/// How many not-reached calls a row gets before it becomes a door-knock (the default).
pub const DEFAULT_MAX_CALLS: u32 = 3;

/// The longest "where" of a person reached elsewhere, and of an outcome's note.
pub const NOTE_MAX: usize = 200;

/// A column of a list that Doorstep reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListField {
    /// 姓名
    Name,
    /// 证件号码
    IdNumber,
    /// 手机号
    Phone,
    /// 风险地点
    RiskPlace,
    /// 时间 (of the visit, as the list writes it)
    Time,
    /// 来源 (who sent it)
    Source,
}

impl ListField {
    /// Every field, in a form's order.
    pub const ALL: [ListField; 6] = [
        ListField::Name,
        ListField::IdNumber,
        ListField::Phone,
        ListField::RiskPlace,
        ListField::Time,
        ListField::Source,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ListField::Name => "name",
            ListField::IdNumber => "id_number",
            ListField::Phone => "phone",
            ListField::RiskPlace => "risk_place",
            ListField::Time => "time",
            ListField::Source => "source",
        }
    }

    /// The field a code names.
    pub fn parse(code: &str) -> Option<ListField> {
        ListField::ALL.into_iter().find(|f| f.code() == code.trim())
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            ListField::Name => ("姓名", "Name"),
            ListField::IdNumber => ("证件号码", "ID number"),
            ListField::Phone => ("手机号", "Phone"),
            ListField::RiskPlace => ("风险地点", "Risk place"),
            ListField::Time => ("时间", "Time"),
            ListField::Source => ("来源", "Source"),
        };
        lang.pick(zh, en)
    }

    /// The field a header most likely holds (a guess the user confirms).
    pub fn guess(header: &str) -> Option<ListField> {
        let h = compact(header).to_lowercase();
        if h.is_empty() {
            return None;
        }
        let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
        if has(&["身份", "证件", "idnumber", "idno", "id_number", "idcard"]) || h == "id" {
            Some(ListField::IdNumber)
        } else if has(&["手机", "电话", "联系方式", "phone", "mobile", "tel"]) {
            Some(ListField::Phone)
        } else if has(&["姓名", "名字", "name"]) {
            Some(ListField::Name)
        } else if has(&[
            "地点",
            "场所",
            "场所名称",
            "轨迹",
            "place",
            "location",
            "venue",
        ]) {
            Some(ListField::RiskPlace)
        } else if has(&["时间", "日期", "time", "date"]) {
            Some(ListField::Time)
        } else if has(&["来源", "推送", "下发", "source", "from"]) {
            Some(ListField::Source)
        } else {
            None
        }
    }
}

/// Which column holds each field (by index into the file's headers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// Field → column index.
    pub columns: HashMap<ListField, usize>,
}

impl Mapping {
    /// The guess for a file's headers: each field the first header it fits (a header holds
    /// one field at most).
    pub fn guess(headers: &[String]) -> Mapping {
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(f) = ListField::guess(h) {
                columns.entry(f).or_insert(i);
            }
        }
        Mapping { columns }
    }

    /// Reads a mapping the user chose: field code → header text (blank: not in this file).
    /// Each problem at `mapping.<field>`: a header the file does not have, one header for two
    /// fields; and at `mapping` when neither ID number nor phone is mapped (nothing to match).
    pub fn parse(
        headers: &[String],
        chosen: &[(String, String)],
    ) -> Result<Mapping, Vec<(String, Problem)>> {
        let mut problems = Vec::new();
        let mut columns: HashMap<ListField, usize> = HashMap::new();
        for (code, header) in chosen {
            let Some(field) = ListField::parse(code) else {
                problems.push((format!("mapping.{code}"), Problem::Choice));
                continue;
            };
            let header = header.trim();
            if header.is_empty() {
                continue;
            }
            match headers.iter().position(|h| h.trim() == header) {
                Some(i) if columns.values().any(|&c| c == i) => {
                    problems.push((format!("mapping.{}", field.code()), Problem::Choice));
                }
                Some(i) => {
                    columns.insert(field, i);
                }
                None => problems.push((format!("mapping.{}", field.code()), Problem::Choice)),
            }
        }
        let m = Mapping { columns };
        if problems.is_empty() && !m.can_match() {
            problems.push(("mapping".to_string(), Problem::Required));
        }
        if problems.is_empty() {
            Ok(m)
        } else {
            Err(problems)
        }
    }

    /// Whether rows can be matched: an ID number or a phone column.
    pub fn can_match(&self) -> bool {
        self.columns.contains_key(&ListField::IdNumber)
            || self.columns.contains_key(&ListField::Phone)
    }

    /// The column of a field.
    pub fn get(&self, f: ListField) -> Option<usize> {
        self.columns.get(&f).copied()
    }

    /// The mapping as field code → header text (what is remembered).
    pub fn by_header(&self, headers: &[String]) -> Vec<(String, String)> {
        ListField::ALL
            .into_iter()
            .filter_map(|f| {
                let i = self.get(f)?;
                Some((f.code().to_string(), headers.get(i)?.trim().to_string()))
            })
            .collect()
    }

    /// The fields of one row (cells in header order).
    pub fn read(&self, cells: &[String]) -> RowFields {
        let cell = |f: ListField| {
            self.get(f)
                .and_then(|i| cells.get(i))
                .map(|c| tidy(c))
                .unwrap_or_default()
        };
        RowFields {
            name: cell(ListField::Name),
            id_number: cell(ListField::IdNumber),
            phone: cell(ListField::Phone),
            risk_place: cell(ListField::RiskPlace),
            time: cell(ListField::Time),
            source: cell(ListField::Source),
        }
    }
}

/// The key a set of headers is remembered by: each header trimmed and lower-cased, in order.
pub fn header_key(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| compact(h).to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// A row's fields as the list gives them (tidied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFields {
    /// 姓名
    pub name: String,
    /// 证件号码 as written.
    pub id_number: String,
    /// 手机号 as written.
    pub phone: String,
    /// 风险地点
    pub risk_place: String,
    /// 时间
    pub time: String,
    /// 来源
    pub source: String,
}

/// What a row is matched and deduplicated by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKeys {
    /// The ID number normalised (a valid resident ID as its 18 characters; another
    /// document upper-cased without spaces); `None` when blank.
    pub id_number: Option<String>,
    /// The phone normalised (11 digits); `None` when blank or not a mobile number.
    pub phone: Option<String>,
    /// What was wrong with a given ID number or phone, for the progress page.
    pub problem: Option<(ListField, Problem)>,
}

impl RowKeys {
    /// The keys of a row's fields (`today` for the ID number's birth-date rule).
    pub fn of(f: &RowFields, today: time::Date) -> RowKeys {
        let mut problem = None;
        let id_number = if f.id_number.is_empty() {
            None
        } else {
            match IdDocument::resident(&f.id_number, today) {
                Ok(d) => Some(d.number().to_string()),
                Err(p) => {
                    problem = Some((ListField::IdNumber, p));
                    // Another document (passport, permit): matched as written.
                    Some(compact(&f.id_number).to_uppercase())
                }
            }
        };
        let phone = if f.phone.is_empty() {
            None
        } else {
            match Phone::parse(&f.phone) {
                Ok(p) => Some(p.as_str().to_string()),
                Err(p) => {
                    problem.get_or_insert((ListField::Phone, p));
                    None
                }
            }
        };
        RowKeys {
            id_number,
            phone,
            problem,
        }
    }
}

/// How a row was matched to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// By ID number.
    IdNumber,
    /// By phone (no ID number match).
    Phone,
    /// Neither: the call goes to the community's desk.
    NotFound,
}

impl MatchKind {
    /// Every kind.
    pub const ALL: [MatchKind; 3] = [MatchKind::IdNumber, MatchKind::Phone, MatchKind::NotFound];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            MatchKind::IdNumber => "id_number",
            MatchKind::Phone => "phone",
            MatchKind::NotFound => "not_found",
        }
    }

    /// The kind a stored code names.
    pub fn from_stored(code: &str) -> Option<MatchKind> {
        MatchKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            MatchKind::IdNumber => ("证件号匹配", "Matched by ID number"),
            MatchKind::Phone => ("手机号匹配", "Matched by phone"),
            MatchKind::NotFound => ("未匹配", "Not found"),
        };
        lang.pick(zh, en)
    }
}

/// A call's outcome (the `investigation_call` task's outcome codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// 已联系，人在家
    ReachedHome,
    /// 已联系，人在外地 (where: a text)
    ReachedAway,
    /// 未联系上: called again, then a door-knock
    NotReached,
    /// 非本辖区人员
    NotResident,
    /// 已落实居家隔离: starts the home-quarantine episode
    Quarantined,
}

impl CallOutcome {
    /// Every outcome, in a form's order.
    pub const ALL: [CallOutcome; 5] = [
        CallOutcome::ReachedHome,
        CallOutcome::ReachedAway,
        CallOutcome::NotReached,
        CallOutcome::NotResident,
        CallOutcome::Quarantined,
    ];

    /// The stable code (the task outcome's).
    pub fn code(self) -> &'static str {
        match self {
            CallOutcome::ReachedHome => "reached_home",
            CallOutcome::ReachedAway => "reached_away",
            CallOutcome::NotReached => "not_reached",
            CallOutcome::NotResident => "not_resident",
            CallOutcome::Quarantined => "quarantined",
        }
    }

    /// The outcome a code names.
    pub fn parse(code: &str) -> Option<CallOutcome> {
        CallOutcome::ALL
            .into_iter()
            .find(|o| o.code() == code.trim())
    }

    /// The name in a language (the task kind's).
    pub fn label(self, lang: Lang) -> String {
        TaskKind::InvestigationCall.outcome_label(self.code(), lang)
    }
}

/// What follows a not-reached call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterNotReached {
    /// Call again: this is the number of the next call.
    Call(u32),
    /// The calls are used up: knock on the door.
    DoorKnock,
}

/// What follows when call number `calls` (1 for the first) was not reached, with at most
/// `max` calls (at least 1).
pub fn after_not_reached(calls: u32, max: u32) -> AfterNotReached {
    if calls < max.max(1) {
        AfterNotReached::Call(calls + 1)
    } else {
        AfterNotReached::DoorKnock
    }
}

/// Where a row stands, read from its latest task (never stored on its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowState {
    /// A repeat (in this list or an open one): never called.
    Duplicate,
    /// No task yet (a list being mapped).
    Waiting,
    /// The first call is to be made.
    Calling,
    /// Called, not reached, to be called again.
    Retrying,
    /// Not reached by phone: a door-knock is to be made.
    DoorKnock,
    /// Closed with an outcome of the call (its code) or of the door-knock (`knock:<code>`).
    Done(String),
    /// The task could not be done or was cancelled.
    Closed,
}

impl RowState {
    /// The state of a row: `duplicate`, and its latest task's kind, status and outcome, and
    /// how many calls it has had.
    pub fn of(
        duplicate: bool,
        task: Option<(TaskKind, TaskStatus, Option<&str>)>,
        calls: u32,
    ) -> RowState {
        if duplicate {
            return RowState::Duplicate;
        }
        match task {
            None => RowState::Waiting,
            Some((TaskKind::DoorKnock, s, _)) if s.is_active() => RowState::DoorKnock,
            Some((_, s, _)) if s.is_active() && calls > 1 => RowState::Retrying,
            Some((_, s, _)) if s.is_active() => RowState::Calling,
            Some((TaskKind::DoorKnock, TaskStatus::Done, Some(o))) => {
                RowState::Done(format!("knock:{o}"))
            }
            Some((_, TaskStatus::Done, Some(o))) => RowState::Done(o.to_string()),
            Some(_) => RowState::Closed,
        }
    }

    /// The stable code (a count's key, a CSS class).
    pub fn code(&self) -> String {
        match self {
            RowState::Duplicate => "duplicate".into(),
            RowState::Waiting => "waiting".into(),
            RowState::Calling => "calling".into(),
            RowState::Retrying => "retrying".into(),
            RowState::DoorKnock => "door_knock".into(),
            RowState::Done(o) => o.clone(),
            RowState::Closed => "closed".into(),
        }
    }

    /// The name in a language.
    pub fn label(&self, lang: Lang) -> String {
        let fixed = |zh: &str, en: &str| lang.pick(zh, en).to_string();
        match self {
            RowState::Duplicate => fixed("重复，不再拨打", "Repeat, not called"),
            RowState::Waiting => fixed("待对应列", "Waiting for the columns"),
            RowState::Calling => fixed("待拨打", "To call"),
            RowState::Retrying => fixed("未接通，待重拨", "Not reached, to call again"),
            RowState::DoorKnock => fixed("待入户敲门", "Door-knock to do"),
            RowState::Done(o) => match o.strip_prefix("knock:") {
                Some(k) => format!(
                    "{}：{}",
                    TaskKind::DoorKnock.label(lang),
                    TaskKind::DoorKnock.outcome_label(k, lang)
                ),
                None => TaskKind::InvestigationCall.outcome_label(o, lang),
            },
            RowState::Closed => fixed("无法完成或已取消", "Could not be done or cancelled"),
        }
    }

    /// Whether someone still has to do something.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            RowState::Calling | RowState::Retrying | RowState::DoorKnock
        )
    }
}

/// Where a list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Received; its columns are to be mapped.
    Mapping,
    /// Matched, its calls made as tasks.
    Open,
    /// Closed by staff: its rows no longer count as "on an open list".
    Closed,
}

impl ListStatus {
    /// Every status.
    pub const ALL: [ListStatus; 3] = [ListStatus::Mapping, ListStatus::Open, ListStatus::Closed];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ListStatus::Mapping => "mapping",
            ListStatus::Open => "open",
            ListStatus::Closed => "closed",
        }
    }

    /// The status a stored code names.
    pub fn from_stored(code: &str) -> Option<ListStatus> {
        ListStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            ListStatus::Mapping => ("待对应列", "Columns to map"),
            ListStatus::Open => ("进行中", "Open"),
            ListStatus::Closed => ("已关闭", "Closed"),
        };
        lang.pick(zh, en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_guessed() {
        let headers = h(&[
            "序号",
            "姓名",
            "身份证号",
            "联系电话",
            "到访场所",
            "到访时间",
            "推送单位",
        ]);
        let m = Mapping::guess(&headers);
        assert_eq!(m.get(ListField::Name), Some(1));
        assert_eq!(m.get(ListField::IdNumber), Some(2));
        assert_eq!(m.get(ListField::Phone), Some(3));
        assert_eq!(m.get(ListField::RiskPlace), Some(4));
        assert_eq!(m.get(ListField::Time), Some(5));
        assert_eq!(m.get(ListField::Source), Some(6));
        let en = Mapping::guess(&h(&["Name", "ID number", "Mobile"]));
        assert_eq!(en.get(ListField::Phone), Some(2));
        assert_eq!(ListField::guess("备注"), None);
    }

    #[test]
    fn a_chosen_mapping_is_checked() {
        let headers = h(&["A", "B", "C"]);
        let ok = Mapping::parse(
            &headers,
            &[("name".into(), "A".into()), ("phone".into(), "C".into())],
        )
        .unwrap();
        assert_eq!(ok.get(ListField::Phone), Some(2));
        assert_eq!(
            ok.by_header(&headers),
            vec![("name".into(), "A".into()), ("phone".into(), "C".into())]
        );
        let e = Mapping::parse(&headers, &[("name".into(), "A".into())]).unwrap_err();
        assert_eq!(e, vec![("mapping".to_string(), Problem::Required)]);
        let e = Mapping::parse(
            &headers,
            &[
                ("phone".into(), "B".into()),
                ("id_number".into(), "B".into()),
            ],
        )
        .unwrap_err();
        assert_eq!(e[0].0, "mapping.id_number");
        let e = Mapping::parse(&headers, &[("phone".into(), "Z".into())]).unwrap_err();
        assert_eq!(e[0].0, "mapping.phone");
    }

    #[test]
    fn header_sets_are_keyed_loosely() {
        assert_eq!(
            header_key(&h(&[" 姓名", "Phone "])),
            header_key(&h(&["姓名", "phone"]))
        );
        assert_ne!(
            header_key(&h(&["姓名", "电话"])),
            header_key(&h(&["电话", "姓名"]))
        );
    }

    #[test]
    fn keys_are_normalised() {
        let today = time::macros::date!(2026 - 12 - 01);
        let id = crate::idnum::make_resident_id("410103", time::macros::date!(1990 - 01 - 01), 123);
        let f = RowFields {
            id_number: id.to_lowercase(),
            phone: "+86 138-1234-5678".into(),
            ..RowFields::default()
        };
        let k = RowKeys::of(&f, today);
        assert_eq!(k.id_number.as_deref(), Some(id.as_str()));
        assert_eq!(k.phone.as_deref(), Some("13812345678"));
        assert!(k.problem.is_none());
        let bad = RowKeys::of(
            &RowFields {
                id_number: "e12345678".into(),
                phone: "12345".into(),
                ..RowFields::default()
            },
            today,
        );
        assert_eq!(bad.id_number.as_deref(), Some("E12345678"));
        assert_eq!(bad.phone, None);
        assert!(bad.problem.is_some());
    }

    #[test]
    fn not_reached_calls_end_in_a_door_knock() {
        assert_eq!(after_not_reached(1, 3), AfterNotReached::Call(2));
        assert_eq!(after_not_reached(2, 3), AfterNotReached::Call(3));
        assert_eq!(after_not_reached(3, 3), AfterNotReached::DoorKnock);
        assert_eq!(after_not_reached(1, 0), AfterNotReached::DoorKnock);
    }

    #[test]
    fn states_follow_the_latest_task() {
        use TaskKind::*;
        use TaskStatus::*;
        assert_eq!(RowState::of(true, None, 0), RowState::Duplicate);
        assert_eq!(
            RowState::of(false, Some((InvestigationCall, Open, None)), 1),
            RowState::Calling
        );
        assert_eq!(
            RowState::of(false, Some((InvestigationCall, Open, None)), 2),
            RowState::Retrying
        );
        assert_eq!(
            RowState::of(false, Some((DoorKnock, InProgress, None)), 3),
            RowState::DoorKnock
        );
        let done = RowState::of(
            false,
            Some((InvestigationCall, Done, Some("quarantined"))),
            1,
        );
        assert_eq!(done.code(), "quarantined");
        assert_eq!(done.label(Lang::Zh), "已落实居家隔离");
        let knock = RowState::of(false, Some((DoorKnock, Done, Some("met"))), 3);
        assert_eq!(knock.code(), "knock:met");
        assert_eq!(
            RowState::of(false, Some((InvestigationCall, Cancelled, None)), 1),
            RowState::Closed
        );
        for o in CallOutcome::ALL {
            assert!(InvestigationCall.has_outcome(o.code()));
        }
    }
}
