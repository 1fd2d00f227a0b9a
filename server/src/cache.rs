//! Short-lived shared state: caches, rate-limit counters, the WeChat access token.
//! Redis when configured, an in-process map otherwise, behind this one type.
//!
//! Nothing here decides a seat, a check-in or an authorization. When Redis fails, reads miss
//! (callers go to the database), writes are dropped, and rate limits fall back to the local
//! in-process limiter — never to "no limit".

use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Cache {
    redis: Option<ConnectionManager>,
    local: Arc<Local>,
    /// Prefix for every key, so tests and several deployments can share one Redis.
    prefix: Arc<str>,
    redis_errors: Arc<AtomicU64>,
    /// After a Redis error, skip Redis until this moment (ms since the Unix epoch), so an
    /// outage costs one timeout every few seconds instead of one per request.
    skip_until_ms: Arc<AtomicU64>,
}

const SKIP_AFTER_ERROR_MS: u64 = 5_000;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
struct Local {
    map: Mutex<HashMap<String, (String, Instant)>>,
}

impl Local {
    fn get(&self, k: &str) -> Option<String> {
        let map = self.map.lock().unwrap();
        map.get(k)
            .filter(|(_, exp)| *exp > Instant::now())
            .map(|(v, _)| v.clone())
    }
    fn set(&self, k: &str, v: &str, ttl: Duration) {
        let mut map = self.map.lock().unwrap();
        if map.len() > 50_000 {
            let now = Instant::now();
            map.retain(|_, (_, exp)| *exp > now);
        }
        map.insert(k.to_string(), (v.to_string(), Instant::now() + ttl));
    }
    fn del(&self, k: &str) {
        self.map.lock().unwrap().remove(k);
    }
    fn incr(&self, k: &str, window: Duration) -> (u64, Duration) {
        let mut map = self.map.lock().unwrap();
        let now = Instant::now();
        if map.len() > 50_000 {
            map.retain(|_, (_, exp)| *exp > now);
        }
        let entry = map
            .entry(k.to_string())
            .or_insert_with(|| ("0".into(), now + window));
        if entry.1 <= now {
            *entry = ("0".into(), now + window);
        }
        let n = entry.0.parse::<u64>().unwrap_or(0) + 1;
        entry.0 = n.to_string();
        (n, entry.1.saturating_duration_since(now))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("无法连接 Redis: {0}")]
pub struct CacheOpenError(String);

impl Cache {
    pub fn local(prefix: &str) -> Cache {
        Cache {
            redis: None,
            local: Arc::new(Local::default()),
            prefix: prefix.into(),
            redis_errors: Arc::default(),
            skip_until_ms: Arc::default(),
        }
    }

    pub async fn connect(url: Option<&str>, prefix: &str) -> Result<Cache, CacheOpenError> {
        let mut c = Cache::local(prefix);
        if let Some(url) = url {
            let client = redis::Client::open(url).map_err(|e| CacheOpenError(e.to_string()))?;
            let cfg = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Duration::from_secs(2))
                .set_response_timeout(Duration::from_secs(1))
                .set_number_of_retries(1);
            let mgr = tokio::time::timeout(
                Duration::from_secs(5),
                ConnectionManager::new_with_config(client, cfg),
            )
            .await
            .map_err(|_| CacheOpenError("连接超时".into()))?
            .map_err(|e| CacheOpenError(e.to_string()))?;
            c.redis = Some(mgr);
        }
        Ok(c)
    }

    pub fn backend(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "memory"
        }
    }

    fn key(&self, k: &str) -> String {
        format!("{}:{}", self.prefix, k)
    }

    /// Redis, unless it failed within the last few seconds.
    fn redis(&self) -> Option<ConnectionManager> {
        if now_ms() < self.skip_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        self.redis.clone()
    }

    fn note_error(&self, op: &str, e: &redis::RedisError) {
        self.skip_until_ms
            .store(now_ms() + SKIP_AFTER_ERROR_MS, Ordering::Relaxed);
        let n = self.redis_errors.fetch_add(1, Ordering::Relaxed);
        // Warn on the first error and then every 100th, so an outage does not flood the log.
        if n.is_multiple_of(100) {
            tracing::warn!(op, error = %e, total = n + 1, "redis unavailable; using local fallback");
        }
    }

    pub fn redis_error_count(&self) -> u64 {
        self.redis_errors.load(Ordering::Relaxed)
    }

    pub async fn get(&self, k: &str) -> Option<String> {
        let key = self.key(k);
        if self.redis.is_some() && self.redis().is_none() {
            // Redis is resting after an error: a miss sends the caller to the database.
            return None;
        }
        match self.redis() {
            Some(mut r) => {
                match redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<String>>(&mut r)
                    .await
                {
                    Ok(v) => v,
                    Err(e) => {
                        self.note_error("get", &e);
                        None
                    }
                }
            }
            None => self.local.get(&key),
        }
    }

    pub async fn set(&self, k: &str, v: &str, ttl: Duration) {
        let key = self.key(k);
        if self.redis.is_some() && self.redis().is_none() {
            return;
        }
        match self.redis() {
            Some(mut r) => {
                let ms = ttl.as_millis().max(1) as u64;
                if let Err(e) = redis::cmd("SET")
                    .arg(&key)
                    .arg(v)
                    .arg("PX")
                    .arg(ms)
                    .query_async::<()>(&mut r)
                    .await
                {
                    self.note_error("set", &e);
                }
            }
            None => self.local.set(&key, v, ttl),
        }
    }

    pub async fn del(&self, k: &str) {
        let key = self.key(k);
        if self.redis.is_some() && self.redis().is_none() {
            return;
        }
        match self.redis() {
            Some(mut r) => {
                if let Err(e) = redis::cmd("DEL").arg(&key).query_async::<()>(&mut r).await {
                    self.note_error("del", &e);
                }
            }
            None => self.local.del(&key),
        }
    }

    /// Counts one event in a fixed window. `Err(retry_after_secs)` when over `limit`.
    /// Redis errors fall back to the in-process counter.
    pub async fn rate_limit(&self, k: &str, limit: u32, window: Duration) -> Result<(), u64> {
        let key = self.key(&format!("rl:{k}"));
        let (n, left) = match self.redis() {
            Some(mut r) => {
                // SET NX starts the window once; works on every Redis version.
                let res: Result<(u64, i64), _> = redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&key)
                    .arg(0)
                    .arg("PX")
                    .arg(window.as_millis() as u64)
                    .arg("NX")
                    .ignore()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PTTL")
                    .arg(&key)
                    .query_async(&mut r)
                    .await;
                match res {
                    Ok((n, pttl)) => (n, Duration::from_millis(pttl.max(0) as u64)),
                    Err(e) => {
                        self.note_error("rate_limit", &e);
                        self.local.incr(&key, window)
                    }
                }
            }
            None => self.local.incr(&key, window),
        };
        if n > limit as u64 {
            Err(left.as_secs().max(1))
        } else {
            Ok(())
        }
    }

    /// How many times `rate_limit` has counted `k` in its current window (this look counts
    /// nothing).
    pub async fn rate_count(&self, k: &str) -> u64 {
        self.get(&format!("rl:{k}"))
            .await
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub async fn ping(&self) -> bool {
        match &self.redis {
            Some(r) => {
                let mut r = r.clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut r)
                    .await
                    .is_ok()
            }
            None => true,
        }
    }
}

/// A small in-process cache of ready answers (the public browse pages), invalidated by a
/// version counter that every change to activities or seats bumps. Entries also expire after
/// `ttl`, which bounds how stale another instance's copy can be.
/// (version it was computed under, when, the page)
type PageEntry<V> = (u64, Instant, Arc<V>);

pub struct PageCache<V> {
    version: AtomicU64,
    ttl: Duration,
    entries: Mutex<HashMap<String, PageEntry<V>>>,
}

impl<V> PageCache<V> {
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            version: AtomicU64::new(0),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let v = self.version.load(Ordering::Acquire);
        let map = self.entries.lock().unwrap();
        map.get(key)
            .filter(|(ver, at, _)| *ver == v && at.elapsed() < self.ttl)
            .map(|(_, _, page)| page.clone())
    }

    /// Stores a page computed under `version` (read before computing, so a change that
    /// happened meanwhile makes the entry stale at once).
    pub fn put(&self, key: String, version: u64, page: Arc<V>) {
        let mut map = self.entries.lock().unwrap();
        if map.len() > 2_000 {
            map.clear();
        }
        map.insert(key, (version, Instant::now(), page));
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_limit_counts_within_window() {
        let c = Cache::local("t");
        for _ in 0..3 {
            assert!(c.rate_limit("a", 3, Duration::from_secs(60)).await.is_ok());
        }
        let retry = c
            .rate_limit("a", 3, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!((1..=60).contains(&retry));
        assert!(c.rate_limit("b", 3, Duration::from_secs(60)).await.is_ok());
    }

    #[tokio::test]
    async fn local_values_expire() {
        let c = Cache::local("t");
        c.set("k", "v", Duration::from_millis(30)).await;
        assert_eq!(c.get("k").await.as_deref(), Some("v"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(c.get("k").await, None);
    }
}
