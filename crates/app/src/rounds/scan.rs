//! Scanning: a tube, then persons one after another, each scan carrying the device's own id
//! so that a resend (the offline queue's flush) never doubles.

use doorstep_core::idnum::IdDocument;
use doorstep_core::problem::FieldProblem;
use doorstep_core::testing::closes_at;
use doorstep_core::{DocType, PersonCode, Problem, SampleMode, TubeCode};
use doorstep_store::{NewScan, Round, Scan, ScanPerson, ScanTarget, Tube, TubeSample, audit_with};
use serde_json::json;

use super::RoundDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::today;

/// Who was scanned: what the scanner or the keyboard gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    /// A resident ID number (from the card, a reader, or typed).
    IdNumber(String),
    /// A person's file id (picked from a search by name and room).
    PersonId(i64),
    /// A personal code (个人码) from its QR code.
    Code(String),
}

impl PersonRef {
    /// What one scanner field gave: a personal code when it reads as one, else an ID number.
    pub fn from_scan(raw: &str) -> PersonRef {
        match PersonCode::parse(raw) {
            Some(c) => PersonRef::Code(c.as_str().to_string()),
            None => PersonRef::IdNumber(raw.to_string()),
        }
    }

    /// The store's key for this person (the sampler's and the gate's one lookup); an ID
    /// number that does not read is a problem at `field`, a code that does not is not found.
    pub fn lookup(&self, field: &str) -> Result<ScanPerson, AppError> {
        Ok(match self {
            PersonRef::PersonId(id) => ScanPerson::Id(*id),
            PersonRef::Code(raw) => match PersonCode::parse(raw) {
                Some(code) => ScanPerson::Code(code),
                None => return Err(AppError::NotFound),
            },
            PersonRef::IdNumber(raw) => {
                let doc = IdDocument::parse(DocType::ResidentId, raw, today())
                    .map_err(|p| AppError::Validation(vec![FieldProblem::new(field, p)]))?;
                ScanPerson::Document(DocType::ResidentId, doc.number().to_string())
            }
        })
    }
}

/// One scan as the sampler's page or the API sends it.
#[derive(Debug, Clone)]
pub struct ScanInput {
    /// The device's id for this scan (1–64 visible characters): a resend answers the first.
    pub client_id: String,
    /// The tube's code as scanned.
    pub tube: String,
    /// Who.
    pub person: PersonRef,
    /// A second sample of someone sampled already, asked for.
    pub retest: bool,
    /// The sampling point (its id); `None`: the sampler's own point, if they staff exactly
    /// one of the round's.
    pub point: Option<i64>,
}

/// A recorded scan with the person as the sampler may see them (masked).
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The scan.
    pub scan: Scan,
    /// The person's name.
    pub name: String,
    /// Their ID number, masked.
    pub id_number: String,
    /// Their address.
    pub address: String,
    /// The sampling point the scan was made at, if known.
    pub point: Option<i64>,
    /// What the sampler should look at, the scan being recorded all the same
    /// (`tube_outside_batch`).
    pub warnings: Vec<&'static str>,
}

impl RoundDesk<'_> {
    /// Records one scan: the person bound to the tube, the tube closing itself when full.
    /// Refusals come as conflicts (`already_sampled`, `tube_full`, `tube_closed`,
    /// `tube_in_other_round`, `round_not_open`); a person outside the round or the sampler's
    /// area is not found.
    pub async fn scan(&self, round_id: i64, input: &ScanInput) -> AppResult<Scanned> {
        let r = self.round_as_made(round_id).await?;
        if !self.who.may(Action::Sample) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let client_id = input.client_id.trim();
        if client_id.is_empty() {
            problems.push(FieldProblem::new("client_id", Problem::Required));
        } else if client_id.len() > 64 || client_id.chars().any(char::is_control) {
            problems.push(FieldProblem::new("client_id", Problem::TooLong { max: 64 }));
        }
        let tube = TubeCode::parse(&input.tube)
            .map_err(|p| problems.push(FieldProblem::new("tube", p)))
            .ok();
        let Some(tube) = tube.filter(|_| problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let ScanTarget {
            person,
            household,
            at_home,
        } = self.person_in_round(&r, &input.person).await?;
        self.who.authorize(Action::Sample, &household.area_path)?;
        let (point, warnings) = self.scan_point(&r, input.point, &tube).await?;
        // A person in an at-home episode is sampled single-tube, whatever the groups say.
        let mode = r
            .groups
            .iter()
            .filter(|_| !at_home)
            .find(|g| {
                g.area_path
                    .as_ref()
                    .is_some_and(|a| a.contains(&household.area_path))
                    || g.tag
                        .as_ref()
                        .is_some_and(|t| person.fields.tags().as_slice().contains(t))
            })
            .map_or(
                if at_home {
                    SampleMode::Single
                } else {
                    SampleMode::Pooled
                },
                |g| g.mode,
            );
        // Only a household's tube closes at its members: counted for it alone.
        let members = match mode {
            SampleMode::Household => self
                .store
                .household(household.id)
                .await?
                .map_or(0, |h| h.members),
            SampleMode::Pooled | SampleMode::Single => 1,
        };
        let members = u32::try_from(members).unwrap_or(1);
        let scan = self
            .store
            .record_scan(&NewScan {
                round_id: r.id,
                client_id: client_id.to_string(),
                tube,
                point_area: self.who.area().cloned().unwrap_or(r.area_path.clone()),
                mode,
                capacity: closes_at(mode, r.pool_size, members),
                person_id: person.id,
                household_id: household.id,
                area_id: household.area_id,
                area_path: household.area_path.clone(),
                retest: input.retest,
                by: self.who.username().to_string(),
            })
            .await?;
        Ok(Scanned {
            scan,
            name: person.fields.name().to_string(),
            id_number: person.fields.doc().masked(),
            address: household.address,
            point,
            warnings,
        })
    }

    /// Closes a tube by hand (under its pool size: the caller warns), audited. Only in the
    /// area it was opened in (or above it).
    pub async fn close_tube(&self, round_id: i64, code: &str) -> AppResult<Tube> {
        let (tube, _) = self.tube(round_id, code).await?;
        if !self.who.may(Action::Sample) {
            return Err(AppError::Forbidden);
        }
        let entry = self.who.audit_entry(
            self.ctx,
            "tube.close",
            Some(("tube", tube.id)),
            Some(&tube.area_path),
            json!({"round": round_id, "tube": tube.code.as_str()}),
        );
        Ok(self
            .store
            .close_tube(
                round_id,
                &tube.code,
                self.who.username(),
                audit_with(move |t: &Tube| {
                    let mut e = entry;
                    e.details =
                        json!({"round": t.round_id, "tube": t.code.as_str(), "count": t.count});
                    vec![e]
                }),
            )
            .await?)
    }

    /// A tube of the round with its samples, for users of the area it was opened in (or
    /// above it, or below it: the sampling point's own samplers).
    pub async fn tube(&self, round_id: i64, code: &str) -> AppResult<(Tube, Vec<TubeSample>)> {
        let r = self.round(round_id).await?;
        let code = TubeCode::parse(code).map_err(|_| AppError::NotFound)?;
        let (tube, samples) = self
            .store
            .tube(r.id, &code)
            .await?
            .ok_or(AppError::NotFound)?;
        let near = self.who.covers(&tube.area_path)
            || self.who.area().is_some_and(|a| tube.area_path.contains(a));
        if !near {
            return Err(AppError::NotFound);
        }
        Ok((tube, samples))
    }

    /// The round's open tubes in this user's area (opened there, above or below it).
    pub async fn open_tubes(&self, round_id: i64) -> AppResult<Vec<Tube>> {
        let r = self.round(round_id).await?;
        let mut tubes = self.store.open_tubes(r.id).await?;
        tubes.retain(|t| {
            self.who.covers(&t.area_path)
                || self.who.area().is_some_and(|a| t.area_path.contains(a))
        });
        Ok(tubes)
    }

    /// The person a scan names, with their household, if they live in one of the round's
    /// areas and this user's (NotFound otherwise: nothing said about anyone elsewhere).
    pub(crate) async fn person_in_round(
        &self,
        r: &Round,
        who: &PersonRef,
    ) -> AppResult<ScanTarget> {
        let key = who.lookup("person.id_number")?;
        let target = self
            .store
            .scan_person(&key, self.ctx.today())
            .await?
            .ok_or(AppError::NotFound)?;
        let path = &target.person.area_path;
        if !r.areas.iter().any(|a| a.contains(path)) || !self.who.covers(path) {
            return Err(AppError::NotFound);
        }
        Ok(target)
    }
}
