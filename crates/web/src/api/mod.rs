//! The JSON API under `/api/v1`.

pub mod auth;
pub mod dto;
mod registry;
mod reports;

pub use reports::{download as reports_download, export_file as reports_export_file};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every `/api/v1` route, with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(registry::list_areas))
        .routes(routes!(registry::get_area))
        .routes(routes!(registry::list_households))
        .routes(routes!(registry::get_household))
        .routes(routes!(registry::add_person))
        .routes(routes!(registry::list_persons))
        .routes(routes!(registry::get_person, registry::edit_person))
        .routes(routes!(registry::person_history))
        .routes(routes!(registry::audit))
        .routes(routes!(crate::public::api::submit_report))
        .routes(routes!(crate::public::api::correct_report))
        .routes(routes!(reports::create_link, reports::list_links))
        .routes(routes!(reports::revoke_link))
        .routes(routes!(reports::list_reports))
        .routes(routes!(reports::export_reports))
        .routes(routes!(reports::bulk_accept))
        .routes(routes!(reports::get_report))
        .routes(routes!(reports::accept_report))
        .routes(routes!(reports::reject_report))
        .routes(routes!(reports::merge_report))
}
