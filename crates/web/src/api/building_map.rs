//! The building map (楼栋图) of a round as JSON: a building's (or unit's) households as floors
//! of cells with their state on the testing layer. Through
//! `doorstep_app::rounds::RoundDesk::building_map`; rooms and counts only, never names.

use axum::Json;
use axum::extract::{Path, State};
use doorstep_app::rounds::{BuildingMap, RoundDesk};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiUser;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// One household on the map.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapCellResponse {
    /// The household (its page: `/households/{id}`).
    pub household_id: i64,
    /// Its room as written.
    pub room: String,
    /// Its floor (negative: a basement), `null` when the room number does not tell.
    pub floor: Option<i32>,
    /// `positive`, `none`, `partial`, `sampled`, `excused` or `empty`.
    pub state: String,
    /// Persons registered there.
    pub members: i64,
    /// Of those, sampled in the round.
    pub sampled: i64,
    /// Excused.
    pub excused: i64,
}

/// One floor of a unit, top to bottom.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapFloorResponse {
    /// The unit's (or building's) area.
    pub area_id: i64,
    /// Its name.
    pub unit: String,
    /// The floor, `null` for rooms whose floor is unknown.
    pub floor: Option<i32>,
    /// Its rooms in natural order.
    pub cells: Vec<MapCellResponse>,
}

/// Households of one state.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapCountResponse {
    /// The state.
    pub state: String,
    /// Households in it.
    pub households: i64,
}

/// A building's map in a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingMapResponse {
    /// The round.
    pub round_id: i64,
    /// The building or unit.
    pub area_id: i64,
    /// Its path.
    pub area: String,
    /// How many trailing digits of a room number are the room (2 unless set).
    pub room_digits: u8,
    /// Whether the building set `room_digits`.
    pub room_digits_set: bool,
    /// Households per state.
    pub counts: Vec<MapCountResponse>,
    /// Every unit's floors, one unit after another, each top to bottom.
    pub floors: Vec<MapFloorResponse>,
}

impl From<&BuildingMap> for BuildingMapResponse {
    fn from(m: &BuildingMap) -> Self {
        BuildingMapResponse {
            round_id: m.round.id,
            area_id: m.area.id,
            area: m.area.path.to_string(),
            room_digits: m.digits.get(),
            room_digits_set: m.digits_set,
            counts: m
                .counts
                .iter()
                .map(|(s, n)| MapCountResponse {
                    state: s.code().to_string(),
                    households: *n,
                })
                .collect(),
            floors: m
                .sections
                .iter()
                .flat_map(|s| {
                    s.floors.iter().map(|f| MapFloorResponse {
                        area_id: s.area_id,
                        unit: s.name.clone(),
                        floor: f.floor,
                        cells: f
                            .cells
                            .iter()
                            .map(|c| MapCellResponse {
                                household_id: c.household_id,
                                room: c.room.clone(),
                                floor: c.floor,
                                state: c.state.code().to_string(),
                                members: c.members,
                                sampled: c.sampled,
                                excused: c.excused,
                            })
                            .collect(),
                    })
                })
                .collect(),
        }
    }
}

/// The map (楼栋图) of a building or unit in the round: floors top to bottom, rooms in
/// natural order, each household's state. 404 outside the round or the caller's area.
#[utoipa::path(get, path = "/rounds/{id}/map/{area_id}", tag = "rounds",
    params(("id" = i64, Path, description = "The round"), ("area_id" = i64, Path, description = "A building or unit")),
    security(("bearer" = [])), responses((status = 200, body = BuildingMapResponse), (status = 404, body = ErrorBody)))]
pub async fn building_map(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, area_id)): Path<(i64, i64)>,
) -> Result<Json<BuildingMapResponse>, ApiError> {
    let m = RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .building_map(id, area_id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(BuildingMapResponse::from(&m)))
}

/// The building map's routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(building_map))
}
