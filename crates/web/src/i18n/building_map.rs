//! Texts of the building map (楼栋图) and its list of buildings.

/// (key, Chinese, English), sorted by key.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("bm_buildings", "本轮楼栋", "Buildings in this round"),
    ("bm_digits", "房号规则", "Room numbering"),
    (
        "bm_digits_default",
        "默认（末两位是房间）",
        "Default (the last two digits are the room)",
    ),
    (
        "bm_digits_hint",
        "例如填 3：10101 是 10 层 101 室。",
        "For example 3: 10101 is floor 10, room 101.",
    ),
    (
        "bm_digits_label",
        "房号末几位表示房间",
        "How many trailing digits are the room",
    ),
    ("bm_digits_save", "保存", "Save"),
    ("bm_excused", "免采", "Excused"),
    ("bm_floor_unknown", "其他", "Other"),
    ("bm_households", "户数", "Households"),
    ("bm_legend", "图例", "Legend"),
    ("bm_missing", "未采", "Missing"),
    ("bm_no_buildings", "这里没有楼栋。", "No buildings here."),
    (
        "bm_no_households",
        "这栋楼还没有登记住户。",
        "No households are registered in this building.",
    ),
    (
        "bm_note",
        "格内为房号、状态符号和已采人数/登记人数；点房号查看该户。",
        "Each cell shows the room, a state symbol and sampled/registered persons; tap a room to open the household.",
    ),
    ("bm_sampled", "已采", "Sampled"),
    ("bm_title", "楼栋图", "Building map"),
];
