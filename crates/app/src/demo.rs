//! Demo data: a deterministic community shaped like the source's 祥云社区 — 13 compounds,
//! 4,812 households and 12,500 persons with valid, realistic data. The same seed gives the
//! same people every time, so screenshots and walkthroughs stay reproducible.

use std::collections::HashSet;

use doorstep_core::idnum::make_resident_id;
use doorstep_core::person::{Field, PersonInput};
use doorstep_core::roster::AddressParts;
use doorstep_core::{AreaKind, AreaPath, Lang, PersonFields};
use doorstep_store::{Actor, Store, StoreError};
use time::{Date, Duration};

use crate::import::{ImportReport, Loader};
use crate::today;

/// The demo community's path.
pub const COMMUNITY: &str = "二七区/京广路街道/祥云社区";
/// Households in the demo community (as in the source).
pub const HOUSEHOLDS: usize = 4812;
/// Persons in the demo community (as in the source).
pub const PERSONS: usize = 12_500;

const COMPOUNDS: [&str; 13] = [
    "佳纷天地",
    "祥云花园",
    "京广小区",
    "铁路新村",
    "幸福里",
    "和平小区",
    "民主路小区",
    "兴华北街小区",
    "大学路楼院",
    "福寿街楼院",
    "长江路小区",
    "陇海小区",
    "航海东路小区",
];
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔向汤";
const GIVEN_M: &str = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博晨";
const GIVEN_F: &str = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰英梅琳雪慧颖倩婷洁佳怡欣悦彤晴蕾璐";
/// Henan county codes; most demo residents were born in 二七区 (410103).
const REGIONS: [&str; 8] = [
    "410103", "410103", "410103", "410102", "410105", "410122", "411302", "410305",
];
const PHONE_PREFIX: [&str; 12] = [
    "138", "139", "137", "135", "150", "151", "186", "187", "155", "176", "199", "189",
];

/// A small deterministic random source (SplitMix64): the demo must not change between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick_char(&mut self, s: &str) -> char {
        let chars: Vec<char> = s.chars().collect();
        chars[self.below(chars.len() as u64) as usize]
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
}

/// One generated roster row.
pub struct DemoRow {
    /// The person's raw fields, as a roster would hold them.
    pub input: PersonInput,
    /// Their address.
    pub address: AddressParts,
}

/// Generates the demo roster, deterministically, relative to `today`.
pub fn rows(today: Date) -> Vec<DemoRow> {
    let mut rng = Rng(20220501);
    let mut used_ids: HashSet<String> = HashSet::new();
    // Household sizes: everyone starts with two, the rest are spread so the total is exact.
    let mut sizes = vec![2usize; HOUSEHOLDS];
    let mut extra = PERSONS - 2 * HOUSEHOLDS;
    while extra > 0 {
        let h = rng.below(HOUSEHOLDS as u64) as usize;
        if sizes[h] < 6 {
            sizes[h] += 1;
            extra -= 1;
        }
    }
    // A tenth of the homes hold one person (mostly elderly living alone); keep the total by
    // moving their second person to a larger home.
    for h in (0..HOUSEHOLDS).step_by(10) {
        if sizes[h] != 2 {
            continue;
        }
        if let Some(t) = (h + 1..HOUSEHOLDS).find(|&t| sizes[t] < 6) {
            sizes[h] = 1;
            sizes[t] += 1;
        }
    }
    let mut out = Vec::with_capacity(PERSONS);
    let mut h = 0usize;
    for (ci, compound) in COMPOUNDS.iter().enumerate() {
        let quota = HOUSEHOLDS / COMPOUNDS.len() + usize::from(ci < HOUSEHOLDS % COMPOUNDS.len());
        let floors = 6 + (ci % 4) * 4; // 6, 10, 14 or 18 floors
        let mut made = 0;
        'buildings: for building in 1.. {
            for unit in 1..=2 {
                for floor in 1..=floors {
                    for door in 1..=2 {
                        if made == quota {
                            break 'buildings;
                        }
                        let address = AddressParts {
                            compound: Some(compound.to_string()),
                            building: Some(format!("{building}号楼")),
                            unit: Some(format!("{unit}单元")),
                            room: format!("{floor}{door:02}"),
                        };
                        household(&mut rng, &mut used_ids, today, sizes[h], &address, &mut out);
                        made += 1;
                        h += 1;
                    }
                }
            }
        }
    }
    out
}

fn household(
    rng: &mut Rng,
    used: &mut HashSet<String>,
    today: Date,
    size: usize,
    addr: &AddressParts,
    out: &mut Vec<DemoRow>,
) {
    let surname = rng.pick_char(SURNAMES);
    let residency = match rng.below(100) {
        0..=79 => "常住",
        80..=94 => "租住",
        _ => "暂住",
    };
    let alone = size == 1;
    let head_age = if alone {
        62 + rng.below(28)
    } else {
        28 + rng.below(50)
    };
    let head_male = rng.chance(60);
    let mut members: Vec<(&str, u64, bool, char)> = vec![("户主", head_age, head_male, surname)];
    if size >= 2 {
        let age = (head_age + rng.below(7)).saturating_sub(3).max(20);
        members.push(("配偶", age, !head_male, rng.pick_char(SURNAMES)));
    }
    for _ in 2..size {
        if head_age > 55 && rng.chance(30) {
            members.push(("孙子女", rng.below(12), rng.chance(50), surname));
        } else if head_age < 50 && rng.chance(25) {
            members.push((
                "父母",
                head_age + 24 + rng.below(10),
                rng.chance(50),
                rng.pick_char(SURNAMES),
            ));
        } else {
            let max = head_age.saturating_sub(20).max(1);
            members.push(("子女", rng.below(max), rng.chance(50), surname));
        }
    }
    for (relation, age, male, family) in members {
        let birth = today - Duration::days((age * 365 + rng.below(365)) as i64);
        let region = rng.pick(&REGIONS);
        let mut seq = rng.below(500) as u16 * 2 + u16::from(male);
        let id = loop {
            let id = make_resident_id(region, birth, seq);
            if used.insert(id.clone()) {
                break id;
            }
            seq = (seq + 2) % 1000;
        };
        let given: String = (0..1 + rng.below(2))
            .map(|_| rng.pick_char(if male { GIVEN_M } else { GIVEN_F }))
            .collect();
        let phone = if age >= 16 && rng.chance(if age >= 75 { 60 } else { 95 }) {
            format!("{}{:08}", rng.pick(&PHONE_PREFIX), rng.below(100_000_000))
        } else {
            String::new()
        };
        let mut tags = Vec::new();
        if alone && age >= 65 {
            tags.push("独居老人");
        }
        if age <= 3 {
            tags.push("婴幼儿");
        }
        if age >= 60 && rng.chance(25) {
            tags.push("慢性病");
        }
        if age >= 80 && rng.chance(35) {
            tags.push("行动不便");
        }
        if !male && (22..=38).contains(&age) && rng.chance(4) {
            tags.push("孕妇");
        }
        out.push(DemoRow {
            input: PersonInput {
                name: format!("{family}{given}"),
                id_number: id,
                phone,
                relation: relation.to_string(),
                residency: residency.to_string(),
                tags: tags.join("、"),
                ..Default::default()
            },
            address: addr.clone(),
        });
    }
}

/// Creates the demo community's areas and persons. Running it again changes nothing.
pub async fn load(store: &dyn Store) -> Result<ImportReport, StoreError> {
    let mut parent: Option<AreaPath> = None;
    for (name, kind) in
        COMMUNITY
            .split('/')
            .zip([AreaKind::District, AreaKind::Street, AreaKind::Community])
    {
        let path = match &parent {
            None => AreaPath::root(name),
            Some(p) => p.child(name),
        }
        .map_err(|p| StoreError::Invalid(p.code().to_string()))?;
        if store.area_by_path(&path).await?.is_none() {
            store.create_area(parent.as_ref(), kind, name).await?;
        }
        parent = Some(path);
    }
    let path = AreaPath::parse(COMMUNITY).map_err(|p| StoreError::Invalid(p.code().to_string()))?;
    let base = store
        .area_by_path(&path)
        .await?
        .ok_or_else(|| StoreError::NotFound(COMMUNITY.to_string()))?;
    let actor = Actor {
        name: "demo".to_string(),
        source: "demo".to_string(),
        within: None,
    };
    let columns = Field::ALL
        .iter()
        .map(|f| f.header_zh().to_string())
        .collect();
    let mut loader = Loader::new(
        store,
        Box::new(doorstep_store::Direct(store)),
        base,
        actor,
        Lang::Zh,
        columns,
    )
    .await?;
    let today = today();
    for (i, row) in rows(today).into_iter().enumerate() {
        let result = PersonFields::parse(&row.input, today).map(|p| (p, row.address));
        loader.add(i as u64 + 2, result, None).await?;
    }
    loader.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_deterministic_valid_and_shaped_like_the_source() {
        let today = time::macros::date!(2026 - 11 - 29);
        let a = rows(today);
        let b = rows(today);
        assert_eq!(a.len(), PERSONS);
        assert!(a.iter().zip(&b).all(|(x, y)| x.input == y.input));
        let households: HashSet<_> = a.iter().map(|r| r.address.clone()).collect();
        assert_eq!(households.len(), HOUSEHOLDS);
        let compounds: HashSet<_> = a.iter().map(|r| r.address.compound.clone()).collect();
        assert_eq!(compounds.len(), 13);
        let ids: HashSet<_> = a.iter().map(|r| r.input.id_number.clone()).collect();
        assert_eq!(ids.len(), PERSONS);
        for r in &a {
            assert!(
                PersonFields::parse(&r.input, today).is_ok(),
                "{:?}",
                r.input
            );
        }
    }
}
