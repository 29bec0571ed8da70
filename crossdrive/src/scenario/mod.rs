//! Scenarios as data: the requests a benchmark row sends and the answers
//! it must get, declared once and run by the bench, by a `suite!` test, or
//! by anything else that can send a request.
//!
//! A [`Scenario`] has a snake_case name, optional *setup* steps (run once
//! per app instance, untimed, before anything is measured) and one or more
//! *steps* per iteration. Each [`Step`] is a request (method, path with
//! query, headers, body) and the response it must get (a status, and
//! optionally a body length and header values). Steps are timed unless
//! marked [`untimed`](Step::untimed), which suits per-iteration setup such
//! as creating the to-do a timed `DELETE` removes.
//!
//! ```
//! use crossdrive::scenario::{Scenario, Step};
//!
//! let scenarios = vec![
//!     Scenario::new("list_items").step(Step::get("/items").expect(200)),
//!     // Create one to-do per iteration (untimed), then time its DELETE.
//!     Scenario::new("delete_item")
//!         .step(Step::put("/items/{n}").json(r#"{"title":"doomed"}"#).expect(201).untimed())
//!         .step(Step::delete("/items/{n}").expect(204)),
//!     // Seed once per app, remember the ETag, then time the conditional GET.
//!     Scenario::new("conditional_get")
//!         .setup(Step::put("/items/1").json(r#"{"title":"seed"}"#).expect(201).capture("etag", "etag"))
//!         .step(Step::get("/items/1").header("if-none-match", "{etag}").expect(304)),
//! ];
//! assert!(scenarios.iter().all(|s| s.validate().is_ok()));
//! ```
//!
//! # Templates
//!
//! The target and header values of a step may hold variables, substituted
//! untimed before the stopwatch starts: `{n}`, the iteration number (1, 2,
//! ...; unique within one app instance, 0 in setup steps), and `{name}`
//! for a value an earlier step [captured](Step::capture) from a response
//! header (a setup step's captures are seen by every iteration). Anything
//! else in braces, such as JSON, is left as written. Bodies are never
//! templated, so a 1 MiB body is shared, not copied, per request.
//!
//! # Checking every answer
//!
//! Running a scenario times only its timed steps' exchanges but checks
//! *every* response, timed or not, against its expectation: a driver that
//! answers wrongly fails the run with a [`ScenarioError`] naming the
//! scenario, the step, what was expected and what came back (with the
//! first bytes of the body), so no table shows the time of a wrong
//! answer. [`Scenario::check`] runs setup and one iteration through a
//! [`Client`](crate::Client) and panics with that message, so the very
//! scenarios a bench measures also run as tests on every driver.
//!
//! # Layout
//!
//! [`Scenario`] (`builder.rs`) and [`Step`] (`step.rs`) are the builders a
//! user writes; `compile.rs` checks them and turns each step into a
//! `CompiledStep` once, with its target and header values parsed into
//! `template.rs`'s templates; `run.rs` prepares an app instance and runs
//! the timed iterations; `error.rs` is [`ScenarioError`], the message every
//! refusal and wrong answer carries.

mod builder;
mod compile;
mod error;
mod run;
mod step;
mod template;
#[cfg(feature = "websocket")]
mod websocket;

pub use builder::Scenario;
pub use error::ScenarioError;
pub use run::Prepared;
pub use step::{JsonBody, Step};
