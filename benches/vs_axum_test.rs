//! crossdrive's `direct` as a test reaches it, beside axum-test's mock
//! transport and a bare `Router::oneshot`, in one process.
//!
//! `cargo bench -p crossdrive-suite --bench vs_axum_test` (under a minute
//! with the build warm). One axum `Router` serving `GET /hello`, reached
//! five ways, the first three as their users write them:
//!
//! - `raw-oneshot`: the request built, `Router::oneshot`, the body
//!   collected: the least any in-process test client could cost.
//! - `axum-test`: `TestServer::new(app)` (a `Router`'s default transport
//!   is the mock one: axum-test 21.1 `IntoTransportLayer::into_default_transport`),
//!   then `server.get("/hello").await`.
//! - `crossdrive`: `Client::new(Direct::new(app))`, then
//!   `client.get("/hello").await`, under the watchdog's watch as every
//!   `suite!` test is.
//! - `direct-driver`: `Driver::send` on a `Direct` alone, the request
//!   built by hand: what the driver costs without the test client, so the
//!   table splits `crossdrive`'s time between the two layers.
//! - `client-send`: `client.send(request)` with a ready-made
//!   `http::Request`, a test's other way to send, under the same watch.
//!
//! Each path has its own app instance. The paths take turns over
//! [`ROUNDS`] rounds, the order rotating each round, so drift on a shared
//! machine hits all of them alike; every timed request (building it,
//! sending it, the whole response in hand) goes into one histogram per
//! path and one per path and round. Every response is checked, outside
//! the stopwatch. The ratios are the figures that mean something, and each
//! is the median over rounds of the two paths' medians in the same round:
//! a shared machine changes speed between rounds, which moves absolute
//! times and whole-run medians but not a ratio within a round.
//!
//! For a profiler, `VS_AXUM_TEST_ONLY=crossdrive` (or `raw-oneshot`,
//! `axum-test`, `direct-driver`, `client-send`) runs that path alone and
//! prints its figures.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use crossdrive::bench::{Recorder, Stopwatch};
use crossdrive::{Client, Direct, Driver};
use tower::ServiceExt;

/// Alternating rounds: many short ones, so that the other jobs of a
/// shared machine (a busy sibling hyperthread slows every path by half)
/// weigh on the paths alike.
const ROUNDS: usize = 90;
/// Untimed requests per path before each of its turns.
const WARMUP: usize = 300;
/// Timed requests per path per round.
const SAMPLES: usize = 4_000;

/// The paths compared, in the order the table prints them.
const PATHS: [&str; 5] = [
    "raw-oneshot",
    "axum-test",
    "crossdrive",
    "direct-driver",
    "client-send",
];

fn app() -> Router {
    Router::new().route("/hello", get(|| async { "hello" }))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime for the bench");
    print(&runtime.block_on(measure_all()));
}

/// The paths, ready to send.
struct Paths {
    raw: Router,
    server: axum_test::TestServer,
    client: Client,
    direct: Direct,
}

impl Paths {
    /// One request through `path`, timed from building it to the whole
    /// response in hand; the answer is checked after the stopwatch stops.
    async fn one(&self, path: usize, recorder: Option<&mut Recorder>) {
        let watch = Stopwatch::start();
        let (status, body) = match path {
            0 => {
                let request = http::Request::get("/hello")
                    .body(Body::empty())
                    .expect("a valid request");
                let Ok(response) = self.raw.clone().oneshot(request).await;
                let (parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .expect("the body collects");
                let sample = watch.stop();
                record(recorder, sample);
                (parts.status.as_u16(), bytes)
            }
            1 => {
                let response = self.server.get("/hello").await;
                let sample = watch.stop();
                record(recorder, sample);
                (response.status_code().as_u16(), response.as_bytes().clone())
            }
            3 => {
                let request = http::Request::get("/hello")
                    .body(bytes::Bytes::new())
                    .expect("a valid request");
                let sent = Driver::send(&self.direct, request).await;
                let sample = watch.stop();
                record(recorder, sample);
                let response = sent.expect("direct answers /hello").response;
                (response.status().as_u16(), response.body().clone())
            }
            4 => {
                let request = http::Request::get("/hello")
                    .body(bytes::Bytes::new())
                    .expect("a valid request");
                let response = self
                    .client
                    .send(request)
                    .await
                    .expect("direct answers /hello");
                let sample = watch.stop();
                record(recorder, sample);
                (response.status().as_u16(), response.bytes().clone())
            }
            _ => {
                let response = self.client.get("/hello").await;
                let sample = watch.stop();
                record(recorder, sample);
                (response.status().as_u16(), response.bytes().clone())
            }
        };
        assert_eq!(
            (status, &body[..]),
            (200, &b"hello"[..]),
            "{} answered otherwise than the app",
            PATHS[path]
        );
    }
}

fn record(recorder: Option<&mut Recorder>, sample: crossdrive::bench::Sample) {
    if let Some(recorder) = recorder {
        recorder.record(sample);
    }
}

/// Every timed request per path, and each round's median per path (a
/// path left out by `VS_AXUM_TEST_ONLY` has none).
struct Measured {
    recorders: [Recorder; PATHS.len()],
    rounds: Vec<[Option<f64>; PATHS.len()]>,
}

async fn measure_all() -> Measured {
    let paths = Paths {
        raw: app(),
        server: axum_test::TestServer::new(app()),
        client: Client::new(Direct::new(app())),
        direct: Direct::new(app()),
    };
    // What a suite! test runs under: its requests stamped for the watchdog.
    let _watch = crossdrive::watchdog::watch(
        "vs_axum_test",
        Direct::NAME,
        crossdrive::direct::DEFAULT_TIMEOUT,
    );
    let only = std::env::var("VS_AXUM_TEST_ONLY").ok();
    let mut recorders: [Recorder; PATHS.len()] = std::array::from_fn(|_| Recorder::new());
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let mut medians = [None; PATHS.len()];
        for turn in 0..PATHS.len() {
            let path = (round + turn) % PATHS.len();
            if only.as_deref().is_some_and(|only| only != PATHS[path]) {
                continue;
            }
            for _ in 0..WARMUP {
                paths.one(path, None).await;
            }
            let mut this_round = Recorder::new();
            for _ in 0..SAMPLES {
                paths.one(path, Some(&mut this_round)).await;
            }
            medians[path] = Some(this_round.stats().p50_us);
            recorders[path].merge(&this_round);
        }
        rounds.push(medians);
    }
    Measured { recorders, rounds }
}

/// The median over rounds of `path`'s median divided by `floor`'s in the
/// same round: drift between rounds (a shared machine's other jobs) cancels
/// out, where a ratio of whole-run medians would mix rounds run at
/// different speeds.
fn round_ratio(rounds: &[[Option<f64>; PATHS.len()]], path: usize, floor: usize) -> Option<f64> {
    let mut ratios: Vec<f64> = rounds
        .iter()
        .filter_map(|round| Some(round[path]? / round[floor]?))
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied()
}

fn print(measured: &Measured) {
    let stats = measured.recorders.each_ref().map(Recorder::stats);
    let us = |d: f64| format!("{d:.2}");
    let ratio = |path: usize, floor: usize| {
        round_ratio(&measured.rounds, path, floor).map_or("-".to_owned(), |r| format!("{r:.2}×"))
    };
    println!(
        "GET /hello, one Router, {ROUNDS} alternating rounds of {SAMPLES} requests per path \
         (p50 / p95 in µs over every round; ratios: the median over rounds of the two \
         paths' medians in that round)\n"
    );
    println!("| path | p50 | p95 | / raw-oneshot | / axum-test |");
    println!("|---|---:|---:|---:|---:|");
    for (path, (name, s)) in PATHS.iter().zip(&stats).enumerate() {
        println!(
            "| {name} | {} | {} | {} | {} |",
            us(s.p50_us),
            us(s.p95_us),
            ratio(path, 0),
            ratio(path, 1),
        );
    }
    let samples: u64 = stats.iter().map(|s| s.samples).sum();
    assert!(
        samples > 0,
        "VS_AXUM_TEST_ONLY names no path: use one of {PATHS:?}"
    );
}
