//! The per-install rate limit: a token bucket per install pseudonym. One runaway install (a
//! bug in an app's retry loop, or a replay) is slowed down without touching the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept at most. Anyone holding the public key can seal batches under fresh
/// pseudonyms, so the table is bounded: full buckets are forgotten first (they hold nothing a
/// new bucket would not), and if that is not enough the table starts over, which only ever
/// errs towards letting a batch through.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `per_minute` batches a minute on average, up to `burst` at once (each at least 1).
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes a token from `install`'s bucket at `now`; if none is left, how long until one is.
    pub fn take(&self, install: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(install) {
            buckets.retain(|_, b| self.refilled(b, now) < self.burst);
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(install.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
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
        let limiter = RateLimiter::new(60, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("a", start), Ok(()));
        }
        let wait = limiter.take("a", start).unwrap_err();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        assert_eq!(limiter.take("b", start), Ok(()), "others are not slowed");
        let later = start + Duration::from_millis(500);
        let wait = limiter.take("a", later).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert_eq!(limiter.take("a", start + Duration::from_secs(1)), Ok(()));
        assert!(limiter.take("a", start + Duration::from_secs(1)).is_err());
        // A long pause refills only up to the burst.
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take("a", much_later), Ok(()));
        }
        assert!(limiter.take("a", much_later).is_err());
    }
}
