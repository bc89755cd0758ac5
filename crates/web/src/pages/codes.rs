//! A household's personal codes (个人码) on one printable page: each member's name and the QR
//! code of their code, never their ID number, for the door or the fridge; the sampler's page
//! reads the code as it reads an ID number. The QR codes are drawn as the report posters'
//! are (`reports::qr_svg_inline`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::registry::Registry;
use doorstep_app::rounds::RoundDesk;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The printable codes of one household.
#[derive(Template, WebTemplate)]
#[template(path = "household_codes.html")]
pub struct CodesPage {
    t: T,
    nav: Nav,
    id: i64,
    address: String,
    /// (name, QR code as inline SVG, the code as text).
    codes: Vec<(String, String, String)>,
}

/// Shows a household's personal codes, making those not made yet.
pub async fn household_codes(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (h, members) = Registry::new(s.store.as_ref(), &u.who, &u.ctx)
        .household(id)
        .await
        .map_err(|e| u.fail(e))?;
    let desk = RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let mut codes = Vec::with_capacity(members.len());
    for m in &members {
        let code = desk.person_code(m.person.id).await.map_err(|e| u.fail(e))?;
        let svg = super::reports::qr_svg_inline(code.as_str(), 200).map_err(|e| {
            PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                u.t,
                &e.to_string(),
                &u.ctx,
            )
        })?;
        codes.push((
            m.person.fields.name().to_string(),
            svg,
            code.as_str().to_string(),
        ));
    }
    Ok(CodesPage {
        t: u.t,
        nav: u.nav.clone(),
        id,
        address: h.address,
        codes,
    }
    .into_response())
}
