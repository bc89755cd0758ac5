//! [`TestApp`]: the whole web application in-process over a test's store, and the clients
//! that call it.

use std::net::SocketAddr;
use std::sync::Arc;

use doorstep_app::access::Principal;
use doorstep_core::Role;
use doorstep_store::Store;
use doorstep_web::{
    ClientIpHeader, Hashing, PublicLimits, PublicUrl, RouterBuilder, TrustedProxies, WriteLimits,
};

use crate::http::{ApiClient, Browser, Req, peer};
use crate::{TestDb, user};

/// The application under test: one router (so one set of in-memory state: rate limits,
/// import jobs, the place cache) over the test's store.
///
/// ```text
/// let app = TestApp::new(db);
/// app.user("admin1", Role::CommunityAdmin, COMMUNITY).await;
/// let admin = app.login_api("admin1").await;            // the JSON API, bearer token
/// let mut b = app.browser();                             // the pages, cookies and CSRF
/// b.login("admin1").await;
/// let r = app.get("/r/token").peer("10.0.0.1").await;    // one request, from an address
/// ```
#[derive(Clone)]
pub struct TestApp {
    store: Arc<dyn Store>,
    router: axum::Router,
    peer: Option<SocketAddr>,
}

impl TestApp {
    /// The application with the settings `serve` has by default.
    pub fn new(db: &TestDb) -> TestApp {
        TestApp::builder().build(db)
    }

    /// The application with other settings: `TestApp::builder().limits(…).build(db)`.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The store under the application.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The router, for a test that drives it by hand.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// Creates a user of `role` in `area` who logs in with [`PASSWORD`](crate::PASSWORD).
    pub async fn user(&self, name: &str, role: Role, area: &str) -> Principal {
        user(self.store(), name, role, area).await
    }

    /// A client of the JSON API without a token.
    pub fn anon(&self) -> ApiClient {
        ApiClient::new(self.router(), self.peer)
    }

    /// A client of the JSON API logged in as `username`.
    pub async fn login_api(&self, username: &str) -> ApiClient {
        let mut c = self.anon();
        c.login(username).await;
        c
    }

    /// A browser with no cookies yet (log in with [`Browser::login`]).
    pub fn browser(&self) -> Browser {
        Browser::new(self.router(), self.peer)
    }

    /// One request without cookies or token, to build on (see [`Req`]).
    pub fn request(&self, method: &str, uri: &str) -> Req {
        Req::new(self.router(), method, uri).peer_addr(self.peer)
    }

    /// A GET to build on.
    pub fn get(&self, uri: &str) -> Req {
        self.request("GET", uri)
    }

    /// A POST to build on.
    pub fn post(&self, uri: &str) -> Req {
        self.request("POST", uri)
    }

    /// A PUT to build on.
    pub fn put(&self, uri: &str) -> Req {
        self.request("PUT", uri)
    }
}

/// The settings of a [`TestApp`] other than the defaults, as `serve` would take them.
#[derive(Default)]
pub struct TestAppBuilder {
    limits: Option<PublicLimits>,
    writes: Option<WriteLimits>,
    proxies: Option<TrustedProxies>,
    header: Option<ClientIpHeader>,
    public_url: Option<PublicUrl>,
    hashing: Option<Arc<Hashing>>,
    peer: Option<SocketAddr>,
    clock: Option<Arc<dyn doorstep_app::clock::Clock>>,
}

impl TestAppBuilder {
    /// The public report endpoints' rate limits.
    pub fn limits(mut self, limits: PublicLimits) -> TestAppBuilder {
        self.limits = Some(limits);
        self
    }

    /// The cap on staff writes (`--write-max-in-flight` …).
    pub fn writes(mut self, writes: WriteLimits) -> TestAppBuilder {
        self.writes = Some(writes);
        self
    }

    /// The proxies trusted to name the client (`DOORSTEP_TRUSTED_PROXIES`, e.g. `"10.0.0.0/8"`).
    pub fn trusted_proxies(mut self, proxies: &str) -> TestAppBuilder {
        let parsed = proxies
            .parse()
            .unwrap_or_else(|e| panic!("trusted proxies {proxies}: {e:?}"));
        self.proxies = Some(parsed);
        self
    }

    /// The header the trusted proxies name the client in (`DOORSTEP_CLIENT_IP_HEADER`, e.g.
    /// `"x-real-ip"`).
    pub fn client_ip_header(mut self, header: &str) -> TestAppBuilder {
        let parsed = header
            .parse()
            .unwrap_or_else(|e| panic!("client ip header {header}: {e:?}"));
        self.header = Some(parsed);
        self
    }

    /// The address links print (`DOORSTEP_PUBLIC_URL`).
    pub fn public_url(mut self, url: &str) -> TestAppBuilder {
        let parsed = PublicUrl::parse(url).unwrap_or_else(|e| panic!("public url {url}: {e:?}"));
        self.public_url = Some(parsed);
        self
    }

    /// The bound on password hashing (a small one, to see it bite).
    pub fn hashing(mut self, hashing: Arc<Hashing>) -> TestAppBuilder {
        self.hashing = Some(hashing);
        self
    }

    /// The clock every request reads (a `FixedClock` the test moves).
    pub fn clock(mut self, clock: Arc<dyn doorstep_app::clock::Clock>) -> TestAppBuilder {
        self.clock = Some(clock);
        self
    }

    /// The TCP peer requests come from unless they name another (`ConnectInfo`, e.g.
    /// `"10.0.0.1"`); without it the server sees no address.
    pub fn peer(mut self, ip: &str) -> TestAppBuilder {
        self.peer = Some(peer(ip));
        self
    }

    /// The application over `db`'s store.
    pub fn build(self, db: &TestDb) -> TestApp {
        let mut b = RouterBuilder::new(db.store.clone());
        if let Some(limits) = self.limits {
            b = b.limits(limits);
        }
        if let Some(writes) = self.writes {
            b = b.writes(writes);
        }
        if let Some(proxies) = self.proxies {
            b = b.trusted_proxies(proxies.with_header(self.header.unwrap_or_default()));
        }
        if let Some(url) = self.public_url {
            b = b.public_url(url);
        }
        if let Some(clock) = self.clock {
            b = b.clock(clock);
        }
        if let Some(hashing) = self.hashing {
            b = b.hashing(hashing);
        }
        TestApp {
            store: db.store.clone(),
            router: b.build(),
            peer: self.peer,
        }
    }
}
