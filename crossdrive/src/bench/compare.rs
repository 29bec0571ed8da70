//! Comparing a run with a saved baseline, cell by cell.
//!
//! On a shared machine absolute times drift between runs far more than
//! within one (30–50% for sub-microsecond cells, docs/benchmarks.md), so a
//! change only counts when it is larger than the *measured* noise: the
//! larger of the two runs' round-to-round spreads, plus how far the cell's
//! floor itself moved between the runs (the floor runs the same app on the
//! same transport, so its drift is the machine's drift). A regression is a
//! p50 change above both the threshold and that noise. A change that the
//! floor shares is reported as "moved with its floor": the machine or the
//! app itself changed, not the adapter.

use std::fmt::Write as _;

use super::report::BenchReport;

/// What happened to one cell between the baseline and now.
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
/// # use crossdrive::bench::compare::{Verdict, compare};
/// # let mut slower = report.clone();
/// # slower.results[0].p50_us = 4.0; // simple_get on direct doubled, its floor did not move
/// # let c = compare("main", &report, &slower, 10.0);
/// assert_eq!(c.changes[0].verdict, Verdict::Regressed);
/// assert_eq!(c.changes[1].verdict, Verdict::Unchanged);
/// let mut fresh = slower.clone();
/// fresh.results.push(row("new_scenario", "direct", 1.0, 1.0));
/// assert_eq!(compare("main", &report, &fresh, 10.0).changes[3].verdict, Verdict::New);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Slower beyond the threshold and the noise.
    Regressed,
    /// Faster beyond the threshold and the noise.
    Improved,
    /// Changed beyond the threshold, but no more than the measured noise.
    WithinNoise,
    /// Changed less than the threshold.
    Unchanged,
    /// Not in the baseline.
    New,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Self::Regressed => "REGRESSED",
            Self::Improved => "improved",
            Self::WithinNoise => "within noise",
            Self::Unchanged => "unchanged",
            Self::New => "new",
        }
    }
}

/// One cell's change.
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
/// # use crossdrive::bench::compare::{Verdict, compare};
/// # let mut slower = report.clone();
/// # slower.results[0].p50_us = 4.0; // simple_get on direct doubled, its floor did not move
/// # let c = compare("main", &report, &slower, 10.0);
/// let change = &c.changes[0];
/// assert_eq!((change.scenario.as_str(), change.driver.as_str()), ("simple_get", "direct"));
/// assert_eq!(change.baseline_p50_us, Some(2.0));
/// assert_eq!(change.change_pct, 100.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Scenario name.
    pub scenario: String,
    /// Driver name.
    pub driver: String,
    /// The baseline's p50, if the cell existed then.
    pub baseline_p50_us: Option<f64>,
    /// This run's p50.
    pub current_p50_us: f64,
    /// p50 change in percent (positive is slower).
    pub change_pct: f64,
    /// The noise the change had to exceed, in percent.
    pub noise_pct: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// A whole comparison.
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
/// # use crossdrive::bench::compare::{Verdict, compare};
/// # let mut slower = report.clone();
/// # slower.results[0].p50_us = 4.0; // simple_get on direct doubled, its floor did not move
/// # let c = compare("main", &report, &slower, 10.0);
/// assert_eq!(c.baseline, "main");
/// assert_eq!(c.threshold_pct, 10.0);
/// assert_eq!(c.changes.len(), 3); // one per cell of the current run
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline's name.
    pub baseline: String,
    /// The threshold used, in percent.
    pub threshold_pct: f64,
    /// One row per cell of the current run.
    pub changes: Vec<Change>,
}

/// Compares `current` with `baseline` at `threshold_pct` percent on p50.
///
/// ```
/// # use crossdrive::bench::report::*;
/// # use crossdrive::bench::compare::{compare, Verdict};
/// # fn row(p50: f64, floor: f64) -> BenchResult {
/// #     let s = crossdrive::bench::Stats { samples: 100, p50_us: p50, p95_us: p50, p99_us: p50,
/// #         max_us: p50, mean_us: p50, ops_per_sec: 1.0, allocs_per_op: None,
/// #         bytes_per_op: None };
/// #     let f = crossdrive::bench::Stats { p50_us: floor, ..s };
/// #     BenchResult::new("simple_get", "direct", "in-process", &s, "raw-oneshot", &f)
/// # }
/// # fn report(r: BenchResult) -> BenchReport {
/// #     BenchReport { schema: SCHEMA.into(), git: "g".into(), started: "t".into(),
/// #         topology: "same-thread".into(), results: vec![r], load: vec![], unmeasured: vec![], failed: vec![],
/// #         machine: Machine { os: "linux".into(), cpus: 2, cpu_model: "x".into() } }
/// # }
/// let before = report(row(1.0, 0.8));
/// let slower = report(row(1.5, 0.8));
/// let c = compare("main", &before, &slower, 10.0);
/// assert_eq!(c.changes[0].verdict, Verdict::Regressed);
/// let machine_slower = report(row(1.4, 1.2));
/// assert_eq!(compare("main", &before, &machine_slower, 10.0).changes[0].verdict, Verdict::WithinNoise);
/// ```
pub fn compare(
    name: &str,
    baseline: &BenchReport,
    current: &BenchReport,
    threshold_pct: f64,
) -> Comparison {
    let changes = current
        .results
        .iter()
        .map(|now| {
            let Some(then) = baseline.cell(&now.scenario, &now.driver) else {
                return Change {
                    scenario: now.scenario.clone(),
                    driver: now.driver.clone(),
                    baseline_p50_us: None,
                    current_p50_us: now.p50_us,
                    change_pct: 0.0,
                    noise_pct: now.spread_pct,
                    verdict: Verdict::New,
                };
            };
            let change_pct = percent(then.p50_us, now.p50_us);
            let floor_drift = percent(then.floor_p50_us, now.floor_p50_us).abs();
            let noise_pct = then.spread_pct.max(now.spread_pct) + floor_drift;
            let verdict = if change_pct.abs() <= threshold_pct {
                Verdict::Unchanged
            } else if change_pct.abs() <= noise_pct {
                Verdict::WithinNoise
            } else if change_pct > 0.0 {
                Verdict::Regressed
            } else {
                Verdict::Improved
            };
            Change {
                scenario: now.scenario.clone(),
                driver: now.driver.clone(),
                baseline_p50_us: Some(then.p50_us),
                current_p50_us: now.p50_us,
                change_pct,
                noise_pct,
                verdict,
            }
        })
        .collect();
    Comparison {
        baseline: name.to_owned(),
        threshold_pct,
        changes,
    }
}

fn percent(before: f64, after: f64) -> f64 {
    if before > 0.0 {
        (after - before) / before * 100.0
    } else {
        0.0
    }
}

impl Comparison {
    /// The cells that regressed.
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
    /// # use crossdrive::bench::compare::{Verdict, compare};
    /// # let mut slower = report.clone();
    /// # slower.results[0].p50_us = 4.0; // simple_get on direct doubled, its floor did not move
    /// # let c = compare("main", &report, &slower, 10.0);
    /// let regressed: Vec<&str> = c.regressions().iter().map(|r| r.driver.as_str()).collect();
    /// assert_eq!(regressed, ["direct"]);
    /// ```
    pub fn regressions(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| c.verdict == Verdict::Regressed)
            .collect()
    }

    /// The comparison as a Markdown table, regressions first.
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
    /// # use crossdrive::bench::compare::{Verdict, compare};
    /// # let mut slower = report.clone();
    /// # slower.results[0].p50_us = 4.0; // simple_get on direct doubled, its floor did not move
    /// # let c = compare("main", &report, &slower, 10.0);
    /// let md = c.to_markdown();
    /// assert!(md.starts_with("Change against baseline `main`"));
    /// assert!(md.contains("| simple_get | direct | 2.00 | 4.00 | +100.0% |"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Change against baseline `{}` (threshold {}% on p50; noise = round spread + floor drift)\n",
            self.baseline, self.threshold_pct
        );
        out.push_str(
            "| scenario | driver | baseline p50 µs | p50 µs | change | noise | verdict |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---|\n");
        let mut rows: Vec<&Change> = self.changes.iter().collect();
        rows.sort_by_key(|c| c.verdict != Verdict::Regressed);
        for c in rows {
            let base = c
                .baseline_p50_us
                .map_or_else(|| "—".to_owned(), |b| format!("{b:.2}"));
            let _ = writeln!(
                out,
                "| {} | {} | {base} | {:.2} | {:+.1}% | ±{:.1}% | {} |",
                c.scenario,
                c.driver,
                c.current_p50_us,
                c.change_pct,
                c.noise_pct,
                c.verdict.as_str()
            );
        }
        out
    }
}
