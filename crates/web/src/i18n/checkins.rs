//! Texts of daily check-ins (日常监测打卡).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("ci_abnormal", "异常", "abnormal"),
    (
        "ci_antigen",
        "抗原自测（未做可不选）",
        "Antigen self-test (skip if not done)",
    ),
    ("ci_by", "填报", "by"),
    (
        "ci_closed",
        "这户目前没有进行中的居家隔离或健康监测，无需打卡。",
        "No home quarantine or monitoring is under way in this household: nothing to check in.",
    ),
    ("ci_early", "提前", "early"),
    ("ci_extra", "额外", "extra"),
    (
        "ci_intro",
        "请为每位成员测量体温后填写。体温 ≥37.3℃ 或有不适，社区工作人员会联系您。",
        "Take each member's temperature and fill it in. At 37.3 °C or more, or if anyone feels unwell, a community worker will contact you.",
    ),
    ("ci_late", "补卡", "late"),
    ("ci_link", "打卡链接", "Check-in link"),
    ("ci_method", "代填方式", "How the answers were taken"),
    ("ci_method_door", "上门询问", "at the door"),
    ("ci_method_phone", "电话询问", "by phone"),
    ("ci_method_self", "本人填报", "by the household"),
    ("ci_note", "备注（可不填）", "Note (optional)"),
    ("ci_on_time", "按时", "on time"),
    ("ci_print", "打印", "Print"),
    ("ci_recent", "近 14 天打卡记录", "Check-ins, last 14 days"),
    ("ci_record", "代为打卡", "Record a check-in"),
    (
        "ci_saved",
        "已提交，谢谢！请每天按时打卡。",
        "Checked in, thank you. Please check in every day on time.",
    ),
    (
        "ci_saved_abnormal",
        "已提交。有异常情况，社区工作人员会尽快联系您；如病情紧急请拨打 120。",
        "Checked in. Something is not normal: a community worker will contact you soon; in an emergency call 120.",
    ),
    (
        "ci_skip_hint",
        "没填体温的成员这次不打卡，可以稍后再为他们打卡。",
        "Members left without a temperature are not checked in now; you can check them in later.",
    ),
    (
        "ci_slip",
        "打印门贴（打卡二维码）",
        "Print the door slip (check-in QR)",
    ),
    (
        "ci_slip_steps",
        "请用手机扫描二维码，每天按时为家中每位成员测体温并打卡。无需登录。如有发热、咳嗽等不适，请在打卡时勾选，社区会联系您。",
        "Scan the code with a phone and check in every member's temperature each day on time. No login needed. Tick any symptom when you check in and the community will contact you.",
    ),
    ("ci_slip_times", "每天打卡时间", "Check-in times each day"),
    ("ci_slip_title", "居家健康监测打卡", "Home health check-in"),
    ("ci_submit", "提交打卡", "Check in"),
    (
        "ci_symptoms",
        "今日症状（没有则不选）",
        "Symptoms today (none: leave empty)",
    ),
    ("ci_temperature", "体温（℃）", "Temperature (°C)"),
    ("ci_title", "每日健康监测打卡", "Daily health check-in"),
    ("ci_window_done", "已打卡", "done"),
    ("ci_window_later", "未开始", "later"),
    ("ci_window_missed", "未打卡", "missed"),
    ("ci_window_open", "请现在打卡", "due now"),
];
