//! Texts of 代报: a worker filing a household's self-report on its behalf.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "ob_add_unregistered",
        "添加一位未登记的成员（可不填）",
        "Add a member who is not registered yet (optional)",
    ),
    ("ob_button", "代为报备", "Report for this household"),
    (
        "ob_choose_link",
        "选择报备类型",
        "Choose the kind of report",
    ),
    (
        "ob_done",
        "已代报，等待社区审核",
        "Reported on the household's behalf; waiting for review",
    ),
    (
        "ob_done_hint",
        "报备已标注为由您代报。如有错误，请在审核时驳回后重新代报。",
        "The report is marked as filled in by you. If something is wrong, reject it in review and report again.",
    ),
    ("ob_filed_by", "代报", "Filed by"),
    (
        "ob_intro",
        "为不便扫码的住户（如老人）填写报备。已登记的信息无需再填，报备将标注由您代报。",
        "For a household that cannot scan the code (an elderly resident, say). What the registry knows is filled in; the report is marked as filed by you.",
    ),
    ("ob_members", "本次报备的成员", "Members in this report"),
    (
        "ob_no_links",
        "该户所在区域没有开放的报备二维码。请先在“报备二维码”中创建。",
        "No open report link covers this household. Create one under Report links first.",
    ),
    ("ob_open_report", "查看这份报备", "Open the report"),
    ("ob_other_link", "换一种报备", "Choose another kind"),
    ("ob_submit", "提交代报", "Submit for the household"),
    ("ob_title", "代为报备", "Report on a household's behalf"),
];
