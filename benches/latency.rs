//! The cross-adapter latency bench: every scenario of the reference app
//! through every driver, each beside its floor, measured in the same run.
//!
//! `cargo bench` and `cargo xtask bench` both run this binary. It prints the
//! Markdown table and writes `target/crossdrive/bench.json` and `bench.md`
//! (under `$CARGO_TARGET_DIR` when set).
//!
//! Method: client and app share one current-thread runtime (the
//! `same-thread` topology); each cell prepares a fresh app for the driver
//! and another for its floor, warms both up, then measures them in
//! alternating rounds so machine drift hits both alike. A counting global
//! allocator (this binary only) gives allocations per request.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use crossdrive::bench::report::{BenchReport, BenchResult, Machine, SCHEMA, rfc3339_now};
use crossdrive::bench::{Plan, Recorder, Topology, install_alloc_probe, measure};
use crossdrive::{Driver, Error};
use crossdrive_adapters::Kind;
use crossdrive_fixtures::reference;
use crossdrive_fixtures::scenarios::Scenario;

mod counting {
    //! A counting global allocator: the Rust counterpart of Go's allocs/op.
    #![allow(unsafe_code)]

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use crossdrive::bench::AllocSnapshot;

    static ALLOCS: AtomicU64 = AtomicU64::new(0);
    static BYTES: AtomicU64 = AtomicU64::new(0);

    pub(crate) struct Counting;

    // SAFETY: every call is forwarded unchanged to the system allocator;
    // the counters are plain atomics and never allocate.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
            // SAFETY: the caller upholds `alloc`'s contract, which System shares.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from `alloc`/`realloc` above, i.e. from System.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(new_size as u64, Relaxed);
            // SAFETY: `ptr` came from System with `layout`; the caller upholds the rest.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub(crate) fn snapshot() -> AllocSnapshot {
        AllocSnapshot {
            allocs: ALLOCS.load(Relaxed),
            bytes: BYTES.load(Relaxed),
        }
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

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
    /// Timed samples per cell (default 20000, or 2000 with --quick).
    #[arg(long)]
    samples: Option<u64>,
    /// Where to write bench.json and bench.md (default target/crossdrive).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Thread placement: same-thread (client and server on one runtime) or
    /// cross-thread (server on its own runtime thread).
    #[arg(long, default_value = "same-thread")]
    topology: Topology,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Alternating rounds per cell: driver and floor take turns this many times.
const ROUNDS: u64 = 4;

fn main() -> ExitCode {
    // The lambda-runtime driver re-runs this binary as its function.
    crossdrive_adapters::lambda::runtime::serve_if_child(reference::app);
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("crossdrive bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    install_alloc_probe(counting::snapshot);
    let kinds = select(
        &args.drivers,
        Kind::ALL,
        |k| k.name(),
        "driver",
        &Kind::names(),
    )?;
    let scenario_names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    let scenarios = select(
        &args.scenarios,
        Scenario::ALL,
        |s| s.name(),
        "scenario",
        &scenario_names,
    )?;
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(samples) = args.samples {
        if samples == 0 {
            return Err("--samples must be at least 1".into());
        }
        plan.samples = samples;
    }
    let round = Plan {
        warmup: plan.warmup / ROUNDS,
        samples: plan.samples.div_ceil(ROUNDS),
        budget: plan.budget / u32::try_from(ROUNDS).unwrap_or(1),
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the bench runtime ({e})"))?;
    let started = rfc3339_now();
    let mut results = Vec::new();
    let total = scenarios.len() * kinds.len();
    for (i, (scenario, kind)) in scenarios
        .iter()
        .flat_map(|s| kinds.iter().map(move |k| (*s, *k)))
        .enumerate()
    {
        eprint!(
            "\r[{:>3}/{total}] {:<24} {:<12}",
            i + 1,
            scenario.name(),
            kind.name()
        );
        let row = runtime
            .block_on(cell(scenario, kind, round, args.topology))
            .map_err(|e| format!("{} on {}: {e}", scenario.name(), kind.name()))?;
        results.push(row);
    }
    eprintln!("\r{:60}", "");

    let report = BenchReport {
        schema: SCHEMA.to_owned(),
        machine: Machine::current(),
        git: git_commit(),
        started,
        topology: args.topology.as_str().to_owned(),
        results,
    };
    let markdown = report.to_markdown();
    println!("{markdown}");
    let out = args.out.clone().unwrap_or_else(default_out);
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create {} ({e}); pass --out DIR", out.display()))?;
    for (name, text) in [("bench.json", report.to_json()), ("bench.md", markdown)] {
        let path = out.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("cannot write {} ({e}); pass --out DIR", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// One scenario through one driver and its floor, in alternating rounds.
async fn cell(
    scenario: Scenario,
    kind: Kind,
    round: Plan,
    topology: Topology,
) -> Result<BenchResult, Error> {
    let pair = kind.bench_pair(reference::app(), reference::app(), topology)?;
    let (driver, floor) = (pair.driver, pair.floor);
    let protocol = observed_protocol(&*driver).await?;
    let driver_ready = scenario.prepare(&*driver).await?;
    let floor_ready = scenario.prepare(&floor).await?;
    let (driver_n, floor_n) = (Cell::new(0u64), Cell::new(0u64));
    let mut driver_rec = Recorder::new();
    let mut floor_rec = Recorder::new();
    for r in 0..ROUNDS {
        // Alternate who goes first, so neither always runs on a warmer cache.
        for floor_turn in [r % 2 == 0, r % 2 != 0] {
            if floor_turn {
                measure(round, &mut floor_rec, || {
                    floor_n.set(floor_n.get() + 1);
                    scenario.run(&floor, &floor_ready, floor_n.get())
                })
                .await?;
            } else {
                measure(round, &mut driver_rec, || {
                    driver_n.set(driver_n.get() + 1);
                    scenario.run(&*driver, &driver_ready, driver_n.get())
                })
                .await?;
            }
        }
    }
    Ok(BenchResult::new(
        scenario.name(),
        kind.name(),
        &protocol,
        &driver_rec.stats(),
        floor.name(),
        &floor_rec.stats(),
    ))
}

async fn observed_protocol(driver: &dyn Driver) -> Result<String, Error> {
    let mut probe = http::Request::new(bytes::Bytes::new());
    *probe.uri_mut() = http::Uri::from_static("/hello");
    Ok(driver.send(probe).await?.protocol.as_str().to_owned())
}

fn select<T: Copy>(
    wanted: &[String],
    all: &[T],
    name: impl Fn(&T) -> &'static str,
    what: &str,
    known: &[&str],
) -> Result<Vec<T>, String> {
    if wanted.is_empty() {
        return Ok(all.to_vec());
    }
    wanted
        .iter()
        .map(|w| {
            all.iter()
                .copied()
                .find(|t| name(t) == w)
                .ok_or_else(|| format!("unknown {what} `{w}`; choose from: {}", known.join(", ")))
        })
        .collect()
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
