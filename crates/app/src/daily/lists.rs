//! The day filter of the lists behind the daily report's figures (`?day=D&on=…` on tasks,
//! supplies and self-reports): a China day read with `core::daily::parse_day` and its bounds
//! by `day_bounds`, the same bounds the report counts with.

use doorstep_core::Problem;
use doorstep_core::daily::{day_bounds, parse_day};
use doorstep_core::problem::FieldProblem;
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};

/// A list's day filter as a query, a form or a command gives it (blank: none).
#[derive(Debug, Clone, Default)]
pub struct DayFilter {
    /// A China day, `YYYY-MM-DD`.
    pub day: String,
    /// Which of the day's events (blank: the list's first choice).
    pub on: String,
}

/// A read day filter: which event, and the day's bounds in UTC (`[from, to)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnDay<'a> {
    /// One of the list's choices.
    pub on: &'a str,
    /// The day's start.
    pub from: OffsetDateTime,
    /// Its end (exclusive).
    pub to: OffsetDateTime,
}

impl DayFilter {
    /// A filter for `day` (`on` the list's first choice).
    pub fn day(day: &str) -> DayFilter {
        DayFilter {
            day: day.to_string(),
            on: String::new(),
        }
    }

    /// The filter read against the list's `choices` of `on` (the first is the default);
    /// `None` when no day is given. A day that does not read is a problem at `day`, an `on`
    /// not among the choices (or given without a day) one at `on`.
    pub fn read<'a>(&self, choices: &[&'a str]) -> AppResult<Option<OnDay<'a>>> {
        let (day, on) = (self.day.trim(), self.on.trim());
        let chosen = match on {
            "" => choices.first().copied(),
            on => choices.iter().find(|c| **c == on).copied(),
        };
        let mut problems = Vec::new();
        if chosen.is_none() || (day.is_empty() && !on.is_empty()) {
            problems.push(FieldProblem::new("on", Problem::Choice));
        }
        if day.is_empty() {
            return match problems.is_empty() {
                true => Ok(None),
                false => Err(AppError::Validation(problems)),
            };
        }
        let parsed = parse_day(day).map_err(|p| FieldProblem::new("day", p));
        match (parsed, chosen) {
            (Ok(d), Some(on)) if problems.is_empty() => {
                let (from, to) = day_bounds(d);
                Ok(Some(OnDay { on, from, to }))
            }
            (parsed, _) => {
                problems.extend(parsed.err());
                Err(AppError::Validation(problems))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use time::macros::datetime;

    fn problems(e: AppError) -> Vec<(String, Problem)> {
        match e {
            AppError::Validation(p) => p.into_iter().map(|p| (p.path, p.problem)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_day_is_its_china_bounds_and_the_first_choice_by_default() {
        let f = |day: &str, on: &str| DayFilter {
            day: day.into(),
            on: on.into(),
        };
        assert_eq!(f("", "").read(&["created", "due"]).unwrap(), None);
        let d = f("2026-03-01", "")
            .read(&["created", "due"])
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.on, d.from, d.to),
            (
                "created",
                datetime!(2026-02-28 16:00 UTC),
                datetime!(2026-03-01 16:00 UTC)
            )
        );
        assert_eq!(
            f("2026-03-01", "due")
                .read(&["created", "due"])
                .unwrap()
                .unwrap()
                .on,
            "due"
        );
        assert_eq!(
            problems(f("2026-03-01", "later").read(&["created"]).unwrap_err()),
            [("on".to_string(), Problem::Choice)]
        );
        assert_eq!(
            problems(f("", "due").read(&["created", "due"]).unwrap_err()),
            [("on".to_string(), Problem::Choice)]
        );
        assert_eq!(
            problems(f("3月1日", "").read(&["created"]).unwrap_err()),
            [("day".to_string(), Problem::DateValue)]
        );
    }
}
