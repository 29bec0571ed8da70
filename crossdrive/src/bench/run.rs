//! One bench run, from a checked plan to the files and the exit code:
//! every cell (or load run), then the report files, the baseline saved or
//! compared, and the SLA gates.
//!
//! Nothing here exits the process: every outcome is a [`Failure`] whose
//! exit code the caller returns from `main` (0 ok, 1 the bench failed, 2
//! bad arguments or baseline files, 3 regressed, 4 SLA broken).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::Scenario;
use crate::bench::compare::compare;
use crate::bench::report::{BenchReport, FailedCell, Unmeasured};
use crate::bench::{Plan, install_alloc_probe};
use axum::Router;
use http::StatusCode;

use super::args::{Baseline, Format, Mode, RunPlan, SLOW_ENV, baseline_path};
use super::cell::{CellError, CellPlan, Measured, ROUNDS, measure_cell};
use super::load::{LoadRun, load};
use super::{bmf, chart, counting, progress, stages};
use crate::{DriverSpec, Drivers};

/// Why a run did not succeed, each with its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad arguments, scenarios or baseline files: exit 2.
    Usage(String),
    /// The bench itself failed: exit 1.
    Bench(String),
    /// A cell regressed against the baseline: exit 3.
    Regressed(String),
    /// An SLA rule is broken: exit 4.
    Sla(String),
}

impl Failure {
    /// The process exit code.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::Bench(_) => 1,
            Self::Usage(_) => 2,
            Self::Regressed(_) => 3,
            Self::Sla(_) => 4,
        }
    }

    /// What to print.
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Usage(m) | Self::Bench(m) | Self::Regressed(m) | Self::Sla(m) => m,
        }
    }
}

/// Runs `plan` over `app`, the selected `scenarios` and `drivers`.
pub(crate) fn run(
    plan: &RunPlan,
    app: &dyn Fn() -> Router,
    scenarios: &[Scenario],
    drivers: &Drivers,
) -> Result<(), Failure> {
    // Without the counting allocator installed as the global allocator the
    // counters never move; report allocations as not counted rather than 0.
    if counting::is_installed() {
        install_alloc_probe(counting::snapshot);
    }
    if let Some(slow) = &plan.slow {
        eprintln!(
            "crossdrive bench: {SLOW_ENV} adds {:?} to every driver exchange of `{}` (test-only)",
            slow.delay, slow.scenario
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Bench(format!("cannot build the bench runtime ({e})")))?;
    let selected = Selected {
        plan,
        app,
        scenarios: plan
            .scenarios
            .iter()
            .filter_map(|name| scenarios.iter().find(|s| s.name() == name))
            .collect(),
        drivers: plan
            .drivers
            .iter()
            .filter_map(|name| drivers.get(name))
            .collect(),
        runtime,
    };
    let mut report = BenchReport::starting_now(git_commit(), plan.topology.as_str());
    let mut raw = String::new();
    let mut stages = None;
    match &plan.mode {
        Mode::Latency {
            per_cell,
            repeat_noisy,
        } => {
            selected.latency(*per_cell, *repeat_noisy, &mut report, &mut raw);
            if plan.stages {
                stages = Some(selected.stages(per_cell.samples));
            }
        }
        Mode::Load {
            concurrency,
            requests,
            limit,
        } => selected.load(concurrency, *requests, *limit, &mut report),
    }
    finish(plan, &report, &raw, stages.as_deref())
}

/// What every cell of one run shares: the plan, the app, the scenarios and
/// drivers selected (in the plan's order) and the runtime they run on.
struct Selected<'a> {
    plan: &'a RunPlan,
    app: &'a dyn Fn() -> Router,
    scenarios: Vec<&'a Scenario>,
    drivers: Vec<&'a DriverSpec>,
    runtime: tokio::runtime::Runtime,
}

impl Selected<'_> {
    /// The latency tables: measures every cell into `report` (and `raw`
    /// when the plan keeps raw samples), then blames the failed ones.
    fn latency(
        &self,
        per_cell: Plan,
        repeat_noisy: bool,
        report: &mut BenchReport,
        raw: &mut String,
    ) {
        let plan = self.plan;
        let rounds = ROUNDS as u64;
        let round_plan = CellPlan {
            round: Plan {
                warmup: per_cell.warmup / rounds,
                samples: per_cell.samples.div_ceil(rounds),
                budget: per_cell.budget / u32::try_from(ROUNDS).unwrap_or(1),
            },
            topology: plan.topology,
            keep_raw: plan.raw,
            slow: None,
            repeat_noisy,
        };
        let cells: Vec<(&Scenario, &DriverSpec)> = self
            .scenarios
            .iter()
            .flat_map(|s| self.drivers.iter().map(move |d| (*s, *d)))
            .collect();
        let mut failures = Vec::new();
        for (i, (scenario, spec)) in cells.iter().enumerate() {
            progress::show(i, cells.len(), scenario.name(), spec.name());
            let cell_plan = CellPlan {
                slow: plan
                    .slow
                    .as_ref()
                    .filter(|slow| slow.scenario == scenario.name())
                    .map(|slow| slow.delay),
                ..round_plan
            };
            match self
                .runtime
                .block_on(measure_cell(scenario, spec, self.app, cell_plan))
            {
                Ok(mut measured) => {
                    // What the user said their own floor is; a built-in
                    // floor's sentence is the registry's, found by name.
                    if spec.floor_name() == Some(measured.row.floor.as_str()) {
                        measured.row.floor_about = spec.describe_floor().map(str::to_owned);
                    }
                    if plan.raw {
                        append_raw(raw, &measured);
                    }
                    report.results.push(measured.row);
                }
                Err(e) => match e.unmeasured() {
                    Some(reason) => report.unmeasured.push(Unmeasured {
                        scenario: scenario.name().to_owned(),
                        driver: spec.name().to_owned(),
                        reason,
                    }),
                    // Measure the rest: the report says which cells
                    // failed and whose mistake each is.
                    None => failures.push(CellFailure::new(scenario.name(), spec.name(), &e)),
                },
            }
        }
        progress::done();
        let attempted = |scenario: &str| {
            let unmeasured = report.unmeasured.iter();
            let beyond = unmeasured.filter(|u| u.scenario == scenario).count();
            self.drivers.len().saturating_sub(beyond)
        };
        report.failed = blame(&failures, attempted);
    }

    /// `--stages`: where each selected driver's time goes on each scenario,
    /// as Markdown (a cell that cannot run says why in its place). A
    /// quarter of the latency cells' samples, between 100 and 2,000.
    fn stages(&self, samples: u64) -> String {
        let iterations = (samples / 4).clamp(100, 2_000);
        let mut measured = Vec::new();
        let mut missing = String::new();
        for scenario in &self.scenarios {
            for spec in &self.drivers {
                let timed = self
                    .runtime
                    .block_on(stages::measure(scenario, spec, self.app, iterations));
                match timed {
                    Ok(one) => measured.push(one),
                    Err(e) => {
                        let _ = writeln!(
                            missing,
                            "- {} · {}: no stages ({e})",
                            spec.name(),
                            scenario.name()
                        );
                    }
                }
            }
        }
        let mut markdown = stages::to_markdown(&measured);
        if !missing.is_empty() {
            markdown.push('\n');
            markdown.push_str(&missing);
        }
        markdown
    }

    /// `--concurrency`: one load run per scenario, driver and level, into
    /// `report`.
    fn load(&self, concurrency: &[u32], requests: u64, limit: Duration, report: &mut BenchReport) {
        let runs: Vec<(&Scenario, &DriverSpec, u32)> = self
            .scenarios
            .iter()
            .flat_map(|s| {
                self.drivers
                    .iter()
                    .flat_map(move |d| concurrency.iter().map(move |c| (*s, *d, *c)))
            })
            .collect();
        for (i, (scenario, spec, concurrency)) in runs.iter().enumerate() {
            progress::show(
                i,
                runs.len(),
                scenario.name(),
                &format!("{} ×{concurrency}", spec.name()),
            );
            let run = LoadRun {
                scenario,
                spec,
                concurrency: *concurrency,
                requests,
                limit,
                topology: self.plan.topology,
            };
            match self.runtime.block_on(load(run, self.app)) {
                Ok(row) => report.load.push(row),
                // Once per cell, whatever the concurrency levels.
                Err(e) if e.unmeasured().is_some() => {
                    let known = report
                        .unmeasured
                        .iter()
                        .any(|u| u.scenario == scenario.name() && u.driver == spec.name());
                    if !known {
                        report.unmeasured.push(Unmeasured {
                            scenario: scenario.name().to_owned(),
                            driver: spec.name().to_owned(),
                            reason: e.unmeasured().unwrap_or_default(),
                        });
                    }
                }
                Err(e) => report.failed.push(FailedCell {
                    scenario: scenario.name().to_owned(),
                    driver: spec.name().to_owned(),
                    error: format!(
                        "load {} ×{concurrency} on {}: {e}",
                        scenario.name(),
                        spec.name()
                    ),
                    every_driver: false,
                }),
            }
        }
        progress::done();
    }
}

/// Writes the files, handles baselines and applies the gates.
fn finish(
    plan: &RunPlan,
    report: &BenchReport,
    raw: &str,
    stages: Option<&str>,
) -> Result<(), Failure> {
    let out = &plan.out;
    let markdown = report.to_markdown();
    println!("{markdown}");
    write_outputs(out, report, &markdown, plan.raw.then_some(raw))?;
    if let Some(stages) = stages {
        println!("{stages}");
        let path = out.join("bench-stages.md");
        write(&path, stages)?;
        eprintln!("wrote {}", path.display());
    }
    for format in &plan.formats {
        match format {
            Format::Bmf => {
                let path = out.join(bmf::FILE);
                write(&path, &bmf::to_json(report).map_err(Failure::Bench)?)?;
                eprintln!("wrote {} (Bencher Metric Format)", path.display());
            }
        }
    }
    // A run with holes is neither a baseline nor a run to gate: comparing
    // or judging the cells that did run would pass over the ones that
    // did not. The failure, with the files written, comes first.
    if !report.failed.is_empty() {
        return Err(Failure::Bench(failed_summary(report, out)));
    }
    if let Some(name) = &plan.save_baseline {
        let path = baseline_path(out, name);
        write(&path, &report.to_json())?;
        eprintln!("saved baseline `{name}` to {}", path.display());
    }
    let mut regressions = Vec::new();
    if let Some(Baseline { name, report: base }) = &plan.baseline {
        let comparison = compare(name, base, report, plan.threshold);
        let table = comparison.to_markdown();
        println!("{table}");
        write(&out.join("bench-compare.md"), &table)?;
        regressions = comparison
            .regressions()
            .iter()
            .map(|c| {
                format!(
                    "{} on {}: p50 {:.2}µs → {:.2}µs ({:+.1}%, noise ±{:.1}%)",
                    c.scenario,
                    c.driver,
                    c.baseline_p50_us.unwrap_or_default(),
                    c.current_p50_us,
                    c.change_pct,
                    c.noise_pct
                )
            })
            .collect();
    }
    let mut broken = Vec::new();
    for rule in &plan.slas {
        broken.extend(rule.violations(report).map_err(Failure::Usage)?);
    }
    if !regressions.is_empty() {
        return Err(Failure::Regressed(format!(
            "{} cell(s) regressed beyond {}% and the measured noise against baseline `{}`:\n  {}",
            regressions.len(),
            plan.threshold,
            plan.baseline.as_ref().map_or("", |b| b.name.as_str()),
            regressions.join("\n  ")
        )));
    }
    if !broken.is_empty() {
        return Err(Failure::Sla(format!(
            "{} SLA violation(s):\n  {}",
            broken.len(),
            broken.join("\n  ")
        )));
    }
    Ok(())
}

/// A failed cell, before the run knows whether its scenario failed alike
/// on every driver.
pub(crate) struct CellFailure {
    scenario: String,
    driver: String,
    /// The cell's own error, naming its driver.
    error: String,
    /// When the answer was not the declared one: the step, what it
    /// declared, and the status received.
    mismatch: Option<(String, String, StatusCode)>,
}

impl CellFailure {
    pub(crate) fn new(scenario: &str, driver: &str, error: &CellError) -> Self {
        let mismatch = match error {
            CellError::Scenario(e) => {
                e.mismatch()
                    .zip(e.response())
                    .map(|((step, expected), response)| {
                        (step.to_owned(), expected.to_owned(), response.status())
                    })
            }
            CellError::Setup(_) | CellError::NotCarried(_) => None,
        };
        Self {
            scenario: scenario.to_owned(),
            driver: driver.to_owned(),
            error: format!("{scenario} on {driver}: {error}"),
            mismatch,
        }
    }
}

/// The report's failed cells. A scenario whose every attempted driver
/// (`attempted(scenario)` of them, two or more) gave the same wrong answer
/// to the same step is one mistake, the scenario's or the app's, and each
/// of its cells says so; otherwise each cell keeps its own error, naming
/// its driver, and a wrong answer says how many drivers answered as
/// declared.
pub(crate) fn blame(
    failures: &[CellFailure],
    attempted: impl Fn(&str) -> usize,
) -> Vec<FailedCell> {
    let mut scenarios: Vec<&str> = Vec::new();
    for f in failures {
        if !scenarios.contains(&f.scenario.as_str()) {
            scenarios.push(&f.scenario);
        }
    }
    let mut failed = Vec::with_capacity(failures.len());
    for scenario in scenarios {
        let cells: Vec<&CellFailure> = failures.iter().filter(|f| f.scenario == scenario).collect();
        let attempted = attempted(scenario);
        let shared = cells
            .first()
            .and_then(|first| first.mismatch.as_ref())
            .filter(|first| {
                cells.len() >= 2
                    && cells.len() == attempted
                    && cells.iter().all(|c| c.mismatch.as_ref() == Some(*first))
            });
        for cell in &cells {
            let (error, every_driver) = match (shared, &cell.mismatch) {
                (Some((step, expected, status)), _) => (
                    format!(
                        "{scenario}: every driver answered {status} where the scenario expects \
                         {expected} ({step}): the scenario or the app is wrong, not a driver; \
                         fix the step's .expect(..) or the app's answer"
                    ),
                    true,
                ),
                (None, Some(_)) if cells.len() < attempted => (
                    format!(
                        "{}; {} of the {attempted} drivers answered as declared, so look at this \
                         driver, not the scenario or the app",
                        cell.error,
                        attempted - cells.len()
                    ),
                    false,
                ),
                (None, _) => (cell.error.clone(), false),
            };
            failed.push(FailedCell {
                scenario: scenario.to_owned(),
                driver: cell.driver.clone(),
                error,
                every_driver,
            });
        }
    }
    failed
}

/// What a run with failed cells prints last: how many, and each mistake
/// once (a scenario wrong on every driver is one line).
fn failed_summary(report: &BenchReport, out: &Path) -> String {
    let cells = report.failed.len();
    let total = cells + report.results.len() + report.load.len() + report.unmeasured.len();
    let mut lines: Vec<String> = Vec::new();
    for f in &report.failed {
        // A scenario wrong on every driver: its cells share one error.
        if !lines.contains(&f.error) {
            lines.push(f.error.clone());
        }
    }
    format!(
        "{cells} of {total} cells failed (marked `failed` in {}/bench.json and ✗ in bench.md); no \
         baseline was saved or compared and no SLA checked:\n  {}",
        out.display(),
        lines.join("\n  ")
    )
}

fn write_outputs(
    out: &Path,
    report: &BenchReport,
    markdown: &str,
    raw: Option<&str>,
) -> Result<(), Failure> {
    write(&out.join("bench.json"), &report.to_json())?;
    write(&out.join("bench.md"), markdown)?;
    write(&out.join("bench.csv"), &report.to_csv())?;
    if !report.results.is_empty() {
        let svg = chart::render(report)
            .map_err(|e| Failure::Bench(format!("cannot draw bench.svg ({e})")))?;
        write(&out.join("bench.svg"), &svg)?;
    }
    if let Some(raw) = raw {
        write(&out.join("bench-raw.csv"), raw)?;
    }
    eprintln!("wrote {}/bench.{{json,md,csv,svg}}", out.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::Bench(format!(
                "cannot create {} ({e}); pass --out DIR",
                dir.display()
            ))
        })?;
    }
    std::fs::write(path, text).map_err(|e| {
        Failure::Bench(format!(
            "cannot write {} ({e}); pass --out DIR",
            path.display()
        ))
    })
}

fn append_raw(raw: &mut String, measured: &Measured) {
    if raw.is_empty() {
        raw.push_str("scenario,driver,side,seq,nanos\n");
    }
    let row = &measured.row;
    for (side, samples) in [
        (row.driver.as_str(), &measured.raw_driver),
        (row.floor.as_str(), &measured.raw_floor),
    ] {
        for (seq, nanos) in samples.iter().enumerate() {
            let _ = writeln!(raw, "{},{},{side},{seq},{nanos}", row.scenario, row.driver);
        }
    }
}

fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrong(scenario: &str, driver: &str, status: u16) -> CellFailure {
        let status = StatusCode::from_u16(status).expect("a status");
        CellFailure {
            scenario: scenario.to_owned(),
            driver: driver.to_owned(),
            error: format!("{scenario} on {driver}: expected status 201 Created, got {status}"),
            mismatch: Some((
                "step 1 (GET /)".to_owned(),
                "status 201 Created".to_owned(),
                status,
            )),
        }
    }

    fn broken(scenario: &str, driver: &str) -> CellFailure {
        CellFailure {
            scenario: scenario.to_owned(),
            driver: driver.to_owned(),
            error: format!("{scenario} on {driver}: timed out"),
            mismatch: None,
        }
    }

    #[test]
    fn the_same_wrong_status_on_every_driver_is_one_scenario_error_not_a_drivers() {
        let failures = [
            wrong("simple_get", "direct", 200),
            wrong("simple_get", "http1", 200),
        ];
        let failed = blame(&failures, |_| 2);
        assert_eq!(failed.len(), 2, "{failed:?}");
        for cell in &failed {
            assert!(cell.every_driver, "{cell:?}");
            assert_eq!(
                cell.error,
                "simple_get: every driver answered 200 OK where the scenario expects status 201 \
                 Created (step 1 (GET /)): the scenario or the app is wrong, not a driver; fix \
                 the step's .expect(..) or the app's answer"
            );
        }
        assert_eq!(
            [failed[0].driver.as_str(), failed[1].driver.as_str()],
            ["direct", "http1"]
        );
    }

    #[test]
    fn a_wrong_status_on_some_drivers_names_each_of_them_and_counts_the_others() {
        let failures = [
            wrong("simple_get", "lambda", 502),
            wrong("simple_get", "lambda-v1", 502),
        ];
        let failed = blame(&failures, |_| 5);
        assert_eq!(failed.len(), 2, "{failed:?}");
        for (cell, driver) in failed.iter().zip(["lambda", "lambda-v1"]) {
            assert!(!cell.every_driver, "{cell:?}");
            assert!(
                cell.error.starts_with(&format!("simple_get on {driver}: ")),
                "{}",
                cell.error
            );
            assert!(
                cell.error
                    .contains("3 of the 5 drivers answered as declared, so look at this driver"),
                "{}",
                cell.error
            );
        }
    }

    #[test]
    fn different_answers_or_errors_on_every_driver_stay_the_drivers_own() {
        let answers = [wrong("s", "direct", 200), wrong("s", "http1", 500)];
        assert!(blame(&answers, |_| 2).iter().all(|c| !c.every_driver));
        let errors = [broken("s", "direct"), broken("s", "http1")];
        let failed = blame(&errors, |_| 2);
        assert!(failed.iter().all(|c| !c.every_driver), "{failed:?}");
        assert_eq!(failed[1].error, "s on http1: timed out");
    }

    #[test]
    fn one_driver_alone_cannot_tell_the_scenario_from_the_driver() {
        let failed = blame(&[wrong("s", "direct", 200)], |_| 1);
        assert!(!failed[0].every_driver, "{failed:?}");
        assert!(failed[0].error.starts_with("s on direct: "), "{failed:?}");
    }

    #[test]
    fn the_summary_says_a_scenario_wrong_everywhere_once_and_each_driver_failure_once() {
        let mut report = BenchReport::starting_now("abc", "same-thread");
        report.failed = blame(
            &[
                wrong("a", "direct", 200),
                wrong("a", "http1", 200),
                broken("b", "http1"),
            ],
            |_| 2,
        );
        let summary = failed_summary(&report, Path::new("out"));
        assert!(summary.starts_with("3 of 3 cells failed"), "{summary}");
        assert_eq!(
            summary.matches("every driver answered").count(),
            1,
            "{summary}"
        );
        assert_eq!(
            summary.matches("b on http1: timed out").count(),
            1,
            "{summary}"
        );
    }
}
