//! One bench run, from a checked plan to the files and the exit code:
//! every cell (or load run), then the report files, the baseline saved or
//! compared, and the SLA gates.
//!
//! Nothing here exits the process: every outcome is a [`Failure`] whose
//! exit code the caller returns from `main` (0 ok, 1 the bench failed, 2
//! bad arguments or baseline files, 3 regressed, 4 SLA broken).

use std::path::Path;

use axum::Router;
use crossdrive::Scenario;
use crossdrive::bench::compare::compare;
use crossdrive::bench::report::{BenchReport, Unmeasured};
use crossdrive::bench::{Plan, install_alloc_probe};

use super::args::{Baseline, Mode, RunPlan, SLOW_ENV, baseline_path};
use super::cell::{CellPlan, Measured, ROUNDS, measure_cell};
use super::load::{LoadRun, load};
use super::{chart, counting, progress};
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
    let selected_scenarios: Vec<&Scenario> = plan
        .scenarios
        .iter()
        .filter_map(|name| scenarios.iter().find(|s| s.name() == name))
        .collect();
    let selected_drivers: Vec<&DriverSpec> = plan
        .drivers
        .iter()
        .filter_map(|name| drivers.get(name))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Bench(format!("cannot build the bench runtime ({e})")))?;
    let mut report = BenchReport::starting_now(git_commit(), plan.topology.as_str());
    let mut raw = String::new();
    match &plan.mode {
        Mode::Latency {
            per_cell,
            repeat_noisy,
        } => {
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
                repeat_noisy: *repeat_noisy,
            };
            let cells: Vec<(&Scenario, &DriverSpec)> = selected_scenarios
                .iter()
                .flat_map(|s| selected_drivers.iter().map(move |d| (*s, *d)))
                .collect();
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
                match runtime.block_on(measure_cell(scenario, spec, app, cell_plan)) {
                    Ok(measured) => {
                        if plan.raw {
                            append_raw(&mut raw, &measured);
                        }
                        report.results.push(measured.row);
                    }
                    Err(e) => match e.unmeasured() {
                        Some(reason) => report.unmeasured.push(Unmeasured {
                            scenario: scenario.name().to_owned(),
                            driver: spec.name().to_owned(),
                            reason,
                        }),
                        None => {
                            progress::done();
                            return Err(Failure::Bench(format!(
                                "{} on {}: {e}",
                                scenario.name(),
                                spec.name()
                            )));
                        }
                    },
                }
            }
            progress::done();
        }
        Mode::Load {
            concurrency,
            requests,
            limit,
        } => {
            let runs: Vec<(&Scenario, &DriverSpec, u32)> = selected_scenarios
                .iter()
                .flat_map(|s| {
                    selected_drivers
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
                    requests: *requests,
                    limit: *limit,
                    topology: plan.topology,
                };
                let row = runtime.block_on(load(run, app)).map_err(|e| {
                    progress::done();
                    Failure::Bench(format!("load {} on {}: {e}", scenario.name(), spec.name()))
                })?;
                report.load.push(row);
            }
            progress::done();
        }
    }
    finish(plan, &report, &raw)
}

/// Writes the files, handles baselines and applies the gates.
fn finish(plan: &RunPlan, report: &BenchReport, raw: &str) -> Result<(), Failure> {
    let out = &plan.out;
    let markdown = report.to_markdown();
    println!("{markdown}");
    write_outputs(out, report, &markdown, plan.raw.then_some(raw))?;
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
    use std::fmt::Write as _;
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
