//! Texts of the quarantine policy pages (防控政策).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "pl_co_residents_long",
        "同住人员一并纳入（开始时为全户开始）",
        "Co-residents included (started for the whole household)",
    ),
    ("pl_col_co", "同住", "Household"),
    ("pl_col_days", "天数", "Days"),
    ("pl_col_per_day", "打卡/日", "Check-ins/day"),
    ("pl_col_tests", "检测日", "Test days"),
    ("pl_colon", "：", ": "),
    ("pl_current", "现行版本", "current version"),
    ("pl_days", "天数", "Days"),
    (
        "pl_days_hint",
        "第 1 天为开始当天；留空表示本版本不含此措施",
        "Day 1 is the start day; leave empty if this version does not cover the measure",
    ),
    (
        "pl_edit",
        "修改（存为新版本）",
        "Edit (save as a new version)",
    ),
    (
        "pl_edit_note",
        "保存后生成新版本，之后开始的隔离按新版本执行；已开始的隔离仍按原版本，不受影响",
        "Saving makes a new version for episodes started from now on; episodes already started keep the version they started with",
    ),
    (
        "pl_intro",
        "按措施规定天数、每日打卡、检测日和解除条件。开始隔离时选用版本；修改政策只生成新版本。",
        "Per measure: days, daily check-ins, test days and what release requires. An episode is started under a version; editing a policy only makes a new version.",
    ),
    ("pl_measure", "措施", "Measure"),
    ("pl_menu", "防控政策", "Policies"),
    ("pl_name", "名称", "Name"),
    ("pl_new_key", "新政策代码", "New policy's key"),
    (
        "pl_new_key_hint",
        "填写后另存为一项新政策的第 1 版（如本市版本），原政策不变；2–40 位小写字母、数字或下划线",
        "Filled in, the form is saved as version 1 of a new policy (a city's own variant) and this one is left as it is; 2–40 lowercase letters, digits or _",
    ),
    ("pl_no", "否", "no"),
    (
        "pl_no_measure",
        "至少填写一种措施的天数",
        "give the days of at least one measure",
    ),
    ("pl_per_day", "每日打卡", "Check-ins a day"),
    ("pl_release", "解除条件", "Release requires"),
    (
        "pl_release_checkins",
        "每次打卡完成（或已说明原因）",
        "every check-in done (or explained)",
    ),
    (
        "pl_release_tests",
        "检测日核酸均为阴性",
        "every test day's test negative",
    ),
    ("pl_save", "保存为新版本", "Save as a new version"),
    (
        "pl_save_as_new",
        "另存为新政策（可选）",
        "Save as a new policy instead (optional)",
    ),
    ("pl_saved_by", "保存人", "Saved by"),
    ("pl_see_current", "查看现行版本", "see the current version"),
    (
        "pl_test_days",
        "检测日（第几天）",
        "Test days (day numbers)",
    ),
    ("pl_title", "防控政策", "Quarantine policies"),
    ("pl_versions", "历次版本", "Versions"),
    (
        "pl_versions_hint",
        "每个版本保存后不再改变；隔离记录注明所用版本",
        "A version never changes once saved; each episode names the version it follows",
    ),
    ("pl_windows", "打卡时段", "Check-in windows"),
    ("pl_yes", "是", "yes"),
];
