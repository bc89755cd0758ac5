//! Every write path at once under the kills: one writer per path against
//! one `doorstep serve`, killed with SIGKILL [`super::kills`] times on SQLite and on
//! PostgreSQL, restarted each time; then every path's checks. Prints a summary line per path
//! (`bench/crash.sh` gathers them).

use std::sync::Arc;
use std::time::Instant;

use doorstep_testkit::{TestDb, both_backends};

use super::checkins::Checkins;
use super::passages::Passages;
use super::persons::Persons;
use super::reports::Reports;
use super::results::Results;
use super::scans::Scans;
use super::supplies::Supplies;
use super::tasks::Tasks;
use super::{Server, Workload, Writer, fixture, hammer, kills, verify};

both_backends!(
    acknowledged_writes_survive_kills_on_every_path,
    async |db: &TestDb| {
        let kills = kills();
        let persons = fixture::roster_size(kills);
        fixture::community(db, persons).await;
        let scans = Scans::setup(db, persons).await;
        let reports = Reports::setup(db).await;
        let people = Persons::setup(db).await;
        let url = db.url.clone();
        let backend = if db.pg_schema().is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let started = Instant::now();
        let (loads, acks, restarts) = tokio::task::spawn_blocking(move || {
            let mut server = Server::start(&url);
            let admin = server.login("admin1");
            let sampler = server.login("sampler");
            let guard = server.login("guard");
            let lab = server.login("lab");
            let results = Results::setup(&server, &admin, &sampler, persons);
            let at_home = fixture::quarantine(&server, &admin);
            let loads: Vec<(Arc<dyn Workload>, Option<String>)> = vec![
                (Arc::new(scans) as Arc<dyn Workload>, Some(sampler)),
                (Arc::new(reports) as Arc<dyn Workload>, None),
                (
                    Arc::new(Tasks::setup(&server, &admin)) as Arc<dyn Workload>,
                    Some(admin.clone()),
                ),
                (Arc::new(people) as Arc<dyn Workload>, Some(admin.clone())),
                (
                    Arc::new(Passages::setup(&server, &admin, persons)) as Arc<dyn Workload>,
                    Some(guard),
                ),
                (
                    Arc::new(Supplies::new(&at_home)) as Arc<dyn Workload>,
                    Some(admin),
                ),
                (Arc::new(Checkins::new(&at_home)) as Arc<dyn Workload>, None),
                (Arc::new(results) as Arc<dyn Workload>, Some(lab)),
            ];
            let writers: Vec<Writer> = loads
                .iter()
                .map(|(load, token)| Writer {
                    load: load.clone(),
                    token: token.clone(),
                })
                .collect();
            let acks = hammer(&mut server, kills, &writers, 0x2026_1206);
            server.kill();
            (loads, acks, server.restarts)
        })
        .await
        .unwrap();
        assert_eq!(restarts, kills, "the server came back after every kill");
        let mut total = 0;
        for ((load, _), acks) in loads.iter().zip(&acks) {
            let resent = acks.iter().filter(|a| a.resent).count();
            let checks = load.checks(acks);
            eprintln!(
                "crash-summary backend={backend} path=\"{}\" kills={kills} acked={} resent={resent} checks={}",
                load.name(),
                acks.len(),
                checks.len()
            );
            assert!(!acks.is_empty(), "{}: writes got through", load.name());
            total += acks.len();
            verify(db, checks).await;
        }
        assert!(total >= kills, "writes got through between kills: {total}");
        eprintln!(
            "crash-summary backend={backend} path=\"all\" kills={kills} acked={total} seconds={:.1}",
            started.elapsed().as_secs_f64()
        );
    }
);
