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

/// China Standard Time (UTC+8, no daylight saving): the calendar of plans, targets and
/// ledgers. Stored timestamps stay UTC; years and months are cut in CST.
pub fn cst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The CST calendar year of an instant.
pub fn cst_year(t: Ts) -> i32 {
    chrono::Datelike::year(&t.with_timezone(&cst()))
}

/// `YYYY-MM` of an instant in CST.
pub fn cst_month(t: Ts) -> String {
    t.with_timezone(&cst()).format("%Y-%m").to_string()
}

/// `[from, to)` of a CST year as stored (UTC) timestamps, for text range comparisons.
pub fn cst_year_bounds(year: i32) -> (String, String) {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| d.and_local_timezone(cst()).single())
            .map(|d| fmt(d.with_timezone(&Utc)))
            .unwrap_or_default()
    };
    (start(year), start(year + 1))
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
    fn cst_years_start_at_utc_four_pm() {
        assert_eq!(
            cst_year_bounds(2027),
            ("2026-12-31T16:00:00Z".into(), "2027-12-31T16:00:00Z".into())
        );
        let t = parse("2026-12-31T17:00:00Z").unwrap();
        assert_eq!(cst_year(t), 2027);
        assert_eq!(cst_month(t), "2027-01");
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
