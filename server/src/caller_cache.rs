//! In-process cache of bearer session → caller (the person and their live grants), kept exact
//! by invalidation rather than by a long expiry (D210).
//!
//! - On the instance where a change happens, the handler invalidates right after its commit
//!   (`AppState::identity_changed`).
//! - Every other instance learns it from the database's own change feed, written by triggers
//!   (migration 0031) on `auth_sessions`, `role_grants`, `users` and `org_units`, so no writer
//!   can forget it: on PostgreSQL `LISTEN culturehub_identity` (`pg_notify` at commit, payload the
//!   user id or `*`), on SQLite the `identity_changes` table polled every `change_feed::POLL_EVERY`.
//! - Entries also expire after `TTL` (the safety net), and the whole cache is flushed when the
//!   feed (re)connects or fails, so a missed notification can never keep a stale entry.
//! - A lookup that raced with an invalidation is not stored (generation check), so a reader that
//!   fetched the old rows cannot put them back after the invalidation.
//!
//! Only positive answers are cached: an unknown token always goes to the database.

use crate::access::Caller;
use crate::change_feed::{Feed, Listener};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: an entry is re-read from the database at least this often.
pub const TTL: Duration = Duration::from_secs(5);
/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "culturehub_identity";
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    caller: Caller,
    /// The session's own expiry, compared with the (possibly test-driven) clock on each hit.
    expires_at: String,
    at: Instant,
}

/// Another cache whose answers were computed from callers (their grants' unit paths): it is
/// flushed together with this one (D269).
pub type Dependent = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub struct CallerCache {
    generation: AtomicU64,
    dependents: Mutex<Vec<Dependent>>,
    /// False until the feed is up: without a feed nothing is cached.
    live: AtomicBool,
    entries: Mutex<HashMap<String, Entry>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CallerCache {
    pub fn new() -> Arc<CallerCache> {
        Arc::new(CallerCache::default())
    }

    /// The caller for a token hash if cached, unexpired and the feed is live.
    pub fn get(&self, token_hash: &str, now: &str) -> Option<Caller> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let map = self.entries.lock().unwrap();
        let hit = map
            .get(token_hash)
            .filter(|e| e.at.elapsed() < TTL && e.expires_at.as_str() > now)
            .map(|e| e.caller.clone());
        drop(map);
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// The generation to read before a database lookup and hand to `put`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a lookup made under `generation`; dropped if anything was invalidated since.
    pub fn put(&self, token_hash: String, generation: u64, caller: Caller, expires_at: String) {
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
            token_hash,
            Entry {
                caller,
                expires_at,
                at: Instant::now(),
            },
        );
    }

    /// Drops every entry of one person (their sessions, grants or account changed).
    pub fn invalidate_user(&self, user_id: i64) {
        let mut map = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, e| e.caller.user_id != user_id);
    }

    /// Drops everything (a unit's path changed, or the feed was lost), and then the dependent
    /// caches: an answer they stored from a caller read before this flush is gone with it, and
    /// one being computed now fails their own generation check.
    pub fn flush(&self) {
        {
            let mut map = self.entries.lock().unwrap();
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.clear();
        }
        for f in self.dependents.lock().unwrap().iter() {
            f();
        }
    }

    /// Flush `f` whenever this cache is flushed as a whole.
    pub fn also_flush(&self, f: Dependent) {
        self.dependents.lock().unwrap().push(f);
    }

    fn set_live(&self, live: bool) {
        self.flush();
        self.live.store(live, Ordering::Release);
        self.flush();
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// (hits, misses) since start, for `/metrics`.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Applies one change notification: a user id, or `*` for everyone.
    pub fn apply(&self, payload: &str) {
        match payload.trim().parse::<i64>() {
            Ok(id) => self.invalidate_user(id),
            Err(_) => self.flush(),
        }
    }
}

/// Starts the identity change feed for this instance's database (`change_feed`). The cache
/// serves nothing until the feed's first successful connection, and nothing while it is down.
pub fn spawn_feed(cache: Arc<CallerCache>, db: Db, url: String) {
    crate::change_feed::spawn(cache, FEED, db, url);
}

const FEED: Feed = Feed {
    name: "identity feed",
    channel: CHANNEL,
    table: "identity_changes",
    payload_sql: "COALESCE(CAST(user_id AS TEXT), '*')",
};

impl Listener for CallerCache {
    fn apply(&self, payload: &str) {
        CallerCache::apply(self, payload)
    }
    fn flush(&self) {
        CallerCache::flush(self)
    }
    fn set_live(&self, live: bool) {
        CallerCache::set_live(self, live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: i64) -> Caller {
        Caller {
            user_id: id,
            openid: None,
            grants: vec![],
        }
    }

    #[test]
    fn serves_only_when_live_and_drops_raced_lookups() {
        let c = CallerCache::default();
        let g = c.generation();
        c.put("a".into(), g, caller(1), "9999".into());
        assert!(
            c.get("a", "2026").is_none(),
            "nothing cached without a feed"
        );
        c.set_live(true);
        let g = c.generation();
        c.put("a".into(), g, caller(1), "9999".into());
        assert_eq!(c.get("a", "2026").unwrap().user_id, 1);
        assert!(
            c.get("a", "9999").is_none(),
            "an expired session is not served"
        );
        c.apply("1");
        assert!(c.get("a", "2026").is_none());
        // A lookup that started before an invalidation is not stored.
        let g = c.generation();
        c.apply("2");
        c.put("a".into(), g, caller(1), "9999".into());
        assert!(c.get("a", "2026").is_none());
        let g = c.generation();
        c.put("b".into(), g, caller(3), "9999".into());
        c.apply("*");
        assert!(c.get("b", "2026").is_none());
    }

    #[test]
    fn a_flush_reaches_dependents_but_a_person_does_not() {
        use std::sync::atomic::AtomicUsize;
        let c = CallerCache::default();
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        c.also_flush(Box::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
        }));
        c.apply("7");
        assert_eq!(n.load(Ordering::SeqCst), 0, "one person: callers only");
        c.apply("*");
        assert_eq!(n.load(Ordering::SeqCst), 1, "a path change: dependents too");
    }
}
