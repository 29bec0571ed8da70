//! Prints the conformance matrix (check × driver) in Markdown for every
//! crossdrive driver; `cargo xtask conformance` writes it to
//! docs/conformance-matrix.md. Exits with status 1, after printing, if any check
//! fails or any declaration is stale, with the full report on stderr.

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("conformance_matrix: cannot build a tokio runtime ({e})");
            return ExitCode::FAILURE;
        }
    };
    let reports = runtime.block_on(crossdrive::conformance::run_all(
        crossdrive::conformance::echo::app,
    ));
    print!("{}", crossdrive::conformance::matrix(&reports));
    let mut ok = true;
    for report in reports.iter().filter(|r| !r.is_success()) {
        eprintln!("{report}\n");
        ok = false;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
