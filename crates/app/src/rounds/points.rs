//! Sampling points (采样点) as data: a round's points with name, place and staff, and the
//! point a scan is made at (named, or the sampler's one point) with the warning its tube
//! raises there.
//!
//! Access: setting points up is `Action::ManageRounds` at the point's place (a grid leader
//! sets up the points of their part of the community's round); reading them needs any of the
//! round verbs (`ManageRounds`, `Sample`, `Transport`), and a point whose place lies apart
//! from the user's area (neither inside nor above it) is not found unless they staff it.

use doorstep_core::materials::MaterialKind;
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Problem, TubeCode};
use doorstep_store::{NewPoint, Round, SamplingPoint, audit_with};
use serde_json::json;

use super::RoundDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// The warning a scan answers when its tube is not in its point's tube batches.
pub const TUBE_OUTSIDE_BATCH: &str = "tube_outside_batch";

/// The most staff one point lists.
pub const MAX_STAFF: usize = 50;

/// A point as a form, the API or the CLI give it.
#[derive(Debug, Clone, Default)]
pub struct PointForm {
    /// Its name, e.g. 佳纷天地东门.
    pub name: String,
    /// Where it stands: an area path inside the round (a compound, usually).
    pub place: String,
    /// The user names working there.
    pub staff: Vec<String>,
}

impl PointForm {
    /// Staff as typed into one box: names separated by spaces, commas or 、.
    pub fn staff_from_text(raw: &str) -> Vec<String> {
        raw.split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl RoundDesk<'_> {
    /// Whether a place lies inside this user's area or holds it.
    fn near_place(&self, place: &AreaPath) -> bool {
        self.who.covers(place) || self.who.area().is_some_and(|a| place.contains(a))
    }

    /// A round for the materials' users: those who set rounds up, sample, or transport
    /// (the transport group sees the round's points and materials, nothing of persons).
    async fn materials_round(&self, id: i64) -> AppResult<Round> {
        let may = [Action::ManageRounds, Action::Sample, Action::Transport]
            .into_iter()
            .any(|a| self.who.may(a));
        let r = self.store.round(id).await?.ok_or(AppError::NotFound)?;
        let meets = match self.who.area() {
            None => true,
            Some(a) => a.contains(&r.area_path) || r.area_path.contains(a),
        };
        if !meets {
            return Err(AppError::NotFound);
        }
        if !may {
            return Err(AppError::Forbidden);
        }
        Ok(r)
    }

    /// The round's sampling points near this user's area, by name.
    pub async fn points(&self, round_id: i64) -> AppResult<Vec<SamplingPoint>> {
        let r = self.materials_round(round_id).await?;
        let all = self.store.round_points(r.id).await?;
        Ok(all
            .iter()
            .filter(|p| {
                self.near_place(&p.place) || p.staff.iter().any(|s| s == self.who.username())
            })
            .cloned()
            .collect())
    }

    /// One point of the round (NotFound in another round or apart from the user's area).
    pub async fn point(&self, round_id: i64, point_id: i64) -> AppResult<SamplingPoint> {
        self.points(round_id)
            .await?
            .into_iter()
            .find(|p| p.id == point_id)
            .ok_or(AppError::NotFound)
    }

    /// Reads a point form: a name, a place inside the round and the user's area, staff who
    /// are users.
    async fn read_point(&self, r: &Round, form: &PointForm) -> AppResult<NewPoint> {
        let mut problems = Vec::new();
        let name = form.name.trim().to_string();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > 40 {
            problems.push(FieldProblem::new("name", Problem::TooLong { max: 40 }));
        }
        let place = match AreaPath::parse(form.place.trim()) {
            Ok(p) if r.areas.iter().any(|a| a.contains(&p)) => {
                // Outside the user's area: as if it did not exist.
                self.who.authorize(Action::ManageRounds, &p)?;
                match self.store.area_by_path(&p).await? {
                    Some(a) => Some(a.path),
                    None => {
                        problems.push(FieldProblem::new("place", Problem::Choice));
                        None
                    }
                }
            }
            Ok(_) => {
                problems.push(FieldProblem::new("place", Problem::OutsideArea));
                None
            }
            Err(p) => {
                problems.push(FieldProblem::new("place", p));
                None
            }
        };
        let mut staff: Vec<String> = Vec::new();
        for s in &form.staff {
            let s = s.trim();
            if !s.is_empty() && !staff.iter().any(|x| x == s) {
                staff.push(s.to_string());
            }
        }
        if staff.len() > MAX_STAFF {
            problems.push(FieldProblem::new(
                "staff",
                Problem::TooLong { max: MAX_STAFF },
            ));
        }
        for (i, s) in staff.iter().enumerate() {
            let known = self
                .store
                .user_for_login(s)
                .await?
                .is_some_and(|(u, _)| !u.disabled);
            if !known {
                problems.push(FieldProblem::new(format!("staff[{i}]"), Problem::Choice));
            }
        }
        match place {
            Some(place) if problems.is_empty() => Ok(NewPoint {
                round_id: r.id,
                name,
                place,
                staff,
            }),
            _ => Err(AppError::Validation(problems)),
        }
    }

    /// Creates a sampling point of the round, audited.
    pub async fn create_point(&self, round_id: i64, form: &PointForm) -> AppResult<SamplingPoint> {
        let r = self.materials_round(round_id).await?;
        // A grid leader may set up points in their part of a community's round: the check
        // is at the point's place (in `read_point`), after this one for the verb itself.
        if !self.who.may(Action::ManageRounds) {
            return Err(AppError::Forbidden);
        }
        let new = self.read_point(&r, form).await?;
        let (who, ctx) = (self.who.clone(), self.ctx.clone());
        Ok(self
            .store
            .create_point(
                &new,
                self.who.username(),
                audit_with(move |p: &SamplingPoint| {
                    vec![who.audit_entry(
                        &ctx,
                        "point.create",
                        Some(("point", p.id)),
                        Some(&p.place),
                        json!({"round": p.round_id, "name": p.name, "staff": p.staff}),
                    )]
                }),
            )
            .await?)
    }

    /// Changes a point's name, place and staff, audited.
    pub async fn update_point(
        &self,
        round_id: i64,
        point_id: i64,
        form: &PointForm,
    ) -> AppResult<SamplingPoint> {
        let before = self.point(round_id, point_id).await?;
        self.who.authorize(Action::ManageRounds, &before.place)?;
        let r = self.materials_round(round_id).await?;
        let new = self.read_point(&r, form).await?;
        let (who, ctx) = (self.who.clone(), self.ctx.clone());
        let was =
            json!({"name": before.name, "place": before.place.as_str(), "staff": before.staff});
        Ok(self
            .store
            .update_point(
                point_id,
                &new,
                audit_with(move |p: &SamplingPoint| {
                    vec![who.audit_entry(
                        &ctx,
                        "point.update",
                        Some(("point", p.id)),
                        Some(&p.place),
                        json!({"round": p.round_id, "before": was,
                            "after": {"name": p.name, "place": p.place.as_str(), "staff": p.staff}}),
                    )]
                }),
            )
            .await?)
    }

    /// The point a scan is made at and the warnings its tube raises there: the point named
    /// (it must be the round's, else a problem at `point`), else the one point of the round
    /// this sampler is staff of, if exactly one. Read from the store's in-memory copy of
    /// the round's points: no database round trip per scan, and nothing copied.
    pub(crate) async fn scan_point(
        &self,
        r: &Round,
        asked: Option<i64>,
        tube: &TubeCode,
    ) -> AppResult<(Option<i64>, Vec<&'static str>)> {
        let points = self.store.round_points(r.id).await?;
        let point = match asked {
            Some(id) => match points.iter().find(|p| p.id == id) {
                Some(p) => Some(p),
                None => {
                    return Err(AppError::Validation(vec![FieldProblem::new(
                        "point",
                        Problem::Choice,
                    )]));
                }
            },
            None => {
                let me = self.who.username();
                let mut mine = points.iter().filter(|p| p.staff.iter().any(|s| s == me));
                match (mine.next(), mine.next()) {
                    (Some(p), None) => Some(p),
                    _ => None,
                }
            }
        };
        let warnings = match point.and_then(|p| p.holds(MaterialKind::Tube, tube)) {
            Some(false) => vec![TUBE_OUTSIDE_BATCH],
            _ => Vec::new(),
        };
        Ok((point.map(|p| p.id), warnings))
    }
}
