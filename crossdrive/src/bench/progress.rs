//! The progress line on a terminal: one bar on stderr, redrawn per cell,
//! and nothing at all when stderr is not a terminal (CI logs, pipes).

use std::io::IsTerminal;

/// Draws `done` of `total` cells, naming the one running.
pub(crate) fn show(done: usize, total: usize, scenario: &str, driver: &str) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r[{}{}] {done:>3}/{total} {scenario:<24} {driver:<16}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    );
}

/// Clears the line.
pub(crate) fn done() {
    if std::io::stderr().is_terminal() {
        eprint!("\r{:90}\r", "");
    }
}
