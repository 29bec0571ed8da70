//! One cell of the table: a scenario through one driver and its floor.
//!
//! Driver and floor each get a fresh app and are prepared untimed (the
//! scenario's setup steps, then one untimed iteration that also tells the
//! protocol the driver spoke); then they take turns over [`ROUNDS`]
//! rounds (alternating who goes first), each round warming up and
//! recording into its own histogram. The round p50s give the cell's
//! spread: the noise a baseline comparison must exceed. A cell whose
//! spread or tail says the machine was noisy is measured once more and the
//! quieter run kept; if it is still noisy it is flagged.

use std::cell::{Cell as Counter, RefCell};
use std::fmt;
use std::time::Duration;

use crate::bench::exchange::Reach;
use crate::bench::report::{BenchResult, NOISY_SPREAD_PCT, NOISY_TAIL_RATIO};
use crate::bench::{Exchange, Plan, Recorder, Topology, measure};
use crate::scenario::{Prepared, ScenarioError};
use crate::{Error, Scenario};
use axum::Router;
use bytes::Bytes;

use super::floors::{Pair, pair};
use crate::DriverSpec;
#[cfg(feature = "lambda")]
use crate::lambda::LambdaFailure;

/// Alternating rounds per cell.
pub(crate) const ROUNDS: usize = 4;

/// What a cell measured, with the raw samples when asked for.
pub(crate) struct Measured {
    pub(crate) row: BenchResult,
    pub(crate) raw_driver: Vec<u64>,
    pub(crate) raw_floor: Vec<u64>,
}

/// How to run a cell.
#[derive(Clone, Copy)]
pub(crate) struct CellPlan {
    /// Per side, per round.
    pub(crate) round: Plan,
    pub(crate) topology: Topology,
    pub(crate) keep_raw: bool,
    /// A test-only delay added to every driver exchange of the scenario
    /// (`CROSSDRIVE_BENCH_SLOW`), to prove the regression gate works.
    pub(crate) slow: Option<Duration>,
    /// Measure a noisy cell once more (off for --quick, which only flags).
    pub(crate) repeat_noisy: bool,
}

/// Why a cell has no row.
#[derive(Debug)]
pub(crate) enum CellError {
    /// The driver or its floor could not be built.
    Setup(Error),
    /// A request failed or an answer was not the declared one.
    Scenario(ScenarioError),
    /// The driver cannot carry this scenario's kind of request at all (an
    /// HTTP scenario on a driver that carries WebSockets only), why.
    NotCarried(String),
}

impl From<Error> for CellError {
    fn from(e: Error) -> Self {
        Self::Setup(e)
    }
}

impl From<ScenarioError> for CellError {
    fn from(e: ScenarioError) -> Self {
        Self::Scenario(e)
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Setup(e) => write!(f, "{e}"),
            Self::Scenario(e) => write!(f, "{e}"),
            Self::NotCarried(reason) => write!(f, "{reason}"),
        }
    }
}

impl CellError {
    /// Why the adapter cannot serve this scenario by design (a payload
    /// over a Lambda limit), if that is what happened: such a cell is
    /// reported as unmeasured, not as a failed bench. Told by what the
    /// driver says (a limit-exceeded error, or a response carrying a
    /// `LambdaFailure` whose code ends in `too-large`), never by error text.
    pub(crate) fn unmeasured(&self) -> Option<String> {
        let e = match self {
            Self::Scenario(e) => e,
            Self::NotCarried(reason) => return Some(reason.clone()),
            Self::Setup(_) => return None,
        };
        if let Some(error) = e.transport() {
            return error.is_limit_exceeded().then(|| error.cause().to_owned());
        }
        // A WebSocket scenario on a driver that cannot carry one.
        #[cfg(feature = "websocket")]
        if let Some(crate::bench::NotCarried(reason)) = e
            .response()
            .and_then(|r| r.extensions().get::<crate::bench::NotCarried>())
        {
            return Some(format!("scenario {}: {reason}", e.scenario()));
        }
        #[cfg(feature = "lambda")]
        {
            let failure = e.response()?.extensions().get::<LambdaFailure>()?;
            failure.code.ends_with("too-large").then(|| {
                format!(
                    "scenario {} is beyond this adapter's limit ({}: {})",
                    e.scenario(),
                    failure.code,
                    failure.reason
                )
            })
        }
        #[cfg(not(feature = "lambda"))]
        None
    }
}

/// Measures a cell, repeating it once if the machine was noisy.
pub(crate) async fn measure_cell(
    scenario: &Scenario,
    spec: &DriverSpec,
    app: &dyn Fn() -> Router,
    plan: CellPlan,
) -> Result<Measured, CellError> {
    if let Some(reason) = http_not_carried(scenario, spec) {
        return Err(CellError::NotCarried(reason));
    }
    let mut best = run_once(scenario, spec, app, plan).await?;
    if plan.repeat_noisy && is_noisy(&best.row) {
        let again = run_once(scenario, spec, app, plan).await?;
        if again.row.spread_pct < best.row.spread_pct {
            best = again;
        }
        best.row.runs = 2;
    }
    best.row.noisy = is_noisy(&best.row);
    Ok(best)
}

/// Why `spec` cannot carry `scenario`, when it sends HTTP requests to a
/// driver that carries WebSockets only (`lambda-ws`: an API Gateway
/// WebSocket API answers a plain request 403 or 426 without reaching the
/// function), told by the driver table, before any request.
pub(crate) fn http_not_carried(scenario: &Scenario, spec: &DriverSpec) -> Option<String> {
    let only_websockets = spec.kind().is_some_and(crate::Kind::websocket_only);
    (only_websockets && scenario.sends_http()).then(|| {
        format!(
            "the scenario sends HTTP requests, and {} carries WebSockets only (an API Gateway \
             WebSocket API answers a plain request 403 Forbidden, or 426 at its stage's URL, \
             without invoking the function)",
            spec.name()
        )
    })
}

fn is_noisy(row: &BenchResult) -> bool {
    row.spread_pct > NOISY_SPREAD_PCT || row.p99_us > NOISY_TAIL_RATIO * row.p50_us
}

/// A side of a cell, prepared: its setup done, its iteration counter.
pub(crate) struct Side {
    pub(crate) prepared: Prepared,
    pub(crate) next: Counter<u64>,
}

impl Side {
    /// Runs the scenario's setup on `exchange`, then one untimed iteration
    /// (returning the protocol seen, when `exchange` is a driver).
    pub(crate) async fn prepare<E: Exchange + ?Sized>(
        scenario: &Scenario,
        exchange: &E,
    ) -> Result<Self, ScenarioError> {
        let prepared = scenario.prepare(exchange).await?;
        let side = Self {
            prepared,
            next: Counter::new(0),
        };
        side.run(exchange).await?;
        Ok(side)
    }

    /// The next iteration.
    pub(crate) async fn run<E: Exchange + ?Sized>(
        &self,
        exchange: &E,
    ) -> Result<crate::bench::Sample, ScenarioError> {
        let n = self.next.get() + 1;
        self.next.set(n);
        self.prepared.run(exchange, n).await
    }
}

/// Prepares the driver side, recording the protocol its answers reported.
pub(crate) async fn prepare_driver(
    scenario: &Scenario,
    driver: &Reach,
) -> Result<(Side, String), ScenarioError> {
    let observer = Observing {
        inner: driver,
        protocol: RefCell::new(None),
    };
    let side = Side::prepare(scenario, &observer).await?;
    let protocol = observer
        .protocol
        .into_inner()
        .unwrap_or_else(|| "unknown".to_owned());
    Ok((side, protocol))
}

async fn run_once(
    scenario: &Scenario,
    spec: &DriverSpec,
    app: &dyn Fn() -> Router,
    plan: CellPlan,
) -> Result<Measured, CellError> {
    // `_watch` lives to the end: the driver side runs under it.
    let Pair {
        driver,
        floor,
        _watch,
    } = pair(spec, app, plan.topology)?;
    let slowed = Slowed {
        inner: &driver,
        delay: plan.slow,
    };
    let (driver_side, protocol) = prepare_driver(scenario, &driver).await?;
    let floor_side = Side::prepare(scenario, &floor).await?;
    let new_recorder = || {
        if plan.keep_raw {
            Recorder::keeping_raw()
        } else {
            Recorder::new()
        }
    };
    let mut driver_rounds = Vec::with_capacity(ROUNDS);
    let mut floor_all = new_recorder();
    for r in 0..ROUNDS {
        let mut driver_rec = new_recorder();
        for floor_turn in [r % 2 == 0, r % 2 != 0] {
            if floor_turn {
                measure(plan.round, &mut floor_all, || floor_side.run(&floor)).await?;
            } else {
                measure(plan.round, &mut driver_rec, || driver_side.run(&slowed)).await?;
            }
        }
        driver_rounds.push(driver_rec);
    }
    let round_p50s: Vec<f64> = driver_rounds.iter().map(|r| r.stats().p50_us).collect();
    let mut driver_all = new_recorder();
    for r in &driver_rounds {
        driver_all.merge(r);
    }
    let mut row = BenchResult::new(
        scenario.name(),
        spec.name(),
        &protocol,
        &driver_all.stats(),
        floor.name(),
        &floor_all.stats(),
    );
    row.spread_pct = spread_pct(&round_p50s);
    row.topology = plan.topology.as_str().to_owned();
    row.first_byte = driver_all.first_byte_stats();
    row.floor_first_byte = floor_all.first_byte_stats();
    Ok(Measured {
        row,
        raw_driver: driver_all.raw().map(<[u64]>::to_vec).unwrap_or_default(),
        raw_floor: floor_all.raw().map(<[u64]>::to_vec).unwrap_or_default(),
    })
}

/// (max - min) / median of the round p50s, in percent.
fn spread_pct(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(min), Some(max)) = (sorted.first(), sorted.last()) else {
        return 0.0;
    };
    let median = sorted[sorted.len() / 2];
    if median > 0.0 {
        (max - min) / median * 100.0
    } else {
        0.0
    }
}

/// A driver that remembers the protocol of its last answer (used untimed,
/// while preparing, so the timed runs pay nothing for it).
struct Observing<'a> {
    inner: &'a Reach,
    protocol: RefCell<Option<String>>,
}

impl Exchange for Observing<'_> {
    async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let (response, protocol) = self.inner.observed(request).await?;
        *self.protocol.borrow_mut() = Some(protocol.as_str().to_owned());
        Ok(response)
    }

    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        let opened = self.inner.open_websocket(request).await?;
        if let crate::bench::OpenedWebSocket::Accepted(conn) = &opened
            && let Some(protocol) = conn.protocol()
        {
            *self.protocol.borrow_mut() = Some(protocol.to_owned());
        }
        Ok(opened)
    }
}

/// A driver with an optional delay inside every timed exchange.
struct Slowed<'a> {
    inner: &'a Reach,
    delay: Option<Duration>,
}

impl Exchange for Slowed<'_> {
    async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        if let Some(delay) = self.delay {
            // Blocking on purpose: it must land inside the stopwatch.
            std::thread::sleep(delay);
        }
        self.inner.exchange(request).await
    }

    async fn exchange_streaming(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<(http::Response<Bytes>, std::time::Instant), Error> {
        if let Some(delay) = self.delay {
            std::thread::sleep(delay);
        }
        self.inner.exchange_streaming(request).await
    }

    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        if let Some(delay) = self.delay {
            std::thread::sleep(delay);
        }
        self.inner.open_websocket(request).await
    }
}

// What a Lambda limit makes of a cell: needs the Lambda drivers.
#[cfg(all(test, feature = "lambda"))]
mod tests {
    use crate::scenario::Step;
    use axum::routing::get;

    use super::*;
    use crate::lambda::{Lambda, LambdaOptions, Source};

    fn run(app: Router, options: LambdaOptions, scenario: &Scenario) -> CellError {
        let driver = Lambda::new(app, options);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let error = rt
            .block_on(Side::prepare(scenario, &driver))
            .err()
            .expect("the scenario fails on this driver");
        CellError::Scenario(error)
    }

    #[test]
    fn a_response_over_the_albs_limit_is_unmeasured_with_the_adapters_reason() {
        let big = || async { "x".repeat(1_100_000) };
        let app = Router::new().route("/big", get(big));
        let scenario = Scenario::new("big").step(Step::get("/big").expect(200));
        let alb = LambdaOptions::new(Source::Alb {
            multi_value_headers: false,
        });
        let reason = run(app, alb, &scenario).unmeasured().expect("unmeasured");
        assert!(reason.contains("too-large"), "{reason}");
        assert!(
            reason.contains("scenario big is beyond this adapter's limit"),
            "{reason}"
        );
    }

    #[test]
    fn a_wrong_answer_is_a_failure_not_unmeasured() {
        let app = Router::new().route("/teapot", get(|| async { http::StatusCode::IM_A_TEAPOT }));
        let scenario = Scenario::new("teapot").step(Step::get("/teapot").expect(200));
        let error = run(app, LambdaOptions::new(Source::HttpApi), &scenario);
        assert!(error.unmeasured().is_none(), "{error}");
        assert!(error.to_string().contains("got status 418"), "{error}");
    }
}
