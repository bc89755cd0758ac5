//! Texts of roster import and export.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("details", "详情", "Details"),
    (
        "download_rejects",
        "下载被拒绝的行（Excel，可修改后重新导入）",
        "Download the rejected rows (Excel, fix and re-import)",
    ),
    ("households_created", "新建户数", "Households created"),
    ("import_done", "导入完成", "Import finished"),
    (
        "import_help",
        "表头可用中文或英文：姓名、证件号码、联系电话、小区、楼栋、单元、房号、与户主关系、居住类型、标签。支持 UTF-8 或 GBK 编码的 CSV 与 Excel。",
        "Headers in Chinese or English: name, id_number, phone, compound, building, unit, room, relation, residency, tags. CSV (UTF-8 or GBK) and Excel are accepted.",
    ),
    ("import_into", "导入到", "Import into"),
    ("importing", "正在导入……", "Importing…"),
    ("rejected_rows", "被拒绝的行", "Rejected rows"),
    ("row", "行", "Row"),
    ("rows", "行数", "Rows"),
    ("start_import", "开始导入", "Start import"),
    ("unchanged", "未变", "Unchanged"),
    ("updated", "更新", "Updated"),
];
