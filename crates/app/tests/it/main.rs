//! The app's integration tests, one binary (one link) for all: each module was a test file.

mod common;
mod concurrent_changes;
mod csv_injection;
mod hostile_files;
mod hostile_lab_lists;
mod import;
mod login;
mod office;
mod registry;
mod reports;
mod takeover;
mod unit_of_work;
