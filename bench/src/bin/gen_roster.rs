//! Writes a deterministic, valid roster CSV of N persons for the import benchmarks.
//!
//! `gen_roster ROWS OUTPUT`
//!
//! Shape: households of 1–5 persons (2.65 on average) in compounds of 10 buildings × 2 units ×
//! 24 floors × 4 rooms (1,920 rooms each), filled in address order; 1,000,000 rows make about
//! 377,000 households in 197 compounds. Every ID number is a valid, distinct GB 11643 number
//! (Zhengzhou districts, births 1940–2023); 性别 matches it; 90% of persons have a phone.
//! Names are drawn from weighted common surnames and given-name characters, so common names
//! repeat as they do in a real city.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use doorstep_bench::Rng;
use doorstep_core::idnum::make_resident_id;
use time::{Date, Duration, macros::date};

const HEADER: &str =
    "姓名,证件类型,证件号码,性别,联系电话,小区,楼栋,单元,房号,与户主关系,居住类型,标签";

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
/// `i·STEP mod ID_SPACE` is a bijection, so row i gets a distinct, scattered ID.
const STEP: u64 = 1_000_003;

fn compound_name(c: u64) -> String {
    let i = (c % 200) as usize;
    let base = format!("{}{}", COMPOUND_A[i % 20], COMPOUND_B[i / 20]);
    match c / 200 {
        0 => base,
        n => format!("{base}{}期", n + 1),
    }
}

fn person_id(i: u64) -> anyhow::Result<(String, bool)> {
    let k = (i as u128 * STEP as u128 % ID_SPACE as u128) as u64;
    let region = REGIONS[(k % REGIONS.len() as u64) as usize];
    let k = k / REGIONS.len() as u64;
    let day = k % BIRTH_DAYS;
    let seq = (k / BIRTH_DAYS) as u16;
    let birth = FIRST_BIRTH
        .checked_add(Duration::days(day as i64))
        .context("birth date")?;
    let id = make_resident_id(region, birth, seq);
    let male = (id.as_bytes()[16] - b'0') % 2 == 1;
    Ok((id, male))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        bail!("usage: gen_roster ROWS OUTPUT.csv");
    }
    let rows: u64 = args[1]
        .replace('_', "")
        .parse()
        .context("ROWS must be a number")?;
    let out = PathBuf::from(&args[2]);
    if gcd(STEP, ID_SPACE) != 1 || rows > ID_SPACE {
        bail!("ID space too small");
    }
    let mut w = BufWriter::with_capacity(
        1 << 20,
        File::create(&out).with_context(|| format!("create {out:?}"))?,
    );
    writeln!(w, "{HEADER}")?;

    let mut rng = Rng::new(0xD00E_57E9);
    let surname_cum: Vec<u32> = SURNAMES
        .iter()
        .scan(0, |s, &(_, w)| {
            *s += w;
            Some(*s)
        })
        .collect();
    // Household sizes 1..=5 with weights 15/30/35/15/5 (mean 2.65).
    let size_cum = [15, 45, 80, 95, 100];
    let mut written = 0u64;
    let mut household = 0u64;
    while written < rows {
        let c = household / ROOMS_PER_COMPOUND;
        let r = household % ROOMS_PER_COMPOUND;
        let building = r / (UNITS * FLOORS * ROOMS_PER_FLOOR) + 1;
        let unit = r / (FLOORS * ROOMS_PER_FLOOR) % UNITS + 1;
        let floor = r / ROOMS_PER_FLOOR % FLOORS + 1;
        let room = floor * 100 + r % ROOMS_PER_FLOOR + 1;
        let compound = compound_name(c);
        let size = rng.weighted(&size_cum) as u64 + 1;
        let residency = match rng.below(100) {
            0..80 => "常住",
            80..95 => "租住",
            _ => "暂住",
        };
        for m in 0..size.min(rows - written) {
            let (id, male) = person_id(written)?;
            let surname = SURNAMES[rng.weighted(&surname_cum)].0;
            let mut name = String::from(surname);
            name.push_str(GIVEN[rng.below(GIVEN.len() as u64) as usize]);
            if rng.below(10) < 7 {
                name.push_str(GIVEN[rng.below(GIVEN.len() as u64) as usize]);
            }
            let sex = if male { "男" } else { "女" };
            let phone = if rng.below(10) < 9 {
                format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000))
            } else {
                String::new()
            };
            let relation = if m == 0 {
                "本人"
            } else {
                RELATIONS[1 + rng.below(4) as usize]
            };
            let tag = if rng.below(20) == 0 {
                TAGS[rng.below(5) as usize]
            } else {
                ""
            };
            writeln!(
                w,
                "{name},居民身份证,{id},{sex},{phone},{compound},{building}号楼,{unit}单元,{room},{relation},{residency},{tag}"
            )?;
            written += 1;
        }
        household += 1;
    }
    w.flush()?;
    eprintln!(
        "gen_roster: {written} persons in {household} households ({} compounds) -> {}",
        household.div_ceil(ROOMS_PER_COMPOUND),
        out.display()
    );
    Ok(())
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}
