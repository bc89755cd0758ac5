//! The office (the command line) goes through the same use cases as a user, with
//! `Principal::office()`: it may act anywhere and is audited as `cli`; users get the same calls
//! limited to their role and area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::error::AppError;
use doorstep_app::registry::Registry;
use doorstep_app::reports::{Purpose, ReportDesk};
use doorstep_app::users::{self, By};
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_store::AuditQuery;
use doorstep_testkit::{TestDb, both_backends, user};

fn path(p: &str) -> AreaPath {
    AreaPath::parse(p).unwrap()
}

both_backends!(
    the_office_creates_areas_anywhere_users_only_in_theirs,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let c = doorstep_testkit::demo_community(store).await;
        let ctx = Ctx::default();
        let office = Principal::office();
        let reg = Registry::new(store, &office, &ctx);
        reg.create_area(&path("金水区"), AreaKind::District)
            .await
            .unwrap();
        let compound = reg
            .create_area(&c.path.child("佳纷天地").unwrap(), AreaKind::Compound)
            .await
            .unwrap();
        let entries = store
            .audit_entries(&AuditQuery {
                action: Some("area.create".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.total, 2);
        let e = &entries.items[0];
        assert_eq!((e.username.as_str(), e.user_id), ("cli", None));
        assert_eq!(e.area_path.as_deref(), Some(compound.path.as_str()));
        assert_eq!(e.details["kind"], "compound");

        let leader = user(store, "leader", Role::GridLeader, compound.path.as_str()).await;
        let as_leader = Registry::new(store, &leader, &ctx);
        as_leader
            .create_area(&compound.path.child("1号楼").unwrap(), AreaKind::Building)
            .await
            .unwrap();
        // Beside their compound, the area is not there for them; at the root neither.
        let beside = c.path.child("钱塘衣城").unwrap();
        for p in [beside, path("惠济区")] {
            assert!(matches!(
                as_leader.create_area(&p, AreaKind::Compound).await,
                Err(AppError::NotFound)
            ));
        }
        let volunteer = user(store, "vol", Role::Volunteer, compound.path.as_str()).await;
        assert!(matches!(
            Registry::new(store, &volunteer, &ctx)
                .create_area(&compound.path.child("2号楼").unwrap(), AreaKind::Building)
                .await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    listing_users_is_for_managers_inside_their_area,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let c = doorstep_testkit::demo_community(store).await;
        let ctx = Ctx::default();
        let street = c.path.parent().unwrap();
        let other = store
            .create_area(Some(&street), AreaKind::Community, "五里堡社区")
            .await
            .unwrap();
        let admin = user(store, "cadmin", Role::CommunityAdmin, c.path.as_str()).await;
        let worker = user(store, "worker", Role::GridWorker, c.path.as_str()).await;
        user(store, "elsewhere", Role::GridWorker, other.path.as_str()).await;

        let names = |list: Vec<doorstep_store::User>| -> Vec<String> {
            let mut n: Vec<String> = list.into_iter().map(|u| u.username).collect();
            n.sort();
            n
        };
        let seen = users::list(store, By::User(&admin, &ctx)).await.unwrap();
        assert_eq!(names(seen), ["cadmin", "worker"]);
        assert!(matches!(
            users::list(store, By::User(&worker, &ctx)).await,
            Err(AppError::Forbidden)
        ));
        let all = users::list(store, By::Cli).await.unwrap();
        assert_eq!(names(all), ["cadmin", "elsewhere", "worker"]);
    }
);

both_backends!(
    a_link_found_by_its_token_is_checked_against_the_area,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let c = doorstep_testkit::demo_community(store).await;
        let ctx = Ctx::default();
        let street = c.path.parent().unwrap();
        let other = store
            .create_area(Some(&street), AreaKind::Community, "五里堡社区")
            .await
            .unwrap();
        let office = Principal::office();
        let link = ReportDesk::new(store, &office, &ctx)
            .create_link(&c.path, Purpose::Returnee, None, vec![])
            .await
            .unwrap();
        assert_eq!(link.created_by, "cli");
        let outsider = user(store, "outsider", Role::CommunityAdmin, other.path.as_str()).await;
        assert!(matches!(
            ReportDesk::new(store, &outsider, &ctx)
                .link_by_token(&link.token)
                .await,
            Err(AppError::NotFound)
        ));
        let desk = ReportDesk::new(store, &office, &ctx);
        let found = desk.link_by_token(&link.token).await.unwrap();
        assert_eq!(found.id, link.id);
        assert!(
            desk.revoke_link(found.id)
                .await
                .unwrap()
                .revoked_at
                .is_some()
        );
    }
);
