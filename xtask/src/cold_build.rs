//! `cargo xtask cold-build`: what crossdrive adds to a user crate's cold
//! build, per feature set.
//!
//! Writes six small crates under `target/cold-build/` that differ only in
//! their `[dev-dependencies]` (none, `direct` alone, the smallest useful set,
//! the defaults, the defaults and `bench`, every feature), each an axum app with one `suite!` test,
//! and times `cargo test --no-run` for each from an empty target directory
//! (dependencies downloaded first, so the network is not timed). Prints a
//! table of seconds, compilation units and the extra over the app alone.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// One feature set: its name and its `[dev-dependencies]` lines.
const SETS: [(&str, &str); 6] = [
    ("none", ""),
    (
        "direct",
        r#"crossdrive = { path = "{repo}/crossdrive", default-features = false }"#,
    ),
    (
        "smallest",
        r#"crossdrive = { path = "{repo}/crossdrive", default-features = false, features = ["sockets"] }"#,
    ),
    ("defaults", r#"crossdrive = { path = "{repo}/crossdrive" }"#),
    (
        "bench",
        r#"crossdrive = { path = "{repo}/crossdrive", features = ["bench"] }"#,
    ),
    (
        "all",
        r#"crossdrive = { path = "{repo}/crossdrive", features = ["tls", "remote", "bench", "parity"] }"#,
    ),
];

const APP: &str = r#"//! A tiny service.
use axum::{Router, routing::get};
/// The app.
pub fn app() -> Router {
    Router::new().route("/hello", get(|| async { "hi" }))
}
"#;

const SUITE: &str = r#"crossdrive::suite! {
    app = {krate}::app;
    async fn hello_answers_200(client) {
        client.get("/hello").await.assert_status(200);
    }
}
"#;

const PLAIN_TEST: &str = "#[test]\nfn builds() {\n    let _ = {krate}::app();\n}\n";

pub(crate) fn run(args: Vec<String>) -> ExitCode {
    if let Some(arg) = args.first() {
        eprintln!("xtask cold-build: takes no arguments (got `{arg}`)");
        return ExitCode::from(2);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let root = repo.join("target").join("cold-build");
    let mut rows = Vec::new();
    for (set, deps) in SETS {
        match measure(&repo, &root, set, deps) {
            Ok((secs, units)) => {
                println!("{set:<9} {secs:>7.1} s {units:>5} units");
                rows.push((set, secs, units));
            }
            Err(e) => {
                eprintln!("xtask cold-build: the `{set}` crate failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let base = rows.first().map_or(0.0, |r| r.1);
    println!("\n| set | cold build | units | extra |\n|---|---|---|---|");
    for (set, secs, units) in rows {
        println!("| {set} | {secs:.1} s | {units} | {:+.0} s |", secs - base);
    }
    ExitCode::SUCCESS
}

fn measure(repo: &Path, root: &Path, set: &str, deps: &str) -> Result<(f64, usize), String> {
    let dir = root.join(set);
    let _ = std::fs::remove_dir_all(&dir);
    let krate = format!("cold_{set}");
    let write = |path: PathBuf, text: String| {
        std::fs::create_dir_all(path.parent().unwrap_or(root))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("cannot write {} ({e})", path.display()))
    };
    let repo_text = repo.display().to_string();
    write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"cold-{set}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [workspace]\n\n[dependencies]\n\
             axum = {{ version = \"0.8\", default-features = false, features = [\"json\", \"query\", \"tokio\", \"http1\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt\", \"macros\", \"net\"] }}\n\
             serde = {{ version = \"1\", features = [\"derive\"] }}\n\n[dev-dependencies]\n{}\n",
            deps.replace("{repo}", &repo_text)
        ),
    )?;
    // The same versions as crossdrive's own lock file.
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy Cargo.lock ({e})"))?;
    write(dir.join("src/lib.rs"), APP.to_owned())?;
    let test = if deps.is_empty() { PLAIN_TEST } else { SUITE };
    write(dir.join("tests/suite.rs"), test.replace("{krate}", &krate))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let target = dir.join("target");
    let status = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo ({e})"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };
    status(Command::new(&cargo).args(["fetch", "--quiet"]))?;
    let started = Instant::now();
    status(Command::new(&cargo).args(["test", "--no-run", "--quiet"]))?;
    let secs = started.elapsed().as_secs_f64();
    let units = std::fs::read_dir(target.join("debug/.fingerprint"))
        .map(Iterator::count)
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&target);
    Ok((secs, units))
}
