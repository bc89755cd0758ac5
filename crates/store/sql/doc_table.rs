//! The documents a bulk load into an empty registry has written, while the document index is
//! deferred: both backends' writers find a person listed twice here instead of in the index,
//! which is built once at the end.

use std::hash::{Hash, Hasher};

/// The documents a bulk load into an empty registry has written, while their index is deferred:
/// for each, a 32-bit fingerprint of the document and the person's id, in one `u64` slot of an
/// open-addressed table (linear probing, at most half full). 8 bytes a slot, so a million
/// persons take 16 MiB and two million 32 MiB; a document's fingerprint may be shared by
/// another, which is why [`DocTable::candidates`] gives ids to check, not answers.
pub struct DocTable {
    slots: Vec<u64>,
    len: usize,
}

impl DocTable {
    pub fn new() -> DocTable {
        DocTable {
            slots: vec![0; 1 << 16],
            len: 0,
        }
    }

    fn fingerprint(key: &impl Hash) -> u32 {
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        // The slot is found from the fingerprint alone, so the table can grow without the keys.
        let h = h.finish();
        (h ^ (h >> 32)) as u32
    }

    fn start(&self, fp: u32) -> usize {
        fp as usize & (self.slots.len() - 1)
    }

    /// The ids of persons written under `key`'s fingerprint, to check one by one.
    pub fn candidates(&self, key: &impl Hash) -> impl Iterator<Item = i64> + '_ {
        let fp = Self::fingerprint(key);
        let mask = self.slots.len() - 1;
        let start = self.start(fp);
        (0..self.slots.len())
            .map(move |k| self.slots[(start + k) & mask])
            .take_while(|&slot| slot != 0)
            .filter(move |&slot| (slot >> 32) as u32 == fp)
            .map(|slot| i64::from(slot as u32))
    }

    /// Records that `key` was written as person `id`; false when `id` does not fit (over
    /// four billion), and nothing is recorded.
    pub fn insert(&mut self, key: &impl Hash, id: i64) -> bool {
        let Ok(id) = u32::try_from(id) else {
            return false;
        };
        if id == 0 {
            return false;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place((u64::from(Self::fingerprint(key)) << 32) | u64::from(id));
        self.len += 1;
        true
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut at = self.start((slot >> 32) as u32);
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }

    fn grow(&mut self) {
        let bigger = vec![0; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        for slot in old.into_iter().filter(|&s| s != 0) {
            self.place(slot);
        }
    }
}

impl std::fmt::Debug for DocTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocTable({} documents)", self.len)
    }
}

impl Default for DocTable {
    fn default() -> Self {
        DocTable::new()
    }
}

#[cfg(test)]
mod tests {
    use super::DocTable;

    #[test]
    fn the_table_gives_back_every_id_it_was_given() {
        let mut t = DocTable::new();
        let keys: Vec<String> = (0..200_000).map(|i| format!("4101021940{i:08}")).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(t.candidates(k).all(|id| id != i as i64 + 1));
            assert!(t.insert(k, i as i64 + 1));
        }
        let mut extra = 0;
        for (i, k) in keys.iter().enumerate() {
            let ids: Vec<i64> = t.candidates(k).collect();
            assert!(ids.contains(&(i as i64 + 1)), "{k}");
            extra += ids.len() - 1;
        }
        // Shared fingerprints are rare: each costs one extra check.
        assert!(extra < 50, "{extra} extra candidates");
        assert!(!t.insert(&"x", 1 << 40));
    }
}
