//! A whole evaluation round (考核评估, docs/evaluation.md) walked through on SQLite and on
//! PostgreSQL with the app's clock moved past deadlines: templates, a spot check feeding an
//! automatic indicator, points → branches → main center → district acceptance, returns for
//! correction, late steps, ranking, publishing and the lock, reopening with a reason,
//! third-party assessment and the export.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Cursor;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(20, 20, |x, y| {
        image::Rgb([(x * 9) as u8, (y * 9) as u8, 60])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn cst_date(app: &TestApp, days: i64) -> String {
    (app.clock().now() + chrono::Duration::days(days))
        .with_timezone(&culturehub::time::cst())
        .format("%Y-%m-%d")
        .to_string()
}

fn due(app: &TestApp, days: i64) -> String {
    culturehub_tests::at(app, days * 24 * 60)
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call("PUT", path, Some(token), Some(body)).await
}

/// Fills every manual indicator at 80 % of its marks and submits; returns the submit answer.
async fn self_assess(app: &TestApp, token: &str, entry: i64) -> (u16, Value) {
    let (s, e) = app
        .get(&format!("/api/v1/evaluation/entries/{entry}"), Some(token))
        .await;
    assert_eq!(s, 200, "{e}");
    let items: Vec<Value> = e["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"position": i["position"], "score": i["max_score"].as_f64().unwrap() * 0.8, "comment": "按要求完成"}))
        .collect();
    let (s, v) = put(
        app,
        &format!("/api/v1/evaluation/entries/{entry}/self"),
        token,
        json!({"items": items}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    app.post(
        &format!("/api/v1/evaluation/entries/{entry}/submit"),
        Some(token),
        json!({}),
    )
    .await
}

/// Scores every indicator with `pct` of its marks.
async fn score(app: &TestApp, token: &str, entry: i64, pct: f64, note: &str) -> (u16, Value) {
    let (_, e) = app
        .get(&format!("/api/v1/evaluation/entries/{entry}"), Some(token))
        .await;
    let items: Vec<Value> = e["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| json!({"position": i["position"], "score": i["max_score"].as_f64().unwrap() * pct, "comment": "核实"}))
                .collect()
        })
        .unwrap_or_default();
    app.post(
        &format!("/api/v1/evaluation/entries/{entry}/score"),
        Some(token),
        json!({"items": items, "reward_note": note}),
    )
    .await
}

async fn whole_round(app: &TestApp) {
    let year = culturehub::time::cst_year(app.clock().now());
    let (district, _) = app
        .staff("o-ev-district", Role::DistrictSupervisor, "ft-main")
        .await;
    let (center, _) = app.staff("o-ev-center", Role::CenterAdmin, "ft-main").await;
    let (coord, _) = app
        .staff("o-ev-coord", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let (yuanling, _) = app
        .staff("o-ev-yuanling", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (nanyuan, _) = app
        .staff("o-ev-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (evaluator, evaluator_id) = app.staff("o-ev-third", Role::Evaluator, "ft-main").await;
    let (other_evaluator, _) = app.staff("o-ev-third-2", Role::Evaluator, "ft-main").await;
    let hongli = app.unit_id("ft-p-yuanling-hongli").await;

    // Templates: policy defaults until the district saves its own; only the district may.
    let (s, t) = app
        .get(
            &format!("/api/v1/evaluation/templates/{year}/point"),
            Some(&coord),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["is_default"], true);
    assert_eq!(t["total"], 100.0);
    let point_template = json!({"indicators": [
        {"category": "facilities", "title": "设施与开放", "max_score": 60, "method": "manual", "guidance": "附照片"},
        {"category": "management", "title": "督导整改", "max_score": 40, "method": "auto", "source": "rectifications"},
    ]});
    let path = format!("/api/v1/evaluation/templates/{year}/point");
    let (s, v) = put(app, &path, &center, point_template.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = put(app, &path, &district, json!({"indicators": [
        {"category": "facilities", "title": "设施", "max_score": 60, "method": "auto", "source": "nonsense"}]})).await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = put(app, &path, &district, point_template).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["is_default"], false);

    // A spot check at the point, with a rectification already overdue.
    let (s, v) = app
        .post("/api/v1/spot-checks", Some(&coord), json!({"unit_id": hongli, "kind": "unannounced",
            "visited_on": cst_date(app, -3), "findings": "开放时间未公示", "rectify_by": cst_date(app, -1)}))
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "points do not inspect");
    let (s, v) = app
        .post("/api/v1/spot-checks", Some(&district), json!({"unit_id": hongli, "kind": "unannounced",
            "visited_on": cst_date(app, -3), "findings": "开放时间未公示", "rectify_by": cst_date(app, -1)}))
        .await;
    assert_eq!(s, 200, "{v}");
    let check = v["id"].as_i64().unwrap();
    let (_, open) = app
        .get(
            &format!("/api/v1/spot-checks?unit_id={hongli}&open=true"),
            Some(&coord),
        )
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    let (_, theirs) = app
        .get(
            &format!("/api/v1/spot-checks?unit_id={hongli}"),
            Some(&nanyuan),
        )
        .await;
    assert_eq!(
        theirs["error"]["code"], "forbidden",
        "another branch never sees it"
    );

    // The round, its deadlines a day apart.
    let round_body = json!({"year": year, "period": "year", "title": format!("{year}年度考核"),
        "point_self_due": due(app, 1), "point_score_due": due(app, 2), "branch_self_due": due(app, 3),
        "branch_score_due": due(app, 4), "main_self_due": due(app, 5), "district_due": due(app, 6)});
    let (s, v) = app
        .post(
            "/api/v1/evaluation/rounds",
            Some(&center),
            round_body.clone(),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let mut bad = round_body.clone();
    bad["point_score_due"] = json!(due(app, 0));
    let (s, v) = app
        .post("/api/v1/evaluation/rounds", Some(&district), bad)
        .await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "deadlines out of order"
    );
    let (s, round) = app
        .post(
            "/api/v1/evaluation/rounds",
            Some(&district),
            round_body.clone(),
        )
        .await;
    assert_eq!(s, 200, "{round}");
    let rid = round["id"].as_i64().unwrap();
    let (s, v) = app
        .post("/api/v1/evaluation/rounds", Some(&district), round_body)
        .await;
    assert_eq!(error_code(s, &v), "round_exists");
    let open_units = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM org_units WHERE closed_at IS NULL")
        .await;
    assert_eq!(round["entries_total"], open_units);

    // Entries by unit, as the district sees them; a branch sees only its own subtree.
    let (_, all) = app
        .get(&format!("/api/v1/evaluation/rounds/{rid}"), Some(&district))
        .await;
    let entries = all["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len() as i64, open_units);
    let (_, mine) = app
        .get(&format!("/api/v1/evaluation/rounds/{rid}"), Some(&yuanling))
        .await;
    let yuanling_path = app.unit_ref("ft-b-yuanling").await.1;
    let in_yuanling = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM org_units WHERE closed_at IS NULL AND path LIKE '{yuanling_path}%'"))
        .await;
    assert_eq!(
        mine["entries"].as_array().unwrap().len() as i64,
        in_yuanling
    );
    let entry_of = |unit: i64| {
        entries.iter().find(|e| e["unit_id"] == unit).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let hl = entry_of(hongli);

    // The point's own entry: the automatic indicator counts the overdue rectification.
    let (_, e) = app
        .get(&format!("/api/v1/evaluation/entries/{hl}"), Some(&coord))
        .await;
    assert_eq!(e["status"], "self");
    assert_eq!(e["open_rectifications"], 1);
    let auto = &e["items"][1];
    assert_eq!(auto["auto_percent"], 80.0, "{e}");
    assert!(
        auto["auto_basis"].as_str().unwrap().contains("逾期 1 项"),
        "{auto}"
    );
    // Submitting before filling in the manual indicator is refused.
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/submit"),
            Some(&coord),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "eval_incomplete");
    // Evidence must be the unit's own file.
    let (s, f) = app
        .send_bytes(
            "POST",
            &format!("/api/v1/files?unit_id={hongli}&visibility=staff"),
            Some(&coord),
            "image/png",
            png(),
        )
        .await;
    assert_eq!(s, 200, "{f}");
    let photo = f["id"].as_i64().unwrap();
    let nanyuan_point = app.unit_id("ft-p-nanyuan-nanyuan").await;
    let (nanyuan_coord, _) = app
        .staff(
            "o-ev-nanyuan-coord",
            Role::PointCoordinator,
            "ft-p-nanyuan-nanyuan",
        )
        .await;
    let (_, f2) = app
        .send_bytes(
            "POST",
            &format!("/api/v1/files?unit_id={nanyuan_point}&visibility=staff"),
            Some(&nanyuan_coord),
            "image/png",
            png(),
        )
        .await;
    let selfp = format!("/api/v1/evaluation/entries/{hl}/self");
    let (s, v) = put(
        app,
        &selfp,
        &coord,
        json!({"items": [{"position": 0, "score": 50, "evidence": [f2["id"]]}]}),
    )
    .await;
    assert_eq!(error_code(s, &v), "file_unusable");
    let (s, v) = put(
        app,
        &selfp,
        &coord,
        json!({"items": [{"position": 0, "score": 61}]}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed", "above full marks");
    let (s, v) = put(app, &selfp, &coord, json!({"items": [{"position": 0, "score": 50, "comment": "每周开放 56 小时", "evidence": [photo]}]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["evidence"], json!([photo]));
    // Another branch cannot fill it in.
    let (s, v) = put(app, &selfp, &nanyuan, json!({"items": []})).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/submit"),
            Some(&coord),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "submitted");
    assert_eq!(v["submitted_late"], false);
    assert_eq!(v["self_total"], 82.0, "50 + 80% of 40");
    let (s, v) = put(app, &selfp, &coord, json!({"items": []})).await;
    assert_eq!(
        error_code(s, &v),
        "eval_wrong_step",
        "locked once submitted"
    );

    // Scoring: only its own branch. The main center scores branches, not points.
    let (s, v) = score(app, &nanyuan, hl, 0.9, "").await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = score(app, &center, hl, 0.9, "").await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/return"),
            Some(&yuanling),
            json!({"comment": ""}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/return"),
            Some(&yuanling),
            json!({"comment": "请补充开放时间公示照片"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "self");
    assert_eq!(v["return_comment"], "请补充开放时间公示照片");

    // Past the point deadline: the resubmission is late. The rectification is done meanwhile,
    // and the automatic value follows until the entry is scored.
    app.clock().advance(26 * 3600);
    let (s, v) = app
        .post(
            &format!("/api/v1/spot-checks/{check}/rectify"),
            Some(&coord),
            json!({"rectification": "已在门口公示开放时间"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/spot-checks/{check}/rectify"),
            Some(&coord),
            json!({"rectification": "再次"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "nothing_to_rectify");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/submit"),
            Some(&coord),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["submitted_late"], true);
    assert_eq!(v["items"][1]["auto_percent"], 100.0);
    assert_eq!(v["open_rectifications"], 0);

    // A branch cannot submit before its points are scored.
    let yl = entry_of(app.unit_id("ft-b-yuanling").await);
    let (s, v) = self_assess(app, &yuanling, yl).await;
    assert_eq!(error_code(s, &v), "eval_waiting", "{v}");

    // The branch scores its point: manual at 90 %, the automatic one taken as computed.
    let (s, v) = app
        .post(&format!("/api/v1/evaluation/entries/{hl}/score"), Some(&yuanling),
            json!({"items": [{"position": 0, "score": 54, "comment": "照片齐全"}], "reward_note": "通报表扬"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "scored");
    assert_eq!(v["total"], 94.0);
    assert_eq!(v["grade"], "excellent");
    assert_eq!(v["grade_label"], "优秀");
    assert_eq!(v["reward_note"], "通报表扬");
    assert_eq!(v["scored_late"], false);
    let (s, v) = score(app, &yuanling, hl, 0.5, "").await;
    assert_eq!(error_code(s, &v), "eval_wrong_step");

    // Every other point: self-assessed by the center (on their behalf) and scored by its branch.
    let units: HashMap<i64, (String, String)> = {
        use sqlx::Row;
        sqlx::query("SELECT u.id, u.level, p.code FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id WHERE u.closed_at IS NULL")
            .fetch_all(app.state().db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<i64, _>("id"), (r.get::<String, _>("level"), r.get::<Option<String>, _>("code").unwrap_or_default())))
            .collect()
    };
    let mut branch_tokens: HashMap<String, String> = HashMap::new();
    branch_tokens.insert("ft-b-yuanling".into(), yuanling.clone());
    branch_tokens.insert("ft-b-nanyuan".into(), nanyuan.clone());
    let mut pct = 0.55;
    for e in &entries {
        let (level, parent) = &units[&e["unit_id"].as_i64().unwrap()];
        if level != "point" || e["unit_id"] == hongli {
            continue;
        }
        let id = e["id"].as_i64().unwrap();
        let (s, v) = self_assess(app, &center, id).await;
        assert_eq!(s, 200, "{v}");
        if !branch_tokens.contains_key(parent) {
            let (t, _) = app
                .staff(&format!("o-ev-{parent}"), Role::BranchStaff, parent)
                .await;
            branch_tokens.insert(parent.clone(), t);
        }
        let (s, v) = score(app, &branch_tokens[parent], id, pct, "").await;
        assert_eq!(s, 200, "{v}");
        pct = if pct >= 0.85 { 0.55 } else { pct + 0.05 };
    }
    // Branches self-assess (in time, before day 3) and the main center scores them; a branch
    // never scores itself.
    app.clock().advance(24 * 3600);
    let main = app.unit_id("ft-main").await;
    for e in &entries {
        let unit = e["unit_id"].as_i64().unwrap();
        let (level, _) = &units[&unit];
        if level != "branch" && level != "direct_branch" {
            continue;
        }
        let id = e["id"].as_i64().unwrap();
        let (s, v) = self_assess(app, &center, id).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["submitted_late"], false, "branch self due is day 3: {v}");
        if id == yl {
            let (s, v) = score(app, &yuanling, id, 0.9, "").await;
            assert_eq!(error_code(s, &v), "forbidden");
        }
        let (s, v) = score(app, &center, id, if id == yl { 0.95 } else { 0.7 }, "").await;
        assert_eq!(s, 200, "{v}");
    }
    // The main center self-assesses; the district accepts (验收) it — not the center itself.
    let me = entry_of(main);
    let (s, v) = self_assess(app, &center, me).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = score(app, &center, me, 0.9, "").await;
    assert_eq!(error_code(s, &v), "forbidden");
    app.clock().advance(4 * 24 * 3600);
    let (s, v) = score(app, &district, me, 0.85, "验收通过").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["grade"], "good");
    assert_eq!(
        v["scored_late"], true,
        "accepted after the district deadline"
    );

    // Frozen: the point's automatic value no longer moves after scoring.
    let (s, v) = app
        .post("/api/v1/spot-checks", Some(&district), json!({"unit_id": hongli, "kind": "supervision",
            "visited_on": cst_date(app, -5), "findings": "标识未统一", "rectify_by": cst_date(app, -4)}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/evaluation/entries/{hl}"), Some(&coord))
        .await;
    assert_eq!(v["items"][1]["auto_percent"], 100.0, "frozen at scoring");
    assert_eq!(v["open_rectifications"], 1);

    // Ranking per level: the yuanling branch has the best branch score.
    let (_, detail) = app
        .get(&format!("/api/v1/evaluation/rounds/{rid}"), Some(&district))
        .await;
    let yl_view = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == yl)
        .unwrap()
        .clone();
    assert_eq!(yl_view["rank"], 1, "{yl_view}");
    let hl_view = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == hl)
        .unwrap()
        .clone();
    assert_eq!(hl_view["rank"], 1, "94 is the best point score: {hl_view}");
    assert_eq!(detail["round"]["entries_scored"], open_units);

    // Third party: granted one object, it records its assessment there and nowhere else.
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/assignments"),
            Some(&district),
            json!({"user_id": evaluator_id, "unit_id": hongli}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let asg = v["id"].as_i64().unwrap();
    let (_, coord_id) = app.sign_in("o-ev-coord").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/assignments"),
            Some(&district),
            json!({"user_id": coord_id}),
        )
        .await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "only evaluators are assigned"
    );
    let apath = format!("/api/v1/evaluation/assignments/{asg}/assessment");
    let (s, v) = put(
        app,
        &apath,
        &other_evaluator,
        json!({"assessment": "不应写入"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = put(app, &apath, &district, json!({"assessment": "不应写入"})).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = put(
        app,
        &apath,
        &evaluator,
        json!({"assessment": "服务点运行规范，群众满意度高", "score": 92}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, detail) = app
        .get(
            &format!("/api/v1/evaluation/rounds/{rid}"),
            Some(&evaluator),
        )
        .await;
    assert_eq!(
        detail["assignments"][0]["assessment"],
        "服务点运行规范，群众满意度高"
    );
    // Evaluators read but never score.
    let (s, v) = score(app, &evaluator, hl, 0.5, "").await;
    assert_eq!(error_code(s, &v), "forbidden");

    // Publish and lock; reopening needs a reason, which is audited.
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/publish"),
            Some(&district),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "published");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/entries/{hl}/return"),
            Some(&yuanling),
            json!({"comment": "再改"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "round_locked");
    let (s, v) = put(app, &apath, &evaluator, json!({"assessment": "改"})).await;
    assert_eq!(error_code(s, &v), "round_locked");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/reopen"),
            Some(&district),
            json!({"comment": " "}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/reopen"),
            Some(&district),
            json!({"comment": "复核红荔服务点得分"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "open");
    let reopened = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'eval_round_reopened' AND detail = '复核红荔服务点得分'")
        .await;
    assert_eq!(reopened, 1);
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluation/rounds/{rid}/publish"),
            Some(&district),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Every step is in the audit trail.
    for action in [
        "eval_template_saved",
        "eval_round_created",
        "eval_self_saved",
        "eval_submitted",
        "eval_returned",
        "eval_scored",
        "eval_accepted",
        "eval_round_published",
        "eval_assigned",
        "eval_assessed",
        "spot_check_recorded",
        "spot_check_rectified",
    ] {
        let n = app
            .count(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = '{action}'"
            ))
            .await;
        assert!(n > 0, "{action} audited");
    }

    // The comparison table as xlsx.
    let (s, headers, bytes) = app
        .fetch(
            &format!("/api/v1/evaluation/rounds/{rid}/export?format=xlsx"),
            Some(&district),
        )
        .await;
    assert_eq!(s, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range(&format!("{year}年考核")).unwrap();
    assert_eq!(sheet.rows().count() as i64, open_units + 1);
}
both!(a_whole_round, whole_round);

async fn entry_in(app: &TestApp, token: &str, round: &Value, unit: i64) -> i64 {
    let rid = round["id"].as_i64().unwrap();
    let (_, d) = app
        .get(&format!("/api/v1/evaluation/rounds/{rid}"), Some(token))
        .await;
    d["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit_id"] == unit)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The facility-standard checklist, the register- and data-based automatic indicators (demand,
/// staffing, dispatch, rooms, facilities), the coordinator's status of the open round, and year
/// on year across two rounds with the per-category columns of the export.
async fn facilities_and_year_on_year(app: &TestApp) {
    let year = culturehub::time::cst_year(app.clock().now());
    let (district, _) = app
        .staff("o-fy-district", Role::DistrictSupervisor, "ft-main")
        .await;
    let (center, _) = app.staff("o-fy-center", Role::CenterAdmin, "ft-main").await;
    let (coord, coord_id) = app
        .staff("o-fy-coord", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let (yuanling, _) = app
        .staff("o-fy-yuanling", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (nanyuan, _) = app
        .staff("o-fy-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (hongli, hongli_path) = app.unit_ref("ft-p-yuanling-hongli").await;

    // Standards: the defaults until the district saves its own; only the district may.
    let (s, v) = app
        .get("/api/v1/evaluation/facility-standards/point", Some(&coord))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["is_default"], true);
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    let standards = json!({"items": [
        {"key": "area", "label": "建筑面积", "kind": "min", "min": 100, "unit": "平方米"},
        {"key": "rooms", "label": "功能室", "kind": "min", "min": 2, "unit": "间"},
        {"key": "equipment", "label": "基本设备", "kind": "yes"},
        {"key": "hours", "label": "每周开放时长", "kind": "min", "min": 40, "unit": "小时/周"},
        {"key": "signage", "label": "统一标识", "kind": "name"},
    ]});
    let spath = "/api/v1/evaluation/facility-standards/point";
    let (s, v) = put(app, spath, &center, standards.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = put(
        app,
        spath,
        &district,
        json!({"items": [
        {"key": "area", "label": "面积", "kind": "min", "min": 1},
        {"key": "area", "label": "面积2", "kind": "min", "min": 1}]}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed", "duplicate key");
    let (s, v) = put(app, spath, &district, standards).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["is_default"], false);

    // The point records its facts; another branch may not; unknown keys are refused.
    let fpath = format!("/api/v1/evaluation/facilities/{hongli}");
    let (s, list) = app.get(&fpath, Some(&coord)).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["met"], 0);
    assert_eq!(
        list["checks"][0]["met"],
        Value::Null,
        "nothing recorded yet"
    );
    let official = list["official_name"].as_str().unwrap().to_string();
    let facts = json!({"facts": [
        {"key": "area", "value": 120},
        {"key": "rooms", "value": 3},
        {"key": "equipment", "value": 1, "text": "音响、投影齐全"},
        {"key": "hours", "value": 30},
        {"key": "signage", "text": official.clone()},
    ]});
    let (s, v) = put(app, &fpath, &nanyuan, facts.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = put(
        app,
        &fpath,
        &coord,
        json!({"facts": [{"key": "pool", "value": 1}]}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = put(
        app,
        &fpath,
        &coord,
        json!({"facts": [{"key": "equipment", "value": 2}]}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = put(app, &fpath, &coord, facts).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["met"], 4, "hours below the standard: {v}");
    assert_eq!(v["total"], 5);
    assert_eq!(v["percent"], 80.0);
    let hours = &v["checks"][3];
    assert_eq!(hours["met"], false);
    assert_eq!(hours["requirement"], "≥ 40 小时/周");
    let (s, v) = app.get(&fpath, Some(&nanyuan)).await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "another branch never reads it"
    );

    // Data the automatic indicators read: two demands at the point (one fulfilled) and a
    // coordinator on the register.
    let now = app.state().now();
    for status in ["fulfilled", "open"] {
        sqlx::query(
            "INSERT INTO demands (user_id, kind, unit_id, unit_path, description, visibility, status, created_at, updated_at) \
             VALUES ($1,'training',$2,$3,'想学书法','published',$4,$5,$5)",
        )
        .bind(coord_id)
        .bind(hongli)
        .bind(&hongli_path)
        .bind(status)
        .bind(&now)
        .execute(app.state().db.pool())
        .await
        .unwrap();
    }

    // Last year's round and this year's, each with the default point template but this year's
    // adding room use.
    let body = |y: i32| {
        json!({"year": y, "period": "year", "title": format!("{y}年度考核"),
            "point_self_due": due(app, 1), "point_score_due": due(app, 2), "branch_self_due": due(app, 3),
            "branch_score_due": due(app, 4), "main_self_due": due(app, 5), "district_due": due(app, 6)})
    };
    let (s, last) = app
        .post("/api/v1/evaluation/rounds", Some(&district), body(year - 1))
        .await;
    assert_eq!(s, 200, "{last}");
    let mut indicators = culturehub::evaluation::default_indicators("point");
    indicators.push(culturehub::evaluation::IndicatorInput {
        category: "facilities".into(),
        title: "场地使用".into(),
        max_score: 10.0,
        method: "auto".into(),
        source: "rooms".into(),
        guidance: String::new(),
    });
    let (s, v) = put(
        app,
        &format!("/api/v1/evaluation/templates/{year}/point"),
        &district,
        json!({"indicators": serde_json::to_value(&indicators).unwrap()}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, this) = app
        .post("/api/v1/evaluation/rounds", Some(&district), body(year))
        .await;
    assert_eq!(s, 200, "{this}");
    let main = app.unit_id("ft-main").await;
    let yl_unit = app.unit_id("ft-b-yuanling").await;
    let hl_last = entry_in(app, &district, &last, hongli).await;
    let hl = entry_in(app, &district, &this, hongli).await;
    let yl = entry_in(app, &district, &this, yl_unit).await;
    let mc = entry_in(app, &district, &this, main).await;

    // The point's automatic indicators, each with what it came from.
    let (_, e) = app
        .get(&format!("/api/v1/evaluation/entries/{hl}"), Some(&coord))
        .await;
    let item = |e: &Value, source: &str| {
        e["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["source"] == source)
            .unwrap_or_else(|| panic!("{source} in {e}"))
            .clone()
    };
    let f = item(&e, "facilities");
    assert_eq!(f["auto_percent"], 80.0, "{f}");
    assert!(
        f["auto_basis"].as_str().unwrap().contains("达标 4 项"),
        "{f}"
    );
    let d = item(&e, "demand");
    assert_eq!(d["auto_percent"], 50.0, "{d}");
    assert!(
        d["auto_basis"].as_str().unwrap().contains("已落实 1 条"),
        "{d}"
    );
    let r = item(&e, "rooms");
    let rp = r["auto_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&rp), "{r}");
    assert!(r["auto_basis"].as_str().unwrap().contains("场地"), "{r}");

    // The branch: staffing from the register; it rises when a coordinator is registered.
    let (_, b) = app
        .get(&format!("/api/v1/evaluation/entries/{yl}"), Some(&yuanling))
        .await;
    let before = item(&b, "staffing");
    assert!(
        before["auto_basis"].as_str().unwrap().contains("人员名册"),
        "{before}"
    );
    sqlx::query(
        "INSERT INTO staff_members (unit_id, name, post, employment, from_date, created_at, updated_at) \
         VALUES ($1,'王协管','文体协管员','part_time','2000-01-01',$2,$2)",
    )
    .bind(hongli)
    .bind(&now)
    .execute(app.state().db.pool())
    .await
    .unwrap();
    let (_, b) = app
        .get(&format!("/api/v1/evaluation/entries/{yl}"), Some(&yuanling))
        .await;
    let after = item(&b, "staffing");
    assert!(
        after["auto_percent"].as_f64() > before["auto_percent"].as_f64(),
        "{before} → {after}"
    );
    // The main center: dispatch coverage of branches and points.
    let (_, m) = app
        .get(&format!("/api/v1/evaluation/entries/{mc}"), Some(&center))
        .await;
    let dsp = item(&m, "dispatch");
    assert!(
        dsp["auto_basis"].as_str().unwrap().contains("双派"),
        "{dsp}"
    );

    // The coordinator's page: this year's round, the step, what is missing.
    let stpath = format!("/api/v1/evaluation/units/{hongli}/status");
    let (s, st) = app.get(&stpath, Some(&coord)).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["round"]["id"], this["id"]);
    assert_eq!(st["entry"]["status"], "self");
    assert_eq!(st["facilities_met"], 4);
    let missing = st["missing"].as_array().unwrap();
    assert!(
        missing
            .iter()
            .any(|m| m["title"] == "创新与亮点" && m["what"] == "value"),
        "{st}"
    );
    let (s, v) = app.get(&stpath, Some(&nanyuan)).await;
    assert_eq!(error_code(s, &v), "forbidden");

    // Both rounds walked for the point: 70 % last year, 90 % this year.
    for (entry, pct) in [(hl_last, 0.7), (hl, 0.9)] {
        let (s, v) = self_assess(app, &coord, entry).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = score(app, &yuanling, entry, pct, "").await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, st) = app.get(&stpath, Some(&coord)).await;
    assert_eq!(st["entry"]["status"], "scored");
    assert_eq!(st["missing"].as_array().unwrap().len(), 0, "{st}");

    // Frozen: a worse fact no longer moves the scored entry.
    let (s, v) = put(
        app,
        &fpath,
        &coord,
        json!({"facts": [{"key": "area", "value": 10}]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["met"], 3);
    let (_, e) = app
        .get(&format!("/api/v1/evaluation/entries/{hl}"), Some(&coord))
        .await;
    assert_eq!(
        item(&e, "facilities")["auto_percent"],
        80.0,
        "frozen at scoring"
    );

    // Year on year: the same unit across rounds, with category scores.
    let (s, h) = app
        .get(
            &format!("/api/v1/evaluation/units/{hongli}/history"),
            Some(&yuanling),
        )
        .await;
    assert_eq!(s, 200, "{h}");
    let rows = h["rounds"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{h}");
    assert_eq!(rows[0]["year"], year - 1);
    assert_eq!(rows[0]["percent"], 70.0, "{h}");
    assert_eq!(rows[1]["percent"], 90.0, "{h}");
    assert_eq!(rows[1]["change"], 20.0, "{h}");
    let quality = rows[1]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "quality")
        .unwrap();
    assert_eq!(quality["max_score"], 25.0);
    assert_eq!(quality["score"], 22.5, "{quality}");
    let (s, v) = app
        .get(
            &format!("/api/v1/evaluation/units/{hongli}/history"),
            Some(&nanyuan),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");

    // The round's entries carry per-category scores, and the export adds them and last year's.
    let rid = this["id"].as_i64().unwrap();
    let (_, detail) = app
        .get(&format!("/api/v1/evaluation/rounds/{rid}"), Some(&yuanling))
        .await;
    let hv = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == hl)
        .unwrap()
        .clone();
    assert_eq!(hv["categories"].as_array().unwrap().len(), 6, "{hv}");
    let (s, _, bytes) = app
        .fetch(
            &format!("/api/v1/evaluation/rounds/{rid}/export?format=xlsx"),
            Some(&yuanling),
        )
        .await;
    assert_eq!(s, 200);
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range(&format!("{year}年考核")).unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        header.contains(&"服务质量与满意度得分".to_string()),
        "{header:?}"
    );
    assert!(
        header.contains(&format!("{}年度考核得分率%", year - 1)),
        "{header:?}"
    );
    let change_col = header.iter().position(|h| h == "同比变化").unwrap();
    let hl_row = sheet
        .rows()
        .find(|r| format!("{}", r[0]) == hv["unit_name"].as_str().unwrap())
        .unwrap();
    assert_eq!(hl_row[change_col].to_string(), "20");
    let audited = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('eval_facility_standards_saved','eval_facilities_saved')")
        .await;
    assert!(audited >= 3);
}
both!(
    facilities_and_year_on_year_on_both,
    facilities_and_year_on_year
);
