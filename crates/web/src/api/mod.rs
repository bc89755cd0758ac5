//! The JSON API under `/api/v1`.

mod dto;
mod registry;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every `/api/v1` route, with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(registry::list_areas))
        .routes(routes!(registry::get_area))
        .routes(routes!(registry::list_households))
        .routes(routes!(registry::get_household))
        .routes(routes!(registry::list_persons))
        .routes(routes!(registry::get_person))
        .routes(routes!(registry::person_history))
}
