//! In-process set of seat pools known to be full, so a seat rush answers "full" from memory and
//! only attempts that can win reach the write path (issue 18, D211).
//!
//! Correctness never depends on it: the database still decides every seat. A stale "not full"
//! only sends an attempt to the write path; a stale "full" is prevented by three rules:
//! - a pool is marked full only from a committed read (`booking::book_once` finds
//!   `booked >= capacity` outside any transaction) and only if nothing was invalidated since
//!   that read began (generation check, as in `caller_cache`);
//! - every change that can reopen it is fed back from the database's own triggers (migration
//!   0032) on `sessions` (seats, capacity, times, status), `bookings` (who holds a place),
//!   `activities` (mode, status, audience) and `org_units` (paths): PostgreSQL
//!   `NOTIFY culturehub_seats` at commit, SQLite the polled `seat_changes` table; the instance
//!   that cancels also clears the pool at once;
//! - entries expire after `TTL`, the set serves nothing while the feed is down and is flushed
//!   whenever the feed (re)connects.
//!
//! An entry keeps what the refusal needs so it is answered exactly as the database path would
//! (see `booking::known_full`): the pool's rules, the activity's audience and organiser (the
//! staff-only gate), the active attendees (so a holder hears "already booked") and the waiting
//! list's length. Lottery pools are never marked; joining a waiting list never asks.

use crate::access::UnitRef;
use crate::change_feed::{Feed, Listener};
use crate::db::Db;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: a full pool is re-read from the database at least this often.
pub const TTL: Duration = Duration::from_secs(5);
/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "culturehub_seats";
const MAX_ENTRIES: usize = 10_000;

/// What a full pool's refusal needs, as read from the database.
#[derive(Debug, Clone)]
pub struct FullPool<P: Clone> {
    /// The pool's rules (`booking::Pool`).
    pub pool: P,
    pub activity_id: i64,
    pub audience: String,
    pub organizer: UnitRef,
    /// `attendee_key`s with an active booking (confirmed, waitlisted or entered).
    pub holders: HashSet<String>,
    pub waitlisted: i64,
}

struct Entry<P: Clone> {
    full: Arc<FullPool<P>>,
    at: Instant,
}

pub struct FullSessions<P: Clone> {
    generation: AtomicU64,
    live: AtomicBool,
    inner: Mutex<Inner<P>>,
    hits: AtomicU64,
}

struct Inner<P: Clone> {
    /// Seat pool (session id) → its full state.
    pools: HashMap<i64, Entry<P>>,
    /// Requested session id → seat pool (a course's lessons all resolve to its first lesson).
    alias: HashMap<i64, i64>,
}

impl<P: Clone> Default for FullSessions<P> {
    fn default() -> Self {
        FullSessions {
            generation: AtomicU64::new(0),
            live: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                pools: HashMap::new(),
                alias: HashMap::new(),
            }),
            hits: AtomicU64::new(0),
        }
    }
}

impl<P: Clone> FullSessions<P> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The full state of the pool a request for `session_id` books into, if known and fresh.
    pub fn get(&self, session_id: i64) -> Option<Arc<FullPool<P>>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let g = self.inner.lock().unwrap();
        let pool = *g.alias.get(&session_id)?;
        let hit = g
            .pools
            .get(&pool)
            .filter(|e| e.at.elapsed() < TTL)
            .map(|e| e.full.clone());
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// The generation to read before the database reads that may mark a pool full.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks a pool full from reads begun under `generation`; dropped if anything changed since.
    pub fn put(&self, requested: i64, pool_session: i64, generation: u64, full: FullPool<P>) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut g = self.inner.lock().unwrap();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if g.pools.len() >= MAX_ENTRIES || g.alias.len() >= 4 * MAX_ENTRIES {
            g.pools.clear();
            g.alias.clear();
        }
        g.alias.insert(requested, pool_session);
        g.alias.insert(pool_session, pool_session);
        g.pools.insert(
            pool_session,
            Entry {
                full: Arc::new(full),
                at: Instant::now(),
            },
        );
    }

    /// A pool's seats, holders or rules changed: it is no longer known full.
    pub fn invalidate_session(&self, session_id: i64) {
        let mut g = self.inner.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        g.pools.remove(&session_id);
    }

    /// An activity's rules changed: none of its pools is known full.
    pub fn invalidate_activity(&self, activity_id: i64) {
        let mut g = self.inner.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        g.pools.retain(|_, e| e.full.activity_id != activity_id);
    }

    pub fn flush(&self) {
        let mut g = self.inner.lock().unwrap();
        self.generation.fetch_add(1, Ordering::AcqRel);
        g.pools.clear();
        g.alias.clear();
    }

    fn set_live(&self, live: bool) {
        self.flush();
        self.live.store(live, Ordering::Release);
        self.flush();
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Refusals answered from memory since start, for `/metrics` and tests.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Applies one change notification: `s:<session id>`, `a:<activity id>`, anything else all.
    pub fn apply(&self, payload: &str) {
        let p = payload.trim();
        if let Some(id) = p.strip_prefix("s:").and_then(|s| s.parse().ok()) {
            self.invalidate_session(id);
        } else if let Some(id) = p.strip_prefix("a:").and_then(|s| s.parse().ok()) {
            self.invalidate_activity(id);
        } else {
            self.flush();
        }
    }
}

/// Starts this instance's seat change feed (`change_feed`). The set answers nothing until the
/// feed's first successful connection, and nothing while it is down.
pub fn spawn_feed<P: Clone + Send + Sync + 'static>(
    set: Arc<FullSessions<P>>,
    db: Db,
    url: String,
) {
    crate::change_feed::spawn(set, FEED, db, url);
}

const FEED: Feed = Feed {
    name: "seat feed",
    channel: CHANNEL,
    table: "seat_changes",
    payload_sql: "CASE WHEN session_id IS NOT NULL THEN 's:' || session_id \
                  WHEN activity_id IS NOT NULL THEN 'a:' || activity_id ELSE '*' END",
};

impl<P: Clone + Send + Sync + 'static> Listener for FullSessions<P> {
    fn apply(&self, payload: &str) {
        FullSessions::apply(self, payload)
    }
    fn flush(&self) {
        FullSessions::flush(self)
    }
    fn set_live(&self, live: bool) {
        FullSessions::set_live(self, live)
    }
}

/// How many attempts at one pool may be in the write path at once on this instance (issue 18):
/// no more than the seats its last read saw left. In a rush the first wave all read "seats
/// left" before anyone has written; without the gate every one of them queues for the write
/// lock only to find the pool full there. With it, at most `left` go on and the rest wait in
/// memory until one finishes, then read again — by then the pool is usually known full.
///
/// Correctness never depends on it: the transaction still decides every seat, other instances
/// have gates of their own, and a waiter gives up waiting after `WAIT` and reads again anyway.
#[derive(Default)]
pub struct WriteGate {
    pools: Mutex<HashMap<i64, Arc<GateSlot>>>,
    passes: AtomicU64,
}

#[derive(Default)]
struct GateSlot {
    in_flight: Mutex<i64>,
    done: tokio::sync::Notify,
}

/// Longest wait at a gate before reading the pool again.
const WAIT: Duration = Duration::from_millis(250);

/// A place in the write path of one pool; given back when dropped.
pub struct GatePass {
    slot: Arc<GateSlot>,
}

impl Drop for GatePass {
    fn drop(&mut self) {
        *self.slot.in_flight.lock().unwrap() -= 1;
        // One place is free: one waiter reads again. (Waking them all at every finish would
        // make each of them read the pool once per seat taken.)
        self.slot.done.notify_one();
    }
}

impl WriteGate {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A pass when fewer than `left` attempts at `pool` are writing; otherwise waits until one
    /// of them finishes (or `WAIT` passes) and returns `None`: the caller reads the pool again.
    pub async fn enter(&self, pool: i64, left: i64) -> Option<GatePass> {
        let slot = {
            let mut pools = self.pools.lock().unwrap();
            if pools.len() >= MAX_ENTRIES {
                // Idle pools only; a waiter on a dropped slot reads again after `WAIT`.
                pools.retain(|_, s| *s.in_flight.lock().unwrap() > 0);
            }
            pools.entry(pool).or_default().clone()
        };
        let done = slot.done.notified();
        tokio::pin!(done);
        // Registered before the count is looked at: a pass given back in between still wakes us.
        done.as_mut().enable();
        {
            let mut n = slot.in_flight.lock().unwrap();
            if *n < left {
                *n += 1;
                drop(n);
                self.passes.fetch_add(1, Ordering::Relaxed);
                return Some(GatePass { slot: slot.clone() });
            }
        }
        let _ = tokio::time::timeout(WAIT, done).await;
        None
    }

    /// The pool was found full: every attempt waiting at its gate reads again now.
    pub fn wake_all(&self, pool: i64) {
        let slot = self.pools.lock().unwrap().get(&pool).cloned();
        if let Some(s) = slot {
            s.done.notify_waiters();
        }
    }

    /// Attempts let into the write path since start (tests).
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// Attempts at `pool` in the write path now (tests).
    pub fn in_flight(&self, pool: i64) -> i64 {
        let slot = self.pools.lock().unwrap().get(&pool).cloned();
        slot.map(|s| *s.in_flight.lock().unwrap()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_lets_through_no_more_than_the_seats_left() {
        let gate = WriteGate::new();
        let a = gate.enter(5, 2).await.expect("first of two seats");
        let b = gate.enter(5, 2).await.expect("second of two seats");
        assert_eq!(gate.in_flight(5), 2);
        // A third waits until one of the two finishes, then is told to read again.
        let g = gate.clone();
        let third = tokio::spawn(async move {
            let t = std::time::Instant::now();
            (g.enter(5, 2).await.is_none(), t.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(a);
        let (told_to_reread, waited) = third.await.unwrap();
        assert!(told_to_reread);
        assert!(
            waited >= Duration::from_millis(25) && waited < WAIT,
            "woken by the finish, not the timeout: {waited:?}"
        );
        // Another pool has its own count; a full pool (no seats left) lets nobody through.
        assert!(gate.enter(6, 1).await.is_some());
        let t = std::time::Instant::now();
        assert!(gate.enter(7, 0).await.is_none());
        assert!(t.elapsed() >= WAIT, "nobody to wake it: it waits out WAIT");
        drop(b);
        assert_eq!(gate.in_flight(5), 0);
    }

    fn full(activity_id: i64) -> FullPool<()> {
        FullPool {
            pool: (),
            activity_id,
            audience: "public".into(),
            organizer: UnitRef {
                id: 1,
                path: "/1/".into(),
            },
            holders: HashSet::new(),
            waitlisted: 0,
        }
    }

    #[test]
    fn marks_only_when_live_and_clears_on_the_feed() {
        let s = FullSessions::<()>::default();
        s.put(7, 7, s.generation(), full(1));
        assert!(s.get(7).is_none(), "nothing is marked without a feed");
        s.set_live(true);
        // A course's lesson 9 books into lesson 7.
        s.put(9, 7, s.generation(), full(1));
        assert!(s.get(9).is_some() && s.get(7).is_some());
        s.apply("s:7");
        assert!(s.get(9).is_none(), "a cancellation reopens the pool");
        s.put(9, 7, s.generation(), full(1));
        s.apply("a:1");
        assert!(s.get(7).is_none(), "an activity change reopens its pools");
        // A read that began before a change cannot mark the pool full afterwards.
        let g = s.generation();
        s.apply("s:12345");
        s.put(7, 7, g, full(1));
        assert!(s.get(7).is_none());
        s.put(7, 7, s.generation(), full(2));
        s.apply("*");
        assert!(s.get(7).is_none());
        s.put(7, 7, s.generation(), full(2));
        s.set_live(false);
        assert!(
            s.get(7).is_none(),
            "nothing is served while the feed is down"
        );
    }
}
