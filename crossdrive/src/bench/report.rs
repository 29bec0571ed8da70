//! The bench output contract: `crossdrive.bench.v1` JSON and the Markdown
//! table rendered from it.
//!
//! Other tools read the JSON, so its field names are a contract (see
//! ARCHITECTURE.md): fields may be added, never removed or renamed. The Markdown
//! is rendered from the JSON alone, so a saved report renders the same
//! table later.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{FirstByteStats, Stats};

/// The schema name written in every report.
///
/// ```
/// use crossdrive::bench::report::{BenchReport, SCHEMA};
/// assert_eq!(SCHEMA, "crossdrive.bench.v1");
/// assert_eq!(BenchReport::starting_now("abc123", "suite").schema, SCHEMA);
/// ```
pub const SCHEMA: &str = "crossdrive.bench.v1";

/// One bench run.
///
/// ```
/// # use crossdrive::bench::report::*;
/// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
/// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
/// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
/// #         bytes_per_op: None };
/// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
/// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
/// # }
/// # let mut report = BenchReport::starting_now("abc123", "same-thread");
/// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
/// #     row("simple_get", "http1", 30.0, 20.0),
/// #                       row("json_post", "direct", 3.0, 1.5)];
/// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
/// let json = report.to_json();
/// let back = BenchReport::from_json(&json).unwrap();
/// assert_eq!(back, report);
/// assert_eq!(back.drivers(), ["direct", "http1"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Where it ran.
    pub machine: Machine,
    /// The commit measured, or `unknown`.
    pub git: String,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// `same-thread` (client and server on one current-thread runtime),
    /// `cross-thread` or `suite`; rows may carry their own.
    pub topology: String,
    /// One row per scenario and driver.
    pub results: Vec<BenchResult>,
    /// Load-mode rows (`--concurrency`), one per driver and concurrency.
    #[serde(default)]
    pub load: Vec<LoadResult>,
    /// Cells that could not be measured because the adapter refuses the
    /// scenario by design (a payload over a Lambda limit), with the reason.
    #[serde(default)]
    pub unmeasured: Vec<Unmeasured>,
    /// Cells that failed (a wrong answer, an error): no figures, the
    /// error instead. A run with any exits non-zero after writing its
    /// files.
    #[serde(default)]
    pub failed: Vec<FailedCell>,
}

/// A cell that failed: the scenario's answer was not the declared one, or
/// a request failed. Its error says whose mistake it is.
///
/// ```
/// # use crossdrive::bench::report::*;
/// let mut report = BenchReport::starting_now("abc123", "same-thread");
/// for driver in ["direct", "http1"] {
///     report.failed.push(FailedCell {
///         scenario: "simple_get".into(), driver: driver.into(),
///         error: "simple_get: every driver answered 200 where the scenario expects status \
///                 201 Created (step 1 (GET /)): the scenario or the app is wrong, not a driver".into(),
///         every_driver: true,
///     });
/// }
/// let md = report.to_markdown();
/// assert!(md.contains("| simple_get | failed ✗ | failed ✗ |"));
/// // one line for the scenario, not one per driver
/// assert_eq!(md.matches("every driver answered 200").count(), 1);
/// let back = BenchReport::from_json(&report.to_json()).unwrap();
/// assert!(report.to_json().contains(r#""error": "simple_get: every driver"#));
/// assert_eq!(back, report);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedCell {
    /// Scenario name.
    pub scenario: String,
    /// Driver name.
    pub driver: String,
    /// What went wrong, naming whose mistake it is and what to do.
    pub error: String,
    /// True when every driver of the run failed this scenario with the
    /// same answer: the scenario or the app is wrong, not a driver.
    #[serde(default)]
    pub every_driver: bool,
}

/// Below this many timed samples a cell's p99 is its slowest sample or
/// next to it, not a percentile: the 99th percentile of `n` samples has
/// `n / 100` samples beyond it, so under 100 there is none, and its
/// estimate's error only settles near 1,000. Such a row is marked
/// [`low_samples`](BenchResult::low_samples) (`§` in the Markdown).
///
/// ```
/// use crossdrive::bench::report::{BenchResult, LOW_SAMPLES};
/// # let stats = |samples: u64| crossdrive::bench::Stats { samples, p50_us: 2.0, p95_us: 3.0,
/// #     p99_us: 4.0, max_us: 5.0, mean_us: 2.0, ops_per_sec: 1.0, allocs_per_op: None,
/// #     bytes_per_op: None };
/// let row = |n| BenchResult::new("s", "direct", "in-process", &stats(n), "raw-oneshot", &stats(400));
/// assert!(row(LOW_SAMPLES - 1).low_samples);
/// assert!(!row(LOW_SAMPLES).low_samples);
/// ```
pub const LOW_SAMPLES: u64 = 100;

/// A cell the adapter cannot serve by design.
///
/// ```
/// # use crossdrive::bench::report::*;
/// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
/// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
/// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
/// #         bytes_per_op: None };
/// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
/// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
/// # }
/// # let mut report = BenchReport::starting_now("abc123", "same-thread");
/// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
/// #     row("simple_get", "http1", 30.0, 20.0),
/// #                       row("json_post", "direct", 3.0, 1.5)];
/// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
/// report.unmeasured.push(Unmeasured {
///     scenario: "payload_10mib".into(), driver: "lambda".into(),
///     reason: "a Lambda payload is at most 6 MB".into(),
/// });
/// assert_eq!(report.drivers(), ["direct", "http1", "lambda"]);
/// assert!(report.to_markdown().contains("not measured ‡"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmeasured {
    /// Scenario name.
    pub scenario: String,
    /// Driver name.
    pub driver: String,
    /// Why, as the adapter said it.
    pub reason: String,
}

/// Throughput and latency of one driver under concurrent load.
///
/// ```
/// use crossdrive::bench::report::LoadResult;
/// let load = LoadResult {
///     scenario: "simple_get".into(), driver: "http1".into(), concurrency: 8,
///     mode: "connections".into(), requests: 80_000, seconds: 2.0, throughput_rps: 40_000.0,
///     p50_us: 180.0, p95_us: 260.0, p99_us: 400.0, max_us: 2_000.0,
/// };
/// assert_eq!(load.requests as f64 / load.seconds, load.throughput_rps);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The scenario driven under load.
    pub scenario: String,
    /// Driver name.
    pub driver: String,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// How the concurrency is realised: `connections` (socket drivers: one
    /// client connection per worker to the shared server) or `tasks`
    /// (in-process drivers: concurrent tasks on the runtime).
    pub mode: String,
    /// Requests completed.
    pub requests: u64,
    /// Wall time of the load run, seconds.
    pub seconds: f64,
    /// Requests per second over the run.
    pub throughput_rps: f64,
    /// Median latency per request.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest request.
    pub max_us: f64,
}

/// The machine a report was measured on.
///
/// ```
/// let here = crossdrive::bench::report::Machine::current();
/// assert_eq!(here.os, std::env::consts::OS);
/// assert!(!here.cpu_model.is_empty()); // `unknown` when the OS does not say
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `linux`, `macos`, ...
    pub os: String,
    /// Logical CPUs available to the process.
    pub cpus: usize,
    /// The CPU model name, or `unknown`.
    pub cpu_model: String,
}

impl Machine {
    /// The machine this process runs on.
    ///
    /// ```
    /// let m = crossdrive::bench::report::Machine::current();
    /// assert!(m.cpus >= 1);
    /// ```
    pub fn current() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            os: std::env::consts::OS.to_owned(),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
        }
    }
}

/// One scenario measured through one driver, with its floor.
///
/// ```
/// # use crossdrive::bench::{Stats, report::BenchResult};
/// # let stats = |p50: f64| Stats { samples: 1000, p50_us: p50, p95_us: p50 * 1.5, p99_us: p50 * 2.0,
/// #     max_us: p50 * 10.0, mean_us: p50, ops_per_sec: 1e6 / p50, allocs_per_op: None,
/// #     bytes_per_op: None };
/// let row = BenchResult::new("simple_get", "http1", "HTTP/1.1", &stats(30.0),
///                           "raw-hyper-http1", &stats(20.0));
/// assert_eq!((row.p50_us, row.floor_p50_us), (30.0, 20.0));
/// assert_eq!(row.ratio(), 1.5);
/// assert!(!row.noisy);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// snake_case scenario name.
    pub scenario: String,
    /// Driver name.
    pub driver: String,
    /// The protocol the driver observed.
    pub protocol: String,
    /// Timed samples recorded.
    pub samples: u64,
    /// Median latency.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest sample.
    #[serde(default)]
    pub max_us: f64,
    /// Mean latency.
    pub mean_us: f64,
    /// Sequential operations per second.
    pub ops_per_sec: f64,
    /// Allocations per operation, process-wide (`null` when not counted).
    pub allocs_per_op: Option<f64>,
    /// Bytes allocated per operation, process-wide (`null` when not counted).
    pub bytes_per_op: Option<f64>,
    /// The reference measured in the same run (`raw-oneshot`, ...).
    pub floor: String,
    /// What the floor is, as the user described a custom driver's own floor
    /// ([`DriverSpec::floor_about`](crate::DriverSpec::floor_about));
    /// absent for a built-in floor, whose sentence the report's legend
    /// knows by its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_about: Option<String>,
    /// The floor's median.
    pub floor_p50_us: f64,
    /// The floor's 99th percentile.
    #[serde(default)]
    pub floor_p99_us: f64,
    /// Samples recorded for the floor.
    #[serde(default)]
    pub floor_samples: u64,
    /// Run-to-run spread of the driver's p50 across the cell's rounds, in
    /// percent of the median: the noise a comparison must exceed.
    #[serde(default)]
    pub spread_pct: f64,
    /// True when the machine was too noisy for this cell to be trusted
    /// (spread or p99/p50 too high, even after a repeat).
    #[serde(default)]
    pub noisy: bool,
    /// How many times the cell was measured (repeats for noise).
    #[serde(default = "one")]
    pub runs: u32,
    /// Where client and server ran for this row (`same-thread`,
    /// `cross-thread`, `suite`); always written, empty in reports from
    /// before rows carried it (the report's `topology` then applies).
    #[serde(default)]
    pub topology: String,
    /// Time to first byte, for scenarios with a streamed step
    /// ([`Step::streamed`](crate::scenario::Step::streamed)); the row's
    /// p50/p95/p99 are then its time to last byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte: Option<FirstByteStats>,
    /// The floor's time to first byte, measured beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_first_byte: Option<FirstByteStats>,
    /// True when the driver or its floor has fewer than [`LOW_SAMPLES`]
    /// timed samples: its p99 (and the ratio's floor) rest on too few to
    /// mean anything; give more `--samples` or a longer `--duration`.
    #[serde(default)]
    pub low_samples: bool,
}

fn one() -> u32 {
    1
}

impl BenchResult {
    /// A row from the driver's and the floor's stats.
    ///
    /// ```
    /// # use crossdrive::bench::{Stats, report::BenchResult};
    /// # let stats = |p50: f64| Stats { samples: 1000, p50_us: p50, p95_us: p50 * 1.5, p99_us: p50 * 2.0,
    /// #     max_us: p50 * 10.0, mean_us: p50, ops_per_sec: 1e6 / p50, allocs_per_op: None,
    /// #     bytes_per_op: None };
    /// let row = BenchResult::new("simple_get", "direct", "in-process", &stats(2.0),
    ///                           "raw-oneshot", &stats(1.0));
    /// assert_eq!((row.scenario.as_str(), row.floor.as_str()), ("simple_get", "raw-oneshot"));
    /// assert_eq!((row.samples, row.floor_samples, row.runs), (1000, 1000, 1));
    /// ```
    pub fn new(
        scenario: &str,
        driver: &str,
        protocol: &str,
        stats: &Stats,
        floor: &str,
        floor_stats: &Stats,
    ) -> Self {
        Self {
            scenario: scenario.to_owned(),
            driver: driver.to_owned(),
            protocol: protocol.to_owned(),
            samples: stats.samples,
            p50_us: stats.p50_us,
            p95_us: stats.p95_us,
            p99_us: stats.p99_us,
            max_us: stats.max_us,
            mean_us: stats.mean_us,
            ops_per_sec: stats.ops_per_sec,
            allocs_per_op: stats.allocs_per_op,
            bytes_per_op: stats.bytes_per_op,
            floor: floor.to_owned(),
            floor_about: None,
            floor_p50_us: floor_stats.p50_us,
            floor_p99_us: floor_stats.p99_us,
            floor_samples: floor_stats.samples,
            spread_pct: 0.0,
            noisy: false,
            runs: 1,
            topology: String::new(),
            first_byte: None,
            floor_first_byte: None,
            low_samples: stats.samples < LOW_SAMPLES || floor_stats.samples < LOW_SAMPLES,
        }
    }

    /// Driver p50 over floor p50: what the adapter costs beyond the minimum.
    ///
    /// ```
    /// # use crossdrive::bench::{Stats, report::BenchResult};
    /// # let stats = |p50: f64| Stats { samples: 1000, p50_us: p50, p95_us: p50 * 1.5, p99_us: p50 * 2.0,
    /// #     max_us: p50 * 10.0, mean_us: p50, ops_per_sec: 1e6 / p50, allocs_per_op: None,
    /// #     bytes_per_op: None };
    /// let row = BenchResult::new("simple_get", "direct", "in-process", &stats(3.0),
    ///                           "raw-oneshot", &stats(2.0));
    /// assert_eq!(row.ratio(), 1.5);
    /// let no_floor = BenchResult::new("simple_get", "direct", "in-process", &stats(3.0),
    ///                                "none", &stats(0.0));
    /// assert!(no_floor.ratio().is_nan());
    /// ```
    pub fn ratio(&self) -> f64 {
        if self.floor_p50_us > 0.0 {
            self.p50_us / self.floor_p50_us
        } else {
            f64::NAN
        }
    }
}

impl BenchReport {
    /// An empty report of a run starting now (`started` is the current
    /// time, RFC 3339 UTC to the second) on this machine, of commit `git`
    /// in `topology`.
    ///
    /// ```
    /// use crossdrive::bench::report::{BenchReport, SCHEMA};
    /// let report = BenchReport::starting_now("abc123", "same-thread");
    /// assert_eq!(report.schema, SCHEMA);
    /// assert!(report.started.ends_with('Z'));
    /// assert!(report.results.is_empty());
    /// ```
    pub fn starting_now(git: impl Into<String>, topology: impl Into<String>) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            machine: Machine::current(),
            git: git.into(),
            started: rfc3339_now(),
            topology: topology.into(),
            results: Vec::new(),
            load: Vec::new(),
            unmeasured: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Parses a report, checking its schema.
    ///
    /// ```
    /// use crossdrive::bench::report::BenchReport;
    /// let err = BenchReport::from_json(r#"{"schema":"other"}"#).unwrap_err();
    /// assert!(err.contains("crossdrive.bench.v1"));
    /// ```
    pub fn from_json(json: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("bench report is not JSON ({e})"))?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return Err(format!(
                "bench report does not declare schema {SCHEMA}; was it written by `cargo xtask bench`?"
            ));
        }
        serde_json::from_value(value).map_err(|e| {
            format!(
                "bench report does not match {SCHEMA} ({e}); regenerate it with `cargo xtask bench`"
            )
        })
    }

    /// The report as pretty JSON.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// let json = report.to_json();
    /// assert!(json.contains(r#""schema": "crossdrive.bench.v1""#));
    /// assert_eq!(BenchReport::from_json(&json).unwrap(), report);
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Driver names in first-seen order.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// assert_eq!(report.drivers(), ["direct", "http1"]);
    /// ```
    pub fn drivers(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        let all = self.results.iter().map(|r| r.driver.as_str());
        let others = self.unmeasured.iter().map(|u| u.driver.as_str());
        let failed = self.failed.iter().map(|f| f.driver.as_str());
        for d in all.chain(others).chain(failed) {
            if !seen.contains(&d) {
                seen.push(d);
            }
        }
        seen
    }

    /// Scenario names in first-seen order.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// assert_eq!(report.scenarios(), ["simple_get", "json_post"]);
    /// ```
    pub fn scenarios(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        let all = self.results.iter().map(|r| r.scenario.as_str());
        let others = self.unmeasured.iter().map(|u| u.scenario.as_str());
        let failed = self.failed.iter().map(|f| f.scenario.as_str());
        for s in all.chain(others).chain(failed) {
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        seen
    }

    fn is_failed(&self, scenario: &str, driver: &str) -> bool {
        self.failed
            .iter()
            .any(|f| f.scenario == scenario && f.driver == driver)
    }

    fn is_unmeasured(&self, scenario: &str, driver: &str) -> bool {
        self.unmeasured
            .iter()
            .any(|u| u.scenario == scenario && u.driver == driver)
    }

    /// The row for one scenario and driver.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// assert_eq!(report.cell("simple_get", "http1").unwrap().p50_us, 30.0);
    /// assert!(report.cell("json_post", "http1").is_none());
    /// ```
    pub fn cell(&self, scenario: &str, driver: &str) -> Option<&BenchResult> {
        self.results
            .iter()
            .find(|r| r.scenario == scenario && r.driver == driver)
    }

    /// The Markdown report: a p50 table (a row per scenario, a column per
    /// driver, cells `p50 (ratio× floor)`), a tail table (a row per cell:
    /// p95 / p99, the floor's p99, allocations, samples), the load table
    /// when there is one, and the legend saying what the floors are (a
    /// custom floor in the words of its
    /// [`DriverSpec::floor_about`](crate::DriverSpec::floor_about)).
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
    /// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
    /// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
    /// #         bytes_per_op: None };
    /// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
    /// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
    /// # }
    /// # let mut report = BenchReport::starting_now("abc123", "same-thread");
    /// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
    /// #     row("simple_get", "http1", 30.0, 20.0),
    /// #                       row("json_post", "direct", 3.0, 1.5)];
    /// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
    /// let md = report.to_markdown();
    /// assert!(md.contains("| scenario | direct | http1 |"));
    /// assert!(md.contains("| simple_get | 2.00 (2.00×) | 30.0 (1.50×) |"));
    /// assert!(md.contains("| json_post | 3.00 (2.00×) | — |"));
    /// // the tail table: one row per cell, however many drivers
    /// assert!(md.contains("| scenario | driver | p95 | p99 | floor p99 | allocs | bytes | samples |"));
    /// assert!(md.contains("| simple_get | http1 | 30.0 | 30.0 | 30.0 | n/a | n/a | 100 |"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let drivers = self.drivers();
        let scenarios = self.scenarios();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "crossdrive bench — {}, {} CPUs, {}; git {}, started {}, topology {}\n",
            self.machine.cpu_model,
            self.machine.cpus,
            self.machine.os,
            short(&self.git),
            self.started,
            self.topology
        );
        // A load-only run (`--concurrency`) has no latency cells: no empty
        // tables, no floor legend. A latency run whose every cell failed
        // still shows the table of them.
        let latency_failed = self.load.is_empty() && !self.failed.is_empty();
        if !self.results.is_empty() || latency_failed {
            self.latency_tables(&mut out, &drivers, &scenarios);
            self.first_byte_table(&mut out, &drivers);
        }
        self.load_table(&mut out);
        if !self.results.is_empty() {
            self.floor_legend(&mut out);
        }
        if !self.unmeasured.is_empty() {
            let _ = writeln!(
                out,
                "\n‡ not measured: the adapter refuses this scenario by design\n"
            );
            // One line per driver and reason: a driver that carries
            // WebSockets only refuses every HTTP row for the same reason.
            let mut lines: Vec<(&str, &str, Vec<&str>)> = Vec::new();
            for u in &self.unmeasured {
                let same = |l: &&mut (&str, &str, Vec<&str>)| l.0 == u.driver && l.1 == u.reason;
                match lines.iter_mut().find(same) {
                    Some(line) => line.2.push(&u.scenario),
                    None => lines.push((&u.driver, &u.reason, vec![&u.scenario])),
                }
            }
            for (driver, reason, scenarios) in lines {
                let scenarios = scenarios.join("`, `");
                let _ = writeln!(out, "- `{scenarios}` on `{driver}`: {reason}");
            }
        }
        self.failed_legend(&mut out);
        if self.results.iter().any(|r| r.low_samples) {
            let _ = writeln!(
                out,
                "\n§ low samples: fewer than {LOW_SAMPLES} timed samples for the driver or its floor, \
                 so its p99 is its slowest sample or next to it, not a percentile; give more \
                 --samples or a longer --duration before reading its tail."
            );
        }
        if self.results.iter().any(|r| r.noisy) {
            let _ = writeln!(
                out,
                "\n† noisy: the cell's p50 moved more than {NOISY_SPREAD_PCT}% between rounds or its \
                 p99 exceeded {NOISY_TAIL_RATIO}× its p50, even after a repeat; rerun on a quieter machine before acting on it."
            );
        }
        out
    }

    /// The failed cells, a scenario that failed alike on every driver
    /// once, the others one line per cell.
    fn failed_legend(&self, out: &mut String) {
        if self.failed.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n✗ failed: no figures for these cells\n");
        let mut said: Vec<&str> = Vec::new();
        for f in &self.failed {
            if f.every_driver {
                if said.contains(&f.scenario.as_str()) {
                    continue;
                }
                said.push(&f.scenario);
                let _ = writeln!(out, "- `{}` on every driver: {}", f.scenario, f.error);
            } else {
                let _ = writeln!(out, "- `{}` on `{}`: {}", f.scenario, f.driver, f.error);
            }
        }
    }

    /// Which topology the latency rows measured, and what that means.
    fn topology_caption(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.results {
            let t = if r.topology.is_empty() {
                self.topology.as_str()
            } else {
                r.topology.as_str()
            };
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
        if seen.is_empty() {
            // Every cell failed: the run's own topology.
            seen.push(&self.topology);
        }
        let described: Vec<String> = seen
            .iter()
            .map(|t| {
                t.parse::<super::Topology>().map_or_else(
                    |_| format!("topology {t}"),
                    |topology| format!("topology {t} ({})", topology.describe()),
                )
            })
            .collect();
        described.join("; ")
    }

    /// The p50 table and the tail table.
    fn latency_tables(&self, out: &mut String, drivers: &[&str], scenarios: &[&str]) {
        let _ = writeln!(
            out,
            "p50 latency in µs (ratio to the driver's floor, measured in the same run); {}\n",
            self.topology_caption()
        );
        self.table(out, drivers, scenarios, |r| {
            let mark = if r.noisy { " †" } else { "" };
            format!("{} ({:.2}×){mark}", us(r.p50_us), r.ratio())
        });
        self.tail_table(out, drivers, scenarios);
    }

    /// p95 / p99, allocations and samples: one row per cell (scenario and
    /// driver), so the table stays as narrow at 12 drivers as at 2.
    fn tail_table(&self, out: &mut String, drivers: &[&str], scenarios: &[&str]) {
        if self.results.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\np95 / p99 in µs (the floor's p99 beside them), allocations and bytes per request, \
             samples; {}\n",
            self.topology_caption()
        );
        out.push_str(
            "| scenario | driver | p95 | p99 | floor p99 | allocs | bytes | samples |\n\
             |---|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for scenario in scenarios {
            for driver in drivers {
                let Some(r) = self.cell(scenario, driver) else {
                    continue;
                };
                let (allocs, bytes_per) = match (r.allocs_per_op, r.bytes_per_op) {
                    (Some(a), Some(b)) => (format!("{a:.0}"), bytes(b)),
                    _ => ("n/a".to_owned(), "n/a".to_owned()),
                };
                // Reports from before rows carried it read 0.
                let floor_p99 = if r.floor_p99_us > 0.0 {
                    us(r.floor_p99_us)
                } else {
                    "—".to_owned()
                };
                let mark = if r.low_samples { " §" } else { "" };
                let _ = writeln!(
                    out,
                    "| {scenario} | {driver} | {} | {} | {floor_p99} | {allocs} | {bytes_per} | {}{mark} |",
                    us(r.p95_us),
                    us(r.p99_us),
                    r.samples
                );
            }
        }
    }

    /// Time to first and last byte of the streamed scenarios, when the run
    /// has any: one row per cell, as the tail table.
    fn first_byte_table(&self, out: &mut String, drivers: &[&str]) {
        let streamed: Vec<&BenchResult> = self
            .scenarios()
            .into_iter()
            .flat_map(|s| drivers.iter().filter_map(move |d| self.cell(s, d)))
            .filter(|r| r.first_byte.is_some())
            .collect();
        if streamed.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nStreamed scenarios: time to first byte p50 and p99, its ratio to the floor's first \
             byte, and time to last byte p50, in µs; a driver that buffers shows its first byte \
             with its last; {}\n",
            self.topology_caption()
        );
        out.push_str(
            "| scenario | driver | first byte p50 | first byte p99 | ratio | last byte p50 |\n\
             |---|---|---:|---:|---:|---:|\n",
        );
        for r in streamed {
            let Some(first) = &r.first_byte else {
                continue;
            };
            let ratio = r.floor_first_byte.filter(|f| f.p50_us > 0.0).map_or_else(
                || "—".to_owned(),
                |f| format!("{:.2}×", first.p50_us / f.p50_us),
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} | {} |",
                r.scenario,
                r.driver,
                us(first.p50_us),
                us(first.p99_us),
                us(r.p50_us)
            );
        }
    }

    /// The `--concurrency` table, when the run has one.
    fn load_table(&self, out: &mut String) {
        if self.load.is_empty() {
            return;
        }
        let topology = self.topology.parse::<super::Topology>().map_or_else(
            |_| format!("topology {}", self.topology),
            |t| format!("topology {t}: {}", t.describe_load()),
        );
        let _ = writeln!(out, "\nUnder load (`--concurrency`), {topology}\n");
        out.push_str(
            "| scenario | driver | concurrency | mode | requests | req/s | p50 µs | p99 µs |\n",
        );
        out.push_str("|---|---|---:|---|---:|---:|---:|---:|\n");
        for l in &self.load {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.0} | {} | {} |",
                l.scenario,
                l.driver,
                l.concurrency,
                l.mode,
                l.requests,
                l.throughput_rps,
                us(l.p50_us),
                us(l.p99_us)
            );
        }
    }

    /// What each driver's floor is.
    fn floor_legend(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nFloors (the least the same transport can cost, measured beside each driver):\n"
        );
        let mut floors: Vec<&BenchResult> = Vec::new();
        for r in &self.results {
            if !floors.iter().any(|f| f.driver == r.driver) {
                floors.push(r);
            }
        }
        for r in floors {
            let what = match (&r.floor_about, crate::registry::floor_about(&r.floor)) {
                (Some(about), _) => format!(": {about}"),
                (None, Some(about)) => format!(": {about}"),
                (None, None) => ": the driver's own floor, not described (say what it is with \
                     `DriverSpec::floor_about`)"
                    .to_owned(),
            };
            let _ = writeln!(
                out,
                "- `{}` ({}): floor `{}`{what}",
                r.driver, r.protocol, r.floor
            );
        }
    }

    fn table(
        &self,
        out: &mut String,
        drivers: &[&str],
        scenarios: &[&str],
        cell: impl Fn(&BenchResult) -> String,
    ) {
        header(out, drivers);
        for scenario in scenarios {
            let _ = write!(out, "| {scenario} |");
            for driver in drivers {
                match self.cell(scenario, driver) {
                    Some(r) => {
                        let _ = write!(out, " {} |", cell(r));
                    }
                    None if self.is_unmeasured(scenario, driver) => {
                        out.push_str(" not measured ‡ |");
                    }
                    None if self.is_failed(scenario, driver) => {
                        out.push_str(" failed ✗ |");
                    }
                    None => out.push_str(" — |"),
                }
            }
            out.push('\n');
        }
    }

    /// One CSV row per scenario and driver, with a header line.
    ///
    /// ```
    /// # use crossdrive::bench::report::*;
    /// let report = BenchReport {
    ///     schema: SCHEMA.into(), git: "abc".into(), started: "now".into(),
    ///     topology: "same-thread".into(), results: vec![], load: vec![], unmeasured: vec![],
    ///     failed: vec![FailedCell { scenario: "s".into(), driver: "direct".into(),
    ///                               error: "got 418, \"teapot\"".into(), every_driver: false }],
    ///     machine: Machine { os: "linux".into(), cpus: 2, cpu_model: "x".into() },
    /// };
    /// let csv = report.to_csv();
    /// assert!(csv.starts_with("scenario,driver,protocol,samples,p50_us"));
    /// assert!(csv.lines().next().unwrap().ends_with(",noisy,low_samples,error"));
    /// // a failed cell: no figures, its error quoted
    /// let row = csv.lines().nth(1).unwrap();
    /// assert!(row.starts_with("s,direct,,"), "{row}");
    /// assert!(row.ends_with(r#","got 418, ""teapot""""#), "{row}");
    /// ```
    pub fn to_csv(&self) -> String {
        // New columns go last, so a reader indexing the old ones still works.
        let mut out = String::from(
            "scenario,driver,protocol,samples,p50_us,p95_us,p99_us,max_us,mean_us,ops_per_sec,\
             allocs_per_op,bytes_per_op,floor,floor_p50_us,ratio,spread_pct,noisy,low_samples,error\n",
        );
        let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.2}"));
        for r in &self.results {
            let _ = writeln!(
                out,
                "{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.1},{},{},{},{:.3},{:.3},{:.1},{},{},",
                r.scenario,
                r.driver,
                r.protocol,
                r.samples,
                r.p50_us,
                r.p95_us,
                r.p99_us,
                r.max_us,
                r.mean_us,
                r.ops_per_sec,
                opt(r.allocs_per_op),
                opt(r.bytes_per_op),
                r.floor,
                r.floor_p50_us,
                r.ratio(),
                r.spread_pct,
                r.noisy,
                r.low_samples
            );
        }
        for f in &self.failed {
            // The 16 figure columns between driver and error stay empty.
            let error = f.error.replace('"', "\"\"");
            let empty = ",".repeat(17);
            let _ = writeln!(out, "{},{}{empty}\"{error}\"", f.scenario, f.driver);
        }
        out
    }
}

/// A cell whose p50 moves more than this between rounds (percent) is noisy.
///
/// ```
/// # use crossdrive::bench::report::*;
/// # fn row(scenario: &str, driver: &str, p50: f64, floor: f64) -> BenchResult {
/// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
/// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
/// #         bytes_per_op: None };
/// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
/// #     BenchResult::new(scenario, driver, "in-process", &s, "raw-oneshot", &f)
/// # }
/// # let mut report = BenchReport::starting_now("abc123", "same-thread");
/// # report.results = vec![row("simple_get", "direct", 2.0, 1.0),
/// #     row("simple_get", "http1", 30.0, 20.0),
/// #                       row("json_post", "direct", 3.0, 1.5)];
/// // p50 (floor): simple_get direct 2µs (1), http1 30µs (20); json_post direct 3µs (1.5)
/// report.results[0].spread_pct = 40.0;
/// report.results[0].noisy = report.results[0].spread_pct > NOISY_SPREAD_PCT;
/// assert!(report.to_markdown().contains("2.00 (2.00×) †"));
/// ```
pub const NOISY_SPREAD_PCT: f64 = 25.0;
/// A cell whose p99 exceeds this multiple of its p50 is noisy.
///
/// ```
/// use crossdrive::bench::report::NOISY_TAIL_RATIO;
/// let (p50_us, p99_us) = (2.0, 55.0);
/// assert!(p99_us / p50_us > NOISY_TAIL_RATIO); // such a cell is marked noisy
/// ```
pub const NOISY_TAIL_RATIO: f64 = 20.0;

fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

fn header(out: &mut String, drivers: &[&str]) {
    out.push_str("| scenario |");
    for d in drivers {
        let _ = write!(out, " {d} |");
    }
    out.push_str("\n|---|");
    for _ in drivers {
        out.push_str("---:|");
    }
    out.push('\n');
}

/// A latency in µs to three significant figures, as every table prints it.
pub(crate) fn us(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn short(git: &str) -> &str {
    git.get(..12).unwrap_or(git)
}

/// Now, to the second, as RFC 3339 UTC (`2026-11-22T06:30:00Z`).
fn rfc3339_now() -> String {
    rfc3339(jiff::Timestamp::now())
}

/// `at`, to the second, as RFC 3339 UTC.
fn rfc3339(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::{BenchReport, BenchResult, Unmeasured};
    use crate::bench::{FirstByteStats, Stats};

    #[test]
    fn unmeasured_cells_of_one_driver_for_one_reason_are_one_line() {
        let mut report = BenchReport::starting_now("abc123", "same-thread");
        let cell = |scenario: &str, driver: &str, reason: &str| Unmeasured {
            scenario: scenario.into(),
            driver: driver.into(),
            reason: reason.into(),
        };
        report.unmeasured = vec![
            cell("health", "lambda-ws", "WebSockets only"),
            cell("ws_echo", "lambda", "not carried"),
            cell("list", "lambda-ws", "WebSockets only"),
        ];
        let markdown = report.to_markdown();
        assert!(
            markdown.contains("- `health`, `list` on `lambda-ws`: WebSockets only\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- `ws_echo` on `lambda`: not carried\n"),
            "{markdown}"
        );
    }

    #[test]
    fn the_streamed_table_has_one_row_per_streamed_cell_with_its_first_byte_ratio() {
        let stats = |p50: f64| Stats {
            samples: 1000,
            p50_us: p50,
            p95_us: p50,
            p99_us: p50,
            max_us: p50,
            mean_us: p50,
            ops_per_sec: 1.0,
            allocs_per_op: None,
            bytes_per_op: None,
        };
        let first = |p50_us: f64| FirstByteStats {
            samples: 1000,
            p50_us,
            p95_us: p50_us * 2.0,
            p99_us: p50_us * 3.0,
        };
        let mut report = BenchReport::starting_now("abc", "same-thread");
        for (driver, first_byte, floor) in [("http1", 40.0, Some(20.0)), ("lambda", 300.0, None)] {
            let mut row =
                BenchResult::new("streamed", driver, "p", &stats(310.0), "f", &stats(200.0));
            row.first_byte = Some(first(first_byte));
            row.floor_first_byte = floor.map(first);
            report.results.push(row);
        }
        report.results.push(BenchResult::new(
            "simple_get",
            "http1",
            "p",
            &stats(20.0),
            "f",
            &stats(10.0),
        ));
        let markdown = report.to_markdown();
        for line in [
            "| scenario | driver | first byte p50 | first byte p99 | ratio | last byte p50 |",
            "| streamed | http1 | 40.0 | 120 | 2.00× | 310 |",
            "| streamed | lambda | 300 | 900 | — | 310 |",
        ] {
            assert!(markdown.contains(line), "{line} in:\n{markdown}");
        }
        let streamed = markdown
            .split("Streamed scenarios")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").nth(1))
            .expect("the streamed table");
        assert_eq!(
            streamed.lines().count(),
            4,
            "a cell without a first byte has no row:\n{streamed}"
        );
    }

    #[test]
    fn times_are_rfc3339_utc_to_the_second() {
        let at = |secs| super::rfc3339(Timestamp::from_second(secs).unwrap());
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_795_329_000), "2026-11-22T06:30:00Z");
        let fraction = Timestamp::new(1_795_329_000, 999_999_999).unwrap();
        assert_eq!(super::rfc3339(fraction), "2026-11-22T06:30:00Z");
        let now = super::rfc3339_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z'), "{now}");
    }
}
