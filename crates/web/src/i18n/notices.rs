//! Texts of notices to residents and files from above (文件和温馨提示单).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("nt_area", "面向区域（区域路径）", "For the area (path)"),
    ("nt_body", "内容", "Text"),
    ("nt_day", "所属日期", "Day"),
    (
        "nt_english",
        "英文提示（可选，一行）",
        "English line (optional)",
    ),
    ("nt_file", "文件", "File"),
    (
        "nt_file_hint",
        "PDF、图片、Word 或 Excel，不超过 10 MB；可在当日日报中查看。",
        "PDF, image, Word or Excel, at most 10 MB; the day's report links it.",
    ),
    ("nt_file_title", "文件标题（可选）", "Title (optional)"),
    ("nt_files", "上级文件", "Files from above"),
    ("nt_from", "开始日期", "Valid from"),
    ("nt_menu", "文件和提示", "Notices"),
    ("nt_no_files", "暂无文件", "No files"),
    ("nt_none", "暂无提示", "No notices"),
    ("nt_notices", "温馨提示", "Notices to residents"),
    ("nt_public_page", "公开页面", "Public page"),
    ("nt_publish", "发布提示", "Publish a notice"),
    ("nt_published", "发布", "Published"),
    ("nt_reason", "撤回原因", "Reason"),
    ("nt_slip", "打印提示单", "Print the slip"),
    ("nt_slip_heading", "温馨提示", "Notice"),
    (
        "nt_slip_scan",
        "扫码查看全文及更新",
        "Scan for the full text and updates",
    ),
    ("nt_title_field", "标题", "Title"),
    ("nt_to", "结束日期", "Valid to"),
    ("nt_upload", "上传文件", "Upload a file"),
    ("nt_valid", "有效期", "Valid"),
    ("nt_withdraw", "撤回", "Withdraw"),
    ("nt_withdrawn", "已撤回", "Withdrawn"),
];
