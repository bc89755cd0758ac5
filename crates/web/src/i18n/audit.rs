//! Texts of the audit log.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] =
    &[("since", "起始时间", "Since"), ("user", "用户", "User")];
