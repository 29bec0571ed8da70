//! `cargo xtask conformance [--check]`: runs the conformance suite on every
//! crossdrive driver and publishes the check × driver matrix in
//! README.md, between `<!-- conformance:start -->` and
//! `<!-- conformance:end -->`.
//!
//! The suite runs in `examples/conformance_matrix.rs` (so the matrix is
//! exactly what the library reports); this command only launches it and
//! splices its output into the page. `--check` rewrites nothing and fails
//! if the page differs from a fresh run, for CI.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub(crate) const START: &str = "<!-- conformance:start -->";
pub(crate) const END: &str = "<!-- conformance:end -->";
const DOC: &str = "README.md";

/// Runs the matrix example and writes (or, with `--check`, compares) the page.
pub(crate) fn run(args: Vec<String>) -> ExitCode {
    let check = match args.as_slice() {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!("usage: cargo xtask conformance [--check]");
            return ExitCode::from(2);
        }
    };
    let root = crate::bench::workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "--package",
            "crossdrive-suite",
            "--example",
            "conformance_matrix",
        ])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            eprintln!("xtask: cannot run cargo ({e}); is cargo on PATH?");
            return ExitCode::from(2);
        }
    };
    let suite_ok = output.status.success();
    if !suite_ok {
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        eprintln!(
            "xtask: some conformance checks failed or are stale (report above); the matrix shows them"
        );
    }
    let matrix = String::from_utf8_lossy(&output.stdout).into_owned();
    let path = root.join(DOC);
    let written = match update(&path, &matrix, check) {
        Ok(message) => {
            println!("{message}");
            true
        }
        Err(message) => {
            eprintln!("xtask: {message}");
            false
        }
    };
    if suite_ok && written {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn update(path: &Path, matrix: &str, check: bool) -> Result<String, String> {
    let shown = display(path);
    let page = std::fs::read_to_string(path).map_err(|e| {
        format!("cannot read {shown} ({e}); it must hold the {START} and {END} markers")
    })?;
    let fresh = splice(&page, matrix)?;
    if fresh == page {
        return Ok(format!("{shown} is up to date"));
    }
    if check {
        return Err(format!(
            "{shown} is stale: its conformance matrix differs from a fresh run; run `cargo xtask conformance` and commit the result"
        ));
    }
    std::fs::write(path, fresh).map_err(|e| format!("cannot write {shown} ({e})"))?;
    Ok(format!("{shown} updated"))
}

fn display(path: &Path) -> String {
    let root = crate::bench::workspace_root();
    path.strip_prefix(&root)
        .map_or_else(|_| path.to_path_buf(), PathBuf::from)
        .display()
        .to_string()
}

/// Replaces what lies between the markers with `matrix`.
pub(crate) fn splice(page: &str, matrix: &str) -> Result<String, String> {
    let (Some(start), Some(end)) = (page.find(START), page.find(END)) else {
        return Err(format!(
            "{DOC} has no {START} … {END} region; add both markers where the matrix belongs"
        ));
    };
    if end < start {
        return Err(format!("{DOC} has {END} before {START}; swap them"));
    }
    let before = &page[..start + START.len()];
    let after = &page[end..];
    Ok(format!("{before}\n\n{}\n\n{after}", matrix.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splicing_replaces_only_the_marked_region() {
        let page = format!("# title\n{START}\nold\n{END}\ntail\n");
        let spliced = splice(&page, "| new |\n").unwrap();
        assert_eq!(
            spliced,
            format!("# title\n{START}\n\n| new |\n\n{END}\ntail\n")
        );
    }

    #[test]
    fn splicing_twice_changes_nothing() {
        let page = format!("{START}\n{END}\n");
        let once = splice(&page, "m").unwrap();
        assert_eq!(splice(&once, "m").unwrap(), once);
    }

    #[test]
    fn a_page_without_markers_is_an_error_naming_them() {
        assert!(splice("no markers", "m").unwrap_err().contains(START));
    }

    #[test]
    fn check_mode_fails_on_a_stale_page_and_leaves_it_alone() {
        let dir = std::env::temp_dir().join(format!("xtask-conformance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("conformance.md");
        let stale = format!("{START}\n\nold matrix\n\n{END}\n");
        std::fs::write(&path, &stale).unwrap();

        let error = update(&path, "new matrix", true).unwrap_err();
        assert!(error.contains("is stale"), "{error}");
        assert!(error.contains("cargo xtask conformance"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), stale);

        assert!(
            update(&path, "new matrix", false)
                .unwrap()
                .ends_with("updated")
        );
        assert!(
            update(&path, "new matrix", true)
                .unwrap()
                .ends_with("up to date")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
