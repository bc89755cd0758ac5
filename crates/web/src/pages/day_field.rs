//! The day filter of the lists behind the daily report's figures (tasks, supplies,
//! self-reports: `?day=D&on=…`), as their pages show it: a date field in the filter form, the
//! event kept hidden, and a chip saying what the filter is with the link that drops it.

use doorstep_app::daily::DayFilter;

use crate::i18n::T;

/// A list page's day filter.
pub struct DayField {
    /// The day, `YYYY-MM-DD` (blank: none).
    pub day: String,
    /// The event (blank: the list's first).
    pub on: String,
    /// What the filter says (blank without a day).
    pub shown: String,
    /// The page without the day filter.
    pub clear: String,
}

impl DayField {
    /// The field of `day`/`on` on a page whose other filters make `clear`; the event's label
    /// is `on_{on}` (the first of `choices` when blank).
    pub fn of(day: &str, on: &str, choices: &[&str], clear: String, t: T) -> DayField {
        let (day, on) = (day.trim(), on.trim());
        let label = match on {
            "" => choices.first().copied().unwrap_or_default(),
            on => on,
        };
        let shown = if day.is_empty() {
            String::new()
        } else {
            format!("{day} · {}", t.s(&format!("on_{label}")))
        };
        DayField {
            day: day.to_string(),
            on: on.to_string(),
            shown,
            clear,
        }
    }

    /// The filter for the use case.
    pub fn filter(&self) -> DayFilter {
        DayFilter {
            day: self.day.clone(),
            on: self.on.clone(),
        }
    }
}
