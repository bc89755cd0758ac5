//! Doorstep over HTTP: `/healthz`, the JSON API under `/api/v1` and its OpenAPI description at
//! `/api/openapi.json`, generated from the handlers so it cannot drift from them.
//!
//! Only this crate knows HTTP: request and response types live here, the use cases in
//! `doorstep-app`, the storage behind `doorstep-store`.
#![forbid(unsafe_code)]

mod admission;
mod api;
mod context;
mod error;
mod i18n;
mod json_text;
mod pages;
mod public;
mod public_url;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use doorstep_store::Store;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use admission::WriteLimits;
pub use context::{ClientIpHeader, TrustedProxies};
pub use doorstep_app::hashing::Hashing;
pub use error::ApiError;
pub use public::limits::{MISS_COST, PublicLimits, Rate};
pub use public_url::{BadPublicUrl, PublicUrl};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Import jobs of this process (two at once, kept an hour after they end).
    pub(crate) jobs: Arc<pages::jobs::Jobs>,
    /// The areas report links' residents may name, kept in memory (self-report).
    pub(crate) places: Arc<doorstep_app::reports::PlaceCache>,
    /// The bound on password hashing logins go through.
    pub(crate) hashing: Arc<Hashing>,
    /// The address report links, posters and QR codes print.
    pub(crate) public_url: PublicUrl,
}

/// The largest request body, roster uploads (64 MiB) aside; the API answers a bigger one 413
/// `payload_too_large`.
pub const BODY_LIMIT: usize = 2 << 20;

/// The whole application with the default settings: no trusted proxies, the default limits
/// of the public report endpoints, the process's hashing bound, links printing the default
/// address ([`PublicUrl::default`]).
pub fn router(store: Arc<dyn Store>) -> Router {
    RouterBuilder::new(store).build()
}

/// The whole application with these limits on the public report endpoints.
pub fn router_with_limits(store: Arc<dyn Store>, limits: PublicLimits) -> Router {
    RouterBuilder::new(store).limits(limits).build()
}

/// The application's settings, parsed once at start:
/// `RouterBuilder::new(store).trusted_proxies(proxies).build()`.
pub struct RouterBuilder {
    store: Arc<dyn Store>,
    limits: PublicLimits,
    writes: WriteLimits,
    proxies: TrustedProxies,
    hashing: Arc<Hashing>,
    public_url: Option<PublicUrl>,
    clock: Arc<dyn doorstep_app::clock::Clock>,
}

impl RouterBuilder {
    /// Defaults: no trusted proxies, default public limits, the process's hashing bound, no
    /// public URL (links print [`PublicUrl::default`]; `serve` uses its own address).
    pub fn new(store: Arc<dyn Store>) -> RouterBuilder {
        RouterBuilder {
            store,
            limits: PublicLimits::default(),
            writes: WriteLimits::default(),
            proxies: TrustedProxies::none(),
            hashing: Hashing::global(),
            public_url: None,
            clock: doorstep_app::clock::system(),
        }
    }

    /// The clock every request reads (tests move a `FixedClock`).
    pub fn clock(mut self, clock: Arc<dyn doorstep_app::clock::Clock>) -> RouterBuilder {
        self.clock = clock;
        self
    }

    /// The address report links, posters and QR codes print.
    pub fn public_url(mut self, url: PublicUrl) -> RouterBuilder {
        self.public_url = Some(url);
        self
    }

    /// The rate limits and load-shedding cap of the public report endpoints.
    pub fn limits(mut self, limits: PublicLimits) -> RouterBuilder {
        self.limits = limits;
        self
    }

    /// The cap on writes in flight and waiting (admission control, [`WriteLimits`]).
    pub fn writes(mut self, writes: WriteLimits) -> RouterBuilder {
        self.writes = writes;
        self
    }

    /// The proxies whose `X-Forwarded-For` names the client.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> RouterBuilder {
        self.proxies = proxies;
        self
    }

    /// The bound logins hash under (tests use a small one to see it bite).
    pub fn hashing(mut self, hashing: Arc<Hashing>) -> RouterBuilder {
        self.hashing = hashing;
        self
    }

    /// The router: API, health, OpenAPI, pages, the public report form.
    pub fn build(self) -> Router {
        build(self)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Doorstep (家门口) API", description = "Registry of areas, households and persons. \
        Log in at /api/v1/auth/login and send `Authorization: Bearer TOKEN`. \
        Lists answer {\"items\": [...], \"total\": N}; errors answer {\"error\": code, \"message\": text}. \
        Everything is limited to the caller's area; outside it objects answer 404. \
        Under overload a write (any method but GET) may answer 503 {\"error\": \"busy\"} with Retry-After: \
        nothing was written, send it again after that many seconds (with the same idempotency key or client id)."),
    modifiers(&BearerAuth),
    tags((name = "registry", description = "Areas, households and persons (一人一档、一户一账)"),
         (name = "auth", description = "Sessions"),
         (name = "audit", description = "The audit log"),
         (name = "self-report", description = "Report links, residents' reports (报备), review and the direct-report export"),
         (name = "staff", description = "The working force (工作力量) and its duties (分包)"),
         (name = "tasks", description = "Field tasks: door-knocks, home sampling, deliveries, calls … (one task model)"),
         (name = "rounds", description = "Mass-testing rounds: scans into pooled tubes, coverage, the door-knock list (全员核酸)"),
         (name = "custody", description = "Boxes, handover, the lab's receipt and results, positive pools (采样转运)"),
         (name = "materials", description = "Sampling points and their materials: tube and box code batches, swabs, the day's reconciliation (采样点、物资)"),
         (name = "quarantine", description = "Home quarantine and health monitoring episodes (居家隔离、健康监测)"),
         (name = "checkpoints", description = "Checkpoints at compound gates: duty shifts, the entry/exit register, counts per hour (卡口值守)"),
         (name = "notices", description = "Notices to residents and files from above (文件和温馨提示单)"),
         (name = "lists", description = "Investigation lists from above: import, matching, calls and the return file (流调协查)"),
         (name = "daily", description = "The daily report (日报): figures per community, rolled up, signed off"),
         (name = "templates", description = "Export templates (报表模板): one entry, every format"),
         (name = "emergency", description = "Peacetime ↔ emergency mode (平急转换) with task forces, and the retention of an emergency's personal data"))
)]
struct ApiDoc;

/// Declares the bearer-token security scheme the endpoints refer to.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn build(settings: RouterBuilder) -> Router {
    let limiter = Arc::new(public::limits::Limiter::new(settings.limits));
    let admission = Arc::new(admission::Admission::new(settings.writes));
    let state = AppState {
        store: settings.store,
        jobs: Default::default(),
        places: Default::default(),
        hashing: settings.hashing,
        public_url: settings.public_url.unwrap_or_default(),
    };
    let (api, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::routes(limiter.clone()))
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").to_string();
    let openapi = Arc::new(openapi);
    // Uploads of rosters may be large; every other body is small.
    let uploads = Router::new()
        .route("/import", axum::routing::post(pages::roster::start_import))
        .layer(DefaultBodyLimit::max(64 << 20));
    api.layer(axum::middleware::from_fn(json_text::refuse_nul))
        .layer(axum::middleware::from_fn(error::json_errors))
        .merge(pages::routes())
        .merge(public::routes(limiter))
        .merge(uploads)
        .route("/healthz", get(health))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            admission,
            admission::admit,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(context::security_headers))
        .layer(axum::middleware::from_fn(context::request_id))
        // Outside every route: `context::client_addr` reads the trusted proxies from here, and
        // `context::ctx_of` the clock.
        .layer(axum::Extension(Arc::new(settings.proxies)))
        .layer(axum::Extension(settings.clock))
        .layer(compression())
        .layer(TraceLayer::new_for_http())
}

/// gzip or brotli when the client asks (a form page shrinks to a third on a slow link);
/// spreadsheets are zip files already.
fn compression() -> tower_http::compression::CompressionLayer<
    tower_http::compression::predicate::And<
        tower_http::compression::DefaultPredicate,
        tower_http::compression::predicate::NotForContentType,
    >,
> {
    use tower_http::compression::predicate::{NotForContentType, Predicate};
    tower_http::compression::CompressionLayer::new().compress_when(
        tower_http::compression::DefaultPredicate::new().and(NotForContentType::const_new(
            "application/vnd.openxmlformats",
        )),
    )
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Serves the application until Ctrl-C. Links, posters and QR codes print the builder's
/// public URL; without one the server must listen on loopback only, and prints its own address.
pub async fn serve(mut app: RouterBuilder, addr: SocketAddr) -> std::io::Result<()> {
    if app.public_url.is_none() && !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            NEEDS_PUBLIC_URL,
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let public_url = app
        .public_url
        .take()
        .unwrap_or_else(|| PublicUrl::of_addr(local));
    tracing::info!(%local, %public_url, backend = app.store.backend(), trusted_proxies = %app.proxies, limits = ?app.limits, writes = ?app.writes, "listening");
    if !local.ip().is_loopback() {
        tracing::warn!(
            "listening beyond loopback: there are no accounts yet, anyone who can reach this port can read the registry"
        );
    }
    eprintln!("Doorstep 已启动 / listening on http://{local}");
    eprintln!("报备链接和二维码使用 / report links and QR codes use: {public_url}");
    axum::serve(
        listener,
        app.public_url(public_url)
            .build()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Why a server beyond loopback needs `DOORSTEP_PUBLIC_URL`, in both languages.
pub const NEEDS_PUBLIC_URL: &str = "监听非本机地址时必须设置 DOORSTEP_PUBLIC_URL（或 --public-url）为居民扫码访问的地址，如 https://doorstep.example.org：\
     报备链接和二维码只用这个地址，不用请求里的 Host。\n\
     Listening beyond loopback needs DOORSTEP_PUBLIC_URL (or --public-url) set to the address residents reach this server at, \
     e.g. https://doorstep.example.org: report links and QR codes use it, never the request's Host header.";
