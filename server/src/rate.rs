//! Token buckets, one per key: per install pseudonym (batches), and per peer address (events
//! declared in envelope headers, and deletion requests). One runaway sender (a bug in an app's
//! retry loop, a replay, a flood) is slowed down without touching the others.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept at most. Anyone holding the public key can seal batches under fresh
/// pseudonyms, so the table is bounded: full buckets are forgotten first (they hold nothing a
/// new bucket would not), and if that is not enough the table starts over, which only ever
/// errs towards letting a batch through.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter<K = String> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `per_minute` tokens a minute on average, up to `burst` at once (each at least 1).
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter<K> {
        RateLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes a token from `key`'s bucket at `now`; if none is left, how long until one is.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        self.take_many(key, 1, now)
    }

    /// Takes `cost` tokens (at most the burst: a cost above it takes the whole burst) from
    /// `key`'s bucket at `now`; if too few are left, how long until there are enough.
    pub fn take_many(&self, key: &K, cost: u32, now: Instant) -> Result<(), Duration> {
        let cost = f64::from(cost.max(1)).min(self.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, b| self.refilled(b, now) < self.burst);
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (cost - bucket.tokens) / self.per_second,
            ))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_per_install() {
        let limiter = RateLimiter::<&str>::new(60, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", start), Ok(()));
        }
        let wait = limiter.take(&"a", start).unwrap_err();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        assert_eq!(limiter.take(&"b", start), Ok(()), "others are not slowed");
        let later = start + Duration::from_millis(500);
        let wait = limiter.take(&"a", later).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert_eq!(limiter.take(&"a", start + Duration::from_secs(1)), Ok(()));
        assert!(limiter.take(&"a", start + Duration::from_secs(1)).is_err());
        // A long pause refills only up to the burst.
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", much_later), Ok(()));
        }
        assert!(limiter.take(&"a", much_later).is_err());
    }

    #[test]
    fn a_cost_takes_that_many_tokens_and_never_more_than_the_burst() {
        let limiter = RateLimiter::<u8>::new(600, 100);
        let start = Instant::now();
        assert_eq!(limiter.take_many(&1, 60, start), Ok(()));
        let wait = limiter.take_many(&1, 60, start).unwrap_err();
        assert!((wait.as_secs_f64() - 2.0).abs() < 1e-6, "{wait:?}");
        // A cost beyond the burst waits for a full bucket, never forever.
        assert_eq!(limiter.take_many(&2, 1_000_000, start), Ok(()));
        let wait = limiter.take_many(&2, 1_000_000, start).unwrap_err();
        assert!((wait.as_secs_f64() - 10.0).abs() < 1e-6, "{wait:?}");
    }
}
