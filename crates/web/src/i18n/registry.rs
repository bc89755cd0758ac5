//! Texts of the registry pages: areas, households, persons, search.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("add_household", "添加房间（户）", "Add room (household)"),
    ("add_person", "添加人员", "Add person"),
    ("age_band", "年龄段", "Age band"),
    ("birth_date", "出生日期", "Birth date"),
    ("cancel", "取消", "Cancel"),
    ("children", "下级区域", "Areas within"),
    ("edit", "修改", "Edit"),
    ("history", "变更记录", "History"),
    ("household", "户", "Household"),
    ("households", "户数", "Households"),
    ("no_results", "没有找到", "Nothing found"),
    ("residency", "居住类型", "Residency"),
    ("reveal", "查看完整号码", "Show full numbers"),
    (
        "revealed_note",
        "已显示完整号码，本次查看已记录。",
        "Full numbers shown; this view is recorded.",
    ),
    ("save", "保存", "Save"),
    ("sex", "性别", "Sex"),
    ("source_demo", "演示数据", "demo data"),
    ("source_form", "页面修改", "edited on a page"),
    ("source_import", "名单导入", "roster import"),
    ("source_report", "居民报备", "resident report"),
    ("tags", "标签", "Tags"),
    (
        "tags_hint",
        "用顿号或逗号分隔，如：独居老人、慢性病",
        "Separate with commas, e.g. 独居老人, 慢性病",
    ),
    ("view_household", "查看本户", "Household"),
];
