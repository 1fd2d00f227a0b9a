//! In-process cache of the facts the yearly targets are counted from (issue 18, D260).
//!
//! The targets page and the dashboard read a whole CST year of sessions with their partners on
//! every request; that is the same data for every caller until something it depends on
//! changes. Each instance keeps, per (district, year), the facts (`plans::YearFacts`: the
//! plan, every session of a target category with its partners, every unit) once; each request
//! classifies them at its own `now` and filters them by its own scope, so the counting rules
//! (`plans::classify`) and the scope rules are applied exactly as before.
//!
//! Exactness: the database's `targets_version` row (migration 0038) is bumped by triggers on
//! every column the facts come from, in the writing transaction. Each request reads that one
//! row first; cached facts are used only when they were read at the same version, or were
//! read after this request began. So a write committed anywhere (another instance, an
//! operator's SQL) is seen by the next request. `TTL` is the safety net.
//!
//! Memory: concurrent misses of one key wait for a single read (single flight), so N
//! simultaneous requests hold one copy, not N; at most `MAX_KEYS` keys are kept.
//!
//! Ready answers (D273): each facts object also keeps the serialised answers computed from it
//! (`Answers`: `/stats/targets` per caller scope and unit, a `/stats/targets/sessions` page,
//! the plan), each with the instant until which time alone leaves it unchanged (the next end of
//! a session it shows as not held yet, the next step of a pace figure). A request finds its
//! facts as above, then its answer by key if `now` lies in the answer's validity, else computes
//! and keeps it. Answers live inside their facts object, so a version change (new facts) drops
//! them with the facts; at most `MAX_ANSWERS` and `MAX_ANSWER_BYTES` per facts object, least
//! recently used first out. The district's root is kept at the version it was read at, by the
//! same rule as the facts (`year`), so a hit costs the version read and two map look-ups.

use crate::access::UnitRef;
use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::plans::YearFacts;
use crate::time::Ts;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: facts are re-read at least this often even if the version never moves.
pub const TTL: Duration = Duration::from_secs(60);
/// (district, year) pairs kept; the least recently used goes first.
const MAX_KEYS: usize = 4;
/// Ready answers kept per facts object; the least recently used goes first.
pub const MAX_ANSWERS: usize = 48;
/// And at most this many bytes of them (a page of 500 sessions is ≈ 240 KB).
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

struct Cached {
    version: i64,
    /// When the version these facts are at least as new as was read.
    read_at: Instant,
    facts: Arc<YearFacts>,
}

#[derive(Default)]
struct Slot {
    cell: tokio::sync::Mutex<Option<Cached>>,
    used: AtomicU64,
}

/// The district's root as read at a version (see `TargetsCache::year`).
struct Root {
    version: i64,
    read_at: Instant,
    root: UnitRef,
}

#[derive(Default)]
pub struct TargetsCache {
    slots: Mutex<HashMap<(i64, i32), Arc<Slot>>>,
    root: Mutex<Option<Root>>,
    tick: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    answer_hits: AtomicU64,
    answer_misses: AtomicU64,
}

/// One ready answer: its JSON, exact for every `now` in `[from, until)`.
struct Ready {
    json: Bytes,
    /// The `now` it was computed at. Earlier instants are not covered (a clock set back could
    /// make a session not held yet again).
    from: Ts,
    /// `None`: time alone never changes it.
    until: Option<Ts>,
    used: u64,
}

impl Ready {
    fn holds(&self, now: Ts) -> bool {
        self.from <= now && self.until.is_none_or(|u| now < u)
    }
}

/// The ready answers computed from one facts object (D273), keyed by everything else they
/// depend on (`TargetsCache::answer`). They are a pure function of the facts, the key and
/// `now`, and live inside the facts object, so they can never outlive the facts' version.
#[derive(Default)]
pub struct Answers {
    kept: Mutex<Kept>,
    tick: AtomicU64,
}

#[derive(Default)]
struct Kept {
    map: HashMap<String, Ready>,
    /// The JSON bytes in `map`.
    bytes: usize,
}

impl Answers {
    fn get(&self, key: &str, now: Ts) -> Option<Bytes> {
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap();
        let ready = kept.map.get_mut(key)?;
        if ready.holds(now) {
            ready.used = tick;
            return Some(ready.json.clone());
        }
        // Expired (or computed after `now`): the caller computes it again and replaces it.
        None
    }

    fn put(&self, key: String, json: Bytes, from: Ts, until: Option<Ts>) {
        if json.len() > MAX_ANSWER_BYTES {
            return;
        }
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap();
        let kept = &mut *kept;
        if let Some(old) = kept.map.remove(&key) {
            kept.bytes -= old.json.len();
        }
        while kept.map.len() >= MAX_ANSWERS || kept.bytes + json.len() > MAX_ANSWER_BYTES {
            let Some(old) = kept
                .map
                .iter()
                .min_by_key(|(_, r)| r.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(r) = kept.map.remove(&old) {
                kept.bytes -= r.json.len();
            }
        }
        kept.bytes += json.len();
        kept.map.insert(
            key,
            Ready {
                json,
                from,
                until,
                used,
            },
        );
    }

    /// Answers kept (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.kept.lock().unwrap().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the answers kept (for tests and diagnostics).
    pub fn bytes(&self) -> usize {
        self.kept.lock().unwrap().bytes
    }
}

async fn version(db: &Db) -> ApiResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT version FROM targets_version WHERE id = 1")
            .fetch_optional(db.pool())
            .await?
            .unwrap_or(0),
    )
}

impl TargetsCache {
    pub fn new() -> Arc<TargetsCache> {
        Arc::new(TargetsCache::default())
    }

    fn slot(&self, key: (i64, i32)) -> Arc<Slot> {
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut map = self.slots.lock().unwrap();
        if !map.contains_key(&key) && map.len() >= MAX_KEYS {
            if let Some(old) = map
                .iter()
                .min_by_key(|(_, s)| s.used.load(Ordering::Relaxed))
                .map(|(k, _)| *k)
            {
                map.remove(&old);
            }
        }
        let slot = map.entry(key).or_default().clone();
        slot.used.store(tick, Ordering::Relaxed);
        slot
    }

    /// The facts of `district`'s `year`, as new as the database at the time of the call.
    pub async fn get(
        &self,
        db: &Db,
        district: i64,
        year: i32,
        policy: &PolicySettings,
    ) -> ApiResult<Arc<YearFacts>> {
        let asked = Instant::now();
        let v = version(db).await?;
        self.get_at(db, district, year, policy, asked, v).await
    }

    /// The district's root and the facts of its `year`, both as new as the database at the time
    /// of the call, for one read of the version row. The root (`org::root`: the first unit
    /// without a parent) depends only on `org_units.parent_id` and the units there are, which
    /// bump the version like the facts' columns do, so it is kept by the same rule.
    pub async fn year(
        &self,
        db: &Db,
        year: i32,
        policy: &PolicySettings,
    ) -> ApiResult<(UnitRef, Arc<YearFacts>)> {
        let asked = Instant::now();
        let v = version(db).await?;
        let kept = self
            .root
            .lock()
            .unwrap()
            .as_ref()
            .filter(|c| c.read_at.elapsed() < TTL && (c.version == v || c.read_at >= asked))
            .map(|c| c.root.clone());
        let root = match kept {
            Some(r) => r,
            None => {
                // Read after `v` (read after `asked`): at least as new as `v`.
                let root = crate::org::root(db).await?.ok_or_else(ApiError::internal)?;
                *self.root.lock().unwrap() = Some(Root {
                    version: v,
                    read_at: asked,
                    root: root.clone(),
                });
                root
            }
        };
        let facts = self.get_at(db, root.id, year, policy, asked, v).await?;
        Ok((root, facts))
    }

    /// `get`, for a request begun at `asked` that read the version `v` first.
    async fn get_at(
        &self,
        db: &Db,
        district: i64,
        year: i32,
        policy: &PolicySettings,
        asked: Instant,
        v: i64,
    ) -> ApiResult<Arc<YearFacts>> {
        let slot = self.slot((district, year));
        // Held across the read: concurrent misses of this key wait and share its result.
        let mut cell = slot.cell.lock().await;
        if let Some(c) = cell.as_ref() {
            if c.read_at.elapsed() < TTL && (c.version == v || c.read_at >= asked) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(c.facts.clone());
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Drop the old copy before reading the new one (peak memory: one copy per key).
        *cell = None;
        // The version is read before the facts: facts are then at least as new as it.
        let read_at = Instant::now();
        let version = version(db).await?;
        let facts = Arc::new(crate::plans::read_year(db, district, year, policy).await?);
        *cell = Some(Cached {
            version,
            read_at,
            facts: facts.clone(),
        });
        Ok(facts)
    }

    /// The ready answer `key` of `facts` at `now`: kept if it holds at `now`, else `build`
    /// computes it (JSON and the instant until which it holds, exclusive) and it is kept. The
    /// key must name everything besides the facts and `now` that the answer depends on (the
    /// caller's scope, the unit, every parameter); a failed build is not kept. Concurrent misses
    /// of one key each build it (the same answer), outside the lock.
    pub fn answer(
        &self,
        facts: &YearFacts,
        key: String,
        now: Ts,
        build: impl FnOnce() -> ApiResult<(Vec<u8>, Option<Ts>)>,
    ) -> ApiResult<Bytes> {
        if let Some(json) = facts.answers.get(&key, now) {
            self.answer_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(json);
        }
        self.answer_misses.fetch_add(1, Ordering::Relaxed);
        let (json, until) = build()?;
        let json = Bytes::from(json);
        facts.answers.put(key, json.clone(), now, until);
        Ok(json)
    }

    /// Facts (hits, misses) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Ready answers (hits, misses) since start.
    pub fn answer_stats(&self) -> (u64, u64) {
        (
            self.answer_hits.load(Ordering::Relaxed),
            self.answer_misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Ts {
        crate::time::parse(s).unwrap()
    }

    #[test]
    fn an_answer_holds_from_its_computation_until_its_end() {
        let a = Answers::default();
        let from = t("2026-06-01T00:00:00Z");
        let until = t("2026-06-01T05:00:00Z");
        a.put("k".into(), Bytes::from_static(b"{}"), from, Some(until));
        a.put("forever".into(), Bytes::from_static(b"[]"), from, None);
        assert!(a.get("k", from).is_some());
        assert!(a
            .get("k", until - chrono::Duration::nanoseconds(1))
            .is_some());
        assert!(a.get("k", until).is_none(), "ends at `until`");
        assert!(a.get("k", from - chrono::Duration::seconds(1)).is_none());
        assert!(a.get("forever", t("2030-01-01T00:00:00Z")).is_some());
        assert!(a.get("other", from).is_none());
    }

    #[test]
    fn answers_are_bounded_in_number_and_bytes_least_recent_first() {
        let now = t("2026-06-01T00:00:00Z");
        let a = Answers::default();
        for i in 0..MAX_ANSWERS + 10 {
            a.put(format!("{i}"), Bytes::from_static(b"{}"), now, None);
            // Key 0 stays in use, so it is never the least recently used.
            assert!(a.get("0", now).is_some(), "after {i}");
        }
        assert_eq!(a.len(), MAX_ANSWERS);
        assert_eq!(a.bytes(), 2 * MAX_ANSWERS);
        assert!(
            a.get("1", now).is_none(),
            "the least recently used went first"
        );

        let a = Answers::default();
        let mib = Bytes::from(vec![b' '; 1 << 20]);
        for i in 0..10 {
            a.put(format!("{i}"), mib.clone(), now, None);
            assert!(a.bytes() <= MAX_ANSWER_BYTES);
        }
        assert_eq!(a.len(), MAX_ANSWER_BYTES >> 20);
        assert!(a.get("9", now).is_some() && a.get("0", now).is_none());
        // Replacing an answer counts its bytes once.
        a.put("9".into(), Bytes::from_static(b"{}"), now, None);
        assert_eq!(a.bytes(), (a.len() - 1) * (1 << 20) + 2);
        // One answer larger than the bound is not kept (and evicts nothing).
        let n = a.len();
        a.put(
            "huge".into(),
            Bytes::from(vec![b' '; MAX_ANSWER_BYTES + 1]),
            now,
            None,
        );
        assert!(a.get("huge", now).is_none());
        assert_eq!(a.len(), n);
    }
}
