//! Texts of peacetime ↔ emergency (平急转换) and retention.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("em_community", "社区", "Community"),
    ("em_end", "转为平时状态", "Switch back to peacetime"),
    ("em_ended", "已结束", "ended"),
    ("em_ended_on", "结束日期", "Last day"),
    (
        "em_hint",
        "社区转入应急状态后，首页显示应急天数和各专班，菜单栏优先显示值守、核酸、卡口等应急功能；转回平时状态后，应急期间收集的个人信息在保存期限届满后匿名化或删除。",
        "In emergency mode the home page shows the day count and the task forces, and the bar leads with duty, testing and checkpoints; back in peacetime, the personal data collected during the emergency is anonymised or deleted once its retention period is over.",
    ),
    ("em_history", "历次应急", "Emergencies so far"),
    ("em_menu", "平急转换", "Emergency mode"),
    ("em_no_members", "未指定", "none named"),
    ("em_none", "尚无应急记录。", "No emergency yet."),
    ("em_note", "说明", "Note"),
    ("em_peacetime", "平时状态", "Peacetime"),
    ("em_pick", "选择成员", "Choose members"),
    ("em_reason", "原因", "Reason"),
    (
        "em_retention",
        "个人信息保存期限",
        "Retention of personal data",
    ),
    ("em_retention_days", "保存天数", "Days kept"),
    (
        "em_retention_hint",
        "应急结束后满保存期限的：居民报备、健康打卡、流调名单和电话结果、卡口登记去除姓名、证件号、电话和文字说明，保留区域和日期；核酸采样记录删除。人员和住户档案不受影响。以下为将处理的记录数。",
        "Once an ended emergency's period is over: self-reports, check-ins, investigation list rows and calls and checkpoint register entries lose names, ID numbers, phones and free text but keep area and day; test scans are deleted. Person and household files are never touched. Below: the records that would be treated.",
    ),
    ("em_run", "执行到期处理", "Treat what is due"),
    ("em_running", "应急中", "running"),
    ("em_since", "开始于", "since"),
    ("em_start", "转入应急状态", "Switch into emergency mode"),
    ("em_started_on", "开始日期", "First day"),
    ("em_status", "状态", "Status"),
    ("em_title", "平急转换", "Peacetime and emergency"),
    ("em_total", "合计", "Total"),
];
