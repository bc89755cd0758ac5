//! Writes an investigation list (流调协查名单) of N rows against a roster made by `gen_roster`,
//! as lists from above come: headers of their own, rows in no order, about 55% of persons
//! named by ID number (some in lower case or with spaces), 15% by phone only, 12% not in the
//! registry, 10% repeats of an earlier row, 8% with a malformed ID number or phone; CRLF;
//! GBK-encoded unless `--utf8`.
//!
//! `gen_list ROSTER.csv ROWS OUTPUT.csv [--utf8]`
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

use anyhow::{Context, bail};
use doorstep_bench::Rng;
use doorstep_core::idnum::make_resident_id;

/// The list's headers (none of them Doorstep's own).
const HEADER: &str = "序号,姓名,公民身份号码,联系电话,场所名称,到访时间,推送单位";
const PLACES: [&str; 4] = ["佳纷天地", "钱塘衣城", "陇海市场", "高寨市场"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (roster, rows, out, utf8) = match args.as_slice() {
        [_, roster, rows, out] => (roster, rows, out, false),
        [_, roster, rows, out, flag] if flag == "--utf8" => (roster, rows, out, true),
        _ => bail!("usage: gen_list ROSTER.csv ROWS OUTPUT.csv [--utf8]"),
    };
    let rows: u64 = rows
        .replace('_', "")
        .parse()
        .context("ROWS must be a number")?;
    // The roster's persons: (name, ID number, phone).
    let mut people: Vec<(String, String, String)> = Vec::new();
    for line in BufReader::new(File::open(roster).with_context(|| format!("open {roster}"))?)
        .lines()
        .skip(1)
    {
        let line = line?;
        let cells: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        if cells.len() > 4 {
            people.push((cells[0].into(), cells[2].into(), cells[4].into()));
        }
    }
    if people.is_empty() {
        bail!("the roster has no rows");
    }
    let mut rng = Rng::new(0x1157_CA11);
    let mut made: Vec<String> = Vec::with_capacity(rows as usize);
    let mut text = String::with_capacity(rows as usize * 80);
    text.push_str(HEADER);
    text.push_str("\r\n");
    for i in 0..rows {
        let place = PLACES[rng.below(4) as usize];
        let when = format!(
            "2022-10-{:02} {:02}:{:02}",
            1 + rng.below(28),
            8 + rng.below(12),
            rng.below(60)
        );
        let from = if rng.below(2) == 0 {
            "市疫情防控指挥部"
        } else {
            "区流调组"
        };
        let r = rng.below(100);
        let body = if r < 55 {
            let (name, id, phone) = &people[rng.below(people.len() as u64) as usize];
            let id = match rng.below(10) {
                0 => id.to_lowercase(),
                1 => format!(" {id} "),
                _ => id.clone(),
            };
            let phone = if rng.below(3) == 0 {
                String::new()
            } else {
                phone.clone()
            };
            format!("{name},{id},{phone}")
        } else if r < 70 {
            let (name, _, phone) = &people[rng.below(people.len() as u64) as usize];
            let phone = match phone.len() {
                11 => format!("+86 {}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]),
                _ => phone.clone(),
            };
            format!("{name},,{phone}")
        } else if r < 82 || made.is_empty() {
            let birth = time::macros::date!(1950 - 01 - 01)
                + time::Duration::days(rng.below(25_000) as i64);
            let id = make_resident_id("110101", birth, rng.below(999) as u16);
            format!("外来人员{i},{id},139{:08}", rng.below(100_000_000))
        } else if r < 92 {
            made[rng.below(made.len() as u64) as usize].clone()
        } else {
            format!("错行{i},12345{},13{}", rng.below(1000), rng.below(1000))
        };
        made.push(body.clone());
        text.push_str(&format!("{},{body},{place},{when},{from}\r\n", i + 1));
    }
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("create {out}"))?);
    if utf8 {
        w.write_all(text.as_bytes())?;
    } else {
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        w.write_all(&gbk)?;
    }
    w.flush()?;
    eprintln!(
        "gen_list: {rows} rows from {} persons -> {out}",
        people.len()
    );
    Ok(())
}
