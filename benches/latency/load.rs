//! Load mode (`--concurrency`): throughput and latency with N requests in
//! flight at once.
//!
//! Workers are futures joined on the bench's one runtime, each sending
//! requests back to back until the shared request budget or the time limit
//! is spent, so every load run stops by itself. What "N in flight" means
//! depends on the driver, and the report says which: in-process and Lambda
//! drivers run N concurrent tasks against the app; HTTP/1.1 drivers use up to
//! N pooled connections to one shared server; HTTP/2 drivers multiplex N
//! streams on one connection.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crossdrive::Error;
use crossdrive::bench::report::LoadResult;
use crossdrive::bench::{Recorder, Topology};
use crossdrive_adapters::Kind;
use crossdrive_fixtures::reference;
use crossdrive_fixtures::scenarios::Scenario;
use futures_util::future::try_join_all;

use crate::cell::observed_protocol;

/// Runs `scenario` on `kind` with `concurrency` workers until `requests`
/// are done or `limit` passes.
pub(crate) async fn load(
    scenario: Scenario,
    kind: Kind,
    concurrency: u32,
    requests: u64,
    limit: Duration,
    topology: Topology,
) -> Result<LoadResult, Error> {
    let pair = kind.bench_pair(reference::app(), reference::app(), topology)?;
    let driver = &*pair.driver;
    let protocol = observed_protocol(driver).await?;
    let ready = scenario.prepare(driver).await?;
    let claimed = Cell::new(0u64);
    let start = Instant::now();
    let workers = (0..concurrency.max(1)).map(|_| {
        let (claimed, ready) = (&claimed, &ready);
        async move {
            let mut recorder = Recorder::new();
            loop {
                let n = claimed.get();
                if n >= requests || start.elapsed() >= limit {
                    return Ok::<_, Error>(recorder);
                }
                claimed.set(n + 1);
                recorder.record(scenario.run(driver, ready, n + 1).await?);
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
        scenario: scenario.name().to_owned(),
        driver: kind.name().to_owned(),
        concurrency,
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
