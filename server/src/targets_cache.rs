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

use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::ApiResult;
use crate::plans::YearFacts;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Safety net: facts are re-read at least this often even if the version never moves.
pub const TTL: Duration = Duration::from_secs(60);
/// (district, year) pairs kept; the least recently used goes first.
const MAX_KEYS: usize = 4;

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

#[derive(Default)]
pub struct TargetsCache {
    slots: Mutex<HashMap<(i64, i32), Arc<Slot>>>,
    tick: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
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

    /// (hits, misses) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}
