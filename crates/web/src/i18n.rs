//! The user-interface texts, in Chinese and English: one table, looked up by key.
//! Validation messages come from `doorstep_core::Problem::message`, in the same languages.

use doorstep_core::Lang;

/// A translator for one request's language, handed to every template as `t`.
#[derive(Debug, Clone, Copy)]
pub struct T(pub Lang);

/// (key, 中文, English), sorted by key for binary search (a test keeps it sorted and complete).
const TEXTS: &[(&str, &str, &str)] = &[
    ("action", "操作", "Action"),
    ("add_household", "添加房间（户）", "Add room (household)"),
    ("add_person", "添加人员", "Add person"),
    ("address", "地址", "Address"),
    ("age_band", "年龄段", "Age band"),
    ("all", "全部", "All"),
    ("app", "家门口", "Doorstep"),
    ("area", "区域", "Area"),
    ("area_tree", "区域", "Areas"),
    ("at", "时间", "Time"),
    ("audit", "审计日志", "Audit log"),
    ("back", "返回", "Back"),
    ("birth_date", "出生日期", "Birth date"),
    ("cancel", "取消", "Cancel"),
    ("changes", "变更", "Changes"),
    (
        "check_fields",
        "请按提示修改后重新提交",
        "Please correct the marked fields",
    ),
    ("children", "下级区域", "Areas within"),
    ("created", "新建", "Created"),
    ("details", "详情", "Details"),
    (
        "download_rejects",
        "下载被拒绝的行（Excel，可修改后重新导入）",
        "Download the rejected rows (Excel, fix and re-import)",
    ),
    ("edit", "修改", "Edit"),
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("error", "出错了", "Something went wrong"),
    ("export", "导出", "Export"),
    ("export_csv", "导出 CSV", "Export CSV"),
    ("export_xlsx", "导出 Excel", "Export Excel"),
    (
        "field_role_note",
        "您的工作清单将在检测轮次中显示。",
        "Your work lists appear with testing rounds.",
    ),
    ("file", "文件（CSV 或 Excel）", "File (CSV or Excel)"),
    ("filter", "筛选", "Filter"),
    ("history", "变更记录", "History"),
    ("home", "首页", "Home"),
    ("household", "户", "Household"),
    ("households", "户数", "Households"),
    ("households_created", "新建户数", "Households created"),
    ("id_number", "证件号码", "Document number"),
    ("id_type", "证件类型", "Document type"),
    ("import", "导入名单", "Import"),
    ("import_done", "导入完成", "Import finished"),
    (
        "import_help",
        "表头可用中文或英文：姓名、证件号码、联系电话、小区、楼栋、单元、房号、与户主关系、居住类型、标签。支持 UTF-8 或 GBK 编码的 CSV 与 Excel。",
        "Headers in Chinese or English: name, id_number, phone, compound, building, unit, room, relation, residency, tags. CSV (UTF-8 or GBK) and Excel are accepted.",
    ),
    ("import_into", "导入到", "Import into"),
    ("importing", "正在导入……", "Importing…"),
    ("lang_switch", "English", "中文"),
    (
        "limited_role",
        "您的角色不查看人员信息。",
        "Your role does not see the registry.",
    ),
    ("login", "登录", "Log in"),
    ("logout", "退出", "Log out"),
    ("members", "家庭成员", "Members"),
    ("menu", "菜单", "Menu"),
    ("mobility", "行动不便", "Limited mobility"),
    ("name", "姓名", "Name"),
    ("next_page", "下一页", "Next"),
    ("no_results", "没有找到", "Nothing found"),
    ("notes", "备注", "Notes"),
    ("password", "密码", "Password"),
    ("persons", "人数", "Persons"),
    ("phone", "联系电话", "Phone"),
    ("prev_page", "上一页", "Previous"),
    ("rejected", "拒绝", "Rejected"),
    ("rejected_rows", "被拒绝的行", "Rejected rows"),
    ("relation", "与户主关系", "Relation to head"),
    ("request_id", "请求编号", "Request id"),
    ("residency", "居住类型", "Residency"),
    ("reveal", "查看完整号码", "Show full numbers"),
    (
        "revealed_note",
        "已显示完整号码，本次查看已记录。",
        "Full numbers shown; this view is recorded.",
    ),
    (
        "rf_add_member",
        "添加一位家庭成员",
        "Add a household member",
    ),
    ("rf_another", "为另一户报备", "Report another household"),
    ("rf_arrival_date", "到达日期", "Date of arrival"),
    ("rf_change_place", "重新选择楼栋", "Choose another building"),
    ("rf_choose", "请选择", "Choose"),
    (
        "rf_choose_place",
        "请选择您家所在的楼栋和单元",
        "Choose your building and unit",
    ),
    ("rf_correct", "修改报备", "Correct this report"),
    (
        "rf_correct_hint",
        "请截图或记下回执编号。填错了？在下面的时间之前可以在本页修改，社区审核后不能再改。",
        "Keep this code (take a screenshot). Made a mistake? You can correct the report here until the time below, and until the community has reviewed it.",
    ),
    ("rf_corrected", "报备已修改", "Report corrected"),
    ("rf_correcting", "修改报备内容", "Correcting your report"),
    ("rf_edit_until", "可修改至", "Can be corrected until"),
    ("rf_from_place", "从何地返回", "Returned from"),
    (
        "rf_intro",
        "全户填写一次，每位家庭成员填一栏。",
        "Fill in once for the whole household, one block per member.",
    ),
    (
        "rf_keep_receipt",
        "请截图或记下回执编号。如需更正，请联系社区并提供此编号。",
        "Keep this code (take a screenshot). To correct the report, call your community with this code.",
    ),
    ("rf_member", "成员", "Member"),
    ("rf_next", "下一步", "Next"),
    (
        "rf_notified_by",
        "通知居家隔离的单位或人员",
        "Who told you to quarantine at home",
    ),
    (
        "rf_phone",
        "手机号（儿童可不填）",
        "Mobile (optional for children)",
    ),
    (
        "rf_privacy",
        "您填写的信息仅用于社区疫情防控工作。",
        "What you enter is used only for the community's epidemic response.",
    ),
    (
        "rf_quarantine_date",
        "开始居家隔离日期",
        "Home quarantine since",
    ),
    ("rf_questions", "报备情况", "About this report"),
    ("rf_receipt", "回执编号", "Receipt code"),
    ("rf_received", "报备已收到", "Report received"),
    ("rf_report", "报备类型", "Report"),
    ("rf_risk_place", "到访的风险场所", "Risk place visited"),
    (
        "rf_room_not_listed",
        "未列出（新住户）",
        "Not listed (new tenant)",
    ),
    (
        "rf_room_other",
        "房号不在列表中时请填写",
        "If your room is not listed, type it",
    ),
    ("rf_save_correction", "保存修改", "Save the correction"),
    ("rf_status", "状态", "Status"),
    (
        "rf_status_accepted",
        "社区已核实",
        "Checked by the community",
    ),
    (
        "rf_status_pending",
        "待社区核实",
        "Waiting for the community",
    ),
    (
        "rf_status_rejected",
        "社区未采用，请联系社区",
        "Not accepted; please call your community",
    ),
    ("rf_submit", "提交报备", "Submit report"),
    ("rf_submitted_at", "提交时间", "Submitted"),
    (
        "rf_symptoms",
        "症状（没有请填“无”）",
        "Symptoms (write 'none' if none)",
    ),
    ("rf_temperature", "体温（℃）", "Temperature (°C)"),
    ("rf_visit_date", "到访日期", "Date of the visit"),
    ("role", "角色", "Role"),
    ("room", "房号", "Room"),
    ("row", "行", "Row"),
    ("rows", "行数", "Rows"),
    ("rp_accept", "核实通过", "Accept"),
    (
        "rp_accept_all",
        "批量通过无冲突的报备",
        "Accept all without conflicts",
    ),
    ("rp_bulk_done", "批量处理完成", "Bulk review done"),
    (
        "rp_conflict",
        "有冲突，需人工核对",
        "Conflict: check by hand",
    ),
    ("rp_create_link", "生成报备二维码", "Create report code"),
    (
        "rp_elsewhere",
        "此证件已登记在您负责区域之外",
        "This document is registered outside your area",
    ),
    ("rp_expires", "有效期至", "Valid until"),
    (
        "rp_expires_hours",
        "有效小时数（留空为长期）",
        "Valid for hours (empty: no end)",
    ),
    ("rp_export", "上级直报导出", "Direct-report export"),
    ("rp_file", "档案", "File"),
    ("rp_links", "报备二维码", "Report codes"),
    ("rp_new_person", "新建档案", "New file"),
    ("rp_open", "打开", "Open"),
    ("rp_poster", "打印海报", "Print poster"),
    (
        "rp_poster_help",
        "请用手机扫码，为全户填写一次。无需下载应用，无需登录。",
        "Scan with your phone and fill in once for the whole household. No app, no login.",
    ),
    ("rp_print", "打印", "Print"),
    ("rp_purpose", "报备类型", "Purpose"),
    ("rp_queue", "报备审核", "Report review"),
    ("rp_reason", "原因", "Reason"),
    ("rp_reject", "不采用", "Reject"),
    ("rp_reported", "报备内容", "Reported"),
    ("rp_revoke", "停用", "Revoke"),
    ("rp_revoked", "已停用", "Revoked"),
    (
        "rp_risk_places",
        "风险场所（用顿号分隔，仅赋码报备）",
        "Risk places (separate with 、; risk-visit only)",
    ),
    ("rp_room_new", "新房号", "New room"),
    (
        "rp_since_last",
        "仅导出上次导出后的新增",
        "Only what is new since the last export",
    ),
    ("rp_status", "状态", "Status"),
    ("rp_submitted", "提交时间", "Submitted"),
    ("save", "保存", "Save"),
    ("search", "查找", "Search"),
    (
        "search_hint",
        "姓名、身份证号（或后四位）、手机号（或后四位）、房号",
        "Name, ID number (or last 4), phone (or last 4), room",
    ),
    (
        "search_placeholder",
        "姓名 / 证件号 / 手机号 / 房号",
        "Name / ID / phone / room",
    ),
    ("sex", "性别", "Sex"),
    ("since", "起始时间", "Since"),
    ("source", "来源", "Source"),
    ("source_demo", "演示数据", "demo data"),
    ("source_form", "页面修改", "edited on a page"),
    ("source_import", "名单导入", "roster import"),
    ("source_report", "居民报备", "resident report"),
    ("start_import", "开始导入", "Start import"),
    ("tags", "标签", "Tags"),
    (
        "tags_hint",
        "用顿号或逗号分隔，如：独居老人、慢性病",
        "Separate with commas, e.g. 独居老人, 慢性病",
    ),
    ("total", "共", "Total"),
    ("unchanged", "未变", "Unchanged"),
    ("updated", "更新", "Updated"),
    ("user", "用户", "User"),
    ("username", "用户名", "User name"),
    ("view_household", "查看本户", "Household"),
    ("welcome", "您好，", "Hello, "),
];

impl T {
    /// The text for `key` in this language (the key itself if it is missing, which a test forbids).
    pub fn s(&self, key: &str) -> &'static str {
        match TEXTS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => self.0.pick(TEXTS[i].1, TEXTS[i].2),
            Err(_) => "?",
        }
    }

    /// The language's tag for `<html lang>`.
    pub fn html_lang(&self) -> &'static str {
        self.0.pick("zh-CN", "en")
    }

    /// The code of the other language, for the switch link.
    pub fn other_code(&self) -> &'static str {
        self.0.pick("en", "zh")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in TEXTS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.s(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "{}: missing text {key:?}",
                    path.display()
                );
            }
        }
    }
}
