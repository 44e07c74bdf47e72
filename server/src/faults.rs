//! Scripted failures, consumed one per batch request before normal handling: how the tests
//! and the demo make the network and the collector misbehave on loopback.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (500, 502…) without looking at the request.
    Status(u16),
    /// Answer with this status (429, 503) and a `Retry-After` in seconds.
    RetryAfter { status: u16, seconds: u64 },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
}

/// The faults to inject: a script first, then (optionally) random ones at a rate.
#[derive(Debug, Default)]
pub struct FaultPlan {
    script: Mutex<VecDeque<Fault>>,
    random: Option<Mutex<Random>>,
}

#[derive(Debug)]
struct Random {
    state: u64,
    /// Out of 1000 requests, how many get a fault.
    per_mille: u64,
}

impl FaultPlan {
    pub fn script(faults: impl IntoIterator<Item = Fault>) -> FaultPlan {
        FaultPlan {
            script: Mutex::new(faults.into_iter().collect()),
            random: None,
        }
    }

    /// Faults at `rate` (0 to 1) of requests: 500s, 503s with a one-second Retry-After, and
    /// short delays, drawn deterministically from `seed`.
    pub fn random(seed: u64, rate: f64) -> FaultPlan {
        // Clamped to 0..=1000 first (NaN casts to 0): the cast cannot truncate or lose a sign.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let per_mille = (rate.clamp(0.0, 1.0) * 1000.0) as u64;
        FaultPlan {
            script: Mutex::default(),
            random: Some(Mutex::new(Random {
                state: mix(seed),
                per_mille,
            })),
        }
    }

    /// Appends a fault to the script (tests may add faults while the server runs).
    pub fn push(&self, fault: Fault) {
        self.lock_script().push_back(fault);
    }

    /// How many scripted faults are still to come.
    pub fn scripted(&self) -> usize {
        self.lock_script().len()
    }

    /// The fault for the next request, if any: the script's next, else a random draw.
    pub fn next(&self) -> Option<Fault> {
        if let Some(fault) = self.lock_script().pop_front() {
            return Some(fault);
        }
        let mut random = self
            .random
            .as_ref()?
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let draw = random.next();
        if draw % 1000 >= random.per_mille {
            return None;
        }
        Some(match (draw / 1000) % 3 {
            0 => Fault::Status(500),
            1 => Fault::RetryAfter {
                status: 503,
                seconds: 1,
            },
            _ => Fault::Delay(Duration::from_millis(50)),
        })
    }

    fn lock_script(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.script.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// SplitMix64's finalizer: every seed gives its own non-zero xorshift state (`seed | 1` would
/// make neighbouring seeds identical).
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).max(1)
}

impl Random {
    /// xorshift64*: plenty for choosing faults.
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_is_served_in_order_then_nothing() {
        let plan = FaultPlan::script([Fault::Status(500), Fault::Delay(Duration::from_millis(5))]);
        plan.push(Fault::RetryAfter {
            status: 503,
            seconds: 2,
        });
        assert_eq!(plan.scripted(), 3);
        assert_eq!(plan.next(), Some(Fault::Status(500)));
        assert_eq!(plan.next(), Some(Fault::Delay(Duration::from_millis(5))));
        assert_eq!(
            plan.next(),
            Some(Fault::RetryAfter {
                status: 503,
                seconds: 2
            })
        );
        assert_eq!(plan.next(), None);
        assert_eq!(FaultPlan::default().next(), None);
    }

    #[test]
    fn random_faults_follow_the_seed_and_the_rate() {
        let draw = |seed, rate| {
            let plan = FaultPlan::random(seed, rate);
            (0..4000).map(|_| plan.next()).collect::<Vec<_>>()
        };
        let a = draw(42, 0.1);
        assert!(a == draw(42, 0.1), "the same seed, the same faults");
        assert!(a != draw(43, 0.1), "another seed, other faults");
        let faults = a.iter().flatten().count();
        assert!((300..=500).contains(&faults), "{faults} of 4000 at 10%");
        for kind in [
            Fault::Status(500),
            Fault::RetryAfter {
                status: 503,
                seconds: 1,
            },
            Fault::Delay(Duration::from_millis(50)),
        ] {
            assert!(a.contains(&Some(kind.clone())), "{kind:?} drawn");
        }
        assert!(draw(42, 0.0).iter().all(Option::is_none));
        assert!(draw(42, 1.0).iter().all(Option::is_some));
    }
}
