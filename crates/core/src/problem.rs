//! Validation problems: a stable code for programs and a message for people, in both languages.
//!
//! This is the one place validation messages are written, so import, forms and the API
//! all say the same thing about the same mistake.

use crate::lang::Lang;

/// Something wrong with one value a person typed or a spreadsheet held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum Problem {
    /// A required value is missing.
    Required,
    /// A value is longer than allowed.
    TooLong {
        /// The largest allowed length in characters.
        max: usize,
    },
    /// The document type is not one Doorstep knows.
    UnknownDocType,
    /// An ID number was turned into a number by Excel (scientific notation or a numeric cell).
    IdExcelMangled,
    /// An ID number has the wrong length.
    IdLength,
    /// An ID number holds characters other than digits (and a final X).
    IdChars,
    /// The first two digits are not a province code.
    IdRegion,
    /// The birth date inside an ID number is not a real date.
    IdDate,
    /// The birth date inside an ID number is in the future.
    IdFutureDate,
    /// The check character does not match.
    IdChecksum,
    /// A non-ID-card document number does not have its document's format.
    DocFormat,
    /// A phone is present but is not a mainland mobile number.
    Phone,
    /// 性别 was given and contradicts the sex encoded in the ID number.
    SexMismatch,
    /// 性别 is not a value Doorstep understands.
    SexValue,
    /// 居住类型 is not one of the allowed values.
    ResidencyValue,
    /// A date could not be read.
    DateValue,
    /// A date lies in the future.
    FutureDate,
    /// An area name is empty or contains `/`.
    AreaName,
    /// An area kind is not one Doorstep knows.
    AreaKind,
    /// The address lies outside the area being worked on.
    OutsideArea,
    /// No building is named and the area worked on is not a building or unit.
    NoBuilding,
    /// A body temperature that is not a number between 34 and 43 °C.
    Temperature,
    /// A check-in's body temperature is not a reading from 35.0 to 42.0 °C.
    CheckinTemperature,
    /// A check-in for someone whose episode starts on a later day.
    NotDueYet,
    /// A medicine request without the medicine's name.
    MedicineName,
    /// An "other" supply request that does not say what.
    SupplyDetail,
    /// The same document twice in one household's report.
    DuplicateMember,
    /// A value that is not one of the offered choices.
    Choice,
    /// A daily report signed off for an area that is not a community.
    SignCommunityOnly,
    /// The document is on file outside the user's area: the row may not move or change that
    /// file (and the message names no one).
    RegisteredElsewhere,
    /// A number of hours that is not a whole number above 0.
    Hours,
    /// A name with a character no name has (a control character) or a formula's start.
    NameChars,
    /// A pool size other than 1, 5, 10 or 20.
    PoolSize,
    /// A tube code that is not 4–40 letters, digits or `-`.
    TubeCode,
    /// A range of codes whose ends do not share a prefix and a number of digits, or whose
    /// first code comes after its last.
    CodeRange,
    /// More codes than one batch may hold.
    TooManyCodes {
        /// The most codes allowed.
        max: usize,
    },
    /// A count that is not a whole number from 0 to a million.
    Quantity,
    /// A handover's transport temperature is not a number of degrees a cold box can hold.
    TransportTemperature,
    /// The transport took 2 hours or more and no temperature was recorded.
    TemperatureRequired,
    /// A round's lab deadline that is not a whole number of minutes from 30 to 1440.
    LabDeadline,
    /// A policy key that is not 2–40 lowercase letters, digits or `_` starting with a letter.
    PolicyKey,
    /// A vehicle plate that does not read as a Chinese plate.
    Plate,
    /// A scanned ID number or personal code that is no resident's file in the user's area.
    NotOnFile,
    /// A time span whose end is not after its start (a shift, a notice's validity).
    TimeSpan,
    /// An attached file larger than allowed.
    FileTooLarge {
        /// The largest allowed size in MiB.
        max_mib: usize,
    },
    /// An attached file that is not a PDF, an image or a document.
    FileType,
    /// A policy's number of days that is not a whole number from 1 to 366.
    PolicyDays,
    /// A policy's test days that are not days of the measure, or one given twice.
    PolicyTestDays,
    /// A policy's check-in windows that are not `HH:MM-HH:MM`, at most six, in order, apart.
    PolicyWindows,
    /// A release rule that asks for what the rules do not have (negative tests without test
    /// days, check-ins without windows).
    PolicyRelease,
    /// More members than one household's report may list.
    TooManyMembers {
        /// The most members allowed.
        max: usize,
    },
    /// A template column names a field its kind of rows does not have.
    TemplateField,
    /// A template column's value mapping is not pairs `from=to` separated by `;`, each `from`
    /// once.
    TemplateMapping,
    /// A date format on a field that holds no day, or a day with a format we do not write.
    TemplateDateFormat,
    /// A file that is not a template file.
    TemplateFile,
    /// More columns than a template may have.
    TooManyColumns {
        /// The most columns allowed.
        max: usize,
    },
    /// A retention period outside 1 to 3,650 days.
    RetentionDays,
    /// A range of days whose last day comes before its first.
    DayOrder,
    /// A range of days longer than allowed.
    TooManyDays {
        /// The most days allowed.
        max: usize,
    },
}

/// One problem with the field it concerns, by path: `id_number` on a person form,
/// `members[1].id_number` in a report, `expires_in_hours` on a link form. The one shape every
/// form, the API and the use cases report invalid input in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's path.
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, problem: Problem) -> FieldProblem {
        FieldProblem {
            path: path.into(),
            problem,
        }
    }
}

impl From<(crate::person::Field, Problem)> for FieldProblem {
    fn from((field, problem): (crate::person::Field, Problem)) -> FieldProblem {
        FieldProblem::new(field.key(), problem)
    }
}

impl Problem {
    /// The stable snake_case code programs branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::UnknownDocType => "unknown_id_type",
            Problem::IdExcelMangled => "id_excel_mangled",
            Problem::IdLength => "id_bad_length",
            Problem::IdChars => "id_bad_characters",
            Problem::IdRegion => "id_bad_region",
            Problem::IdDate => "id_bad_birth_date",
            Problem::IdFutureDate => "id_future_birth_date",
            Problem::IdChecksum => "id_bad_checksum",
            Problem::DocFormat => "document_bad_format",
            Problem::Phone => "phone_invalid",
            Problem::SexMismatch => "sex_contradicts_id",
            Problem::SexValue => "sex_invalid",
            Problem::ResidencyValue => "residency_invalid",
            Problem::DateValue => "date_invalid",
            Problem::FutureDate => "date_in_future",
            Problem::AreaName => "area_name_invalid",
            Problem::AreaKind => "area_kind_invalid",
            Problem::OutsideArea => "address_outside_area",
            Problem::NoBuilding => "building_required",
            Problem::Temperature => "temperature_invalid",
            Problem::CheckinTemperature => "checkin_temperature_invalid",
            Problem::NotDueYet => "checkin_not_due_yet",
            Problem::MedicineName => "medicine_name_required",
            Problem::SupplyDetail => "supply_detail_required",
            Problem::DuplicateMember => "duplicate_member",
            Problem::Choice => "choice_invalid",
            Problem::SignCommunityOnly => "sign_community_only",
            Problem::RegisteredElsewhere => "person_registered_elsewhere",
            Problem::Hours => "hours_invalid",
            Problem::NameChars => "name_invalid_characters",
            Problem::TooManyMembers { .. } => "too_many_members",
            Problem::RetentionDays => "retention_days_invalid",
            Problem::DayOrder => "day_range_reversed",
            Problem::TooManyDays { .. } => "day_range_too_long",
            Problem::PoolSize => "pool_size_invalid",
            Problem::TubeCode => "tube_code_invalid",
            Problem::CodeRange => "code_range_invalid",
            Problem::TooManyCodes { .. } => "too_many_codes",
            Problem::Quantity => "quantity_invalid",
            Problem::TransportTemperature => "transport_temperature_invalid",
            Problem::TemperatureRequired => "temperature_required",
            Problem::LabDeadline => "lab_deadline_invalid",
            Problem::PolicyKey => "policy_key_invalid",
            Problem::PolicyDays => "policy_days_invalid",
            Problem::PolicyTestDays => "policy_test_days_invalid",
            Problem::PolicyWindows => "policy_windows_invalid",
            Problem::PolicyRelease => "policy_release_invalid",
            Problem::Plate => "plate_invalid",
            Problem::NotOnFile => "person_not_on_file",
            Problem::TimeSpan => "time_span_invalid",
            Problem::FileTooLarge { .. } => "file_too_large",
            Problem::FileType => "file_type_invalid",
            Problem::TemplateField => "template_field",
            Problem::TemplateMapping => "template_mapping",
            Problem::TemplateDateFormat => "template_date_format",
            Problem::TemplateFile => "template_file",
            Problem::TooManyColumns { .. } => "too_many_columns",
        }
    }

    /// The message a person reads, in their language.
    pub fn message(&self, lang: Lang) -> String {
        let s = match self {
            Problem::Required => lang.pick("必填，不能为空", "is required"),
            Problem::TooLong { max } => {
                return match lang {
                    Lang::Zh => format!("过长，最多 {max} 个字"),
                    Lang::En => format!("is too long (at most {max} characters)"),
                };
            }
            Problem::TooManyColumns { max } => {
                return match lang {
                    Lang::Zh => format!("列过多，一个模板最多 {max} 列"),
                    Lang::En => format!("too many columns (at most {max} in a template)"),
                };
            }
            Problem::TemplateField => lang.pick(
                "此类数据没有这个字段，请从列表中选择",
                "this kind of rows has no such field; pick one from the list",
            ),
            Problem::TemplateMapping => lang.pick(
                "值对照应写成 原值=新值，用分号分隔，每个原值只写一次，如 男=1; 女=2",
                "a value mapping is from=to pairs separated by ;, each from once, e.g. 男=1; 女=2",
            ),
            Problem::TemplateDateFormat => lang.pick(
                "日期格式只用于日期字段，可选 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年MM月DD日",
                "a date format applies to a date field only, and is YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年MM月DD日",
            ),
            Problem::TemplateFile => lang.pick(
                "不是报表模板文件（应为导出的 JSON 模板文件）",
                "not a template file (a JSON template file as exported)",
            ),
            Problem::TooManyMembers { max } => {
                return match lang {
                    Lang::Zh => format!("成员过多，一次报备最多 {max} 人"),
                    Lang::En => format!("too many members (at most {max} members)"),
                };
            }
            Problem::TooManyCodes { max } => {
                return match lang {
                    Lang::Zh => format!("码太多，一批最多 {max} 个"),
                    Lang::En => format!("too many codes (at most {max} in one batch)"),
                };
            }
            Problem::UnknownDocType => lang.pick(
                "证件类型无法识别，可填：居民身份证、护照、港澳居民来往内地通行证、台湾居民来往大陆通行证、外国人永久居留身份证",
                "unknown document type; use one of 居民身份证 (resident ID), 护照 (passport), 港澳居民来往内地通行证, 台湾居民来往大陆通行证, 外国人永久居留身份证",
            ),
            Problem::IdExcelMangled => lang.pick(
                "证件号码已被 Excel 当作数字改坏（如 4.10103E+17，末几位已丢失）。请把该列设为“文本”格式后重新填写原号码",
                "the ID number was turned into a number by Excel (e.g. 4.10103E+17) and its last digits are lost; format the column as Text and type the number again",
            ),
            Problem::IdLength => lang.pick(
                "身份证号码应为 18 位（旧版 15 位）",
                "a resident ID number has 18 characters (15 for the old kind)",
            ),
            Problem::IdChars => lang.pick(
                "身份证号码只能是数字，最后一位可以是 X",
                "a resident ID number is digits only, with an optional final X",
            ),
            Problem::IdRegion => lang.pick(
                "身份证号码前两位不是有效的省级行政区代码",
                "the first two digits are not a valid province code",
            ),
            Problem::IdDate => lang.pick(
                "身份证号码中的出生日期不是有效日期",
                "the birth date inside the ID number is not a real date",
            ),
            Problem::IdFutureDate => lang.pick(
                "身份证号码中的出生日期晚于今天",
                "the birth date inside the ID number is in the future",
            ),
            Problem::IdChecksum => lang.pick(
                "身份证号码校验位不正确，请核对是否有错字",
                "the check character does not match; one of the digits is probably wrong",
            ),
            Problem::DocFormat => lang.pick(
                "证件号码格式不符合该证件类型",
                "the number does not have the format of this document type",
            ),
            Problem::Phone => lang.pick(
                "手机号码应为 11 位，以 13–19 开头（可带 +86）",
                "a mobile number has 11 digits starting 13–19 (+86 allowed)",
            ),
            Problem::SexMismatch => lang.pick(
                "性别与身份证号码不一致（身份证第 17 位奇数为男、偶数为女）",
                "sex contradicts the ID number (17th digit odd = male, even = female)",
            ),
            Problem::SexValue => lang.pick("性别应填“男”或“女”", "sex must be 男/male or 女/female"),
            Problem::ResidencyValue => lang.pick(
                "居住类型应为：常住、租住、暂住",
                "residency must be 常住 (permanent), 租住 (renting) or 暂住 (temporary)",
            ),
            Problem::DateValue => lang.pick(
                "日期无法识别，请用 YYYY-MM-DD 格式",
                "the date could not be read; use YYYY-MM-DD",
            ),
            Problem::FutureDate => lang.pick("日期不能晚于今天", "the date is in the future"),
            Problem::AreaName => lang.pick(
                "区域名称不能为空，也不能含“/”",
                "an area name must not be empty or contain '/'",
            ),
            Problem::AreaKind => lang.pick(
                "区域类型应为：区、街道、社区、网格、小区、楼栋、单元",
                "area kind must be district, street, community, grid, compound, building or unit",
            ),
            Problem::OutsideArea => lang.pick(
                "地址不在所选区域内",
                "the address is outside the chosen area",
            ),
            Problem::NoBuilding => lang.pick(
                "请填写楼栋（导入到社区或小区时必填）",
                "a building is required when importing into a community or compound",
            ),
            Problem::Temperature => lang.pick(
                "体温应为 34–43 之间的数字（摄氏度），如 36.5",
                "the temperature must be a number from 34 to 43 (°C), e.g. 36.5",
            ),
            Problem::CheckinTemperature => lang.pick(
                "体温应为 35.0–42.0 之间的读数（摄氏度），如 36.5",
                "the temperature must be a reading from 35.0 to 42.0 °C, e.g. 36.5",
            ),
            Problem::MedicineName => lang.pick(
                "请写明药品名称和数量",
                "name the medicine and how much",
            ),
            Problem::SupplyDetail => lang.pick(
                "请写明需要什么",
                "say what is needed",
            ),
            Problem::NotDueYet => lang.pick(
                "隔离或监测尚未开始，开始当天再打卡",
                "their quarantine or monitoring has not started yet; check in from its first day",
            ),
            Problem::DuplicateMember => lang.pick(
                "同一证件号码在本次报备中重复填写",
                "this document number is already given for another member",
            ),
            Problem::Choice => lang.pick("请从列出的选项中选择", "choose one of the listed options"),
            Problem::SignCommunityOnly => lang.pick(
                "日报由社区签收，请选择一个社区",
                "a daily report is signed off by a community: choose a community",
            ),
            Problem::Hours => lang.pick(
                "有效小时数应为大于 0 的整数",
                "the number of hours must be a whole number above 0",
            ),
            Problem::RegisteredElsewhere => lang.pick(
                "该证件已登记在您负责的区域以外，不能在此导入或修改；请联系社区核实",
                "this document is registered outside your area and cannot be imported or changed here; ask the community office",
            ),
            Problem::PoolSize => lang.pick(
                "混采人数应为 1、5、10 或 20",
                "the pool size must be 1, 5, 10 or 20",
            ),
            Problem::TubeCode => lang.pick(
                "试管码应为 4–40 位字母、数字或“-”，请重新扫码",
                "a tube code is 4–40 letters, digits or '-'; scan it again",
            ),
            Problem::CodeRange => lang.pick(
                "号段应为两个前缀相同、数字位数相同的码，前小后大，如 T2026000001-T2026000500",
                "a range is two codes with the same prefix and the same number of digits, the first not after the last, e.g. T2026000001-T2026000500",
            ),
            Problem::Quantity => lang.pick(
                "数量应为 0 到 1000000 之间的整数",
                "the count must be a whole number from 0 to 1,000,000",
            ),
            Problem::TransportTemperature => lang.pick(
                "转运温度应为 -40 到 40 之间的数字（摄氏度），如 4.5",
                "the transport temperature must be a number from -40 to 40 (°C), e.g. 4.5",
            ),
            Problem::TemperatureRequired => lang.pick(
                "转运已达 2 小时或以上，必须填写箱内温度（摄氏度）",
                "the transport took 2 hours or more: the temperature in the box (°C) is required",
            ),
            Problem::LabDeadline => lang.pick(
                "送达实验室时限应为 30–1440 之间的整数（分钟）",
                "the lab deadline must be a whole number of minutes from 30 to 1440",
            ),
            Problem::PolicyKey => lang.pick(
                "政策代码应为 2–40 位小写字母、数字或下划线，以字母开头，如 ninth_edition",
                "a policy key is 2–40 lowercase letters, digits or _, starting with a letter, e.g. ninth_edition",
            ),
            Problem::PolicyDays => lang.pick(
                "天数应为 1–366 之间的整数",
                "the number of days must be a whole number from 1 to 366",
            ),
            Problem::PolicyTestDays => lang.pick(
                "检测日应为期间内的第几天（1 至天数），用逗号分隔、不重复，如 1,4,7",
                "test days are days of the measure (1 to its number of days), separated by commas, each once, e.g. 1,4,7",
            ),
            Problem::PolicyWindows => lang.pick(
                "打卡时段应写成 HH:MM-HH:MM，每天最多 6 段，按先后顺序、互不重叠，如 07:00-11:00, 15:00-19:00",
                "check-in windows are HH:MM-HH:MM, at most six a day, in order and not overlapping, e.g. 07:00-11:00, 15:00-19:00",
            ),
            Problem::PolicyRelease => lang.pick(
                "解除条件与规则不符：要求检测阴性须设检测日，要求完成打卡须设打卡时段",
                "the release rule does not fit the rules: negative tests need test days, check-ins need check-in windows",
            ),
            Problem::Plate => lang.pick(
                "车牌号应为省份简称、字母和 5–6 位字母或数字，如 豫A12345",
                "a plate is a province's character, a letter and 5–6 letters or digits, e.g. 豫A12345",
            ),
            Problem::NotOnFile => lang.pick(
                "本辖区没有此证件号码或个人码的居民档案，请按访客登记",
                "no resident in your area has this ID number or personal code; note them as a visitor",
            ),
            Problem::RetentionDays => lang.pick(
                "保存期限应为 1 到 3650 之间的天数",
                "the retention period must be 1 to 3,650 days",
            ),
            Problem::TimeSpan => lang.pick(
                "结束时间应晚于开始时间",
                "the end must come after the start",
            ),
            Problem::DayOrder => lang.pick(
                "结束日期不能早于开始日期",
                "the last day must not come before the first",
            ),
            Problem::TooManyDays { max } => {
                return match lang {
                    Lang::Zh => format!("日期范围不能超过 {max} 天"),
                    Lang::En => format!("the range must not span more than {max} days"),
                };
            }
            Problem::FileTooLarge { max_mib } => {
                return match lang {
                    Lang::Zh => format!("文件不能超过 {max_mib} MB"),
                    Lang::En => format!("the file must not be larger than {max_mib} MB"),
                };
            }
            Problem::FileType => lang.pick(
                "只接受 PDF、图片（JPG、PNG）或 Word、Excel 文件",
                "only PDF, images (JPG, PNG) or Word and Excel files are accepted",
            ),
            Problem::NameChars => lang.pick(
                "姓名不能含控制字符或不可见字符，也不能以 =、+、-、@ 开头",
                "a name must not contain control or invisible characters or start with =, +, - or @",
            ),
        };
        s.to_string()
    }
}
