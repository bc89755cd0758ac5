//! The `doorstep` binary's integration tests, one binary (one link) for all: each module was a
//! test file.

mod cli;
mod links;
mod serve;
