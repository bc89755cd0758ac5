//! What a report link is for, and the questions each purpose asks: the type lives in core
//! (`doorstep_core::report::Purpose`), which storage and every layer share.

pub use doorstep_core::report::Purpose;
