use std::time::Duration;

/// Exponential backoff with full jitter: after the n-th consecutive failure, a delay drawn
/// uniformly from `[0, min(cap, base × 2^(n−1))]`. Full jitter spreads a fleet's retries, so
/// a collector coming back from an outage is not hit by every device at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The ceiling for the `failures`-th consecutive failure (1 for the first).
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        self.base
            .checked_mul(1u32 << doublings.min(31))
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The delay for the `failures`-th consecutive failure, given a uniformly random `u64`.
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let ceiling = u64::try_from(self.ceiling(failures).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random % ceiling.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_jitters_within_it() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        };
        assert_eq!(b.ceiling(1), Duration::from_secs(1));
        assert_eq!(b.ceiling(2), Duration::from_secs(2));
        assert_eq!(b.ceiling(6), Duration::from_secs(32));
        assert_eq!(b.ceiling(7), Duration::from_secs(60));
        assert_eq!(b.ceiling(1000), Duration::from_secs(60));
        assert_eq!(b.delay(3, 0), Duration::ZERO);
        assert_eq!(b.delay(3, 4000), Duration::from_millis(4000));
        assert_eq!(b.delay(3, 4001), Duration::ZERO);
        for r in [1u64, 77, u64::MAX, 123_456_789] {
            assert!(b.delay(20, r) <= Duration::from_secs(60));
        }
    }
}
