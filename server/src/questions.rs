//! Registration questions (报名问题): an activity — typically a training or a course — may ask
//! the people booking it a few questions (level, instrument, experience). Staff see the answers
//! on the session roster and in its xlsx.
//!
//! A question is one of three kinds: `single` (one option), `multiple` (one or more options) or
//! `text` (a short text). Answers are stored by the question's position (D124): once anyone has
//! booked, the existing questions are frozen and only optional questions may be appended at the
//! end (`questions_locked`). A transfer moves the answers to the new booking (D125); erasure
//! deletes them; the person's data export lists them.
//!
//! The checks are plain functions; the few database helpers below them only read and write.

use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// At most this many questions per activity.
pub const MAX_QUESTIONS: usize = 10;
/// At most this many options per choice question.
pub const MAX_OPTIONS: usize = 20;
/// A question's text, in characters.
pub const MAX_TEXT: usize = 100;
/// An option, in characters.
pub const MAX_OPTION: usize = 40;
/// A short-text answer, in characters.
pub const MAX_ANSWER: usize = 200;

/// One registration question.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct RegistrationQuestion {
    /// What is asked, e.g. `您的古筝水平`.
    pub text: String,
    /// `single` (one option), `multiple` (one or more options) or `text` (short text, ≤ 200
    /// characters).
    pub kind: String,
    /// The choices of a `single` or `multiple` question (2–20, distinct); empty for `text`.
    #[oai(default)]
    #[serde(default)]
    pub options: Vec<String>,
    /// The booking is refused (`invalid_answers`) without an answer.
    #[oai(default)]
    #[serde(default)]
    pub required: bool,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks a list of questions and returns it trimmed.
pub fn check_questions(qs: &[RegistrationQuestion]) -> ApiResult<Vec<RegistrationQuestion>> {
    if qs.len() > MAX_QUESTIONS {
        return Err(ApiError::validation(format!(
            "报名问题最多 {MAX_QUESTIONS} 个"
        )));
    }
    let mut out = Vec::with_capacity(qs.len());
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        let text = q.text.trim();
        if text.is_empty() || chars(text) > MAX_TEXT {
            return Err(ApiError::validation(format!(
                "第 {n} 个报名问题的内容应为 1–{MAX_TEXT} 个字"
            )));
        }
        let options: Vec<String> = q.options.iter().map(|o| o.trim().to_string()).collect();
        match q.kind.as_str() {
            "single" | "multiple" => {
                if options.len() < 2 || options.len() > MAX_OPTIONS {
                    return Err(ApiError::validation(format!(
                        "第 {n} 个报名问题应有 2–{MAX_OPTIONS} 个选项"
                    )));
                }
                for (j, o) in options.iter().enumerate() {
                    if o.is_empty() || chars(o) > MAX_OPTION {
                        return Err(ApiError::validation(format!(
                            "第 {n} 个报名问题的选项应为 1–{MAX_OPTION} 个字"
                        )));
                    }
                    if options[..j].contains(o) {
                        return Err(ApiError::validation(format!(
                            "第 {n} 个报名问题的选项“{o}”重复了"
                        )));
                    }
                }
            }
            "text" => {
                if !options.is_empty() {
                    return Err(ApiError::validation(format!(
                        "第 {n} 个报名问题是填空题，不能有选项"
                    )));
                }
            }
            _ => {
                return Err(ApiError::validation(format!(
                    "第 {n} 个报名问题的类型应为 single、multiple 或 text"
                )))
            }
        }
        out.push(RegistrationQuestion {
            text: text.to_string(),
            kind: q.kind.clone(),
            options,
            required: q.required,
        });
    }
    Ok(out)
}

/// Whether `new` may replace `old`: always while nobody has booked; afterwards only by
/// appending optional questions at the end (answers are stored by position, D124).
pub fn check_change(
    old: &[RegistrationQuestion],
    new: &[RegistrationQuestion],
    booked: bool,
) -> ApiResult<()> {
    if !booked {
        return Ok(());
    }
    let kept = new.len() >= old.len() && new[..old.len()] == *old;
    let appended_optional = new[old.len().min(new.len())..].iter().all(|q| !q.required);
    if kept && appended_optional {
        Ok(())
    } else {
        Err(questions_locked())
    }
}

pub fn questions_locked() -> ApiError {
    ApiError::conflict(
        "questions_locked",
        "已有人预约：已有的报名问题不能再修改、删除或调整顺序，只能在末尾添加选填问题",
    )
}

fn invalid(position: usize, reason: &'static str, msg: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answers", msg)
        .with_details(serde_json::json!({ "position": position, "reason": reason }))
}

/// Checks a booking's answers against the questions: `answers[i]` answers question `i + 1`
/// (an empty list, or a missing entry, skips an optional question). Returns them trimmed, one
/// per question. Refusals are `invalid_answers` with `details.position` (1-based) and
/// `details.reason` (`missing`, `unknown_option`, `one_only`, `too_long`, `too_many`).
pub fn check_answers(
    qs: &[RegistrationQuestion],
    answers: &[Vec<String>],
) -> ApiResult<Vec<Vec<String>>> {
    if answers.len() > qs.len() {
        return Err(invalid(
            qs.len() + 1,
            "too_many",
            format!("这个活动只有 {} 个报名问题", qs.len()),
        ));
    }
    let mut out = Vec::with_capacity(qs.len());
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        let given: Vec<String> = answers
            .get(i)
            .map(|a| {
                a.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if given.is_empty() {
            if q.required {
                return Err(invalid(n, "missing", format!("请回答报名问题“{}”", q.text)));
            }
            out.push(given);
            continue;
        }
        match q.kind.as_str() {
            "text" => {
                if given.len() > 1 || chars(&given[0]) > MAX_ANSWER {
                    return Err(invalid(
                        n,
                        "too_long",
                        format!("报名问题“{}”的回答最多 {MAX_ANSWER} 个字", q.text),
                    ));
                }
            }
            kind => {
                if kind == "single" && given.len() > 1 {
                    return Err(invalid(
                        n,
                        "one_only",
                        format!("报名问题“{}”只能选一项", q.text),
                    ));
                }
                let mut seen: Vec<&String> = Vec::new();
                for g in &given {
                    if !q.options.contains(g) || seen.contains(&g) {
                        return Err(invalid(
                            n,
                            "unknown_option",
                            format!("报名问题“{}”的选项不正确", q.text),
                        ));
                    }
                    seen.push(g);
                }
            }
        }
        out.push(given);
    }
    Ok(out)
}

/// An answer as staff read it on the roster: options joined with `、`.
pub fn display(answer: &[String]) -> String {
    answer.join("、")
}

// ---------------------------------------------------------------------------------------------
// Storage.

/// The questions of an activity, in order.
pub async fn of_activity(db: &Db, activity_id: i64) -> ApiResult<Vec<RegistrationQuestion>> {
    let rows = sqlx::query(
        "SELECT text, kind, options, required FROM activity_questions WHERE activity_id = $1 ORDER BY position",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

async fn of_activity_in(tx: &mut Tx, activity_id: i64) -> ApiResult<Vec<RegistrationQuestion>> {
    let rows = sqlx::query(
        "SELECT text, kind, options, required FROM activity_questions WHERE activity_id = $1 ORDER BY position",
    )
    .bind(activity_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

fn from_row(r: &sqlx::any::AnyRow) -> RegistrationQuestion {
    RegistrationQuestion {
        text: r.get("text"),
        kind: r.get("kind"),
        options: serde_json::from_str(&r.get::<String, _>("options")).unwrap_or_default(),
        required: r.get::<i64, _>("required") != 0,
    }
}

/// Replaces an activity's questions (already checked with [`check_questions`]). Refuses with
/// `questions_locked` when people have booked and the change is more than appending optional
/// questions; the check runs inside the transaction so a booking made meanwhile counts.
pub async fn replace(tx: &mut Tx, activity_id: i64, new: &[RegistrationQuestion]) -> ApiResult<()> {
    let old = of_activity_in(tx, activity_id).await?;
    if old == new {
        return Ok(());
    }
    let booked: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE activity_id = $1")
            .bind(activity_id)
            .fetch_one(&mut **tx)
            .await?;
    check_change(&old, new, booked > 0)?;
    sqlx::query("DELETE FROM activity_questions WHERE activity_id = $1")
        .bind(activity_id)
        .execute(&mut **tx)
        .await?;
    for (i, q) in new.iter().enumerate() {
        sqlx::query(
            "INSERT INTO activity_questions (activity_id, position, text, kind, options, required) \
             VALUES ($1,$2,$3,$4,$5,$6)",
        )
        .bind(activity_id)
        .bind(i as i64 + 1)
        .bind(&q.text)
        .bind(&q.kind)
        .bind(serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into()))
        .bind(q.required as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Checks `answers` against the activity's current questions, inside the booking's transaction.
pub async fn check_in_tx(
    tx: &mut Tx,
    activity_id: i64,
    answers: &[Vec<String>],
) -> ApiResult<Vec<Vec<String>>> {
    let qs = of_activity_in(tx, activity_id).await?;
    check_answers(&qs, answers)
}

/// Stores a booking's (checked) answers; skipped questions store nothing.
pub async fn store(tx: &mut Tx, booking_id: i64, answers: &[Vec<String>]) -> ApiResult<()> {
    for (i, a) in answers.iter().enumerate() {
        if a.is_empty() {
            continue;
        }
        sqlx::query("INSERT INTO booking_answers (booking_id, position, answer) VALUES ($1,$2,$3)")
            .bind(booking_id)
            .bind(i as i64 + 1)
            .bind(serde_json::to_string(a).unwrap_or_else(|_| "[]".into()))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A transfer (D125): the answers go with the seat to the new booking, and leave the old one.
pub async fn move_answers(tx: &mut Tx, from: i64, to: i64) -> ApiResult<()> {
    sqlx::query("UPDATE booking_answers SET booking_id = $1 WHERE booking_id = $2")
        .bind(to)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Drops a booking's answers (a recipient who answers for themselves replaces them).
pub async fn clear(tx: &mut Tx, booking_id: i64) -> ApiResult<()> {
    sqlx::query("DELETE FROM booking_answers WHERE booking_id = $1")
        .bind(booking_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The answers of these bookings: booking id → one entry per question position (1..=`n`),
/// empty where unanswered.
pub async fn answers_of(
    db: &Db,
    booking_ids: &[i64],
    n: usize,
) -> ApiResult<std::collections::HashMap<i64, Vec<Vec<String>>>> {
    let mut out = std::collections::HashMap::new();
    if booking_ids.is_empty() || n == 0 {
        return Ok(out);
    }
    let list = booking_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT booking_id, position, answer FROM booking_answers WHERE booking_id IN ({list})"
    ))
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        let pos = r.get::<i64, _>("position") as usize;
        if pos == 0 || pos > n {
            continue;
        }
        let e = out
            .entry(r.get::<i64, _>("booking_id"))
            .or_insert_with(|| vec![Vec::new(); n]);
        e[pos - 1] = serde_json::from_str(&r.get::<String, _>("answer")).unwrap_or_default();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, kind: &str, options: &[&str], required: bool) -> RegistrationQuestion {
        RegistrationQuestion {
            text: text.into(),
            kind: kind.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            required,
        }
    }

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn reason(e: ApiError) -> (String, u64) {
        let d = e.details.unwrap();
        (
            d["reason"].as_str().unwrap().to_string(),
            d["position"].as_u64().unwrap(),
        )
    }

    #[test]
    fn questions_are_checked_and_trimmed() {
        let ok = check_questions(&[
            q(" 水平 ", "single", &[" 初级", "中级 "], true),
            q("乐器", "multiple", &["古筝", "二胡", "琵琶"], false),
            q("学习经历", "text", &[], false),
        ])
        .unwrap();
        assert_eq!(ok[0].text, "水平");
        assert_eq!(ok[0].options, vec!["初级", "中级"]);
        let bad = [
            vec![q("", "text", &[], false)],
            vec![q(&"长".repeat(101), "text", &[], false)],
            vec![q("水平", "single", &["只有一个"], false)],
            vec![q("水平", "single", &["初级", "初级"], false)],
            vec![q("水平", "multiple", &["初级", " "], false)],
            vec![q("经历", "text", &["不该有"], false)],
            vec![q("经历", "essay", &[], false)],
            (0..11).map(|_| q("x", "text", &[], false)).collect(),
        ];
        for b in bad {
            assert_eq!(check_questions(&b).unwrap_err().code, "validation_failed");
        }
        assert!(check_questions(&[]).unwrap().is_empty());
    }

    #[test]
    fn answers_by_kind() {
        let qs = [
            q("水平", "single", &["初级", "中级"], true),
            q("乐器", "multiple", &["古筝", "二胡", "琵琶"], false),
            q("经历", "text", &[], false),
        ];
        let ok = check_answers(
            &qs,
            &[a(&[" 中级 "]), a(&["古筝", "琵琶"]), a(&["学过两年"])],
        )
        .unwrap();
        assert_eq!(
            ok,
            vec![a(&["中级"]), a(&["古筝", "琵琶"]), a(&["学过两年"])]
        );
        // Optional ones may be skipped, by an empty list or by leaving them off.
        assert_eq!(
            check_answers(&qs, &[a(&["初级"])]).unwrap(),
            vec![a(&["初级"]), vec![], vec![]]
        );
        assert_eq!(
            reason(check_answers(&qs, &[]).unwrap_err()),
            ("missing".into(), 1)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["  "])]).unwrap_err()),
            ("missing".into(), 1)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["初级", "中级"])]).unwrap_err()),
            ("one_only".into(), 1)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["高级"])]).unwrap_err()),
            ("unknown_option".into(), 1)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["初级"]), a(&["古筝", "古筝"])]).unwrap_err()),
            ("unknown_option".into(), 2)
        );
        let long = "长".repeat(201);
        assert_eq!(
            reason(check_answers(&qs, &[a(&["初级"]), vec![], a(&[&long])]).unwrap_err()),
            ("too_long".into(), 3)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["初级"]), vec![], a(&["a", "b"])]).unwrap_err()),
            ("too_long".into(), 3)
        );
        assert_eq!(
            reason(check_answers(&qs, &[a(&["初级"]), vec![], vec![], vec![]]).unwrap_err()),
            ("too_many".into(), 4)
        );
        let e = check_answers(&qs, &[]).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code, "invalid_answers");
        // No questions: nothing to answer.
        assert!(check_answers(&[], &[]).unwrap().is_empty());
    }

    #[test]
    fn after_the_first_booking_only_optional_questions_are_appended() {
        let old = vec![
            q("水平", "single", &["初级", "中级"], true),
            q("经历", "text", &[], false),
        ];
        let mut appended = old.clone();
        appended.push(q("乐器", "text", &[], false));
        let mut required = old.clone();
        required.push(q("乐器", "text", &[], true));
        let reordered = vec![old[1].clone(), old[0].clone()];
        let mut edited = old.clone();
        edited[0].options.push("高级".into());
        let removed = vec![old[0].clone()];
        // Before anyone books, anything goes.
        for new in [&appended, &required, &reordered, &edited, &removed] {
            assert!(check_change(&old, new, false).is_ok());
        }
        assert!(check_change(&old, &appended, true).is_ok());
        assert!(check_change(&old, &old, true).is_ok());
        for new in [&required, &reordered, &edited, &removed, &vec![]] {
            let e = check_change(&old, new, true).unwrap_err();
            assert_eq!(e.code, "questions_locked");
            assert_eq!(e.status, StatusCode::CONFLICT);
        }
    }

    #[test]
    fn display_joins_options() {
        assert_eq!(display(&a(&["古筝", "琵琶"])), "古筝、琵琶");
        assert_eq!(display(&[]), "");
    }
}
