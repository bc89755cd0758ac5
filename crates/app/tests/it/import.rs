//! Roster import outcomes, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::q;
use doorstep_core::{AreaPath, DocType};
use doorstep_testkit::{
    COMMUNITY, HEADER, TestDb, both_backends, csv_file, demo_community, id, import, import_with,
};

both_backends!(
    imports_rows_creates_households_and_reimport_creates_nothing,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}张伟,居民身份证,{},男,13812345678,佳纷天地,3,2,1201,户主,常住,\n\
         李娜,,{},女,+86 139-1234-5678,佳纷天地,3号楼,2单元,1201,配偶,常住,慢性病\n\
         王芳,身份证,{},,,佳纷天地,3,1,101,户主,租住,独居老人、行动不便\n",
            id(1, true),
            id(2, false),
            id(3, false)
        );
        let f = csv_file(dir.path(), "r.csv", &text);
        let r = import(store, &f).await;
        assert_eq!(
            (r.rows, r.created, r.updated, r.unchanged, r.rejected),
            (3, 3, 0, 0, 0),
            "{:?}",
            r.errors
        );
        assert_eq!(r.households_created, 2);
        let again = import(store, &f).await;
        assert_eq!(
            (
                again.created,
                again.updated,
                again.unchanged,
                again.households_created
            ),
            (0, 0, 3, 0)
        );

        let zhang = store
            .person_by_document(DocType::ResidentId, &id(1, true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(zhang.address, "佳纷天地3号楼2单元1201");
        let li = store
            .person_by_document(DocType::ResidentId, &id(2, false))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            li.household_id, zhang.household_id,
            "same room, same household"
        );
        assert_eq!(li.fields.phone().unwrap().as_str(), "13912345678");
        assert_eq!(li.fields.tags().as_slice(), ["慢性病"]);
        let tree = store
            .area_tree(&AreaPath::parse(COMMUNITY).unwrap())
            .await
            .unwrap();
        assert_eq!((tree[0].households, tree[0].persons), (2, 3));
        assert!(
            tree.iter()
                .any(|a| a.area.path.as_str() == "二七区/京广路街道/祥云社区/佳纷天地/3号楼/2单元")
        );
    }
);

both_backends!(
    every_validation_rule_rejects_its_row_and_keeps_the_rest,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let good = id(10, true);
        let mut bad_check = id(11, true);
        bad_check.replace_range(17..18, if bad_check.ends_with('0') { "1" } else { "0" });
        let bad_date = doorstep_core::idnum::make_resident_id(
            "410103",
            time::macros::date!(1990 - 01 - 01),
            11,
        )
        .replace("19900101", "19900231");
        let text = format!(
            "{HEADER}好人,,{good},,13800000000,A,1,,101,,,\n\
         校验错,,{bad_check},,,A,1,,102,,,\n\
         日期错,,{bad_date},,,A,1,,103,,,\n\
         ,,{},,,A,1,,104,,,\n\
         电话错,,{},,12345,A,1,,105,,,\n\
         性别错,,{},女,,A,1,,106,,,\n\
         科学计数,,4.10103E+17,,,A,1,,107,,,\n\
         没房号,,{},,,A,1,,,,,\n",
            id(12, true),
            id(13, true),
            id(14, true),
            id(15, true)
        );
        let f = csv_file(dir.path(), "bad.csv", &text);
        let r = import(store, &f).await;
        assert_eq!((r.rows, r.created, r.rejected), (8, 1, 7));
        let codes: Vec<(u64, &str, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (3, "证件号码", "id_bad_checksum"),
                (4, "证件号码", "id_bad_birth_date"),
                (5, "姓名", "required"),
                (6, "联系电话", "phone_invalid"),
                (7, "性别", "sex_contradicts_id"),
                (8, "证件号码", "id_excel_mangled"),
                (9, "房号", "required"),
            ]
        );
        assert!(
            r.errors[5].message.contains("Excel"),
            "{}",
            r.errors[5].message
        );
        assert_eq!(r.rejects.len(), 7);
        assert!(r.rejects[0].cells.contains(&"校验错".to_string()));
    }
);

both_backends!(
    same_person_twice_in_a_file_is_one_person_and_the_later_row_wins,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}赵一,,{0},,13800000001,A,1,,101,,,\n钱二,,{1},,,A,1,,102,,,\n赵一,,{0},,13800000002,A,1,,201,,,\n",
            id(20, true),
            id(21, false)
        );
        let r = import(store, &csv_file(dir.path(), "dup.csv", &text)).await;
        assert_eq!((r.rows, r.created, r.rejected), (3, 2, 0));
        let zhao = store
            .person_by_document(DocType::ResidentId, &id(20, true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(zhao.fields.phone().unwrap().as_str(), "13800000002");
        assert_eq!(zhao.address, "A1号楼201");
        let all = store.search_persons(&q(None, None)).await.unwrap();
        assert_eq!(all.total, 2);
    }
);

both_backends!(
    a_person_moves_household_and_the_history_says_so,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let a = format!("{HEADER}孙三,,{},,13800000003,A,1,,101,,,\n", id(30, true));
        let b = format!("{HEADER}孙三,,{},,13900000003,B,2,,502,,,\n", id(30, true));
        import(store, &csv_file(dir.path(), "a.csv", &a)).await;
        let r = import(store, &csv_file(dir.path(), "b.csv", &b)).await;
        assert_eq!((r.created, r.updated, r.households_created), (0, 1, 1));
        let p = store
            .person_by_document(DocType::ResidentId, &id(30, true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.address, "B2号楼502");
        let h = store.person_history(p.id).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0].changes["phone"],
            serde_json::json!(["13800000003", "13900000003"])
        );
        assert_eq!(
            h[0].changes["address"],
            serde_json::json!(["A1号楼101", "B2号楼502"])
        );
        assert_eq!(h[0].actor, "test");
    }
);

both_backends!(gbk_and_bom_csv_are_read, async |db: &TestDb| {
    let store = db.store.as_ref();
    demo_community(store).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "身份证号码,姓名,手机号,楼号,门牌号\n{},周五,13800000005,5,301\n",
        id(40, true)
    );
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let gbk_path = dir.path().join("gbk.csv");
    std::fs::write(&gbk_path, &gbk).unwrap();
    let r = import(store, &gbk_path).await;
    assert_eq!((r.created, r.rejected), (1, 0), "{:?}", r.errors);
    let p = store
        .person_by_document(DocType::ResidentId, &id(40, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.fields.name(), "周五");
    assert_eq!(p.address, "5号楼301");

    let bom = format!(
        "\u{feff}name,id_number,phone,building,room\n吴六,{},,6,601\n",
        id(41, false)
    );
    let r = import(store, &csv_file(dir.path(), "bom.csv", &bom)).await;
    assert_eq!((r.created, r.rejected), (1, 0), "{:?}", r.errors);
    let p = store
        .person_by_document(DocType::ResidentId, &id(41, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.fields.name(), "吴六");
});

both_backends!(
    xlsx_with_an_excel_mangled_id_rejects_that_row,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["姓名", "身份证号", "联系电话", "小区", "楼栋", "房号"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "郑七").unwrap();
        sheet.write_string(1, 1, id(50, true)).unwrap();
        sheet.write_number(1, 2, 13800000007.0).unwrap();
        sheet.write_string(1, 3, "A").unwrap();
        sheet.write_number(1, 4, 7.0).unwrap();
        sheet.write_number(1, 5, 701.0).unwrap();
        sheet.write_string(2, 0, "冯八").unwrap();
        sheet
            .write_number(2, 1, id(51, true).parse::<f64>().unwrap())
            .unwrap();
        sheet.write_string(2, 3, "A").unwrap();
        sheet.write_number(2, 4, 7.0).unwrap();
        sheet.write_number(2, 5, 702.0).unwrap();
        book.save(&path).unwrap();

        let r = import(store, &path).await;
        assert_eq!((r.rows, r.created, r.rejected), (2, 1, 1), "{:?}", r.errors);
        assert_eq!(r.errors[0].row, 3);
        assert_eq!(r.errors[0].column, "身份证号");
        assert_eq!(r.errors[0].code, "id_excel_mangled");
        let p = store
            .person_by_document(DocType::ResidentId, &id(50, true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.fields.phone().unwrap().as_str(), "13800000007");
        assert_eq!(p.address, "A7号楼701");
    }
);

both_backends!(
    missing_required_column_fails_the_file_and_writes_nothing,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let f = csv_file(dir.path(), "nocol.csv", "姓名,房号\n张三,101\n");
        let opts = doorstep_app::import::ImportOptions {
            into: AreaPath::parse(COMMUNITY).unwrap(),
            actor: doorstep_store::Actor {
                name: "t".into(),
                source: "import".into(),
                within: None,
            },
            lang: doorstep_core::Lang::Zh,
            keep_rejects: false,
            bulk: None,
            batch_rows: None,
            audit: None,
        };
        let e = doorstep_app::import::import_persons(store, f, &opts, |_| {})
            .await
            .unwrap_err();
        assert!(
            e.message(doorstep_core::Lang::Zh).contains("证件号码"),
            "{}",
            e.message(doorstep_core::Lang::Zh)
        );
        assert_eq!(store.max_person_id().await.unwrap(), 0);
    }
);

both_backends!(
    export_reimports_cleanly_in_both_formats,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}张伟,居民身份证,{},男,13812345678,佳纷天地,3,2,1201,户主,常住,独居老人\n\
         John Smith,护照,E12345678,男,,佳纷天地,3,2,1202,户主,暂住,\n",
            id(60, true)
        );
        import(store, &csv_file(dir.path(), "r.csv", &text)).await;
        let area = AreaPath::parse(COMMUNITY).unwrap();
        for (format, name) in [
            (doorstep_app::export::SheetFormat::Csv, "out.csv"),
            (doorstep_app::export::SheetFormat::Xlsx, "out.xlsx"),
        ] {
            let out = dir.path().join(name);
            let n = doorstep_app::export::export_persons(store, &area, format, &out, false)
                .await
                .unwrap();
            assert_eq!(n, 2);
            let r = import(store, &out).await;
            assert_eq!(
                (r.rows, r.unchanged, r.created, r.rejected),
                (2, 2, 0, 0),
                "{name}: {:?}",
                r.errors
            );
        }
        let csv = std::fs::read(dir.path().join("out.csv")).unwrap();
        assert!(
            csv.starts_with(b"\xEF\xBB\xBF"),
            "CSV export starts with a BOM"
        );
        let text = String::from_utf8(csv).unwrap();
        assert!(text.contains("姓名,证件类型,证件号码"));
        assert!(text.contains(&id(60, true)));
    }
);

both_backends!(
    rejects_file_lists_bad_rows_with_reasons,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}坏,,123,,,A,1,,101,,,\n好,,{},,,A,1,,102,,,\n",
            id(70, true)
        );
        let r = import(store, &csv_file(dir.path(), "r.csv", &text)).await;
        let out = dir.path().join("rejects.xlsx");
        doorstep_app::export::write_rejects(&out, &r.headers, &r.rejects, doorstep_core::Lang::Zh)
            .unwrap();
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&out).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].last().unwrap(), "原行号");
        assert_eq!(rows[1][0], "坏");
        assert!(rows[1][12].contains("证件号码"), "{:?}", rows[1]);
    }
);

both_backends!(
    a_bulk_load_has_the_outcomes_of_a_batched_one,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}张伟,居民身份证,{},男,13812345678,佳纷天地,3,2,1201,户主,常住,\n\
             李娜,,{},女,13912345678,佳纷天地,3,2,1201,配偶,常住,慢性病\n\
             坏行,,110101199003071234,,,佳纷天地,3,2,1202,户主,常住,\n\
             王芳,身份证,{},,13700001234,佳纷天地,5,1,101,户主,租住,独居老人\n\
             李娜,,{},女,13900005678,佳纷天地,3,2,1201,配偶,常住,慢性病\n",
            id(1, true),
            id(2, false),
            id(3, false),
            id(2, false)
        );
        let f = csv_file(dir.path(), "bulk.csv", &text);
        for bulk in [true, false] {
            // Each way into its own community, so both start empty.
            let area = if bulk {
                COMMUNITY
            } else {
                "二七区/京广路街道/第二社区"
            };
            if !bulk {
                store
                    .create_area(
                        Some(&AreaPath::parse("二七区/京广路街道").unwrap()),
                        doorstep_core::AreaKind::Community,
                        "第二社区",
                    )
                    .await
                    .unwrap();
            }
            let r = import_with(store, &f, area, Some(bulk)).await;
            let expect = if bulk {
                // The second 李娜 row updates the file the first one created.
                (5, 3, 1, 0, 1, 2)
            } else {
                // The same persons again, now moved into the second community.
                (5, 0, 4, 0, 1, 2)
            };
            assert_eq!(
                (
                    r.rows,
                    r.created,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    r.households_created
                ),
                expect,
                "bulk {bulk}: {:?}",
                r.errors
            );
            assert_eq!(r.errors[0].row, 4);
            let li = store
                .person_by_document(DocType::ResidentId, &id(2, false))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(li.fields.phone().unwrap().as_str(), "13900005678");
            assert!(li.address.starts_with("佳纷天地3号楼2单元"));
            // The rebuilt indexes answer name, phone-tail and room searches.
            for text in ["李", "5678", "1201"] {
                let found = store
                    .search_persons(&q(Some(text), Some(area)))
                    .await
                    .unwrap();
                assert!(
                    found.items.iter().any(|p| p.id == li.id),
                    "bulk {bulk}: {text} finds 李娜"
                );
            }
            let tree = store
                .area_tree(&AreaPath::parse(area).unwrap())
                .await
                .unwrap();
            assert_eq!((tree[0].households, tree[0].persons), (2, 3));
        }
        // Re-importing in bulk creates nothing.
        let again = import_with(store, &f, COMMUNITY, Some(true)).await;
        assert_eq!((again.created, again.households_created), (0, 0));
    }
);

both_backends!(
    row_numbers_are_the_rows_a_spreadsheet_shows,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        // Row 1 header, 2 good, 3 blank, 4 a note typed with Alt+Enter (two lines in one cell),
        // 5 a bad phone, 6 blank but for commas, 7 no name, 8 good.
        let lines = [
            "姓名,证件号码,联系电话,楼栋,房号,备注".to_string(),
            format!("甲,{},,1,101,", id(60, true)),
            String::new(),
            format!("乙,{},,1,102,\"第一行\nLINE2\"", id(61, true)),
            format!("丙,{},12345,1,103,", id(62, true)),
            ",,,,,".to_string(),
            format!(",{},,1,104,", id(63, true)),
            format!("丁,{},,1,105,\"引号\"\"里\"", id(64, true)),
        ];
        for (name, eol) in [("lf", "\n"), ("crlf", "\r\n")] {
            // Inside the quoted cell the line break is the file's own line end, as Excel writes it.
            let text = lines.join(eol).replace("第一行\n", &format!("第一行{eol}")) + eol;
            let variants: [(&str, Vec<u8>); 3] = [
                ("utf8", text.clone().into_bytes()),
                ("bom", format!("\u{feff}{text}").into_bytes()),
                ("gbk", encoding_rs::GB18030.encode(&text).0.into_owned()),
            ];
            for (enc, bytes) in variants {
                let path = dir.path().join(format!("{name}-{enc}.csv"));
                std::fs::write(&path, bytes).unwrap();
                let r = import(store, &path).await;
                let rows: Vec<(u64, &str)> =
                    r.errors.iter().map(|e| (e.row, e.code.as_str())).collect();
                assert_eq!(
                    rows,
                    [(5, "phone_invalid"), (7, "required")],
                    "{name} {enc}"
                );
                let rejected: Vec<u64> = r.rejects.iter().map(|x| x.row).collect();
                assert_eq!(rejected, [5, 7], "{name} {enc}");
                assert_eq!(r.rows, 5, "blank rows are not data: {name} {enc}");
            }
        }
        let yi = store
            .person_by_document(DocType::ResidentId, &id(61, true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(yi.fields.name(), "乙");
    }
);

both_backends!(
    an_unclosed_quote_stops_the_import_naming_its_row,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "姓名,证件号码,楼栋,房号\r\n甲,{},1,101\r\n\"乙,{},1,102\r\n",
            id(70, true),
            id(71, true)
        );
        let opts = doorstep_app::import::ImportOptions {
            into: AreaPath::parse(COMMUNITY).unwrap(),
            actor: doorstep_store::Actor {
                name: "t".into(),
                source: "import".into(),
                within: None,
            },
            lang: doorstep_core::Lang::Zh,
            keep_rejects: false,
            bulk: None,
            batch_rows: None,
            audit: None,
        };
        let err = doorstep_app::import::import_persons(
            store,
            csv_file(dir.path(), "q.csv", &text),
            &opts,
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(
            err.message(doorstep_core::Lang::Zh).contains("第 3 行"),
            "{}",
            err.message(doorstep_core::Lang::Zh)
        );
    }
);

both_backends!(
    a_unit_without_its_building_is_a_missing_cell,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}甲,,{},,,佳纷天地,,2单元,101,,,\n乙,,{},,,佳纷天地,3号楼,2单元,101,,,\n",
            id(80, true),
            id(81, true)
        );
        let r = import(store, &csv_file(dir.path(), "u.csv", &text)).await;
        let errors: Vec<(u64, &str, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(errors, [(2, "楼栋", "building_required")]);
        assert_eq!(r.created, 1);
        let tree = store
            .area_tree(&AreaPath::parse(COMMUNITY).unwrap())
            .await
            .unwrap();
        assert!(
            !tree
                .iter()
                .any(|a| a.area.path.as_str().ends_with("佳纷天地/2单元")),
            "no unit straight under the compound"
        );
    }
);
