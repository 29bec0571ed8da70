//! The latency engine behind `cargo bench` and `cargo xtask bench`.
//!
//! Architecture, in the order a run uses it:
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
//!   ([`report::BenchReport`]) and the Markdown table rendered from it.
//!
//! - [`Topology`] names where client and server ran, so no figure is read
//!   without it.
//!
//! What a bench sends is a [`crate::Scenario`]; the runner around this
//! engine (command line, floors, files, gates) is
//! `crossdrive_adapters::bench`, since floors need the drivers' internals.
//!
//! Driver and floor are measured in alternating rounds within the same run,
//! on the same thread topology, so drift on a noisy machine hits both alike
//! and the ratio driver/floor stays meaningful when absolute times do not.

pub mod compare;
mod exchange;
mod measure;
pub mod report;
pub mod sla;
mod topology;

pub use exchange::{Exchange, read_stamped};
pub use measure::{
    AllocSnapshot, FirstByteStats, Plan, Recorder, Sample, Stats, Stopwatch, install_alloc_probe,
    measure,
};
pub use topology::Topology;
