//! Texts of home quarantine and health monitoring (居家隔离、健康监测).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("qt_active", "进行中", "ongoing"),
    (
        "qt_episodes",
        "隔离与健康监测",
        "Quarantine and health monitoring",
    ),
    ("qt_planned_end", "预计解除", "planned end"),
    ("qt_to", "至", "to"),
];
