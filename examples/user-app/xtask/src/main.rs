//! `cargo xtask bench [flags]`: bookshelf's bench in release mode, with
//! crossdrive's flags (`--quick`, `--driver`, `--baseline`, ...).

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("bench") {
        eprintln!("usage: cargo xtask bench [crossdrive bench flags; --help lists them]");
        return ExitCode::from(2);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "bench",
            "--quiet",
            "--package",
            "bookshelf",
            "--bench",
            "api",
            "--",
        ])
        .args(args)
        .status();
    match status {
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: cannot run cargo ({e})");
            ExitCode::from(2)
        }
    }
}
