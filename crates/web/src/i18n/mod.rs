//! The user-interface texts, in Chinese and English, looked up by key: one table per feature
//! (`common.rs` for the layout and words every feature uses). A feature adds its file and one
//! line in `TABLES`. Validation messages come from `doorstep_core::Problem::message`, in the
//! same languages.

use doorstep_core::Lang;

/// A translator for one request's language, handed to every template as `t`.
#[derive(Debug, Clone, Copy)]
pub struct T(pub Lang);

/// (key, 中文, English), sorted by key for binary search (a test keeps it sorted and complete).
mod audit;
mod auth;
mod building_map;
mod checkins;
mod checkpoints;
mod common;
mod daily;
mod emergency;
mod file_report;
mod handover;
mod lists;
mod materials;
mod monitoring;
mod notices;
mod policies;
mod quarantine;
mod registry;
mod reports;
mod roster;
mod rounds;
mod seals;
mod staff;
mod supplies;
mod tasks;
mod templates;

/// Every feature's table: a feature adds its file and one line here.
const TABLES: &[&[(&str, &str, &str)]] = &[
    audit::TEXTS,
    auth::TEXTS,
    building_map::TEXTS,
    checkins::TEXTS,
    checkpoints::TEXTS,
    common::TEXTS,
    daily::TEXTS,
    file_report::TEXTS,
    materials::TEXTS,
    monitoring::TEXTS,
    notices::TEXTS,
    handover::TEXTS,
    lists::TEXTS,
    policies::TEXTS,
    quarantine::TEXTS,
    registry::TEXTS,
    reports::TEXTS,
    roster::TEXTS,
    rounds::TEXTS,
    staff::TEXTS,
    seals::TEXTS,
    templates::TEXTS,
    emergency::TEXTS,
    supplies::TEXTS,
    tasks::TEXTS,
];

impl T {
    /// The text for `key` in this language (the key itself if it is missing, which a test forbids).
    pub fn s(&self, key: &str) -> &'static str {
        TABLES
            .iter()
            .find_map(|t| {
                t.binary_search_by(|(k, _, _)| (*k).cmp(key))
                    .ok()
                    .map(|i| self.0.pick(t[i].1, t[i].2))
            })
            .unwrap_or("?")
    }

    /// The language's tag for `<html lang>`.
    pub fn html_lang(&self) -> &'static str {
        self.0.pick("zh-CN", "en")
    }

    /// The code of the other language, for the switch link.
    pub fn other_code(&self) -> &'static str {
        self.0.pick("en", "zh")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_keys() -> Vec<&'static str> {
        TABLES
            .iter()
            .flat_map(|t| t.iter().map(|(k, _, _)| *k))
            .collect()
    }

    #[test]
    fn each_table_is_sorted_and_keys_are_unique_across_tables() {
        for t in TABLES {
            for w in t.windows(2) {
                assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
            }
        }
        let mut keys = all_keys();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is in two tables");
    }

    /// Every `t.s("key")` in a template or in the Rust code has a text.
    #[test]
    fn every_key_used_exists() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files = Vec::new();
        let mut dirs = vec![
            std::path::PathBuf::from(root).join("templates"),
            std::path::PathBuf::from(root).join("src"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    // The tables themselves, and the tests' own example above.
                    if !path.ends_with("i18n") {
                        dirs.push(path);
                    }
                } else {
                    files.push(path);
                }
            }
        }
        let keys = all_keys();
        let mut used = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split(".s(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                used += 1;
                assert!(
                    keys.contains(&key),
                    "{}: missing text {key:?}",
                    path.display()
                );
            }
        }
        assert!(used > 100, "only {used} uses found");
    }

    #[test]
    fn a_missing_key_shows_as_a_question_mark() {
        assert_eq!(T(doorstep_core::Lang::Zh).s("no_such_key"), "?");
        assert_eq!(T(doorstep_core::Lang::En).s("login"), "Log in");
    }
}
