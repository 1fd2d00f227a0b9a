//! Staff downloads: a session's roster and sign-in sheet (签到表) as xlsx, `format=xlsx` on every
//! CSV export, and the volunteer list's names. Workbooks are opened with calamine and read row by row.

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::json;
use std::io::Cursor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Every sheet of a workbook as rows of text.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx file");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range: Range<Data> = wb.worksheet_range(&n).expect("sheet");
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (n, rows)
        })
        .collect()
}

async fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let (s, h, body) = app.fetch(path, Some(token)).await;
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (s, ct, body)
}

/// A resident with a name and a phone number.
async fn resident(app: &TestApp, openid: &str, name: &str, phone: &str) -> String {
    let (t, id) = app.sign_in(openid).await;
    let (s, v) = app
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&t),
            Some(json!({ "display_name": name })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
        .bind(phone)
        .bind(id)
        .execute(app.state().db.pool())
        .await
        .unwrap();
    t
}

async fn roster_and_sign_in_sheet(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(2),
            title: "粤剧唱腔入门",
            starts_in_min: 24 * 60,
            ..Act::default()
        })
        .await;
    let li = resident(app, "roster-li", "李小红", "13800138001").await;
    let chen = resident(app, "roster-chen", "陈明", "13800138002").await;
    // A name a spreadsheet would take for a formula.
    let eq = resident(app, "roster-eq", "=HYPERLINK", "13800138003").await;
    let zhao = resident(app, "roster-zhao", "赵一鸣", "13800138004").await;
    let mut ids = Vec::new();
    for t in [&li, &chen, &eq, &zhao] {
        let (s, b) = app.book(t, session, json!({"join_waitlist": true})).await;
        assert_eq!(s, 200, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    // 李 comes, 陈 does not (and is excused), the other two wait for a seat.
    sqlx::query("UPDATE bookings SET checked_in_at = $1 WHERE id = $2")
        .bind(culturehub_tests::at(app, 24 * 60))
        .bind(ids[0])
        .execute(app.state().db.pool())
        .await
        .unwrap();
    app.clock().advance(2 * 24 * 3600);
    let (staff, _) = app
        .staff("roster-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/waive-no-show", ids[1]),
            Some(&staff),
            json!({"reason": "生病住院"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let (s, ct, body) = download(
        app,
        &format!("/api/v1/sessions/{session}/roster.xlsx"),
        &staff,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(ct, XLSX);
    let book = sheets(&body);
    assert_eq!(book.len(), 1);
    let rows = &book[0].1;
    assert_eq!(
        rows[0],
        [
            "序号",
            "预约编号",
            "姓名",
            "家庭成员",
            "手机号",
            "状态",
            "候补位次",
            "预约时间",
            "签到时间",
            "缺席",
            "缺席已豁免",
            "豁免原因"
        ]
    );
    assert_eq!(rows.len(), 5, "header and four places: {rows:?}");
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[2] == name)
            .unwrap_or_else(|| panic!("{name} on the roster: {rows:?}"))
            .clone()
    };
    let li_row = row("李*红");
    assert_eq!(li_row[4], "138****8001");
    assert_eq!(li_row[5], "已确认");
    assert!(!li_row[8].is_empty(), "check-in time: {li_row:?}");
    assert_eq!(li_row[9], "否");
    let chen_row = row("陈*");
    assert_eq!(chen_row[5], "已确认");
    assert_eq!(chen_row[8], "");
    assert_eq!(chen_row[9], "是", "a no-show: {chen_row:?}");
    assert_eq!(chen_row[10], "是", "waived: {chen_row:?}");
    assert_eq!(chen_row[11], "生病住院");
    // The formula-like name is text, neutralised with an apostrophe.
    let eq_row = row("'=********K");
    assert_eq!(eq_row[5], "候补");
    assert_eq!(eq_row[6], "1");
    let zhao_row = row("赵*鸣");
    assert_eq!(zhao_row[5], "候补");
    assert_eq!(zhao_row[6], "2");
    assert_eq!(zhao_row[9], "否", "waiting is not a no-show");
    // No full phone number anywhere.
    assert!(!rows.iter().flatten().any(|c| c.contains("13800138")));

    // The sign-in sheet: title, particulars, header, then only people holding a seat.
    let (s, ct, body) = download(
        app,
        &format!("/api/v1/sessions/{session}/sign-in-sheet.xlsx"),
        &staff,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(ct, XLSX);
    let book = sheets(&body);
    assert_eq!(book[0].0, "签到表");
    let rows = &book[0].1;
    assert_eq!(rows[0][0], "粤剧唱腔入门 签到表");
    assert!(
        rows[1][0].contains("红荔") && rows[1][0].contains("共 2 人"),
        "{:?}",
        rows[1]
    );
    assert_eq!(rows[2], ["序号", "姓名", "手机号", "签名", "备注"]);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[3][..3], ["1", "李*红", "138****8001"]);
    assert_eq!(rows[4][..3], ["2", "陈*", "138****8002"]);
    assert_eq!(rows[3][3], "", "the signature is left for the pen");
    // Printable: A4 portrait, fitted to one page wide, header rows repeated on every page.
    let xml = zip_entry(&body, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("paperSize=\"9\""), "{xml}");
    assert!(xml.contains("fitToWidth=\"1\"") || xml.contains("fitToPage=\"1\""));
    let wbxml = zip_entry(&body, "xl/workbook.xml");
    assert!(wbxml.contains("_xlnm.Print_Titles"), "{wbxml}");

    // Residents and other branches get neither.
    let (s, _, body) = download(app, &format!("/api/v1/sessions/{session}/roster.xlsx"), &li).await;
    assert_eq!(s, 403);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(s, &v), "forbidden");
    let (other, _) = app
        .staff("roster-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (s, _, _) = download(
        app,
        &format!("/api/v1/sessions/{session}/sign-in-sheet.xlsx"),
        &other,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = download(app, "/api/v1/sessions/999999/roster.xlsx", &staff).await;
    assert_eq!(s, 404);
}
both!(roster, roster_and_sign_in_sheet);

/// One file of the xlsx zip, as text.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("zip");
    let mut f = z.by_name(name).expect(name);
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// Rows of a CSV body (no commas or quotes in these fixtures' cells).
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}');
    text.lines()
        .map(|l| l.split(',').map(|c| c.to_string()).collect())
        .collect()
}

async fn every_export_as_xlsx(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            title: "少儿书法",
            ..Act::default()
        })
        .await;
    let (admin, _) = app.staff("xlsx-admin", Role::CenterAdmin, "ft-main").await;
    let year: i32 = culturehub_tests::at(app, 3 * 24 * 60)[..4].parse().unwrap();
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    // A volunteer with an assignment, so the volunteer export has a row with hours.
    let (_, vol) = app
        .staff("xlsx-volunteer", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&admin),
            json!({"user_id": vol}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    for (path, sheet, header) in [
        (
            format!("/api/v1/stats/ledger.csv?year={year}"),
            format!("{year}年活动台账"),
            "活动编号",
        ),
        (
            "/api/v1/feedback/export.csv".to_string(),
            "评价".to_string(),
            "编号",
        ),
        (
            format!("/api/v1/units/{point}/volunteers.csv"),
            "志愿服务时长".to_string(),
            "志愿者编号",
        ),
    ] {
        let (s, ct, csv) = download(app, &path, &admin).await;
        assert_eq!(s, 200, "{path}");
        assert!(ct.starts_with("text/csv"), "{path}: {ct}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, ct, x) = download(app, &format!("{path}{sep}format=xlsx"), &admin).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(ct, XLSX, "{path}");
        let book = sheets(&x);
        assert_eq!(book[0].0, sheet, "{path}");
        let rows = &book[0].1;
        let csv = csv_rows(&csv);
        assert_eq!(rows[0][0], header, "{path}");
        assert_eq!(rows[0], csv[0], "{path}: same header as the CSV");
        assert_eq!(rows.len(), csv.len(), "{path}: same rows as the CSV");
        // `format=csv` is the CSV itself; anything else is a clean 400.
        let (s, ct, _) = download(app, &format!("{path}{sep}format=csv"), &admin).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("text/csv"));
        let (s, _, _) = download(app, &format!("{path}{sep}format=pdf"), &admin).await;
        assert_eq!(s, 422, "{path}: a bad format is a validation error");
    }
    // The ledger lists the activity, in both formats.
    let (_, _, x) = download(
        app,
        &format!("/api/v1/stats/ledger.csv?year={year}&format=xlsx"),
        &admin,
    )
    .await;
    assert!(sheets(&x)[0].1.iter().any(|r| r[1] == "少儿书法"));
    // The volunteer's row carries a masked name (see also the name test below).
    let (_, _, x) = download(
        app,
        &format!("/api/v1/units/{point}/volunteers.csv?format=xlsx"),
        &admin,
    )
    .await;
    let rows = &sheets(&x)[0].1;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], vol.to_string());
    assert_eq!(rows[1][1], "志愿者");
}
both!(xlsx_exports, every_export_as_xlsx);

/// Regression: the volunteer list and its export showed an empty name for a volunteer with no
/// (remaining) assignment, because the name was read from the assignment rows.
async fn volunteer_names_without_assignments(app: &TestApp) {
    let (admin, _) = app.staff("names-admin", Role::CenterAdmin, "ft-main").await;
    let (t, named) = app
        .staff("names-named", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (s, _) = app
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&t),
            Some(json!({"display_name": "王小明"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, nameless) = app
        .staff("names-nameless", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, v) = app
        .get(&format!("/api/v1/units/{point}/volunteers"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    let of = |id: i64| {
        items
            .iter()
            .find(|i| i["user_id"] == id)
            .unwrap_or_else(|| panic!("volunteer {id} listed: {v}"))
    };
    assert_eq!(of(named)["volunteer_masked"], "王*明");
    assert_eq!(of(named)["total_hours"], 0.0);
    assert_eq!(of(nameless)["volunteer_masked"], "志愿者");
    let (_, _, csv) = download(
        app,
        &format!("/api/v1/units/{point}/volunteers.csv"),
        &admin,
    )
    .await;
    let rows = csv_rows(&csv);
    let line = rows
        .iter()
        .find(|r| r[0] == named.to_string())
        .expect("a CSV row");
    assert_eq!(line[1], "王*明");
    assert!(rows.iter().skip(1).all(|r| !r[1].is_empty()), "{rows:?}");
    // Also their own view.
    let (_, me) = app.get("/api/v1/me/volunteer", Some(&t)).await;
    assert_eq!(me["hours"]["volunteer_masked"], "王*明");
}
both!(volunteer_names, volunteer_names_without_assignments);
