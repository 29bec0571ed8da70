//! Timing loops and histograms.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// How many times to run an operation, and for how long at most.
///
/// ```
/// let quick = crossdrive::bench::Plan::quick();
/// assert!(quick.samples < crossdrive::bench::Plan::full().samples);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Untimed runs before recording starts.
    pub warmup: u64,
    /// Timed runs to record.
    pub samples: u64,
    /// The most a cell may take, warm-up included; recording stops early
    /// (with fewer samples, reported) rather than run past it.
    pub budget: Duration,
}

impl Plan {
    /// The default run: enough samples for a stable p99.
    ///
    /// ```
    /// let plan = crossdrive::bench::Plan::full();
    /// assert_eq!((plan.warmup, plan.samples), (2_000, 20_000));
    /// assert_eq!(plan.budget, std::time::Duration::from_secs(3));
    /// ```
    pub fn full() -> Self {
        Self {
            warmup: 2_000,
            samples: 20_000,
            budget: Duration::from_secs(3),
        }
    }

    /// A smoke run for CI: stable p50, rough tails.
    ///
    /// ```
    /// let plan = crossdrive::bench::Plan::quick();
    /// assert_eq!((plan.warmup, plan.samples), (200, 2_000));
    /// assert!(plan.budget < crossdrive::bench::Plan::full().budget);
    /// ```
    pub fn quick() -> Self {
        Self {
            warmup: 200,
            samples: 2_000,
            budget: Duration::from_millis(400),
        }
    }
}

/// What one timed iteration cost: its duration and, when an allocation
/// probe is installed, the allocations made while the stopwatch ran.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::bench::{Recorder, Sample};
/// let sample = Sample { elapsed: Duration::from_micros(12), allocs: 3, bytes: 256, first_byte: None };
/// let mut recorder = Recorder::new();
/// recorder.record(sample);
/// assert_eq!(recorder.stats().samples, 1);
/// assert_eq!(Sample::default().elapsed, Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Wall time of the timed part.
    pub elapsed: Duration,
    /// Allocations counted process-wide during the timed part.
    pub allocs: u64,
    /// Bytes allocated process-wide during the timed part.
    pub bytes: u64,
    /// When the first body byte arrived, from the start of the timed
    /// part, for scenarios whose steps read their response as it arrives
    /// ([`Step::streamed`](crate::scenario::Step::streamed)); `None`
    /// otherwise.
    pub first_byte: Option<Duration>,
}

/// Cumulative allocation counts, as returned by an allocation probe.
///
/// ```
/// use crossdrive::bench::AllocSnapshot;
/// let before = AllocSnapshot { allocs: 10, bytes: 640 };
/// let after = AllocSnapshot { allocs: 12, bytes: 704 };
/// assert_eq!((after.allocs - before.allocs, after.bytes - before.bytes), (2, 64));
/// assert_eq!(AllocSnapshot::default(), AllocSnapshot { allocs: 0, bytes: 0 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocSnapshot {
    /// Allocations so far.
    pub allocs: u64,
    /// Bytes allocated so far.
    pub bytes: u64,
}

static ALLOC_PROBE: OnceLock<fn() -> AllocSnapshot> = OnceLock::new();

/// Installs the process's allocation probe (a counting global allocator in
/// the bench binary). Only the first call counts.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use crossdrive::bench::{AllocSnapshot, Stopwatch, install_alloc_probe};
/// static LOOKS: AtomicU64 = AtomicU64::new(0);
/// // A stand-in for a counting global allocator: every look sees one more 64-byte allocation.
/// fn probe() -> AllocSnapshot {
///     let n = LOOKS.fetch_add(1, Ordering::Relaxed) + 1;
///     AllocSnapshot { allocs: n, bytes: 64 * n }
/// }
/// install_alloc_probe(probe);
/// let sample = Stopwatch::start().stop();
/// assert_eq!((sample.allocs, sample.bytes), (1, 64));
/// ```
pub fn install_alloc_probe(probe: fn() -> AllocSnapshot) {
    let _ = ALLOC_PROBE.set(probe);
}

fn alloc_snapshot() -> Option<AllocSnapshot> {
    ALLOC_PROBE.get().map(|probe| probe())
}

/// One nanosecond to one minute, three significant digits.
fn new_histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("static histogram bounds are valid")
}

/// Times one operation (and counts its allocations when a probe is
/// installed); start it after untimed setup, stop it before untimed checks.
///
/// ```
/// let watch = crossdrive::bench::Stopwatch::start();
/// let sample = watch.stop();
/// assert!(sample.elapsed < std::time::Duration::from_secs(1));
/// ```
#[derive(Debug)]
pub struct Stopwatch {
    start: Instant,
    allocs: Option<AllocSnapshot>,
}

impl Stopwatch {
    /// Starts timing now.
    ///
    /// ```
    /// let watch = crossdrive::bench::Stopwatch::start();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert!(watch.stop().elapsed >= std::time::Duration::from_millis(2));
    /// ```
    pub fn start() -> Self {
        let allocs = alloc_snapshot();
        Self {
            start: Instant::now(),
            allocs,
        }
    }

    /// Stops timing and returns what the operation cost.
    ///
    /// ```
    /// let watch = crossdrive::bench::Stopwatch::start();
    /// let sample = watch.stop();
    /// assert!(sample.elapsed < std::time::Duration::from_secs(1));
    /// assert_eq!(sample.allocs, 0); // no allocation probe installed
    /// ```
    pub fn stop(self) -> Sample {
        let elapsed = self.start.elapsed();
        let (allocs, bytes) = match (self.allocs, alloc_snapshot()) {
            (Some(a), Some(b)) => (
                b.allocs.saturating_sub(a.allocs),
                b.bytes.saturating_sub(a.bytes),
            ),
            _ => (0, 0),
        };
        Sample {
            elapsed,
            allocs,
            bytes,
            first_byte: None,
        }
    }
}

/// Collects timed samples into an HdrHistogram with nanosecond
/// resolution (3 significant figures, up to one minute).
///
/// ```
/// use std::time::Duration;
/// use crossdrive::bench::{Recorder, Sample};
/// let mut r = Recorder::new();
/// r.record(Sample { elapsed: Duration::from_micros(10), ..Sample::default() });
/// r.record(Sample { elapsed: Duration::from_micros(30), ..Sample::default() });
/// let s = r.stats();
/// assert_eq!(s.samples, 2);
/// assert!((s.mean_us - 20.0).abs() < 0.1);
/// ```
#[derive(Debug, Clone)]
pub struct Recorder {
    histogram: Histogram<u64>,
    total: Duration,
    allocs: u64,
    bytes: u64,
    raw: Option<Vec<u64>>,
    /// Times to first byte, once a sample carried one.
    first_byte: Option<Histogram<u64>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// An empty recorder.
    ///
    /// ```
    /// let recorder = crossdrive::bench::Recorder::new();
    /// assert_eq!(recorder.stats().samples, 0);
    /// assert!(recorder.raw().is_none());
    /// ```
    pub fn new() -> Self {
        let histogram = new_histogram();
        Self {
            histogram,
            total: Duration::ZERO,
            allocs: 0,
            bytes: 0,
            raw: None,
            first_byte: None,
        }
    }

    /// A recorder that also keeps every sample's duration, in nanoseconds
    /// and in order, for `--raw` output.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::bench::{Recorder, Sample};
    /// let mut recorder = Recorder::keeping_raw();
    /// recorder.record(Sample { elapsed: Duration::from_nanos(1500), ..Sample::default() });
    /// assert_eq!(recorder.raw(), Some(&[1500][..]));
    /// ```
    pub fn keeping_raw() -> Self {
        Self {
            raw: Some(Vec::new()),
            ..Self::new()
        }
    }

    /// Every recorded duration in nanoseconds, if this recorder keeps them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::bench::{Recorder, Sample};
    /// let mut recorder = Recorder::keeping_raw();
    /// for nanos in [300, 100, 200] {
    ///     recorder.record(Sample { elapsed: Duration::from_nanos(nanos), ..Sample::default() });
    /// }
    /// assert_eq!(recorder.raw(), Some(&[300, 100, 200][..])); // in recording order
    /// assert_eq!(Recorder::new().raw(), None);
    /// ```
    pub fn raw(&self) -> Option<&[u64]> {
        self.raw.as_deref()
    }

    /// Adds another recorder's samples to this one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::bench::{Recorder, Sample};
    /// let sample = Sample { elapsed: Duration::from_micros(5), ..Sample::default() };
    /// let (mut a, mut b) = (Recorder::new(), Recorder::new());
    /// a.record(sample);
    /// b.record(sample);
    /// b.record(sample);
    /// a.merge(&b);
    /// assert_eq!(a.stats().samples, 3);
    /// ```
    pub fn merge(&mut self, other: &Recorder) {
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
        self.total += other.total;
        self.allocs += other.allocs;
        self.bytes += other.bytes;
        if let (Some(mine), Some(theirs)) = (&mut self.raw, &other.raw) {
            mine.extend_from_slice(theirs);
        }
        if let Some(theirs) = &other.first_byte {
            match &mut self.first_byte {
                Some(mine) => {
                    let _ = mine.add(theirs);
                }
                None => self.first_byte = Some(theirs.clone()),
            }
        }
    }

    /// Records one sample; durations beyond one minute are clamped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::bench::{Recorder, Sample};
    /// let mut recorder = Recorder::new();
    /// recorder.record(Sample { elapsed: Duration::from_micros(40), ..Sample::default() });
    /// let two_minutes = Duration::from_secs(120); // beyond one minute: clamped
    /// recorder.record(Sample { elapsed: two_minutes, ..Sample::default() });
    /// assert_eq!(recorder.stats().samples, 2);
    /// assert!(recorder.stats().max_us <= 60_100_000.0);
    /// ```
    pub fn record(&mut self, sample: Sample) {
        let nanos = u64::try_from(sample.elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.histogram.saturating_record(nanos.max(1));
        if let Some(raw) = &mut self.raw {
            raw.push(nanos);
        }
        self.total += sample.elapsed;
        self.allocs += sample.allocs;
        self.bytes += sample.bytes;
        if let Some(first) = sample.first_byte {
            let nanos = u64::try_from(first.as_nanos()).unwrap_or(u64::MAX);
            let histogram = self.first_byte.get_or_insert_with(new_histogram);
            histogram.saturating_record(nanos.max(1));
        }
    }

    /// Time to first byte over the samples that carried one, or `None`
    /// when none did (a scenario without streamed steps).
    ///
    /// ```
    /// use crossdrive::bench::{Recorder, Sample};
    /// use std::time::Duration;
    /// let mut recorder = Recorder::new();
    /// recorder.record(Sample { elapsed: Duration::from_micros(900), ..Sample::default() });
    /// assert!(recorder.first_byte_stats().is_none());
    /// recorder.record(Sample {
    ///     elapsed: Duration::from_micros(900),
    ///     first_byte: Some(Duration::from_micros(40)),
    ///     ..Sample::default()
    /// });
    /// let ttfb = recorder.first_byte_stats().unwrap();
    /// assert_eq!((ttfb.samples, ttfb.p50_us.round()), (1, 40.0));
    /// ```
    pub fn first_byte_stats(&self) -> Option<FirstByteStats> {
        let h = self.first_byte.as_ref()?;
        let us = |nanos: u64| nanos as f64 / 1_000.0;
        Some(FirstByteStats {
            samples: h.len(),
            p50_us: us(h.value_at_quantile(0.50)),
            p95_us: us(h.value_at_quantile(0.95)),
            p99_us: us(h.value_at_quantile(0.99)),
        })
    }

    /// The summary of what was recorded.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::bench::{Recorder, Sample};
    /// let mut recorder = Recorder::new();
    /// for micros in [10, 20, 30] {
    ///     recorder.record(Sample { elapsed: Duration::from_micros(micros), ..Sample::default() });
    /// }
    /// let stats = recorder.stats();
    /// assert_eq!(stats.samples, 3);
    /// assert!((stats.p50_us - 20.0).abs() < 0.1 && (stats.max_us - 30.0).abs() < 0.1);
    /// ```
    pub fn stats(&self) -> Stats {
        let h = &self.histogram;
        let us = |nanos: u64| nanos as f64 / 1_000.0;
        let samples = h.len();
        let per_op = |total: u64| {
            (ALLOC_PROBE.get().is_some() && samples > 0).then(|| total as f64 / samples as f64)
        };
        Stats {
            samples,
            p50_us: us(h.value_at_quantile(0.50)),
            p95_us: us(h.value_at_quantile(0.95)),
            p99_us: us(h.value_at_quantile(0.99)),
            max_us: us(h.max()),
            mean_us: h.mean() / 1_000.0,
            ops_per_sec: if self.total.is_zero() {
                0.0
            } else {
                samples as f64 / self.total.as_secs_f64()
            },
            allocs_per_op: per_op(self.allocs),
            bytes_per_op: per_op(self.bytes),
        }
    }
}

/// Time-to-first-byte quantiles of a streamed scenario, in microseconds
/// from the start of its timed part.
///
/// ```
/// let ttfb = crossdrive::bench::FirstByteStats { samples: 10, p50_us: 40.0, p95_us: 55.0, p99_us: 70.0 };
/// assert!(ttfb.p50_us <= ttfb.p99_us);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FirstByteStats {
    /// How many samples carried a first byte.
    pub samples: u64,
    /// Median time to first byte.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
}

/// A latency summary, in microseconds.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::bench::{Recorder, Sample, Stats};
/// let mut recorder = Recorder::new();
/// recorder.record(Sample { elapsed: Duration::from_micros(100), ..Sample::default() });
/// let stats: Stats = recorder.stats();
/// assert!((stats.p99_us - 100.0).abs() < 0.1);
/// assert!((stats.ops_per_sec - 10_000.0).abs() < 1.0); // one 100µs operation
/// assert_eq!(stats.allocs_per_op, None); // no allocation probe installed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Timed runs recorded.
    pub samples: u64,
    /// Median.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest.
    pub max_us: f64,
    /// Mean.
    pub mean_us: f64,
    /// Operations per second of timed work (sequential).
    pub ops_per_sec: f64,
    /// Allocations per operation, process-wide; `None` without a probe.
    pub allocs_per_op: Option<f64>,
    /// Bytes allocated per operation, process-wide; `None` without a probe.
    pub bytes_per_op: Option<f64>,
}

/// Runs `op` for `plan.warmup` untimed and `plan.samples` timed iterations,
/// within `plan.budget`, recording the [`Sample`] each iteration reports (so
/// an operation can exclude its own untimed setup with a [`Stopwatch`]).
///
/// ```
/// use std::time::Duration;
/// use crossdrive::bench::{measure, Plan, Recorder, Stopwatch};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let plan = Plan { warmup: 1, samples: 5, budget: Duration::from_secs(1) };
/// let mut rec = Recorder::new();
/// measure(plan, &mut rec, || async {
///     let watch = Stopwatch::start();
///     Ok::<_, String>(watch.stop())
/// }).await.unwrap();
/// assert_eq!(rec.stats().samples, 5);
/// # });
/// ```
pub async fn measure<F, Fut, E>(plan: Plan, recorder: &mut Recorder, mut op: F) -> Result<(), E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Sample, E>>,
{
    let start = Instant::now();
    let mut warmed = 0u64;
    while warmed < plan.warmup && start.elapsed() < plan.budget / 4 {
        op().await?;
        warmed += 1;
    }
    let mut recorded = 0u64;
    while recorded < plan.samples && (recorded == 0 || start.elapsed() < plan.budget) {
        recorder.record(op().await?);
        recorded += 1;
    }
    Ok(())
}
