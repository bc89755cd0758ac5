//! The daily report (日报) on SQLite and on PostgreSQL: a small community with episodes,
//! check-ins, a missed window, a supply request delivered, an overdue task and a round with
//! samples and a positive; each figure checked against the rows made, the street and district
//! rows equal to the sum of their communities, a sign-off with a figure changed after it,
//! 403 for roles that may not and 404 outside the area, the XLSX read back, and the pages.
//!
//! The task store stamps tasks with the wall clock, so the test's clock is now and its day is
//! today in China.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::FixedClock;
use doorstep_app::tasks::{TaskDesk, TaskInput};
use doorstep_core::{Role, Target};
use doorstep_testkit::{
    COMMUNITY, TestApp, TestDb, both_backends, csv_file, enc, id, import_into, user,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

const STREET: &str = "二七区/京广路街道";
const OTHER: &str = doorstep_testkit::NEIGHBOUR;

fn china_day(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap())
        .date()
        .to_string()
}

/// The row of `path` in a report.
fn row<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == path)
        .unwrap_or_else(|| panic!("no row {path}: {report}"))
}

fn figures(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_i64().unwrap()))
        .collect()
}

both_backends!(
    each_figure_is_counted_from_its_rows_and_rolled_up,
    async |db: &TestDb| {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let app = TestApp::builder().clock(FixedClock::at(now)).build(db);
        let (today, yesterday) = (china_day(now), china_day(now - Duration::days(1)));
        // 祥云社区: 7 persons in 4 households; 幸福社区 beside it: 1 in 1.
        crate::rounds::setup(&app).await;
        let store = app.store();
        doorstep_testkit::neighbour_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let f = csv_file(
            dir.path(),
            "x.csv",
            &format!(
                "姓名,证件号码,小区,楼栋,单元,房号\n戊一,{},幸福小区,1,,101\n",
                id(30, true)
            ),
        );
        assert_eq!(import_into(store, &f, OTHER).await.rejected, 0);
        user(store, "da", Role::DistrictAdmin, "二七区").await;
        user(store, "sa", Role::StreetAdmin, STREET).await;
        user(store, "xf", Role::CommunityAdmin, OTHER).await;
        user(store, "gw", Role::GridWorker, COMMUNITY).await;
        user(store, "vol", Role::Volunteer, COMMUNITY).await;
        user(store, "lab1", Role::Lab, "二七区").await;
        let admin = app.login_api("admin1").await;

        // Home quarantine for 甲一's household from today; one member released today.
        let (st, hq, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(1, true), "measure": "home_quarantine",
                            "reason": "密接", "start": today, "household": true}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{hq}");
        let hq_items = hq["items"].as_array().unwrap();
        let hq_new = hq_items.len() as i64;
        assert!(hq_new >= 2, "{hq}");
        let household = hq_items[0]["household_id"].as_i64().unwrap();
        let released = hq_items[0]["id"].as_i64().unwrap();
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/episodes/{released}/release"),
                Some(json!({"reason": "核实为误报"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // Health monitoring for 乙一's household since yesterday: ongoing, not new.
        let (st, hm, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(4, false), "measure": "home_health_monitoring",
                            "reason": "返郑", "start": yesterday, "household": true}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{hm}");
        let hm_ongoing = hm["items"].as_array().unwrap().len() as i64;

        // A worker's check-ins for the two still in quarantine: one abnormal.
        let active: Vec<i64> = hq_items[1..]
            .iter()
            .map(|e| e["person_id"].as_i64().unwrap())
            .collect();
        let gw = app.login_api("gw").await;
        let members: Vec<Value> = active
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"person_id": p, "temperature": if i == 0 { "38.2" } else { "36.6" }}))
            .collect();
        let (st, v, _) = gw
            .send(
                "POST",
                &format!("/api/v1/households/{household}/checkins"),
                Some(json!({"idempotency_key": "d-1", "method": "phone", "members": members})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let checkins_done = active.len() as i64;
        // A window missed today and one yesterday, as the sweep keys them.
        let office = Principal::office();
        let ctx = Ctx::default();
        for key in [
            format!("{household}:{today}:1"),
            format!("{household}:{yesterday}:2"),
        ] {
            TaskDesk::new(store, &office, &ctx)
                .create(&TaskInput {
                    kind: "checkin_followup".into(),
                    target: Target::Household(household),
                    assignee_id: None,
                    due: String::new(),
                    priority: "high".into(),
                    note: String::new(),
                    source: "checkin_missed".into(),
                    source_key: Some(key),
                })
                .await
                .unwrap();
        }
        // A supply request, delivered; a door-knock due yesterday (overdue).
        let (st, sup, _) = gw
            .send(
                "POST",
                &format!("/api/v1/households/{household}/supplies"),
                Some(json!({"idempotency_key": "s-1", "kind": "food", "detail": "米 5 斤"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{sup}");
        let (_, list) = admin.get("/api/v1/supplies?status=all").await;
        let delivery = list["items"][0]["task_id"].as_i64().unwrap();
        let (st, v, _) = admin
            .send(
                "PATCH",
                &format!("/api/v1/tasks/{delivery}"),
                Some(json!({"status": "done", "outcome": "delivered"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let due = (now - Duration::days(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/tasks",
                Some(
                    json!({"kind": "door_knock", "target": {"type": "household", "id": household},
                            "due": due}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");

        // A round: two sampled single-tube, one positive.
        let rid = crate::rounds::create_open_round(
            &app,
            json!({"area": COMMUNITY, "name": "第1轮", "pool_size": 1}),
        )
        .await;
        let s = app.login_api("s-jf").await;
        for (n, tube) in [(2u16, "DR-T1"), (6, "DR-T2")] {
            let (st, v, _) = s
                .send(
                    "POST",
                    &format!("/api/v1/rounds/{rid}/scans"),
                    Some(json!({"client_id": format!("c{n}"), "tube": tube,
                                "person": {"id_number": id(n, (n - 1).is_multiple_of(2))}})),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        let lab = app.login_api("lab1").await;
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [{"tube": "DR-T1", "result": "positive"}]})),
            )
            .await;
        assert_eq!(
            (st, v["recorded"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{v}"
        );
        let (_, flags) = admin.get(&format!("/api/v1/rounds/{rid}/flags")).await;
        let positives = flags["items"].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(positives, 1, "{flags}");

        // The tasks as the board lists them: done today, and open past their due time.
        let (_, board) = admin
            .get(&format!(
                "/api/v1/tasks?area={}&per_page=200",
                enc(COMMUNITY)
            ))
            .await;
        let items = board["items"].as_array().unwrap();
        let done = items.iter().filter(|t| t["status"] == "done").count() as i64;
        let overdue = items
            .iter()
            .filter(|t| {
                matches!(t["status"].as_str(), Some("open" | "in_progress"))
                    && t["due_at"].as_str().is_some_and(|d| {
                        OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339)
                            .unwrap()
                            < now
                    })
            })
            .count() as i64;
        assert_eq!(done, 1, "{board}");
        assert!(overdue >= 1, "{board}");

        // A gate of 佳纷天地: a visitor in, 乙二 (monitoring: warned) out, a quarantined member
        // of 甲一's household out: turned back.
        let (st, gate, _) = admin
            .send(
                "POST",
                "/api/v1/checkpoints",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "name": "东门"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{gate}");
        let still_in = hq_items[1]["name"].as_str().unwrap();
        let still_in = match still_in {
            "甲一" => id(1, true),
            "甲二" => id(2, false),
            _ => id(3, true),
        };
        let post = format!("/api/v1/checkpoints/{}/passages", gate["id"]);
        for (client, body, verdict) in [
            (
                "g-1",
                json!({"visitor_name": "快递员", "direction": "in"}),
                "passed",
            ),
            (
                "g-2",
                json!({"scan": id(5, true), "direction": "out"}),
                "warned",
            ),
            (
                "g-3",
                json!({"scan": still_in, "direction": "out"}),
                "refused",
            ),
        ] {
            let mut body = body;
            body["client_id"] = json!(client);
            let (st, v, _) = admin.send("POST", &post, Some(body)).await;
            assert_eq!(
                (st, v["verdict"].as_str()),
                (StatusCode::CREATED, Some(verdict)),
                "{v}"
            );
        }
        // A list from above with two rows, received today.
        let list = csv_file(
            dir.path(),
            "list.csv",
            &format!(
                "姓名,身份证号,电话,风险地点,时间,来源\r\n甲一,{},,农贸市场,3月1日,市指挥部\r\n\
                 某某,{},13800000000,农贸市场,3月1日,市指挥部\r\n",
                id(1, true),
                id(40, true)
            ),
        );
        let ctx = Ctx {
            clock: FixedClock::at(now),
            ..Ctx::default()
        };
        doorstep_app::lists::ListDesk::new(store, &Principal::office(), &ctx)
            .import(COMMUNITY, "农贸市场协查", list, None, true)
            .await
            .unwrap();

        // The district's report.
        let da = app.login_api("da").await;
        let (st, rep) = da
            .get(&format!(
                "/api/v1/daily-report?area={}&day={today}",
                enc("二七区")
            ))
            .await;
        assert_eq!(st, StatusCode::OK, "{rep}");
        let xy = figures(&row(&rep, COMMUNITY)["figures"]);
        let expected: BTreeMap<String, i64> = [
            ("persons", 7),
            ("households", 4),
            ("home_quarantine.new", hq_new),
            ("home_quarantine.ongoing", hq_new - 1),
            ("home_quarantine.released", 1),
            ("home_health_monitoring.new", 0),
            ("home_health_monitoring.ongoing", hm_ongoing),
            ("home_health_monitoring.released", 0),
            ("central_quarantine.new", 0),
            ("central_quarantine.ongoing", 0),
            ("central_quarantine.released", 0),
            ("reports.new", 0),
            ("checkins.done", checkins_done),
            ("checkins.missed", 1),
            ("checkins.abnormal", 1),
            ("testing.sampled", 2),
            ("testing.positive", positives),
            ("supplies.requested", 1),
            ("supplies.delivered", 1),
            ("tasks.done", done),
            ("tasks.overdue", overdue),
            ("lists.rows", 2),
            ("lists.calls_done", 0),
            ("checkpoints.entered", 1),
            ("checkpoints.left", 1),
            ("checkpoints.refused", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(xy, expected);
        assert_eq!(row(&rep, COMMUNITY)["coverage"], "28.5%", "2 of 7");
        let other = figures(&row(&rep, OTHER)["figures"]);
        assert_eq!((other["persons"], other["households"]), (1, 1));
        assert!(
            other
                .iter()
                .all(|(k, v)| *v == 0 || k == "persons" || k == "households")
        );
        // The street, the district and the total are the sum of the two communities.
        let mut sum = xy.clone();
        for (k, v) in &other {
            *sum.get_mut(k).unwrap() += v;
        }
        for path in [STREET, "二七区"] {
            assert_eq!(row(&rep, path)["rollup"], true);
            assert_eq!(figures(&row(&rep, path)["figures"]), sum, "{path}");
        }
        assert_eq!(figures(&rep["total"]), sum);
        let order: Vec<&str> = rep["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["area"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["二七区", STREET, OTHER, COMMUNITY]);
        assert_eq!(
            (rep["signed"].as_i64(), rep["communities"].as_i64()),
            (Some(0), Some(2))
        );
        // Yesterday: only the monitoring started then.
        let (_, past) = da
            .get(&format!(
                "/api/v1/daily-report?area={}&day={yesterday}",
                enc(COMMUNITY)
            ))
            .await;
        let y = figures(&row(&past, COMMUNITY)["figures"]);
        assert_eq!(y["home_health_monitoring.new"], hm_ongoing, "{past}");
        assert_eq!(
            (
                y["home_quarantine.new"],
                y["checkins.done"],
                y["checkins.missed"]
            ),
            (0, 0, 1)
        );

        // Who may: 403 for a worker and a volunteer inside, 404 outside, 422 for tomorrow.
        let vol = app.login_api("vol").await;
        let q = format!("/api/v1/daily-report?area={}", enc(COMMUNITY));
        assert_eq!(vol.get(&q).await.0, StatusCode::FORBIDDEN);
        assert_eq!(gw.get(&q).await.0, StatusCode::FORBIDDEN);
        let xf = app.login_api("xf").await;
        assert_eq!(xf.get(&q).await.0, StatusCode::NOT_FOUND);
        let (st, _) = admin
            .get(&format!("/api/v1/daily-report?area={}", enc(STREET)))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let tomorrow = china_day(now + Duration::days(1));
        let (st, v) = admin.get(&format!("{q}&day={tomorrow}")).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")),
            "{v}"
        );

        // Sign-off: only community staff of the community; a street is no community.
        let sign = json!({"area": COMMUNITY, "day": today});
        let (st, _, _) = gw
            .send("POST", "/api/v1/daily-report/sign", Some(sign.clone()))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = xf
            .send("POST", "/api/v1/daily-report/sign", Some(sign.clone()))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v, _) = da
            .send(
                "POST",
                "/api/v1/daily-report/sign",
                Some(json!({"area": STREET, "day": today})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("sign_community_only"), "{v}");
        let (st, signed, _) = admin
            .send("POST", "/api/v1/daily-report/sign", Some(sign))
            .await;
        assert_eq!(st, StatusCode::OK, "{signed}");
        assert_eq!(signed["signed_by"], "admin1");
        assert_eq!(figures(&signed["figures"]), xy);
        let (_, audit) = admin.get("/api/v1/audit?action=daily.sign").await;
        assert_eq!(audit["total"], 1, "{audit}");
        // The street sees one of two signed, nothing changed.
        let sa = app.login_api("sa").await;
        let street_q = format!("/api/v1/daily-report?area={}&day={today}", enc(STREET));
        let (_, rep) = sa.get(&street_q).await;
        assert_eq!(
            (rep["signed"].as_i64(), rep["communities"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(row(&rep, COMMUNITY)["signed"]["changed"], json!([]));
        assert!(row(&rep, OTHER)["signed"].is_null());
        // Another request after the sign-off: the figure shows as changed, signed value kept.
        let (st, v, _) = gw
            .send(
                "POST",
                &format!("/api/v1/households/{household}/supplies"),
                Some(json!({"idempotency_key": "s-2", "kind": "garbage"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (_, rep) = sa.get(&street_q).await;
        let r = row(&rep, COMMUNITY);
        assert_eq!(r["figures"]["supplies.requested"], 2);
        assert_eq!(r["signed"]["figures"]["supplies.requested"], 1);
        assert!(
            r["signed"]["changed"]
                .as_array()
                .unwrap()
                .contains(&json!("supplies.requested")),
            "{r}"
        );

        // The XLSX, read back: a row per area, the figures in order, the total last.
        let x = sa
            .request(
                "GET",
                &format!("/api/v1/daily-report/xlsx?area={}&day={today}", enc(STREET)),
            )
            .await;
        assert_eq!(x.status, StatusCode::OK);
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows[0][0], "区域");
        assert_eq!(rows[0][2], "人数");
        let xy_row = rows.iter().find(|r| r[0] == COMMUNITY).unwrap();
        assert_eq!((xy_row[2].as_str(), xy_row[3].as_str()), ("7", "4"));
        let last = rows.last().unwrap();
        assert_eq!((last[0].as_str(), last[2].as_str()), ("合计", "8"));
        let (_, audit) = sa.get("/api/v1/audit?action=daily.export").await;
        assert_eq!(audit["total"], 1, "{audit}");

        // The pages: the dashboard with its links, the print table, the charts, signing.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/daily").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("祥云社区"), "{}", page.text);
        assert!(page.text.contains("⚠"), "changed since the sign-off");
        assert!(
            page.text.contains("/episodes?area=%E4%BA%8C")
                && page.text.contains(&format!(
                    "measure=home_quarantine&#38;day={today}&#38;on=new"
                )),
            "each figure links to its list: {}",
            page.text
        );
        // The list behind a figure holds as many as the figure says.
        for (on, n) in [("new", hq_new), ("ongoing", hq_new - 1), ("released", 1)] {
            let (st, l) = sa
                .get(&format!(
                    "/api/v1/episodes?area={}&measure=home_quarantine&day={today}&on={on}",
                    enc(COMMUNITY)
                ))
                .await;
            assert_eq!(st, StatusCode::OK, "{l}");
            assert_eq!(l["total"].as_i64(), Some(n), "{on}: {l}");
        }
        let print = b.get(&format!("/daily/print?day={today}")).await;
        assert!(print.text.contains("<table"), "{}", print.text);
        let trend = b.get("/daily/trend").await;
        assert_eq!(trend.status, StatusCode::OK);
        assert!(trend.text.matches("<svg").count() >= 10, "{}", trend.text);
        let csrf = b.csrf().await;
        let done = b
            .post_form(
                "/daily/sign",
                &[("csrf", &csrf), ("area", COMMUNITY), ("day", &today)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let (_, audit) = admin.get("/api/v1/audit?action=daily.sign").await;
        assert_eq!(audit["total"], 2, "{audit}");
        let (_, rep) = sa.get(&street_q).await;
        assert_eq!(row(&rep, COMMUNITY)["signed"]["changed"], json!([]));
        // The API's description lists the report.
        let (_, doc) = sa.get("/api/openapi.json").await;
        for p in [
            "/api/v1/daily-report",
            "/api/v1/daily-report/xlsx",
            "/api/v1/daily-report/sign",
        ] {
            assert!(doc["paths"][p].is_object(), "{p}");
        }
    }
);
