//! The round pages, on SQLite and on PostgreSQL: the list with its create form (errors at
//! each field and in a summary, CSRF), a round opened and closed from its page with coverage
//! down the area tree, the sampler's page (a no-script form post, and the script's JSON
//! endpoints on the cookie session: a resend answers the first scan, a batch answers each
//! scan, a missing CSRF header is refused, a sampler of another compound finds nobody), and
//! the door-knock list with its tasks button.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{Browser, COMMUNITY, TestApp, TestDb, both_backends, hidden, id, user};
use serde_json::{Value, json};

/// As `rounds.rs`: 佳纷天地 with six persons in three households and one in 钱塘衣城; a
/// community admin, a sampler for each compound.
async fn setup(app: &TestApp) {
    crate::rounds::setup(app).await;
}

/// The ID number of the `n`th person of the setup (1-based).
fn idn(n: u16) -> String {
    id(n, (n - 1).is_multiple_of(2))
}

fn scan(client: &str, tube: &str, n: u16) -> Value {
    json!({"client_id": client, "tube": tube, "person": {"id_number": idn(n)}})
}

/// Creates (over 佳纷天地, pool size `pool`) and opens a round through the API; its id.
async fn open_round(app: &TestApp, pool: u32) -> i64 {
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin
        .send(
            "POST",
            "/api/v1/rounds",
            Some(
                json!({"area": COMMUNITY, "name": "第1轮", "pool_size": pool,
                        "areas": [format!("{COMMUNITY}/佳纷天地")]}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_i64().unwrap();
    let (st, _, _) = admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    rid
}

/// A JSON post from a page's script: the browser's session cookie, the CSRF header if given.
async fn page_json(
    app: &TestApp,
    b: &Browser,
    uri: &str,
    csrf: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req = app.post(uri).cookie(&format!(
        "doorstep_session={}",
        b.cookies["doorstep_session"]
    ));
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let res = req.json(body).await;
    (res.status, res.json())
}

both_backends!(
    the_round_pages_create_open_close_and_show_coverage,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/rounds").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("核酸检测") && page.text.contains("/rounds"));
        assert!(
            page.text
                .contains(&format!("name=\"area\" value=\"{COMMUNITY}\"")),
            "the area is prefilled: {}",
            page.text
        );
        assert!(page.text.contains("佳纷天地") && page.text.contains("name=\"areas\""));
        let csrf = hidden(&page.text, "csrf");
        // No name, a pool size of 3: both fields and the summary say so.
        let bad = b
            .post_form(
                "/rounds",
                &[
                    ("csrf", &csrf),
                    ("area", COMMUNITY),
                    ("name", ""),
                    ("pool_size", "3"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("id=\"error-summary\""), "{}", bad.text);
        assert!(bad.text.contains("aria-describedby=\"e-name\""));
        assert!(bad.text.contains("aria-describedby=\"e-pool\""));
        assert!(bad.text.contains("href=\"#r-name\""));
        // A lab deadline under 30 minutes: its field says so.
        let early = b
            .post_form(
                "/rounds",
                &[
                    ("csrf", &csrf),
                    ("area", COMMUNITY),
                    ("name", "x"),
                    ("pool_size", "10"),
                    ("lab_deadline_minutes", "20"),
                ],
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.text.contains("id=\"e-deadline\""), "{}", early.text);
        assert!(early.text.contains("30–1440"), "{}", early.text);
        assert!(
            early.text.contains("href=\"#r-deadline\""),
            "{}",
            early.text
        );
        // A wrong CSRF token creates nothing.
        let forged = b
            .post_form(
                "/rounds",
                &[
                    ("csrf", "nope"),
                    ("area", COMMUNITY),
                    ("name", "x"),
                    ("pool_size", "10"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let jf = format!("{COMMUNITY}/佳纷天地");
        let made = b
            .post_form(
                "/rounds",
                &[
                    ("csrf", &csrf),
                    ("area", COMMUNITY),
                    ("name", "第2轮"),
                    ("pool_size", "10"),
                    ("starts", "2026-12-02T08:00"),
                    ("lab_deadline_minutes", "180"),
                    ("areas", &jf),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
        let url = made.location.unwrap();
        let page = b.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("第2轮") && page.text.contains("未开始"));
        assert!(page.text.contains("value=\"open\"") && page.text.contains("2026-12-02 08:00"));
        assert!(page.text.contains("180分钟"), "{}", page.text);
        // Coverage: six expected in 佳纷天地, its link to its own coverage.
        assert!(page.text.contains("<td>6</td>"), "{}", page.text);
        assert!(page.text.contains("?area=") && page.text.contains(">佳纷天地</a>"));
        let opened = b
            .post_form(
                &format!("{url}/status"),
                &[("csrf", &csrf), ("status", "open")],
            )
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER);
        let page = b.get(&url).await;
        assert!(page.text.contains("采样中") && page.text.contains("value=\"closed\""));
        assert!(page.text.contains(&format!("{url}/sample")));
        // One level down: the buildings of 佳纷天地.
        let down = b
            .get(&format!("{url}?area={}", doorstep_testkit::enc(&jf)))
            .await;
        assert_eq!(down.status, StatusCode::OK);
        assert!(down.text.contains("1号楼") && down.text.contains("3号楼"));
        // The summary as a workbook, from the round's page.
        assert!(page.text.contains(&format!("{url}/report?area=")));
        assert!(
            page.text.contains(&format!("{url}/maps?area=")),
            "a link to the building maps"
        );
        assert!(
            page.text.contains("href=\"/transport\""),
            "a link to the boxes waiting and the handover slips"
        );
        let xlsx = b.get(&format!("{url}/report")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"), "an XLSX file");

        // A sampler sees the round, without its buttons or the create form.
        let mut s = app.browser();
        s.login("s-jf").await;
        let list = s.get("/rounds").await;
        assert!(list.text.contains("第2轮") && !list.text.contains("action=\"/rounds\""));
        let page = s.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text.contains("value=\"closed\""));
        let scsrf = hidden(&page.text, "csrf");
        let refused = s
            .post_form(
                &format!("{url}/status"),
                &[("csrf", &scsrf), ("status", "closed")],
            )
            .await;
        // Not theirs to manage: the round's area is above theirs.
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        // The admin closes it.
        let closed = b
            .post_form(
                &format!("{url}/status"),
                &[("csrf", &csrf), ("status", "closed")],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        assert!(b.get(&url).await.text.contains("已结束"));
        // A user of no round at all is refused the list.
        user(app.store(), "vol", Role::Volunteer, &jf).await;
        let mut v = app.browser();
        v.login("vol").await;
        assert_eq!(v.get("/rounds").await.status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    the_sampler_page_records_each_scan_once_and_refuses_outsiders,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let rid = open_round(&app, 5).await;
        let mut b = app.browser();
        b.login("s-jf").await;
        let page = b.get(&format!("/rounds/{rid}/sample")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("/static/sampler.js") && page.text.contains("id=\"s-tube\""));
        let csrf = hidden(&page.text, "csrf");
        let url = format!("/rounds/{rid}/sample/scans");
        // One scan from the script, then the same again (a resend): one sample.
        let (st, first) = page_json(&app, &b, &url, Some(&csrf), &scan("c1", "t-0009", 1)).await;
        assert_eq!(st, StatusCode::CREATED, "{first}");
        assert_eq!(first["tube"]["count"], 1);
        assert!(
            !first["person"]["id_number"]
                .as_str()
                .unwrap()
                .contains(&idn(1)[6..14])
        );
        let (st, again) = page_json(&app, &b, &url, Some(&csrf), &scan("c1", "t-0009", 1)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["scan_id"], first["scan_id"]);
        // Without the CSRF header: refused, nothing recorded.
        let (st, v) = page_json(&app, &b, &url, None, &scan("c9", "t-0009", 2)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
        // The offline queue: a resend, a new scan, someone sampled already.
        let (st, v) = page_json(
            &app,
            &b,
            &format!("{url}/batch"),
            Some(&csrf),
            &json!({"scans": [scan("c1", "t-0009", 1), scan("c2", "t-0009", 2), scan("c3", "t-0009", 1)]}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let statuses: Vec<u64> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [200, 201, 409]);
        assert_eq!(v["results"][2]["error"]["error"], "already_sampled");
        assert_eq!(v["results"][1]["scan"]["tube"]["count"], 2);
        // Without script: the form posts one scan and shows who it was.
        let done = b
            .post_form(
                &format!("/rounds/{rid}/sample"),
                &[
                    ("csrf", &csrf),
                    ("client_id", "f1"),
                    ("tube", "T-0009"),
                    ("person", &idn(3)),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert!(done.text.contains("甲三") && !done.text.contains(&idn(3)));
        assert!(done.text.contains("id=\"cur-count\">3<"), "{}", done.text);
        // The same form again: the first answer, not a fourth person.
        let again = b
            .post_form(
                &format!("/rounds/{rid}/sample"),
                &[
                    ("csrf", &csrf),
                    ("client_id", "f1"),
                    ("tube", "T-0009"),
                    ("person", &idn(3)),
                ],
            )
            .await;
        assert!(again.text.contains("id=\"cur-count\">3<"));
        // A refusal reads in Chinese.
        let refused = b
            .post_form(
                &format!("/rounds/{rid}/sample"),
                &[
                    ("csrf", &csrf),
                    ("client_id", "f2"),
                    ("tube", "T-0009"),
                    ("person", &idn(1)),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.text.contains("本轮已采样"), "{}", refused.text);
        // Closing with no tube asks for one.
        let none = b
            .post_form(
                &format!("/rounds/{rid}/sample/close"),
                &[("csrf", &csrf), ("tube", "")],
            )
            .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.text.contains("请先扫描试管码"));
        // Someone of 钱塘衣城 is not in this round (over 佳纷天地): not found.
        let (st, v) = page_json(&app, &b, &url, Some(&csrf), &scan("c4", "t-0009", 20)).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
        // The sampler of 钱塘衣城 finds nobody of 佳纷天地.
        let mut q = app.browser();
        q.login("s-qt").await;
        let qcsrf = q.csrf().await;
        let (st, _) = page_json(&app, &q, &url, Some(&qcsrf), &scan("q1", "t-0010", 4)).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Closing the tube by hand under its pool size: without script, then from the script
        // (closing a closed tube answers it).
        let closed = b
            .post_form(
                &format!("/rounds/{rid}/sample/close"),
                &[("csrf", &csrf), ("tube", "t-0009")],
            )
            .await;
        assert_eq!(closed.status, StatusCode::OK);
        assert!(
            closed.text.contains("已封管 T-0009 · 3/5 · 不足混采数"),
            "{}",
            closed.text
        );
        let (st, t) = page_json(
            &app,
            &b,
            &format!("/rounds/{rid}/sample/tubes/T-0009/close"),
            Some(&csrf),
            &json!({}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{t}");
        assert_eq!(
            (t["closed"].as_bool(), t["short"].as_bool()),
            (Some(true), Some(true))
        );
        let admin = app.login_api("admin1").await;
        let (_, cov) = admin.get(&format!("/api/v1/rounds/{rid}/coverage")).await;
        assert_eq!(cov["sampled"], 3, "{cov}");

        // The door-knock list: the three not sampled, masked, and their households' tasks.
        let mut m = app.browser();
        m.login("admin1").await;
        let list = m.get(&format!("/rounds/{rid}/missing")).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text.contains("乙一") && list.text.contains("丙一"));
        assert!(!list.text.contains("甲一") && !list.text.contains(&idn(4)));
        let mcsrf = hidden(&list.text, "csrf");
        let made = m
            .post_form(
                &format!("/rounds/{rid}/missing/tasks"),
                &[("csrf", &mcsrf), ("area", "")],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER);
        let to = made.location.unwrap();
        assert!(to.contains("made=2"), "{to}");
        assert!(m.get(&to).await.text.contains("已生成入户敲门任务"));

        // 丙一 is excused from the list as bedridden: off the list, with a home-sampling task;
        // a reason that is none is refused on the list itself.
        let (_, found) = admin
            .get(&format!(
                "/api/v1/persons?q={}",
                doorstep_testkit::enc("丙一")
            ))
            .await;
        let bing = found["items"][0]["id"].as_i64().unwrap().to_string();
        assert!(
            list.text
                .contains(&format!("name=\"person_id\" value=\"{bing}\""))
        );
        let excuse = |reason: &'static str| {
            [
                ("csrf", mcsrf.clone()),
                ("area", String::new()),
                ("person_id", bing.clone()),
                ("reason", reason.to_string()),
                ("note", String::new()),
            ]
        };
        let form = excuse("asleep");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = m
            .post_form(&format!("/rounds/{rid}/missing/exclude"), &form)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text.contains("role=\"alert\""), "{}", refused.text);
        let form = excuse("bedridden");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = m
            .post_form(&format!("/rounds/{rid}/missing/exclude"), &form)
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        let to = done.location.unwrap();
        assert!(to.contains("home_task="), "{to}");
        let after = m.get(&to).await.text;
        assert!(
            after.contains("已派上门采样任务") && !after.contains("丙一"),
            "{after}"
        );

        // 乙's household prints its personal codes (names, never ID numbers); the sampler
        // scans one instead of an ID card.
        let (_, found) = admin
            .get(&format!(
                "/api/v1/persons?q={}",
                doorstep_testkit::enc("乙一")
            ))
            .await;
        let hid = found["items"][0]["household_id"].as_i64().unwrap();
        assert!(
            m.get(&format!("/households/{hid}"))
                .await
                .text
                .contains(&format!("/households/{hid}/codes"))
        );
        let sheet = m.get(&format!("/households/{hid}/codes")).await;
        assert_eq!(sheet.status, StatusCode::OK);
        assert!(
            sheet.text.contains("<svg")
                && sheet.text.contains("乙一")
                && sheet.text.contains("乙二")
        );
        assert!(!sheet.text.contains(&idn(4)[6..14]) && !sheet.text.contains(&idn(5)[6..14]));
        let again = m.get(&format!("/households/{hid}/codes")).await;
        let code_of = |html: &str| {
            let at = html.find("class=\"mono small\">P").unwrap() + "class=\"mono small\">".len();
            html[at..at + 21].to_string()
        };
        let code = code_of(&sheet.text);
        assert_eq!(code, code_of(&again.text), "made once, the same after");
        let (st, v) = page_json(
            &app,
            &b,
            &url,
            Some(&csrf),
            &json!({"client_id": "k1", "tube": "t-0011", "person": {"code": code}}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert!(v["person"]["name"].as_str().unwrap().starts_with('乙'));
        // Someone outside the area gets no codes.
        let mut q2 = app.browser();
        q2.login("s-qt").await;
        assert_eq!(
            q2.get(&format!("/households/{hid}/codes")).await.status,
            StatusCode::NOT_FOUND
        );
    }
);
