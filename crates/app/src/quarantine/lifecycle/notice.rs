//! The release notice (解除隔离告知书) of a released episode: what it prints.

use doorstep_core::AreaKind;
use doorstep_core::episode::{EpisodeStatus, china_date};
use doorstep_store::Episode;
use time::Date;

use crate::error::{AppError, AppResult};
use crate::quarantine::QuarantineDesk;

/// What a release notice (解除隔离告知书) prints.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The episode (released).
    pub episode: Episode,
    /// The person's document number, masked (never the birth date's digits).
    pub id_number: String,
    /// The community's name.
    pub community: String,
    /// The policy's name.
    pub policy_name: String,
    /// The day of release (China's date).
    pub released_on: Date,
}

impl QuarantineDesk<'_> {
    /// The release notice of a released episode (not found before its release).
    pub async fn notice(&self, id: i64) -> AppResult<Notice> {
        let e = self.visible(id).await?;
        if e.status != EpisodeStatus::Released {
            return Err(AppError::NotFound);
        }
        let person = self
            .store
            .person(e.person_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut community = String::new();
        let mut cur = Some(e.area_path.clone());
        while let Some(p) = cur {
            if let Some(a) = self.store.area_by_path(&p).await?
                && a.kind == AreaKind::Community
            {
                community = a.name;
                break;
            }
            cur = p.parent();
        }
        Ok(Notice {
            id_number: person.fields.doc().masked(),
            community,
            policy_name: self.policy_name(&e).await,
            released_on: china_date(e.ended_at.unwrap_or_else(|| self.ctx.now())),
            episode: e,
        })
    }
}
