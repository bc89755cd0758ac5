//! Sampling points (采样点) and their materials (物资): each round's points with their place
//! and staff, the batches of tube codes, box codes and swabs handed to each point per day,
//! and what each point returned and spoiled. What a point used is counted from the tubes and
//! boxes whose codes are in its batches.

use std::sync::Arc;

use async_trait::async_trait;
use doorstep_core::{AreaPath, CodeSet, MaterialKind};
use time::{Date, OffsetDateTime};

use crate::{Audit, Id, StoreResult};

/// A sampling point of a round, with every batch it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplingPoint {
    /// Its id.
    pub id: Id,
    /// Its round.
    pub round_id: Id,
    /// Its name, e.g. 佳纷天地东门.
    pub name: String,
    /// Where it stands (an area inside the round's areas).
    pub place: AreaPath,
    /// The user names working there.
    pub staff: Vec<String>,
    /// Every batch it received, oldest first.
    pub batches: Vec<MaterialBatch>,
}

impl SamplingPoint {
    /// Whether `code` is in one of the point's batches of `kind`; `None` when the point
    /// received no batch of that kind (nothing to check against).
    pub fn holds(&self, kind: MaterialKind, code: &doorstep_core::TubeCode) -> Option<bool> {
        let mut any = false;
        for b in self.batches.iter().filter(|b| b.kind == kind) {
            if let Some(codes) = &b.codes {
                any = true;
                if codes.contains(code) {
                    return Some(true);
                }
            }
        }
        any.then_some(false)
    }
}

/// A point to create, or a point's new name, place and staff.
#[derive(Debug, Clone)]
pub struct NewPoint {
    /// The round.
    pub round_id: Id,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub place: AreaPath,
    /// The user names working there.
    pub staff: Vec<String>,
}

/// What a point received once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialBatch {
    /// Its id.
    pub id: Id,
    /// The point.
    pub point_id: Id,
    /// The day it is for (China's date).
    pub day: Date,
    /// What.
    pub kind: MaterialKind,
    /// The codes (tubes, boxes); `None` for swabs.
    pub codes: Option<CodeSet>,
    /// How many (the codes' number, or the swabs counted).
    pub quantity: i64,
    /// Who handed it out, when.
    pub by: String,
    /// See `by`.
    pub at: OffsetDateTime,
}

/// A batch to record.
#[derive(Debug, Clone)]
pub struct NewBatch {
    /// The point.
    pub point_id: Id,
    /// The day it is for.
    pub day: Date,
    /// What.
    pub kind: MaterialKind,
    /// The codes (tubes, boxes); `None` for swabs.
    pub codes: Option<CodeSet>,
    /// How many (for codes: their number).
    pub quantity: i64,
}

/// What a point returned and spoiled of one kind on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaterialCount {
    /// Given back.
    pub returned: i64,
    /// Spoiled.
    pub spoiled: i64,
}

/// One batch with the number of its codes in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchUse {
    /// The batch.
    pub batch: MaterialBatch,
    /// Its codes in use: tubes opened, boxes opened (0 for swabs).
    pub used: i64,
    /// Persons sampled into its tubes (a swab each; 0 for boxes and swabs).
    pub persons: i64,
}

/// A point's materials on one day: the day's batches with their use, and the hand counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointDay {
    /// The day's batches, oldest first.
    pub batches: Vec<BatchUse>,
    /// Returned and spoiled, per kind recorded.
    pub counts: Vec<(MaterialKind, MaterialCount)>,
}

/// Sampling points and their materials.
#[async_trait]
pub trait Materials: Send + Sync {
    /// Creates a point of a round, audited; Conflict `point_name_unique` for a name the
    /// round has.
    async fn create_point(
        &self,
        point: &NewPoint,
        by: &str,
        audit: Audit<SamplingPoint>,
    ) -> StoreResult<SamplingPoint>;

    /// Changes a point's name, place and staff, audited; NotFound for no such point of the
    /// round, Conflict `point_name_unique`.
    async fn update_point(
        &self,
        id: Id,
        point: &NewPoint,
        audit: Audit<SamplingPoint>,
    ) -> StoreResult<SamplingPoint>;

    /// The round's points with their batches, by name. Kept in memory per server (a scan
    /// reads it to check its tube against the point's batches) and read again after a change
    /// made here, or after a short while (a change made by another server).
    async fn round_points(&self, round_id: Id) -> StoreResult<Arc<Vec<SamplingPoint>>>;

    /// Records a batch handed to a point, audited; NotFound for no such point.
    async fn add_batch(
        &self,
        batch: &NewBatch,
        by: &str,
        audit: Audit<MaterialBatch>,
    ) -> StoreResult<MaterialBatch>;

    /// Sets what a point returned and spoiled of one kind on one day (replacing the count
    /// before), audited.
    async fn set_material_count(
        &self,
        point_id: Id,
        day: Date,
        kind: MaterialKind,
        count: MaterialCount,
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// A point's materials on a day: its batches with their codes in use counted from the
    /// tubes and boxes, and its hand counts.
    async fn point_day(&self, point: &SamplingPoint, day: Date) -> StoreResult<PointDay>;
}
