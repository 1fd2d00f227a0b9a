//! Booking rules that need no database: plain functions, tested on their own.

use crate::time::Ts;
use chrono::{Datelike, Duration, NaiveDate};
use sha2::{Digest, Sha256};

/// The no-show rule: `limit` no-shows within `window_days` suspend booking for `suspension_days`.
#[derive(Debug, Clone, Copy)]
pub struct NoShowRule {
    pub limit: i64,
    pub window_days: i64,
    pub suspension_days: i64,
}

/// When booking is suspended until, given the end times of a person's (unwaived) no-shows.
///
/// Walks the no-shows in time order. When `limit` of them fall within `window_days`, a
/// suspension starts at the last one; the no-shows that caused it are used up, so one more
/// after the suspension does not suspend again on its own. Returns the end of the latest
/// suspension if it is still running at `now`.
pub fn suspended_until(no_shows: &[Ts], now: Ts, rule: NoShowRule) -> Option<Ts> {
    let mut times: Vec<Ts> = no_shows.iter().copied().filter(|t| *t <= now).collect();
    times.sort();
    let mut window: Vec<Ts> = Vec::new();
    let mut until: Option<Ts> = None;
    for t in times {
        // A no-show during a running suspension cannot have been a booking made then; count it anyway.
        window.retain(|w| t - *w < Duration::days(rule.window_days));
        window.push(t);
        if window.len() as i64 >= rule.limit {
            until = Some(t + Duration::days(rule.suspension_days));
            window.clear();
        }
    }
    until.filter(|u| *u > now)
}

/// No-shows that still count towards the next suspension (shown to the resident).
pub fn counting_no_shows(no_shows: &[Ts], now: Ts, rule: NoShowRule) -> i64 {
    let mut times: Vec<Ts> = no_shows.iter().copied().filter(|t| *t <= now).collect();
    times.sort();
    let mut window: Vec<Ts> = Vec::new();
    for t in times {
        window.retain(|w| t - *w < Duration::days(rule.window_days));
        window.push(t);
        if window.len() as i64 >= rule.limit {
            window.clear();
        }
    }
    window.retain(|w| now - *w < Duration::days(rule.window_days));
    window.len() as i64
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut age = on.year() as i64 - birth.year() as i64;
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The lottery order: entries sorted by SHA-256(seed ":" entry id). Anyone holding the
/// published seed and the list of entry ids can recompute it.
pub fn lottery_order(seed: &str, entry_ids: &[i64]) -> Vec<i64> {
    let mut keyed: Vec<(Vec<u8>, i64)> = entry_ids
        .iter()
        .map(|id| {
            (
                Sha256::digest(format!("{seed}:{id}").as_bytes()).to_vec(),
                *id,
            )
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

pub fn seed_commitment(seed: &str) -> String {
    hex::encode(Sha256::digest(seed.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse;

    const RULE: NoShowRule = NoShowRule {
        limit: 3,
        window_days: 90,
        suspension_days: 30,
    };

    fn d(s: &str) -> Ts {
        parse(&format!("{s}T12:00:00Z")).unwrap()
    }

    #[test]
    fn three_in_ninety_days_suspend_for_thirty() {
        let ns = [d("2026-01-01"), d("2026-02-01"), d("2026-03-01")];
        assert_eq!(
            suspended_until(&ns, d("2026-03-02"), RULE),
            Some(d("2026-03-31"))
        );
        assert_eq!(suspended_until(&ns, d("2026-04-01"), RULE), None);
    }

    #[test]
    fn spread_out_no_shows_do_not_suspend() {
        let ns = [d("2026-01-01"), d("2026-03-15"), d("2026-06-10")];
        assert_eq!(suspended_until(&ns, d("2026-06-11"), RULE), None);
        assert_eq!(counting_no_shows(&ns, d("2026-06-11"), RULE), 2);
    }

    #[test]
    fn used_up_no_shows_do_not_count_twice() {
        let ns = [
            d("2026-01-01"),
            d("2026-01-10"),
            d("2026-01-20"),
            d("2026-03-01"),
        ];
        // Suspended 01-20 .. 02-19; the fourth no-show alone does not suspend again.
        assert_eq!(suspended_until(&ns, d("2026-03-02"), RULE), None);
        assert_eq!(counting_no_shows(&ns, d("2026-03-02"), RULE), 1);
    }

    #[test]
    fn future_no_shows_are_ignored() {
        let ns = [d("2026-01-01"), d("2026-01-02"), d("2026-05-01")];
        assert_eq!(suspended_until(&ns, d("2026-01-03"), RULE), None);
    }

    #[test]
    fn ages() {
        let b = NaiveDate::from_ymd_opt(2015, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()), 10);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()), 11);
    }

    #[test]
    fn lottery_is_reproducible_and_seed_dependent() {
        let ids: Vec<i64> = (1..=50).collect();
        let a = lottery_order("seed-a", &ids);
        assert_eq!(a, lottery_order("seed-a", &ids));
        let mut shuffled = ids.clone();
        shuffled.reverse();
        assert_eq!(
            a,
            lottery_order("seed-a", &shuffled),
            "input order must not matter"
        );
        assert_ne!(a, lottery_order("seed-b", &ids));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "a permutation of the entries");
    }
}
