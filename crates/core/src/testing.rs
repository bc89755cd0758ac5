//! Mass-testing rounds (全员核酸): pool sizes, tube codes, what a sampler scans, and the states
//! of rounds and tubes with the moves each allows. Pure rules; the store keeps them.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::problem::Problem;

/// How many persons share one tube: 1 (single tube), 5, 10 or 20 — never more than 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PoolSize(u8);

impl PoolSize {
    /// The sizes a round may use.
    pub const ALLOWED: [u32; 4] = [1, 5, 10, 20];

    /// A pool size from a number: one of [`PoolSize::ALLOWED`].
    pub fn parse(n: u32) -> Result<PoolSize, Problem> {
        if Self::ALLOWED.contains(&n) {
            Ok(PoolSize(n as u8))
        } else {
            Err(Problem::PoolSize)
        }
    }

    /// The size.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl TryFrom<u32> for PoolSize {
    type Error = &'static str;
    fn try_from(n: u32) -> Result<PoolSize, &'static str> {
        PoolSize::parse(n).map_err(|_| "a pool size is 1, 5, 10 or 20")
    }
}

impl From<PoolSize> for u32 {
    fn from(p: PoolSize) -> u32 {
        p.get()
    }
}

/// A tube code (试管码) as printed on the tube's barcode: 4–40 letters, digits and `-`, read
/// with full-width characters made half-width, spaces dropped and letters upper-cased (a
/// keyboard-wedge scanner and a person typing give the same code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TubeCode(String);

impl TubeCode {
    /// Reads a tube code.
    pub fn parse(raw: &str) -> Result<TubeCode, Problem> {
        let code: String = crate::text::to_half_width(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.is_empty() {
            return Err(Problem::Required);
        }
        let ok = (4..=40).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(TubeCode(code))
        } else {
            Err(Problem::TubeCode)
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A code as stored (trusted).
    pub fn from_stored(s: String) -> TubeCode {
        TubeCode(s)
    }
}

impl std::fmt::Display for TubeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A personal code (个人码): the opaque token a person's QR code carries, printed per
/// household and shown on the self-report receipt. It is random and says nothing about the
/// person (never the ID number): `P` and 20 characters of Crockford base32.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonCode(String);

/// Crockford's base32 alphabet: no I, L, O, U (nothing to misread).
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl PersonCode {
    /// The code made from 16 random bytes (the caller's randomness: this crate does no IO).
    pub fn from_random(bytes: [u8; 16]) -> PersonCode {
        let mut n = u128::from_be_bytes(bytes);
        let mut s = String::with_capacity(21);
        s.push('P');
        for _ in 0..20 {
            s.push(char::from(BASE32[(n & 31) as usize]));
            n >>= 5;
        }
        PersonCode(s)
    }

    /// Reads a scanned or typed code (upper-cased, spaces dropped); `None` when it is not one.
    pub fn parse(raw: &str) -> Option<PersonCode> {
        let s: String = crate::text::to_half_width(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ok =
            s.len() == 21 && s.starts_with('P') && s.bytes().skip(1).all(|b| BASE32.contains(&b));
        ok.then_some(PersonCode(s))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a round stands: planned (being set up), open (sampling), closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Being set up: no scans yet.
    Planned,
    /// Sampling.
    Open,
    /// Over: no more scans.
    Closed,
}

impl RoundStatus {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            RoundStatus::Planned => "planned",
            RoundStatus::Open => "open",
            RoundStatus::Closed => "closed",
        }
    }

    /// Reads a stored code.
    pub fn from_stored(s: &str) -> Option<RoundStatus> {
        [RoundStatus::Planned, RoundStatus::Open, RoundStatus::Closed]
            .into_iter()
            .find(|r| r.code() == s)
    }

    /// Whether a round may move from this state to `next`: planned → open → closed, and a
    /// closed round may be opened again (a late sampling point) but never planned again.
    pub fn may_become(self, next: RoundStatus) -> bool {
        matches!(
            (self, next),
            (RoundStatus::Planned, RoundStatus::Open)
                | (RoundStatus::Open, RoundStatus::Closed)
                | (RoundStatus::Closed, RoundStatus::Open)
                | (RoundStatus::Planned, RoundStatus::Closed)
        )
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RoundStatus::Planned => lang.pick("未开始", "planned"),
            RoundStatus::Open => lang.pick("采样中", "sampling"),
            RoundStatus::Closed => lang.pick("已结束", "closed"),
        }
    }
}

/// How a group of persons is sampled in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleMode {
    /// Pooled at the round's pool size.
    Pooled,
    /// One tube per person (单管单采).
    Single,
    /// One tube per household (一户一管): the tube closes at the household's last member.
    Household,
}

impl SampleMode {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SampleMode::Pooled => "pooled",
            SampleMode::Single => "single",
            SampleMode::Household => "household",
        }
    }

    /// Reads a code (or its Chinese name).
    pub fn parse(s: &str) -> Option<SampleMode> {
        match s.trim() {
            "pooled" | "混采" => Some(SampleMode::Pooled),
            "single" | "单采" | "单管单采" => Some(SampleMode::Single),
            "household" | "一户一管" => Some(SampleMode::Household),
            _ => None,
        }
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SampleMode::Pooled => lang.pick("混采", "pooled"),
            SampleMode::Single => lang.pick("单管单采", "one tube per person"),
            SampleMode::Household => lang.pick("一户一管", "one tube per household"),
        }
    }
}

/// Why a person is not expected at a round's sampling point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Away from home (外出).
    Away,
    /// In hospital.
    Hospitalised,
    /// Bedridden: sampled at home instead (a home-sampling task).
    Bedridden,
    /// An infant exempt by the rules.
    Infant,
    /// Another reason, in the note.
    Other,
}

impl Exclusion {
    /// Every reason, in the order forms offer them.
    pub const ALL: [Exclusion; 5] = [
        Exclusion::Away,
        Exclusion::Hospitalised,
        Exclusion::Bedridden,
        Exclusion::Infant,
        Exclusion::Other,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Exclusion::Away => "away",
            Exclusion::Hospitalised => "hospitalised",
            Exclusion::Bedridden => "bedridden",
            Exclusion::Infant => "infant",
            Exclusion::Other => "other",
        }
    }

    /// Reads a code or its label in either language, whole or without its note in brackets
    /// (卧床 as 卧床（上门采样）, "bedridden" as "bedridden (sampled at home)").
    pub fn parse(s: &str) -> Option<Exclusion> {
        let s = s.trim();
        let head = |l: &'static str| l.split(['（', '(']).next().unwrap_or(l).trim();
        Exclusion::ALL.into_iter().find(|e| {
            e.code() == s
                || [Lang::Zh, Lang::En]
                    .into_iter()
                    .any(|lang| e.label(lang) == s || head(e.label(lang)) == s)
        })
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Exclusion::Away => lang.pick("外出", "away"),
            Exclusion::Hospitalised => lang.pick("住院", "in hospital"),
            Exclusion::Bedridden => lang.pick("卧床（上门采样）", "bedridden (sampled at home)"),
            Exclusion::Infant => lang.pick("婴幼儿免采", "infant, exempt"),
            Exclusion::Other => lang.pick("其他", "other"),
        }
    }
}

/// Where a transport box (转运箱) stands: open (tubes going in) → sealed (封箱) → handed over
/// (交接, on its way) → received by the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxStatus {
    /// Tubes going in.
    Open,
    /// Sealed with its counts.
    Sealed,
    /// Handed to a carrier.
    HandedOver,
    /// Received by the lab.
    Received,
}

impl BoxStatus {
    /// Every status, in order.
    pub const ALL: [BoxStatus; 4] = [
        BoxStatus::Open,
        BoxStatus::Sealed,
        BoxStatus::HandedOver,
        BoxStatus::Received,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            BoxStatus::Open => "open",
            BoxStatus::Sealed => "sealed",
            BoxStatus::HandedOver => "handed_over",
            BoxStatus::Received => "received",
        }
    }

    /// Reads a stored code.
    pub fn from_stored(s: &str) -> Option<BoxStatus> {
        BoxStatus::ALL.into_iter().find(|b| b.code() == s)
    }

    /// Whether the box may move on to `next`: only one step forward (a lab may receive a
    /// sealed box brought by hand without a recorded handover).
    pub fn may_become(self, next: BoxStatus) -> bool {
        matches!(
            (self, next),
            (BoxStatus::Open, BoxStatus::Sealed)
                | (BoxStatus::Sealed, BoxStatus::HandedOver)
                | (BoxStatus::Sealed, BoxStatus::Received)
                | (BoxStatus::HandedOver, BoxStatus::Received)
        )
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            BoxStatus::Open => lang.pick("装箱中", "open"),
            BoxStatus::Sealed => lang.pick("已封箱", "sealed"),
            BoxStatus::HandedOver => lang.pick("转运中", "handed over"),
            BoxStatus::Received => lang.pick("实验室已接收", "received by the lab"),
        }
    }
}

/// A tube's lab result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TubeResult {
    /// 阴性
    Negative,
    /// 阳性 (for a pool: every person in it is flagged and re-sampled single-tube).
    Positive,
    /// 无效 (re-sample).
    Invalid,
}

impl TubeResult {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TubeResult::Negative => "negative",
            TubeResult::Positive => "positive",
            TubeResult::Invalid => "invalid",
        }
    }

    /// Reads a code, or what lab files write (阴性, 阳性, 无效, 弱阳性 counts as positive).
    pub fn parse(s: &str) -> Option<TubeResult> {
        match s.trim().to_ascii_lowercase().as_str() {
            "negative" | "neg" | "阴性" | "-" => Some(TubeResult::Negative),
            "positive" | "pos" | "阳性" | "弱阳性" | "+" => Some(TubeResult::Positive),
            "invalid" | "无效" | "作废" => Some(TubeResult::Invalid),
            _ => None,
        }
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TubeResult::Negative => lang.pick("阴性", "negative"),
            TubeResult::Positive => lang.pick("阳性", "positive"),
            TubeResult::Invalid => lang.pick("无效", "invalid"),
        }
    }
}

/// A column of a lab's results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultColumn {
    /// 试管码
    Tube,
    /// 检测结果
    Result,
    /// 检测时间
    TestedAt,
}

impl ResultColumn {
    /// The columns a results file must have.
    pub const REQUIRED: [ResultColumn; 2] = [ResultColumn::Tube, ResultColumn::Result];

    /// The column a header names, as labs write them.
    pub fn from_header(raw: &str) -> Option<ResultColumn> {
        let h = crate::text::compact(raw.trim_start_matches('\u{feff}'))
            .to_lowercase()
            .replace(['*', '＊'], "");
        let c = match h.as_str() {
            "试管码" | "试管编码" | "管码" | "条码" | "样本编号" | "tube" | "tube_code" => {
                ResultColumn::Tube
            }
            "检测结果" | "结果" | "核酸结果" | "result" => ResultColumn::Result,
            "检测时间" | "报告时间" | "tested_at" | "time" => ResultColumn::TestedAt,
            _ => return None,
        };
        Some(c)
    }

    /// The header in Chinese.
    pub fn header_zh(self) -> &'static str {
        match self {
            ResultColumn::Tube => "试管码",
            ResultColumn::Result => "检测结果",
            ResultColumn::TestedAt => "检测时间",
        }
    }

    /// The header in English.
    pub fn header_en(self) -> &'static str {
        match self {
            ResultColumn::Tube => "tube",
            ResultColumn::Result => "result",
            ResultColumn::TestedAt => "tested_at",
        }
    }
}

/// What a tube holds after a scan, and whether it is full: a pooled tube closes itself at its
/// pool size; a household's tube when its last member is in.
pub fn closes_at(mode: SampleMode, pool: PoolSize, household_members: u32) -> u32 {
    match mode {
        SampleMode::Pooled => pool.get(),
        SampleMode::Single => 1,
        SampleMode::Household => household_members.clamp(1, 20),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pool_sizes_are_1_5_10_or_20() {
        for n in [1, 5, 10, 20] {
            assert_eq!(PoolSize::parse(n).map(PoolSize::get), Ok(n));
        }
        for n in [0, 2, 4, 15, 21, 40] {
            assert_eq!(PoolSize::parse(n), Err(Problem::PoolSize));
        }
    }

    #[test]
    fn tube_codes_read_as_scanned_or_typed() {
        assert_eq!(TubeCode::parse(" ab-1234 ").unwrap().as_str(), "AB-1234");
        assert_eq!(TubeCode::parse("ＡＢ１２３４").unwrap().as_str(), "AB1234");
        assert_eq!(TubeCode::parse(""), Err(Problem::Required));
        assert_eq!(TubeCode::parse("12"), Err(Problem::TubeCode));
        assert_eq!(TubeCode::parse("12;34"), Err(Problem::TubeCode));
        assert_eq!(TubeCode::parse(&"1".repeat(41)), Err(Problem::TubeCode));
    }

    #[test]
    fn round_moves() {
        use RoundStatus::*;
        assert!(Planned.may_become(Open));
        assert!(Open.may_become(Closed));
        assert!(Closed.may_become(Open));
        assert!(!Open.may_become(Planned));
        assert!(!Closed.may_become(Planned));
        assert!(!Open.may_become(Open));
    }

    #[test]
    fn boxes_move_one_step_forward() {
        use BoxStatus::*;
        assert!(Open.may_become(Sealed));
        assert!(Sealed.may_become(HandedOver));
        assert!(Sealed.may_become(Received));
        assert!(HandedOver.may_become(Received));
        assert!(!Open.may_become(Received));
        assert!(!Received.may_become(Open));
        assert!(!Sealed.may_become(Open));
        for b in BoxStatus::ALL {
            assert_eq!(BoxStatus::from_stored(b.code()), Some(b));
        }
    }

    #[test]
    fn lab_headers_are_recognised() {
        assert_eq!(
            ResultColumn::from_header("试管码*"),
            Some(ResultColumn::Tube)
        );
        assert_eq!(
            ResultColumn::from_header(" 检测 结果"),
            Some(ResultColumn::Result)
        );
        assert_eq!(
            ResultColumn::from_header("\u{feff}tube"),
            Some(ResultColumn::Tube)
        );
        assert_eq!(ResultColumn::from_header("姓名"), None);
    }

    #[test]
    fn lab_files_read_as_results() {
        assert_eq!(TubeResult::parse("阴性"), Some(TubeResult::Negative));
        assert_eq!(TubeResult::parse(" Positive "), Some(TubeResult::Positive));
        assert_eq!(TubeResult::parse("弱阳性"), Some(TubeResult::Positive));
        assert_eq!(TubeResult::parse("无效"), Some(TubeResult::Invalid));
        assert_eq!(TubeResult::parse("maybe"), None);
    }

    #[test]
    fn exclusions_read_as_workers_write_them() {
        for (raw, want) in [
            ("bedridden", Exclusion::Bedridden),
            ("卧床", Exclusion::Bedridden),
            ("卧床（上门采样）", Exclusion::Bedridden),
            ("Bedridden", Exclusion::Other),
            ("bedridden (sampled at home)", Exclusion::Bedridden),
            (" 住院 ", Exclusion::Hospitalised),
            ("婴幼儿免采", Exclusion::Infant),
        ] {
            assert_eq!(
                Exclusion::parse(raw).unwrap_or(Exclusion::Other),
                want,
                "{raw}"
            );
        }
        assert_eq!(Exclusion::parse("上门"), None);
    }

    #[test]
    fn a_household_tube_closes_at_its_last_member() {
        let ten = PoolSize::parse(10).unwrap();
        assert_eq!(closes_at(SampleMode::Pooled, ten, 3), 10);
        assert_eq!(closes_at(SampleMode::Single, ten, 3), 1);
        assert_eq!(closes_at(SampleMode::Household, ten, 3), 3);
        assert_eq!(closes_at(SampleMode::Household, ten, 0), 1);
    }

    proptest! {
        #[test]
        fn person_codes_round_trip_and_never_look_like_an_id(bytes in any::<[u8; 16]>()) {
            let c = PersonCode::from_random(bytes);
            prop_assert_eq!(PersonCode::parse(&c.as_str().to_lowercase()), Some(c.clone()));
            // 21 characters led by a letter: never read as an 18-digit ID number.
            prop_assert!(c.as_str().len() == 21 && c.as_str().starts_with('P'));
        }

        #[test]
        fn tube_code_parsing_never_panics_and_is_stable(s in "\\PC{0,50}") {
            if let Ok(c) = TubeCode::parse(&s) {
                prop_assert_eq!(TubeCode::parse(c.as_str()), Ok(c.clone()));
            }
        }
    }
}
