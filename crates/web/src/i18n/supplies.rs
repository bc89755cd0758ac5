//! Texts of supplies and services requests (后勤供给).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "su_ask_link",
        "需要物资或服务？",
        "Need supplies or a service?",
    ),
    ("su_asked", "申请于", "asked"),
    ("su_assignee", "负责人", "Assignee"),
    ("su_back", "返回打卡", "Back to the check-in"),
    ("su_board", "物资服务申请超时", "Supply requests overdue"),
    ("su_by_household", "住户申请", "by the household"),
    ("su_cancel", "取消申请", "Cancel the request"),
    (
        "su_detail",
        "说明（药品请写名称和数量）",
        "Details (for a medicine: its name and how much)",
    ),
    ("su_due", "时限", "due"),
    ("su_file", "代为申请", "File a request"),
    ("su_filter", "筛选", "Filter"),
    (
        "su_intro",
        "居家期间需要食品、药品、就医、垃圾清运或其他帮助，请在这里申请，社区会安排人员送达或上门。",
        "If you need food, medicine, a medical visit, garbage pickup or other help while at home, ask here: the community sends someone.",
    ),
    ("su_kind", "需要什么", "What is needed"),
    ("su_menu", "物资服务", "Supplies"),
    ("su_mine", "本户的申请", "This household's requests"),
    ("su_none", "暂无申请", "No requests"),
    ("su_open", "未完成", "Open"),
    ("su_overdue", "已超时", "overdue"),
    ("su_reason", "取消原因", "Reason"),
    (
        "su_saved",
        "申请已提交，社区会尽快安排。",
        "Request sent: the community will arrange it soon.",
    ),
    ("su_status", "状态", "Status"),
    ("su_submit", "提交申请", "Send the request"),
    ("su_task", "配送任务", "Delivery task"),
    ("su_title", "物资和服务申请", "Supplies and services"),
    ("su_unassigned", "未派单", "unassigned"),
    ("su_urgency", "紧急程度", "How urgent"),
];
