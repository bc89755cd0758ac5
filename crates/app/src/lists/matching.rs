//! Matching a list's rows to the registry (by ID number, else by phone, else not found) and
//! finding repeats within the list and on open lists. Pure over what the store read.

use std::collections::HashMap;

use doorstep_core::AreaPath;
use doorstep_core::lists::{Mapping, MatchKind, RowKeys};
use doorstep_store::{Id, NewListRow, OpenListKey, PersonHit};

/// A row as the file holds it: its spreadsheet row number and cells in header order.
pub type RawListRow = (u64, Vec<String>);

/// Each row read through `mapping` and keyed: the fields and the keys of each.
pub fn read_rows(rows: Vec<RawListRow>, mapping: &Mapping, today: time::Date) -> Vec<NewListRow> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (row_no, cells))| {
            let f = mapping.read(&cells);
            let keys = RowKeys::of(&f, today);
            NewListRow {
                seq: i as u32 + 1,
                row_no,
                cells,
                name: f.name,
                id_number: f.id_number,
                phone: f.phone,
                risk_place: f.risk_place,
                seen_at: f.time,
                source: f.source,
                id_key: keys.id_number,
                phone_key: keys.phone,
                problem: keys.problem.map(|(_, p)| p.code().to_string()),
                ..NewListRow::default()
            }
        })
        .collect()
}

/// The distinct ID-number and phone keys of `rows`, to look up in one go.
pub fn keys_of(rows: &[NewListRow]) -> (Vec<String>, Vec<String>) {
    let mut ids: Vec<String> = rows.iter().filter_map(|r| r.id_key.clone()).collect();
    let mut phones: Vec<String> = rows.iter().filter_map(|r| r.phone_key.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    phones.sort_unstable();
    phones.dedup();
    (ids, phones)
}

/// Matches each row to a person of `area` (by ID number, else by phone — among several with
/// that phone, the one of the row's name, else the lowest id), marks repeats (a person, ID
/// number or phone met earlier in the list, or on a row of an open list) and sets the calls
/// to make (one for each row that is not a repeat).
pub fn match_rows(
    rows: &mut [NewListRow],
    hits: &[PersonHit],
    area: &AreaPath,
    open: &[OpenListKey],
) {
    let mut by_id: HashMap<&str, &PersonHit> = HashMap::new();
    let mut by_phone: HashMap<&str, Vec<&PersonHit>> = HashMap::new();
    for h in hits.iter().filter(|h| area.contains(&h.area_path)) {
        by_id.insert(h.id_number.as_str(), h);
        if let Some(p) = &h.phone {
            by_phone.entry(p.as_str()).or_default().push(h);
        }
    }
    for v in by_phone.values_mut() {
        v.sort_by_key(|h| h.person_id);
    }
    // Earlier rows of open lists, then of this list, by what they are keyed by.
    let mut person_seen: HashMap<Id, (Option<Id>, u32)> = HashMap::new();
    let mut id_seen: HashMap<String, (Option<Id>, u32)> = HashMap::new();
    let mut phone_seen: HashMap<String, (Option<Id>, u32)> = HashMap::new();
    for k in open {
        let at = (Some(k.list_id), k.seq);
        if let Some(p) = k.person_id {
            person_seen.entry(p).or_insert(at);
        }
        if let Some(i) = &k.id_key {
            id_seen.entry(i.clone()).or_insert(at);
        }
        if let Some(p) = &k.phone_key {
            phone_seen.entry(p.clone()).or_insert(at);
        }
    }
    for r in rows.iter_mut() {
        let found = r
            .id_key
            .as_deref()
            .and_then(|k| by_id.get(k))
            .map(|h| (MatchKind::IdNumber, *h))
            .or_else(|| {
                let list = by_phone.get(r.phone_key.as_deref()?)?;
                let named = list.iter().find(|h| h.name == r.name);
                Some((MatchKind::Phone, *named.or(list.first())?))
            });
        match found {
            Some((kind, h)) => {
                r.match_kind = Some(kind);
                r.person_id = Some(h.person_id);
                r.household_id = Some(h.household_id);
            }
            None => r.match_kind = Some(MatchKind::NotFound),
        }
        let earlier = r
            .person_id
            .and_then(|p| person_seen.get(&p))
            .or_else(|| r.id_key.as_ref().and_then(|k| id_seen.get(k)))
            .or_else(|| r.phone_key.as_ref().and_then(|k| phone_seen.get(k)))
            .copied();
        match earlier {
            Some((Some(list), seq)) => r.dup_of = Some((list, seq)),
            Some((None, seq)) => r.dup_in_list = Some(seq),
            None => {
                let at = (None, r.seq);
                if let Some(p) = r.person_id {
                    person_seen.insert(p, at);
                }
                if let Some(k) = &r.id_key {
                    id_seen.insert(k.clone(), at);
                }
                if let Some(k) = &r.phone_key {
                    phone_seen.insert(k.clone(), at);
                }
                r.calls = 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: Id, name: &str, number: &str, phone: Option<&str>, area: &str) -> PersonHit {
        PersonHit {
            person_id: id,
            household_id: id * 10,
            area_path: AreaPath::from_stored(area.to_string()),
            name: name.into(),
            id_number: number.into(),
            phone: phone.map(str::to_string),
        }
    }

    fn row(seq: u32, name: &str, id_key: Option<&str>, phone: Option<&str>) -> NewListRow {
        NewListRow {
            seq,
            name: name.into(),
            id_key: id_key.map(str::to_string),
            phone_key: phone.map(str::to_string),
            ..NewListRow::default()
        }
    }

    #[test]
    fn id_then_phone_then_not_found_and_repeats() {
        let area = AreaPath::from_stored("区/街/社区".into());
        let hits = [
            hit(1, "甲", "A1", Some("13800000001"), "区/街/社区/1号楼"),
            // A family on one phone: the row's name decides.
            hit(2, "乙父", "B1", Some("13800000002"), "区/街/社区/2号楼"),
            hit(3, "乙子", "B2", Some("13800000002"), "区/街/社区/2号楼"),
            // Outside the list's area: not found here.
            hit(4, "丁", "D1", None, "区/街/别的社区/1号楼"),
        ];
        let open = [OpenListKey {
            list_id: 9,
            seq: 5,
            id_key: Some("E1".into()),
            phone_key: None,
            person_id: None,
        }];
        let mut rows = vec![
            row(1, "甲", Some("A1"), None),
            row(2, "乙子", None, Some("13800000002")),
            row(3, "丁", Some("D1"), None),
            row(4, "甲", None, Some("13800000001")),
            row(5, "戊", Some("E1"), None),
        ];
        match_rows(&mut rows, &hits, &area, &open);
        assert_eq!(rows[0].match_kind, Some(MatchKind::IdNumber));
        assert_eq!(
            (rows[1].match_kind, rows[1].person_id),
            (Some(MatchKind::Phone), Some(3))
        );
        assert_eq!(rows[2].match_kind, Some(MatchKind::NotFound));
        assert_eq!((rows[3].dup_in_list, rows[3].calls), (Some(1), 0));
        assert_eq!((rows[4].dup_of, rows[4].calls), (Some((9, 5)), 0));
        assert_eq!(rows.iter().map(|r| r.calls).sum::<u32>(), 3);
    }
}
