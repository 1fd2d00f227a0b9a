//! A real `culturehub serve` process stopped with SIGTERM or killed with SIGKILL while its
//! worker is in the middle of a batch of notifications (issue 10, item 1). WeChat is the fake
//! server, run by this test with a slow send so the batch is still under way.

use culturehub::config::Templates;
use culturehub::db::Db;
use culturehub::wechat::fake::FakeWechat;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APPID: &str = "wxstoptest0000000";
const SECRET: &str = "stop-test-secret";
const N: usize = 8;

struct Setup {
    dir: std::path::PathBuf,
    url: String,
    fake: FakeWechat,
    base: String,
}

/// A migrated SQLite database with `N` residents, each with one due message and the
/// permission to receive it; the fake WeChat answers each send after 300 ms.
async fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!(
        "culturehub-stop-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/stop.db", dir.display());
    let fake = FakeWechat::new(APPID, SECRET);
    let template = Templates::default().booking_confirmed;
    fake.register_template(&template);
    fake.set_delay("subscribe_send", Duration::from_millis(300));
    let base = fake.spawn(0).await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let now = culturehub::time::fmt(chrono::Utc::now());
    for i in 0..N {
        let openid = format!("o-stop-{i}");
        let uid: i64 = sqlx::query_scalar(
            "INSERT INTO users (openid, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(&openid)
        .bind(&now)
        .fetch_one(db.writer())
        .await
        .unwrap();
        culturehub::notify::record_grants(&db, uid, &["booking_confirmed".to_string()])
            .await
            .unwrap();
        fake.grant_subscription(&openid, &template, 1);
        let mut tx = db.begin().await.unwrap();
        culturehub::notify::enqueue(
            &mut tx,
            uid,
            "booking_confirmed",
            &format!("stop:{i}"),
            None,
            &culturehub::notify::fields("书法公益讲座", chrono::Utc::now(), "园岭", "预约成功"),
            &now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    db.close().await;
    Setup {
        dir,
        url,
        fake,
        base,
    }
}

fn serve(s: &Setup) -> std::process::Child {
    let config = s.dir.join("culturehub.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nseed_demo_if_empty = false\nshutdown_grace_secs = 5\n\
             [wechat]\nbase_url = \"{}\"\nappid = \"{APPID}\"\nsecret = \"{SECRET}\"\nembedded_fake = false\n\
             [booking]\nworker_interval_secs = 1\n[storage]\ndir = \"{}\"\n",
            s.base,
            s.dir.join("files").display()
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_culturehub"))
        .arg("serve")
        .env("CULTUREHUB_CONFIG", &config)
        .env("DATABASE_URL", &s.url)
        .env_remove("REDIS_URL")
        .env_remove("CULTUREHUB_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_for_sent(fake: &FakeWechat, at_least: usize) {
    let t = Instant::now();
    while fake.sent_messages().len() < at_least {
        assert!(t.elapsed() < Duration::from_secs(30), "messages never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_exit(child: &mut std::process::Child, within: Duration) {
    let t = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        assert!(
            t.elapsed() < within,
            "the process did not exit in {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn statuses(db: &Db) -> std::collections::HashMap<String, i64> {
    use sqlx::Row;
    sqlx::query("SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM outbox GROUP BY status")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get("status"), r.get("n")))
        .collect()
}

/// The next worker (after the dead sender's 60-second lease) sends what is left.
async fn finish_elsewhere(s: &Setup, db: &Db) {
    s.fake.set_delay("subscribe_send", Duration::ZERO);
    let cache = culturehub::cache::Cache::connect(None, "stop-test")
        .await
        .unwrap();
    let wechat = culturehub::wechat::WechatClient::new(&s.base, APPID, SECRET, cache);
    culturehub::notify::work_outbox(
        db,
        &wechat,
        &Templates::default(),
        "w-next",
        chrono::Utc::now() + chrono::Duration::seconds(120),
        &culturehub::worker::Stop::default(),
    )
    .await
    .unwrap();
}

fn count(v: &std::collections::HashMap<String, i64>, k: &str) -> i64 {
    v.get(k).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_batch_loses_nothing() {
    let s = setup("term").await;
    let mut child = serve(&s);
    wait_for_sent(&s.fake, 2).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    wait_exit(&mut child, Duration::from_secs(8)).await;
    let db = Db::connect(&s.url).await.unwrap();
    let st = statuses(&db).await;
    let sent = count(&st, "sent");
    assert!(sent >= 2 && sent < N as i64, "stopped mid-batch: {st:?}");
    assert_eq!(count(&st, "sending"), 0, "no claim left behind: {st:?}");
    assert_eq!(count(&st, "unknown"), 0, "nothing in doubt: {st:?}");
    assert_eq!(count(&st, "pending"), N as i64 - sent, "{st:?}");
    finish_elsewhere(&s, &db).await;
    let st = statuses(&db).await;
    assert_eq!(count(&st, "sent"), N as i64, "{st:?}");
    let delivered = s.fake.sent_messages();
    for i in 0..N {
        let openid = format!("o-stop-{i}");
        assert_eq!(
            delivered.iter().filter(|m| m["touser"] == openid).count(),
            1,
            "{openid}"
        );
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_batch_puts_only_the_send_under_way_in_doubt() {
    let s = setup("kill").await;
    let mut child = serve(&s);
    wait_for_sent(&s.fake, 2).await;
    child.kill().unwrap();
    wait_exit(&mut child, Duration::from_secs(5)).await;
    let db = Db::connect(&s.url).await.unwrap();
    let st = statuses(&db).await;
    assert!(
        count(&st, "sending") <= 1,
        "a killed process held only the message under way: {st:?}"
    );
    finish_elsewhere(&s, &db).await;
    let st = statuses(&db).await;
    let unknown = count(&st, "unknown");
    assert!(unknown <= 1, "{st:?}");
    assert_eq!(count(&st, "sent") + unknown, N as i64, "{st:?}");
    let delivered = s.fake.sent_messages();
    for i in 0..N {
        let openid = format!("o-stop-{i}");
        assert!(delivered.iter().filter(|m| m["touser"] == openid).count() <= 1);
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&s.dir);
}
