//! A person's file (一人一档): the fields, their rules, and how they fit together.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::idnum::{DocType, IdDocument};
use crate::lang::Lang;
use crate::phone::Phone;
use crate::problem::Problem;
use crate::text::{compact, tidy};

/// Sex, as the ID card encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// The name in a language: 男/女 or male/female.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Sex::Male, Lang::Zh) => "男",
            (Sex::Female, Lang::Zh) => "女",
            (Sex::Male, Lang::En) => "Male",
            (Sex::Female, Lang::En) => "Female",
        }
    }

    /// Reads 男/女, male/female, M/F; empty is `None`.
    pub fn parse_optional(raw: &str) -> Result<Option<Sex>, Problem> {
        match compact(raw).to_lowercase().as_str() {
            "" => Ok(None),
            "男" | "男性" | "m" | "male" => Ok(Some(Sex::Male)),
            "女" | "女性" | "f" | "female" => Ok(Some(Sex::Female)),
            _ => Err(Problem::SexValue),
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label(Lang::Zh))
    }
}

/// How a person lives at the address (居住类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Residency {
    /// 常住 — lives here (owner or long-term).
    Permanent,
    /// 租住 — rents here.
    Renting,
    /// 暂住 — staying temporarily.
    Temporary,
}

impl Residency {
    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Residency::Permanent => "permanent",
            Residency::Renting => "renting",
            Residency::Temporary => "temporary",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Residency::Permanent, Lang::Zh) => "常住",
            (Residency::Renting, Lang::Zh) => "租住",
            (Residency::Temporary, Lang::Zh) => "暂住",
            (Residency::Permanent, Lang::En) => "Permanent",
            (Residency::Renting, Lang::En) => "Renting",
            (Residency::Temporary, Lang::En) => "Temporary",
        }
    }

    /// Reads 常住/租住/暂住 or their codes; empty is `None`.
    pub fn parse_optional(raw: &str) -> Result<Option<Residency>, Problem> {
        match compact(raw).to_lowercase().as_str() {
            "" => Ok(None),
            "常住" | "户籍" | "permanent" => Ok(Some(Residency::Permanent)),
            "租住" | "租户" | "renting" | "tenant" => Ok(Some(Residency::Renting)),
            "暂住" | "临时" | "temporary" => Ok(Some(Residency::Temporary)),
            _ => Err(Problem::ResidencyValue),
        }
    }
}

/// Tags on a person: the known ones (独居老人, 行动不便, 孕妇, 婴幼儿, 慢性病) and free ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tags(Vec<String>);

impl Tags {
    /// The tags the forms offer as check boxes.
    pub const KNOWN: [&'static str; 5] = ["独居老人", "行动不便", "孕妇", "婴幼儿", "慢性病"];

    /// Reads tags separated by commas, 、, semicolons or `|`; duplicates fold, order is kept.
    pub fn parse(raw: &str) -> Result<Tags, Problem> {
        let mut tags: Vec<String> = Vec::new();
        for part in raw.split([',', '，', '、', ';', '；', '|']) {
            let t = tidy(part);
            if t.is_empty() || tags.contains(&t) {
                continue;
            }
            if t.chars().count() > 20 {
                return Err(Problem::TooLong { max: 20 });
            }
            tags.push(t);
        }
        Ok(Tags(tags))
    }

    /// Rebuilds tags from storage.
    pub fn from_stored(v: Vec<String>) -> Tags {
        Tags(v)
    }

    /// The tags in order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The tags joined with `、`, as spreadsheets show them.
    pub fn joined(&self) -> String {
        self.0.join("、")
    }
}

/// One field of a person or of their address: the unit errors are reported against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// 姓名
    Name,
    /// 证件类型
    IdType,
    /// 证件号码
    IdNumber,
    /// 性别
    Sex,
    /// 出生日期
    BirthDate,
    /// 联系电话
    Phone,
    /// 小区
    Compound,
    /// 楼栋
    Building,
    /// 单元
    Unit,
    /// 房号
    Room,
    /// 与户主关系
    Relation,
    /// 居住类型
    Residency,
    /// 标签
    Tags,
}

impl Field {
    /// Every field, in the order of the roster template.
    pub const ALL: [Field; 13] = [
        Field::Name,
        Field::IdType,
        Field::IdNumber,
        Field::Sex,
        Field::BirthDate,
        Field::Phone,
        Field::Compound,
        Field::Building,
        Field::Unit,
        Field::Room,
        Field::Relation,
        Field::Residency,
        Field::Tags,
    ];

    /// The snake_case key used in JSON and form field names.
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::IdType => "id_type",
            Field::IdNumber => "id_number",
            Field::Sex => "sex",
            Field::BirthDate => "birth_date",
            Field::Phone => "phone",
            Field::Compound => "compound",
            Field::Building => "building",
            Field::Unit => "unit",
            Field::Room => "room",
            Field::Relation => "relation",
            Field::Residency => "residency",
            Field::Tags => "tags",
        }
    }

    /// The Chinese column header of the roster template.
    pub fn header_zh(self) -> &'static str {
        match self {
            Field::Name => "姓名",
            Field::IdType => "证件类型",
            Field::IdNumber => "证件号码",
            Field::Sex => "性别",
            Field::BirthDate => "出生日期",
            Field::Phone => "联系电话",
            Field::Compound => "小区",
            Field::Building => "楼栋",
            Field::Unit => "单元",
            Field::Room => "房号",
            Field::Relation => "与户主关系",
            Field::Residency => "居住类型",
            Field::Tags => "标签",
        }
    }

    /// The label in a language (Chinese header or English words).
    pub fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.header_zh(),
            Lang::En => match self {
                Field::Name => "Name",
                Field::IdType => "Document type",
                Field::IdNumber => "Document number",
                Field::Sex => "Sex",
                Field::BirthDate => "Birth date",
                Field::Phone => "Phone",
                Field::Compound => "Compound",
                Field::Building => "Building",
                Field::Unit => "Unit",
                Field::Room => "Room",
                Field::Relation => "Relation to head",
                Field::Residency => "Residency",
                Field::Tags => "Tags",
            },
        }
    }

    /// Recognises a column header in Chinese or English (spaces, case and full width ignored).
    pub fn from_header(raw: &str) -> Option<Field> {
        let h: String = compact(raw.trim_start_matches('\u{feff}'))
            .to_lowercase()
            .replace(['*', '＊'], "");
        let f = match h.as_str() {
            "姓名" | "name" | "名字" => Field::Name,
            "证件类型" | "id_type" | "idtype" | "documenttype" => Field::IdType,
            "证件号码" | "身份证号" | "身份证号码" | "证件号" | "id_number" | "idnumber"
            | "身份证" => Field::IdNumber,
            "性别" | "sex" | "gender" => Field::Sex,
            "出生日期" | "birth_date" | "birthdate" | "生日" => Field::BirthDate,
            "联系电话" | "手机号" | "手机号码" | "电话" | "phone" | "mobile" | "联系方式" => {
                Field::Phone
            }
            "小区" | "楼院" | "小区/楼院" | "compound" => Field::Compound,
            "楼栋" | "楼号" | "building" | "楼栋号" => Field::Building,
            "单元" | "unit" | "单元号" => Field::Unit,
            "房号" | "门牌号" | "room" | "房间号" => Field::Room,
            "与户主关系" | "relation" | "关系" => Field::Relation,
            "居住类型" | "residency" | "居住状态" => Field::Residency,
            "标签" | "tags" | "人员标签" => Field::Tags,
            _ => return None,
        };
        Some(f)
    }
}

/// The raw text of a person's fields, as a form or a spreadsheet row gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    /// 姓名
    pub name: String,
    /// 证件类型 (empty: resident ID card)
    pub id_type: String,
    /// 证件号码
    pub id_number: String,
    /// 性别 (optional; derived from a resident ID)
    pub sex: String,
    /// 出生日期 (optional; derived from a resident ID)
    pub birth_date: String,
    /// 联系电话 (optional)
    pub phone: String,
    /// 与户主关系 (optional)
    pub relation: String,
    /// 居住类型 (optional)
    pub residency: String,
    /// 标签 (optional)
    pub tags: String,
}

/// A person's validated fields: what one person file holds besides its household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFields {
    name: String,
    doc: IdDocument,
    sex: Option<Sex>,
    birth_date: Option<Date>,
    phone: Option<Phone>,
    relation: Option<String>,
    residency: Option<Residency>,
    tags: Tags,
}

impl PersonFields {
    /// Validates every field and reports every problem, each against its field.
    pub fn parse(input: &PersonInput, today: Date) -> Result<PersonFields, Vec<(Field, Problem)>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let name = take(e, Field::Name, parse_name(&input.name));
        let doc = take(e, Field::IdType, DocType::parse(&input.id_type)).and_then(|t| {
            take(
                e,
                Field::IdNumber,
                IdDocument::parse(t, &input.id_number, today),
            )
        });
        let sex_given = take(e, Field::Sex, Sex::parse_optional(&input.sex));
        let birth_given = take(
            e,
            Field::BirthDate,
            parse_date_optional(&input.birth_date, today),
        );
        let phone = take(e, Field::Phone, Phone::parse_optional(&input.phone));
        let relation = take(e, Field::Relation, optional_text(&input.relation, 20));
        let residency = take(
            e,
            Field::Residency,
            Residency::parse_optional(&input.residency),
        );
        let tags = take(e, Field::Tags, Tags::parse(&input.tags));
        let (mut sex, mut birth_date) = (sex_given.flatten(), birth_given.flatten());
        if let Some(doc) = &doc {
            if let Some(id_sex) = doc.sex() {
                if sex.is_some_and(|s| s != id_sex) {
                    errors.push((Field::Sex, Problem::SexMismatch));
                }
                sex = Some(id_sex);
            }
            if let Some(id_birth) = doc.birth_date() {
                birth_date = Some(id_birth);
            }
        }
        match (name, doc, phone, relation, residency, tags) {
            (Some(name), Some(doc), Some(phone), Some(relation), Some(residency), Some(tags))
                if errors.is_empty() =>
            {
                Ok(PersonFields {
                    name,
                    doc,
                    sex,
                    birth_date,
                    phone,
                    relation,
                    residency,
                    tags,
                })
            }
            _ => Err(errors),
        }
    }

    /// Rebuilds a person from storage, where it was validated on the way in.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        name: String,
        doc: IdDocument,
        sex: Option<Sex>,
        birth_date: Option<Date>,
        phone: Option<Phone>,
        relation: Option<String>,
        residency: Option<Residency>,
        tags: Tags,
    ) -> PersonFields {
        PersonFields {
            name,
            doc,
            sex,
            birth_date,
            phone,
            relation,
            residency,
            tags,
        }
    }

    /// 姓名
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The identity document.
    pub fn doc(&self) -> &IdDocument {
        &self.doc
    }
    /// 性别
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }
    /// 出生日期
    pub fn birth_date(&self) -> Option<Date> {
        self.birth_date
    }
    /// 联系电话
    pub fn phone(&self) -> Option<&Phone> {
        self.phone.as_ref()
    }
    /// 与户主关系
    pub fn relation(&self) -> Option<&str> {
        self.relation.as_deref()
    }
    /// 居住类型
    pub fn residency(&self) -> Option<Residency> {
        self.residency
    }
    /// 标签
    pub fn tags(&self) -> &Tags {
        &self.tags
    }
}

/// Keeps a value, or records its problem against its field.
fn take<T>(errors: &mut Vec<(Field, Problem)>, field: Field, r: Result<T, Problem>) -> Option<T> {
    r.map_err(|p| errors.push((field, p))).ok()
}

/// A person's name: 1–50 characters, tidied. It may hold `·` (as in 买买提·艾力) and spaces, but
/// no control or invisible formatting characters, and it does not start with `=`, `+`, `-` or
/// `@`: no name does, and spreadsheets run such text as a formula.
fn parse_name(raw: &str) -> Result<String, Problem> {
    let name = required_text(raw, 50)?;
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
    };
    if name.starts_with(['=', '+', '-', '@']) || name.chars().any(invisible) {
        return Err(Problem::NameChars);
    }
    Ok(name)
}

fn required_text(raw: &str, max: usize) -> Result<String, Problem> {
    match optional_text(raw, max)? {
        Some(s) => Ok(s),
        None => Err(Problem::Required),
    }
}

fn optional_text(raw: &str, max: usize) -> Result<Option<String>, Problem> {
    let s = tidy(raw);
    if s.chars().count() > max {
        return Err(Problem::TooLong { max });
    }
    Ok(if s.is_empty() { None } else { Some(s) })
}

/// Reads a date written as `2024-03-05`, `2024/3/5`, `2024.3.5`, `20240305` or `2024年3月5日`.
pub fn parse_date_optional(raw: &str, today: Date) -> Result<Option<Date>, Problem> {
    let s = compact(raw);
    if s.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[0..4], &s[4..6], &s[6..8]]
    } else {
        s.trim_end_matches('日')
            .split(['-', '/', '.', '年', '月'])
            .collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(Problem::DateValue);
    };
    let y: i32 = y.parse().map_err(|_| Problem::DateValue)?;
    let m: u8 = m.parse().map_err(|_| Problem::DateValue)?;
    let d: u8 = d.parse().map_err(|_| Problem::DateValue)?;
    let month = Month::try_from(m).map_err(|_| Problem::DateValue)?;
    let date = Date::from_calendar_date(y, month, d).map_err(|_| Problem::DateValue)?;
    if date > today {
        return Err(Problem::FutureDate);
    }
    if y < 1880 {
        return Err(Problem::DateValue);
    }
    Ok(Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 29);

    fn input(name: &str, id: &str) -> PersonInput {
        PersonInput {
            name: name.into(),
            id_number: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn derives_sex_and_birth_from_id() {
        let p = PersonFields::parse(&input("张三", "11010519491231002X"), TODAY).unwrap();
        assert_eq!(p.sex(), Some(Sex::Female));
        assert_eq!(p.birth_date(), Some(date!(1949 - 12 - 31)));
        assert_eq!(p.doc().doc_type(), DocType::ResidentId);
    }

    #[test]
    fn sex_contradicting_id_is_an_error() {
        let mut i = input("张三", "11010519491231002X");
        i.sex = "男".into();
        let errs = PersonFields::parse(&i, TODAY).unwrap_err();
        assert_eq!(errs, vec![(Field::Sex, Problem::SexMismatch)]);
        i.sex = "女".into();
        assert!(PersonFields::parse(&i, TODAY).is_ok());
    }

    #[test]
    fn every_problem_is_reported() {
        let mut i = input("  ", "123");
        i.phone = "555".into();
        i.residency = "别墅".into();
        let errs = PersonFields::parse(&i, TODAY).unwrap_err();
        let fields: Vec<Field> = errs.iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            vec![Field::Name, Field::IdNumber, Field::Phone, Field::Residency]
        );
    }

    #[test]
    fn names_refuse_what_no_name_has() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(1)",
            "＝1+1",
            "\t=1",
            "张\u{0}三",
            "张\u{7}三",
            "张\u{202E}三",
        ] {
            let errs = PersonFields::parse(&input(bad, "11010519491231002X"), TODAY).unwrap_err();
            assert_eq!(errs, vec![(Field::Name, Problem::NameChars)], "{bad:?}");
        }
        for good in [
            "买买提·艾力",
            "John Smith",
            "欧阳 娜娜",
            "O'Neil",
            "Anne-Marie",
        ] {
            let p = PersonFields::parse(&input(good, "11010519491231002X"), TODAY).unwrap();
            assert_eq!(p.name(), good);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_name_starting_like_a_formula_is_refused(
            start in proptest::sample::select(vec!['=', '+', '-', '@']),
            rest in "[a-z张伟()\"=+ ]{0,20}",
        ) {
            let name = format!("{start}{rest}");
            let got = PersonFields::parse(&input(&name, "11010519491231002X"), TODAY);
            proptest::prop_assert_eq!(got.unwrap_err(), vec![(Field::Name, Problem::NameChars)]);
        }

        #[test]
        fn chinese_names_with_dots_and_spaces_pass(name in "[张王李伟芳娜][张王李伟芳娜· ]{0,10}[伟芳娜]") {
            let p = PersonFields::parse(&input(&name, "11010519491231002X"), TODAY).unwrap();
            proptest::prop_assert_eq!(p.name(), crate::text::tidy(&name));
        }
    }

    #[test]
    fn passport_takes_sex_and_birth_from_columns() {
        let mut i = input("John Smith", "E12345678");
        i.id_type = "护照".into();
        i.sex = "M".into();
        i.birth_date = "1980年3月5日".into();
        let p = PersonFields::parse(&i, TODAY).unwrap();
        assert_eq!(p.sex(), Some(Sex::Male));
        assert_eq!(p.birth_date(), Some(date!(1980 - 03 - 05)));
    }

    #[test]
    fn tags_and_dates() {
        assert_eq!(
            Tags::parse("独居老人、慢性病,独居老人").unwrap().as_slice(),
            ["独居老人", "慢性病"]
        );
        assert_eq!(
            parse_date_optional("2024/3/5", TODAY),
            Ok(Some(date!(2024 - 03 - 05)))
        );
        assert_eq!(
            parse_date_optional("20240305", TODAY),
            Ok(Some(date!(2024 - 03 - 05)))
        );
        assert_eq!(
            parse_date_optional("2024-02-30", TODAY),
            Err(Problem::DateValue)
        );
        assert_eq!(
            parse_date_optional("2030-01-01", TODAY),
            Err(Problem::FutureDate)
        );
    }

    #[test]
    fn headers() {
        assert_eq!(Field::from_header("\u{feff}姓名"), Some(Field::Name));
        assert_eq!(Field::from_header("身份证号码"), Some(Field::IdNumber));
        assert_eq!(Field::from_header("ID_Number"), Some(Field::IdNumber));
        assert_eq!(Field::from_header("门牌号"), Some(Field::Room));
        assert_eq!(Field::from_header("备注"), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.header_zh()), Some(f));
            assert_eq!(Field::from_header(f.key()), Some(f));
        }
    }
}
