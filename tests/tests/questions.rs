//! Registration questions (issue 12): an activity asks questions when booking, the booking
//! carries the answers, staff read them on the roster (JSON and xlsx) within their scope; the
//! questions freeze once people have booked (only optional ones appended); answers move with a
//! transfer, appear in the person's data export and go with an erased account.

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, TestApp};
use serde_json::{json, Value};
use std::io::Cursor;

fn questions() -> Value {
    json!([
        {"text": "您的古筝水平", "kind": "single", "options": ["零基础", "初级", "中级"], "required": true},
        {"text": "会哪些乐器", "kind": "multiple", "options": ["古筝", "二胡", "琵琶"]},
        {"text": "学习经历", "kind": "text", "required": false},
    ])
}

/// A published training at Yuanling with the questions; returns (activity id, session id).
async fn training(app: &TestApp, staff: &str, qs: Value) -> (i64, i64) {
    let unit = app.unit_id("ft-b-yuanling").await;
    let body = json!({
        "title": "古筝入门班", "kind": "training", "organizer_unit_id": unit, "booking_mode": "fcfs",
        "questions": qs,
        "sessions": [{"unit_id": unit, "starts_at": at(app, 3 * 24 * 60), "ends_at": at(app, 3 * 24 * 60 + 90), "capacity": 1}],
    });
    let (s, v) = app.post("/api/v1/activities", Some(staff), body).await;
    assert_eq!(s, 200, "create: {v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{id}/publish"),
            Some(staff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "publish: {v}");
    (id, v["sessions"][0]["id"].as_i64().unwrap())
}

fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = wb.sheet_names()[0].clone();
    let range: Range<Data> = wb.worksheet_range(&name).expect("sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn ask_and_answer(app: &TestApp) {
    let (staff, _) = app
        .staff("q-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let unit = app.unit_id("ft-b-yuanling").await;

    // Bad questions are refused and nothing is stored.
    for qs in [
        json!([{"text": "水平", "kind": "single", "options": ["只有一个"]}]),
        json!([{"text": "经历", "kind": "essay"}]),
        json!([{"text": "", "kind": "text"}]),
    ] {
        let body = json!({
            "title": "x", "kind": "training", "organizer_unit_id": unit, "booking_mode": "fcfs", "questions": qs,
            "sessions": [{"unit_id": unit, "starts_at": at(app, 600), "ends_at": at(app, 700), "capacity": 3}],
        });
        let (s, v) = app.post("/api/v1/activities", Some(&staff), body).await;
        assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM activity_questions")
            .await,
        0
    );

    let (id, session) = training(app, &staff, questions()).await;
    let (s, v) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(s, 200);
    let qs = &v["activity"]["questions"];
    assert_eq!(qs.as_array().unwrap().len(), 3);
    assert_eq!(qs[0]["kind"], "single");
    assert_eq!(qs[2]["options"], json!([]));
    assert_eq!(qs[2]["required"], false);
    assert_eq!(v["activity"]["questions_locked"], false);

    // While nobody has booked, the questions can be rewritten freely (here: reordered, back).
    let path = format!("/api/v1/activities/{id}");
    let mut reordered = questions();
    reordered.as_array_mut().unwrap().reverse();
    let (s, v) = app
        .call(
            "PATCH",
            &path,
            Some(&staff),
            Some(json!({"questions": reordered})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["questions"][0]["text"], "学习经历");
    let (s, _) = app
        .call(
            "PATCH",
            &path,
            Some(&staff),
            Some(json!({"questions": questions()})),
        )
        .await;
    assert_eq!(s, 200);

    // Booking: required missing, wrong option, two options on a single choice, too long.
    let (me, _) = app.sign_in("q-resident").await;
    let long = "长".repeat(201);
    for (answers, position, reason) in [
        (json!(null), 1, "missing"),
        (json!([[]]), 1, "missing"),
        (json!([["高级"]]), 1, "unknown_option"),
        (json!([["初级", "中级"]]), 1, "one_only"),
        (json!([["初级"], ["小提琴"]]), 2, "unknown_option"),
        (json!([["初级"], [], [long]]), 3, "too_long"),
        (json!([["初级"], [], [], ["多"]]), 4, "too_many"),
    ] {
        let (s, v) = app.book(&me, session, json!({"answers": answers})).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(error_code(s, &v), "invalid_answers", "{v}");
        assert_eq!(v["error"]["details"]["position"], position, "{v}");
        assert_eq!(v["error"]["details"]["reason"], reason, "{v}");
    }
    assert_eq!(app.seats(session).await, (0, 0, 0));

    let (s, b) = app
        .book(
            &me,
            session,
            json!({"answers": [["初级"], ["古筝", "琵琶"], [" 学过两年 "]]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // Optional ones may be skipped: this one joins the waiting list with one answer.
    let (other, _) = app.sign_in("q-other").await;
    let (s, w) = app
        .book(
            &other,
            session,
            json!({"join_waitlist": true, "answers": [["零基础"]]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["status"], "waitlisted");

    // Staff read the answers on the roster, one per question.
    let (s, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["questions"],
        json!(["您的古筝水平", "会哪些乐器", "学习经历"])
    );
    assert_eq!(
        r["items"][0]["answers"],
        json!(["初级", "古筝、琵琶", "学过两年"])
    );
    assert_eq!(r["items"][1]["answers"], json!(["零基础", "", ""]));
    // … and as columns of the roster workbook.
    let (s, _, body) = app
        .fetch(
            &format!("/api/v1/sessions/{session}/roster.xlsx"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200);
    let sheet = rows(&body);
    let n = sheet[0].len();
    assert_eq!(
        sheet[0][n - 3..],
        ["您的古筝水平", "会哪些乐器", "学习经历"]
    );
    assert_eq!(sheet[1][n - 3..], ["初级", "古筝、琵琶", "学过两年"]);
    assert_eq!(sheet[2][n - 3..], ["零基础", "", ""]);

    // Another branch cannot read them, nor can the resident.
    let (nanyuan, _) = app
        .staff("q-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    for token in [&nanyuan, &me] {
        let (s, v) = app
            .get(&format!("/api/v1/sessions/{session}/bookings"), Some(token))
            .await;
        assert_eq!(error_code(s, &v), "forbidden");
        let (s, _, _) = app
            .fetch(
                &format!("/api/v1/sessions/{session}/roster.xlsx"),
                Some(token),
            )
            .await;
        assert_eq!(s, 403);
    }

    // Now the questions are frozen: no edit, no removal, no reordering, no required addition.
    let (_, v) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(v["activity"]["questions_locked"], true);
    let mut edited = questions();
    edited[0]["options"] = json!(["零基础", "初级", "中级", "高级"]);
    let mut required = questions();
    required
        .as_array_mut()
        .unwrap()
        .push(json!({"text": "年龄段", "kind": "text", "required": true}));
    for qs in [edited, reordered, json!([]), required] {
        let (s, v) = app
            .call("PATCH", &path, Some(&staff), Some(json!({"questions": qs})))
            .await;
        assert_eq!(error_code(s, &v), "questions_locked", "{v}");
    }
    // Appending an optional question works; earlier bookings simply have no answer to it.
    let mut appended = questions();
    appended
        .as_array_mut()
        .unwrap()
        .push(json!({"text": "想学的曲目", "kind": "text"}));
    let (s, v) = app
        .call(
            "PATCH",
            &path,
            Some(&staff),
            Some(json!({"questions": appended})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["questions"].as_array().unwrap().len(), 4);
    let (_, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    assert_eq!(
        r["items"][0]["answers"],
        json!(["初级", "古筝、琵琶", "学过两年", ""])
    );
    // A title-only edit leaves the questions alone.
    let (s, _) = app
        .call(
            "PATCH",
            &path,
            Some(&staff),
            Some(json!({"title": "古筝入门班（冬季）"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM activity_questions WHERE activity_id = {id}"
        ))
        .await,
        4
    );

    // The person's data export lists the answers with their questions.
    let (_, export) = app.get("/api/v1/me/export", Some(&me)).await;
    let answers = &export["bookings"][0]["answers"];
    assert_eq!(answers.as_array().unwrap().len(), 3, "{export}");
    assert_eq!(answers[0]["question"], "您的古筝水平");
    assert_eq!(answers[1]["answer"], json!(["古筝", "琵琶"]));

    // Erasure removes them.
    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&me), None).await;
    assert_eq!(s, 200);
    let bid = b["id"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM booking_answers WHERE booking_id = {bid}"
        ))
        .await,
        0
    );
    let (_, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    // The waiting person took the freed seat, with their answer.
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["items"][0]["answers"][0], "零基础");
}
both!(ask_and_answer_tests, ask_and_answer);

async fn answers_move_with_a_transfer(app: &TestApp) {
    let (staff, _) = app
        .staff("qt-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (_, session) = training(app, &staff, questions()).await;
    let (holder, _) = app.sign_in("qt-holder").await;
    let (s, b) = app
        .book(&holder, session, json!({"answers": [["中级"], ["二胡"]]}))
        .await;
    assert_eq!(s, 200, "{b}");
    let old = b["id"].as_i64().unwrap();

    // Passed on without answers of her own: the holder's answers go with the seat.
    let (friend, _) = app.sign_in("qt-friend").await;
    let (s, t) = app
        .post(
            &format!("/api/v1/bookings/{old}/transfer"),
            Some(&holder),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    let code = t["code"].as_str().unwrap().to_string();
    // The recipient's own answers are checked like a booking's.
    let (s, v) = app
        .post(
            &format!("/api/v1/transfers/{code}/accept"),
            Some(&friend),
            json!({"answers": [["大师"]]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "invalid_answers", "{v}");
    let (s, nb) = app
        .post(
            &format!("/api/v1/transfers/{code}/accept"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{nb}");
    let new = nb["id"].as_i64().unwrap();
    let (_, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["items"][0]["booking_id"], new);
    assert_eq!(r["items"][0]["answers"], json!(["中级", "二胡", ""]));
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM booking_answers WHERE booking_id = {old}"
        ))
        .await,
        0
    );

    // Passed on again, this time the recipient answers for herself: hers replace them.
    let (s, t) = app
        .post(
            &format!("/api/v1/bookings/{new}/transfer"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    let (third, _) = app.sign_in("qt-third").await;
    let (s, nb) = app
        .post(
            &format!("/api/v1/transfers/{}/accept", t["code"].as_str().unwrap()),
            Some(&third),
            json!({"answers": [["零基础"], [], ["没学过"]]}),
        )
        .await;
    assert_eq!(s, 200, "{nb}");
    let (_, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    assert_eq!(r["items"][0]["booking_id"], nb["id"]);
    assert_eq!(r["items"][0]["answers"], json!(["零基础", "", "没学过"]));
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM booking_answers WHERE booking_id = {new}"
        ))
        .await,
        0
    );
}
both!(transfer_tests, answers_move_with_a_transfer);

/// An activity without questions books as before and its roster has no answer columns.
async fn no_questions_no_answers(app: &TestApp) {
    let (staff, _) = app
        .staff("qn-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (_, session) = training(app, &staff, json!([])).await;
    let (me, _) = app.sign_in("qn-resident").await;
    let (s, v) = app.book(&me, session, json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (_, r) = app
        .get(
            &format!("/api/v1/sessions/{session}/bookings"),
            Some(&staff),
        )
        .await;
    assert_eq!(r["questions"], json!([]));
    assert_eq!(r["items"][0]["answers"], json!([]));
    let (s, v) = app.book(&me, session, json!({"answers": [["x"]]})).await;
    // Already booked is found before the answers are looked at.
    assert_eq!(error_code(s, &v), "already_booked", "{v}");
}
both!(no_questions, no_questions_no_answers);
