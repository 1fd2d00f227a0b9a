//! Ledgers (台账): the workbook opened with calamine — its sheets, headers and rows, formula
//! neutralising, China-time months, and scope (another branch's rows are left out).

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::json;
use std::io::Cursor;

type Sheets = Vec<(String, Vec<Vec<String>>)>;

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(n) => n.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Every sheet of a workbook as rows of text.
fn open(bytes: Vec<u8>) -> Sheets {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx workbook");
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).expect("sheet");
            let rows = range.rows().map(|r| r.iter().map(cell).collect()).collect();
            (n, rows)
        })
        .collect()
}

fn sheet<'a>(s: &'a Sheets, name: &str) -> &'a Vec<Vec<String>> {
    &s.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "sheet {name} in {:?}",
                s.iter().map(|x| &x.0).collect::<Vec<_>>()
            )
        })
        .1
}

async fn workbook(app: &TestApp, token: &str, query: &str) -> (u16, Vec<u8>) {
    let (s, h, body) = app
        .fetch(
            &format!("/api/v1/ledgers/workbook.xlsx{query}"),
            Some(token),
        )
        .await;
    if s == 200 {
        assert_eq!(
            h["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"ledger-"));
    }
    (s, body)
}

async fn workbook_sheets_headers_rows_and_scope(app: &TestApp) {
    // A two-lesson course at a point of 园岭 starting in an hour, with a joint partner name
    // that a spreadsheet would take for a formula.
    let (activity, first) = app
        .activity(Act {
            title: "=HYPERLINK(\"http://x\") 书法课",
            lessons: 2,
            starts_in_min: 60,
            ..Act::default()
        })
        .await;
    let (center, _) = app
        .staff("o-ledger-center", Role::CenterAdmin, "ft-main")
        .await;
    let (branch_a, _) = app
        .staff("o-ledger-branch-a", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (branch_b, _) = app
        .staff("o-ledger-branch-b", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (resident, _) = app.sign_in("o-ledger-resident").await;
    let (s, v) = app.book(&resident, first, json!({})).await;
    assert_eq!(s, 200, "{v}");
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, v) = app
        .post(
            "/api/v1/demands",
            Some(&resident),
            json!({"kind": "training", "unit_id": point, "description": "@SUM(1) 想学粤剧唱腔"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The first lesson is over: held. The second is a week later: not yet.
    app.clock().advance(3 * 3600);

    let (s, bytes) = workbook(app, &branch_a, "").await;
    assert_eq!(s, 200);
    let wb = open(bytes);
    let names: Vec<&str> = wb.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "活动",
            "场次",
            "志愿服务",
            "评价汇总",
            "评价与回复",
            "群众需求",
            "菜单点单",
            "文化采购",
            "活动照片",
            "场地使用",
            "文艺团队",
            "人员名册",
            "双派记录",
            "培训台账"
        ]
    );
    let acts = sheet(&wb, "活动");
    assert_eq!(
        acts[0],
        [
            "活动编号",
            "活动名称",
            "类型",
            "状态",
            "主办单位",
            "总馆配送",
            "联合单位",
            "首场时间",
            "场次",
            "已举办场次",
            "预约人数",
            "签到人数",
            "现场人次",
            "平均评分"
        ]
    );
    assert_eq!(acts.len(), 2, "{acts:?}");
    let row = &acts[1];
    assert_eq!(row[0], activity.to_string());
    assert_eq!(row[1], "'=HYPERLINK(\"http://x\") 书法课", "neutralised");
    assert_eq!(row[3], "已发布");
    assert_eq!(
        (row[8].as_str(), row[9].as_str(), row[10].as_str()),
        ("2", "1", "1")
    );
    let sessions = sheet(&wb, "场次");
    assert_eq!(sessions[0][0], "场次编号");
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(sessions[1][0], first.to_string());
    assert_eq!(sessions[1][9], "已举办");
    assert_eq!(sessions[2][9], "未举办");
    assert_eq!(sessions[1][11], "1", "bookings of the first lesson");
    let demand = sheet(&wb, "群众需求");
    assert_eq!(demand.len(), 2, "{demand:?}");
    assert_eq!(demand[1][4], "'@SUM(1) 想学粤剧唱腔");
    assert_eq!(demand[1][6], "待处理");
    for name in ["志愿服务", "评价汇总", "评价与回复", "菜单点单", "活动照片"]
    {
        let s = sheet(&wb, name);
        assert!(
            !s.is_empty() && !s[0].is_empty(),
            "{name} has its header row"
        );
    }
    // The CSV ledger is the 活动 sheet.
    let (_, _, csv) = app.fetch("/api/v1/stats/ledger.csv", Some(&branch_a)).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("联合单位"));

    // Scope: another branch sees none of it; the main center sees it under 园岭.
    let (_, bytes) = workbook(app, &branch_b, "").await;
    let other = open(bytes);
    assert_eq!(sheet(&other, "活动").len(), 1, "only the header");
    assert_eq!(sheet(&other, "群众需求").len(), 1);
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .get(
            &format!("/api/v1/ledgers/workbook.xlsx?unit_id={yuanling}"),
            Some(&branch_b),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, bytes) = workbook(app, &center, &format!("?unit_id={yuanling}")).await;
    assert_eq!(s, 200);
    assert_eq!(sheet(&open(bytes), "活动").len(), 2);
    // A resident has no ledger.
    let (s, _) = workbook(app, &resident, "").await;
    assert_eq!(s, 403);

    // Months are China-time months: the month of the first lesson has it, the one after
    // that does not (unless the second lesson falls in it).
    let start = culturehub::time::parse(&culturehub_tests::at(app, -3 * 60 + 60)).unwrap()
        + chrono::Duration::hours(8);
    let month = start.format("%Y-%m").to_string();
    let (_, bytes) = workbook(app, &branch_a, &format!("?month={month}")).await;
    let m = open(bytes);
    assert!(sheet(&m, "场次").iter().any(|r| r[0] == first.to_string()));
    let next = (start + chrono::Duration::days(40))
        .format("%Y-%m")
        .to_string();
    let (_, bytes) = workbook(app, &branch_a, &format!("?month={next}")).await;
    assert!(!sheet(&open(bytes), "场次")
        .iter()
        .any(|r| r[0] == first.to_string()));
    // Bad input: one error shape, Chinese message.
    let (s, v) = app
        .get(
            "/api/v1/ledgers/workbook.xlsx?month=2026-13",
            Some(&branch_a),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
}
both!(workbook_sheets, workbook_sheets_headers_rows_and_scope);

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, token: &str, unit: i64, visibility: &str) -> i64 {
    let (s, v) = app
        .send_bytes(
            "POST",
            &format!("/api/v1/files?unit_id={unit}&visibility={visibility}"),
            Some(token),
            "image/png",
            png(),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

async fn evidence_and_completeness(app: &TestApp) {
    let (_, first) = app
        .activity(Act {
            title: "社区合唱排练",
            starts_in_min: 60,
            ..Act::default()
        })
        .await;
    let (_, second) = app
        .activity(Act {
            title: "少儿书法课",
            starts_in_min: 90,
            ..Act::default()
        })
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (coord, _) = app
        .staff("o-ev-coord", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let (other, _) = app
        .staff("o-ev-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (resident, _) = app.sign_in("o-ev-resident").await;
    let (branch, _) = app
        .staff("o-ev-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let photo = upload(app, &coord, point, "staff").await;
    let attach = |token: String, session: i64, file: i64| {
        let body = json!({"file_id": file, "note": "合唱团现场排练"});
        async move {
            app.post(
                &format!("/api/v1/sessions/{session}/evidence"),
                Some(&token),
                body,
            )
            .await
        }
    };
    // Not held yet: refused.
    let (s, v) = attach(coord.clone(), first, photo).await;
    assert_eq!(error_code(s, &v), "session_not_held");
    app.clock().advance(4 * 3600);
    // A public file is not evidence; another branch may not attach here.
    let public = upload(app, &coord, point, "public").await;
    let (s, v) = attach(coord.clone(), first, public).await;
    assert_eq!(error_code(s, &v), "file_unusable");
    let (s, v) = attach(other.clone(), first, photo).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = attach(coord.clone(), first, photo).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["note"], "合唱团现场排练");
    let thumb = v["thumb_url"].as_str().unwrap().to_string();
    // The same photo twice is refused.
    let (s, v) = attach(coord.clone(), first, photo).await;
    assert_eq!(error_code(s, &v), "evidence_file_used");
    // Listed for staff; the thumbnail is served to staff only.
    let (s, v) = app
        .get(&format!("/api/v1/sessions/{first}/evidence"), Some(&branch))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["held"], true);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.fetch(&thumb, Some(&branch)).await.0, 200);
    assert_eq!(app.fetch(&thumb, Some(&resident)).await.0, 403);
    assert_eq!(app.fetch(&thumb, None).await.0, 401);
    let (s, _) = app
        .get(
            &format!("/api/v1/sessions/{first}/evidence"),
            Some(&resident),
        )
        .await;
    assert_eq!(s, 403);

    // Completeness: one of two held sessions has evidence; the other is listed as missing.
    let (s, c) = app.get("/api/v1/ledgers/completeness", Some(&branch)).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["held"].as_i64(), c["with_evidence"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["complete"], false);
    let missing: Vec<i64> = c["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["session_id"].as_i64().unwrap())
        .collect();
    assert_eq!(missing, [second]);
    let hongli = c["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == point)
        .unwrap()
        .clone();
    assert_eq!(
        (hongli["held"].as_i64(), hongli["percent"].as_i64()),
        (Some(2), Some(50))
    );
    // Another branch: nothing of ours.
    let (_, c) = app.get("/api/v1/ledgers/completeness", Some(&other)).await;
    assert_eq!(c["held"], 0);
    assert_eq!(c["complete"], true);

    // The workbook's 活动照片 sheet: both held sessions, the photo counted with its note.
    let (_, bytes) = workbook(app, &branch, "").await;
    let wb = open(bytes);
    let ev = sheet(&wb, "活动照片");
    assert_eq!(
        ev[0],
        [
            "场次编号",
            "活动编号",
            "活动名称",
            "举办单位",
            "开始时间",
            "照片数",
            "照片说明",
            "齐全"
        ]
    );
    let row = ev.iter().find(|r| r[0] == first.to_string()).unwrap();
    assert_eq!(
        (row[5].as_str(), row[6].as_str(), row[7].as_str()),
        ("1", "合唱团现场排练", "是")
    );
    let row = ev.iter().find(|r| r[0] == second.to_string()).unwrap();
    assert_eq!((row[5].as_str(), row[7].as_str()), ("0", "否"));

    // Removing it makes the ledger incomplete again, and leaves an audit entry.
    let id = app
        .get(&format!("/api/v1/sessions/{first}/evidence"), Some(&coord))
        .await
        .1["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/sessions/{first}/evidence/{id}"),
            Some(&coord),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .call(
            "DELETE",
            &format!("/api/v1/sessions/{first}/evidence/{id}"),
            Some(&coord),
            None,
        )
        .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (_, c) = app.get("/api/v1/ledgers/completeness", Some(&branch)).await;
    assert_eq!(c["with_evidence"], 0);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('evidence_attach','evidence_remove')")
            .await,
        2
    );
}
both!(evidence, evidence_and_completeness);

async fn register(app: &TestApp, token: &str, unit: i64, name: &str, from: &str) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/people/staff",
            Some(token),
            json!({"unit_id": unit, "name": name, "phone": "13812345678", "post": "业务干部",
                   "employment": "full_time", "from_date": from}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

async fn staff_and_dispatch_sheets(app: &TestApp) {
    let (center, _) = app
        .staff("o-ledger-p-center", Role::CenterAdmin, "ft-main")
        .await;
    let (branch_a, _) = app
        .staff("o-ledger-p-a", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (branch_b, _) = app
        .staff("o-ledger-p-b", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let main = app.unit_id("ft-main").await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let cadre = register(app, &center, main, "王大伟", "2025-03-01").await;
    let clerk = register(app, &center, yuanling, "=李小红", "2025-06-01").await;
    register(app, &center, nanyuan, "赵南园", "2025-06-01").await;
    // Left before 2026: in the 2025 ledger, not in 2026's.
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/people/staff/{clerk}"),
            Some(&center),
            Some(json!({"to_date": "2025-12-31"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&center),
            json!({"staff_id": cadre, "to_unit_id": yuanling, "from_date": "2025-04-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let (s, bytes) = workbook(app, &branch_a, "?year=2025").await;
    assert_eq!(s, 200);
    let wb = open(bytes);
    let staff = sheet(&wb, "人员名册");
    assert_eq!(
        staff[0],
        [
            "编号",
            "单位",
            "姓名",
            "电话",
            "岗位",
            "用工形式",
            "起始日期",
            "结束日期",
            "关联账号",
            "期末在册"
        ]
    );
    // The branch's own register only: the clerk, masked (and neutralised); not the main
    // center's cadre, not the other branch's people.
    assert_eq!(staff.len(), 2, "{staff:?}");
    assert_eq!(staff[1][0], clerk.to_string());
    assert_eq!(staff[1][2], "'=**红");
    assert_eq!(staff[1][3], "138****5678");
    assert_eq!(staff[1][5], "专职");
    assert_eq!(
        (staff[1][7].as_str(), staff[1][9].as_str()),
        ("2025-12-31", "是")
    );
    let dispatch = sheet(&wb, "双派记录");
    assert_eq!(dispatch[0][0], "编号");
    assert_eq!(
        dispatch.len(),
        2,
        "the deputy head sent to the branch: {dispatch:?}"
    );
    assert_eq!(dispatch[1][1], "王*伟");
    let (_, listed) = app.get("/api/v1/people/dispatches", Some(&center)).await;
    let d = &listed["items"][0];
    assert_eq!(dispatch[1][2], d["from_unit_name"].as_str().unwrap());
    assert_eq!(dispatch[1][3], d["to_unit_name"].as_str().unwrap());
    assert_eq!(dispatch[1][3], staff[1][1], "sent to the branch itself");
    assert_eq!(dispatch[1][4], "总馆派驻分馆副馆长");
    assert_eq!(dispatch[1][8], "是");

    // 2026: the clerk has left; the dispatch runs on.
    let (_, bytes) = workbook(app, &branch_a, "?year=2026").await;
    let wb = open(bytes);
    assert_eq!(sheet(&wb, "人员名册").len(), 1, "only the header");
    assert_eq!(sheet(&wb, "双派记录").len(), 2);
    // 2024: before anyone started.
    let (_, bytes) = workbook(app, &center, "?year=2024").await;
    let wb = open(bytes);
    assert_eq!(sheet(&wb, "人员名册").len(), 1);
    assert_eq!(sheet(&wb, "双派记录").len(), 1);
    // Another branch sees its own person and no dispatch of 园岭.
    let (_, bytes) = workbook(app, &branch_b, "?year=2025").await;
    let wb = open(bytes);
    let other = sheet(&wb, "人员名册");
    assert_eq!(other.len(), 2);
    assert_eq!(other[1][2], "赵*园");
    assert_eq!(sheet(&wb, "双派记录").len(), 1);
    // The main center sees all three and the dispatch once.
    let (_, bytes) = workbook(app, &center, "?year=2025").await;
    let wb = open(bytes);
    assert_eq!(sheet(&wb, "人员名册").len(), 4);
    assert_eq!(sheet(&wb, "双派记录").len(), 2);
}
both!(people_sheets, staff_and_dispatch_sheets);

/// 培训台账: staff trainings organised in scope, each session with bookings and who attended.
async fn training_sheet(app: &TestApp) {
    let (center, _) = app.staff("l-center", Role::CenterAdmin, "ft-main").await;
    let (yuanling, yuanling_id) = app
        .staff("l-yuanling", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (nanyuan, _) = app
        .staff("l-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    sqlx::query("UPDATE users SET display_name = '李小明' WHERE id = $1")
        .bind(yuanling_id)
        .execute(app.state().db.pool())
        .await
        .unwrap();
    let mut sessions = Vec::new();
    for (title, unit, kind, district) in [
        ("=区级管理培训", "ft-main", "management", true),
        ("协管员培训", "ft-b-nanyuan", "coordinator", false),
    ] {
        let u = app.unit_id(unit).await;
        let (s, v) = app
            .post(
                "/api/v1/activities",
                Some(&center),
                json!({"title": title, "kind": "training", "organizer_unit_id": u, "booking_mode": "fcfs",
                       "audience": "staff", "training_kind": kind, "by_district": district,
                       "sessions": [{"unit_id": u, "starts_at": culturehub_tests::at(app, 60),
                                     "ends_at": culturehub_tests::at(app, 120), "capacity": 10}]}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = app
            .post(
                &format!("/api/v1/activities/{id}/publish"),
                Some(&center),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        sessions.push(v["sessions"][0]["id"].as_i64().unwrap());
    }
    let (s, b) = app.book(&yuanling, sessions[0], json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = app.book(&nanyuan, sessions[0], json!({})).await;
    assert_eq!(s, 200);
    app.clock().advance(90 * 60);
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/manual", sessions[0]),
            Some(&center),
            json!({"booking_id": b["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let year = culturehub::time::cst_year(app.clock().now());
    let (s, bytes) = workbook(app, &center, &format!("?year={year}")).await;
    assert_eq!(s, 200);
    let wb = open(bytes);
    let t = sheet(&wb, "培训台账");
    assert_eq!(
        t[0],
        [
            "活动编号",
            "培训名称",
            "培训类型",
            "组织层级",
            "承办单位",
            "开始时间",
            "地点",
            "状态",
            "预约人数",
            "签到人数",
            "签到人员"
        ]
    );
    assert_eq!(t.len(), 3, "{t:?}");
    // Neutralised title; the district's training owned by the main center; masked attendee.
    assert_eq!(t[1][1], "'=区级管理培训");
    assert_eq!((t[1][2].as_str(), t[1][3].as_str()), ("管理培训", "区级"));
    assert_eq!(t[1][7], "已举办");
    assert_eq!((t[1][8].as_str(), t[1][9].as_str()), ("2", "1"));
    assert_eq!(t[1][10], "李*明");
    assert_eq!((t[2][2].as_str(), t[2][3].as_str()), ("协管员培训", "分馆"));
    assert_eq!(t[2][9], "0");

    // A branch files only the trainings it organised.
    let (_, bytes) = workbook(app, &nanyuan, &format!("?year={year}")).await;
    let t = open(bytes);
    let t = sheet(&t, "培训台账");
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[1][1], "协管员培训");
    let (_, bytes) = workbook(app, &yuanling, &format!("?year={year}")).await;
    assert_eq!(sheet(&open(bytes), "培训台账").len(), 1);
}
both!(training_ledger, training_sheet);
