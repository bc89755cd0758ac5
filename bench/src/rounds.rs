//! The sampler and the open round the scan benchmarks drive (`scans`, `failover`).

use anyhow::{Result, bail};
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{RoundDesk, RoundForm};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaPath, Role, RoundStatus};
use doorstep_store::Store;

/// The sampler's user name.
pub const SAMPLER: &str = "bench-sampler";
/// The sampler's password.
pub const PASSWORD: &str = "bench-password-1";

/// Makes the sampler in `community` (kept if there from an earlier run) and opens a 10-in-1
/// round named `name` over it; returns the round's id.
pub async fn open_round(store: &dyn Store, community: &AreaPath, name: &str) -> Result<i64> {
    let _ = create_user(store, By::Cli, SAMPLER, Role::Sampler, community, PASSWORD).await;
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    let round = desk
        .create(&RoundForm {
            area: community.to_string(),
            name: format!("{name} {}", std::process::id()),
            pool_size: 10,
            ..RoundForm::default()
        })
        .await?;
    desk.set_status(round.id, RoundStatus::Open).await?;
    Ok(round.id)
}

/// Every acknowledged scan is stored once: the round's sampled count, read through the store,
/// equals `acked`; prints both.
pub async fn check_stored(store: &dyn Store, round_id: i64, acked: u64) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let cov = RoundDesk::new(store, &office, &ctx)
        .coverage(round_id, None)
        .await?;
    println!(
        "stored: {} persons sampled in the round, {acked} scans acknowledged",
        cov.sampled
    );
    if i64::try_from(acked).ok() != Some(cov.sampled) {
        bail!("acknowledged scans and stored samples differ");
    }
    Ok(())
}
