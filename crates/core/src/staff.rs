//! The working force (工作力量) and its responsibility areas (分包): who a staff member is, what
//! kind of force they come from, and the duties that tie them to an area ("一包到底": every
//! building an owner from start to end). Values only; storage and access live elsewhere.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::phone::Phone;
use crate::problem::{FieldProblem, Problem};
use crate::text::{compact, tidy};

/// Where a staff member comes from (单位/类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffKind {
    /// 社区两委
    Committee,
    /// 网格员 (the grid's "一长两员")
    Grid,
    /// 物业
    Property,
    /// 党员
    PartyMember,
    /// 志愿者
    Volunteer,
    /// 医护
    Medical,
    /// 公安
    Police,
    /// 下沉干部
    Cadre,
    /// 其他
    Other,
}

impl StaffKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [StaffKind; 9] = [
        StaffKind::Committee,
        StaffKind::Grid,
        StaffKind::Property,
        StaffKind::PartyMember,
        StaffKind::Volunteer,
        StaffKind::Medical,
        StaffKind::Police,
        StaffKind::Cadre,
        StaffKind::Other,
    ];

    /// The stable code (API, CLI, database).
    pub fn code(self) -> &'static str {
        match self {
            StaffKind::Committee => "committee",
            StaffKind::Grid => "grid",
            StaffKind::Property => "property",
            StaffKind::PartyMember => "party_member",
            StaffKind::Volunteer => "volunteer",
            StaffKind::Medical => "medical",
            StaffKind::Police => "police",
            StaffKind::Cadre => "cadre",
            StaffKind::Other => "other",
        }
    }

    /// The kind's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            StaffKind::Committee => ("社区两委", "Community committee"),
            StaffKind::Grid => ("网格员", "Grid staff"),
            StaffKind::Property => ("物业", "Property company"),
            StaffKind::PartyMember => ("党员", "Party member"),
            StaffKind::Volunteer => ("志愿者", "Volunteer"),
            StaffKind::Medical => ("医护", "Medical"),
            StaffKind::Police => ("公安", "Police"),
            StaffKind::Cadre => ("下沉干部", "Seconded cadre"),
            StaffKind::Other => ("其他", "Other"),
        };
        lang.pick(zh, en)
    }

    /// The kind a stored code names.
    pub fn from_stored(code: &str) -> Option<StaffKind> {
        StaffKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Reads a kind as people write it: the code, the Chinese or English name, or a common
    /// variant (社区, 两委, 网格, 物业公司, 党员志愿者 …). Blank is `Other`.
    pub fn parse(raw: &str) -> Option<StaffKind> {
        let s = compact(raw).to_lowercase();
        if s.is_empty() {
            return Some(StaffKind::Other);
        }
        if let Some(k) = StaffKind::ALL.into_iter().find(|k| {
            k.code() == s || k.label(Lang::Zh) == s || k.label(Lang::En).to_lowercase() == s
        }) {
            return Some(k);
        }
        let k = match s.as_str() {
            "社区" | "两委" | "社区干部" | "社区工作者" | "居委会" => {
                StaffKind::Committee
            }
            "网格" | "网格长" | "网格员/网格长" | "楼栋长" | "单元长" => {
                StaffKind::Grid
            }
            "物业公司" | "物业人员" => StaffKind::Property,
            "党员志愿者" | "在职党员" => StaffKind::PartyMember,
            "志愿" | "居民志愿者" => StaffKind::Volunteer,
            "医生" | "护士" | "医务人员" | "医护人员" | "卫生院" => {
                StaffKind::Medical
            }
            "民警" | "派出所" | "社区民警" => StaffKind::Police,
            "下沉" | "机关干部" | "包联干部" => StaffKind::Cadre,
            _ => return None,
        };
        Some(k)
    }
}

/// A duty in an area (分包): the slugs the API and CLI use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 包片负责人
    AreaLead,
    /// 网格长
    GridLeader,
    /// 网格员
    GridWorker,
    /// 楼栋长
    BuildingCaptain,
    /// 单元长
    UnitCaptain,
    /// 志愿者
    Volunteer,
}

impl Duty {
    /// Every duty, widest first.
    pub const ALL: [Duty; 6] = [
        Duty::AreaLead,
        Duty::GridLeader,
        Duty::GridWorker,
        Duty::BuildingCaptain,
        Duty::UnitCaptain,
        Duty::Volunteer,
    ];

    /// The stable slug.
    pub fn code(self) -> &'static str {
        match self {
            Duty::AreaLead => "area_lead",
            Duty::GridLeader => "grid_leader",
            Duty::GridWorker => "grid_worker",
            Duty::BuildingCaptain => "building_captain",
            Duty::UnitCaptain => "unit_captain",
            Duty::Volunteer => "volunteer",
        }
    }

    /// The duty's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Duty::AreaLead => ("包片负责人", "Area lead"),
            Duty::GridLeader => ("网格长", "Grid leader"),
            Duty::GridWorker => ("网格员", "Grid worker"),
            Duty::BuildingCaptain => ("楼栋长", "Building captain"),
            Duty::UnitCaptain => ("单元长", "Unit captain"),
            Duty::Volunteer => ("志愿者", "Volunteer"),
        };
        lang.pick(zh, en)
    }

    /// The duty a stored slug names.
    pub fn from_stored(code: &str) -> Option<Duty> {
        Duty::ALL.into_iter().find(|d| d.code() == code)
    }

    /// Reads a duty from its slug or its Chinese or English name.
    pub fn parse(raw: &str) -> Option<Duty> {
        let s = compact(raw).to_lowercase();
        Duty::ALL.into_iter().find(|d| {
            d.code() == s
                || d.label(Lang::Zh) == s
                || compact(d.label(Lang::En)).to_lowercase() == s
        })
    }
}

/// A staff member's details as typed (a form, an API body, a roster row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaffInput {
    /// 姓名
    pub name: String,
    /// 手机号
    pub phone: String,
    /// 单位/类别 (code or name; blank: other)
    pub kind: String,
    /// 技能, separated by 、，,；; or spaces
    pub skills: String,
    /// 可用时间 (free text, e.g. "工作日 8–18 点", "随时待命")
    pub availability: String,
    /// 备注
    pub notes: String,
}

/// A staff member's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffFields {
    /// 姓名
    pub name: String,
    /// 手机号 (the key: one staff record per phone)
    pub phone: Phone,
    /// 单位/类别
    pub kind: StaffKind,
    /// 技能, tidied, unique, in the order given
    pub skills: Vec<String>,
    /// 可用时间
    pub availability: String,
    /// 备注
    pub notes: String,
}

/// The longest name, skill, availability and notes.
const MAX_NAME: usize = 30;
const MAX_SKILL: usize = 20;
const MAX_SKILLS: usize = 10;
const MAX_TEXT: usize = 100;

impl StaffInput {
    /// Checks every field; every problem at its field (`name`, `phone`, `kind`, `skills`,
    /// `availability`, `notes`).
    pub fn parse(&self) -> Result<StaffFields, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = tidy(&self.name);
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > MAX_NAME {
            problems.push(FieldProblem::new(
                "name",
                Problem::TooLong { max: MAX_NAME },
            ));
        }
        let phone = Phone::parse(&self.phone)
            .map_err(|p| problems.push(FieldProblem::new("phone", p)))
            .ok();
        let kind = StaffKind::parse(&self.kind);
        if kind.is_none() {
            problems.push(FieldProblem::new("kind", Problem::Choice));
        }
        let mut skills: Vec<String> = Vec::new();
        for s in self
            .skills
            .split(['、', ',', '，', ';', '；', '/', ' ', '\u{3000}'])
            .map(tidy)
            .filter(|s| !s.is_empty())
        {
            if s.chars().count() > MAX_SKILL {
                problems.push(FieldProblem::new(
                    "skills",
                    Problem::TooLong { max: MAX_SKILL },
                ));
                break;
            }
            if !skills.contains(&s) {
                skills.push(s);
            }
        }
        if skills.len() > MAX_SKILLS {
            problems.push(FieldProblem::new(
                "skills",
                Problem::TooLong { max: MAX_SKILLS },
            ));
        }
        let mut text = |key: &str, raw: &str| {
            let s = tidy(raw);
            if s.chars().count() > MAX_TEXT {
                problems.push(FieldProblem::new(key, Problem::TooLong { max: MAX_TEXT }));
            }
            s
        };
        let availability = text("availability", &self.availability);
        let notes = text("notes", &self.notes);
        match (phone, kind) {
            (Some(phone), Some(kind)) if problems.is_empty() => Ok(StaffFields {
                name,
                phone,
                kind,
                skills,
                availability,
                notes,
            }),
            _ => Err(problems),
        }
    }
}

/// A column of a staff roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffColumn {
    /// 姓名
    Name,
    /// 手机号
    Phone,
    /// 单位/类别
    Kind,
    /// 技能
    Skills,
    /// 可用时间
    Availability,
    /// 备注
    Notes,
}

impl StaffColumn {
    /// Every column, in the export's order.
    pub const ALL: [StaffColumn; 6] = [
        StaffColumn::Name,
        StaffColumn::Phone,
        StaffColumn::Kind,
        StaffColumn::Skills,
        StaffColumn::Availability,
        StaffColumn::Notes,
    ];

    /// The columns a roster must have.
    pub const REQUIRED: [StaffColumn; 2] = [StaffColumn::Name, StaffColumn::Phone];

    /// The input field the column fills (and the problem paths name).
    pub fn key(self) -> &'static str {
        match self {
            StaffColumn::Name => "name",
            StaffColumn::Phone => "phone",
            StaffColumn::Kind => "kind",
            StaffColumn::Skills => "skills",
            StaffColumn::Availability => "availability",
            StaffColumn::Notes => "notes",
        }
    }

    /// The header the export writes (Chinese).
    pub fn header_zh(self) -> &'static str {
        match self {
            StaffColumn::Name => "姓名",
            StaffColumn::Phone => "手机号",
            StaffColumn::Kind => "单位/类别",
            StaffColumn::Skills => "技能",
            StaffColumn::Availability => "可用时间",
            StaffColumn::Notes => "备注",
        }
    }

    /// The column's name in English.
    pub fn header_en(self) -> &'static str {
        match self {
            StaffColumn::Name => "name",
            StaffColumn::Phone => "phone",
            StaffColumn::Kind => "kind",
            StaffColumn::Skills => "skills",
            StaffColumn::Availability => "availability",
            StaffColumn::Notes => "notes",
        }
    }

    /// The column a header names, as offices write them.
    pub fn from_header(raw: &str) -> Option<StaffColumn> {
        let h = compact(raw.trim_start_matches('\u{feff}'))
            .to_lowercase()
            .replace(['*', '＊'], "");
        let c = match h.as_str() {
            "姓名" | "name" | "名字" => StaffColumn::Name,
            "手机号" | "手机号码" | "联系电话" | "电话" | "phone" | "mobile" | "联系方式" => {
                StaffColumn::Phone
            }
            "单位/类别" | "单位" | "类别" | "单位类别" | "身份" | "人员类别" | "kind" => {
                StaffColumn::Kind
            }
            "技能" | "特长" | "skills" => StaffColumn::Skills,
            "可用时间" | "值班时间" | "在岗时间" | "availability" => {
                StaffColumn::Availability
            }
            "备注" | "notes" => StaffColumn::Notes,
            _ => return None,
        };
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_duties_read_as_people_write_them() {
        for k in StaffKind::ALL {
            assert_eq!(StaffKind::from_stored(k.code()), Some(k));
            assert_eq!(StaffKind::parse(k.label(Lang::Zh)), Some(k));
            assert_eq!(StaffKind::parse(k.code()), Some(k));
        }
        assert_eq!(StaffKind::parse("物业公司"), Some(StaffKind::Property));
        assert_eq!(StaffKind::parse(""), Some(StaffKind::Other));
        assert_eq!(StaffKind::parse("外星人"), None);
        for d in Duty::ALL {
            assert_eq!(Duty::from_stored(d.code()), Some(d));
            assert_eq!(Duty::parse(d.label(Lang::Zh)), Some(d));
        }
        assert_eq!(Duty::parse("Building captain"), Some(Duty::BuildingCaptain));
        assert_eq!(Duty::parse("boss"), None);
    }

    #[test]
    fn a_staff_member_is_checked_field_by_field() {
        let ok = StaffInput {
            name: " 王 芳 ".into(),
            phone: "138-0013-8000".into(),
            kind: "网格员".into(),
            skills: "会采样、会开车，会采样".into(),
            ..StaffInput::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.name, "王 芳");
        assert_eq!(ok.phone.as_str(), "13800138000");
        assert_eq!(ok.kind, StaffKind::Grid);
        assert_eq!(ok.skills, ["会采样", "会开车"]);
        let bad = StaffInput {
            phone: "12345".into(),
            kind: "外星人".into(),
            ..StaffInput::default()
        }
        .parse()
        .unwrap_err();
        let paths: Vec<&str> = bad.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["name", "phone", "kind"]);
    }

    #[test]
    fn roster_headers() {
        assert_eq!(
            StaffColumn::from_header("手机号码"),
            Some(StaffColumn::Phone)
        );
        assert_eq!(StaffColumn::from_header("*姓名"), Some(StaffColumn::Name));
        assert_eq!(
            StaffColumn::from_header("单位/类别"),
            Some(StaffColumn::Kind)
        );
        assert_eq!(StaffColumn::from_header("证件号码"), None);
        for c in StaffColumn::ALL {
            assert_eq!(StaffColumn::from_header(c.header_zh()), Some(c));
        }
    }
}
