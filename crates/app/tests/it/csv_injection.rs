//! Formula injection: text a spreadsheet would run (`=HYPERLINK(…)`, `+1`, `-1+1`, `@SUM(…)`)
//! enters through imports and the public form and comes out of every export as text, on
//! SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use doorstep_app::access::Ctx;
use doorstep_app::export::{SheetFormat, export_persons};
use doorstep_app::reports::*;
use doorstep_core::{AreaPath, Role};
use doorstep_testkit::{
    COMMUNITY, HEADER, TestDb, both_backends, csv_file, demo_community, id, import, report_link,
    two_compounds, user,
};

const LINK: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";

/// The data rows of a CSV export, without its header.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// No cell a spreadsheet would run as a formula.
fn assert_inert(rows: &[Vec<String>]) {
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} in {rows:?}"
        );
    }
}

both_backends!(
    persons_export_writes_formulas_as_text,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}张伟,,{},,,佳纷天地,3,2,-1+1,=1+2,,@SUM(1)\n\"{}\",,{},,,佳纷天地,3,2,1202,,,\n",
            id(1, true),
            LINK.replace('"', "\"\""),
            id(2, true),
        );
        let r = import(store, &csv_file(dir.path(), "in.csv", &text)).await;
        assert_eq!((r.created, r.rejected), (1, 1), "{:?}", r.errors);
        // A name that starts like a formula is no name.
        assert_eq!(
            (
                r.errors[0].row,
                r.errors[0].column.as_str(),
                r.errors[0].code.as_str()
            ),
            (3, "姓名", "name_invalid_characters")
        );

        let area = AreaPath::parse(COMMUNITY).unwrap();
        let out = dir.path().join("out.csv");
        export_persons(store, &area, SheetFormat::Csv, &out, false)
            .await
            .unwrap();
        let rows = csv_rows(&out);
        assert_inert(&rows);
        let row = &rows[0];
        assert_eq!(row[0], "张伟");
        for cell in ["'-1+1", "'=1+2", "'@SUM(1)"] {
            assert!(row.iter().any(|c| c == cell), "{cell} in {row:?}");
        }
        // The quoted cells re-import as they were.
        let again = import(store, &out).await;
        assert_eq!(
            (again.unchanged, again.rejected),
            (1, 0),
            "{:?}",
            again.errors
        );

        // XLSX writes the same text as string cells, never as formulas.
        let xlsx = dir.path().join("out.xlsx");
        export_persons(store, &area, SheetFormat::Xlsx, &xlsx, false)
            .await
            .unwrap();
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
        let cells = book.worksheet_range_at(0).unwrap().unwrap();
        let strings: Vec<String> = cells
            .used_cells()
            .filter_map(|(_, _, c)| match c {
                calamine::Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        for cell in ["-1+1", "=1+2", "@SUM(1)"] {
            assert!(strings.iter().any(|c| c == cell), "{cell} in {strings:?}");
        }
        let name = book.sheet_names()[0].clone();
        let formulas = book.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no formulas"
        );
    }
);

both_backends!(
    upward_report_csv_writes_formulas_as_text,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let c = two_compounds(store).await.path;
        let admin = user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        let token = report_link(store, COMMUNITY, Purpose::Returnee).await;
        let input = SubmissionInput {
            idempotency_key: "k-1".into(),
            address: AddressInput {
                compound: "佳纷天地".into(),
                building: "3".into(),
                unit: "2".into(),
                room: "1201".into(),
            },
            members: vec![MemberInput {
                name: "张伟".into(),
                id_number: id(1, true),
                relation: "+1".into(),
                ..MemberInput::default()
            }],
            answers: AnswersInput {
                from_place: LINK.into(),
                date: "2022-10-20".into(),
                notes: "@SUM(1)".into(),
                ..AnswersInput::default()
            },
        };
        let r = submit(store, &token, &input).await.unwrap().report;
        let ctx = Ctx::default();
        ReportDesk::new(store, &admin, &ctx)
            .accept(r.id)
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("up.csv");
        let done = export_reports_as(store, &admin, &ctx, &c, false, SheetFormat::Csv, &out)
            .await
            .unwrap();
        assert_eq!(done.rows, 1);
        let rows = csv_rows(&out);
        assert_inert(&rows);
        assert_eq!(rows[0][10], format!("'{LINK}"));
        assert_eq!(rows[0][17], "'@SUM(1)");
    }
);
