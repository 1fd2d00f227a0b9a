//! One timestamp format everywhere: UTC, RFC 3339 with seconds and a `Z`
//! (`2026-11-28T08:00:00Z`). Fixed width, so text comparison is time order on both databases.
//! The clock is injectable so rules that depend on "now" (no-shows, windows) can be tested.

use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub type Ts = DateTime<Utc>;

pub fn fmt(t: Ts) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse(s: &str) -> Option<Ts> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// System time, optionally shifted by an offset that tests move forward.
#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Ts {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }
    pub fn now_str(&self) -> String {
        fmt(self.now())
    }
    /// Moves this clock (and every clone of it) forward. For tests and drills.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn format_is_fixed_width_and_round_trips() {
        let t = parse("2026-01-02T03:04:05+08:00").unwrap();
        assert_eq!(fmt(t), "2026-01-01T19:04:05Z");
        assert_eq!(parse(&fmt(t)), Some(t));
    }
    #[test]
    fn clock_advances_for_all_clones() {
        let c = Clock::default();
        let d = c.clone();
        let before = d.now();
        c.advance(3600);
        assert!(d.now() - before >= chrono::Duration::seconds(3599));
    }
}
