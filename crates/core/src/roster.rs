//! A roster row's address: which compound, building, unit and room a person lives in.

use crate::area::{area_name, building_name, unit_name};
use crate::person::Field;
use crate::problem::Problem;
use crate::text::tidy;

/// The address columns of a roster row or a form, validated: names tidied, bare numbers
/// named as people say them (`3` → `3号楼`, `2` → `2单元`), the room required.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressParts {
    /// 小区/楼院, if the row names one.
    pub compound: Option<String>,
    /// 楼栋, if the row names one.
    pub building: Option<String>,
    /// 单元, if the row names one.
    pub unit: Option<String>,
    /// 房号
    pub room: String,
}

impl AddressParts {
    /// Validates the address columns, reporting every problem against its field.
    pub fn parse(
        compound: &str,
        building: &str,
        unit: &str,
        room: &str,
    ) -> Result<AddressParts, Vec<(Field, Problem)>> {
        let mut errors = Vec::new();
        let mut opt = |field: Field, raw: &str, f: fn(&str) -> Result<String, Problem>| {
            if tidy(raw).is_empty() {
                return None;
            }
            f(raw).map_err(|p| errors.push((field, p))).ok()
        };
        let compound = opt(Field::Compound, compound, area_name);
        let building = opt(Field::Building, building, building_name);
        let unit = opt(Field::Unit, unit, unit_name);
        let room = room_name(room)
            .map_err(|p| errors.push((Field::Room, p)))
            .ok();
        match room {
            Some(room) if errors.is_empty() => Ok(AddressParts {
                compound,
                building,
                unit,
                room,
            }),
            _ => Err(errors),
        }
    }
}

/// Tidies a room number: required, at most 20 characters, no `/`.
pub fn room_name(raw: &str) -> Result<String, Problem> {
    let r = tidy(raw);
    if r.is_empty() {
        return Err(Problem::Required);
    }
    if r.contains('/') {
        return Err(Problem::AreaName);
    }
    if r.chars().count() > 20 {
        return Err(Problem::TooLong { max: 20 });
    }
    Ok(r)
}

/// The readable address of a room: the names below the community joined without separators,
/// then the room, e.g. `佳纷天地` + `3号楼` + `2单元` + `1201` → `佳纷天地3号楼2单元1201`.
pub fn readable_address<'a>(names: impl IntoIterator<Item = &'a str>, room: &str) -> String {
    let mut s: String = names.into_iter().collect();
    s.push_str(room);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_parts() {
        let a = AddressParts::parse("佳纷天地", "3", "2", " 1201 ").unwrap();
        assert_eq!(a.building.as_deref(), Some("3号楼"));
        assert_eq!(a.unit.as_deref(), Some("2单元"));
        assert_eq!(a.room, "1201");
        let names = [
            a.compound.as_deref().unwrap(),
            a.building.as_deref().unwrap(),
            a.unit.as_deref().unwrap(),
        ];
        assert_eq!(readable_address(names, &a.room), "佳纷天地3号楼2单元1201");
        let errs = AddressParts::parse("", "a/b", "", "").unwrap_err();
        assert_eq!(
            errs,
            vec![
                (Field::Building, Problem::AreaName),
                (Field::Room, Problem::Required)
            ]
        );
    }
}
