//! The two backends list the same migrations: a pair per change, with the same number and name
//! (ARCHITECTURE.md, "Two databases").
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn names(dir: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn both_migration_folders_hold_the_same_files() {
    let sqlite = names("migrations");
    let postgres = names("../store-postgres/migrations");
    assert!(sqlite.len() >= 10, "{sqlite:?}");
    assert_eq!(sqlite, postgres);
    // Numbered one after another from 0001, no number twice.
    for (i, n) in sqlite.iter().enumerate() {
        assert!(
            n.starts_with(&format!("{:04}_", i + 1)),
            "{n} out of sequence"
        );
    }
}
