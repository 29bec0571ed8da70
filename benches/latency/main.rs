//! The cross-adapter latency bench: every scenario of the reference app
//! through every driver, each beside its floor, measured in the same run.
//!
//! `cargo bench` and `cargo xtask bench` both run this binary. It prints the
//! Markdown tables and writes, under `target/crossdrive/` (or
//! `$CARGO_TARGET_DIR/crossdrive/`, or `--out`): `bench.json` (the
//! `crossdrive.bench.v1` contract), `bench.md`, `bench.csv`, `bench.svg`,
//! and with `--raw` every request's latency in `bench-raw.csv`.
//!
//! The pieces: [`args`] turns the command line into a checked plan (every
//! refusal of user input happens there, before anything is measured);
//! [`cell`] measures one scenario × driver beside its floor in
//! alternating rounds; [`load`] is the `--concurrency` mode; [`chart`]
//! draws the SVG; [`counting`] is the counting global allocator behind
//! allocations per request. Baseline comparison and SLA gates use
//! `crossdrive::bench::{compare, sla}`.
//!
//! Exit codes: 0 on success, 1 when the bench itself fails, 2 for bad
//! arguments or baseline files, 3 when a cell regressed against
//! `--baseline`, 4 when an `--sla` rule is broken.

mod args;
mod cell;
mod chart;
mod counting;
mod load;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use crossdrive::bench::compare::compare;
use crossdrive::bench::report::{BenchReport, Machine, SCHEMA, Unmeasured, rfc3339_now};
use crossdrive::bench::{Plan, install_alloc_probe};
use crossdrive_adapters::Kind;
use crossdrive_fixtures::scenarios::Scenario;

use crate::args::{ArgsError, Baseline, Mode, RunPlan, SLOW_ENV, baseline_path};
use crate::cell::{CellPlan, ROUNDS, measure_cell};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

enum Failure {
    Usage(String),
    Bench(String),
    Regressed(String),
    Sla(String),
}

fn main() -> ExitCode {
    // The lambda-runtime driver re-runs this binary as its function.
    crossdrive_adapters::lambda::runtime::serve_if_child(crossdrive_fixtures::reference::app);
    let plan = match args::parse(std::env::args_os(), |key| std::env::var_os(key)) {
        Ok(plan) => plan,
        Err(ArgsError::Clap(e)) => e.exit(),
        Err(usage) => return fail(usage.exit_code(), &usage.to_string()),
    };
    match run(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => fail(2, &m),
        Err(Failure::Bench(m)) => fail(1, &m),
        Err(Failure::Regressed(m)) => fail(3, &m),
        Err(Failure::Sla(m)) => fail(4, &m),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("crossdrive bench: {message}");
    ExitCode::from(code)
}

fn run(plan: &RunPlan) -> Result<(), Failure> {
    install_alloc_probe(counting::snapshot);
    if let Some(slow) = &plan.slow {
        eprintln!(
            "crossdrive bench: {SLOW_ENV} adds {:?} to every timed `{}` driver exchange (test-only)",
            slow.delay,
            slow.scenario.name()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Bench(format!("cannot build the bench runtime ({e})")))?;
    let started = rfc3339_now();
    let mut report = BenchReport {
        schema: SCHEMA.to_owned(),
        machine: Machine::current(),
        git: git_commit(),
        started,
        topology: plan.topology.as_str().to_owned(),
        results: Vec::new(),
        load: Vec::new(),
        unmeasured: Vec::new(),
    };
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
            let cells: Vec<(Scenario, Kind)> = plan
                .scenarios
                .iter()
                .flat_map(|s| plan.kinds.iter().map(move |k| (*s, *k)))
                .collect();
            for (i, (scenario, kind)) in cells.iter().enumerate() {
                progress(i, cells.len(), scenario.name(), kind.name());
                let cell_plan = CellPlan {
                    slow: plan
                        .slow
                        .as_ref()
                        .filter(|slow| slow.scenario == *scenario)
                        .map(|slow| slow.delay),
                    ..round_plan
                };
                let measured = match runtime.block_on(measure_cell(*scenario, *kind, cell_plan)) {
                    Ok(measured) => measured,
                    Err(e) if e.is_limit_exceeded() => {
                        report.unmeasured.push(Unmeasured {
                            scenario: scenario.name().to_owned(),
                            driver: kind.name().to_owned(),
                            reason: e.cause().to_owned(),
                        });
                        continue;
                    }
                    Err(e) => {
                        return Err(Failure::Bench(format!(
                            "{} on {}: {e}",
                            scenario.name(),
                            kind.name()
                        )));
                    }
                };
                if plan.raw {
                    append_raw(&mut raw, &measured);
                }
                report.results.push(measured.row);
            }
            progress_done();
        }
        Mode::Load {
            concurrency,
            requests,
            limit,
        } => {
            let runs: Vec<(Scenario, Kind, u32)> = plan
                .scenarios
                .iter()
                .flat_map(|s| {
                    plan.kinds
                        .iter()
                        .flat_map(move |k| concurrency.iter().map(move |c| (*s, *k, *c)))
                })
                .collect();
            for (i, (scenario, kind, concurrency)) in runs.iter().enumerate() {
                progress(
                    i,
                    runs.len(),
                    scenario.name(),
                    &format!("{} ×{concurrency}", kind.name()),
                );
                let row = runtime
                    .block_on(load::load(
                        *scenario,
                        *kind,
                        *concurrency,
                        *requests,
                        *limit,
                        plan.topology,
                    ))
                    .map_err(|e| {
                        Failure::Bench(format!("load {} on {}: {e}", scenario.name(), kind.name()))
                    })?;
                report.load.push(row);
            }
            progress_done();
        }
    }

    let out = &plan.out;
    let markdown = report.to_markdown();
    println!("{markdown}");
    write_outputs(out, &report, &markdown, plan.raw.then_some(raw.as_str()))?;
    if let Some(name) = &plan.save_baseline {
        let path = baseline_path(out, name);
        write(&path, &report.to_json())?;
        eprintln!("saved baseline `{name}` to {}", path.display());
    }
    let mut regressions = Vec::new();
    if let Some(Baseline { name, report: base }) = &plan.baseline {
        let comparison = compare(name, base, &report, plan.threshold);
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
        broken.extend(rule.violations(&report).map_err(Failure::Usage)?);
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

fn append_raw(raw: &mut String, measured: &cell::Measured) {
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

fn progress(done: usize, total: usize, scenario: &str, driver: &str) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r[{}{}] {done:>3}/{total} {scenario:<24} {driver:<16}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    );
}

fn progress_done() {
    if std::io::stderr().is_terminal() {
        eprint!("\r{:90}\r", "");
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
