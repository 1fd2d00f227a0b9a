//! In-process cache of ready staff week calendars (`GET /rooms/calendar`), kept exact by
//! invalidation (issue 18, D274).
//!
//! - The key is everything the answer depends on once the caller is authorized: the unit, the
//!   room filter, the first instant shown (CST midnight of the first day, so "today" and the
//!   same date given explicitly share an entry) and the number of days. Nothing in the answer
//!   depends on who asks; `authorize_unit` still runs on every request, before the look-up.
//! - On the instance where a room, its hours or photos, a closure, a room booking, a session's
//!   room or time, or an activity commits, the handler invalidates at once
//!   (`AppState::calendar_changed`, `calendars_changed`). Every instance (that one too) also
//!   learns every change from the database's own change feed, written by triggers (migration
//!   0043) on `room_calendar`, `rooms` (the columns the answer shows), `room_hours`,
//!   `room_photos`, `sessions.activity_id` and `activities.title`: on PostgreSQL
//!   `LISTEN culturehub_rooms` (payload the room's unit id, or `*`), on SQLite the polled
//!   `room_calendar_changes` table.
//! - Entries expire after `TTL` (the safety net); the cache serves nothing while the feed is
//!   down and is flushed whenever it (re)connects; an answer computed while anything was
//!   invalidated is not stored (generation check, as in `inbox_cache`).
//! - Memory is bounded: at most `MAX_ENTRIES` answers and `MAX_BYTES` of JSON, least recently
//!   used out first; an answer larger than a quarter of `MAX_BYTES` is not kept.

use crate::change_feed::{Feed, Listener};
use crate::db::Db;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: an answer is recomputed at least this often.
pub const TTL: Duration = Duration::from_secs(5);
/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "culturehub_rooms";
const MAX_ENTRIES: usize = 1024;
const MAX_BYTES: usize = 16 << 20;

/// What a calendar answer depends on (besides the authorization, checked per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub unit_id: i64,
    /// Only this room of the unit.
    pub room_id: Option<i64>,
    /// The first instant shown, epoch seconds.
    pub from: i64,
    pub days: i64,
}

struct Entry {
    at: Instant,
    /// The `tick` of the last use, for least-recently-used eviction.
    used: u64,
    json: Bytes,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    bytes: usize,
    tick: u64,
}

impl Entries {
    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.json.len();
        }
    }

    fn retain(&mut self, keep: impl Fn(&Key, &Entry) -> bool) {
        self.map.retain(|k, e| keep(k, e));
        self.bytes = self.map.values().map(|e| e.json.len()).sum();
    }

    /// Makes room for one more answer of `len` bytes: expired answers first, then the least
    /// recently used down to three quarters of each bound.
    fn make_room(&mut self, len: usize) {
        if self.map.len() < MAX_ENTRIES && self.bytes + len <= MAX_BYTES {
            return;
        }
        self.retain(|_, e| e.at.elapsed() < TTL);
        if self.map.len() < MAX_ENTRIES && self.bytes + len <= MAX_BYTES {
            return;
        }
        let mut by_use: Vec<(u64, Key)> = self.map.iter().map(|(k, e)| (e.used, *k)).collect();
        by_use.sort_unstable_by_key(|(used, _)| *used);
        for (_, k) in by_use {
            if self.map.len() < MAX_ENTRIES * 3 / 4 && self.bytes + len <= MAX_BYTES * 3 / 4 {
                break;
            }
            self.remove(&k);
        }
    }
}

#[derive(Default)]
pub struct RoomCalendarCache {
    generation: AtomicU64,
    live: AtomicBool,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
    /// While set (tests only, `hold_feed`), the feed's changes wait here as on a slow feed.
    held: Mutex<Option<Vec<String>>>,
}

impl RoomCalendarCache {
    pub fn new() -> Arc<RoomCalendarCache> {
        Arc::new(RoomCalendarCache::default())
    }

    /// The ready answer for `key`, if fresh and the feed is live.
    pub fn get(&self, key: &Key) -> Option<Bytes> {
        let hit = if self.live.load(Ordering::Acquire) {
            let mut guard = self.entries.lock().unwrap();
            let entries = &mut *guard;
            entries.tick += 1;
            let tick = entries.tick;
            match entries.map.get_mut(key) {
                Some(e) if e.at.elapsed() < TTL => {
                    e.used = tick;
                    Some(e.json.clone())
                }
                Some(_) => {
                    entries.remove(key);
                    None
                }
                None => None,
            }
        } else {
            None
        };
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

    /// Stores an answer computed from reads begun under `generation`; dropped if anything was
    /// invalidated since.
    pub fn put(&self, key: Key, generation: u64, json: Bytes) {
        if !self.live.load(Ordering::Acquire) || json.len() > MAX_BYTES / 4 {
            return;
        }
        let mut entries = self.entries.lock().unwrap();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        entries.remove(&key);
        entries.make_room(json.len());
        entries.tick += 1;
        entries.bytes += json.len();
        let used = entries.tick;
        entries.map.insert(
            key,
            Entry {
                at: Instant::now(),
                used,
                json,
            },
        );
    }

    /// Something shown on the calendars of this unit changed: drops its answers.
    pub fn invalidate_unit(&self, unit_id: i64) {
        let mut entries = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|k, _| k.unit_id != unit_id);
    }

    pub fn flush(&self) {
        let mut entries = self.entries.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.map.clear();
        entries.bytes = 0;
    }

    fn set_live(&self, live: bool) {
        self.flush();
        self.live.store(live, Ordering::Release);
        self.flush();
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// (hits, misses) since start, for tests.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// (answers, bytes) held now.
    pub fn size(&self) -> (usize, usize) {
        let entries = self.entries.lock().unwrap();
        (entries.map.len(), entries.bytes)
    }

    /// Tests: holds the feed's changes back (`true`), as a slow feed would, and applies them
    /// when released (`false`), so a test can tell the handlers' own invalidation from the
    /// feed's. Flushes on (re)connection and loss still happen at once.
    pub fn hold_feed(&self, hold: bool) {
        let held = {
            let mut h = self.held.lock().unwrap();
            if hold {
                h.get_or_insert_with(Vec::new);
                return;
            }
            h.take()
        };
        for p in held.into_iter().flatten() {
            self.apply_now(&p);
        }
    }

    /// Applies one change notification: a unit id, anything else flushes all.
    pub fn apply(&self, payload: &str) {
        if let Some(h) = self.held.lock().unwrap().as_mut() {
            h.push(payload.to_string());
            return;
        }
        self.apply_now(payload)
    }

    fn apply_now(&self, payload: &str) {
        match payload.trim().parse::<i64>() {
            Ok(unit_id) => self.invalidate_unit(unit_id),
            Err(_) => self.flush(),
        }
    }
}

/// Starts this instance's room calendar change feed (`change_feed`). The cache serves nothing
/// until the feed's first successful connection, and nothing while it is down.
pub fn spawn_feed(cache: Arc<RoomCalendarCache>, db: Db, url: String) {
    crate::change_feed::spawn(cache, FEED, db, url);
}

const FEED: Feed = Feed {
    name: "room calendar feed",
    channel: CHANNEL,
    table: "room_calendar_changes",
    payload_sql: "COALESCE(CAST(unit_id AS TEXT), '*')",
};

impl Listener for RoomCalendarCache {
    fn apply(&self, payload: &str) {
        RoomCalendarCache::apply(self, payload)
    }
    fn flush(&self) {
        RoomCalendarCache::flush(self)
    }
    fn set_live(&self, live: bool) {
        RoomCalendarCache::set_live(self, live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(unit_id: i64, room_id: Option<i64>) -> Key {
        Key {
            unit_id,
            room_id,
            from: 1_800_000_000,
            days: 7,
        }
    }

    fn json(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn serves_when_live_and_drops_by_unit() {
        let c = RoomCalendarCache::default();
        c.put(key(1, None), c.generation(), json("a"));
        assert!(
            c.get(&key(1, None)).is_none(),
            "nothing cached without a feed"
        );
        c.set_live(true);
        c.put(key(1, None), c.generation(), json("a"));
        c.put(key(1, Some(5)), c.generation(), json("a5"));
        c.put(key(2, None), c.generation(), json("b"));
        assert_eq!(&c.get(&key(1, Some(5))).unwrap()[..], b"a5");
        assert_eq!(c.stats(), (1, 1));
        // A change at unit 1: both of its answers go, unit 2's stays.
        c.apply("1");
        assert!(c.get(&key(1, None)).is_none() && c.get(&key(1, Some(5))).is_none());
        assert!(c.get(&key(2, None)).is_some());
        // An answer computed across an invalidation is not stored.
        let g = c.generation();
        c.apply("9");
        c.put(key(1, None), g, json("late"));
        assert!(c.get(&key(1, None)).is_none());
        c.apply("*");
        assert!(c.get(&key(2, None)).is_none());
        assert_eq!(c.size(), (0, 0));
        // A held feed keeps its changes until released, then applies them.
        c.put(key(2, None), c.generation(), json("b"));
        c.hold_feed(true);
        c.apply("2");
        assert!(c.get(&key(2, None)).is_some());
        c.hold_feed(false);
        assert!(c.get(&key(2, None)).is_none());
        c.put(key(2, None), c.generation(), json("b"));
        c.set_live(false);
        assert!(
            c.get(&key(2, None)).is_none(),
            "nothing served while the feed is down"
        );
    }

    #[test]
    fn memory_is_bounded_least_recently_used_first() {
        let c = RoomCalendarCache::default();
        c.set_live(true);
        for u in 0..MAX_ENTRIES as i64 {
            c.put(key(u, None), c.generation(), json("x"));
        }
        assert_eq!(c.size().0, MAX_ENTRIES);
        // Unit 0 is used again, so it outlives the others of its age.
        assert!(c.get(&key(0, None)).is_some());
        c.put(key(-1, None), c.generation(), json("new"));
        let (n, bytes) = c.size();
        assert!(n <= MAX_ENTRIES * 3 / 4 + 1, "{n} answers");
        assert_eq!(bytes, n + 2, "one byte each, three for the new one");
        assert!(c.get(&key(0, None)).is_some(), "recently used stays");
        assert!(c.get(&key(-1, None)).is_some(), "the new answer is kept");
        assert!(c.get(&key(1, None)).is_none(), "least recently used goes");
        // Bytes too: answers of a quarter of the bound each leave room for at most four.
        let big = Bytes::from(vec![b' '; MAX_BYTES / 4]);
        for u in 0..6 {
            c.put(key(100 + u, None), c.generation(), big.clone());
        }
        assert!(c.size().1 <= MAX_BYTES);
        assert!(c.get(&key(105, None)).is_some());
        // Larger than a quarter: never kept.
        c.put(
            key(200, None),
            c.generation(),
            Bytes::from(vec![b' '; MAX_BYTES / 4 + 1]),
        );
        assert!(c.get(&key(200, None)).is_none());
    }
}
