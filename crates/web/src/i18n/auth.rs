//! Texts of logging in.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("login", "登录", "Log in"),
    ("password", "密码", "Password"),
    ("username", "用户名", "User name"),
];
