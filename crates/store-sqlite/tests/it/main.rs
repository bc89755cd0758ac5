//! The SQLite backend's integration tests, one binary (one link) for all: each module was a
//! test file.

mod bulk_load;
mod upgrade;
