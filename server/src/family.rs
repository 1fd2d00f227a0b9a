//! Family members a resident books for (children, elders). A child under 14 is only kept with
//! the guardian's recorded consent (PIPL art. 31); withdrawing consent removes the child.

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::rules::age_on;
use chrono::NaiveDate;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub const RELATIONS: [&str; 4] = ["child", "elder", "spouse", "other"];
pub const CONSENT_AGE: i64 = 14;

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewMember {
    #[oai(validator(min_length = 1, max_length = 20))]
    pub name: String,
    /// `child`, `elder`, `spouse` or `other`.
    pub relation: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// Required (true) for a child under 14: I am the guardian and agree to this processing.
    pub guardian_consent: Option<bool>,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub relation: String,
    pub birth_date: String,
    pub age: i64,
    pub guardian_consent_at: Option<String>,
}

pub fn parse_birth(s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("出生日期格式应为 2015-06-01"))
}

/// Today's date in China (UTC+8), which is what ages are counted in.
pub fn china_date(now: crate::time::Ts) -> NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}

pub async fn add(db: &Db, user_id: i64, m: &NewMember, now: crate::time::Ts) -> ApiResult<Member> {
    let name = m.name.trim();
    if name.is_empty() {
        return Err(ApiError::validation("姓名不能为空"));
    }
    if !RELATIONS.contains(&m.relation.as_str()) {
        return Err(ApiError::validation(
            "关系只能是 child、elder、spouse 或 other",
        ));
    }
    let birth = parse_birth(&m.birth_date)?;
    let today = china_date(now);
    if birth > today || age_on(birth, today) > 120 {
        return Err(ApiError::validation("出生日期不合理"));
    }
    let age = age_on(birth, today);
    let consent = if age < CONSENT_AGE {
        if m.guardian_consent != Some(true) {
            return Err(ApiError::new(
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                "guardian_consent_required",
                "为 14 周岁以下儿童登记信息，需要监护人同意",
            ));
        }
        Some(crate::time::fmt(now))
    } else {
        None
    };
    let count: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM family_members WHERE user_id = $1 AND deleted_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    if count >= 10 {
        return Err(ApiError::conflict(
            "too_many_family_members",
            "最多登记 10 位家庭成员",
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO family_members (user_id, name, relation, birth_date, guardian_consent_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(&m.relation)
    .bind(birth.format("%Y-%m-%d").to_string())
    .bind(&consent)
    .bind(crate::time::fmt(now))
    .fetch_one(db.writer())
    .await?;
    Ok(Member {
        id,
        name: name.into(),
        relation: m.relation.clone(),
        birth_date: birth.format("%Y-%m-%d").to_string(),
        age,
        guardian_consent_at: consent,
    })
}

pub async fn list(db: &Db, user_id: i64, now: crate::time::Ts) -> ApiResult<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT id, name, relation, birth_date, guardian_consent_at FROM family_members \
         WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let today = china_date(now);
    Ok(rows
        .iter()
        .map(|r| {
            let birth: String = r.get("birth_date");
            Member {
                id: r.get("id"),
                name: r.get("name"),
                relation: r.get("relation"),
                age: parse_birth(&birth).map(|b| age_on(b, today)).unwrap_or(0),
                birth_date: birth,
                guardian_consent_at: r.get("guardian_consent_at"),
            }
        })
        .collect())
}

/// Removes a member: their future bookings are cancelled (the seats go to the next in line),
/// name and birth date are erased; past bookings keep only the link.
pub async fn remove(db: &Db, user_id: i64, id: i64, now: &str) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let active = sqlx::query(
        "SELECT b.id, b.session_id, b.status FROM bookings b JOIN sessions s ON s.id = b.session_id \
         WHERE b.family_member_id = $1 AND b.user_id = $2 AND b.status <> 'cancelled' AND s.starts_at > $3 \
         AND b.checked_in_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for b in active {
        // A member already admitted keeps the seat they are sitting in.
        match crate::booking::cancel_in(
            &mut tx,
            b.get("id"),
            b.get("session_id"),
            &b.get::<String, _>("status"),
            "家庭成员已移除",
            now,
        )
        .await
        {
            Err(e) if e.code == "already_checked_in" => {}
            r => r?,
        }
    }
    let res = sqlx::query(
        "UPDATE family_members SET name = '', birth_date = '1900-01-01', guardian_consent_at = NULL, deleted_at = $1 \
         WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 0 {
        return Err(ApiError::not_found("该家庭成员"));
    }
    tx.commit().await?;
    Ok(())
}

/// The attendee of a booking: the account holder, or one of their family members.
#[derive(Debug, Clone)]
pub struct Attendee {
    pub key: String,
    pub family_member_id: Option<i64>,
    pub name: String,
    /// Age on the session date; None for the account holder (taken to be an adult).
    pub age: Option<i64>,
}

pub async fn attendee(
    db: &Db,
    user_id: i64,
    member: Option<i64>,
    on: NaiveDate,
) -> ApiResult<Attendee> {
    let Some(mid) = member else {
        return Ok(Attendee {
            key: format!("u:{user_id}"),
            family_member_id: None,
            name: "本人".into(),
            age: None,
        });
    };
    let r = sqlx::query(
        "SELECT name, birth_date, guardian_consent_at FROM family_members WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(mid)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该家庭成员"))?;
    let birth = parse_birth(&r.get::<String, _>("birth_date"))?;
    let age = age_on(birth, on);
    if age < CONSENT_AGE && r.get::<Option<String>, _>("guardian_consent_at").is_none() {
        return Err(ApiError::new(
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
            "guardian_consent_required",
            "为 14 周岁以下儿童预约，需要监护人同意",
        ));
    }
    Ok(Attendee {
        key: format!("f:{mid}"),
        family_member_id: Some(mid),
        name: r.get("name"),
        age: Some(age),
    })
}

/// Whether the attendee fits the audience's age range.
pub fn check_age(a: &Attendee, min: Option<i64>, max: Option<i64>) -> ApiResult<()> {
    match a.age {
        None => {
            // The account holder is an adult; children's activities are booked for a family member.
            if max.is_some_and(|m| m < 18) {
                return Err(ApiError::new(
                    poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "age_not_allowed",
                    format!(
                        "该活动面向 {} 岁以下，请为家庭成员中的儿童预约",
                        max.unwrap_or(0) + 1
                    ),
                ));
            }
            Ok(())
        }
        Some(age) => {
            let ok = min.is_none_or(|m| age >= m) && max.is_none_or(|m| age <= m);
            if ok {
                Ok(())
            } else {
                Err(ApiError::new(
                    poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "age_not_allowed",
                    format!(
                        "该活动面向 {}–{} 岁，{}不符合年龄要求",
                        min.unwrap_or(0),
                        max.map(|m| m.to_string()).unwrap_or_else(|| "不限".into()),
                        a.name
                    ),
                ))
            }
        }
    }
}
