//! Self-report by QR code (报备): staff create report links for an area and a purpose, residents
//! submit one report per household through a link (no login), staff review each report against
//! the registry and accept it into the person files, and the accepted reports go up in the
//! direct-report export (上级直报).
//!
//! The public side (`submit`) knows only the link's token; every staff side use case
//! (`ReportDesk`) goes through [`Principal::authorize`](crate::access::Principal::authorize)
//! against the area of the report's address or the link's area.

mod choices;
mod desk;
mod export;
mod on_behalf;
mod places;
mod purpose;
mod submit;

pub use choices::*;
pub use desk::*;
pub use export::*;
pub use on_behalf::*;
pub use places::*;
pub use purpose::*;
pub use submit::*;
