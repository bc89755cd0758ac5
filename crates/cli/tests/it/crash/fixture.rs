//! What every write path of the crash suite starts from: the two-compound community, a roster of
//! one person per household in a third compound (凤凰城), and a user per role that writes.

use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestDb, csv_file, import_into, two_compounds, user};

/// The roster's compound.
pub const COMPOUND: &str = "凤凰城";

/// A valid resident ID number for number `i`, unique to it (a birth date between 1970 and
/// 2011 and a sequence number; the suite's paths take numbers from their own ranges, so no two
/// paths make the same person).
pub fn person_id(i: u32) -> String {
    const DAYS: u32 = 15_000;
    let birth = time::macros::date!(1970 - 01 - 01) + time::Duration::days(i64::from(i % DAYS));
    doorstep_core::idnum::make_resident_id("410103", birth, u16::try_from(i / DAYS).unwrap())
}

/// How many persons the roster needs for `kills` kills: enough that the scans (one person
/// each) rarely run out, and never fewer than 2,000.
pub fn roster_size(kills: usize) -> u32 {
    u32::try_from((kills * 60).clamp(2_000, 19_000)).unwrap()
}

/// Builds the community: the roster (person `i` is 人i in 凤凰城 building i%20+1, room
/// 1000+i/20, alone in their household) and the users `admin1` (community admin), `sampler`,
/// `lab`, `guard` (a volunteer of 凤凰城).
pub async fn community(db: &TestDb, persons: u32) {
    let store = db.store.as_ref();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut roster = String::from("姓名,身份证号,小区,楼栋,单元,房号\n");
    for i in 0..persons {
        roster += &format!(
            "人{i},{},{COMPOUND},{},,{}\n",
            person_id(i),
            i % 20 + 1,
            1000 + i / 20
        );
    }
    let f = csv_file(dir.path(), "r.csv", &roster);
    let report = import_into(store, &f, COMMUNITY).await;
    assert_eq!((report.rejected, report.created), (0, u64::from(persons)));
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(store, "sampler", Role::Sampler, COMMUNITY).await;
    user(store, "lab", Role::Lab, COMMUNITY).await;
    user(
        store,
        "guard",
        Role::Volunteer,
        &format!("{COMMUNITY}/{COMPOUND}"),
    )
    .await;
}

/// The household of roster person `i`.
pub async fn household_of(db: &TestDb, i: u32) -> i64 {
    db.query_i64(&format!(
        "SELECT household_id FROM persons WHERE name = '人{i}'"
    ))
    .await
}

/// A household in home quarantine: its file, its one member's file, its check-in token.
#[derive(Debug, Clone)]
pub struct Quarantined {
    /// The household's id.
    pub household: i64,
    /// Its member's person id.
    pub person: i64,
    /// Its check-in link's token.
    pub token: String,
}

/// `admin` (a token) places roster persons 0..20, alone in their households, in home
/// quarantine from today; their households and check-in tokens.
pub fn quarantine(server: &super::Server, admin: &str) -> Vec<Quarantined> {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date();
    (0..20)
        .map(|i| {
            let body = serde_json::json!({"id_number": person_id(i), "measure": "home_quarantine",
                                          "reason": "密接", "start": today.to_string()});
            let (st, v) = server.call("POST", "/api/v1/episodes", Some(admin), &body.to_string());
            assert_eq!(st, 201, "{v}");
            let household = super::id_of(&v["items"][0], "household_id");
            let person = super::id_of(&v["items"][0], "person_id");
            let path = format!("/api/v1/households/{household}/checkins");
            let (st, v) = server.call("GET", &path, Some(admin), "");
            assert_eq!(st, 200, "{v}");
            let url = v["checkin_url"].as_str().unwrap();
            let token = url.rsplit('/').next().unwrap().to_string();
            Quarantined {
                household,
                person,
                token,
            }
        })
        .collect()
}
