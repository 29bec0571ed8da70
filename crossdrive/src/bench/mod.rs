//! The bench layer: your app's scenarios through every driver, each beside
//! its floor, with the tables, files, baselines and gates of
//! `cargo xtask bench` (feature `bench`).
//!
//! # Benching your own app
//!
//! In your crate's `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! crossdrive = { version = "0.1", features = ["bench"] }
//!
//! [[bench]]
//! name = "api"
//! harness = false
//! ```
//!
//! and `benches/api.rs`:
//!
//! ```no_run,standalone_crate
//! use crossdrive::Scenario;
//! use crossdrive::scenario::Step;
//! # mod my_service { pub fn app() -> axum::Router { axum::Router::new() } }
//!
//! fn scenarios() -> Vec<Scenario> {
//!     vec![
//!         Scenario::new("list_items").step(Step::get("/items").expect(200)),
//!         Scenario::new("create_item")
//!             .step(Step::post("/items").json(r#"{"name":"x"}"#).expect(201)),
//!     ]
//! }
//!
//! crossdrive::bench_main! { app = my_service::app; scenarios = scenarios; }
//! ```
//!
//! `cargo bench --bench api` then measures every scenario through every
//! driver, prints the Markdown tables and writes `bench.json`
//! (`crossdrive.bench.v1`), `bench.md`, `bench.csv` and `bench.svg` under
//! `target/crossdrive/` (or `$CARGO_TARGET_DIR/crossdrive/`, or `--out`).
//! `cargo bench --bench api -- --help` lists the flags: `--quick`,
//! `--driver`, `--scenario`, `--topology`, `--concurrency` (load mode),
//! `--save-baseline` / `--baseline` (the noise-aware regression gate),
//! `--sla`, `--raw`, `--format bmf` (also `bench.bmf.json`, the run in
//! Bencher Metric Format for a benchmark tracker: [`bmf`]). Exit codes: 0 ok, 1 the bench failed, 2 bad
//! arguments, 3 a cell regressed, 4 an SLA rule is broken.
//!
//! The same scenarios run as tests on every driver with
//! [`Scenario::check`](crate::Scenario::check).
//!
//! # Drivers
//!
//! The built-in drivers by default; `drivers = my_drivers;` (a
//! `fn() -> Drivers`) for your own list, such as a configured Lambda REST
//! API or a driver of your own with its own floor
//! ([`DriverSpec::custom`](crate::DriverSpec::custom),
//! [`DriverSpec::floor`](crate::DriverSpec::floor), described in the
//! report by [`DriverSpec::floor_about`](crate::DriverSpec::floor_about)).
//! A custom driver without a floor is compared with `raw-oneshot`, the
//! in-process minimum.
//!
//! ```
//! use std::sync::Arc;
//! use crossdrive::{Direct, DriverSpec, Drivers};
//!
//! fn my_drivers() -> Drivers {
//!     // Stands in for an adapter of your own; its floor is the least its
//!     // transport could cost.
//!     let mine = DriverSpec::custom("my-adapter", |app, _options| Ok(Arc::new(Direct::new(app))))
//!         .floor("my-adapter-raw", |app| Ok(Arc::new(Direct::new(app))))
//!         .floor_about("the adapter's transport without its retries");
//!     Drivers::builtin().without("http1-fresh").with(mine)
//! }
//! assert!(my_drivers().names().contains(&"my-adapter"));
//! ```
//!
//! # Topologies
//!
//! `--topology same-thread` (the latency default) puts client and server on
//! the bench's one thread: the protocol stack's cost. `cross-thread` gives
//! socket servers their own thread (the load-mode default: capacity).
//! `suite` reaches each driver exactly as a `suite!` test does, beside the
//! same-thread floor: what a test's request costs. Every table says which.
//!
//! # Your own `main`
//!
//! [`bench_main!`](crate::bench_main) is [`Bench`] plus the
//! [`CountingAllocator`] as global allocator. Without the allocator the
//! tail table's allocations and bytes read `n/a`:
//!
//! ```no_run,standalone_crate
//! # fn scenarios() -> Vec<crossdrive::Scenario> { vec![] }
//! # mod my_service { pub fn app() -> axum::Router { axum::Router::new() } }
//! #[global_allocator]
//! static ALLOCATOR: crossdrive::bench::CountingAllocator =
//!     crossdrive::bench::CountingAllocator;
//!
//! fn main() -> std::process::ExitCode {
//!     crossdrive::bench::Bench::new(my_service::app)
//!         .scenarios(scenarios())
//!         .drivers(crossdrive::Drivers::builtin().without("http1-fresh"))
//!         .run_from_args()
//! }
//! ```
//!
//! # Architecture
//!
//! `args` turns the command line into a checked plan (every refusal of
//! user input happens there, before anything is measured); `run` walks the
//! plan and writes the files, baselines and gates; `cell` measures one
//! scenario × driver beside its floor in alternating rounds; `load` is the
//! `--concurrency` mode; `floors` builds each driver and its floor from its
//! [`DriverSpec`](crate::DriverSpec)'s deployment (the driver registry) and
//! measures the floor; `chart` draws the SVG; `counting` is the allocator;
//! `progress` the terminal line. Statistics, the report format, baseline
//! comparison and SLA rules are the engine below. No driver module imports
//! the bench.
//!
//! # The engine
//!
//! The latency engine behind `cargo bench` and `cargo xtask bench`, in the
//! order a run uses it:
//!
//! - [`Exchange`] is what a benchmark sends requests through. Every
//!   [`crate::Driver`] is one; so are the *floors* (the raw, minimal way of
//!   reaching the same app through the same transport, such as a bare
//!   `Router::oneshot`), which implement it without boxing so the floor is
//!   the true minimum.
//! - [`measure`] runs one operation many times after a warm-up and records
//!   every timed duration in an HdrHistogram, giving [`Stats`]. It never
//!   runs longer than its time budget, so a run always ends by itself.
//! - [`report`] holds the output contract: the `crossdrive.bench.v1` JSON
//!   ([`report::BenchReport`]) and the Markdown table rendered from it;
//!   [`bmf`] renders the same report in Bencher Metric Format.
//!
//! - [`Topology`] names where client and server ran, so no figure is read
//!   without it.
//!
//! What a bench sends is a [`crate::Scenario`]; the runner around this
//! engine (command line, floors, files, gates) is [`Bench`] (feature
//! `bench`).
//!
//! Driver and floor are measured in alternating rounds within the same run,
//! on the same thread topology, so drift on a noisy machine hits both alike
//! and the ratio driver/floor stays meaningful when absolute times do not.

pub mod bmf;
pub mod compare;
mod exchange;
mod measure;
pub mod report;
pub mod sla;
mod topology;
#[cfg(feature = "websocket")]
pub(crate) mod websocket;

pub use exchange::{Exchange, read_stamped};
pub use measure::{
    AllocSnapshot, FirstByteStats, Plan, Recorder, Sample, Stats, Stopwatch, install_alloc_probe,
    measure,
};
pub use topology::Topology;
#[cfg(feature = "websocket")]
pub use websocket::{NotCarried, OpenedWebSocket, WebSocketConn, websocket_handshake};

mod args;
mod cell;
mod chart;
mod counting;
mod floors;
mod load;
mod progress;
mod run;
pub(crate) mod runner;
mod stages;

pub use counting::CountingAllocator;
pub use runner::Bench;
