//! Server time of the web pages over a large registry, in-process (no network): every page a
//! community worker uses, timed against the server's own /healthz in the same run.
//!
//! Usage: pages DB_URL AREA_PATH [RUNS]
//! The database must already hold the registry (e.g. the 1M-person import of bench/registry.sh).
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaPath, Role};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Timing {
    name: String,
    times: Vec<Duration>,
    bytes: usize,
}

fn pct(v: &[Duration], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort();
    let i = ((s.len() as f64 - 1.0) * p).round() as usize;
    s[i].as_secs_f64() * 1000.0
}

async fn get(app: &axum::Router, cookie: &str, uri: &str) -> (u16, String, Duration) {
    let req = Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let elapsed = t.elapsed();
    (status, String::from_utf8_lossy(&body).to_string(), elapsed)
}

fn first_href(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link {prefix}"))
        + 6;
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "sqlite://bench/out/doorstep.db".into());
    let area = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "二七区/京广路街道/祥云社区".into());
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(30);
    let store = doorstep_app::open_store(&url).await?;
    let area = AreaPath::parse(&area).map_err(|p| anyhow::anyhow!("{p}"))?;
    // One bench user per area, so a run for a compound searches as a compound's worker.
    let username = &format!("bench-pages-{:x}", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        area.as_str().hash(&mut h);
        h.finish() as u32
    });
    if store.user_for_login(username).await?.is_none() {
        create_user(
            store.as_ref(),
            By::Cli,
            username,
            Role::CommunityAdmin,
            &area,
            "bench-password",
        )
        .await?;
    }
    let ctx = doorstep_app::access::Ctx::default();
    let session =
        doorstep_app::auth::login(store.as_ref(), &ctx, username, "bench-password", "web").await?;
    let cookie = format!("doorstep_session={}", session.token);
    let persons = store.max_person_id().await?;
    let app = doorstep_web::router(store.clone());

    // Discover real pages by following links, as a worker would.
    let (_, home, _) = get(&app, &cookie, "/").await;
    let community = first_href(&home, "/areas/");
    let (_, c, _) = get(&app, &cookie, &community).await;
    let compound = first_href(
        c.split("<ul class=\"list areas\">").nth(1).unwrap_or(&c),
        "/areas/",
    );
    let (_, b, _) = get(&app, &cookie, &compound).await;
    let building = first_href(
        b.split("<ul class=\"list areas\">").nth(1).unwrap_or(&b),
        "/areas/",
    );
    let (_, bp, _) = get(&app, &cookie, &building).await;
    let household = if bp.contains("href=\"/households/") {
        first_href(&bp, "/households/")
    } else {
        let unit = first_href(
            bp.split("<ul class=\"list areas\">").nth(1).unwrap_or(&bp),
            "/areas/",
        );
        let (_, up, _) = get(&app, &cookie, &unit).await;
        first_href(&up, "/households/")
    };
    let (_, hp, _) = get(&app, &cookie, &household).await;
    let person = first_href(&hp, "/persons/");
    let (_, pp, _) = get(&app, &cookie, &person).await;
    let name = pp
        .split("<h1>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("王")
        .to_string();
    let surname: String = name.chars().take(1).collect();
    let pages = vec![
        ("/healthz (floor)".to_string(), "/healthz".to_string()),
        ("home".into(), "/".into()),
        ("community".into(), community.clone()),
        ("compound".into(), compound.clone()),
        ("building".into(), building.clone()),
        ("household".into(), household.clone()),
        ("person".into(), person.clone()),
        ("person edit form".into(), format!("{person}/edit")),
        (
            format!("search full name ({name})"),
            format!("/search?q={}", enc(&name)),
        ),
        (
            format!("search surname ({surname})"),
            format!("/search?q={}", enc(&surname)),
        ),
        ("search room (101)".into(), "/search?q=101".into()),
        (
            "search last 4 digits (1234)".into(),
            "/search?q=1234".into(),
        ),
        ("import form".into(), "/import".into()),
        ("audit log".into(), "/audit".into()),
        ("login form".into(), "/login".into()),
    ];
    let mut results = Vec::new();
    for (label, uri) in pages {
        let mut t = Timing {
            name: label,
            times: Vec::new(),
            bytes: 0,
        };
        get(&app, &cookie, &uri).await; // warm
        for _ in 0..runs {
            let (status, body, d) = get(&app, &cookie, &uri).await;
            assert!(status < 400, "{uri} answered {status}");
            t.bytes = body.len();
            t.times.push(d);
        }
        results.push(t);
    }
    println!(
        "backend {} · {persons} persons · {runs} runs per page\n",
        store.backend()
    );
    println!("| page | p50 ms | p95 ms | max ms | bytes |");
    println!("|---|---:|---:|---:|---:|");
    for t in &results {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {} |",
            t.name,
            pct(&t.times, 0.5),
            pct(&t.times, 0.95),
            pct(&t.times, 1.0),
            t.bytes
        );
    }
    Ok(())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
