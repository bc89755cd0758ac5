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
    ("import", "导入名单", "Import roster"),
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
    ("role", "角色", "Role"),
    ("room", "房号", "Room"),
    ("row", "行", "Row"),
    ("rows", "行数", "Rows"),
    ("save", "保存", "Save"),
    ("search", "查找", "Search"),
    (
        "search_hint",
        "姓名、身份证号（或后四位）、手机号（或后四位）、房号",
        "Name, ID number (or last 4), phone (or last 4), room",
    ),
    ("sex", "性别", "Sex"),
    ("since", "起始时间", "Since"),
    ("source", "来源", "Source"),
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
    ("welcome", "您好", "Hello"),
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
