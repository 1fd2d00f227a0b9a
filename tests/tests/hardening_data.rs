//! Data and promises under restarts and races (issue 10): the outbox across a stopped or
//! killed worker, admitted bookings, retried offline batches, the lottery record, database
//! outages, and two instances racing at start and at sign-in. Each runs on SQLite and on
//! PostgreSQL + Redis; where the finding needed two servers, two instances share the database.

use culturehub_tests::{both, error_code, Act, Backend, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// 1. The outbox across a stopped or killed worker.

/// `n` residents, each with one due message and the permission to receive it.
async fn queue_messages(app: &TestApp, prefix: &str, n: usize) {
    let st = app.state();
    for i in 0..n {
        let openid = format!("{prefix}-{i}");
        let (_, uid) = app.sign_in(&openid).await;
        culturehub::notify::record_grants(&st.db, uid, &["booking_confirmed".to_string()])
            .await
            .unwrap();
        app.fake()
            .grant_subscription(&openid, "tmpl_booking_confirmed", 1);
        let mut tx = st.db.begin().await.unwrap();
        culturehub::notify::enqueue(
            &mut tx,
            uid,
            "booking_confirmed",
            &format!("{prefix}:{i}"),
            None,
            &culturehub::notify::fields("书法公益讲座", st.clock.now(), "园岭", "预约成功"),
            &st.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn outbox_count(app: &TestApp, status: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status = '{status}'"
    ))
    .await
}

async fn wait_for_sent(app: &TestApp, at_least: usize) {
    let t = Instant::now();
    while app.fake().sent_messages().len() < at_least {
        assert!(t.elapsed() < Duration::from_secs(20), "messages never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every resident got exactly one message.
fn each_sent_once(app: &TestApp, prefix: &str, n: usize) {
    let sent = app.fake().sent_messages();
    for i in 0..n {
        let openid = format!("{prefix}-{i}");
        let got = sent.iter().filter(|m| m["touser"] == openid).count();
        assert_eq!(got, 1, "{openid} got {got} messages");
    }
}

/// A graceful stop (what SIGTERM runs) in the middle of a batch: the message under way is
/// finished, nothing else is held, and another instance sends the rest — each exactly once.
async fn outbox_graceful_stop(app: &TestApp) {
    let n = 8;
    queue_messages(app, "o-stop", n).await;
    app.fake()
        .set_delay("subscribe_send", Duration::from_millis(300));
    let other = app
        .instance(|s| {
            s.booking.worker_interval_secs = 1;
            s.shutdown_grace_secs = 5;
        })
        .await;
    wait_for_sent(app, 2).await;
    let t = Instant::now();
    other.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stopped within the grace period"
    );
    let sent = outbox_count(app, "sent").await;
    assert!(
        sent >= 2 && (sent as usize) < n,
        "stopped mid-batch: {sent}"
    );
    assert_eq!(
        outbox_count(app, "sending").await,
        0,
        "no claim left behind"
    );
    assert_eq!(outbox_count(app, "unknown").await, 0, "nothing in doubt");
    assert_eq!(outbox_count(app, "pending").await, n as i64 - sent);
    assert_eq!(app.fake().sent_messages().len() as i64, sent);
    app.fake().set_delay("subscribe_send", Duration::ZERO);
    let r = culturehub::worker::pass(app.state(), "w-next")
        .await
        .unwrap();
    assert_eq!(r.outbox.sent as i64, n as i64 - sent, "{r:?}");
    assert_eq!(outbox_count(app, "sent").await, n as i64);
    each_sent_once(app, "o-stop", n);
}
both!(outbox_stop, outbox_graceful_stop);

/// A worker killed in the middle of a batch (SIGKILL: its task dropped at an await): only
/// the message whose send was under way may end `unknown`; every other one is sent later.
async fn outbox_killed_worker(app: &TestApp) {
    let n = 8;
    queue_messages(app, "o-kill", n).await;
    app.fake()
        .set_delay("subscribe_send", Duration::from_millis(300));
    let st = app.state().clone();
    let doomed = tokio::spawn(async move { culturehub::worker::pass(&st, "w-doomed").await });
    wait_for_sent(app, 2).await;
    doomed.abort();
    let _ = doomed.await;
    assert!(
        outbox_count(app, "sending").await <= 1,
        "a killed worker holds at most the message under way"
    );
    app.fake().set_delay("subscribe_send", Duration::ZERO);
    // After its lease, the message it was sending is in doubt and never sent again.
    app.clock().advance(120);
    culturehub::worker::pass(app.state(), "w-survivor")
        .await
        .unwrap();
    let unknown = outbox_count(app, "unknown").await;
    let sent = outbox_count(app, "sent").await;
    assert!(
        unknown <= 1,
        "only the message under way is in doubt: {unknown}"
    );
    assert_eq!(sent + unknown, n as i64);
    let delivered = app.fake().sent_messages();
    for i in 0..n {
        let openid = format!("o-kill-{i}");
        assert!(delivered.iter().filter(|m| m["touser"] == openid).count() <= 1);
    }
    assert!(delivered.len() as i64 >= sent);
}
both!(outbox_kill, outbox_killed_worker);
