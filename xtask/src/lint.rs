//! `cargo xtask lint`: the layering rules of ARCHITECTURE.md, checked.
//!
//! Each rule is an invariant with a check that fails, naming the file and
//! line that breaks it, when the code stops keeping it. The checks read the
//! sources and manifests as text (no dependencies); a rule is about `use`
//! lines and paths, so comments and doc comments are skipped.
//!
//! | rule | checked by |
//! |---|---|
//! | the core crate knows no adapter | [`core_knows_no_adapter`] |
//! | driver modules never import the bench | [`drivers_never_import_the_bench`] |
//! | the test runners reach drivers only through the registry | [`runners_reach_drivers_through_the_registry`] |
//! | every exported macro is in `macros.rs` | [`exported_macros_live_in_one_file`] |
//! | folder names equal crate names | [`folders_are_named_after_their_crates`] |
//! | the workspace's MSRV is the toolchain CI builds with | [`ci_builds_with_the_msrv`] |

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// One broken rule: where, and what to do.
#[derive(Debug, PartialEq)]
pub(crate) struct Violation {
    rule: &'static str,
    at: String,
    fix: &'static str,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}\n  {}", self.rule, self.at, self.fix)
    }
}

pub(crate) fn run(args: Vec<String>) -> ExitCode {
    if let Some(arg) = args.first() {
        eprintln!("xtask lint: takes no arguments (got `{arg}`)");
        return ExitCode::from(2);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut violations = Vec::new();
    violations.extend(core_knows_no_adapter(&repo));
    violations.extend(drivers_never_import_the_bench(&repo));
    violations.extend(runners_reach_drivers_through_the_registry(&repo));
    violations.extend(exported_macros_live_in_one_file(&repo));
    violations.extend(folders_are_named_after_their_crates(&repo));
    violations.extend(ci_builds_with_the_msrv(&repo));
    if violations.is_empty() {
        println!("xtask lint: the layering rules of ARCHITECTURE.md hold");
        return ExitCode::SUCCESS;
    }
    for v in &violations {
        eprintln!("{v}\n");
    }
    eprintln!(
        "xtask lint: {} broken rule(s); see ARCHITECTURE.md, \"Invariants\"",
        violations.len()
    );
    ExitCode::FAILURE
}

/// The dependencies the core crate may have: the HTTP types, the runtime
/// it times out on, and what its client and assertions need.
const CORE_DEPENDENCIES: &[&str] = &[
    "http",
    "bytes",
    "futures-util",
    "http-body",
    "http-body-util",
    "tokio",
    "serde",
    "serde_json",
    "percent-encoding",
    "pin-project-lite",
    "similar",
    "serde_urlencoded",
    // Feature `websocket`: the test API's WebSocket framing over the
    // stream a driver's handshake upgraded to (the client, not an adapter).
    "tokio-tungstenite",
];

/// Paths only an adapter would write.
const ADAPTER_PATHS: &[&str] = &[
    "axum::",
    "tower::",
    "hyper::",
    "hyper_util::",
    "lambda_http::",
    "quinn::",
    "h3::",
    "reqwest::",
    "rustls::",
    "crossdrive::",
];

/// `crossdrive-core` depends on no adapter crate and names none.
fn core_knows_no_adapter(repo: &Path) -> Vec<Violation> {
    let mut out = Vec::new();
    let manifest = read(&repo.join("crossdrive-core/Cargo.toml"));
    for name in section_keys(&manifest, "[dependencies]") {
        if !CORE_DEPENDENCIES.contains(&name.as_str()) {
            out.push(Violation {
                rule: "the core crate knows no adapter",
                at: format!("crossdrive-core/Cargo.toml: depends on `{name}`"),
                fix: "put what needs it in the `crossdrive` crate, or add it to CORE_DEPENDENCIES in xtask/src/lint.rs if it is part of the driver contract",
            });
        }
    }
    for (file, line, text) in code_lines(&repo.join("crossdrive-core/src")) {
        if let Some(path) = ADAPTER_PATHS.iter().find(|p| mentions(&text, p)) {
            out.push(Violation {
                rule: "the core crate knows no adapter",
                at: format!("{}:{line}: `{path}` in `{}`", rel(repo, &file), text.trim()),
                fix: "the core is the driver contract only; move adapter code to the `crossdrive` crate",
            });
        }
    }
    out
}

/// The driver modules of the `crossdrive` crate.
const DRIVER_MODULES: &[&str] = &[
    "direct.rs",
    "direct_ws.rs",
    "remote.rs",
    "remote_ws.rs",
    "upgrade.rs",
    "lambda",
    "socket",
];

/// No driver module imports `crate::bench`; floors reach the bench through
/// the registry's `Floor`.
fn drivers_never_import_the_bench(repo: &Path) -> Vec<Violation> {
    let src = repo.join("crossdrive/src");
    let mut out = Vec::new();
    for module in DRIVER_MODULES {
        for (file, line, text) in code_lines(&src.join(module)) {
            if mentions(&text, "crate::bench") || mentions(&text, "super::bench") {
                out.push(Violation {
                    rule: "driver modules never import the bench",
                    at: format!("{}:{line}: `{}`", rel(repo, &file), text.trim()),
                    fix: "give the bench what it needs through the driver's registry entry (registry.rs: `Deployment::bench_pair`, `Floor`)",
                });
            }
        }
    }
    out
}

/// The test runners of the `crossdrive` crate.
const RUNNERS: &[&str] = &["suite", "conformance", "parity"];

/// What a runner may name of a driver module: the `remote` test is the
/// suite runner's own (every body gets one; it is not in the driver table).
const RUNNER_MAY_NAME: &[&str] = &["crate::remote::"];

/// The runners (`suite!`, `conformance!`, `parity!`) name no driver
/// module: they reach drivers through `Kind`, `DriverSpec`, `Drivers` and
/// `registry.rs`.
fn runners_reach_drivers_through_the_registry(repo: &Path) -> Vec<Violation> {
    let src = repo.join("crossdrive/src");
    let mut out = Vec::new();
    for runner in RUNNERS {
        for (file, line, text) in code_lines(&src.join(runner)) {
            for module in [
                "crate::lambda",
                "crate::socket",
                "crate::direct",
                "crate::remote",
            ] {
                let allowed = RUNNER_MAY_NAME.iter().any(|p| text.contains(p));
                if mentions(&text, module) && !allowed {
                    out.push(Violation {
                        rule: "the test runners reach drivers only through the registry",
                        at: format!("{}:{line}: `{}`", rel(repo, &file), text.trim()),
                        fix: "ask the driver's deployment (registry.rs) or its DriverSpec instead of the driver module",
                    });
                }
            }
        }
    }
    out
}

/// The one exported macro kept elsewhere: the conformance check list is
/// data written as a macro table (so `conformance!` can name one test per
/// check in the user's crate), and it belongs with the checks.
const MACRO_TABLES: &[&str] = &["crossdrive/src/conformance/table.rs"];

/// `#[macro_export]` appears only in each crate's `macros.rs` (and the
/// check table).
fn exported_macros_live_in_one_file(repo: &Path) -> Vec<Violation> {
    let mut out = Vec::new();
    for krate in ["crossdrive", "crossdrive-core", "crossdrive-fixtures"] {
        for (file, line, text) in code_lines(&repo.join(krate).join("src")) {
            if text.trim_start().starts_with("#[macro_export]")
                && file.file_name().is_none_or(|n| n != "macros.rs")
                && !MACRO_TABLES.contains(&rel(repo, &file).as_str())
            {
                out.push(Violation {
                    rule: "every exported macro is in its crate's macros.rs",
                    at: format!("{}:{line}", rel(repo, &file)),
                    fix: "move the macro to src/macros.rs; what it calls that is not API goes through `__private`",
                });
            }
        }
    }
    out
}

/// Each workspace member's folder is named after its package.
fn folders_are_named_after_their_crates(repo: &Path) -> Vec<Violation> {
    let mut out = Vec::new();
    let workspace = read(&repo.join("Cargo.toml"));
    for member in array_items(&workspace, "members") {
        let manifest = read(&repo.join(&member).join("Cargo.toml"));
        let name = package_name(&manifest).unwrap_or_default();
        let folder = member.rsplit('/').next().unwrap_or(&member);
        if name != folder {
            out.push(Violation {
                rule: "folder names equal crate names",
                at: format!("{member}/ holds the crate `{name}`"),
                fix: "rename the folder (git mv) or the package",
            });
        }
    }
    out
}

/// `rust-version` is the toolchain CI builds with, so every CI build is
/// the MSRV build (no other toolchain can be fetched on the CI machines).
fn ci_builds_with_the_msrv(repo: &Path) -> Vec<Violation> {
    let workspace = read(&repo.join("Cargo.toml"));
    let msrv = workspace
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let toolchain = version.split_whitespace().nth(1).unwrap_or("");
    let same = toolchain == msrv || toolchain.starts_with(&format!("{msrv}."));
    if same {
        return Vec::new();
    }
    vec![Violation {
        rule: "the workspace's MSRV is the toolchain CI builds with",
        at: format!(
            "rust-version = {msrv:?}, rustc --version says `{}`",
            version.trim()
        ),
        fix: "raise rust-version to this toolchain (CI cannot fetch an older one), or build with the MSRV toolchain (`rustup run <msrv> cargo xtask lint`)",
    }]
}

/// Whether `text` contains `path` as a path (not inside a longer name).
fn mentions(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every line of code (comments and doc comments left out) of the `.rs`
/// files under `root` (a file or a folder), with its file and number.
fn code_lines(root: &Path) -> Vec<(PathBuf, usize, String)> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        for (i, line) in read(&file).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.trim().is_empty() {
                out.push((file.clone(), i + 1, code.to_owned()));
            }
        }
    }
    out
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.to_path_buf());
        }
        return;
    }
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            collect(&entry.path(), out);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn rel(repo: &Path, file: &Path) -> String {
    file.strip_prefix(repo)
        .unwrap_or(file)
        .display()
        .to_string()
}

/// The keys of one `[section]` of a manifest.
fn section_keys(manifest: &str, section: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == section;
            continue;
        }
        if inside
            && !line.starts_with('#')
            && let Some((key, _)) = line.split_once('=')
        {
            keys.push(key.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    keys
}

/// The strings of a one-line `key = [..]` array.
fn array_items(manifest: &str, key: &str) -> Vec<String> {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key} = [")))
        .map(|rest| {
            rest.trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(v) = line.strip_prefix("name = ") {
            return Some(v.trim_matches('"').to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway copy of the parts of a repository the rules read.
    fn repo_with(files: &[(&str, &str)]) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("xtask-lint-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    #[test]
    fn the_repository_keeps_every_rule_but_the_toolchain_one() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut all = core_knows_no_adapter(&repo);
        all.extend(drivers_never_import_the_bench(&repo));
        all.extend(runners_reach_drivers_through_the_registry(&repo));
        all.extend(exported_macros_live_in_one_file(&repo));
        all.extend(folders_are_named_after_their_crates(&repo));
        assert!(all.is_empty(), "{all:#?}");
    }

    #[test]
    fn a_driver_module_importing_the_bench_is_named_with_its_line() {
        let repo = repo_with(&[(
            "crossdrive/src/socket/driver.rs",
            "//! docs may say crate::bench\nuse crate::bench::Topology;\n",
        )]);
        let found = drivers_never_import_the_bench(&repo);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .at
                .starts_with("crossdrive/src/socket/driver.rs:2:"),
            "{found:?}"
        );
    }

    #[test]
    fn a_core_dependency_on_an_adapter_crate_is_refused() {
        let repo = repo_with(&[
            (
                "crossdrive-core/Cargo.toml",
                "[package]\nname = \"crossdrive-core\"\n\n[dependencies]\nhttp.workspace = true\naxum = \"0.8\"\n\n[dev-dependencies]\ntokio = \"1\"\n",
            ),
            (
                "crossdrive-core/src/lib.rs",
                "fn f() { let _ = hyper::Error; }\n",
            ),
        ]);
        let found = core_knows_no_adapter(&repo);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].at.contains("`axum`"), "{found:?}");
        assert!(found[1].at.contains("`hyper::`"), "{found:?}");
    }

    #[test]
    fn a_runner_naming_a_driver_module_is_refused_but_the_remote_test_is_allowed() {
        let repo = repo_with(&[(
            "crossdrive/src/suite/run.rs",
            "use crate::lambda::runtime;\nlet name = crate::remote::NAME;\n",
        )]);
        let found = runners_reach_drivers_through_the_registry(&repo);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].at.contains("run.rs:1:"), "{found:?}");
    }

    #[test]
    fn a_macro_exported_outside_macros_rs_is_refused() {
        let repo = repo_with(&[
            (
                "crossdrive/src/macros.rs",
                "#[macro_export]\nmacro_rules! a { () => {} }\n",
            ),
            (
                "crossdrive/src/kind.rs",
                "#[macro_export]\nmacro_rules! b { () => {} }\n",
            ),
        ]);
        let found = exported_macros_live_in_one_file(&repo);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].at.contains("kind.rs:1"), "{found:?}");
    }

    #[test]
    fn a_folder_not_named_after_its_crate_is_refused() {
        let repo = repo_with(&[
            ("Cargo.toml", "[workspace]\nmembers = [\"harness\"]\n"),
            ("harness/Cargo.toml", "[package]\nname = \"crossdrive\"\n"),
        ]);
        let found = folders_are_named_after_their_crates(&repo);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .at
                .contains("harness/ holds the crate `crossdrive`"),
            "{found:?}"
        );
    }
}
