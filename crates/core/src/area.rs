//! The area tree: district → street → community → grid → compound → building → unit.
//! Which levels a place uses is data; the only rule is that a child is deeper than its parent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::problem::Problem;
use crate::text::tidy;

/// The kind of an area, from the widest to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// 区
    District,
    /// 街道
    Street,
    /// 社区
    Community,
    /// 网格
    Grid,
    /// 小区/楼院
    Compound,
    /// 楼栋
    Building,
    /// 单元
    Unit,
}

impl AreaKind {
    /// Every kind, widest first.
    pub const ALL: [AreaKind; 7] = [
        AreaKind::District,
        AreaKind::Street,
        AreaKind::Community,
        AreaKind::Grid,
        AreaKind::Compound,
        AreaKind::Building,
        AreaKind::Unit,
    ];

    /// The stable code used by the CLI, the API and the database.
    pub fn code(self) -> &'static str {
        match self {
            AreaKind::District => "district",
            AreaKind::Street => "street",
            AreaKind::Community => "community",
            AreaKind::Grid => "grid",
            AreaKind::Compound => "compound",
            AreaKind::Building => "building",
            AreaKind::Unit => "unit",
        }
    }

    /// The name of the kind in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AreaKind::District, Lang::Zh) => "区",
            (AreaKind::Street, Lang::Zh) => "街道",
            (AreaKind::Community, Lang::Zh) => "社区",
            (AreaKind::Grid, Lang::Zh) => "网格",
            (AreaKind::Compound, Lang::Zh) => "小区",
            (AreaKind::Building, Lang::Zh) => "楼栋",
            (AreaKind::Unit, Lang::Zh) => "单元",
            (k, Lang::En) => k.code(),
        }
    }

    /// Reads a kind from its code or Chinese name.
    pub fn parse(raw: &str) -> Result<AreaKind, Problem> {
        let s = tidy(raw).to_lowercase();
        AreaKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label(Lang::Zh) == s)
            .or(match s.as_str() {
                "楼院" | "小区/楼院" => Some(AreaKind::Compound),
                "楼" | "楼号" => Some(AreaKind::Building),
                "县" | "区县" => Some(AreaKind::District),
                "乡镇" | "镇" => Some(AreaKind::Street),
                "村" => Some(AreaKind::Community),
                _ => None,
            })
            .ok_or(Problem::AreaKind)
    }

    /// Whether an area of this kind may sit directly under an area of `parent` kind.
    pub fn may_be_child_of(self, parent: AreaKind) -> bool {
        self > parent
    }

    /// Whether areas of this kind hold households directly (a room is in a building or a unit).
    pub fn holds_households(self) -> bool {
        matches!(self, AreaKind::Building | AreaKind::Unit)
    }
}

impl fmt::Display for AreaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An area's address: its names from the root down, joined with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaPath(String);

impl AreaPath {
    /// Parses a path; each name is tidied and must be non-empty.
    pub fn parse(raw: &str) -> Result<AreaPath, Problem> {
        let names: Vec<String> = raw.split('/').map(tidy).collect();
        if names.iter().any(String::is_empty) {
            return Err(Problem::AreaName);
        }
        Ok(AreaPath(names.join("/")))
    }

    /// The path of a child named `name` under this one.
    pub fn child(&self, name: &str) -> Result<AreaPath, Problem> {
        let name = area_name(name)?;
        Ok(AreaPath(format!("{}/{name}", self.0)))
    }

    /// The root path of a single name.
    pub fn root(name: &str) -> Result<AreaPath, Problem> {
        Ok(AreaPath(area_name(name)?))
    }

    /// Rebuilds a path from storage.
    pub fn from_stored(s: String) -> AreaPath {
        AreaPath(s)
    }

    /// The parent's path, or `None` for a root.
    pub fn parent(&self) -> Option<AreaPath> {
        self.0
            .rsplit_once('/')
            .map(|(p, _)| AreaPath(p.to_string()))
    }

    /// The last name.
    pub fn name(&self) -> &str {
        self.0.rsplit_once('/').map_or(self.0.as_str(), |(_, n)| n)
    }

    /// The names from the root down.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// Whether `other` is this path or lies below it.
    pub fn contains(&self, other: &AreaPath) -> bool {
        other.0 == self.0
            || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tidies one area name: non-empty, no `/`.
pub fn area_name(raw: &str) -> Result<String, Problem> {
    let n = tidy(raw);
    if n.is_empty() || n.contains('/') {
        return Err(Problem::AreaName);
    }
    if n.chars().count() > 60 {
        return Err(Problem::TooLong { max: 60 });
    }
    Ok(n)
}

/// Names a building as people say it: a bare number `3` becomes `3号楼`.
pub fn building_name(raw: &str) -> Result<String, Problem> {
    let n = area_name(raw)?;
    Ok(if n.bytes().all(|b| b.is_ascii_digit()) {
        format!("{n}号楼")
    } else {
        n
    })
}

/// Names a unit as people say it: a bare number `2` becomes `2单元`.
pub fn unit_name(raw: &str) -> Result<String, Problem> {
    let n = area_name(raw)?;
    Ok(if n.bytes().all(|b| b.is_ascii_digit()) {
        format!("{n}单元")
    } else {
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = AreaPath::parse(" 二七区 / 京广路街道/祥云社区 ").unwrap();
        assert_eq!(p.as_str(), "二七区/京广路街道/祥云社区");
        assert_eq!(p.name(), "祥云社区");
        assert_eq!(p.parent().unwrap().as_str(), "二七区/京广路街道");
        assert!(AreaPath::parse("a//b").is_err());
        let child = p.child("佳纷天地").unwrap();
        assert!(p.contains(&child));
        assert!(!child.contains(&p));
        assert!(!AreaPath::parse("二七区/京广").unwrap().contains(&p));
    }

    #[test]
    fn kinds() {
        assert_eq!(AreaKind::parse("楼栋"), Ok(AreaKind::Building));
        assert_eq!(AreaKind::parse("community"), Ok(AreaKind::Community));
        assert!(AreaKind::Building.may_be_child_of(AreaKind::Compound));
        assert!(!AreaKind::Street.may_be_child_of(AreaKind::Community));
        assert_eq!(building_name("3").unwrap(), "3号楼");
        assert_eq!(unit_name("2").unwrap(), "2单元");
        assert_eq!(building_name("A座").unwrap(), "A座");
    }
}
