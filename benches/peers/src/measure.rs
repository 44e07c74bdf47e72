//! What a child measures about itself: latency of each call, CPU time and peak memory
//! (getrusage), bytes written (/proc/self/io), and the paced clock the session runs on.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One event's cost on the caller's thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// The SDK's record call alone.
    pub call_ns: u64,
    /// Building the SDK's event from the app's data, plus the call.
    pub build_and_call_ns: u64,
}

/// Times `build` and then `call` with what it built.
pub fn timed<T>(build: impl FnOnce() -> T, call: impl FnOnce(T)) -> Sample {
    let t0 = Instant::now();
    let built = build();
    let t1 = Instant::now();
    call(built);
    let t2 = Instant::now();
    Sample {
        call_ns: nanos(t2 - t1),
        build_and_call_ns: nanos(t2 - t0),
    }
}

pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The value at quantile `q` (0..=1) of `values`, sorted in place (nearest rank).
pub fn quantile(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// CPU time of every thread of this process, and its peak resident memory.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_ns: u64,
    pub max_rss_kib: u64,
}

impl Usage {
    pub fn now() -> Usage {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        let tv = |t: libc::timeval| {
            u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000
                + u64::try_from(t.tv_usec).unwrap_or(0) * 1_000
        };
        Usage {
            cpu_ns: tv(ru.ru_utime) + tv(ru.ru_stime),
            max_rss_kib: u64::try_from(ru.ru_maxrss).unwrap_or(0),
        }
    }
}

/// CPU time of the calling thread, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    // SAFETY: clock_gettime fills the zeroed struct it is given.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// This process's I/O counters (all threads, living and exited).
#[derive(Debug, Clone, Copy, Default)]
pub struct Io {
    /// Bytes passed to write-like system calls, to any file, pipe or socket.
    pub wchar: u64,
    /// Bytes this process caused to be sent to the block layer (page granularity).
    pub write_bytes: u64,
    /// Of those, bytes whose pages were truncated or deleted before they were written out.
    pub cancelled_write_bytes: u64,
}

impl Io {
    pub fn now() -> Io {
        let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        Io {
            wchar: field("wchar"),
            write_bytes: field("write_bytes"),
            cancelled_write_bytes: field("cancelled_write_bytes"),
        }
    }

    pub fn since(self, before: Io) -> Io {
        Io {
            wchar: self.wchar.saturating_sub(before.wchar),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
            cancelled_write_bytes: self
                .cancelled_write_bytes
                .saturating_sub(before.cancelled_write_bytes),
        }
    }
}

/// The session's clock: simulated time runs `factor` times faster than real time from the
/// moment the session begins. SDKs that accept a clock read it; the harness sleeps on it.
#[derive(Debug)]
pub struct Pacer {
    factor: u64,
    /// Whether SDK timers that can be configured run on the session's clock too.
    scale_timers: bool,
    /// Wall-clock time at which the session starts, in Unix milliseconds.
    start_unix_ms: u64,
    origin: OnceLock<Instant>,
}

impl Pacer {
    pub fn new(factor: u64, scale_timers: bool) -> Pacer {
        let start_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        Pacer {
            factor: factor.max(1),
            scale_timers,
            start_unix_ms,
            origin: OnceLock::new(),
        }
    }

    /// Simulated time per unit of real time.
    pub fn factor(&self) -> u64 {
        self.factor
    }

    /// Whether configurable SDK timers are scaled (see [`Pacer::timer`]).
    pub fn scales_timers(&self) -> bool {
        self.scale_timers
    }

    /// A timer of the SDK's, as configured for this run: unchanged, or divided by the factor
    /// so it fires as often per event as in a real session.
    pub fn timer(&self, real: Duration) -> Duration {
        if self.scale_timers {
            real / u32::try_from(self.factor).unwrap_or(u32::MAX)
        } else {
            real
        }
    }

    /// Starts simulated time.
    pub fn begin(&self) {
        let _ = self.origin.set(Instant::now());
    }

    /// Sleeps until simulated time reaches `at_ms` into the session (no sleep when behind).
    pub fn wait_until(&self, at_ms: u64) {
        let Some(origin) = self.origin.get() else {
            return;
        };
        let due = *origin + Duration::from_micros(at_ms * 1_000 / self.factor);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }

    /// Simulated milliseconds since the session began (0 before).
    pub fn elapsed_ms(&self) -> u64 {
        self.origin.get().map_or(0, |origin| {
            let real_us = u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX);
            real_us.saturating_mul(self.factor) / 1_000
        })
    }

    /// The wall-clock time of `at_ms` into the session.
    pub fn unix_ms_at(&self, at_ms: u64) -> u64 {
        self.start_unix_ms + at_ms
    }

    pub fn system_time_at(&self, at_ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.unix_ms_at(at_ms))
    }

    /// Simulated wall-clock time now.
    pub fn now_unix_ms(&self) -> u64 {
        self.unix_ms_at(self.elapsed_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(quantile(&mut v, 0.5), 50);
        assert_eq!(quantile(&mut v, 0.99), 99);
        assert_eq!(quantile(&mut [7], 0.99), 7);
    }
}
