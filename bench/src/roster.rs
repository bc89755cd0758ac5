//! Rosters for the import benchmarks and the import's comparison test, in the shape users give
//! them.
//!
//! [`Shape::Messy`] (the default everywhere) is a roster as a street office merges it from
//! several grid workers' sheets and saves it from Excel: rows in no particular order, about 2%
//! of persons listed twice (the later row with some fields changed), about 8% bad rows of every
//! kind the import rejects, CRLF line ends. [`Shape::Clean`] is the tidy file earlier benchmarks
//! used: address order, each person once, every row valid, LF.
//!
//! Households hold 1–5 persons (2.65 on average) in compounds of 10 buildings × 2 units × 24
//! floors × 4 rooms; every ID number is a valid, distinct GB 11643 number (Zhengzhou districts,
//! births 1940–2023) and 性别 matches it; 90% of persons have a phone; names are drawn from
//! weighted common surnames and given-name characters, so common names repeat as they do in a
//! real city. The same arguments give the same file on every machine.

use std::collections::HashSet;
use std::io::Write;

use doorstep_core::idnum::make_resident_id;
use time::{Date, Duration, macros::date};

use crate::Rng;

/// The roster's header, as the import template (and the export) writes it.
pub const HEADER: &str =
    "姓名,证件类型,证件号码,性别,联系电话,小区,楼栋,单元,房号,与户主关系,居住类型,标签";

/// Which shape of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// As users give it: shuffled, repeats with changes, bad rows, CRLF.
    Messy,
    /// Address order, each person once, all valid, LF.
    Clean,
}

/// What a correct import of the file does, known from how it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// Data rows.
    pub rows: u64,
    /// Distinct persons among the good rows.
    pub created: u64,
    /// Good rows that repeat a person with a change.
    pub updated: u64,
    /// Bad rows.
    pub rejected: u64,
    /// Distinct rooms among the good rows.
    pub households: u64,
    /// The data row numbers (1 = first row after the header) of the bad rows, ascending.
    pub bad_rows: Vec<u64>,
}

/// Zhengzhou: 中原 二七 管城 金水 上街 惠济 中牟 巩义 荥阳 新密 新郑 登封.
const REGIONS: [&str; 12] = [
    "410102", "410103", "410104", "410105", "410106", "410108", "410122", "410181", "410182",
    "410183", "410184", "410185",
];

/// Common surnames with rough weights (per mille of the population).
const SURNAMES: [(&str, u32); 40] = [
    ("王", 72),
    ("李", 72),
    ("张", 68),
    ("刘", 53),
    ("陈", 45),
    ("杨", 31),
    ("赵", 23),
    ("黄", 22),
    ("周", 21),
    ("吴", 20),
    ("徐", 17),
    ("孙", 15),
    ("胡", 13),
    ("朱", 13),
    ("高", 13),
    ("林", 12),
    ("何", 12),
    ("郭", 12),
    ("马", 11),
    ("罗", 9),
    ("梁", 9),
    ("宋", 8),
    ("郑", 8),
    ("谢", 7),
    ("韩", 7),
    ("唐", 6),
    ("冯", 6),
    ("于", 6),
    ("董", 6),
    ("萧", 5),
    ("程", 5),
    ("曹", 5),
    ("袁", 5),
    ("邓", 5),
    ("许", 5),
    ("傅", 4),
    ("沈", 4),
    ("曾", 4),
    ("彭", 4),
    ("吕", 4),
];

const GIVEN: [&str; 80] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "萍", "红", "建", "国", "文", "辉",
    "力", "鹏", "飞", "宇", "浩", "俊", "博", "子", "涵", "欣", "怡", "梓", "晨", "雨", "嘉", "思",
    "佳", "一", "诺", "轩", "泽", "睿", "瑞", "昊", "天", "宏", "志", "海", "波", "春", "梅", "琳",
    "雪", "婷", "倩", "颖", "慧", "丹", "晶", "燕", "亮", "成", "斌", "凯", "鑫", "东", "新", "世",
];

const COMPOUND_A: [&str; 20] = [
    "祥云", "锦绣", "金色", "阳光", "翠竹", "碧水", "幸福", "和谐", "绿城", "紫荆", "银河", "康桥",
    "盛世", "丰庆", "建业", "正商", "永威", "名门", "亚星", "升龙",
];
const COMPOUND_B: [&str; 10] = [
    "花园", "家园", "小区", "公寓", "苑", "新城", "佳苑", "华府", "名邸", "雅居",
];

const RELATIONS: [&str; 5] = ["本人", "配偶", "子女", "父母", "其他"];
const TAGS: [&str; 5] = ["独居老人", "行动不便", "孕妇", "婴幼儿", "慢性病"];
const RESIDENCIES: [&str; 3] = ["常住", "租住", "暂住"];

const BUILDINGS: u64 = 10;
const UNITS: u64 = 2;
const FLOORS: u64 = 24;
const ROOMS_PER_FLOOR: u64 = 4;
const ROOMS_PER_COMPOUND: u64 = BUILDINGS * UNITS * FLOORS * ROOMS_PER_FLOOR;

const FIRST_BIRTH: Date = date!(1940 - 01 - 01);
const BIRTH_DAYS: u64 = 30_680; // to 2023-12-31
/// Distinct (region, birth date, sequence) triples: the ID space the rows are spread over.
const ID_SPACE: u64 = REGIONS.len() as u64 * BIRTH_DAYS * 1000;
/// A multiplier coprime to ID_SPACE (= 2^7·3·5^4·7·13·59… has no factor 1_000_003):
/// `i·STEP mod ID_SPACE` is a bijection, so person i gets a distinct, scattered ID.
const STEP: u64 = 1_000_003;

/// In a messy file: bad rows per thousand, and repeated persons per thousand rows.
const BAD_PER_MILLE: u64 = 80;
const REPEAT_PER_MILLE: u64 = 20;

/// One person's row.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    id_type: &'static str,
    id: String,
    sex: &'static str,
    phone: String,
    compound: String,
    building: String,
    unit: String,
    room: String,
    relation: &'static str,
    residency: &'static str,
    tag: &'static str,
}

impl Row {
    fn line(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            self.name,
            self.id_type,
            self.id,
            self.sex,
            self.phone,
            self.compound,
            self.building,
            self.unit,
            self.room,
            self.relation,
            self.residency,
            self.tag
        )
    }

    fn room_key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.compound, self.building, self.unit, self.room
        )
    }
}

fn compound_name(c: u64) -> String {
    let i = (c % 200) as usize;
    let base = format!("{}{}", COMPOUND_A[i % 20], COMPOUND_B[i / 20]);
    match c / 200 {
        0 => base,
        n => format!("{base}{}期", n + 1),
    }
}

/// Person `i`'s ID number and whether it is a man's.
fn person_id(i: u64) -> (String, bool, Date) {
    let k = (u128::from(i) * u128::from(STEP) % u128::from(ID_SPACE)) as u64;
    let region = REGIONS[(k % REGIONS.len() as u64) as usize];
    let k = k / REGIONS.len() as u64;
    let day = k % BIRTH_DAYS;
    let seq = (k / BIRTH_DAYS) as u16;
    let birth = FIRST_BIRTH + Duration::days(day as i64);
    let id = make_resident_id(region, birth, seq);
    let male = (id.as_bytes()[16] - b'0') % 2 == 1;
    (id, male, birth)
}

/// Makes the persons, household by household, in address order.
struct People {
    rng: Rng,
    surname_cum: Vec<u32>,
    next_person: u64,
    household: u64,
    /// The household being filled: its address and how many persons it still takes.
    current: Option<(Row, u64)>,
}

impl People {
    fn new(seed: u64) -> People {
        People {
            rng: Rng::new(seed),
            surname_cum: SURNAMES
                .iter()
                .scan(0, |s, &(_, w)| {
                    *s += w;
                    Some(*s)
                })
                .collect(),
            next_person: 0,
            household: 0,
            current: None,
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::from(SURNAMES[self.rng.weighted(&self.surname_cum)].0);
        name.push_str(GIVEN[self.rng.below(GIVEN.len() as u64) as usize]);
        if self.rng.below(10) < 7 {
            name.push_str(GIVEN[self.rng.below(GIVEN.len() as u64) as usize]);
        }
        name
    }

    fn phone(&mut self) -> String {
        format!(
            "1{}{:09}",
            3 + self.rng.below(7),
            self.rng.below(1_000_000_000)
        )
    }

    /// The next person, in the next room when the current household is full.
    fn next(&mut self) -> Row {
        let (mut row, left, first) = match self.current.take() {
            Some((row, left)) if left > 0 => (row, left, false),
            _ => (self.new_household(), 0, true),
        };
        let left = if first {
            // Household sizes 1..=5 with weights 15/30/35/15/5 (mean 2.65).
            self.rng.weighted(&[15, 45, 80, 95, 100]) as u64 + 1
        } else {
            left
        };
        let template = row.clone();
        let (id, male, _) = person_id(self.next_person);
        self.next_person += 1;
        row.id = id;
        row.sex = if male { "男" } else { "女" };
        row.name = self.name();
        row.phone = if self.rng.below(10) < 9 {
            self.phone()
        } else {
            String::new()
        };
        row.relation = if first {
            "本人"
        } else {
            RELATIONS[1 + self.rng.below(4) as usize]
        };
        row.tag = if self.rng.below(20) == 0 {
            TAGS[self.rng.below(5) as usize]
        } else {
            ""
        };
        self.current = Some((template, left - 1));
        row
    }

    /// The address (and residency) of the next room.
    fn new_household(&mut self) -> Row {
        let h = self.household;
        self.household += 1;
        let c = h / ROOMS_PER_COMPOUND;
        let r = h % ROOMS_PER_COMPOUND;
        let floor = r / ROOMS_PER_FLOOR % FLOORS + 1;
        let residency = match self.rng.below(100) {
            0..80 => RESIDENCIES[0],
            80..95 => RESIDENCIES[1],
            _ => RESIDENCIES[2],
        };
        Row {
            name: String::new(),
            id_type: "居民身份证",
            id: String::new(),
            sex: "",
            phone: String::new(),
            compound: compound_name(c),
            building: format!("{}号楼", r / (UNITS * FLOORS * ROOMS_PER_FLOOR) + 1),
            unit: format!("{}单元", r / (FLOORS * ROOMS_PER_FLOOR) % UNITS + 1),
            room: format!("{}", floor * 100 + r % ROOMS_PER_FLOOR + 1),
            relation: "",
            residency,
            tag: "",
        }
    }

    /// The row again, with one or two fields changed as a second grid worker wrote them.
    fn changed(&mut self, row: &Row) -> Row {
        let mut r = row.clone();
        match self.rng.below(4) {
            0 => r.phone = self.phone(),
            1 => r.relation = RELATIONS[self.rng.below(5) as usize],
            2 => {
                r.residency = RESIDENCIES[self.rng.below(3) as usize];
                r.phone = self.phone();
            }
            _ => r.tag = TAGS[self.rng.below(5) as usize],
        }
        if r.line() == row.line() {
            r.phone = self.phone();
        }
        r
    }

    /// A bad row of kind `kind` (every kind the import rejects, in turn), about a new person.
    fn bad(&mut self, kind: u64) -> String {
        let mut r = self.next();
        let (_, _, birth) = person_id(self.next_person - 1);
        let seq = (self.next_person % 1000) as u16;
        match kind % 13 {
            0 => {
                // A wrong check character.
                let last = if r.id.ends_with('0') { '1' } else { '0' };
                r.id.replace_range(17..18, &last.to_string());
            }
            1 => r.id = make_resident_id("410103", date!(2099 - 01 - 01), seq),
            2 => r.name = String::new(),
            3 => r.phone = "1234567".into(),
            4 => r.sex = if r.sex == "男" { "女" } else { "男" },
            5 => {
                r.id =
                    format!("{:.5E}", r.id[..15].parse::<f64>().unwrap_or(0.0)).replace('E', "E+")
            }
            6 => r.room = String::new(),
            7 => r.building = String::new(),
            8 => r.id_type = "工作证",
            9 => r.residency = "常驻人口",
            10 => r.id = make_resident_id("990103", birth, seq),
            11 => r.id.truncate(16),
            _ => r.name = "某".repeat(60),
        }
        r.line()
    }
}

/// Writes a roster of `rows` data rows in `shape` to `w`; returns what importing it must do.
pub fn write_roster(
    w: &mut impl Write,
    rows: u64,
    shape: Shape,
    seed: u64,
) -> std::io::Result<Expected> {
    let mut people = People::new(seed);
    let mut expected = Expected {
        rows,
        ..Expected::default()
    };
    let mut rooms: HashSet<String> = HashSet::new();
    let eol = match shape {
        Shape::Messy => "\r\n",
        Shape::Clean => "\n",
    };
    write!(w, "{HEADER}{eol}")?;
    if shape == Shape::Clean {
        for _ in 0..rows {
            let r = people.next();
            rooms.insert(r.room_key());
            write!(w, "{}{eol}", r.line())?;
        }
        expected.created = rows;
        expected.households = rooms.len() as u64;
        return Ok(expected);
    }
    // Messy: the lines in the order a merge of several sheets gives (none), then shuffled.
    let mut lines: Vec<(String, bool)> = Vec::with_capacity(rows as usize);
    let bad = rows * BAD_PER_MILLE / 1000;
    let repeats = rows * REPEAT_PER_MILLE / 1000;
    let mut good: Vec<Row> = Vec::new();
    for i in 0..rows - bad - repeats {
        let r = people.next();
        rooms.insert(r.room_key());
        lines.push((r.line(), false));
        // Some persons will be repeated: keep a sample to repeat from.
        if i % 40 == 0 {
            good.push(r);
        }
    }
    expected.created = lines.len() as u64;
    for k in 0..bad {
        lines.push((people.bad(k), true));
    }
    // Each repeat is a different person, listed a second time with a change.
    let mut repeated = 0;
    while repeated < repeats && !good.is_empty() {
        let i = people.rng.below(good.len() as u64) as usize;
        let original = good.swap_remove(i);
        lines.push((people.changed(&original).line(), false));
        repeated += 1;
    }
    expected.updated = repeated;
    expected.rows = lines.len() as u64;
    expected.rejected = bad;
    expected.households = rooms.len() as u64;
    // Fisher–Yates.
    for i in (1..lines.len()).rev() {
        let j = people.rng.below(i as u64 + 1) as usize;
        lines.swap(i, j);
    }
    for (n, (line, is_bad)) in lines.iter().enumerate() {
        write!(w, "{line}{eol}")?;
        if *is_bad {
            expected.bad_rows.push(n as u64 + 1);
        }
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messy_roster_has_its_shape() {
        let mut buf = Vec::new();
        let e = write_roster(&mut buf, 5_000, Shape::Messy, 1).unwrap_or_default();
        let text = String::from_utf8(buf).unwrap_or_default();
        assert_eq!(text.matches("\r\n").count() as u64, e.rows + 1);
        assert_eq!(e.rows, 5_000);
        assert_eq!(e.rejected, 400);
        assert_eq!(e.updated, 100);
        assert_eq!(e.created, 4_500);
        assert_eq!(e.bad_rows.len(), 400);
        // Shuffled: the first rows come from all over the compound, not one building's rooms.
        let buildings: HashSet<&str> = text
            .lines()
            .skip(1)
            .take(50)
            .filter_map(|l| l.split(',').nth(6))
            .collect();
        assert!(buildings.len() > 5, "{buildings:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let _ = write_roster(&mut a, 1_000, Shape::Messy, 9);
        let _ = write_roster(&mut b, 1_000, Shape::Messy, 9);
        assert_eq!(a, b);
    }
}
