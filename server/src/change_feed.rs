//! The one loop behind every in-process cache kept exact by the database's own change feed
//! (callers D210, full seat pools D211, inbox answers D265).
//!
//! Triggers write each change in the writing transaction. On PostgreSQL they `pg_notify` a
//! channel at commit and this loop `LISTEN`s; on SQLite they append to a `*_changes` table that
//! this loop polls every `POLL_EVERY`. Either way the cache receives the change as the same text
//! (`Feed::payload_sql` renders an SQLite row as the PostgreSQL payload), so each cache has one
//! `apply`.
//!
//! The safety rules are the same for every cache: it serves nothing until the feed's first
//! successful connection; it is flushed and stops serving when the feed is lost (and flushed
//! again when it reconnects, since anything could have changed meanwhile); a gap in the SQLite
//! table's ids (old rows are pruned by a trigger) flushes it.

use crate::db::{Backend, Db};
use std::sync::Arc;
use std::time::Duration;

/// How often an SQLite instance polls a changes table.
pub const POLL_EVERY: Duration = Duration::from_millis(20);
/// Wait before a lost feed reconnects.
const RECONNECT_AFTER: Duration = Duration::from_millis(200);

/// A cache fed by a change feed.
pub trait Listener: Send + Sync + 'static {
    /// Applies one change, in the form of the PostgreSQL payload.
    fn apply(&self, payload: &str);
    /// Drops everything.
    fn flush(&self);
    /// Starts or stops serving; both flush.
    fn set_live(&self, live: bool);
}

/// Where a feed's changes arrive.
#[derive(Clone, Copy)]
pub struct Feed {
    /// For the logs ("identity feed").
    pub name: &'static str,
    /// The PostgreSQL channel the triggers notify.
    pub channel: &'static str,
    /// The SQLite table the triggers append to (`id` is its increasing key).
    pub table: &'static str,
    /// An SQL expression over that table's row giving the same text as the PostgreSQL payload.
    pub payload_sql: &'static str,
}

/// Starts the feed for this instance's database: a background task that ends when the database
/// is closed (shutdown), leaving the cache off.
pub fn spawn<L: Listener>(listener: Arc<L>, feed: Feed, db: Db, url: String) {
    tokio::spawn(async move {
        let closed = db.pool().close_event();
        let run = async {
            match db.backend {
                Backend::Postgres => pg_feed(&*listener, feed, &url).await,
                Backend::Sqlite => sqlite_feed(&*listener, feed, &db).await,
            }
        };
        tokio::select! {
            _ = closed => {}
            _ = run => {}
        }
        listener.set_live(false);
    });
}

async fn pg_feed<L: Listener>(l: &L, feed: Feed, url: &str) {
    use sqlx::postgres::PgListener;
    let name = feed.name;
    loop {
        match PgListener::connect(url).await {
            Ok(mut pg) => {
                if let Err(e) = pg.listen(feed.channel).await {
                    tracing::warn!(error = %e, "{name}: LISTEN failed");
                } else {
                    // Anything could have changed while we were not listening.
                    l.set_live(true);
                    loop {
                        // `try_recv` reports a lost connection as None instead of silently
                        // reconnecting, so the cache is flushed and stays off until we listen again.
                        match pg.try_recv().await {
                            Ok(Some(n)) => l.apply(n.payload()),
                            Ok(None) => {
                                tracing::warn!("{name}: connection lost; cache flushed");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "{name} failed; cache flushed");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "{name}: cannot connect"),
        }
        l.set_live(false);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn sqlite_feed<L: Listener>(l: &L, feed: Feed, db: &Db) {
    let name = feed.name;
    let start_sql = format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {}",
        feed.table
    );
    let poll_sql = format!(
        "SELECT id, {} AS payload FROM {} WHERE id > $1 ORDER BY id",
        feed.payload_sql, feed.table
    );
    loop {
        let start: Result<i64, _> = sqlx::query_scalar(&start_sql).fetch_one(db.pool()).await;
        let mut last = match start {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "{name}: cannot read {}", feed.table);
                l.set_live(false);
                tokio::time::sleep(RECONNECT_AFTER).await;
                continue;
            }
        };
        l.set_live(true);
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            let rows: Result<Vec<(i64, String)>, _> = sqlx::query_as(&poll_sql)
                .bind(last)
                .fetch_all(db.pool())
                .await;
            match rows {
                Ok(rows) => {
                    // Old rows are pruned by a trigger; a gap means some were missed.
                    if rows.first().is_some_and(|(id, _)| *id > last + 1) {
                        l.flush();
                    }
                    for (id, payload) in rows {
                        l.apply(&payload);
                        last = id;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "{name} poll failed; cache flushed");
                    break;
                }
            }
        }
        l.set_live(false);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}
