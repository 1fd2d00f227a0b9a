//! In-process cache of ready staff inbox answers (`GET /feedback`, `GET /feedback/counts`),
//! kept exact by invalidation (issue 18, D265–D266, D269).
//!
//! - The key is everything the answer depends on: the caller's `ReadFeedback` scope (its
//!   subtrees, not the person: two staff of one branch share pages), the unit asked about, every
//!   filter, the cursor and the limit. No field of an item depends on who asks (names are
//!   masked for everyone, replying is authorized on the write), so nothing else goes in the key.
//! - Each entry remembers the subtree it covers (`under`); a change at a unit's path drops the
//!   entries whose subtree holds that path.
//! - On the instance where a rating, reply, read mark, handling or moderation commits, the
//!   handler invalidates at once (`AppState::inbox_changed`). Every instance (that one too) also
//!   learns every change from the database's own change feed, written by triggers (migration
//!   0039) on `ratings`, `rating_replies`, `feedback_counters`, and the names and paths the page
//!   shows (`activities.title`, `org_units.short_name`/`path`, `users.display_name`): on
//!   PostgreSQL `LISTEN culturehub_inbox` (payload a unit path, or `*`), on SQLite the polled
//!   `inbox_changes` table.
//! - Entries expire after `TTL` (the safety net); the cache serves nothing while the feed is
//!   down and is flushed whenever it (re)connects; an answer computed while anything was
//!   invalidated is not stored (generation check, as in `caller_cache`).

use crate::change_feed::{Feed, Listener};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: an answer is recomputed at least this often.
pub const TTL: Duration = Duration::from_secs(5);
/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "culturehub_inbox";
const MAX_ENTRIES: usize = 20_000;

struct Entry {
    /// The subtree the answer covers ('/' for the whole network).
    under: String,
    at: Instant,
    json: Arc<Vec<u8>>,
}

#[derive(Default)]
pub struct InboxCache {
    generation: AtomicU64,
    live: AtomicBool,
    entries: Mutex<HashMap<String, Entry>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl InboxCache {
    pub fn new() -> Arc<InboxCache> {
        Arc::new(InboxCache::default())
    }

    /// The ready answer for `key`, if fresh and the feed is live.
    pub fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let map = self.entries.lock().unwrap();
        let hit = map
            .get(key)
            .filter(|e| e.at.elapsed() < TTL)
            .map(|e| e.json.clone());
        drop(map);
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// The generation to read before the database reads of an answer, for `put`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores an answer about the subtree `under`, computed from reads begun under
    /// `generation`; dropped if anything was invalidated since.
    pub fn put(&self, key: String, under: &str, generation: u64, json: Arc<Vec<u8>>) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut map = self.entries.lock().unwrap();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            key,
            Entry {
                under: under.to_string(),
                at: Instant::now(),
                json,
            },
        );
    }

    /// Something at the unit with this path changed (a rating, a reply, its counters): drops
    /// every answer whose subtree holds it.
    pub fn invalidate_path(&self, unit_path: &str) {
        let mut map = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, e| !unit_path.starts_with(e.under.as_str()));
    }

    pub fn flush(&self) {
        let mut map = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
    }

    fn set_live(&self, live: bool) {
        self.flush();
        self.live.store(live, Ordering::Release);
        self.flush();
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// (hits, misses) since start, for `/metrics` and tests.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Applies one change notification: a unit path (`/1/4/17/`), anything else flushes all.
    pub fn apply(&self, payload: &str) {
        let p = payload.trim();
        if p.starts_with('/') && p.ends_with('/') {
            self.invalidate_path(p);
        } else {
            self.flush();
        }
    }
}

/// Starts this instance's inbox change feed (`change_feed`). The cache serves nothing until
/// the feed's first successful connection, and nothing while it is down.
pub fn spawn_feed(cache: Arc<InboxCache>, db: Db, url: String) {
    crate::change_feed::spawn(cache, FEED, db, url);
}

const FEED: Feed = Feed {
    name: "inbox feed",
    channel: CHANNEL,
    table: "inbox_changes",
    payload_sql: "COALESCE(unit_path, '*')",
};

impl Listener for InboxCache {
    fn apply(&self, payload: &str) {
        InboxCache::apply(self, payload)
    }
    fn flush(&self) {
        InboxCache::flush(self)
    }
    fn set_live(&self, live: bool) {
        InboxCache::set_live(self, live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(s: &str) -> Arc<Vec<u8>> {
        Arc::new(s.as_bytes().to_vec())
    }

    #[test]
    fn serves_when_live_and_drops_by_subtree() {
        let c = InboxCache::default();
        c.put("branch".into(), "/1/4/", c.generation(), page("b"));
        assert!(c.get("branch").is_none(), "nothing cached without a feed");
        c.set_live(true);
        c.put("branch".into(), "/1/4/", c.generation(), page("b"));
        c.put("other".into(), "/1/5/", c.generation(), page("o"));
        c.put("all".into(), "/", c.generation(), page("a"));
        assert_eq!(c.get("branch").unwrap().as_slice(), b"b");
        // A rating at a point of branch 4: that branch's and the whole network's pages go.
        c.apply("/1/4/17/");
        assert!(c.get("branch").is_none() && c.get("all").is_none());
        assert!(c.get("other").is_some(), "another branch's page stays");
        // Branch 40 is not inside branch 4.
        c.put("branch".into(), "/1/4/", c.generation(), page("b"));
        c.apply("/1/40/");
        assert!(c.get("branch").is_some());
        // An answer computed across an invalidation is not stored.
        let g = c.generation();
        c.apply("/1/9/");
        c.put("late".into(), "/1/4/", g, page("x"));
        assert!(c.get("late").is_none());
        c.apply("*");
        assert!(c.get("other").is_none() && c.get("branch").is_none());
        c.put("branch".into(), "/1/4/", c.generation(), page("b"));
        c.set_live(false);
        assert!(
            c.get("branch").is_none(),
            "nothing served while the feed is down"
        );
    }
}
