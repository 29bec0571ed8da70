//! The coarse clock behind the deadline checks every request makes.
//!
//! The guard asks, when a driver's work returns, whether it held its
//! thread past its timeout, and the watchdog stamps each request's start to
//! report one stuck for seconds. Both compare against limits of
//! milliseconds to minutes, and both run on every request a test sends: a
//! precise `Instant::now` costs about 30 ns on a virtual machine (the
//! time-stamp counter read through the vDSO), a third of what `direct`
//! adds over a bare `Router::oneshot`. On Linux this clock reads the
//! kernel's `CLOCK_MONOTONIC_COARSE` (the time at the last scheduler tick,
//! a few milliseconds' resolution, about 10 ns a read); elsewhere it reads
//! `Instant`.
//!
//! A coarse reading is up to one [`resolution`] behind, so an elapsed time
//! between two readings is off by less than one resolution either way.
//! [`Coarse::surely_past`] allows for it: it says a limit has passed only
//! when it certainly has, so a coarse reading never turns an answer in
//! time into a timeout. It may let work that overran its limit by less
//! than two resolutions through as an answer, never one that overran by
//! more.

use std::sync::OnceLock;
use std::time::Duration;

/// A point on the coarse monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Coarse(Duration);

impl Coarse {
    /// The clock now.
    pub(crate) fn now() -> Self {
        Self(read())
    }

    /// The time from `self` to now, by this clock.
    pub(crate) fn elapsed(self) -> Duration {
        read().saturating_sub(self.0)
    }

    /// The time from `earlier` to `self`.
    pub(crate) fn since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// More than `limit` has certainly passed since `self`: the clock shows
    /// more than `limit` plus one [`resolution`].
    pub(crate) fn surely_past(self, limit: Duration) -> bool {
        self.elapsed() > limit.saturating_add(resolution())
    }

    /// The reading as nanoseconds, for an atomic stamp.
    pub(crate) fn as_nanos(self) -> u64 {
        u64::try_from(self.0.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The reading a stamp from [`as_nanos`](Self::as_nanos) stands for.
    pub(crate) fn from_nanos(nanos: u64) -> Self {
        Self(Duration::from_nanos(nanos))
    }
}

/// How far a reading may lag the precise clock (4 ms on a kernel ticking at
/// 250 Hz); zero where the clock is `Instant`.
pub(crate) fn resolution() -> Duration {
    static RESOLUTION: OnceLock<Duration> = OnceLock::new();
    *RESOLUTION.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            let res = rustix::time::clock_getres(rustix::time::ClockId::MonotonicCoarse);
            to_duration(res)
        }
        #[cfg(not(target_os = "linux"))]
        {
            Duration::ZERO
        }
    })
}

#[cfg(target_os = "linux")]
fn read() -> Duration {
    to_duration(rustix::time::clock_gettime(
        rustix::time::ClockId::MonotonicCoarse,
    ))
}

#[cfg(target_os = "linux")]
fn to_duration(time: rustix::time::Timespec) -> Duration {
    let secs = u64::try_from(time.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(time.tv_nsec).unwrap_or(0);
    Duration::new(secs, nanos)
}

#[cfg(not(target_os = "linux"))]
fn read() -> Duration {
    static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
    EPOCH.get_or_init(std::time::Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_goes_back_and_follows_the_precise_one_within_its_resolution() {
        let precise = std::time::Instant::now();
        let start = Coarse::now();
        std::thread::sleep(Duration::from_millis(30));
        let end = Coarse::now();
        assert!(end >= start);
        let slack = resolution() + Duration::from_millis(1);
        let measured = end.since(start);
        assert!(
            measured + slack >= Duration::from_millis(30),
            "{measured:?} (resolution {:?})",
            resolution()
        );
        assert!(measured <= precise.elapsed() + slack, "{measured:?}");
    }

    #[test]
    fn a_limit_is_surely_past_only_once_it_has_passed_by_more_than_the_resolution() {
        let start = Coarse::now();
        assert!(!start.surely_past(Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(20) + 2 * resolution());
        assert!(start.surely_past(Duration::from_millis(10)));
        assert!(!start.surely_past(Duration::from_secs(60)));
    }

    #[test]
    fn a_stamp_stands_for_its_reading() {
        let now = Coarse::now();
        assert_eq!(Coarse::from_nanos(now.as_nanos()), now);
    }

    #[test]
    fn the_resolution_is_at_most_a_slow_kernel_tick() {
        assert!(
            resolution() <= Duration::from_millis(10),
            "{:?}",
            resolution()
        );
    }
}
