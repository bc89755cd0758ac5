//! Writes a roster CSV of N data rows for the import benchmarks, in the shape users give them.
//!
//! `gen_roster ROWS OUTPUT [--clean]`
//!
//! By default the file is messy, as a street office merges it (see `doorstep_bench::roster`):
//! shuffled, about 2% of persons listed twice with changes, about 8% bad rows of every kind,
//! CRLF. `--clean` writes the tidy address-ordered file earlier benchmarks used. Next to the
//! file it writes `OUTPUT.expected` (`key value` lines: what a correct import does) and
//! `OUTPUT.bad` (the data row numbers of the bad rows, one per line, for the SQL-only floor).
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use doorstep_bench::roster::{Shape, write_roster};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (rows, out, shape) = match args.as_slice() {
        [_, rows, out] => (rows, out, Shape::Messy),
        [_, rows, out, flag] if flag == "--clean" => (rows, out, Shape::Clean),
        _ => bail!("usage: gen_roster ROWS OUTPUT.csv [--clean]"),
    };
    let rows: u64 = rows
        .replace('_', "")
        .parse()
        .context("ROWS must be a number")?;
    let out = PathBuf::from(out);
    let mut w = BufWriter::with_capacity(
        1 << 20,
        File::create(&out).with_context(|| format!("create {out:?}"))?,
    );
    let e = write_roster(&mut w, rows, shape, 0xD00E_57E9)?;
    w.flush()?;
    let side = |ext: &str| PathBuf::from(format!("{}.{ext}", out.display()));
    std::fs::write(
        side("expected"),
        format!(
            "rows {}\ncreated {}\nupdated {}\nrejected {}\nhouseholds {}\n",
            e.rows, e.created, e.updated, e.rejected, e.households
        ),
    )?;
    let mut bad = BufWriter::new(File::create(side("bad"))?);
    for r in &e.bad_rows {
        writeln!(bad, "{r}")?;
    }
    bad.flush()?;
    eprintln!(
        "gen_roster: {} rows ({} persons, {} repeated with changes, {} bad, {} households) -> {}",
        e.rows,
        e.created,
        e.updated,
        e.rejected,
        e.households,
        out.display()
    );
    Ok(())
}
