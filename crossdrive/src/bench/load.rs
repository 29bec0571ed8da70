//! Load mode (`--concurrency`): throughput and latency with N requests in
//! flight at once.
//!
//! Workers are futures joined on the bench's one runtime, each running
//! iterations back to back until the shared iteration budget or the time
//! limit is spent, so every load run stops by itself. What "N in flight"
//! means depends on the driver, and the report says which: in-process and
//! Lambda drivers run N concurrent tasks against the app; HTTP/1.1 drivers
//! use up to N pooled connections to one shared server; HTTP/2 drivers
//! multiplex N streams on one connection.
//!
//! The default topology here is cross-thread (the server on its own
//! thread), so the table measures capacity; a same-thread run measures CPU
//! per request, and the report says so.

use std::time::{Duration, Instant};

use crate::Scenario;
use crate::bench::report::LoadResult;
use crate::bench::{Recorder, Topology};
use axum::Router;
use futures_util::future::try_join_all;

use super::cell::{CellError, prepare_driver};
use super::floors::pair;
use crate::DriverSpec;

/// One load run: a scenario on a driver at one concurrency.
pub(crate) struct LoadRun<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) spec: &'a DriverSpec,
    pub(crate) concurrency: u32,
    pub(crate) requests: u64,
    pub(crate) limit: Duration,
    pub(crate) topology: Topology,
}

/// Runs `run.scenario` with `run.concurrency` workers until
/// `run.requests` iterations are done or `run.limit` passes.
pub(crate) async fn load(
    run: LoadRun<'_>,
    app: &dyn Fn() -> Router,
) -> Result<LoadResult, CellError> {
    if let Some(reason) = super::cell::http_not_carried(run.scenario, run.spec) {
        return Err(CellError::NotCarried(reason));
    }
    let pair = pair(run.spec, app, run.topology)?;
    let driver = &pair.driver;
    let (side, protocol) = prepare_driver(run.scenario, driver).await?;
    let start = Instant::now();
    let claimed = std::cell::Cell::new(0u64);
    let workers = (0..run.concurrency.max(1)).map(|_| {
        let (claimed, side) = (&claimed, &side);
        async move {
            let mut recorder = Recorder::new();
            loop {
                let n = claimed.get();
                if n >= run.requests || start.elapsed() >= run.limit {
                    return Ok::<_, CellError>(recorder);
                }
                claimed.set(n + 1);
                recorder.record(side.run(driver).await?);
            }
        }
    });
    let recorders = try_join_all(workers).await?;
    let seconds = start.elapsed().as_secs_f64();
    let mut all = Recorder::new();
    for r in &recorders {
        all.merge(r);
    }
    let stats = all.stats();
    Ok(LoadResult {
        scenario: run.scenario.name().to_owned(),
        driver: run.spec.name().to_owned(),
        concurrency: run.concurrency,
        mode: mode(&protocol).to_owned(),
        requests: stats.samples,
        seconds,
        throughput_rps: if seconds > 0.0 {
            stats.samples as f64 / seconds
        } else {
            0.0
        },
        p50_us: stats.p50_us,
        p95_us: stats.p95_us,
        p99_us: stats.p99_us,
        max_us: stats.max_us,
    })
}

fn mode(protocol: &str) -> &'static str {
    match protocol {
        "HTTP/1.1" | "HTTP/1.0" => "pooled connections, one shared server",
        "HTTP/2" => "streams multiplexed on one connection",
        _ => "concurrent tasks, in-process",
    }
}
