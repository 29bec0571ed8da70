//! bookshelf's own bench: its scenarios through every driver it ships
//! behind, each beside its floor. `cargo bench --bench api` (or
//! `cargo bench --bench api -- --quick`, `--driver duplex,http1`,
//! `--topology suite`, `--concurrency 1,16`, ...) writes
//! `target/crossdrive/bench.{json,md,csv,svg}`.

#[path = "../support/deployment.rs"]
mod deployment;
#[path = "../support/duplex.rs"]
mod edge;
#[path = "../support/scenarios.rs"]
mod scenarios;

crossdrive::bench_main! {
    app = bookshelf::app;
    scenarios = scenarios::all;
    drivers = deployment::with_websocket_api;
}
