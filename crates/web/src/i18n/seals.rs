//! Texts of sealed areas (封控).

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("se_active", "封控中", "sealed"),
    (
        "se_area",
        "封控区域（小区、楼栋或单元）",
        "Area (compound, building or unit)",
    ),
    (
        "se_hint",
        "封控区域内的住户不得外出，物资和服务由工作人员代为申请、上门送达。",
        "Residents of a sealed area may not go out; staff file their supplies requests and deliver at the door.",
    ),
    ("se_lift", "解除封控", "Lift the seal"),
    ("se_lifted", "已解封", "lifted"),
    ("se_menu", "封控区域", "Sealed areas"),
    ("se_none", "当前没有封控区域。", "No area is sealed."),
    ("se_reason", "原因", "Reason"),
    ("se_seal", "封控", "Seal"),
    ("se_sealed_at", "封控于", "sealed"),
    (
        "se_sealed_here",
        "本户所在区域封控中",
        "This household's area is sealed",
    ),
    ("se_title", "封控区域", "Sealed areas"),
];
