//! Helpers of the app's tests alone; what other crates' tests use too is in `doorstep_testkit`.
#![allow(clippy::unwrap_used)]

use doorstep_core::AreaPath;
use doorstep_store::{PageRequest, PersonQuery};

/// A search for `text` (or everyone) in `area` (or everywhere): the first 50, counted exactly.
pub fn q(text: Option<&str>, area: Option<&str>) -> PersonQuery {
    PersonQuery {
        text: text.map(str::to_string),
        area: area.map(|a| AreaPath::parse(a).unwrap()),
        page: PageRequest {
            offset: 0,
            limit: 50,
        },
        count_cap: None,
        exact_numbers: false,
    }
}
