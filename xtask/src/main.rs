//! `cargo xtask`: crossdrive's task runner, in the style of rust-analyzer's.
//!
//! One module per subcommand, each with a `run`. It has no dependencies, so
//! it builds in a second; the heavy lifting happens in the bench binary it
//! launches (`benches/latency/main.rs`, over `crossdrive::bench`),
//! built in release mode.

mod bench;
mod cold_build;
mod conformance;
mod lint;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  bench [options]   run the cross-adapter latency benchmark and print its tables
                    (writes target/crossdrive/bench.json and bench.md);
                    `cargo xtask bench --help` lists its options
  conformance [--check]
                    run the conformance suite on every driver and write the
                    check × driver matrix to docs/conformance-matrix.md;
                    --check fails instead if that file is stale
  lint              check the layering rules of ARCHITECTURE.md (the core knows
                    no adapter, driver modules never import the bench, ...)
  cold-build        time a user crate's cold `cargo test --no-run` with each
                    feature set of crossdrive (about seven minutes)
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bench") => bench::run(args.collect()),
        Some("conformance") => conformance::run(args.collect()),
        Some("cold-build") => cold_build::run(args.collect()),
        Some("lint") => lint::run(args.collect()),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprint!("xtask: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
