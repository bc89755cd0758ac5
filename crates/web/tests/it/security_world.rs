//! The world the security sweeps attack: the rounds tests' community (`rounds::setup`) with one
//! object of each kind made through the API by its admin (a round with a tube and a box, a
//! sampling point, a gate, a quarantined household, a task, a notice, a seal, a staff member on
//! duty, a template, a report link, a supply request), a user of every role, and a way to fill
//! any operation's path with those objects' ids and codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{ApiClient, COMMUNITY, TestApp, TestDb, id, user};
use serde_json::{Value, json};

/// The seeded objects' path values, by the name of the collection before `{id}` (or the
/// parameter's own name).
pub(crate) struct World {
    /// The API's description, as served.
    pub doc: Value,
    /// Path values: `rounds` → the round's id, `boxes` → its box code, …
    pub ids: HashMap<&'static str, String>,
    /// Bodies a role allowed to would have taken, for operations whose use case reads its
    /// input before the access check: (method, described path) → JSON.
    pub valid: HashMap<(&'static str, &'static str), Value>,
}

/// The admin of the neighbouring community 福华街社区, which holds nothing.
pub(crate) const NEIGHBOUR: &str = "neighbour";

/// Creates 福华街社区, a community under the same street holding nothing, and its admin
/// `username`.
pub(crate) async fn neighbouring_community(store: &dyn doorstep_store::Store, username: &str) {
    let street = doorstep_core::AreaPath::parse("二七区/京广路街道").unwrap();
    store
        .create_area(
            Some(&street),
            doorstep_core::AreaKind::Community,
            "福华街社区",
        )
        .await
        .unwrap();
    user(
        store,
        username,
        Role::CommunityAdmin,
        "二七区/京广路街道/福华街社区",
    )
    .await;
}

/// The user name of the sweep's user of `role` (its area: the whole system for the admin, the
/// district, the street, else the community).
pub(crate) fn role_user(role: Role) -> String {
    format!("sweep-{}", role.code())
}

/// The area a role's sweep user holds.
fn role_area(role: Role) -> &'static str {
    match role {
        Role::Admin | Role::DistrictAdmin => "二七区",
        Role::StreetAdmin => "二七区/京广路街道",
        _ => COMMUNITY,
    }
}

async fn made(admin: &ApiClient, path: &str, body: Value) -> Value {
    let (st, v, _) = admin.send("POST", path, Some(body)).await;
    assert!(st.is_success(), "seeding POST {path}: {st} {v}");
    v
}

fn num(v: &Value) -> String {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// Builds the world over a fresh app.
pub(crate) async fn world(app: &TestApp, db: &TestDb) -> World {
    crate::rounds::setup(app).await;
    let store = db.store.as_ref();
    for role in Role::ALL {
        user(store, &role_user(role), role, role_area(role)).await;
    }
    neighbouring_community(store, NEIGHBOUR).await;
    let admin = app.login_api("admin1").await;
    let jf = format!("{COMMUNITY}/佳纷天地");
    let mut ids: HashMap<&'static str, String> = HashMap::new();

    let rid = crate::rounds::create_open_round(
        app,
        json!({"area": COMMUNITY, "name": "第1轮", "pool_size": 1}),
    )
    .await;
    ids.insert("rounds", rid.to_string());
    let sampler = app.login_api("s-jf").await;
    made(
        &sampler,
        &format!("/api/v1/rounds/{rid}/scans"),
        json!({"client_id": "w1", "tube": "TUBE-W1", "person": {"id_number": id(1, true)}}),
    )
    .await;
    ids.insert("tubes", "TUBE-W1".into());
    made(
        &sampler,
        &format!("/api/v1/rounds/{rid}/boxes"),
        json!({"code": "BOX-W1"}),
    )
    .await;
    ids.insert("boxes", "BOX-W1".into());
    let point = made(
        &admin,
        &format!("/api/v1/rounds/{rid}/points"),
        json!({"name": "东门采样点", "place": jf}),
    )
    .await;
    ids.insert("point_id", num(&point));
    let gate = made(
        &admin,
        "/api/v1/checkpoints",
        json!({"area": jf, "name": "东门"}),
    )
    .await;
    ids.insert("checkpoints", num(&gate));
    let episode = crate::checkins::quarantine_jia_household(&admin).await;
    ids.insert("episodes", num(&episode["items"][0]));
    let household = episode["items"][0]["household_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no household in {episode}"));
    ids.insert("households", household.to_string());
    let (_, persons) = admin.get("/api/v1/persons").await;
    ids.insert("persons", num(&persons["items"][0]));
    let (_, areas) = admin.get("/api/v1/areas").await;
    ids.insert("areas", num(&areas["items"][0]));
    let building = areas["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "building")
        .map_or_else(|| num(&areas["items"][0]), num);
    ids.insert("area_id", building);
    let task = made(
        &admin,
        "/api/v1/tasks",
        json!({"kind": "door_knock", "target": {"type": "household", "id": household}}),
    )
    .await;
    ids.insert("tasks", num(&task));
    ids.insert("task_id", num(&task));
    let notice = made(
        &admin,
        "/api/v1/notices",
        json!({"area": jf, "title": "停水通知", "body": "明天停水", "valid_from": "2027-03-01",
               "valid_to": "2027-03-03"}),
    )
    .await;
    ids.insert("notices", num(&notice));
    let seal = made(
        &admin,
        "/api/v1/seals",
        json!({"area": format!("{jf}/1号楼"), "reason": "楼内发现阳性"}),
    )
    .await;
    ids.insert("seals", num(&seal));
    let staff = made(
        &admin,
        "/api/v1/staff",
        json!({"name": "王芳", "phone": "13800138001", "kind": "网格员"}),
    )
    .await;
    ids.insert("staff", num(&staff));
    let duty = made(
        &admin,
        "/api/v1/duties",
        json!({"area": jf, "duty": "building_captain", "phone": "13800138001"}),
    )
    .await;
    ids.insert("duties", num(&duty));
    let template = made(
        &admin,
        "/api/v1/templates",
        json!({"area": COMMUNITY, "name": "卫健委格式", "kind": "persons",
               "columns": [{"header": "XM", "field": "name"}]}),
    )
    .await;
    ids.insert("templates", num(&template));
    ids.insert("template", num(&template));
    let link = made(
        &admin,
        "/api/v1/report-links",
        json!({"area": COMMUNITY, "purpose": "home_quarantine", "expires_in_hours": 48}),
    )
    .await;
    ids.insert("report-links", num(&link));
    let supply = made(
        &admin,
        &format!("/api/v1/households/{household}/supplies"),
        json!({"idempotency_key": "w-1", "kind": "garbage"}),
    )
    .await;
    ids.insert("supplies", num(&supply));
    let (st, list) =
        crate::lists::import_list(&admin, COMMUNITY, "协查名单", &crate::lists::first_list()).await;
    assert!(st.is_success(), "seeding a list: {st} {list}");
    ids.insert("lists", num(&list));
    ids.insert("key", "ninth_edition".into());
    ids.insert("version", "1".into());
    ids.insert("kind", "door_knock".into());
    ids.insert("action", "start".into());

    let staff_id: i64 = ids["staff"].parse().unwrap();
    let (st, template_file) = admin
        .get(&format!("/api/v1/templates/{}/file", ids["templates"]))
        .await;
    assert_eq!(st, StatusCode::OK, "{template_file}");
    let valid = HashMap::from([
        (("POST", "/api/v1/templates/import"), template_file),
        (
            ("POST", "/api/v1/rounds"),
            json!({"area": COMMUNITY, "name": "第2轮", "pool_size": 1}),
        ),
        (
            ("POST", "/api/v1/rounds/{id}/status"),
            json!({"status": "closed"}),
        ),
        (
            ("POST", "/api/v1/rounds/{id}/exclusions"),
            json!({"person": {"id_number": id(2, false)}, "reason": "外出"}),
        ),
        (
            ("POST", "/api/v1/rounds/{id}/scans"),
            json!({"client_id": "v1", "tube": "TUBE-V1", "person": {"id_number": id(2, false)}}),
        ),
        (
            ("POST", "/api/v1/rounds/{id}/scans/batch"),
            json!({"scans": [{"client_id": "v2", "tube": "TUBE-V2", "person": {"id_number": id(3, true)}}]}),
        ),
        (
            ("POST", "/api/v1/tasks"),
            json!({"kind": "door_knock", "target": {"type": "household", "id": household}}),
        ),
        (
            ("POST", "/api/v1/tasks/bulk"),
            json!({"idempotency_key": "v-bulk", "kind": "door_knock", "targets": [{"type": "household", "id": household}]}),
        ),
        (
            ("POST", "/api/v1/templates"),
            json!({"area": COMMUNITY, "name": "第二格式", "kind": "persons",
                   "columns": [{"header": "XM", "field": "name"}]}),
        ),
        (
            ("POST", "/api/v1/duties"),
            json!({"area": jf, "duty": "unit_captain", "staff_id": staff_id}),
        ),
        (
            ("POST", "/api/v1/report-links"),
            json!({"area": COMMUNITY, "purpose": "home_quarantine"}),
        ),
        (
            ("POST", "/api/v1/checkpoints"),
            json!({"area": jf, "name": "西门"}),
        ),
        (
            ("POST", "/api/v1/episodes"),
            json!({"id_number": id(4, false), "measure": "home_quarantine", "reason": "密接",
                   "start": "2027-03-01"}),
        ),
        (
            ("POST", "/api/v1/seals"),
            json!({"area": format!("{jf}/3号楼"), "reason": "x"}),
        ),
        (
            ("POST", "/api/v1/notices"),
            json!({"area": jf, "title": "t", "body": "b", "valid_from": "2027-03-01",
                   "valid_to": "2027-03-03"}),
        ),
        (
            ("POST", "/api/v1/staff"),
            json!({"name": "李四", "phone": "13800138002", "kind": "网格员"}),
        ),
        (
            ("POST", "/api/v1/emergencies"),
            json!({"area": COMMUNITY, "reason": "x"}),
        ),
        (
            ("POST", "/api/v1/handovers"),
            json!({"boxes": ["BOX-W1"], "carrier": "张三", "lab": "金域", "packaging_intact": true,
                   "disinfected": true}),
        ),
        (
            ("POST", "/api/v1/households/{id}/persons"),
            json!({"name": "新人", "id_number": id(50, true)}),
        ),
        (
            ("POST", "/api/v1/households/{id}/supplies"),
            json!({"idempotency_key": "v-1", "kind": "garbage"}),
        ),
        (
            ("POST", "/api/v1/reports/bulk-accept"),
            json!({"area": COMMUNITY}),
        ),
        (
            ("POST", "/api/v1/retention/run"),
            json!({"area": COMMUNITY}),
        ),
        (
            ("POST", "/api/v1/daily-report/sign"),
            json!({"area": COMMUNITY}),
        ),
    ]);

    let (st, doc) = app.anon().get("/api/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    World { doc, ids, valid }
}

impl World {
    /// [`Self::fill`], with the operation's required query parameters and its `area` (the
    /// world's community).
    pub(crate) fn fill_op(&self, method: &str, path: &str) -> String {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let query: Vec<String> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| {
                        p["in"] == "query" && (p["required"] == true || p["name"] == "area")
                    })
                    .map(|p| {
                        let name = p["name"].as_str().unwrap();
                        let value = if name == "area" { COMMUNITY } else { "x" };
                        format!("{name}={}", doorstep_testkit::enc(value))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let filled = self.fill(path);
        if query.is_empty() {
            filled
        } else {
            format!("{filled}?{}", query.join("&"))
        }
    }

    /// `path` with each `{…}` replaced by the seeded object's id or code (by the collection
    /// before it, else by the parameter's name); an unknown one by `987654321`, which names
    /// nothing.
    pub(crate) fn fill(&self, path: &str) -> String {
        let mut out = Vec::new();
        let mut before = "";
        for seg in path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let key = if name == "id" || name == "code" {
                    before
                } else {
                    name
                };
                out.push(
                    self.ids
                        .get(key)
                        .cloned()
                        .unwrap_or_else(|| "987654321".into()),
                );
            } else {
                out.push(seg.to_string());
                before = seg;
            }
        }
        out.join("/")
    }

    /// Every secured operation: (method, path as described).
    pub(crate) fn secured(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let secured = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
                if secured {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    /// A body the operation's JSON extractor takes (its required fields, each a plain value of
    /// its type), so that what answers is the handler, not the parser; `None` for an
    /// operation without a body. A file upload gets its content type and a few bytes.
    pub(crate) fn body(&self, method: &str, path: &str) -> Option<(String, Vec<u8>)> {
        if let Some(v) = self
            .valid
            .iter()
            .find(|((m, p), _)| *m == method && *p == path)
            .map(|(_, v)| v)
        {
            return Some(("application/json".into(), v.to_string().into_bytes()));
        }
        if path == "/api/v1/lists" {
            let (ct, b) = crate::lists::multipart(
                &[("area", COMMUNITY), ("name", "又一名单")],
                crate::lists::first_list().as_bytes(),
                "list.csv",
            );
            return Some((ct, b));
        }
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let content = op["requestBody"]["content"].as_object()?;
        if let Some(json) = content.get("application/json") {
            let v = self.sample(&json["schema"], 0);
            return Some(("application/json".into(), v.to_string().into_bytes()));
        }
        let (ct, _) = content.iter().next()?;
        let ct = if ct == "multipart/form-data" {
            "multipart/form-data; boundary=X".to_string()
        } else {
            ct.clone()
        };
        Some((ct, b"--X--\r\n".to_vec()))
    }

    fn sample(&self, schema: &Value, depth: usize) -> Value {
        if depth > 8 {
            return Value::Null;
        }
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            return self.sample(&self.doc["components"]["schemas"][name], depth + 1);
        }
        for combo in ["oneOf", "anyOf", "allOf"] {
            if let Some(first) = schema[combo]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["type"] != "null").or_else(|| a.first()))
            {
                return self.sample(first, depth + 1);
            }
        }
        if let Some(e) = schema["enum"].as_array().and_then(|e| e.first()) {
            return e.clone();
        }
        let ty = match &schema["type"] {
            Value::String(t) => t.clone(),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null")
                .to_string(),
            _ => "object".to_string(),
        };
        match ty.as_str() {
            "string" => match schema["format"].as_str() {
                Some("date") => json!("2027-03-01"),
                Some("date-time") => json!("2027-03-01T08:00:00+08:00"),
                _ => json!("x"),
            },
            "integer" | "number" => json!(1),
            "boolean" => json!(false),
            "array" => json!([]),
            "null" => Value::Null,
            _ => {
                let mut obj = serde_json::Map::new();
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = schema["properties"].as_object() {
                    for (k, s) in props {
                        if required.contains(&k.as_str()) {
                            obj.insert(k.clone(), self.sample(s, depth + 1));
                        }
                    }
                }
                Value::Object(obj)
            }
        }
    }
}

/// What the world holds, as the admin of everything reads it through the API: the lists of
/// every kind of object, whole. Two fingerprints differ when anything was written.
pub(crate) async fn fingerprint(root: &ApiClient, w: &World) -> Vec<(String, Value)> {
    let rid = &w.ids["rounds"];
    let mut out = Vec::new();
    for path in [
        "/api/v1/persons?per_page=200".to_string(),
        "/api/v1/households?per_page=200".to_string(),
        "/api/v1/areas?per_page=200".to_string(),
        "/api/v1/tasks?per_page=200".to_string(),
        "/api/v1/rounds".to_string(),
        format!("/api/v1/rounds/{rid}"),
        format!("/api/v1/rounds/{rid}/tubes"),
        format!("/api/v1/rounds/{rid}/boxes"),
        format!("/api/v1/rounds/{rid}/points"),
        format!("/api/v1/episodes?area={}", doorstep_testkit::enc("二七区")),
        "/api/v1/seals?all=true".to_string(),
        "/api/v1/checkpoints".to_string(),
        "/api/v1/notices".to_string(),
        "/api/v1/staff".to_string(),
        "/api/v1/duties".to_string(),
        "/api/v1/templates".to_string(),
        "/api/v1/report-links".to_string(),
        "/api/v1/reports".to_string(),
        "/api/v1/supplies".to_string(),
        "/api/v1/emergencies".to_string(),
        "/api/v1/lists".to_string(),
        "/api/v1/policies".to_string(),
        "/api/v1/audit?per_page=200".to_string(),
    ] {
        let (st, v) = root.get(&path).await;
        assert_eq!(st, StatusCode::OK, "fingerprint {path}: {v}");
        out.push((path, v));
    }
    out
}

/// Which of two fingerprints' lists differ.
pub(crate) fn changed(before: &[(String, Value)], after: &[(String, Value)]) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.clone())
        .collect()
}

/// Every route of the pages with a handler for `method` (`"post("`, `"get("`), read from the
/// source of `web::pages` and the upload route in `web::lib` (the public forms under `public/`
/// have no session, and are not here), so that a new page joins the sweeps by being routed.
pub(crate) fn page_routes(method: &str) -> Vec<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("lib.rs")];
    let mut dirs = vec![src.join("pages")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for part in text.split(".route(").skip(1) {
            let Some(path) = part
                .trim_start()
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
            else {
                continue;
            };
            // The route's handlers: up to the next route, merge, or the end of the function.
            let handlers = part.split(".merge(").next().unwrap_or(part);
            let handlers = handlers.split("\n}").next().unwrap_or(handlers);
            let found = [" ", ".", "::"]
                .iter()
                .any(|pre| handlers.contains(&format!("{pre}{method}")));
            if found && path.starts_with('/') {
                out.push(path.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
