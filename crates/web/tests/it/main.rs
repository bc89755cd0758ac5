//! The web crate's integration tests, one binary (one link) for all: each module was a test
//! file.

mod access;
mod api;
mod building_map;
mod checkins;
mod common;
mod custody;
mod episodes;
mod handover;
mod login_defences;
mod masks;
mod materials;
mod on_behalf;
mod pages;
mod pages_abuse;
mod policies;
mod public_abuse;
mod public_form;
mod public_limits;
mod public_reports;
mod reports_api;
mod rounds;
mod rounds_pages;
mod staff;
mod supplies;
mod tasks;
