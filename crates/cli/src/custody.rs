//! `doorstep round report|handovers|timeline`: a round's report (to the terminal, JSON or a
//! spreadsheet), its handover slips (交接单) and a tube's or box's chain of custody, as the
//! office ([`Principal::office`]) reads them, through the same use cases as the pages.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::china_minute;
use doorstep_app::export::SheetFormat;
use doorstep_app::rounds::{BoxTimes, HandoverDesk, RoundDesk};
use doorstep_core::Lang;
use doorstep_store::{CustodyEvent, Handover, Store};
use serde_json::{Value, json};

use crate::staff::{explain, path};

/// A round's report, slips and timelines.
#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// The round's report: coverage, tubes, positives, boxes and their times (medians in
    /// minutes, the slowest and the late ones).
    Report {
        /// The round's id.
        id: i64,
        /// The area (the round's when left out).
        #[arg(long)]
        area: Option<String>,
        /// Also write the coverage by area to this spreadsheet (.xlsx or .csv, by its name).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The round's handover slips (交接单), with the page that prints each.
    Handovers {
        /// The round's id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The chain of custody of a tube or a box: every event with who and when.
    Timeline {
        /// The round's id.
        id: i64,
        /// A tube's code.
        #[arg(
            long,
            conflicts_with = "box_code",
            required_unless_present = "box_code"
        )]
        tube: Option<String>,
        /// A box's code.
        #[arg(long = "box")]
        box_code: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn times_json(t: &BoxTimes) -> Value {
    json!({"box": t.code, "status": t.status, "to_seal": t.to_seal, "to_handover": t.to_handover,
           "to_lab": t.to_lab, "waiting": t.waiting, "late": t.late})
}

fn slip_json(h: &Handover) -> Value {
    json!({"id": h.id, "area": h.area_path.to_string(), "lab": h.lab, "carrier": h.carrier,
           "sent_by": h.sent_by, "handed_at": china_minute(h.handed_at),
           "received_by": h.received_by, "received_at": h.received_at.map(china_minute),
           "page": format!("/handovers/{}", h.id)})
}

fn event_json(e: &CustodyEvent) -> Value {
    json!({"action": e.action, "by": e.by, "at": china_minute(e.at), "details": e.details})
}

/// Runs a report, slips or timeline command.
pub async fn run(store: &dyn Store, command: CustodyCommand, lang: Lang) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    let explained = |e| explain(e, lang);
    match command {
        CustodyCommand::Report {
            id,
            area,
            out,
            json,
        } => {
            let area = area.map(|a| path(&a, lang)).transpose()?;
            let r = match &out {
                Some(file) => {
                    let csv = file
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                    let format = if csv {
                        SheetFormat::Csv
                    } else {
                        SheetFormat::Xlsx
                    };
                    desk.write_report(id, area, format, file)
                        .await
                        .map_err(explained)?
                }
                None => desk.report(id, area).await.map_err(explained)?,
            };
            let c = &r.coverage;
            if json {
                outln!(
                    "{}",
                    json!({"expected": c.expected, "sampled": c.sampled, "excluded": c.excluded,
                       "missing": c.missing, "tubes": r.tubes.tubes, "closed": r.tubes.closed,
                       "short": r.tubes.short, "resulted": r.tubes.resulted,
                       "positive_tubes": r.tubes.positive, "samples": r.tubes.samples,
                       "flagged": r.flagged.0, "released": r.flagged.1, "positive": r.flagged.2,
                       "boxes": r.boxes.0, "received": r.boxes.1,
                       "median_minutes": {"to_seal": r.medians.0, "to_handover": r.medians.1,
                                          "to_lab": r.medians.2},
                       "worst": r.worst.iter().map(times_json).collect::<Vec<_>>(),
                       "late": r.late.iter().map(times_json).collect::<Vec<_>>()})
                );
            } else {
                let m = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
                outln!(
                    "{} {}/{} · {} {} · {} {}",
                    lang.pick("已采/应采", "sampled/expected"),
                    c.sampled,
                    c.expected,
                    lang.pick("免采", "excused"),
                    c.excluded,
                    lang.pick("未采", "missing"),
                    c.missing
                );
                outln!(
                    "{} {} · {} {} · {} {}",
                    lang.pick("管数", "tubes"),
                    r.tubes.tubes,
                    lang.pick("阳性管", "positive tubes"),
                    r.tubes.positive,
                    lang.pick("待复核人员", "persons to re-sample"),
                    r.flagged.0
                );
                outln!(
                    "{} {}/{} · {} {} / {} / {}",
                    lang.pick("转运箱（已送达）", "boxes (at the lab)"),
                    r.boxes.1,
                    r.boxes.0,
                    lang.pick(
                        "中位分钟：封箱/交接/送达",
                        "median minutes: seal/handover/lab"
                    ),
                    m(r.medians.0),
                    m(r.medians.1),
                    m(r.medians.2)
                );
                for t in &r.late {
                    outln!(
                        "{} {} {}",
                        lang.pick("超时", "late"),
                        t.code,
                        m(t.to_lab.or(t.waiting))
                    );
                }
            }
        }
        CustodyCommand::Handovers { id, json } => {
            let slips = HandoverDesk::new(store, &office, &ctx)
                .handovers(id)
                .await
                .map_err(explained)?;
            if json {
                let items: Vec<_> = slips.iter().map(slip_json).collect();
                outln!("{}", json!({"items": items, "total": slips.len()}));
            } else {
                for h in &slips {
                    let state = match &h.received_by {
                        Some(by) => format!("{} {by}", lang.pick("已接收", "received by")),
                        None => lang.pick("运送中", "on the way").to_string(),
                    };
                    outln!(
                        "{} {} → {} · {} · {} · {state} · /handovers/{}",
                        h.id,
                        h.area_path,
                        h.lab,
                        h.carrier,
                        china_minute(h.handed_at),
                        h.id
                    );
                }
            }
        }
        CustodyCommand::Timeline {
            id,
            tube,
            box_code,
            json,
        } => {
            let (what, events) = match (tube, box_code) {
                (Some(t), _) => {
                    let (t, ev) = desk.tube_timeline(id, &t).await.map_err(explained)?;
                    (
                        json!({"tube": t.code.as_str(), "count": t.count, "closed": t.closed}),
                        ev,
                    )
                }
                (None, Some(b)) => {
                    let (b, ev) = desk.box_timeline(id, &b).await.map_err(explained)?;
                    (
                        json!({"box": b.code.as_str(), "status": b.status.code(), "tubes": b.tubes,
                               "persons": b.persons}),
                        ev,
                    )
                }
                (None, None) => unreachable!("clap requires --tube or --box"),
            };
            if json {
                let mut v = what;
                v["events"] = events.iter().map(event_json).collect();
                outln!("{v}");
            } else {
                for e in &events {
                    outln!("{} {} {} {}", china_minute(e.at), e.action, e.by, e.details);
                }
            }
        }
    }
    Ok(())
}
