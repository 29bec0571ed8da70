//! `cargo xtask bench`: builds and runs the latency bench in release mode.
//!
//! The measuring happens in `crossdrive::bench`, called by
//! `benches/latency/main.rs` (so `cargo bench --bench latency` runs the very
//! same code, as a user's own bench binary does); this command only launches
//! it with the arguments given, from the workspace root so the output lands
//! in `target/crossdrive/`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Runs `cargo bench --bench latency -- <args>` and forwards its exit code.
pub(crate) fn run(args: Vec<String>) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "bench",
            "--quiet",
            "--package",
            "crossdrive-suite",
            "--bench",
            "latency",
            "--",
        ])
        .args(&args)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: cannot run cargo ({e}); is cargo on PATH?");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn workspace_root() -> PathBuf {
    // xtask lives at <root>/xtask; CARGO_MANIFEST_DIR is fixed at build time.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), PathBuf::from)
}
