//! The data tests start from, one copy each: the demo community and the two-compound one of
//! the report tests, users of a role in an area, valid ID numbers, rosters and their import.

use std::path::{Path, PathBuf};

use doorstep_app::access::Principal;
use doorstep_app::import::{ImportOptions, ImportReport, import_persons};
use doorstep_app::reports::{Purpose, create_link};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaKind, AreaPath, Lang, Role};
use doorstep_store::{Actor, Area, Store};

/// 二七区/京广路街道/祥云社区, the community [`demo_community`] makes.
pub const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// The password of every user [`user`] makes.
pub const PASSWORD: &str = "s3cret-pass";

/// The header of a roster with every column the import reads but the birth date.
pub const HEADER: &str =
    "姓名,证件类型,证件号码,性别,联系电话,小区,楼栋,单元,房号,与户主关系,居住类型,标签\n";

/// Creates 二七区/京广路街道/祥云社区 (district, street, community) and returns the community:
/// the start of almost every test's area tree.
pub async fn demo_community(store: &dyn Store) -> Area {
    let d = area(store, None, AreaKind::District, "二七区").await;
    let s = area(store, Some(&d), AreaKind::Street, "京广路街道").await;
    area(store, Some(&s), AreaKind::Community, "祥云社区").await
}

/// The community of the report tests: [`demo_community`] with the compounds 佳纷天地 (buildings
/// 1号楼, and 3号楼 with the units 1单元 and 2单元) and 钱塘衣城 (1号楼). Returns the community.
pub async fn two_compounds(store: &dyn Store) -> Area {
    let c = demo_community(store).await;
    let jf = area(store, Some(&c), AreaKind::Compound, "佳纷天地").await;
    area(store, Some(&jf), AreaKind::Building, "1号楼").await;
    let b3 = area(store, Some(&jf), AreaKind::Building, "3号楼").await;
    area(store, Some(&b3), AreaKind::Unit, "1单元").await;
    area(store, Some(&b3), AreaKind::Unit, "2单元").await;
    let qt = area(store, Some(&c), AreaKind::Compound, "钱塘衣城").await;
    area(store, Some(&qt), AreaKind::Building, "1号楼").await;
    c
}

/// 二七区/京广路街道/幸福社区, the community [`neighbour_community`] makes beside [`COMMUNITY`].
pub const NEIGHBOUR: &str = "二七区/京广路街道/幸福社区";

/// Creates 幸福社区 beside 祥云社区 (the street must exist: [`demo_community`]), the
/// neighbouring community the tests of another area's user log in to.
pub async fn neighbour_community(store: &dyn Store) -> Area {
    let street = AreaPath::parse("二七区/京广路街道").expect("a path");
    store
        .create_area(Some(&street), AreaKind::Community, "幸福社区")
        .await
        .expect("create 幸福社区")
}

async fn area(store: &dyn Store, parent: Option<&Area>, kind: AreaKind, name: &str) -> Area {
    store
        .create_area(parent.map(|p| &p.path), kind, name)
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"))
}

/// A link of `purpose` for reports in `area`, as staff make it; returns its token.
pub async fn report_link(store: &dyn Store, area: &str, purpose: Purpose) -> String {
    create_link(
        store,
        &path(area),
        purpose,
        None,
        vec![],
        "test",
        doorstep_store::no_audit(),
    )
    .await
    .expect("create report link")
    .token
}

/// Withdraws the report link of `token`, as staff do.
pub async fn revoke_link(store: &dyn Store, token: &str) {
    let link = store
        .report_link_by_token(token)
        .await
        .expect("read link")
        .expect("the link exists");
    store
        .revoke_report_link(
            link.id,
            time::OffsetDateTime::now_utc(),
            doorstep_store::no_audit(),
        )
        .await
        .expect("revoke link");
}

/// How many reports the store holds, over every link.
pub async fn report_count(store: &dyn Store) -> i64 {
    store
        .reports(&doorstep_store::ReportQuery {
            area: None,
            status: None,
            submitted: None,
            page: doorstep_store::PageRequest {
                offset: 0,
                limit: 1,
            },
        })
        .await
        .expect("count reports")
        .total
}

/// A valid resident ID number, one per `n` (birth dates from 1960 on, checksums computed);
/// `male` picks the sex digit.
pub fn id(n: u16, male: bool) -> String {
    let birth = time::macros::date!(1960 - 01 - 01) + time::Duration::days(i64::from(n) * 97);
    doorstep_core::idnum::make_resident_id("410103", birth, n * 2 % 1000 + u16::from(male))
}

/// Creates a user of `role` in `area` with [`PASSWORD`] (from the command line, which may
/// create any), and returns them as the use cases see them.
pub async fn user(store: &dyn Store, name: &str, role: Role, area: &str) -> Principal {
    let user = create_user(store, By::Cli, name, role, &path(area), PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("create user {name}: {e}"));
    Principal::user(user)
}

/// Writes `text` as a file `name` in `dir` (UTF-8, no BOM) and returns its path.
pub fn csv_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write csv");
    p
}

/// Imports a roster into [`COMMUNITY`] (see [`import_with`]).
pub async fn import(store: &dyn Store, file: &Path) -> ImportReport {
    import_into(store, file, COMMUNITY).await
}

/// Imports a roster into `area` (see [`import_with`]).
pub async fn import_into(store: &dyn Store, file: &Path, area: &str) -> ImportReport {
    import_with(store, file, area, None).await
}

/// Imports a roster into `area` as the office would (no area limit), with English messages
/// and rejects kept; as a bulk load or not (`None`: by size).
pub async fn import_with(
    store: &dyn Store,
    file: &Path,
    area: &str,
    bulk: Option<bool>,
) -> ImportReport {
    import_batched(store, file, area, bulk, None).await
}

/// [`import_with`], writing batches of `batch_rows` rows (`None`: the import's own size).
pub async fn import_batched(
    store: &dyn Store,
    file: &Path,
    area: &str,
    bulk: Option<bool>,
    batch_rows: Option<usize>,
) -> ImportReport {
    let opts = ImportOptions {
        into: path(area),
        actor: Actor {
            name: "test".into(),
            source: "import".into(),
            within: None,
        },
        lang: Lang::En,
        keep_rejects: true,
        bulk,
        batch_rows,
        audit: None,
    };
    import_persons(store, file.to_path_buf(), &opts, |_| {})
        .await
        .expect("import")
}

fn path(area: &str) -> AreaPath {
    AreaPath::parse(area).unwrap_or_else(|e| panic!("area path {area}: {e:?}"))
}
