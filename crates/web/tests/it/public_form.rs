//! The resident's form as a person meets it, on SQLite and on PostgreSQL: the address in
//! steps with nothing chosen for them and numbers in natural order, the choice kept when the
//! form comes back, Enter submitting the report, empty and removed member blocks, the error
//! summary, the places a JSON client can build a report from, and compressed pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::unit_id;
use axum::http::{StatusCode, header};
use doorstep_app::reports::Purpose;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::Store;
use doorstep_testkit::{
    COMMUNITY, HEADER, TestApp, TestDb, both_backends, csv_file, hidden, id, import, report_link,
    revoke_link, two_compounds,
};

/// [`two_compounds`] plus 佳纷天地's 2号楼 (rooms 1001, 102, 101, as a roster lists them) and
/// 10号楼 (room 301), so numbers must sort as numbers.
async fn community(store: &dyn Store) {
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = [
        (1, "2", "1001"),
        (2, "10", "301"),
        (3, "2", "102"),
        (4, "2", "101"),
    ]
    .iter()
    .map(|(n, b, r)| {
        format!(
            "住户{n},居民身份证,{},,,佳纷天地,{b},,{r},户主,,",
            id(*n, true)
        )
    })
    .collect();
    let f = csv_file(
        dir.path(),
        "r.csv",
        &format!("{HEADER}{}\n", rows.join("\n")),
    );
    let done = import(store, &f).await;
    assert_eq!(done.created, 4, "{:?}", done.errors);
}

/// The id of an area by its path under [`COMMUNITY`].
async fn area_id(store: &dyn Store, under: &str, kind: AreaKind, name: &str) -> i64 {
    let path = AreaPath::parse(&format!("{COMMUNITY}{under}")).unwrap();
    store
        .areas_of_kind(&path, kind)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .id
}

/// Where each of `names` first appears in `text`, which must be in that order.
fn in_order(text: &str, names: &[&str]) {
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            text.find(n)
                .unwrap_or_else(|| panic!("{n} missing in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?} at {at:?}");
}

both_backends!(
    the_address_is_picked_in_steps_nothing_chosen_for_the_resident,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        community(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let form = format!("/r/{token}");

        // A community link starts at the compounds: links, nothing selected, no script needed.
        let step = app.get(&form).await;
        assert_eq!(step.status, StatusCode::OK);
        assert!(step.text.contains("请选择您家所在的小区"), "{}", step.text);
        assert!(!step.text.contains("<select") && !step.text.contains("selected"));
        let jf = area_id(store, "", AreaKind::Compound, "佳纷天地").await;
        let qt = area_id(store, "", AreaKind::Compound, "钱塘衣城").await;
        assert!(step.text.contains(&format!("href=\"{form}?place={jf}\"")));
        // The brand leads back to the form, never to the staff login.
        assert!(
            step.text
                .contains(&format!("class=\"brand\" href=\"{form}\""))
        );
        assert!(!step.text.contains("href=\"/\""));

        // Buildings in natural order, then units.
        let step = app.get(&format!("{form}?place={jf}")).await;
        assert!(step.text.contains("请选择楼栋"));
        in_order(&step.text, &[">1号楼<", ">2号楼<", ">3号楼<", ">10号楼<"]);
        // Without a script the filter is a GET of the same step.
        let step = app.get(&format!("{form}?place={jf}&q=10")).await;
        assert!(step.text.contains(">10号楼<") && !step.text.contains(">2号楼<"));
        let step = app.get(&format!("{form}?place={jf}&q=99")).await;
        assert!(
            step.text
                .contains("<p class=\"muted\" id=\"no-match\">没有符合的选项")
        );
        let b3 = area_id(store, "/佳纷天地", AreaKind::Building, "3号楼").await;
        let step = app.get(&format!("{form}?place={b3}")).await;
        assert!(step.text.contains("请选择单元"));
        in_order(&step.text, &[">1单元<", ">2单元<"]);

        // A compound of one building goes straight to the form.
        let step = app.get(&format!("{form}?place={qt}")).await;
        assert!(step.text.contains("钱塘衣城 1号楼"), "{}", step.text);
        assert!(step.text.contains("name=\"m0_name\""));

        // At 2号楼: rooms in natural order, "choose" first, nothing selected.
        let b2 = area_id(store, "/佳纷天地", AreaKind::Building, "2号楼").await;
        let page = app.get(&format!("{form}?place={b2}")).await;
        assert!(page.text.contains("佳纷天地 2号楼"));
        in_order(
            &page.text,
            &[
                "<option value=\"\">请选择房号</option>",
                "<option value=\"101\">",
                "<option value=\"102\">",
                "<option value=\"1001\">",
            ],
        );
        assert!(!page.text.contains(" selected>"), "nothing preselected");

        // Sent untouched: a "choose" error at both room controls, in a summary linking there.
        let key = hidden(&page.text, "idempotency_key");
        let place = b2.to_string();
        let mut sent = vec![
            ("idempotency_key", key.as_str()),
            ("place", place.as_str()),
            ("n", "1"),
            ("action", "submit"),
            ("m0_name", "住户三"),
            ("m0_id_type", "resident_id"),
        ];
        let id3 = id(3, true);
        sent.push(("m0_id_number", &id3));
        let res = app.post(&form).form(&sent).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let summary = &res.text[res.text.find("id=\"error-summary\"").unwrap()..];
        assert!(summary.contains("role=\"alert\" tabindex=\"-1\""));
        assert!(summary.contains("<a href=\"#f-room\">房号：请选择房号，或在下方填写</a>"));
        assert!(res.text.contains(
            "<select id=\"f-room\" name=\"room\" aria-invalid=\"true\" aria-describedby=\"e-room\">"
        ));
        assert!(res.text.contains("name=\"room_other\" type=\"text\" value=\"\" autocomplete=\"off\" aria-invalid=\"true\" aria-describedby=\"e-room\""));
        assert!(res.text.contains("id=\"e-room\">请选择房号，或在下方填写<"));
        assert_eq!(hidden(&res.text, "place"), place, "the building is kept");
        // The same in English.
        let en = app.post(&form).lang("en").form(&sent).await;
        assert!(
            en.text
                .contains("<a href=\"#f-room\">Room: Choose your room, or type it below</a>")
        );

        // A room chosen, another field wrong: the room stays chosen.
        let mut wrong = sent.clone();
        wrong.retain(|(k, _)| *k != "m0_id_number");
        wrong.extend([("room", "102"), ("m0_id_number", "410103199901011234")]);
        let res = app.post(&form).form(&wrong).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("<option value=\"102\" selected>"));
        assert!(res.text.contains("<a href=\"#f-m0_id_number\">成员 1 · "));
        assert!(res.text.contains("id=\"f-m0_id_number\""));

        // A report without a place picked to the end is sent back to the step it lacks.
        let mut half = sent.clone();
        half.retain(|(k, _)| *k != "place");
        half.extend([
            ("place", &*Box::leak(jf.to_string().into_boxed_str())),
            ("room", "102"),
        ]);
        let res = app.post(&form).form(&half).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择楼栋"));
        assert!(res.text.contains("请选择您家所在的楼栋和单元"));

        let mut good = sent.clone();
        good.push(("room", "102"));
        let res = app.post(&form).form(&good).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    }
);

both_backends!(
    a_one_building_link_opens_the_form_and_enter_submits_it,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        community(store).await;
        let token = report_link(
            store,
            &format!("{COMMUNITY}/钱塘衣城/1号楼"),
            Purpose::RiskVisit,
        )
        .await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let form = format!("/r/{token}");
        let page = app.get(&form).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("钱塘衣城 1号楼"));
        assert!(
            !page.text.contains("重新选择地址"),
            "nothing else to choose"
        );
        // The first submit button of the form sends the report (Enter in a field presses it).
        let form_html = &page.text[page.text.find("<form method=\"post\"").unwrap()..];
        let first = &form_html[form_html.find("type=\"submit\"").unwrap()..];
        assert!(
            first.starts_with("type=\"submit\" name=\"action\" value=\"submit\""),
            "{first}"
        );
        // The questions are core's, in the form's order.
        in_order(
            &page.text,
            &[
                "到访的风险场所",
                "到访日期",
                "症状（没有请填“无”）",
                "体温（℃）",
                "备注",
            ],
        );

        // A wholly empty second member (its type select always sends a value) is ignored.
        let key = hidden(&page.text, "idempotency_key");
        let place = hidden(&page.text, "place");
        let id1 = id(11, false);
        let sent = [
            ("idempotency_key", key.as_str()),
            ("place", place.as_str()),
            ("n", "2"),
            ("action", "submit"),
            ("room_other", "501"),
            ("m0_name", "李梅"),
            ("m0_id_type", "resident_id"),
            ("m0_id_number", id1.as_str()),
            ("m1_id_type", "resident_id"),
            ("m1_name", " "),
            ("risk_place", "佳纷天地"),
            ("date", "2022-10-20"),
        ];
        let res = app.post(&form).form(&sent).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    }
);

both_backends!(
    members_are_added_and_removed_and_nothing_given_is_said_at_the_first,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        two_compounds(store).await;
        let token = report_link(store, &format!("{COMMUNITY}/佳纷天地"), Purpose::Census).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let form = format!("/r/{token}");
        let unit = unit_id(store, "2单元").await.to_string();
        let base = [
            ("idempotency_key", "k-remove"),
            ("place", unit.as_str()),
            ("room_other", "1201"),
            ("m0_name", "甲"),
            ("m1_name", "乙"),
            ("m2_name", "丙"),
            ("n", "3"),
        ];
        // Removing the first of three leaves 乙 and 丙, renumbered.
        let mut remove = base.to_vec();
        remove.push(("action", "remove-0"));
        let res = app.post(&form).form(&remove).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(hidden(&res.text, "n"), "2");
        assert!(
            res.text
                .contains("id=\"f-m0_name\" name=\"m0_name\" type=\"text\" value=\"乙\"")
        );
        assert!(
            res.text
                .contains("id=\"f-m1_name\" name=\"m1_name\" type=\"text\" value=\"丙\"")
        );
        assert!(!res.text.contains("甲"));
        assert!(
            res.text.contains("value=\"remove-1\""),
            "each member has a remove button"
        );

        // Nothing typed for anyone: one message, at the first member's name, in the summary.
        let empty = [
            ("idempotency_key", "k-empty"),
            ("place", unit.as_str()),
            ("room_other", "1201"),
            ("n", "2"),
            ("m0_id_type", "resident_id"),
            ("m1_id_type", "resident_id"),
            ("action", "submit"),
        ];
        let res = app.post(&form).form(&empty).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text.contains("<a href=\"#f-m0_name\">成员 1 · 姓名："),
            "{}",
            res.text
        );
        assert!(res.text.contains("id=\"e-m0_name\""));
    }
);

both_backends!(
    json_clients_get_the_links_places_as_a_report_names_them,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        community(store).await;
        let token = report_link(store, COMMUNITY, Purpose::Returnee).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let uri = format!("/api/v1/public/reports/{token}/places");
        let res = app.get(&uri).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let v = res.json();
        assert_eq!(v["area"], "祥云社区");
        let names = |a: &serde_json::Value| -> Vec<String> {
            a.as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&v["compounds"]), ["佳纷天地", "钱塘衣城"]);
        let jf = &v["compounds"][0];
        assert_eq!(
            names(&jf["buildings"]),
            ["1号楼", "2号楼", "3号楼", "10号楼"]
        );
        assert_eq!(
            jf["buildings"][1]["rooms"],
            serde_json::json!(["101", "102", "1001"])
        );
        assert_eq!(jf["buildings"][1]["units"], serde_json::json!([]));
        assert_eq!(names(&jf["buildings"][2]["units"]), ["1单元", "2单元"]);
        assert_eq!(jf["buildings"][3]["rooms"], serde_json::json!(["301"]));

        // Exactly the names a report takes: one built from them is accepted.
        let report = serde_json::json!({
            "idempotency_key": "places-1",
            "address": {"compound": jf["name"], "building": jf["buildings"][1]["name"],
                        "unit": "", "room": jf["buildings"][1]["rooms"][2]},
            "members": [{"name": "王五", "id_number": id(20, true)}],
            "answers": {"from_place": "上海", "date": "2022-10-20"}
        });
        let sent = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .json(&report)
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);

        // Described in the OpenAPI document.
        let doc = app.get("/api/openapi.json").await.json();
        let op = &doc["paths"]["/api/v1/public/reports/{token}/places"]["get"];
        assert!(op["responses"]["200"].is_object(), "{op}");

        // An unknown link: 404; a withdrawn one: 410, as for submitting.
        let res = app.get("/api/v1/public/reports/no-such-token/places").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(res.json()["error"], "link_not_found");
        revoke_link(store, &token).await;
        let res = app.get(&uri).await;
        assert_eq!(res.status, StatusCode::GONE);
        assert_eq!(res.json()["error"], "link_closed");
    }
);

both_backends!(
    pages_are_compressed_when_the_browser_asks,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        two_compounds(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        for (uri, ty) in [
            (format!("/r/{token}"), "text/html"),
            ("/static/app.css".to_string(), "text/css"),
            (
                format!("/api/v1/public/reports/{token}/places"),
                "application/json",
            ),
        ] {
            let res = app.get(&uri).header("accept-encoding", "gzip").await;
            assert_eq!(res.status, StatusCode::OK, "{uri}");
            assert_eq!(res.headers[header::CONTENT_ENCODING], "gzip", "{uri}");
            assert!(
                res.headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with(ty)
            );
            assert_eq!(&res.bytes[..2], &[0x1f, 0x8b], "{uri}");
            let res = app.get(&uri).header("accept-encoding", "br").await;
            assert_eq!(res.headers[header::CONTENT_ENCODING], "br", "{uri}");
            // Not asked: as it is.
            let plain = app.get(&uri).await;
            assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
        }
        // The script the form uses is the binary's own.
        let js = app.get("/static/report.js").await;
        assert_eq!(js.status, StatusCode::OK);
        assert!(
            js.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
);
