//! Logging in for API clients (bearer tokens) and the extractor every protected endpoint uses.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::auth;
use doorstep_core::Lang;
use doorstep_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::context::{ReqCtx, ReqLang, ctx_of, lang_of};
use crate::error::{ApiError, ErrorBody};

/// A logged-in API caller: who, from where, in which language.
pub struct ApiUser {
    /// Who, as the use cases check them.
    pub who: Principal,
    /// The logged-in user (their name, role and area, for answers).
    pub user: User,
    /// Where from.
    pub ctx: Ctx,
    /// Their language.
    pub lang: Lang,
    /// The bearer token (to log out).
    pub token: String,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string())
            .ok_or_else(|| ApiError::from_app(doorstep_app::error::AppError::Unauthorized, lang))?;
        let ctx = ctx_of(parts);
        let (who, session) = auth::authenticate(state.store.as_ref(), &token, ctx.now())
            .await
            .map_err(|e| ApiError::from_app(e, lang))?;
        Ok(ApiUser {
            who,
            user: session.user,
            ctx,
            lang,
            token,
        })
    }
}

/// A login.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A new API session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send it as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// When it ends unless used (RFC 3339); each use moves it on by the role's idle time.
    pub expires_at: String,
}

/// Logs in. Attempts are counted per user name from one address, per user name and per
/// address; past a few free ones each must wait a growing delay, and one that comes earlier is
/// answered 429 `login_throttled` with Retry-After, its password unchecked. 503 `busy` with
/// Retry-After when the server is hashing all it can. Unknown users and wrong passwords get the
/// same answer.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ReqLang(lang): ReqLang,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = ctx.now();
    let done = auth::login_at(
        s.store.as_ref(),
        &s.hashing,
        &ctx,
        &req.username,
        &req.password,
        "api",
        now,
    )
    .await
    .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(LoginResponse {
        token: done.token,
        expires_at: crate::api::dto::rfc3339(done.expires_at),
    }))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<axum::http::StatusCode, ApiError> {
    auth::logout(s.store.as_ref(), &u.ctx, &u.who, &u.token)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// User name.
    pub username: String,
    /// Role code.
    pub role: String,
    /// The area the user may act in.
    pub area: String,
}

/// Who the caller is.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(u: ApiUser) -> Json<MeResponse> {
    Json(MeResponse {
        username: u.user.username.clone(),
        role: u.user.role.code().to_string(),
        area: u.user.area_path.to_string(),
    })
}

/// This module's `/api/v1` routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}
