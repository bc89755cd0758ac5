//! The server-rendered web app: phone-first pages in Chinese (English by switch or
//! Accept-Language), working without JavaScript, every form with a CSRF token, every page
//! behind the same checks as the API (`doorstep_app::registry::Registry`).

mod audit;
mod auth;
mod building_map;
pub(crate) mod checkins;
mod checkpoints;
mod codes;
mod daily;
mod day_field;
pub(crate) mod emergency;
pub(crate) mod episodes;
pub(crate) mod field;
mod file_report;
mod handover;
pub(crate) mod jobs;
mod knock;
mod lab_results;
pub mod lists;
mod materials;
pub(crate) mod notices;
mod points;
mod policies;
mod registry;
pub(crate) mod reports;
pub(crate) mod roster;
mod rounds;
mod sampler;
pub(crate) mod seals;
pub(crate) mod staff;
pub(crate) mod supplies;
pub(crate) mod tasks;
pub(crate) mod templates;
pub(crate) mod today;

pub use day_field::DayField;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use doorstep_app::access::{Action, Ctx, Principal};
use doorstep_app::error::AppError;
use doorstep_core::Lang;
use doorstep_store::User;

use crate::AppState;
use crate::context::{ctx_of, lang_of};
use crate::i18n::T;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "doorstep_session";

/// Every page route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(registry::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang/{code}", get(auth::set_lang))
        .route("/areas/{id}", get(registry::area))
        .route("/areas/{id}/households", post(registry::add_household))
        .route("/households/{id}", get(registry::household))
        .route("/households/{id}/notes", post(registry::save_notes))
        .route("/households/{id}/codes", get(codes::household_codes))
        .route(
            "/households/{id}/persons/new",
            get(registry::new_person_form).post(registry::add_person),
        )
        .route("/persons/{id}", get(registry::person))
        .route("/persons/{id}/reveal", post(registry::reveal_person))
        .route(
            "/persons/{id}/edit",
            get(registry::edit_person_form).post(registry::edit_person),
        )
        .route("/search", get(registry::search))
        .route("/import", get(roster::import_form))
        .route("/import/{job}", get(roster::import_job))
        .route("/import/{job}/rejects.xlsx", get(roster::import_rejects))
        .route("/export", get(roster::export))
        .route("/audit", get(audit::audit))
        .route("/audit.csv", get(audit::audit_csv))
        .route("/static/app.css", get(css))
        .route("/static/report.js", get(report_js))
        .route("/static/sampler.js", get(sampler_js))
        .route("/static/camera.js", get(camera_js))
        .route("/static/checkpoint.js", get(checkpoint_js))
        .route("/sampler-sw.js", get(sampler_sw))
        .merge(reports::routes())
        .merge(file_report::routes())
        .merge(staff::routes())
        .merge(tasks::routes())
        .merge(rounds::routes())
        .merge(building_map::routes())
        .merge(materials::routes())
        .merge(handover::routes())
        .merge(lab_results::routes())
        .merge(checkins::routes())
        .merge(today::routes())
        .merge(episodes::routes())
        .merge(policies::routes())
        .merge(seals::routes())
        .merge(templates::routes())
        .merge(supplies::routes())
        .merge(checkpoints::routes())
        .merge(notices::routes())
        .merge(lists::routes())
        .merge(daily::routes())
        .merge(emergency::routes())
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/app.css"),
    )
}

/// The resident's form's script: it only adds to pages that work without it.
async fn report_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/report.js"),
    )
}

/// The sampler page's script: the offline queue, the camera; the page works without it.
async fn sampler_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/sampler.js"),
    )
}

/// Scanning with the camera, for every page that scans (BarcodeDetector where the browser has it).
async fn camera_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/camera.js"),
    )
}

/// The checkpoint register's script: the camera, and no lost entry without a network.
async fn checkpoint_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/checkpoint.js"),
    )
}

/// The sampler page's service worker: the page opens again with no network. Served from the
/// root so that its scope may be `/rounds/`; never cached by the HTTP cache (`no-store`), so a
/// new version reaches phones at once.
async fn sampler_sw() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/sampler-sw.js"),
    )
}

/// What the layout shows about the user: name, role, and which links they get.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// The logged-in user's name, if any.
    pub username: Option<String>,
    /// Their role's label.
    pub role: String,
    /// The CSRF token of their session (for the logout form).
    pub csrf: String,
    /// The menu entries they get: (link, text key, group's text key).
    pub menu: Vec<(&'static str, &'static str, &'static str)>,
    /// The current path, for the language switch to come back to.
    pub path: String,
    /// On a resident's page, where the header's name leads (their form; empty: nowhere), so
    /// it never sends a resident to the staff login.
    pub resident_home: Option<String>,
    /// In emergency mode (an emergency runs on the user's area, above or below it): the day
    /// count of the longest running one. `None`: peacetime.
    pub emergency_day: Option<i64>,
}

/// One entry of the menu: shown to users whose role may do `action`.
#[derive(Debug, Clone, Copy)]
pub struct MenuItem {
    /// What the page behind it needs.
    pub action: Action,
    /// The link.
    pub href: &'static str,
    /// The text's key.
    pub text: &'static str,
    /// The group it is listed under (a text key: `mg_…`).
    pub group: &'static str,
}

/// The menu's groups, in order.
pub const MENU_GROUPS: [&str; 6] = [
    "mg_registry",
    "mg_work",
    "mg_quarantine",
    "mg_testing",
    "mg_reports",
    "mg_admin",
];

/// The entries shown in the bar itself (a phone's first row), the first three a role has.
const QUICK: [&str; 5] = ["/search", "/today", "/tasks/mine", "/rounds", "/reports"];

/// Entries only an emergency needs: in peacetime they leave the bar (they stay under "all").
const EMERGENCY_ONLY: [&str; 4] = ["/today", "/rounds", "/checkpoints", "/quarantine"];

/// The bar in emergency mode: the emergency's work first.
const EMERGENCY_QUICK: [&str; 6] = [
    "/today",
    "/checkpoints",
    "/rounds",
    "/quarantine",
    "/search",
    "/tasks/mine",
];

/// The menu, in order: a feature with a page of its own adds a line.
pub const MENU: &[MenuItem] = &[
    MenuItem {
        action: Action::Read,
        href: "/search",
        text: "search",
        group: "mg_registry",
    },
    MenuItem {
        action: Action::Read,
        href: "/reports",
        text: "rp_queue",
        group: "mg_registry",
    },
    MenuItem {
        action: Action::Write,
        href: "/import",
        text: "import",
        group: "mg_registry",
    },
    MenuItem {
        action: Action::WorkTasks,
        href: "/tasks/mine",
        text: "tk_mine",
        group: "mg_work",
    },
    MenuItem {
        action: Action::ManageTasks,
        href: "/tasks",
        text: "tk_board",
        group: "mg_work",
    },
    MenuItem {
        action: Action::RecordCheckins,
        href: "/today",
        text: "qd_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Quarantine,
        href: "/quarantine",
        text: "qd_overview_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Quarantine,
        href: "/episodes",
        text: "qt_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Sample,
        href: "/rounds",
        text: "rd_menu",
        group: "mg_testing",
    },
    // The transport group reaches the rounds' boxes and materials the same way.
    MenuItem {
        action: Action::Transport,
        href: "/rounds",
        text: "rd_menu",
        group: "mg_testing",
    },
    MenuItem {
        action: Action::Transport,
        href: "/transport",
        text: "ho_transport",
        group: "mg_testing",
    },
    MenuItem {
        action: Action::LabResults,
        href: "/lab/receive",
        text: "ho_lab_receive",
        group: "mg_testing",
    },
    MenuItem {
        action: Action::Seal,
        href: "/seals",
        text: "se_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Read,
        href: "/supplies",
        text: "su_menu",
        group: "mg_work",
    },
    MenuItem {
        action: Action::GuardGate,
        href: "/checkpoints",
        text: "cp_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Read,
        href: "/notices",
        text: "nt_menu",
        group: "mg_reports",
    },
    MenuItem {
        action: Action::InvestigationLists,
        href: "/lists",
        text: "li_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::WorkTasks,
        href: "/lists/calls",
        text: "li_calls",
        group: "mg_work",
    },
    MenuItem {
        action: Action::DailyReport,
        href: "/daily",
        text: "dr_menu",
        group: "mg_reports",
    },
    MenuItem {
        action: Action::Export,
        href: "/templates",
        text: "tp_menu",
        group: "mg_reports",
    },
    MenuItem {
        action: Action::Read,
        href: "/staff",
        text: "st_menu",
        group: "mg_work",
    },
    // Reading policies is for whoever reads the registry or starts episodes.
    MenuItem {
        action: Action::Read,
        href: "/policies",
        text: "pl_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Quarantine,
        href: "/policies",
        text: "pl_menu",
        group: "mg_quarantine",
    },
    MenuItem {
        action: Action::Audit,
        href: "/audit",
        text: "audit",
        group: "mg_admin",
    },
    MenuItem {
        action: Action::SwitchMode,
        href: "/emergency",
        text: "em_menu",
        group: "mg_admin",
    },
];

impl Nav {
    /// The layout of a resident's page: no menu, the header's name leading to `home`, the
    /// language switch coming back to `path`.
    pub fn resident(home: &str, path: &str) -> Nav {
        Nav {
            path: path.to_string(),
            resident_home: Some(home.to_string()),
            ..Nav::default()
        }
    }

    /// The menu `who` gets.
    pub fn menu_of(who: &Principal) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut out: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
        for m in MENU.iter().filter(|m| who.may(m.action)) {
            if !out.iter().any(|(href, ..)| *href == m.href) {
                out.push((m.href, m.text, m.group));
            }
        }
        out
    }

    /// The entries in the bar: all of them when they are few, else the first three the user
    /// has of [`EMERGENCY_QUICK`] in emergency mode, of [`QUICK`] without the
    /// [`EMERGENCY_ONLY`] ones in peacetime (the rest behind "all", where every entry stays).
    pub fn quick(&self) -> Vec<(&'static str, &'static str)> {
        if !self.grouped() {
            return self.menu.iter().map(|(h, t, _)| (*h, *t)).collect();
        }
        let order: Vec<&str> = if self.emergency_day.is_some() {
            EMERGENCY_QUICK.to_vec()
        } else {
            QUICK
                .into_iter()
                .filter(|q| !EMERGENCY_ONLY.contains(q))
                .collect()
        };
        order
            .iter()
            .filter_map(|q| self.menu.iter().find(|(h, ..)| h == q))
            .take(3)
            .map(|(h, t, _)| (*h, *t))
            .collect()
    }

    /// Whether the menu is long enough to be grouped behind "all" (a phone's bar holds five).
    pub fn grouped(&self) -> bool {
        self.menu.len() > 5
    }

    /// The menu by group: (group's text key, its entries), groups in [`MENU_GROUPS`] order.
    pub fn groups(&self) -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
        MENU_GROUPS
            .iter()
            .map(|g| {
                let items = self
                    .menu
                    .iter()
                    .filter(|(.., group)| group == g)
                    .map(|(h, t, _)| (*h, *t))
                    .collect();
                (*g, items)
            })
            .filter(|(_, items): &(_, Vec<_>)| !items.is_empty())
            .collect()
    }
}

/// A form that carries nothing but the session's CSRF token (logout, reveal, accept, revoke…).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// The token; a missing one fails [`PageUser::check_csrf`] like a wrong one.
    #[serde(default)]
    pub csrf: String,
}

/// A logged-in page visitor. Without a live session the page redirects to the login.
pub struct PageUser {
    /// Who, as the use cases check them.
    pub who: Principal,
    /// The logged-in user (their name, role and area, for pages).
    pub user: User,
    /// From where.
    pub ctx: Ctx,
    /// Translator for their language.
    pub t: T,
    /// Their session's CSRF token.
    pub csrf: String,
    /// Their session token (to log out).
    pub token: String,
    /// The layout's view of them.
    pub nav: Nav,
}

impl PageUser {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        if !given.is_empty() && constant_eq(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                self.t,
                self.t.0.pick(
                    "表单已过期，请返回重试",
                    "the form expired; go back and try again",
                ),
                &self.ctx,
            )
            .with_nav(&self.nav))
        }
    }

    /// Field problems as one line in this user's language, for a page that shows them above a
    /// form rather than at each field.
    pub fn problems_text(&self, problems: &[doorstep_core::problem::FieldProblem]) -> String {
        problems
            .iter()
            .map(|x| x.problem.message(self.t.0))
            .collect::<Vec<_>>()
            .join(self.t.0.pick("；", "; "))
    }

    /// Turns an application error into an error page in the user's language.
    pub fn fail(&self, e: AppError) -> PageError {
        PageError::from_app(e, self.t, &self.ctx).with_nav(&self.nav)
    }
}

/// Compares two secrets in time independent of where they differ.
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session token in a request's cookies.
pub fn session_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(&format!("{SESSION_COOKIE}="))
                .map(str::to_string)
        })
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let login = || Redirect::to(&format!("/login?next={}", urlencode(&path))).into_response();
        let token = session_token(parts).ok_or_else(login)?;
        let now = ctx_of(parts).now();
        let (who, session) =
            match doorstep_app::auth::authenticate(state.store.as_ref(), &token, now).await {
                Ok(v) => v,
                Err(AppError::Unauthorized) => return Err(login()),
                Err(e) => {
                    return Err(
                        PageError::from_app(e, T(lang_of(&parts.headers)), &ctx_of(parts))
                            .into_response(),
                    );
                }
            };
        let t = T(lang_of(&parts.headers));
        let nav = Nav {
            username: Some(session.user.username.clone()),
            role: session.user.role.label(t.0).to_string(),
            csrf: session.csrf.clone(),
            menu: Nav::menu_of(&who),
            path: path.clone(),
            resident_home: None,
            emergency_day: emergency::day_of(state, &who, &ctx_of(parts)).await,
        };
        Ok(PageUser {
            who,
            user: session.user,
            ctx: ctx_of(parts),
            t,
            csrf: session.csrf,
            token,
            nav,
        })
    }
}

/// Percent-encodes a string for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An error page: what went wrong in the user's language and a request id they can quote.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    t: T,
    nav: Nav,
    message: String,
    request_id: String,
}

/// A page that could not be shown.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    message: String,
    request_id: String,
    /// The layout's menu when the user is known, so an error page is not a dead end (boxed:
    /// errors travel in `Result`s and should stay small).
    nav: Option<Box<Nav>>,
}

impl PageError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, t: T, message: &str, ctx: &Ctx) -> PageError {
        PageError {
            status,
            lang: t.0,
            message: message.to_string(),
            request_id: ctx.request_id.clone().unwrap_or_default(),
            nav: None,
        }
    }

    /// The same error shown with a logged-in user's menu.
    pub fn with_nav(mut self, nav: &Nav) -> PageError {
        self.nav = Some(Box::new(nav.clone()));
        self
    }

    /// The page for an application error.
    pub fn from_app(e: AppError, t: T, ctx: &Ctx) -> PageError {
        let l = t.0;
        let (status, message) = match e {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                l.pick("没有找到该页面或记录", "no such page or record")
                    .to_string(),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                l.pick("您的角色不能进行此操作", "your role may not do this")
                    .to_string(),
            ),
            AppError::Unauthorized | AppError::BadLogin => (
                StatusCode::UNAUTHORIZED,
                l.pick("请先登录", "please log in").to_string(),
            ),
            AppError::Throttled(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                crate::error::throttled_message(secs, l),
            ),
            AppError::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                crate::error::busy_message(l).to_string(),
            ),
            AppError::Conflict(c) => (StatusCode::CONFLICT, c.message(l).to_string()),
            // Each problem with the field it is at (a query's `day`, `on` …): what to fix.
            AppError::Validation(ref problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{}{}{}",
                    l.pick("填写有误", "invalid input"),
                    l.pick("：", ": "),
                    problems
                        .iter()
                        .map(|p| format!("{} {}", p.path, p.problem.message(l)))
                        .collect::<Vec<_>>()
                        .join(l.pick("；", "; "))
                ),
            ),
            AppError::Import(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.message(l)),
            AppError::Store(doorstep_store::StoreError::Unavailable(ref cause)) => {
                tracing::warn!(error = %crate::error::causes(cause.as_ref()), request_id = ?ctx.request_id, "page failed: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    crate::error::db_unavailable_message(l).to_string(),
                )
            }
            AppError::Store(_) | AppError::Internal(_) => {
                let what = if matches!(e, AppError::Store(_)) {
                    "storage failed"
                } else {
                    "internal error"
                };
                tracing::error!(error = %crate::error::causes(&e), request_id = ?ctx.request_id, "page failed: {what}");
                (StatusCode::INTERNAL_SERVER_ERROR, l.pick("系统出错，请稍后再试，并把请求编号告诉管理员", "the system failed; try again later and give the request id to your administrator").to_string())
            }
        };
        PageError::new(status, t, &message, ctx)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            t: T(self.lang),
            nav: self.nav.map(|n| *n).unwrap_or_default(),
            message: self.message,
            request_id: self.request_id,
        };
        (self.status, page).into_response()
    }
}

#[cfg(test)]
mod menu_tests {
    use super::*;

    #[test]
    fn every_menu_entry_has_its_text_and_follows_the_role() {
        for m in MENU {
            assert_ne!(T(Lang::Zh).s(m.text), "?", "{}", m.text);
            assert_ne!(T(Lang::En).s(m.text), "?", "{}", m.text);
            assert!(MENU_GROUPS.contains(&m.group), "{}", m.group);
        }
        for g in MENU_GROUPS {
            assert_ne!(T(Lang::Zh).s(g), "?", "{g}");
            assert_ne!(T(Lang::En).s(g), "?", "{g}");
        }
        let who = |role| {
            Principal::user(doorstep_store::User {
                id: 1,
                username: "u".into(),
                role,
                area_id: 1,
                area_path: doorstep_core::AreaPath::parse("区/街/社区").unwrap(),
                disabled: false,
                phone: None,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            })
        };
        let hrefs = |role| -> Vec<&str> {
            Nav::menu_of(&who(role))
                .into_iter()
                .map(|(h, ..)| h)
                .collect()
        };
        use doorstep_core::Role;
        assert_eq!(
            hrefs(Role::CommunityAdmin),
            [
                "/search",
                "/reports",
                "/import",
                "/tasks/mine",
                "/tasks",
                "/today",
                "/quarantine",
                "/episodes",
                "/rounds",
                "/transport",
                "/seals",
                "/supplies",
                "/checkpoints",
                "/notices",
                "/lists",
                "/lists/calls",
                "/daily",
                "/templates",
                "/staff",
                "/policies",
                "/audit",
                "/emergency"
            ]
        );
        assert_eq!(
            hrefs(Role::Volunteer),
            [
                "/search",
                "/reports",
                "/tasks/mine",
                "/today",
                "/supplies",
                "/checkpoints",
                "/notices",
                "/lists/calls",
                "/staff",
                "/policies"
            ]
        );
        assert_eq!(hrefs(Role::Lab), ["/lab/receive"]);
        assert_eq!(hrefs(Role::Transporter), ["/rounds", "/transport"]);
    }
}
