//! `--stages`: where a driver's time goes, stage by stage, measured on the
//! real path.
//!
//! The drivers leave marks as a request crosses from one stage into the
//! next (`crate::stage`: the Lambda event built and serialised, lambda_http
//! calling the app, the app answering, the function's JSON back; a socket
//! client handing the request to hyper or h3, the server calling the app,
//! the client holding the whole response). This view runs a scenario
//! through a driver in the same-thread topology, where client, server and
//! app share the bench's one thread so every mark lands where it is read,
//! and times the gap between consecutive marks: each gap is the stage that
//! ends at the later mark. The stages of a request add up to its whole
//! time exactly, so their means add up to the mean total; their p50s do
//! not, and the table shows both.
//!
//! What a stage holds is named with it. A socket request's "request on the
//! wire" is hyper's (or h3's) encoding, the loopback hop and the server's
//! parsing and routing together: they happen inside hyper, which leaves no
//! marks. Drivers that leave no marks (`direct`, a custom driver) show one
//! stage, the whole request. A child-process Lambda's function stage is its
//! whole Runtime API round trip, since the child's marks stay in the child.

use std::time::{Duration, Instant};

use axum::Router;
use bytes::Bytes;
use http::{Request, Response};

use super::cell::{CellError, prepare_driver};
use super::floors::{Pair, pair};
use super::report::us;
use crate::bench::exchange::Reach;
use crate::bench::{Exchange, Topology};
use crate::stage::{self, Mark};
use crate::{DriverSpec, Error, Scenario};

/// One stage of a driver's requests: its name, and its time per request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stage {
    /// What the stage holds.
    pub(crate) name: String,
    /// Mean µs per request.
    pub(crate) mean_us: f64,
    /// Median µs per request.
    pub(crate) p50_us: f64,
}

/// Where one driver's time went on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stages {
    pub(crate) scenario: String,
    pub(crate) driver: String,
    /// Requests timed.
    pub(crate) requests: usize,
    /// In the order a request crosses them.
    pub(crate) stages: Vec<Stage>,
    /// Mean and median µs of a whole request.
    pub(crate) total_mean_us: f64,
    pub(crate) total_p50_us: f64,
}

/// The name of the stage between marks `from` and `to`.
fn name(from: Mark, to: Mark) -> String {
    use Mark::*;
    let known = match (from, to) {
        (Start, EventBuilt) => "event build: the request checked, the event's fields",
        (EventBuilt, EventSerialised) => "event serialisation (serde_json)",
        (EventSerialised, AppCalled) => "adapter in: the event JSON parsed, lambda_http's request",
        (AppCalled, AppAnswered) => "app",
        (AppAnswered, FunctionReturned) => "adapter out: lambda_http's response and its JSON",
        (EventSerialised, FunctionReturned) => {
            "function in a child process: the whole Runtime API round trip"
        }
        (FunctionReturned, End) => "decoding: the response JSON read as the source reads it",
        (EventSerialised, End) => "function in a child process, streamed, and decoding",
        (Start, ClientSent) => "crossdrive client: placement, pool checkout, app header",
        (ClientSent, AppCalled) => {
            "request on the wire: client encoding, loopback, server parsing and routing"
        }
        (AppAnswered, ClientReceived) => {
            "response on the wire: server encoding, loopback, client parsing, the body"
        }
        (ClientReceived, End) => "crossdrive client: the server's record read, protocol check",
        (Start, End) => "the whole request (this driver leaves no stage marks)",
        _ => return format!("{from:?} to {to:?}"),
    };
    known.to_owned()
}

/// A driver whose every request is bracketed by the start and end marks.
struct Bracketed<'a>(&'a Reach);

impl Exchange for Bracketed<'_> {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        stage::mark(Mark::Start);
        let answered = self.0.exchange(request).await;
        stage::mark(Mark::End);
        answered
    }

    /// Unbracketed: no driver marks a WebSocket's stages.
    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        self.0.open_websocket(request).await
    }
}

/// The stage times of every request in `marks` (one scenario iteration),
/// added to `into` (per stage, in first-seen order) and `totals`.
fn split(
    marks: &[(Mark, Instant)],
    into: &mut Vec<(String, Vec<Duration>)>,
    totals: &mut Vec<Duration>,
) {
    let mut previous: Option<(Mark, Instant)> = None;
    let mut began: Option<Instant> = None;
    for &(mark, at) in marks {
        if mark == Mark::Start {
            previous = Some((mark, at));
            began = Some(at);
            continue;
        }
        // A mark outside a bracketed request (a scenario's untimed set-up
        // never reaches here; a stray one from a background task) is not
        // any request's stage.
        let Some((from, since)) = previous else {
            continue;
        };
        let stage = name(from, mark);
        let took = at.saturating_duration_since(since);
        match into.iter_mut().find(|(n, _)| *n == stage) {
            Some((_, times)) => times.push(took),
            None => into.push((stage, vec![took])),
        }
        previous = Some((mark, at));
        if mark == Mark::End {
            if let Some(began) = began.take() {
                totals.push(at.saturating_duration_since(began));
            }
            previous = None;
        }
    }
}

fn mean_us(times: &[Duration]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.iter().map(Duration::as_secs_f64).sum::<f64>() / times.len() as f64 * 1e6
}

fn p50_us(times: &mut [Duration]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64() * 1e6
}

/// Runs `scenario` `iterations` times through `spec`'s driver in the
/// same-thread topology (after as many untimed ones, a tenth, to warm
/// up) and times its stages. Call it inside the bench's current-thread
/// runtime.
pub(crate) async fn measure(
    scenario: &Scenario,
    spec: &DriverSpec,
    app: &dyn Fn() -> Router,
    iterations: u64,
) -> Result<Stages, CellError> {
    if let Some(reason) = super::cell::http_not_carried(scenario, spec) {
        return Err(CellError::NotCarried(reason));
    }
    let Pair { driver, .. } = pair(spec, app, Topology::SameThread)?;
    let (side, _protocol) = prepare_driver(scenario, &driver).await?;
    let bracketed = Bracketed(&driver);
    for _ in 0..iterations.div_ceil(10) {
        side.run(&bracketed).await?;
    }
    let recording = stage::record();
    let mut per_stage: Vec<(String, Vec<Duration>)> = Vec::new();
    let mut totals = Vec::new();
    for _ in 0..iterations {
        // Marks left between iterations (a connection task's) are nobody's.
        let _ = recording.take();
        side.run(&bracketed).await?;
        split(&recording.take(), &mut per_stage, &mut totals);
    }
    drop(recording);
    let stages = per_stage
        .into_iter()
        .map(|(name, mut times)| Stage {
            name,
            mean_us: mean_us(&times),
            p50_us: p50_us(&mut times),
        })
        .collect();
    Ok(Stages {
        scenario: scenario.name().to_owned(),
        driver: spec.name().to_owned(),
        requests: totals.len(),
        stages,
        total_mean_us: mean_us(&totals),
        total_p50_us: p50_us(&mut totals),
    })
}

/// The Markdown section of the stage view: one small table per driver and
/// scenario.
pub(crate) fn to_markdown(all: &[Stages]) -> String {
    let mut out = String::from(
        "## Where the time goes (`--stages`)\n\nEach stage timed between the marks the driver \
         leaves on its real path, same-thread topology (client, server and app on one \
         thread). A request's stages add up to its whole time, so the means add up to the \
         mean total; the p50s do not.\n",
    );
    for one in all {
        out.push_str(&format!(
            "\n### {} · {} ({} requests)\n\n| stage | mean µs | share | p50 µs |\n|---|---:|---:|---:|\n",
            one.driver, one.scenario, one.requests
        ));
        for stage in &one.stages {
            let share = if one.total_mean_us > 0.0 {
                stage.mean_us / one.total_mean_us * 100.0
            } else {
                0.0
            };
            out.push_str(&format!(
                "| {} | {} | {share:.0}% | {} |\n",
                stage.name,
                us(stage.mean_us),
                us(stage.p50_us)
            ));
        }
        out.push_str(&format!(
            "| **whole request** | **{}** | 100% | **{}** |\n",
            us(one.total_mean_us),
            us(one.total_p50_us)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Step;
    use axum::routing::get;

    fn hello() -> Router {
        Router::new().route("/hello", get(|| async { "hi" }))
    }

    fn stages_of(spec: &DriverSpec) -> Stages {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::new("simple_get").step(Step::get("/hello").expect(200));
        rt.block_on(measure(&scenario, spec, &hello, 50)).unwrap()
    }

    fn names(stages: &Stages) -> Vec<&str> {
        stages.stages.iter().map(|s| s.name.as_str()).collect()
    }

    fn assert_adds_up(stages: &Stages) {
        assert_eq!(stages.requests, 50);
        let sum: f64 = stages.stages.iter().map(|s| s.mean_us).sum();
        assert!(
            (sum - stages.total_mean_us).abs() < 0.01 * stages.total_mean_us + 0.01,
            "stages {sum} µs against the whole {} µs",
            stages.total_mean_us
        );
        assert!(stages.stages.iter().all(|s| s.mean_us > 0.0), "{stages:?}");
    }

    #[test]
    fn a_driver_without_marks_has_one_stage_the_whole_request() {
        let stages = stages_of(&DriverSpec::direct());
        assert_eq!(
            names(&stages),
            ["the whole request (this driver leaves no stage marks)"]
        );
        assert_adds_up(&stages);
    }

    #[cfg(feature = "lambda")]
    #[test]
    fn an_in_process_lambda_request_splits_into_the_six_stages_of_its_pipeline() {
        let stages = stages_of(&DriverSpec::builtin(crate::Kind::Lambda));
        assert_eq!(
            names(&stages),
            [
                "event build: the request checked, the event's fields",
                "event serialisation (serde_json)",
                "adapter in: the event JSON parsed, lambda_http's request",
                "app",
                "adapter out: lambda_http's response and its JSON",
                "decoding: the response JSON read as the source reads it",
            ]
        );
        assert_adds_up(&stages);
    }

    #[cfg(feature = "sockets")]
    #[test]
    fn a_socket_request_splits_into_client_wire_app_wire_client() {
        let stages = stages_of(&DriverSpec::builtin(crate::Kind::Http1));
        assert_eq!(
            names(&stages),
            [
                "crossdrive client: placement, pool checkout, app header",
                "request on the wire: client encoding, loopback, server parsing and routing",
                "app",
                "response on the wire: server encoding, loopback, client parsing, the body",
                "crossdrive client: the server's record read, protocol check",
            ]
        );
        assert_adds_up(&stages);
    }

    #[test]
    fn the_markdown_names_each_stage_with_its_share() {
        let one = Stages {
            scenario: "simple_get".into(),
            driver: "lambda".into(),
            requests: 10,
            stages: vec![
                Stage {
                    name: "app".into(),
                    mean_us: 1.0,
                    p50_us: 0.9,
                },
                Stage {
                    name: "decoding".into(),
                    mean_us: 3.0,
                    p50_us: 2.8,
                },
            ],
            total_mean_us: 4.0,
            total_p50_us: 3.7,
        };
        let md = to_markdown(&[one]);
        assert!(md.contains("### lambda · simple_get (10 requests)"), "{md}");
        assert!(md.contains("| app | 1.00 | 25% | 0.90 |"), "{md}");
        assert!(md.contains("| decoding | 3.00 | 75% | 2.80 |"), "{md}");
        assert!(
            md.contains("| **whole request** | **4.00** | 100% | **3.70** |"),
            "{md}"
        );
    }
}
