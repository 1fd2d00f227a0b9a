//! The background worker: due lottery draws, reminders, finished activities, the outbox.
//! Every step is safe to run from several server instances at once (atomic claims, unique
//! dedupe keys), and `pass` can be called directly by tests with a controlled clock.

use crate::error::ApiResult;
use crate::notify::{self, PassReport};
use crate::state::AppState;
use crate::time::{self, Ts};
use sqlx::Row;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Asks a worker to stop: it finishes the message whose send is under way and claims no more.
#[derive(Clone, Default)]
pub struct Stop {
    flag: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
}

impl Stop {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }
    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
    /// Resolves once `stop` has been called.
    pub async fn stopped(&self) {
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            woken.await;
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub draws: usize,
    pub reminders: usize,
    pub finished: u64,
    pub outbox: PassReport,
    /// Culture-cloud pushes (D221).
    pub cloud: crate::cloud::PushReport,
}

/// Queues reminders due by `now`: for each configured lead time, confirmed bookings whose
/// session (each lesson of a course) starts within it — unless booked after that moment.
pub async fn queue_reminders(st: &AppState, now: Ts) -> ApiResult<usize> {
    let leads = st.settings.booking.reminder_minutes.clone();
    let Some(max) = leads.iter().copied().max() else {
        return Ok(0);
    };
    let now_s = time::fmt(now);
    let rows = sqlx::query(
        "SELECT b.id, b.user_id, b.confirmed_at, a.title, l.id AS lesson_id, l.starts_at, u.short_name \
         FROM bookings b JOIN activities a ON a.id = b.activity_id \
         JOIN sessions l ON (l.id = b.session_id OR (a.is_course = 1 AND l.activity_id = a.id)) \
         JOIN org_units u ON u.id = l.unit_id \
         WHERE b.status = 'confirmed' AND a.status = 'published' AND l.status = 'scheduled' \
         AND l.starts_at > $1 AND l.starts_at <= $2",
    )
    .bind(&now_s)
    .bind(time::fmt(now + chrono::Duration::minutes(max)))
    .fetch_all(st.db.pool())
    .await?;
    let mut queued = 0;
    let mut tx = st.db.begin().await?;
    for r in rows {
        let Some(starts) = time::parse(&r.get::<String, _>("starts_at")) else {
            continue;
        };
        let confirmed = r
            .get::<Option<String>, _>("confirmed_at")
            .as_deref()
            .and_then(time::parse);
        for m in &leads {
            let moment = starts - chrono::Duration::minutes(*m);
            if now < moment || confirmed.is_some_and(|c| c > moment) {
                continue;
            }
            let id: i64 = r.get("id");
            let lesson: i64 = r.get("lesson_id");
            let note = if *m >= 24 * 60 {
                "明天就要开始了，请合理安排时间"
            } else {
                "活动即将开始，请按时到场"
            };
            notify::enqueue(
                &mut tx,
                r.get("user_id"),
                "session_reminder",
                &format!("reminder:{id}:{lesson}:{m}"),
                Some(&format!("pages/booking/detail?id={id}")),
                &notify::fields(
                    &r.get::<String, _>("title"),
                    starts,
                    &r.get::<String, _>("short_name"),
                    note,
                ),
                &now_s,
            )
            .await?;
            queued += 1;
        }
    }
    tx.commit().await?;
    Ok(queued)
}

pub async fn mark_finished(st: &AppState, now: Ts) -> ApiResult<u64> {
    Ok(sqlx::query(
        "UPDATE activities SET status = 'finished', updated_at = $1 WHERE status = 'published' \
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = activities.id AND s.ends_at > $1)",
    )
    .bind(time::fmt(now))
    .execute(st.db.writer())
    .await?
    .rows_affected())
}

/// One pass of everything.
pub async fn pass(st: &AppState, worker_id: &str) -> ApiResult<Report> {
    pass_until(st, worker_id, &Stop::default()).await
}

/// One pass that ends early, between two messages, once `stop` is set.
pub async fn pass_until(st: &AppState, worker_id: &str, stop: &Stop) -> ApiResult<Report> {
    let now = st.clock.now();
    let draws = crate::booking::run_due_draws(&st.db, now).await?;
    if draws > 0 {
        st.browse_changed();
    }
    // Volunteers are reminded of approved shifts a day ahead (D254).
    let reminders = queue_reminders(st, now).await?
        + crate::volunteering::queue_reminders(&st.db, 24 * 60, now).await?;
    let finished = mark_finished(st, now).await?;
    let outbox = notify::work_outbox(
        &st.db,
        &st.wechat,
        &st.settings.wechat.templates,
        worker_id,
        now,
        stop,
    )
    .await?;
    let cloud = cloud_pass(st, worker_id, now).await?;
    Ok(Report {
        draws,
        reminders,
        finished,
        outbox,
        cloud,
    })
}

/// The daily culture-cloud snapshot and due pushes; nothing when no endpoint is configured.
pub async fn cloud_pass(
    st: &AppState,
    worker_id: &str,
    now: Ts,
) -> ApiResult<crate::cloud::PushReport> {
    let settings = &st.settings.cloud;
    if !crate::cloud::enabled(settings) {
        return Ok(Default::default());
    }
    crate::cloud::queue_daily(&st.db, settings, now).await?;
    let sink = crate::cloud::HttpPush::new(settings);
    crate::cloud::work_outbox(&st.db, &sink, settings, worker_id, now).await
}

/// Runs `pass` every `worker_interval_secs` until `stop` is set; a pass under way ends after
/// the message it is sending.
pub fn spawn(st: AppState, stop: Stop) -> tokio::task::JoinHandle<()> {
    let id = format!("worker-{}", uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        let every = Duration::from_secs(st.settings.booking.worker_interval_secs.max(1));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.stopped() => return,
            }
            if let Err(e) = pass_until(&st, &id, &stop).await {
                tracing::warn!(error = %e, "worker pass failed; will retry");
            }
            if stop.is_stopped() {
                return;
            }
        }
    })
}
