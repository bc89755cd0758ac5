//! What residents reach without logging in: the self-report form behind a QR code
//! (`/r/{token}`), its receipt, the household's daily check-in (`/c/{token}`) and its supplies requests (`/c/{token}/supplies`), and the same submission as JSON
//! (`/api/v1/public/reports/{token}`, registered with the API for its OpenAPI description).
//! Only a valid, open link's token opens them, and they show nothing but the resident's own
//! report; [`limits`] keeps abuse and overload at the door.

pub mod api;
mod checkin;
mod form;
mod form_view;
pub mod limits;
mod receipt;
mod refusal;
mod supplies;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// The public page routes, behind the public limits (the JSON routes get the same layer in
/// `api::routes`).
pub fn routes(limiter: Arc<limits::Limiter>) -> Router<AppState> {
    Router::new()
        .route("/r/{token}", get(form::show).post(form::submit))
        .route("/r/{token}/receipt/{receipt}", get(receipt::receipt))
        .route("/c/{token}", get(checkin::show).post(checkin::submit))
        .route("/n/{token}", get(crate::pages::notices::public))
        .route(
            "/c/{token}/supplies",
            get(supplies::show).post(supplies::submit),
        )
        .route(
            "/r/{token}/receipt/{receipt}/edit",
            get(form::edit).post(form::save_edit),
        )
        .route_layer(axum::middleware::from_fn_with_state(limiter, limits::limit))
}
