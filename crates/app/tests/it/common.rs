//! Helpers shared by the app's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use doorstep_app::access::Principal;
use doorstep_app::import::{ImportOptions, ImportReport, import_persons};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaPath, Lang, Role};
use doorstep_store::{Actor, PageRequest, PersonQuery, Store};

/// The community every test imports into.
pub const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// Creates 二七区/京广路街道/祥云社区.
pub async fn community(store: &dyn Store) -> AreaPath {
    let c = doorstep_testkit::demo_community(store).await;
    c.path
}

/// Imports a file into the community with English messages and kept rejects.
pub async fn import(store: &dyn Store, file: &Path) -> ImportReport {
    import_into(store, file, COMMUNITY).await
}

/// Imports a file into an area.
pub async fn import_into(store: &dyn Store, file: &Path, area: &str) -> ImportReport {
    import_with(store, file, area, None).await
}

/// Imports a file into an area, as a bulk load or not (`None`: by size).
pub async fn import_with(
    store: &dyn Store,
    file: &Path,
    area: &str,
    bulk: Option<bool>,
) -> ImportReport {
    let opts = ImportOptions {
        into: AreaPath::parse(area).unwrap(),
        actor: Actor {
            name: "test".into(),
            source: "import".into(),
            within: None,
        },
        lang: Lang::En,
        keep_rejects: true,
        bulk,
        batch_rows: None,
    };
    import_persons(store, file.to_path_buf(), &opts, |_| {})
        .await
        .unwrap()
}

/// Writes a UTF-8 CSV (no BOM) into a temp dir and returns its path.
pub fn csv_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Valid resident ID numbers for tests (checksums computed, born 1950–1990).
pub fn id(n: u16, male: bool) -> String {
    let birth = time::macros::date!(1960 - 01 - 01) + time::Duration::days(i64::from(n) * 97);
    doorstep_core::idnum::make_resident_id("410103", birth, n * 2 % 1000 + u16::from(male))
}

pub const HEADER: &str =
    "姓名,证件类型,证件号码,性别,联系电话,小区,楼栋,单元,房号,与户主关系,居住类型,标签\n";

/// A search for `text` (or everyone) in `area` (or everywhere): the first 50, counted exactly.
pub fn q(text: Option<&str>, area: Option<&str>) -> PersonQuery {
    PersonQuery {
        text: text.map(str::to_string),
        area: area.map(|a| AreaPath::parse(a).unwrap()),
        page: PageRequest {
            offset: 0,
            limit: 50,
        },
        count_cap: None,
        exact_numbers: false,
    }
}

/// A user of `role` in `area` (created from the command line), as the use cases see them.
pub async fn who(store: &dyn Store, name: &str, role: Role, area: &str) -> Principal {
    let user = create_user(
        store,
        By::Cli,
        name,
        role,
        &AreaPath::parse(area).unwrap(),
        "a-long-password",
    )
    .await
    .unwrap();
    Principal { user }
}
