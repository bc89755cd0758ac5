//! Texts of the worker's day and the quarantine overview.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "qd_alerts_open",
        "未处理的监测预警",
        "Open monitoring alerts",
    ),
    (
        "qd_checkins_help",
        "已打卡的时段 / 今天已开始的打卡时段（每人每个时段算一次）",
        "windows checked in / windows opened so far today (one per person and window)",
    ),
    ("qd_checkins_today", "今日打卡完成率", "Today's check-ins"),
    ("qd_deliveries", "物资配送", "Deliveries"),
    ("qd_ending_today", "今日期满", "Ending today"),
    (
        "qd_followups",
        "监测随访（异常、未打卡、未采样）",
        "Follow-ups (abnormal, missed check-ins, missed tests)",
    ),
    ("qd_in_days", "今日在管", "In their days today"),
    ("qd_last_day", "最后一天", "last day"),
    ("qd_measure", "措施", "Measure"),
    ("qd_menu", "今日监测", "Today's monitoring"),
    ("qd_none", "暂无", "None"),
    ("qd_overview", "隔离监测概况", "Quarantine overview"),
    ("qd_overview_menu", "隔离概况", "Quarantine"),
    ("qd_released", "已解除", "released"),
    (
        "qd_releases",
        "今明两天期满（准备解除）",
        "Ending today or tomorrow (prepare the release)",
    ),
    ("qd_sampling", "上门采样", "Home sampling"),
    ("qd_see_alerts", "查看", "see them"),
    ("qd_today", "今日监测工作", "Today's monitoring work"),
    (
        "qd_today_help",
        "分给我的监测随访、上门采样和配送任务，以及本片区即将期满的人员。",
        "My follow-ups, home sampling and deliveries, and the people of my area whose measure ends soon.",
    ),
    ("qd_transferred", "已转运", "transferred"),
    (
        "qm_buildings",
        "隔离户楼栋图",
        "Buildings with households in quarantine",
    ),
    (
        "qm_frac",
        "每户：在管人数/户内人数",
        "each household: persons in an episode / registered",
    ),
    ("qm_households_in", "在管户数", "households in an episode"),
    ("qm_title", "隔离监测楼栋图", "quarantine map"),
    (
        "qo_active",
        "这户已在居家隔离或健康监测中",
        "This household is already in home quarantine or monitoring",
    ),
    (
        "qo_help",
        "按所选政策为这户在册的全部成员开始，自动生成打卡二维码和检测日任务。",
        "Starts for every registered member of the household under the current policy, with its check-in QR code and test-day tasks.",
    ),
    ("qo_reason", "原因", "Reason"),
    ("qo_start", "开始居家隔离", "Start home quarantine"),
    ("qo_start_day", "开始日期（第 1 天）", "Start day (day 1)"),
    (
        "qo_title",
        "为这户开始居家隔离",
        "Start this household's home quarantine",
    ),
];
