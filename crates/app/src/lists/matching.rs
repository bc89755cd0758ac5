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
