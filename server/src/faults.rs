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
        FaultPlan {
            script: Mutex::default(),
            random: Some(Mutex::new(Random {
                state: seed | 1,
                per_mille: (rate.clamp(0.0, 1.0) * 1000.0) as u64,
            })),
        }
    }

    pub fn push(&self, fault: Fault) {
        self.lock_script().push_back(fault);
    }

    /// The fault for the next request, if any.
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

impl Random {
    /// xorshift64*: plenty for choosing faults.
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
