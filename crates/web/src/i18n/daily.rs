//! Texts of the daily report (日报).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("dr_area", "区域", "Area"),
    ("dr_back", "返回日报", "Back to the report"),
    (
        "dr_changed",
        "签收后有数字变化",
        "Figures changed since the sign-off",
    ),
    ("dr_coverage", "本轮核酸覆盖率", "Testing coverage"),
    ("dr_day", "日期", "Day"),
    ("dr_figures", "各项数字", "Figures"),
    ("dr_menu", "日报", "Daily report"),
    ("dr_not_signed", "未签收", "not signed"),
    ("dr_outside", "社区外", "outside communities"),
    ("dr_print", "打印", "Print"),
    ("dr_printed", "打印时间", "printed"),
    ("dr_reviewer", "审核人", "Reviewed by"),
    ("dr_show", "查看", "Show"),
    ("dr_sign", "审核无误，签收", "Reviewed: sign off"),
    ("dr_sign_again", "重新签收", "Sign off again"),
    ("dr_signed", "已签收", "signed"),
    ("dr_signed_by", "签收", "Signed"),
    ("dr_signed_count", "已签收社区", "Communities signed"),
    ("dr_signer", "签收人", "Signed by"),
    ("dr_title", "日报", "Daily report"),
    ("dr_total", "合计", "Total"),
    ("dr_trend", "近14天趋势", "Last 14 days"),
    ("dr_unsigned", "未签收", "not signed"),
    ("dr_was", "签收时", "signed as"),
    ("dr_xlsx", "导出 Excel", "Download XLSX"),
];
