//! Export templates (报表模板): which fields of a kind of row, in which order, under which
//! headers, with which value mappings (男/女 → 1/2, 是/否, a date format). A template is data:
//! it is stored, exported and imported as a file, and applied to rows as plain text cells.
//!
//! Each kind of row names its source fields once ([`RowKind::fields`]); a row to export is its
//! cells in that order (dates as `YYYY-MM-DD`), and [`Template::cells`] picks and maps them.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::problem::{FieldProblem, Problem};

/// The longest template name, in characters.
pub const NAME_MAX: usize = 60;
/// The longest header, in characters.
pub const HEADER_MAX: usize = 60;
/// The most columns a template may have.
pub const COLUMNS_MAX: usize = 100;
/// The most pairs a value mapping may have.
pub const PAIRS_MAX: usize = 50;

/// The kind of rows a template exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// The registry's persons (one row each).
    Persons,
    /// Accepted self-reports, one row per reported person (上级直报).
    SelfReports,
    /// Episodes of home quarantine, health monitoring, central quarantine.
    Episodes,
    /// Test results: one row per person per round's sample (a retest is a row of its own).
    TestResults,
    /// Investigation lists' call outcomes: one row per list row, with its latest call or
    /// door-knock.
    CallOutcomes,
    /// The daily report's figures: one row per community per day.
    DailyFigures,
}

/// One source field of a kind of row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceField {
    /// The key a template names it by.
    pub key: &'static str,
    /// Its Chinese label (the default header).
    pub zh: &'static str,
    /// Its English label.
    pub en: &'static str,
    /// Whether it holds a day (`YYYY-MM-DD`), so a date format applies.
    pub date: bool,
}

const fn text(key: &'static str, zh: &'static str, en: &'static str) -> SourceField {
    SourceField {
        key,
        zh,
        en,
        date: false,
    }
}

const fn day(key: &'static str, zh: &'static str, en: &'static str) -> SourceField {
    SourceField {
        key,
        zh,
        en,
        date: true,
    }
}

/// A person's fields, in the order of the cells a person row gives.
pub const PERSON_FIELDS: [SourceField; 18] = [
    text("name", "姓名", "Name"),
    text("id_type", "证件类型", "Document type"),
    text("id_number", "证件号码", "Document number"),
    text("sex", "性别", "Sex"),
    day("birth_date", "出生日期", "Birth date"),
    text("age", "年龄", "Age"),
    text("phone", "联系电话", "Phone"),
    text("compound", "小区", "Compound"),
    text("building", "楼栋", "Building"),
    text("unit", "单元", "Unit"),
    text("room", "房号", "Room"),
    text("address", "住址", "Address"),
    text("relation", "与户主关系", "Relation to head"),
    text("residency", "居住类型", "Residency"),
    text("tags", "标签", "Tags"),
    text("area", "所属区域", "Area"),
    text("community", "所属社区", "Community"),
    text("grid", "所属网格", "Grid"),
];

/// A reported person's fields: the upward direct report's 18 columns, in its order, then the
/// submission day.
pub const SELF_REPORT_FIELDS: [SourceField; 19] = [
    text("seq", "序号", "No."),
    text("name", "姓名", "Name"),
    text("sex", "性别", "Sex"),
    text("age", "年龄", "Age"),
    text("id_type", "证件类型", "Document type"),
    text("id_number", "证件号码", "Document number"),
    text("phone", "联系电话", "Phone"),
    text("address", "现居住地址", "Address"),
    text("purpose", "报备类型", "Report type"),
    text("reason", "报备原因", "Reason"),
    text("source", "来源地/风险场所", "Coming from / risk place"),
    day("date", "到达或接触日期", "Arrival or contact day"),
    text("submitted_at", "报备时间", "Reported at"),
    text("community", "所属社区", "Community"),
    text("grid", "所属网格", "Grid"),
    text("grid_workers", "网格员", "Grid workers"),
    text("grid_worker_phones", "网格员电话", "Grid workers' phones"),
    text("notes", "备注", "Notes"),
    day("submitted_on", "报备日期", "Reported on"),
];

/// An episode's fields.
pub const EPISODE_FIELDS: [SourceField; 12] = [
    text("name", "姓名", "Name"),
    text("address", "住址", "Address"),
    text("area", "所属区域", "Area"),
    text("measure", "管控措施", "Measure"),
    text("reason", "原因", "Reason"),
    text("policy", "政策版本", "Policy version"),
    day("starts_on", "开始日期", "First day"),
    day("last_day", "结束日期", "Last day"),
    text("status", "状态", "Status"),
    day("ended_on", "解除或转出日期", "Ended on"),
    text("created_by", "登记人", "Started by"),
    day("created_on", "登记日期", "Started on"),
];

/// A person's test result in a round: the sample, its tube's result and lab.
pub const TEST_RESULT_FIELDS: [SourceField; 17] = [
    text("round", "检测轮次", "Round"),
    text("tube", "试管编码", "Tube"),
    text("name", "姓名", "Name"),
    text("id_type", "证件类型", "Document type"),
    text("id_number", "证件号码", "Document number"),
    text("phone", "联系电话", "Phone"),
    text("address", "住址", "Address"),
    text("area", "所属区域", "Area"),
    text("mode", "采样方式", "Sampling"),
    text("retest", "是否复检", "Retest"),
    text("sampled_at", "采样时间", "Sampled at"),
    day("sampled_on", "采样日期", "Sampled on"),
    text("sampled_by", "采样人", "Sampled by"),
    text("result", "检测结果", "Result"),
    text("tested_at", "检测时间", "Tested at"),
    day("tested_on", "检测日期", "Tested on"),
    text("lab", "检测机构", "Lab"),
];

/// An investigation list row's call outcome (its latest call or door-knock).
pub const CALL_OUTCOME_FIELDS: [SourceField; 16] = [
    text("list", "名单", "List"),
    text("row", "名单序号", "Row"),
    text("name", "姓名", "Name"),
    text("id_number", "证件号码", "Document number"),
    text("phone", "联系电话", "Phone"),
    text("risk_place", "风险地点", "Risk place"),
    text("seen_at", "时间", "Time"),
    text("source", "来源", "Source"),
    text("match", "匹配结果", "Match"),
    text("outcome", "处理结果", "Outcome"),
    text("where", "结果说明", "Where / note"),
    text("attempts", "拨打次数", "Attempts"),
    text("called_by", "处理人", "Called by"),
    text("at", "处理时间", "At"),
    day("on", "处理日期", "On"),
    text("duplicate_of", "重复于", "Repeats"),
];

/// The daily figures' fields before the report's own figures.
const DAILY_HEAD: [SourceField; 5] = [
    day("day", "日期", "Day"),
    text("area", "区域", "Area"),
    text("community", "社区", "Community"),
    text("signed_by", "签收人", "Signed by"),
    text("signed_at", "签收时间", "Signed at"),
];

const DAILY_LEN: usize = DAILY_HEAD.len() + crate::daily::FIGURES.len() + 1;

/// A community's day: the day, where, the sign-off, every figure of the report (its key is
/// the field's key) and the testing coverage.
pub const DAILY_FIELDS: [SourceField; DAILY_LEN] = daily_fields();

const fn daily_fields() -> [SourceField; DAILY_LEN] {
    let mut out = [text("", "", ""); DAILY_LEN];
    let mut i = 0;
    while i < DAILY_HEAD.len() {
        out[i] = DAILY_HEAD[i];
        i += 1;
    }
    let figures = crate::daily::FIGURES;
    let mut j = 0;
    while j < figures.len() {
        out[i + j] = text(figures[j].key, figures[j].zh, figures[j].en);
        j += 1;
    }
    out[DAILY_LEN - 1] = text("coverage", "本轮核酸覆盖率", "Testing coverage");
    out
}

impl RowKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [RowKind; 6] = [
        RowKind::Persons,
        RowKind::SelfReports,
        RowKind::Episodes,
        RowKind::TestResults,
        RowKind::CallOutcomes,
        RowKind::DailyFigures,
    ];

    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            RowKind::Persons => "persons",
            RowKind::SelfReports => "self_reports",
            RowKind::Episodes => "episodes",
            RowKind::TestResults => "test_results",
            RowKind::CallOutcomes => "call_outcomes",
            RowKind::DailyFigures => "daily_figures",
        }
    }

    /// The kind a code names.
    pub fn from_code(code: &str) -> Option<RowKind> {
        RowKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RowKind::Persons => lang.pick("人员", "persons"),
            RowKind::SelfReports => lang.pick("报备（已通过）", "self-reports (accepted)"),
            RowKind::Episodes => lang.pick("隔离与健康监测", "quarantine and monitoring"),
            RowKind::TestResults => lang.pick("核酸检测结果", "test results"),
            RowKind::CallOutcomes => lang.pick("流调协查处理结果", "investigation list calls"),
            RowKind::DailyFigures => lang.pick(
                "日报数据（每社区每日）",
                "daily figures (per community per day)",
            ),
        }
    }

    /// Its source fields, in the order of a row's cells.
    pub fn fields(self) -> &'static [SourceField] {
        match self {
            RowKind::Persons => &PERSON_FIELDS,
            RowKind::SelfReports => &SELF_REPORT_FIELDS,
            RowKind::Episodes => &EPISODE_FIELDS,
            RowKind::TestResults => &TEST_RESULT_FIELDS,
            RowKind::CallOutcomes => &CALL_OUTCOME_FIELDS,
            RowKind::DailyFigures => &DAILY_FIELDS,
        }
    }

    /// The position of a field in a row, by key.
    pub fn position(self, key: &str) -> Option<usize> {
        self.fields().iter().position(|f| f.key == key)
    }
}

/// How a day is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2022-05-01`
    Dash,
    /// `2022/05/01`
    Slash,
    /// `20220501`
    Compact,
    /// `2022年05月01日`
    Chinese,
}

impl DateFormat {
    /// Every format.
    pub const ALL: [DateFormat; 4] = [
        DateFormat::Dash,
        DateFormat::Slash,
        DateFormat::Compact,
        DateFormat::Chinese,
    ];

    /// How it is written in a template.
    pub fn code(self) -> &'static str {
        match self {
            DateFormat::Dash => "YYYY-MM-DD",
            DateFormat::Slash => "YYYY/MM/DD",
            DateFormat::Compact => "YYYYMMDD",
            DateFormat::Chinese => "YYYY年MM月DD日",
        }
    }

    /// The format a template names (upper or lower case).
    pub fn parse(raw: &str) -> Option<DateFormat> {
        let raw = raw.trim().to_uppercase();
        DateFormat::ALL.into_iter().find(|f| f.code() == raw)
    }

    /// A day written `YYYY-MM-DD` in this format; anything else is left as it is.
    pub fn apply(self, iso: &str) -> String {
        let b = iso.as_bytes();
        let is_iso = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !is_iso {
            return iso.to_string();
        }
        let (y, m, d) = (&iso[..4], &iso[5..7], &iso[8..]);
        match self {
            DateFormat::Dash => iso.to_string(),
            DateFormat::Slash => format!("{y}/{m}/{d}"),
            DateFormat::Compact => format!("{y}{m}{d}"),
            DateFormat::Chinese => format!("{y}年{m}月{d}日"),
        }
    }
}

/// What a column does to its field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// Values replaced one for one (`男=1; 女=2`); a value not listed is written as it is.
    Values(Vec<(String, String)>),
    /// A day written in a format.
    Date(DateFormat),
}

impl Mapping {
    /// The mapping as a template writes it: `男=1; 女=2`, or a date format such as `YYYYMMDD`.
    pub fn text(&self) -> String {
        match self {
            Mapping::Date(f) => f.code().to_string(),
            Mapping::Values(pairs) => pairs
                .iter()
                .map(|(a, b)| format!("{a}={b}"))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// Reads a mapping for `field`: a date format (only for a day), or pairs `from=to`
    /// separated by `;` (or `；`, or new lines), each `from` once. Blank is no mapping.
    pub fn parse(raw: &str, field: &SourceField) -> Result<Option<Mapping>, Problem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if let Some(f) = DateFormat::parse(raw) {
            return if field.date {
                Ok(Some(Mapping::Date(f)))
            } else {
                Err(Problem::TemplateDateFormat)
            };
        }
        if field.date && !raw.contains('=') {
            return Err(Problem::TemplateDateFormat);
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.split([';', '；', '\n']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((from, to)) = part.split_once(['=', '＝']) else {
                return Err(Problem::TemplateMapping);
            };
            let (from, to) = (from.trim(), to.trim());
            if from.is_empty() || to.contains(['=', '＝']) || pairs.iter().any(|(f, _)| f == from)
            {
                return Err(Problem::TemplateMapping);
            }
            pairs.push((from.to_string(), to.to_string()));
        }
        if pairs.is_empty() || pairs.len() > PAIRS_MAX {
            return Err(Problem::TemplateMapping);
        }
        Ok(Some(Mapping::Values(pairs)))
    }

    /// The value as this mapping writes it.
    pub fn apply(&self, value: &str) -> String {
        match self {
            Mapping::Date(f) => f.apply(value),
            Mapping::Values(pairs) => pairs
                .iter()
                .find(|(from, _)| from == value)
                .map(|(_, to)| to.clone())
                .unwrap_or_else(|| value.to_string()),
        }
    }
}

/// One column of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its header.
    pub header: String,
    /// The source field's key.
    pub field: &'static str,
    /// Where the field sits in a row.
    position: usize,
    /// What is done to the value.
    pub mapping: Option<Mapping>,
}

/// A column as typed or read from a file: every part text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnInput {
    /// The header (blank: the field's Chinese label).
    pub header: String,
    /// The source field's key.
    pub field: String,
    /// The mapping as text (see [`Mapping::parse`]); blank for none.
    pub map: String,
}

/// A template as a file holds it (JSON): what [`Template::parse`] reads and
/// [`Template::file`] writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateFile {
    /// Always `doorstep-template`, so a stray JSON file is told apart.
    pub format: String,
    /// Its name.
    pub name: String,
    /// The kind's code.
    pub kind: String,
    /// Its columns, in order.
    pub columns: Vec<ColumnInput>,
}

/// What a template file says it is.
pub const FILE_FORMAT: &str = "doorstep-template";

/// A valid template: a kind and its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    name: String,
    kind: RowKind,
    columns: Vec<Column>,
}

impl Template {
    /// Reads a template; every problem at its field (`name`, `kind`, `columns[2].field`,
    /// `columns[2].map`, `columns[2].header`).
    pub fn parse(
        name: &str,
        kind: &str,
        columns: &[ColumnInput],
    ) -> Result<Template, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > NAME_MAX {
            problems.push(FieldProblem::new(
                "name",
                Problem::TooLong { max: NAME_MAX },
            ));
        } else if name.starts_with(['=', '+', '-', '@']) || name.chars().any(char::is_control) {
            problems.push(FieldProblem::new("name", Problem::NameChars));
        }
        let kind = match RowKind::from_code(kind) {
            Some(k) => Some(k),
            None => {
                problems.push(FieldProblem::new("kind", Problem::Choice));
                None
            }
        };
        let columns: Vec<&ColumnInput> = columns
            .iter()
            .filter(|c| !(c.header.trim().is_empty() && c.field.trim().is_empty()))
            .collect();
        if columns.is_empty() {
            problems.push(FieldProblem::new("columns", Problem::Required));
        } else if columns.len() > COLUMNS_MAX {
            problems.push(FieldProblem::new(
                "columns",
                Problem::TooManyColumns { max: COLUMNS_MAX },
            ));
        }
        let mut out = Vec::new();
        if let Some(kind) = kind {
            for (i, c) in columns.iter().enumerate() {
                let at = |part: &str| format!("columns[{}].{part}", i + 1);
                let Some(position) = kind.position(c.field.trim()) else {
                    problems.push(FieldProblem::new(at("field"), Problem::TemplateField));
                    continue;
                };
                let field = &kind.fields()[position];
                let header = match c.header.trim() {
                    "" => field.zh.to_string(),
                    h => h.to_string(),
                };
                if header.chars().count() > HEADER_MAX {
                    problems.push(FieldProblem::new(
                        at("header"),
                        Problem::TooLong { max: HEADER_MAX },
                    ));
                }
                match Mapping::parse(&c.map, field) {
                    Ok(mapping) => out.push(Column {
                        header,
                        field: field.key,
                        position,
                        mapping,
                    }),
                    Err(p) => problems.push(FieldProblem::new(at("map"), p)),
                }
            }
        }
        match (kind, problems.is_empty()) {
            (Some(kind), true) => Ok(Template {
                name: name.to_string(),
                kind,
                columns: out,
            }),
            _ => Err(problems),
        }
    }

    /// Reads a template file (JSON); a file that is not one is a problem at `file`.
    pub fn from_file(bytes: &[u8]) -> Result<Template, Vec<FieldProblem>> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match serde_json::from_slice::<TemplateFile>(bytes) {
            Ok(f) if f.format == FILE_FORMAT => Template::parse(&f.name, &f.kind, &f.columns),
            _ => Err(vec![FieldProblem::new("file", Problem::TemplateFile)]),
        }
    }

    /// The template as a file holds it.
    pub fn file(&self) -> TemplateFile {
        TemplateFile {
            format: FILE_FORMAT.to_string(),
            name: self.name.clone(),
            kind: self.kind.code().to_string(),
            columns: self.inputs(),
        }
    }

    /// The columns as text (what a form shows, what a file holds).
    pub fn inputs(&self) -> Vec<ColumnInput> {
        self.columns
            .iter()
            .map(|c| ColumnInput {
                header: c.header.clone(),
                field: c.field.to_string(),
                map: c.mapping.as_ref().map(Mapping::text).unwrap_or_default(),
            })
            .collect()
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind of rows it exports.
    pub fn kind(&self) -> RowKind {
        self.kind
    }

    /// Its columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The header row.
    pub fn headers(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.header.as_str()).collect()
    }

    /// Whether a column shows `key` (the export asks before it fills costly fields).
    pub fn uses(&self, key: &str) -> bool {
        self.columns.iter().any(|c| c.field == key)
    }

    /// The cells of one row: `row` holds the kind's fields in [`RowKind::fields`] order.
    pub fn cells(&self, row: &[String]) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| {
                let v = row.get(c.position).map(String::as_str).unwrap_or("");
                match &c.mapping {
                    Some(m) => m.apply(v),
                    None => v.to_string(),
                }
            })
            .collect()
    }

    /// The upward direct report (上级直报), the first template: the self-report export's 18
    /// columns under their headers, in their order.
    pub fn direct_report() -> Template {
        let columns = SELF_REPORT_FIELDS[..18]
            .iter()
            .enumerate()
            .map(|(position, f)| Column {
                header: f.zh.to_string(),
                field: f.key,
                position,
                mapping: None,
            })
            .collect();
        Template {
            name: DIRECT_REPORT.to_string(),
            kind: RowKind::SelfReports,
            columns,
        }
    }
}

/// The built-in template's name.
pub const DIRECT_REPORT: &str = "上级直报";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn col(header: &str, field: &str, map: &str) -> ColumnInput {
        ColumnInput {
            header: header.into(),
            field: field.into(),
            map: map.into(),
        }
    }

    fn person_row() -> Vec<String> {
        let mut row = vec![String::new(); PERSON_FIELDS.len()];
        row[0] = "张伟".into();
        row[3] = "男".into();
        row[4] = "1985-03-07".into();
        row
    }

    #[test]
    fn values_and_dates_are_mapped_in_the_columns_order() {
        let t = Template::parse(
            "卫健委",
            "persons",
            &[
                col("XB", "sex", "男=1; 女=2"),
                col("", "name", ""),
                col("CSRQ", "birth_date", "yyyymmdd"),
                col("生日", "birth_date", "YYYY/MM/DD"),
                col("年", "birth_date", "YYYY年MM月DD日"),
            ],
        )
        .unwrap();
        assert_eq!(t.headers(), ["XB", "姓名", "CSRQ", "生日", "年"]);
        assert_eq!(
            t.cells(&person_row()),
            ["1", "张伟", "19850307", "1985/03/07", "1985年03月07日"]
        );
        let mut other = person_row();
        other[3] = "未知".into();
        other[4] = String::new();
        assert_eq!(t.cells(&other), ["未知", "张伟", "", "", ""]);
    }

    #[test]
    fn unknown_fields_and_bad_mappings_are_refused_at_their_column() {
        let e = Template::parse(
            "",
            "persons",
            &[
                col("a", "shoe_size", ""),
                col("b", "sex", "男1"),
                col("c", "name", "YYYYMMDD"),
                col("d", "birth_date", "DD.MM.YYYY"),
                col("e", "sex", "男=1;男=2"),
                col("", "", ""),
            ],
        )
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|p| (p.path.as_str(), p.problem.code()))
            .collect();
        assert_eq!(
            got,
            [
                ("name", "required"),
                ("columns[1].field", "template_field"),
                ("columns[2].map", "template_mapping"),
                ("columns[3].map", "template_date_format"),
                ("columns[4].map", "template_date_format"),
                ("columns[5].map", "template_mapping"),
            ]
        );
        for p in &e {
            assert_ne!(p.problem.message(Lang::Zh), p.problem.message(Lang::En));
        }
        let e = Template::parse("x", "cars", &[col("a", "name", "")]).unwrap_err();
        assert_eq!(e[0].path, "kind");
        let e = Template::parse("x", "persons", &[]).unwrap_err();
        assert_eq!(e[0].path, "columns");
    }

    #[test]
    fn a_file_reads_back_as_the_same_template() {
        let t = Template::parse(
            "街道模板",
            "episodes",
            &[
                col("姓名", "name", ""),
                col("开始", "starts_on", "YYYY/MM/DD"),
                col("状态", "status", "进行中=是；已解除=否"),
            ],
        )
        .unwrap();
        let json = serde_json::to_vec(&t.file()).unwrap();
        assert_eq!(Template::from_file(&json).unwrap(), t);
        assert_eq!(
            t.inputs()[2].map,
            "进行中=是; 已解除=否",
            "the mapping is written back in one spelling"
        );
        let e = Template::from_file(b"{\"name\": 1}").unwrap_err();
        assert_eq!(
            (e[0].path.as_str(), e[0].problem.code()),
            ("file", "template_file")
        );
    }

    #[test]
    fn the_direct_report_is_the_self_report_exports_columns() {
        let t = Template::direct_report();
        assert_eq!(t.kind(), RowKind::SelfReports);
        assert_eq!(t.headers().len(), 18);
        assert_eq!(t.headers()[0], "序号");
        assert_eq!(t.headers()[17], "备注");
        let round = Template::parse(t.name(), "self_reports", &t.inputs()).unwrap();
        assert_eq!(round, t);
    }

    #[test]
    fn daily_figures_name_every_figure_of_the_report_in_its_order() {
        let keys: Vec<&str> = DAILY_FIELDS.iter().map(|f| f.key).collect();
        let figures: Vec<&str> = crate::daily::FIGURES.iter().map(|f| f.key).collect();
        assert_eq!(
            keys[..5],
            ["day", "area", "community", "signed_by", "signed_at"]
        );
        assert_eq!(keys[5..keys.len() - 1], figures[..]);
        assert_eq!(keys.last(), Some(&"coverage"));
        assert!(DAILY_FIELDS[0].date && !DAILY_FIELDS[5].date);
        let t = Template::parse(
            "日报",
            "daily_figures",
            &[
                col("", "home_quarantine.new", ""),
                col("D", "day", "YYYYMMDD"),
            ],
        )
        .unwrap();
        assert_eq!(t.headers(), ["居家隔离 新增", "D"]);
        for k in [RowKind::TestResults, RowKind::CallOutcomes] {
            assert!(
                k.fields().iter().any(|f| f.date),
                "{k:?} has a day to format"
            );
        }
    }

    #[test]
    fn every_kind_names_each_field_once() {
        for k in RowKind::ALL {
            let mut keys: Vec<&str> = k.fields().iter().map(|f| f.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), k.fields().len(), "{}", k.code());
            assert_eq!(RowKind::from_code(k.code()), Some(k));
        }
    }
}
