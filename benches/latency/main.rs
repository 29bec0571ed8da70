//! The cross-adapter latency bench: every scenario of the reference app
//! through every driver, each beside its floor, measured in the same run.
//!
//! `cargo bench` and `cargo xtask bench` both run this binary. It prints the
//! Markdown tables and writes, under `target/crossdrive/` (or
//! `$CARGO_TARGET_DIR/crossdrive/`, or `--out`): `bench.json` (the
//! `crossdrive.bench.v1` contract), `bench.md`, `bench.csv`, `bench.svg`,
//! and with `--raw` every request's latency in `bench-raw.csv`.
//!
//! The pieces: [`cell`] measures one scenario × driver beside its floor in
//! alternating rounds; [`load`] is the `--concurrency` mode; [`chart`]
//! draws the SVG; [`counting`] is the counting global allocator behind
//! allocations per request. Baseline comparison and SLA gates use
//! `crossdrive::bench::{compare, sla}`.
//!
//! Exit codes: 0 on success, 1 when the bench itself fails, 2 for bad
//! arguments or baseline files, 3 when a cell regressed against
//! `--baseline`, 4 when an `--sla` rule is broken.

mod cell;
mod chart;
mod counting;
mod load;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use crossdrive::bench::compare::compare;
use crossdrive::bench::report::{BenchReport, Machine, SCHEMA, Unmeasured, rfc3339_now};
use crossdrive::bench::sla::Sla;
use crossdrive::bench::{Plan, Topology, install_alloc_probe};
use crossdrive_adapters::Kind;
use crossdrive_fixtures::scenarios::Scenario;

use crate::cell::{CellPlan, ROUNDS, measure_cell};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The environment variable that slows one scenario's driver exchanges, to
/// prove the regression gate: `CROSSDRIVE_BENCH_SLOW=simple_get:200us`.
const SLOW_ENV: &str = "CROSSDRIVE_BENCH_SLOW";

/// The cross-adapter latency bench (`cargo xtask bench`).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask bench", about, long_about = None)]
struct Args {
    /// A short run for CI smoke use (under 15 s): fewer samples per cell.
    #[arg(long)]
    quick: bool,
    /// Only these drivers (repeatable or comma-separated).
    #[arg(long = "driver", value_delimiter = ',')]
    drivers: Vec<String>,
    /// Only these scenarios (repeatable or comma-separated).
    #[arg(long = "scenario", value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Timed samples per cell and side (default 8000, or 400 with --quick).
    #[arg(long)]
    samples: Option<u64>,
    /// Time budget per cell and side, e.g. 500ms or 2s (default 200ms, or
    /// 25ms with --quick); in load mode, the most one load run may take.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Thread placement: same-thread (client and server on one runtime) or
    /// cross-thread (server on its own runtime thread).
    #[arg(long, default_value = "same-thread")]
    topology: Topology,
    /// Where to write the report files (default target/crossdrive).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write every request's latency to bench-raw.csv.
    #[arg(long)]
    raw: bool,
    /// Save this run as a named baseline under <out>/baselines/.
    #[arg(long, value_name = "NAME")]
    save_baseline: Option<String>,
    /// Compare this run with a saved baseline; exit 3 if a cell regressed.
    #[arg(long, value_name = "NAME")]
    baseline: Option<String>,
    /// Regression threshold on p50, in percent (a change must also exceed
    /// the measured noise).
    #[arg(long, default_value_t = 10.0)]
    threshold: f64,
    /// Latency gates such as `p95<800us` or `simple_get@http1:p99<2ms`;
    /// exit 4 if broken (repeatable or comma-separated).
    #[arg(long = "sla")]
    sla: Vec<String>,
    /// Load mode: requests in flight at once; a list sweeps (1,16,64).
    /// Replaces the latency table with the load table.
    #[arg(long, value_delimiter = ',')]
    concurrency: Vec<u32>,
    /// Load mode: requests per driver and concurrency (default 20000, or
    /// 2000 with --quick).
    #[arg(long)]
    requests: Option<u64>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

enum Failure {
    Usage(String),
    Bench(String),
    Regressed(String),
    Sla(String),
}

fn main() -> ExitCode {
    // The lambda-runtime driver re-runs this binary as its function.
    crossdrive_adapters::lambda::runtime::serve_if_child(crossdrive_fixtures::reference::app);
    let args = Args::parse();
    match run(&args) {
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

fn run(args: &Args) -> Result<(), Failure> {
    install_alloc_probe(counting::snapshot);
    let kinds = select(&args.drivers, Kind::ALL, |k| k.name(), "driver")?;
    let default_scenarios: &[Scenario] = if args.concurrency.is_empty() {
        Scenario::ALL
    } else {
        &[Scenario::SimpleGet]
    };
    let scenarios = if args.scenarios.is_empty() {
        default_scenarios.to_vec()
    } else {
        select(&args.scenarios, Scenario::ALL, |s| s.name(), "scenario")?
    };
    let slas = args
        .sla
        .iter()
        .map(|s| Sla::parse_list(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::Usage)?
        .concat();
    let slow = slow_toggle()?;
    for name in [&args.save_baseline, &args.baseline].into_iter().flatten() {
        check_baseline_name(name)?;
    }
    if !(args.threshold > 0.0 && args.threshold.is_finite()) {
        return Err(Failure::Usage(format!(
            "--threshold must be a positive percentage, not {}",
            args.threshold
        )));
    }
    if args.concurrency.contains(&0) {
        return Err(Failure::Usage(
            "--concurrency must be at least 1 request in flight (as in --concurrency 1,16,64)"
                .into(),
        ));
    }
    if args.requests == Some(0) {
        return Err(Failure::Usage(
            "--requests must be at least 1 (the default is 20000, or 2000 with --quick)".into(),
        ));
    }
    let out = args.out.clone().unwrap_or_else(default_out);
    // Read the baseline before measuring, so a typo fails in a second, not after the run.
    let baseline = match &args.baseline {
        Some(name) => Some(load_baseline(&out, name)?),
        None => None,
    };

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
        topology: args.topology.as_str().to_owned(),
        results: Vec::new(),
        load: Vec::new(),
        unmeasured: Vec::new(),
    };
    let mut raw = String::new();
    if args.concurrency.is_empty() {
        let plan = latency_plan(args)?;
        let cells: Vec<(Scenario, Kind)> = scenarios
            .iter()
            .flat_map(|s| kinds.iter().map(move |k| (*s, *k)))
            .collect();
        for (i, (scenario, kind)) in cells.iter().enumerate() {
            progress(i, cells.len(), scenario.name(), kind.name());
            let cell_plan = CellPlan {
                slow: slow
                    .as_ref()
                    .filter(|(name, _)| name == scenario.name())
                    .map(|(_, d)| *d),
                ..plan
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
            if args.raw {
                append_raw(&mut raw, &measured);
            }
            report.results.push(measured.row);
        }
        progress_done();
    } else {
        let requests = args
            .requests
            .unwrap_or(if args.quick { 2_000 } else { 20_000 });
        let limit = args
            .duration
            .unwrap_or(Duration::from_secs(if args.quick { 2 } else { 10 }));
        let runs: Vec<(Scenario, Kind, u32)> = scenarios
            .iter()
            .flat_map(|s| {
                kinds
                    .iter()
                    .flat_map(move |k| args.concurrency.iter().map(move |c| (*s, *k, *c)))
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
                    requests,
                    limit,
                    args.topology,
                ))
                .map_err(|e| {
                    Failure::Bench(format!("load {} on {}: {e}", scenario.name(), kind.name()))
                })?;
            report.load.push(row);
        }
        progress_done();
    }

    let markdown = report.to_markdown();
    println!("{markdown}");
    write_outputs(&out, &report, &markdown, args.raw.then_some(raw.as_str()))?;
    if let Some(name) = &args.save_baseline {
        let path = baseline_path(&out, name);
        write(&path, &report.to_json())?;
        eprintln!("saved baseline `{name}` to {}", path.display());
    }
    let mut regressions = Vec::new();
    if let (Some(name), Some(base)) = (&args.baseline, &baseline) {
        let comparison = compare(name, base, &report, args.threshold);
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
    for rule in &slas {
        broken.extend(rule.violations(&report).map_err(Failure::Usage)?);
    }
    if !regressions.is_empty() {
        return Err(Failure::Regressed(format!(
            "{} cell(s) regressed beyond {}% and the measured noise against baseline `{}`:\n  {}",
            regressions.len(),
            args.threshold,
            args.baseline.as_deref().unwrap_or_default(),
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

fn latency_plan(args: &Args) -> Result<CellPlan, Failure> {
    let total = if args.quick {
        Plan {
            warmup: 100,
            samples: 400,
            budget: Duration::from_millis(25),
        }
    } else {
        Plan {
            warmup: 1_000,
            samples: 8_000,
            budget: Duration::from_millis(200),
        }
    };
    let samples = args.samples.unwrap_or(total.samples);
    if samples == 0 {
        return Err(Failure::Usage("--samples must be at least 1".into()));
    }
    let budget = args.duration.unwrap_or(total.budget);
    let rounds = ROUNDS as u64;
    Ok(CellPlan {
        round: Plan {
            warmup: total.warmup / rounds,
            samples: samples.div_ceil(rounds),
            budget: budget / u32::try_from(ROUNDS).unwrap_or(1),
        },
        topology: args.topology,
        keep_raw: args.raw,
        slow: None,
        repeat_noisy: !args.quick,
    })
}

fn slow_toggle() -> Result<Option<(String, Duration)>, Failure> {
    let Ok(value) = std::env::var(SLOW_ENV) else {
        return Ok(None);
    };
    let usage = || {
        Failure::Usage(format!(
            "{SLOW_ENV}=`{value}` is not `<scenario>:<duration>` such as simple_get:200us"
        ))
    };
    let (scenario, delay) = value.split_once(':').ok_or_else(usage)?;
    let delay = parse_duration(delay).map_err(|_| usage())?;
    eprintln!(
        "crossdrive bench: {SLOW_ENV} adds {delay:?} to every timed `{scenario}` driver exchange (test-only)"
    );
    Ok(Some((scenario.to_owned(), delay)))
}

/// Parses `250us`, `300ms`, `2s`, `1.5s`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write 250us, 300ms or 2s"))?;
    let seconds = match unit {
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        _ => return Err(format!("`{text}` needs a unit: us, ms or s (as in 300ms)")),
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|e| format!("`{text}` is not a usable duration ({e})"))
}

fn select<T: Copy>(
    wanted: &[String],
    all: &[T],
    name: impl Fn(&T) -> &'static str,
    what: &str,
) -> Result<Vec<T>, Failure> {
    if wanted.is_empty() {
        return Ok(all.to_vec());
    }
    wanted
        .iter()
        .map(|w| {
            all.iter().copied().find(|t| name(t) == w).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(&name).collect();
                Failure::Usage(format!(
                    "unknown {what} `{w}`; choose from: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

fn check_baseline_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "baseline name `{name}` may only use letters, digits, `-`, `_` and `.` (it becomes a file name)"
        )))
    }
}

fn baseline_path(out: &Path, name: &str) -> PathBuf {
    out.join("baselines").join(format!("{name}.json"))
}

fn load_baseline(out: &Path, name: &str) -> Result<BenchReport, Failure> {
    let path = baseline_path(out, name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Usage(format!(
            "cannot read baseline `{name}` at {} ({e}); save one first with --save-baseline {name}",
            path.display()
        ))
    })?;
    BenchReport::from_json(&text)
        .map_err(|e| Failure::Usage(format!("baseline {}: {e}", path.display())))
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

fn default_out() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("crossdrive")
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
