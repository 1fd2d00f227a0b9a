//! A session's roster and its printable sign-in sheet (签到表), as staff download them.
//!
//! The roster is everyone holding a place (confirmed, waiting, lottery entries) with whether they
//! came, whether they are a no-show and whether that was waived. Names and phones are masked as
//! on every staff list; the sign-in sheet lists only people with a seat, with room to sign.

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, SignInSheet, Table};
use crate::privacy::{mask_name, mask_phone};
use crate::time::{self, Ts};
use sqlx::Row;

/// The session the roster is for.
#[derive(Debug, Clone)]
pub struct Head {
    pub session_id: i64,
    pub title: String,
    pub lesson_no: i64,
    pub is_course: bool,
    pub unit_name: String,
    pub room: String,
    pub starts_at: String,
    pub ends_at: String,
    pub cancelled: bool,
    /// The activity's registration questions (their texts), in order.
    pub questions: Vec<String>,
}

/// One place on the roster (masked).
#[derive(Debug, Clone)]
pub struct Line {
    pub booking_id: i64,
    pub name: String,
    pub is_family_member: bool,
    pub phone: String,
    pub status: String,
    pub waitlist_position: Option<i64>,
    pub booked_at: String,
    /// When this person was admitted to this session (for a course: this lesson).
    pub checked_in_at: Option<String>,
    /// Held a seat, never came, the session is over.
    pub no_show: bool,
    pub waived_at: Option<String>,
    pub waive_reason: Option<String>,
    /// Answers to the registration questions, one per question (empty when unanswered).
    pub answers: Vec<String>,
}

/// `2026-12-05T06:30:00Z` → `2026-12-05 14:30` (China time), as staff read it on paper.
pub fn china_time(s: &str) -> String {
    time::parse(s)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn status_label(status: &str) -> &'static str {
    match status {
        "confirmed" => "已确认",
        "waitlisted" => "候补",
        "entered" => "已报名（待抽签）",
        "cancelled" => "已取消",
        _ => "其他",
    }
}

pub async fn load(db: &Db, session_id: i64, now: Ts) -> ApiResult<(Head, Vec<Line>)> {
    let h = sqlx::query(
        "SELECT s.id, s.activity_id, s.lesson_no, s.room, s.starts_at, s.ends_at, s.status, a.title, a.is_course, a.status AS activity_status, u.name \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    let questions: Vec<String> = crate::questions::of_activity(db, h.get("activity_id"))
        .await?
        .into_iter()
        .map(|q| q.text)
        .collect();
    let head = Head {
        session_id,
        questions,
        title: h.get("title"),
        lesson_no: h.get("lesson_no"),
        is_course: h.get::<i64, _>("is_course") == 1,
        unit_name: h.get("name"),
        room: h.get("room"),
        starts_at: h.get("starts_at"),
        ends_at: h.get("ends_at"),
        cancelled: h.get::<String, _>("status") == "cancelled"
            || h.get::<String, _>("activity_status") == "cancelled",
    };
    // A course's places live on its first lesson; every lesson lists them.
    let rows = sqlx::query(
        "SELECT b.id, b.status, b.waitlist_pos, b.created_at, b.session_id, b.checked_in_at, b.no_show_waived_at, b.no_show_waive_reason, \
         f.name AS member_name, p.display_name, p.phone, \
         (SELECT MIN(c.admitted_at) FROM checkins c WHERE c.booking_id = b.id AND c.session_id = $1 AND c.undone_at IS NULL) AS admitted_here \
         FROM bookings b JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id \
         JOIN activities a ON a.id = b.activity_id JOIN sessions x ON x.id = $1 \
         WHERE b.status <> 'cancelled' AND (b.session_id = $1 OR (a.is_course = 1 AND b.activity_id = x.activity_id)) \
         ORDER BY b.status, b.waitlist_pos, b.id",
    )
    .bind(session_id)
    .fetch_all(db.pool())
    .await?;
    let over = head.ends_at.as_str() <= time::fmt(now).as_str() && !head.cancelled;
    let ids: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("id")).collect();
    let n = head.questions.len();
    let mut answers = crate::questions::answers_of(db, &ids, n).await?;
    let lines = rows
        .iter()
        .map(|r| {
            let member: Option<String> = r.get("member_name");
            let name = member
                .clone()
                .unwrap_or_else(|| r.get::<String, _>("display_name"));
            let status: String = r.get("status");
            let checked_in_at = r.get::<Option<String>, _>("admitted_here").or_else(|| {
                (r.get::<i64, _>("session_id") == session_id)
                    .then(|| r.get::<Option<String>, _>("checked_in_at"))
                    .flatten()
            });
            Line {
                booking_id: r.get("id"),
                name: if name.trim().is_empty() {
                    "居民".into()
                } else {
                    mask_name(&name)
                },
                is_family_member: member.is_some(),
                phone: r
                    .get::<Option<String>, _>("phone")
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| mask_phone(&p))
                    .unwrap_or_default(),
                no_show: over && status == "confirmed" && checked_in_at.is_none(),
                status,
                waitlist_position: r.get("waitlist_pos"),
                booked_at: r.get("created_at"),
                checked_in_at,
                waived_at: r.get("no_show_waived_at"),
                waive_reason: r.get("no_show_waive_reason"),
                answers: answers
                    .remove(&r.get::<i64, _>("id"))
                    .unwrap_or_else(|| vec![Vec::new(); n])
                    .iter()
                    .map(|a| crate::questions::display(a))
                    .collect(),
            }
        })
        .collect();
    Ok((head, lines))
}

impl Head {
    /// `园岭分馆 · 多功能厅 · 2026-12-05 14:30–16:00`
    pub fn particulars(&self) -> String {
        let mut parts = vec![self.unit_name.clone()];
        if !self.room.is_empty() {
            parts.push(self.room.clone());
        }
        let end = china_time(&self.ends_at);
        parts.push(format!(
            "{}–{}",
            china_time(&self.starts_at),
            end.get(11..).unwrap_or(&end)
        ));
        if self.is_course {
            parts.push(format!("第 {} 课", self.lesson_no));
        }
        if self.cancelled {
            parts.push("已取消".into());
        }
        parts.join(" · ")
    }
}

/// The roster as one table (one sheet); one column per registration question at the end.
pub fn table(head: &Head, lines: &[Line]) -> Table {
    let mut headers = vec![
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
        "豁免原因",
    ];
    headers.extend(head.questions.iter().map(String::as_str));
    let mut t = Table::new("名单", &headers);
    for (i, l) in lines.iter().enumerate() {
        let mut row = vec![
            Cell::Int(i as i64 + 1),
            Cell::Int(l.booking_id),
            l.name.clone().into(),
            l.is_family_member.into(),
            l.phone.clone().into(),
            status_label(&l.status).into(),
            l.waitlist_position.into(),
            china_time(&l.booked_at).into(),
            l.checked_in_at.as_deref().map(china_time).into(),
            l.no_show.into(),
            (l.no_show && l.waived_at.is_some()).into(),
            l.waive_reason.clone().into(),
        ];
        row.extend(
            (0..head.questions.len())
                .map(|k| Cell::from(l.answers.get(k).cloned().unwrap_or_default())),
        );
        t.push(row);
    }
    t
}

/// The sign-in sheet's content: people holding a seat, in booking order.
pub fn sign_in_lines(lines: &[Line]) -> Vec<(String, String)> {
    let mut seated: Vec<&Line> = lines.iter().filter(|l| l.status == "confirmed").collect();
    seated.sort_by_key(|l| l.booking_id);
    seated
        .into_iter()
        .map(|l| (l.name.clone(), l.phone.clone()))
        .collect()
}

pub fn sign_in_sheet(head: &Head, lines: &[Line]) -> ApiResult<Vec<u8>> {
    let rows = sign_in_lines(lines);
    crate::export::sign_in_sheet(&SignInSheet {
        title: &format!("{} 签到表", head.title),
        subtitle: &format!("{} · 共 {} 人", head.particulars(), rows.len()),
        rows: &rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_is_utc_plus_eight() {
        assert_eq!(china_time("2026-12-05T06:30:00Z"), "2026-12-05 14:30");
        assert_eq!(china_time("2026-12-05T17:00:00Z"), "2026-12-06 01:00");
        assert_eq!(china_time("not a time"), "");
    }
}
