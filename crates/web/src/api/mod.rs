//! The JSON API under `/api/v1`.

pub mod auth;
mod building_map;
mod checkins;
mod checkpoints;
pub(crate) mod custody;
pub(crate) mod daily;
pub mod dto;
pub(crate) mod emergency;
mod episodes;
mod handover;
pub mod lists;
mod materials;
mod monitoring;
pub(crate) mod notices;
mod policies;
mod registry;
pub(crate) mod reports;
pub(crate) mod rounds;
pub(crate) mod seals;
mod staff;
pub(crate) mod supplies;
mod tasks;
pub(crate) mod templates;

pub use reports::{download as reports_download, export_file as reports_export_file};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/api/v1` route, with its OpenAPI description: each feature's module lists its own,
/// and a feature adds one line here.
pub fn routes(limiter: std::sync::Arc<crate::public::limits::Limiter>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(registry::routes())
        .merge(
            crate::public::api::routes()
                .merge(checkins::public_routes())
                .merge(supplies::public_routes())
                .merge(notices::public_routes())
                .route_layer(axum::middleware::from_fn_with_state(
                    limiter,
                    crate::public::limits::limit,
                )),
        )
        .merge(reports::routes())
        .merge(staff::routes())
        .merge(tasks::routes())
        .merge(rounds::routes())
        .merge(custody::routes())
        .merge(handover::routes())
        .merge(building_map::routes())
        .merge(materials::routes())
        .merge(episodes::routes())
        .merge(checkins::routes())
        .merge(monitoring::routes())
        .merge(policies::routes())
        .merge(seals::routes())
        .merge(supplies::routes())
        .merge(checkpoints::routes())
        .merge(notices::routes())
        .merge(lists::routes())
        .merge(daily::routes())
        .merge(templates::routes())
        .merge(emergency::routes())
}
