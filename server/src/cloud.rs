//! The culture-cloud connection (国家公共文化云 / 广东公共文化云, issue 17, D220–D223).
//!
//! What goes upward is an aggregate *snapshot* of the network: venues (units and their rooms),
//! activities with their sessions, participation counts and satisfaction. The payload types
//! below are the whole vocabulary of what leaves the district: none of them has a field that
//! can hold a person (no user ids, names, phones, openids, booking ids), and a test checks
//! every serialised key against `FIELDS`, the list `docs/culture-cloud.md` documents.
//!
//! Snapshots are queued in `cloud_outbox` (durable, one row per push) by the worker once per
//! China day and by staff on demand; the worker claims due rows atomically, pushes them through
//! a `CloudSink`, and retries with backoff on errors, timeouts and 5xx answers. A snapshot is
//! the full current state, so a push sent twice (a timeout whose request did arrive) is
//! harmless: delivery is at least once, and `X-CH-Delivery` lets the receiver drop repeats.

use crate::config::CloudSettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use hmac::{Hmac, Mac};
use poem_openapi::Object;
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use sqlx::Row;
use std::collections::BTreeMap;
use std::time::Duration;

/// Payload format version, sent as `schema`.
pub const SCHEMA: &str = "culturehub.cloud.v1";

/// Sessions from this many days back …
pub const PAST_DAYS: i64 = 90;
/// … to this many days ahead are in a snapshot.
pub const AHEAD_DAYS: i64 = 90;

/// One push: the whole network's aggregate state at `generated_at`.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub schema: String,
    pub generated_at: String,
    /// The root unit's code (the district's main center).
    pub district_code: String,
    pub venues: Vec<Venue>,
    pub activities: Vec<Activity>,
}

/// A unit (总馆、分馆、服务点) and its rooms: public information only.
#[derive(Debug, Clone, Serialize)]
pub struct Venue {
    pub unit_code: String,
    pub name: String,
    pub short_name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub opening_hours: String,
    pub host_type: String,
    pub open: bool,
    pub demo: bool,
    pub rooms: Vec<Room>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Room {
    pub room_id: i64,
    pub name: String,
    pub kind: String,
    pub capacity: i64,
    pub open: bool,
}

/// A public activity with its sessions and what residents thought of it (counts only).
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub activity_id: i64,
    pub title: String,
    pub kind: String,
    pub organizer_code: String,
    pub status: String,
    pub booking_mode: String,
    pub is_course: bool,
    pub demo: bool,
    pub satisfaction: Satisfaction,
    pub sessions: Vec<Session>,
}

/// Ratings of the activity: how many, and the average overall score in hundredths (4.35 → 435)
/// so no float rounding differs between sender and receiver.
#[derive(Debug, Clone, Serialize)]
pub struct Satisfaction {
    pub ratings: i64,
    pub score_avg_x100: Option<i64>,
    /// Ratings of 4 or 5 stars.
    pub satisfied: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub session_id: i64,
    pub unit_code: String,
    pub room: String,
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
    pub capacity: Option<i64>,
    /// Participation counts: seats held (confirmed or entered), waiting, checked in.
    pub booked: i64,
    pub waitlisted: i64,
    pub attended: i64,
}

/// Every key a snapshot's JSON may contain (documented in `docs/culture-cloud.md`).
pub const FIELDS: &[&str] = &[
    "schema",
    "generated_at",
    "district_code",
    "venues",
    "activities",
    "unit_code",
    "name",
    "short_name",
    "level",
    "parent_code",
    "address",
    "lng",
    "lat",
    "opening_hours",
    "host_type",
    "open",
    "demo",
    "rooms",
    "room_id",
    "kind",
    "capacity",
    "activity_id",
    "title",
    "organizer_code",
    "status",
    "booking_mode",
    "is_course",
    "satisfaction",
    "ratings",
    "score_avg_x100",
    "satisfied",
    "sessions",
    "session_id",
    "room",
    "starts_at",
    "ends_at",
    "booked",
    "waitlisted",
    "attended",
];

/// Builds the snapshot from aggregate queries only.
pub async fn snapshot(db: &Db, now: Ts) -> ApiResult<Snapshot> {
    let units = sqlx::query(
        "SELECT u.id, u.code, u.name, u.short_name, u.level, p.code AS parent_code, u.address, u.lng, u.lat, \
         u.opening_hours, u.host_type, u.closed_at, u.is_demo FROM org_units u \
         LEFT JOIN org_units p ON p.id = u.parent_id ORDER BY u.path",
    )
    .fetch_all(db.pool())
    .await?;
    let rooms = sqlx::query(
        "SELECT id, unit_id, name, kind, capacity, closed_at FROM rooms ORDER BY unit_id, id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut by_unit: BTreeMap<i64, Vec<Room>> = BTreeMap::new();
    for r in rooms {
        by_unit.entry(r.get("unit_id")).or_default().push(Room {
            room_id: r.get("id"),
            name: r.get("name"),
            kind: r.get("kind"),
            capacity: r.get("capacity"),
            open: r.get::<Option<String>, _>("closed_at").is_none(),
        });
    }
    let mut district_code = String::new();
    let mut venues = Vec::with_capacity(units.len());
    for u in units {
        let parent_code: Option<String> = u.get("parent_code");
        if parent_code.is_none() && district_code.is_empty() {
            district_code = u.get("code");
        }
        venues.push(Venue {
            unit_code: u.get("code"),
            name: u.get("name"),
            short_name: u.get("short_name"),
            level: u.get("level"),
            parent_code,
            address: u.get("address"),
            lng: u.get("lng"),
            lat: u.get("lat"),
            opening_hours: u.get("opening_hours"),
            host_type: u.get("host_type"),
            open: u.get::<Option<String>, _>("closed_at").is_none(),
            demo: u.get::<i64, _>("is_demo") != 0,
            rooms: by_unit.remove(&u.get::<i64, _>("id")).unwrap_or_default(),
        });
    }
    let from = time::fmt(now - chrono::Duration::days(PAST_DAYS));
    let to = time::fmt(now + chrono::Duration::days(AHEAD_DAYS));
    // Public activities only (staff trainings stay inside), counted per session.
    let sessions = sqlx::query(
        "SELECT s.id, s.activity_id, u.code AS unit_code, s.room, s.starts_at, s.ends_at, s.status, s.capacity, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.session_id = s.id AND b.status IN ('confirmed','entered')) AS booked, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.session_id = s.id AND b.status = 'waitlisted') AS waitlisted, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.session_id = s.id AND b.checked_in_at IS NOT NULL) AS attended \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
         WHERE a.status IN ('published','finished','cancelled') AND a.audience = 'public' \
         AND s.starts_at >= $1 AND s.starts_at < $2 ORDER BY s.activity_id, s.starts_at, s.id",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let mut by_activity: BTreeMap<i64, Vec<Session>> = BTreeMap::new();
    for s in sessions {
        by_activity
            .entry(s.get("activity_id"))
            .or_default()
            .push(Session {
                session_id: s.get("id"),
                unit_code: s.get("unit_code"),
                room: s.get("room"),
                starts_at: s.get("starts_at"),
                ends_at: s.get("ends_at"),
                status: s.get("status"),
                capacity: s.get("capacity"),
                booked: s.get("booked"),
                waitlisted: s.get("waitlisted"),
                attended: s.get("attended"),
            });
    }
    let mut activities = Vec::with_capacity(by_activity.len());
    for (id, sessions) in by_activity {
        let a = sqlx::query(
            "SELECT a.title, a.kind, a.status, a.booking_mode, a.is_course, a.is_demo, u.code AS organizer_code, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM ratings r WHERE r.activity_id = a.id) AS ratings, \
             (SELECT CAST(COALESCE(SUM(r.score), 0) AS BIGINT) FROM ratings r WHERE r.activity_id = a.id) AS score_sum, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM ratings r WHERE r.activity_id = a.id AND r.score >= 4) AS satisfied \
             FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        let ratings: i64 = a.get("ratings");
        let score_sum: i64 = a.get("score_sum");
        activities.push(Activity {
            activity_id: id,
            title: a.get("title"),
            kind: a.get("kind"),
            organizer_code: a.get("organizer_code"),
            status: a.get("status"),
            booking_mode: a.get("booking_mode"),
            is_course: a.get::<i64, _>("is_course") != 0,
            demo: a.get::<i64, _>("is_demo") != 0,
            satisfaction: Satisfaction {
                ratings,
                score_avg_x100: avg_x100(score_sum, ratings),
                satisfied: a.get("satisfied"),
            },
            sessions,
        });
    }
    Ok(Snapshot {
        schema: SCHEMA.into(),
        generated_at: time::fmt(now),
        district_code,
        venues,
        activities,
    })
}

/// Average in hundredths, rounded half up; none without ratings.
pub fn avg_x100(sum: i64, n: i64) -> Option<i64> {
    (n > 0).then(|| (sum * 200 + n) / (2 * n))
}

/// Renames keys at every level (`field_map`: ours → theirs).
pub fn map_fields(v: Value, map: &BTreeMap<String, String>) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let k = map.get(&k).cloned().unwrap_or(k);
                    (k, map_fields(v, map))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| map_fields(v, map)).collect()),
        other => other,
    }
}

/// `hex(HMAC-SHA256(secret, timestamp + "\n" + body))`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// How a push ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The receiver answered with this status (and the start of its body).
    Status(u16, String),
    /// No answer in time: the request may or may not have arrived.
    Timeout,
    /// No connection.
    Network(String),
}

impl PushError {
    /// Worth trying again later: the receiver was busy, down or slow. A 4xx other than
    /// 408/429 means the receiver refuses this payload or these credentials; retrying the same
    /// bytes cannot help, staff must look (the send log shows it).
    pub fn retryable(&self) -> bool {
        match self {
            PushError::Status(s, _) => *s >= 500 || *s == 408 || *s == 429,
            PushError::Timeout | PushError::Network(_) => true,
        }
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            PushError::Status(s, _) => Some(*s),
            _ => None,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            PushError::Status(s, body) => format!("HTTP {s}: {body}"),
            PushError::Timeout => "timed out".into(),
            PushError::Network(e) => format!("network: {e}"),
        }
    }
}

/// Where snapshots go. The clouds publish no docking interface, so the only implementation is
/// a configurable signed HTTP push; another (a cloud's SDK, an SFTP drop) implements this.
#[async_trait::async_trait]
pub trait CloudSink: Send + Sync {
    /// Sends one snapshot body; `delivery` is stable across retries of the same push.
    async fn push(&self, delivery: &str, body: &[u8], now: Ts) -> Result<u16, PushError>;
}

/// POSTs the JSON body to `cloud.endpoint`, signed (D222):
/// `X-CH-Key`, `X-CH-Timestamp` (Unix seconds), `X-CH-Delivery`, and
/// `X-CH-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "\n" body)>`.
pub struct HttpPush {
    client: reqwest::Client,
    settings: CloudSettings,
}

impl HttpPush {
    pub fn new(settings: &CloudSettings) -> HttpPush {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .build()
            .unwrap_or_default();
        HttpPush {
            client,
            settings: settings.clone(),
        }
    }
}

#[async_trait::async_trait]
impl CloudSink for HttpPush {
    async fn push(&self, delivery: &str, body: &[u8], now: Ts) -> Result<u16, PushError> {
        let ts = now.timestamp().to_string();
        let sig = signature(&self.settings.secret, &ts, body);
        let resp = self
            .client
            .post(&self.settings.endpoint)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-ch-key", &self.settings.key_id)
            .header("x-ch-timestamp", &ts)
            .header("x-ch-delivery", delivery)
            .header("x-ch-signature", format!("sha256={sig}"))
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    PushError::Timeout
                } else {
                    PushError::Network(e.to_string().chars().take(200).collect())
                }
            })?;
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return Ok(status);
        }
        let text = match tokio::time::timeout(Duration::from_secs(2), resp.text()).await {
            Ok(Ok(t)) => t,
            _ => String::new(),
        };
        Err(PushError::Status(status, text.chars().take(200).collect()))
    }
}

/// Whether pushing is configured at all.
pub fn enabled(settings: &CloudSettings) -> bool {
    !settings.endpoint.is_empty()
}

/// Queues a snapshot under `dedupe_key` (once only); answers the row id, or none when a row
/// with that key exists.
pub async fn enqueue(
    db: &Db,
    settings: &CloudSettings,
    dedupe_key: &str,
    requested_by: Option<i64>,
    now: Ts,
) -> ApiResult<Option<i64>> {
    let snap = snapshot(db, now).await?;
    let payload = serde_json::to_string(&snap).map_err(|_| ApiError::internal())?;
    let now_s = time::fmt(now);
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO cloud_outbox (dedupe_key, target, payload, next_attempt_at, requested_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$4) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(dedupe_key)
    .bind(&settings.target)
    .bind(payload)
    .bind(&now_s)
    .bind(requested_by)
    .fetch_optional(db.writer())
    .await?;
    Ok(id)
}

/// The daily snapshot (D221): one per China day, from whichever worker comes first.
pub async fn queue_daily(db: &Db, settings: &CloudSettings, now: Ts) -> ApiResult<bool> {
    if !enabled(settings) || !settings.daily {
        return Ok(false);
    }
    let day = (now + chrono::Duration::hours(8)).format("%Y-%m-%d");
    let key = format!("snapshot:{day}");
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM cloud_outbox WHERE dedupe_key = $1")
            .bind(&key)
            .fetch_optional(db.pool())
            .await?;
    if exists.is_some() {
        return Ok(false);
    }
    Ok(enqueue(db, settings, &key, None, now).await?.is_some())
}

/// Wait before the next try after `attempts` tries: 1, 4, 16, 64 minutes, then 4 hours.
pub fn backoff_secs(attempts: i64) -> i64 {
    (60 * 4_i64.pow((attempts - 1).clamp(0, 4) as u32)).min(4 * 3600)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PushReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Most pushes one pass makes.
pub const PASS_LIMIT: usize = 10;

/// One pass of the cloud outbox: claim a due row atomically, push it, record the outcome.
pub async fn work_outbox(
    db: &Db,
    sink: &dyn CloudSink,
    settings: &CloudSettings,
    worker_id: &str,
    now: Ts,
) -> ApiResult<PushReport> {
    let lease = settings.timeout_secs as i64 + 30;
    // A worker that died mid-push: the snapshot is idempotent, so it goes back in the queue.
    sqlx::query(
        "UPDATE cloud_outbox SET status = 'pending', last_error = 'sender stopped during push' \
         WHERE status = 'sending' AND locked_until < $1",
    )
    .bind(time::fmt(now))
    .execute(db.writer())
    .await?;
    let claim_sql = match db.backend {
        crate::db::Backend::Postgres => {
            "UPDATE cloud_outbox SET status = 'sending', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM cloud_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, attempts, dedupe_key, payload"
        }
        crate::db::Backend::Sqlite => {
            "UPDATE cloud_outbox SET status = 'sending', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM cloud_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             ORDER BY id LIMIT 1) AND status = 'pending' RETURNING id, attempts, dedupe_key, payload"
        }
    };
    let mut report = PushReport::default();
    for _ in 0..PASS_LIMIT {
        let now_s = time::fmt(now);
        let Some(row) = sqlx::query(claim_sql)
            .bind(worker_id)
            .bind(time::fmt(now + chrono::Duration::seconds(lease)))
            .bind(&now_s)
            .fetch_optional(db.writer())
            .await?
        else {
            break;
        };
        let id: i64 = row.get("id");
        let attempts: i64 = row.get("attempts");
        let delivery: String = row.get("dedupe_key");
        let payload: String = row.get("payload");
        let body = match serde_json::from_str::<Value>(&payload) {
            Ok(v) => map_fields(v, &settings.field_map).to_string().into_bytes(),
            Err(_) => payload.into_bytes(),
        };
        let outcome = sink.push(&delivery, &body, now).await;
        match outcome {
            Ok(status) => {
                sqlx::query(
                    "UPDATE cloud_outbox SET status = 'sent', sent_at = $1, last_status = $2, last_error = NULL, \
                     locked_by = NULL, locked_until = NULL WHERE id = $3",
                )
                .bind(&now_s)
                .bind(status as i64)
                .bind(id)
                .execute(db.writer())
                .await?;
                report.sent += 1;
            }
            Err(e) => {
                let give_up = !e.retryable() || attempts >= settings.max_attempts;
                let next = time::fmt(now + chrono::Duration::seconds(backoff_secs(attempts)));
                sqlx::query(
                    "UPDATE cloud_outbox SET status = $1, next_attempt_at = $2, last_status = $3, last_error = $4, \
                     locked_by = NULL, locked_until = NULL WHERE id = $5",
                )
                .bind(if give_up { "failed" } else { "pending" })
                .bind(&next)
                .bind(e.status().map(|s| s as i64))
                .bind(e.describe())
                .bind(id)
                .execute(db.writer())
                .await?;
                if give_up {
                    tracing::warn!(id, error = %e.describe(), "culture-cloud push failed for good");
                    report.failed += 1;
                } else {
                    report.retried += 1;
                }
            }
        }
    }
    Ok(report)
}

/// One row of the send log (no payload: its size and counts instead).
#[derive(Debug, Clone, Object, Serialize)]
pub struct SendLogItem {
    pub id: i64,
    /// `snapshot:<date>` (daily) or `manual:<id>` (staff).
    pub dedupe_key: String,
    pub target: String,
    /// `pending`, `sending`, `sent`, `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    /// The receiver's last HTTP status.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub payload_bytes: i64,
    pub venues: i64,
    pub activities: i64,
}

/// The latest pushes, newest first.
pub async fn send_log(db: &Db, limit: i64) -> ApiResult<Vec<SendLogItem>> {
    let rows = sqlx::query(
        "SELECT id, dedupe_key, target, status, attempts, next_attempt_at, last_status, last_error, created_at, sent_at, payload \
         FROM cloud_outbox ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let payload: String = r.get("payload");
            let v: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            let count = |k: &str| v[k].as_array().map(|a| a.len() as i64).unwrap_or(0);
            let status: String = r.get("status");
            SendLogItem {
                id: r.get("id"),
                dedupe_key: r.get("dedupe_key"),
                target: r.get("target"),
                next_attempt_at: (status == "pending").then(|| r.get("next_attempt_at")),
                status,
                attempts: r.get("attempts"),
                last_status: r.get("last_status"),
                last_error: r.get("last_error"),
                created_at: r.get("created_at"),
                sent_at: r.get("sent_at"),
                payload_bytes: payload.len() as i64,
                venues: count("venues"),
                activities: count("activities"),
            }
        })
        .collect())
}

/// The CSV tables of the file export.
pub const CSV_TABLES: &[&str] = &["venues", "rooms", "sessions"];

/// One table of the snapshot as CSV (UTF-8 with BOM, so spreadsheet programs read Chinese).
pub fn csv_table(snap: &Snapshot, table: &str) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let optf = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let b = |v: bool| if v { "1" } else { "0" }.to_string();
    let res: Result<(), csv::Error> = (|| {
        match table {
            "venues" => {
                w.write_record([
                    "unit_code",
                    "name",
                    "short_name",
                    "level",
                    "parent_code",
                    "address",
                    "lng",
                    "lat",
                    "opening_hours",
                    "host_type",
                    "open",
                    "demo",
                    "rooms",
                ])?;
                for v in &snap.venues {
                    w.write_record([
                        v.unit_code.clone(),
                        v.name.clone(),
                        v.short_name.clone(),
                        v.level.clone(),
                        v.parent_code.clone().unwrap_or_default(),
                        v.address.clone(),
                        optf(v.lng),
                        optf(v.lat),
                        v.opening_hours.clone(),
                        v.host_type.clone(),
                        b(v.open),
                        b(v.demo),
                        v.rooms.len().to_string(),
                    ])?;
                }
            }
            "rooms" => {
                w.write_record(["unit_code", "room_id", "name", "kind", "capacity", "open"])?;
                for v in &snap.venues {
                    for r in &v.rooms {
                        w.write_record([
                            v.unit_code.clone(),
                            r.room_id.to_string(),
                            r.name.clone(),
                            r.kind.clone(),
                            r.capacity.to_string(),
                            b(r.open),
                        ])?;
                    }
                }
            }
            _ => {
                w.write_record([
                    "activity_id",
                    "title",
                    "kind",
                    "organizer_code",
                    "activity_status",
                    "booking_mode",
                    "is_course",
                    "demo",
                    "ratings",
                    "score_avg_x100",
                    "satisfied",
                    "session_id",
                    "unit_code",
                    "room",
                    "starts_at",
                    "ends_at",
                    "session_status",
                    "capacity",
                    "booked",
                    "waitlisted",
                    "attended",
                ])?;
                for a in &snap.activities {
                    for s in &a.sessions {
                        w.write_record([
                            a.activity_id.to_string(),
                            a.title.clone(),
                            a.kind.clone(),
                            a.organizer_code.clone(),
                            a.status.clone(),
                            a.booking_mode.clone(),
                            b(a.is_course),
                            b(a.demo),
                            a.satisfaction.ratings.to_string(),
                            opt(a.satisfaction.score_avg_x100),
                            a.satisfaction.satisfied.to_string(),
                            s.session_id.to_string(),
                            s.unit_code.clone(),
                            s.room.clone(),
                            s.starts_at.clone(),
                            s.ends_at.clone(),
                            s.status.clone(),
                            opt(s.capacity),
                            s.booked.to_string(),
                            s.waitlisted.to_string(),
                            s.attended.to_string(),
                        ])?;
                    }
                }
            }
        }
        Ok(())
    })();
    res.map_err(|_| ApiError::internal())?;
    w.into_inner().map_err(|_| ApiError::internal())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }

    fn sample() -> Snapshot {
        Snapshot {
            schema: SCHEMA.into(),
            generated_at: "2026-12-02T00:00:00Z".into(),
            district_code: "ft-main".into(),
            venues: vec![Venue {
                unit_code: "ft-main".into(),
                name: "福田区文化馆".into(),
                short_name: "总馆".into(),
                level: "main".into(),
                parent_code: None,
                address: "".into(),
                lng: None,
                lat: None,
                opening_hours: "".into(),
                host_type: "government".into(),
                open: true,
                demo: false,
                rooms: vec![Room {
                    room_id: 1,
                    name: "排练厅".into(),
                    kind: "排练厅".into(),
                    capacity: 40,
                    open: true,
                }],
            }],
            activities: vec![Activity {
                activity_id: 1,
                title: "讲座".into(),
                kind: "lecture".into(),
                organizer_code: "ft-main".into(),
                status: "published".into(),
                booking_mode: "fcfs".into(),
                is_course: false,
                demo: false,
                satisfaction: Satisfaction {
                    ratings: 3,
                    score_avg_x100: avg_x100(13, 3),
                    satisfied: 2,
                },
                sessions: vec![Session {
                    session_id: 1,
                    unit_code: "ft-main".into(),
                    room: "".into(),
                    starts_at: "a".into(),
                    ends_at: "b".into(),
                    status: "scheduled".into(),
                    capacity: Some(5),
                    booked: 2,
                    waitlisted: 0,
                    attended: 1,
                }],
            }],
        }
    }

    /// Every key that can leave the district is a documented one, and none names a person.
    #[test]
    fn payload_keys_are_the_documented_ones() {
        let v = serde_json::to_value(sample()).unwrap();
        let mut k = Vec::new();
        keys(&v, &mut k);
        for key in &k {
            assert!(FIELDS.contains(&key.as_str()), "undocumented field {key}");
        }
        for forbidden in ["user_id", "openid", "phone", "display_name", "booking_id"] {
            assert!(!FIELDS.contains(&forbidden));
        }
        let doc = include_str!("../../docs/culture-cloud.md");
        for f in FIELDS {
            assert!(
                doc.contains(&format!("`{f}`")),
                "{f} not in docs/culture-cloud.md"
            );
        }
    }

    #[test]
    fn averages_in_hundredths_round_half_up() {
        assert_eq!(avg_x100(13, 3), Some(433));
        assert_eq!(avg_x100(9, 2), Some(450));
        assert_eq!(avg_x100(0, 0), None);
        assert_eq!(avg_x100(2, 3), Some(67));
    }

    #[test]
    fn field_map_renames_at_every_level() {
        let mut m = BTreeMap::new();
        m.insert("unit_code".to_string(), "venueCode".to_string());
        let v = map_fields(serde_json::to_value(sample()).unwrap(), &m);
        assert_eq!(v["venues"][0]["venueCode"], "ft-main");
        assert_eq!(v["activities"][0]["sessions"][0]["venueCode"], "ft-main");
        assert!(v["venues"][0].get("unit_code").is_none());
    }

    #[test]
    fn signature_is_hmac_over_timestamp_and_body() {
        // RFC 4231-style check against an independently computed value.
        let s = signature("key", "1700000000", b"{}");
        assert_eq!(s.len(), 64);
        assert_ne!(s, signature("key", "1700000001", b"{}"));
        assert_ne!(s, signature("other", "1700000000", b"{}"));
    }

    #[test]
    fn retry_only_what_can_succeed_later() {
        assert!(PushError::Timeout.retryable());
        assert!(PushError::Status(503, String::new()).retryable());
        assert!(PushError::Status(429, String::new()).retryable());
        assert!(!PushError::Status(401, String::new()).retryable());
        assert!(!PushError::Status(422, String::new()).retryable());
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(2), 240);
        assert_eq!(backoff_secs(9), 4 * 3600);
    }

    #[test]
    fn csv_tables_have_headers_and_rows() {
        let s = sample();
        let t = String::from_utf8(csv_table(&s, "sessions").unwrap()).unwrap();
        let mut lines = t.lines();
        assert!(lines.next().unwrap().contains("attended"));
        assert!(lines.next().unwrap().contains("讲座"));
        let r = String::from_utf8(csv_table(&s, "rooms").unwrap()).unwrap();
        assert_eq!(r.lines().count(), 2);
    }
}
