//! The bench's command line: flags and environment in, a checked
//! [`RunPlan`] out, before anything is measured.
//!
//! Everything a user can get wrong is refused here, so a typo fails in a
//! second instead of after a run of minutes: flag values (`--samples 0`,
//! `--duration fast`, `--threshold 0`), driver, scenario and baseline names,
//! the `--baseline` file itself, `--sla` rules and the test-only
//! `CROSSDRIVE_BENCH_SLOW`. Each refusal names the flag and the value and
//! says what to write instead; `main` prints it and exits 2.
//!
//! [`parse`] reads the environment only through the lookup it is given and
//! the filesystem only for the `--baseline` file; it never prints, exits or
//! panics, and it knows drivers and scenarios only by the names in the
//! [`Catalog`] it is given (the user's). That is what lets its tests check
//! every refusal without building or running a release bench.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench::report::BenchReport;
use crate::bench::sla::Sla;
use crate::bench::{Plan, Topology};
use clap::{CommandFactory, FromArgMatches, Parser};

/// The environment variable that slows one scenario's driver exchanges, to
/// prove the regression gate: `CROSSDRIVE_BENCH_SLOW=simple_get:200us`.
pub(crate) const SLOW_ENV: &str = "CROSSDRIVE_BENCH_SLOW";

/// The cross-adapter latency bench: every scenario through every driver,
/// each beside its floor.
#[derive(Debug, Parser)]
#[command(name = "crossdrive bench", long_about = None)]
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
    #[arg(long, value_parser = parse_budget)]
    duration: Option<Duration>,
    /// Thread placement: same-thread (client and server on one runtime),
    /// cross-thread (server on its own runtime thread) or suite (each
    /// driver as a suite! test reaches it). Default same-thread, or
    /// cross-thread in load mode, which then measures capacity.
    #[arg(long)]
    topology: Option<Topology>,
    /// Where to write the report files (default target/crossdrive).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write every request's latency to bench-raw.csv.
    #[arg(long)]
    raw: bool,
    /// Extra output formats, besides bench.{json,md,csv,svg} (always
    /// written): bmf writes bench.bmf.json, Bencher Metric Format for a
    /// benchmark tracker (repeatable or comma-separated).
    #[arg(long = "format", value_delimiter = ',', value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Also time each driver's stages on its real path (where the time
    /// goes: event build, adapter, app, wire, ...), same-thread, into
    /// bench-stages.md.
    #[arg(long)]
    stages: bool,
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

/// An extra output format (`--format`): the report files bench.json,
/// .md, .csv and .svg are always written, these beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// bench.bmf.json, the run in Bencher Metric Format (for `bencher run
    /// --adapter json --file ..`)
    Bmf,
}

/// The names a command line may use: the bench's drivers and scenarios.
#[derive(Debug, Clone)]
pub(crate) struct Catalog<'a> {
    /// Every driver name, in table order.
    pub(crate) drivers: Vec<&'a str>,
    /// Every scenario name, in table order.
    pub(crate) scenarios: Vec<&'a str>,
    /// The scenarios run when `--scenario` is not given (all of them
    /// unless the bench chose fewer); the first alone in load mode.
    pub(crate) default_scenarios: Vec<&'a str>,
    /// The command that runs this bench, for usage lines
    /// (`cargo bench --bench api --`).
    pub(crate) command: String,
}

/// What one bench run will do, every part of it checked.
#[derive(Debug, PartialEq)]
pub(crate) struct RunPlan {
    /// The driver names, in the order given (or table order).
    pub(crate) drivers: Vec<String>,
    /// The scenario names, in the order given (or the defaults; the first
    /// default alone in load mode).
    pub(crate) scenarios: Vec<String>,
    /// Latency tables or load mode, with their budgets.
    pub(crate) mode: Mode,
    /// Where client and server run.
    pub(crate) topology: Topology,
    /// Where the report files go.
    pub(crate) out: PathBuf,
    /// Also write every request's latency.
    pub(crate) raw: bool,
    /// The extra output formats, each once, in the order given.
    pub(crate) formats: Vec<Format>,
    /// Also time each driver's stages (`--stages`).
    pub(crate) stages: bool,
    /// Store this run under this (checked) name.
    pub(crate) save_baseline: Option<String>,
    /// The stored run to compare with, already read and parsed.
    pub(crate) baseline: Option<Baseline>,
    /// Regression threshold on p50, percent: positive and finite.
    pub(crate) threshold: f64,
    /// The `--sla` rules, each naming only measured scenarios and drivers.
    pub(crate) slas: Vec<Sla>,
    /// The test-only `CROSSDRIVE_BENCH_SLOW` delay.
    pub(crate) slow: Option<Slow>,
}

/// The two kinds of run.
#[derive(Debug, PartialEq)]
pub(crate) enum Mode {
    /// The latency tables: every cell beside its floor.
    Latency {
        /// Warm-up, samples and time budget per cell and side, over all of
        /// the cell's rounds.
        per_cell: Plan,
        /// Measure a noisy cell once more (off for `--quick`, which only
        /// flags it).
        repeat_noisy: bool,
    },
    /// `--concurrency`: throughput at each level of requests in flight.
    Load {
        /// The levels, each at least 1.
        concurrency: Vec<u32>,
        /// Requests per driver and level, at least 1.
        requests: u64,
        /// The most one load run may take.
        limit: Duration,
    },
}

/// A stored run to compare with.
#[derive(Debug, PartialEq)]
pub(crate) struct Baseline {
    /// The name given to `--baseline`.
    pub(crate) name: String,
    /// The run stored under it.
    pub(crate) report: BenchReport,
}

/// `CROSSDRIVE_BENCH_SLOW`: a delay added to every driver exchange of
/// one scenario, so the regression gate has something to catch.
#[derive(Debug, PartialEq)]
pub(crate) struct Slow {
    /// The scenario slowed.
    pub(crate) scenario: String,
    /// The delay per exchange.
    pub(crate) delay: Duration,
}

/// Why the command line was refused.
#[derive(Debug)]
pub(crate) enum ArgsError {
    /// clap refused it (an unknown flag, a value of the wrong type or
    /// format) or was asked for `--help`: clap prints it and picks the exit
    /// code (2, or 0 for help), exactly as `Args::parse` would.
    Clap(clap::Error),
    /// A value clap accepted that the bench cannot use: exit 2.
    Usage(String),
}

impl ArgsError {
    /// The process exit code: 2 for every refusal, 0 for `--help`.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Clap(e) => u8::try_from(e.exit_code()).unwrap_or(2),
            Self::Usage(_) => 2,
        }
    }
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clap(e) => write!(f, "{}", e.render()),
            Self::Usage(message) => f.write_str(message),
        }
    }
}

/// Turns `argv` (program name first) and the environment, read through
/// `env` (`CROSSDRIVE_BENCH_SLOW`, `CARGO_TARGET_DIR`), into a checked plan,
/// reading the `--baseline` file if one is named.
pub(crate) fn parse<I, T>(
    argv: I,
    env: impl Fn(&str) -> Option<OsString>,
    catalog: &Catalog<'_>,
) -> Result<RunPlan, ArgsError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // bin_name: clap would otherwise show the hashed file name cargo gives
    // the bench binary (`Usage: latency-3d216c882bec4d6e`).
    let command = Args::command().bin_name(catalog.command.clone());
    let args = command
        .try_get_matches_from(argv)
        .and_then(|m| Args::from_arg_matches(&m))
        .map_err(ArgsError::Clap)?;
    let usage = ArgsError::Usage;
    let drivers = select(
        "--driver",
        &args.drivers,
        &catalog.drivers,
        &catalog.drivers,
    )
    .map_err(usage)?;
    let scenarios = match select(
        "--scenario",
        &args.scenarios,
        &catalog.scenarios,
        &catalog.default_scenarios,
    )
    .map_err(usage)?
    {
        mut defaults if args.scenarios.is_empty() && !args.concurrency.is_empty() => {
            defaults.truncate(1);
            defaults
        }
        chosen => chosen,
    };
    let mode = mode(&args).map_err(usage)?;
    if args.stages && !args.concurrency.is_empty() {
        return Err(usage(
            "--stages times single requests, which load mode (--concurrency) does not send; \
             run --stages without --concurrency"
                .to_owned(),
        ));
    }
    let slas = slas(&args, &drivers, &scenarios).map_err(usage)?;
    let slow = slow(env(SLOW_ENV), &catalog.scenarios).map_err(usage)?;
    check_threshold(args.threshold).map_err(usage)?;
    if let Some(name) = &args.save_baseline {
        check_baseline_name("--save-baseline", name).map_err(usage)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(env("CARGO_TARGET_DIR")));
    let topology = args.topology.unwrap_or(if args.concurrency.is_empty() {
        Topology::SameThread
    } else {
        Topology::CrossThread
    });
    // Read the baseline before measuring, so a typo fails in a second, not after the run.
    let baseline = match &args.baseline {
        Some(name) => Some(load_baseline(&out, name, topology).map_err(usage)?),
        None => None,
    };
    Ok(RunPlan {
        drivers,
        scenarios,
        mode,
        topology,
        out,
        raw: args.raw,
        formats: dedup(&args.formats),
        stages: args.stages,
        save_baseline: args.save_baseline,
        baseline,
        threshold: args.threshold,
        slas,
        slow,
    })
}

/// `formats` with each given once, first mention kept: `--format bmf,bmf`
/// asks for one file.
fn dedup(formats: &[Format]) -> Vec<Format> {
    let mut once = Vec::with_capacity(formats.len());
    for f in formats {
        if !once.contains(f) {
            once.push(*f);
        }
    }
    once
}

/// Where a baseline named `name` is stored under `out`.
pub(crate) fn baseline_path(out: &Path, name: &str) -> PathBuf {
    out.join("baselines").join(format!("{name}.json"))
}

fn mode(args: &Args) -> Result<Mode, String> {
    if args.samples == Some(0) {
        return Err(
            "`--samples 0` would measure nothing; give at least 1 timed sample per cell and side, \
             such as --samples 8000 (the default, or 400 with --quick)"
                .into(),
        );
    }
    if args.requests == Some(0) {
        return Err(
            "`--requests 0` would send nothing; give at least 1 request per driver and concurrency, \
             such as --requests 20000 (the default, or 2000 with --quick)"
                .into(),
        );
    }
    if args.concurrency.contains(&0) {
        let levels: Vec<String> = args.concurrency.iter().map(u32::to_string).collect();
        return Err(format!(
            "`--concurrency {}` has a level of 0 requests in flight, which sends nothing; \
             give levels of at least 1, as in --concurrency 1,16,64",
            levels.join(",")
        ));
    }
    if !args.concurrency.is_empty() {
        return Ok(Mode::Load {
            concurrency: args.concurrency.clone(),
            requests: args
                .requests
                .unwrap_or(if args.quick { 2_000 } else { 20_000 }),
            limit: args
                .duration
                .unwrap_or(Duration::from_secs(if args.quick { 2 } else { 10 })),
        });
    }
    let default = if args.quick {
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
    Ok(Mode::Latency {
        per_cell: Plan {
            samples: args.samples.unwrap_or(default.samples),
            budget: args.duration.unwrap_or(default.budget),
            ..default
        },
        repeat_noisy: !args.quick,
    })
}

fn select(
    flag: &str,
    wanted: &[String],
    all: &[&str],
    defaults: &[&str],
) -> Result<Vec<String>, String> {
    if wanted.is_empty() {
        return Ok(defaults.iter().map(|s| (*s).to_owned()).collect());
    }
    wanted
        .iter()
        .map(|w| {
            // A driver's identifier (`lambda_v1`, as its tests are named)
            // is as good as its name (`lambda-v1`).
            let ident = |name: &str| name.replace('-', "_");
            all.iter()
                .find(|t| **t == w || (flag == "--driver" && ident(t) == ident(w)))
                .map(|t| (*t).to_owned())
                .ok_or_else(|| {
                    format!(
                        "{flag} `{w}` is not a {} of this bench; choose from: {}",
                        flag.trim_start_matches('-'),
                        all.join(", ")
                    )
                })
        })
        .collect()
}

/// Parses every `--sla` rule and refuses one that could only fail after the
/// run: in load mode (which has no latency table to gate), or naming a
/// scenario or driver this run does not measure.
fn slas(args: &Args, drivers: &[String], scenarios: &[String]) -> Result<Vec<Sla>, String> {
    let mut rules = Vec::new();
    for text in &args.sla {
        rules.extend(Sla::parse_list(text).map_err(|e| format!("--sla: {e}"))?);
    }
    if !args.concurrency.is_empty()
        && let Some(rule) = rules.first()
    {
        return Err(format!(
            "--sla `{rule}` gates the latency table, which load mode (--concurrency) does not \
             produce; run the gate without --concurrency"
        ));
    }
    for rule in &rules {
        if let Some(s) = rule.scenario.as_deref()
            && !scenarios.iter().any(|m| m == s)
        {
            return Err(format!(
                "--sla `{rule}` names scenario `{s}`, which this run does not measure; \
                 choose from: {}",
                scenarios.join(", ")
            ));
        }
        if let Some(d) = rule.driver.as_deref()
            && !drivers.iter().any(|k| k == d)
        {
            return Err(format!(
                "--sla `{rule}` names driver `{d}`, which this run does not measure; \
                 choose from: {}",
                drivers.join(", ")
            ));
        }
    }
    Ok(rules)
}

fn slow(value: Option<OsString>, scenarios: &[&str]) -> Result<Option<Slow>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let shown = value.to_string_lossy();
    let malformed = |why: String| {
        format!(
            "{SLOW_ENV}=`{shown}` is not `<scenario>:<duration>` such as simple_get:200us ({why}); \
             fix or unset it"
        )
    };
    let text = value
        .to_str()
        .ok_or_else(|| malformed("it is not UTF-8".into()))?;
    let (name, delay) = text
        .split_once(':')
        .ok_or_else(|| malformed("there is no `:`".into()))?;
    let delay = parse_duration(delay).map_err(malformed)?;
    let scenario = scenarios
        .iter()
        .find(|s| **s == name)
        .map(|s| (*s).to_owned())
        .ok_or_else(|| {
            malformed(format!(
                "`{name}` is not a scenario of this bench; choose from: {}",
                scenarios.join(", ")
            ))
        })?;
    Ok(Some(Slow { scenario, delay }))
}

fn check_threshold(threshold: f64) -> Result<(), String> {
    if threshold > 0.0 && threshold.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "`--threshold {threshold}` is not a positive percentage; give the p50 growth that \
             counts as a regression, such as --threshold 10 (the default)"
        ))
    }
}

fn check_baseline_name(flag: &str, name: &str) -> Result<(), String> {
    let wrong = if name.is_empty() {
        Some("it is empty".to_owned())
    } else if name.starts_with('.') {
        Some("it starts with `.`".to_owned())
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .map(|c| format!("`{c}` is not allowed"))
    };
    match wrong {
        None => Ok(()),
        Some(why) => Err(format!(
            "{flag} `{name}` cannot name a baseline: {why}; the name becomes a file under \
             <out>/baselines/, so use letters, digits, `-`, `_` and `.` (not first), \
             as in {flag} before"
        )),
    }
}

fn load_baseline(out: &Path, name: &str, topology: Topology) -> Result<Baseline, String> {
    check_baseline_name("--baseline", name)?;
    let path = baseline_path(out, name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "--baseline `{name}`: cannot read {} ({e}); save one first with --save-baseline {name}, \
             or pass the --out it was saved under",
            path.display()
        )
    })?;
    let report = BenchReport::from_json(&text).map_err(|e| {
        format!(
            "--baseline `{name}`: {} is not a usable baseline ({e}); save it again with \
             --save-baseline {name}",
            path.display()
        )
    })?;
    // A suite row costs several times a same-thread one: comparing across
    // topologies would report the placement as a regression.
    if report.topology != topology.as_str() {
        return Err(format!(
            "--baseline `{name}` was measured with --topology {}, this run with --topology \
             {topology}; compare like with like: pass --topology {} or save a baseline with \
             --topology {topology}",
            report.topology, report.topology
        ));
    }
    Ok(Baseline {
        name: name.to_owned(),
        report,
    })
}

fn default_out(target_dir: Option<OsString>) -> PathBuf {
    target_dir
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("crossdrive")
}

/// `--duration`: a [`parse_duration`] that is more than zero.
fn parse_budget(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err(format!(
            "`{text}` leaves no time to measure; give a budget such as 200ms or 2s"
        )),
        budget => Ok(budget),
    }
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

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
