//! Login throttling, written as the attacks it must stand: waits instead of locks, so neither
//! a guesser elsewhere nor made-up names from a shared address shut a real user out. Time is
//! passed in, so waits of minutes take none. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use doorstep_app::access::Ctx;
use doorstep_app::auth::{LoggedIn, login_at};
use doorstep_app::error::{AppError, AppResult};
use doorstep_app::hashing::Hashing;
use doorstep_core::Role;
use doorstep_store::{AuditQuery, Store};
use doorstep_testkit::{COMMUNITY, PASSWORD, TestDb, both_backends, demo_community, user};
use time::{Duration, OffsetDateTime};

const ATTACKER: &str = "203.0.113.66";
const OWNER_ELSEWHERE: &str = "198.51.100.7";

async fn alice(store: &dyn Store) {
    demo_community(store).await;
    user(store, "alice", Role::CommunityAdmin, COMMUNITY).await;
}

fn from(ip: &str) -> Ctx {
    Ctx {
        ip: Some(ip.to_string()),
        request_id: None,
        ..Default::default()
    }
}

/// A bound roomy enough that no test here is turned away for lack of hashing.
fn roomy() -> Hashing {
    Hashing::new(32, StdDuration::from_secs(30))
}

async fn try_login(
    store: &dyn Store,
    ip: &str,
    user: &str,
    password: &str,
    now: OffsetDateTime,
) -> AppResult<LoggedIn> {
    login_at(store, &roomy(), &from(ip), user, password, "api", now).await
}

async fn failed_logins(store: &dyn Store) -> i64 {
    store
        .audit_entries(&AuditQuery {
            action: Some("login_failed".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .total
}

both_backends!(
    the_owner_gets_in_from_elsewhere_while_a_guesser_hammers,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        // The attacker guesses as fast as the waits let them: 25 wrong passwords from one address.
        let mut t = OffsetDateTime::now_utc();
        let mut failures = 0;
        while failures < 25 {
            match try_login(store, ATTACKER, "alice", "guess-123", t).await {
                Err(AppError::BadLogin) => failures += 1,
                Err(AppError::Throttled(secs)) => t += Duration::seconds(secs as i64),
                other => panic!("unexpected {:?}", other.map(|_| ())),
            }
        }
        // From that address each further guess now waits the full quarter of an hour …
        assert!(matches!(
            try_login(store, ATTACKER, "alice", PASSWORD, t).await,
            Err(AppError::Throttled(900))
        ));
        // … while the owner, elsewhere, waits at most a minute, not a lock-out.
        let start = t;
        let logged_in = loop {
            match try_login(store, OWNER_ELSEWHERE, "alice", PASSWORD, t).await {
                Ok(done) => break done,
                Err(AppError::Throttled(secs)) => t += Duration::seconds(secs as i64),
                Err(e) => panic!("owner refused: {e}"),
            }
        };
        assert_eq!(logged_in.user.username, "alice");
        assert!(
            t - start <= Duration::minutes(1),
            "owner waited {}",
            t - start
        );
        // The owner's success forgives nothing of the attacker's address.
        assert!(matches!(
            try_login(store, ATTACKER, "alice", PASSWORD, t).await,
            Err(AppError::Throttled(_))
        ));
    }
);

both_backends!(
    made_up_names_from_one_address_do_not_block_a_real_user_elsewhere,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        let mut t = OffsetDateTime::now_utc();
        let mut failures = 0;
        while failures < 50 {
            let name = format!("nobody{failures}");
            match try_login(store, ATTACKER, &name, "guess-123", t).await {
                Err(AppError::BadLogin) => failures += 1,
                Err(AppError::Throttled(secs)) => {
                    assert!(secs <= 60, "an address waits at most a minute, not {secs}");
                    t += Duration::seconds(secs as i64);
                }
                other => panic!("unexpected {:?}", other.map(|_| ())),
            }
        }
        // The spraying address is slowed down, whatever name it tries next …
        assert!(matches!(
            try_login(store, ATTACKER, "nobody-else", "guess-123", t).await,
            Err(AppError::Throttled(60))
        ));
        // … the real user at another address is not, at that same moment …
        assert!(
            try_login(store, OWNER_ELSEWHERE, "alice", PASSWORD, t)
                .await
                .is_ok()
        );
        // … and a colleague behind the attacker's address waits a minute, no more.
        assert!(
            try_login(store, ATTACKER, "alice", PASSWORD, t + Duration::minutes(1))
                .await
                .is_ok()
        );
    }
);

both_backends!(
    an_early_attempt_is_refused_unchecked_and_the_next_one_after_the_wait_goes_through,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        let t = OffsetDateTime::now_utc();
        // Three wrong passwords are free; the fourth is checked too and sets a 1 s wait.
        for _ in 0..4 {
            assert!(matches!(
                try_login(store, ATTACKER, "alice", "guess-123", t).await,
                Err(AppError::BadLogin)
            ));
        }
        // Before the wait, even the right password is refused without being checked …
        for at in [t, t + Duration::milliseconds(999)] {
            assert!(matches!(
                try_login(store, ATTACKER, "alice", PASSWORD, at).await,
                Err(AppError::Throttled(1))
            ));
        }
        assert_eq!(
            failed_logins(store).await,
            4,
            "refused attempts are not checked"
        );
        // … and once it has passed, the next attempt is checked.
        let next = t + Duration::seconds(1);
        assert!(
            try_login(store, ATTACKER, "alice", PASSWORD, next)
                .await
                .is_ok()
        );
        // The success cleared that name from that address: three free attempts again.
        for _ in 0..3 {
            assert!(matches!(
                try_login(store, ATTACKER, "alice", "guess-123", next).await,
                Err(AppError::BadLogin)
            ));
        }
        // A fourth failure waits again, and each further one twice as long.
        assert!(matches!(
            try_login(store, ATTACKER, "alice", "guess-123", next).await,
            Err(AppError::BadLogin)
        ));
        let later = next + Duration::seconds(1);
        assert!(matches!(
            try_login(store, ATTACKER, "alice", "guess-123", later).await,
            Err(AppError::BadLogin)
        ));
        assert!(matches!(
            try_login(store, ATTACKER, "alice", "guess-123", later).await,
            Err(AppError::Throttled(2))
        ));
    }
);

both_backends!(
    concurrent_guesses_cannot_slip_past_the_count,
    async |db: &TestDb| {
        alice(db.store.as_ref()).await;
        let t = OffsetDateTime::now_utc();
        let guesses: Vec<_> = (0..16)
            .map(|_| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    try_login(store.as_ref(), ATTACKER, "alice", "guess-123", t).await
                })
            })
            .collect();
        let mut checked = 0;
        for g in guesses {
            match g.await.unwrap() {
                Err(AppError::BadLogin) => checked += 1,
                Err(AppError::Throttled(_)) => {}
                other => panic!("unexpected {:?}", other.map(|_| ())),
            }
        }
        // Each attempt is counted before its password is checked: three free and the fourth.
        assert_eq!(checked, 4);
    }
);

both_backends!(
    logins_turned_away_for_lack_of_hashing_do_not_count,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        let t = OffsetDateTime::now_utc();
        // One permit, held by a long hash; nobody else waits for it more than 20 ms.
        let tight = Arc::new(Hashing::new(1, StdDuration::from_millis(20)));
        let holder = {
            let tight = tight.clone();
            tokio::spawn(async move {
                tight
                    .run(|| std::thread::sleep(StdDuration::from_millis(800)))
                    .await
            })
        };
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        for _ in 0..10 {
            let r = login_at(
                store,
                &tight,
                &from(ATTACKER),
                "alice",
                "guess-123",
                "api",
                t,
            )
            .await;
            assert!(matches!(r, Err(AppError::Busy(1))), "{:?}", r.map(|_| ()));
        }
        holder.await.unwrap().unwrap();
        // None of the ten was counted: three wrong passwords are still free.
        for _ in 0..3 {
            assert!(matches!(
                try_login(store, ATTACKER, "alice", "guess-123", t).await,
                Err(AppError::BadLogin)
            ));
        }
    }
);
