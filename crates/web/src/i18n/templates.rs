//! Texts of export templates (报表模板).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("tp_area", "区域（路径）", "Area (path)"),
    ("tp_back", "返回", "Back"),
    ("tp_built_in", "内置，各级通用", "built in, everywhere"),
    ("tp_column", "第", "Column"),
    (
        "tp_days_hint",
        "日报数据按天一行：默认最近 14 天，最长 366 天。",
        "Daily figures are a row per day: the last 14 days by default, at most 366 days.",
    ),
    ("tp_delete", "删除", "Delete"),
    ("tp_download", "导出", "Export"),
    ("tp_edit", "修改", "Edit"),
    ("tp_field", "数据字段", "Source field"),
    ("tp_file", "模板文件（JSON）", "Template file (JSON)"),
    (
        "tp_file_download",
        "下载模板文件",
        "Download the template file",
    ),
    ("tp_format", "格式", "Format"),
    ("tp_from", "开始日期", "First day"),
    ("tp_header", "列标题", "Header"),
    (
        "tp_hint",
        "同一份数据，按各部门要求的列、顺序、表头和取值一次导出。模板可下载成文件，发给下级社区导入使用。",
        "One entry, every format: the columns, order, headers and values each department asks for. Hand a template on as a file for the communities to import.",
    ),
    ("tp_import", "导入模板文件", "Import a template file"),
    ("tp_kind", "数据类别", "Kind of rows"),
    (
        "tp_map",
        "取值对照或日期格式（可空）",
        "Value mapping or date format (optional)",
    ),
    (
        "tp_map_help",
        "取值对照写成 原值=新值，用分号分隔，如 男=1; 女=2；日期字段可写 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年MM月DD日。列标题留空则用字段名。",
        "A value mapping is from=to pairs separated by ;, e.g. 男=1; 女=2; a date field takes YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年MM月DD日. A blank header is the field's name.",
    ),
    ("tp_menu", "报表模板", "Export templates"),
    ("tp_name", "模板名称", "Template name"),
    ("tp_new", "新建模板", "New template"),
    ("tp_pick_kind", "选择类别", "Pick the kind"),
    ("tp_save", "保存", "Save"),
    ("tp_title", "报表模板", "Export templates"),
    ("tp_to", "结束日期", "Last day"),
];
