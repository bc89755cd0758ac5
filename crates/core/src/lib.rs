//! Doorstep's domain: the types that carry the published rules.
//!
//! Everything here is pure: no IO, no async, no database. A value of one of these types
//! is valid by construction (`parse` is the only way in), so the layers above never
//! re-check what a type already guarantees.
#![forbid(unsafe_code)]

pub mod age;
pub mod area;
pub mod backoff;
pub mod building;
pub mod checkin;
pub mod checkpoints;
pub mod conflict;
pub mod daily;
pub mod emergency;
pub mod episode;
pub mod handover;
pub mod idempotency;
pub mod idnum;
pub mod lang;
pub mod lists;
pub mod materials;
pub mod notices;
pub mod person;
pub mod phone;
pub mod policy;
pub mod problem;
pub mod quarantine;
pub mod report;
pub mod role;
pub mod roster;
pub mod staff;
pub mod supplies;
pub mod task;
pub mod templates;
pub mod testing;
pub mod text;

pub use age::AgeBand;
pub use area::{AreaKind, AreaPath};
pub use backoff::Backoff;
pub use conflict::Conflict;
pub use idnum::{DocType, IdDocument};
pub use lang::Lang;
pub use materials::{CodeSet, Ledger, MaterialKind};
pub use person::{PersonFields, Residency, Sex, Tags};
pub use phone::Phone;
pub use problem::Problem;
pub use report::{Purpose, Question, ReportStatus};
pub use role::Role;
pub use staff::{Duty, StaffKind};
pub use task::{Priority, Target, TaskKind, TaskStatus};
pub use testing::{
    BoxStatus, Exclusion, PersonCode, PoolSize, RoundStatus, SampleMode, TubeCode, TubeResult,
};
