//! Shared helpers of the Doorstep benchmarks.
#![forbid(unsafe_code)]
