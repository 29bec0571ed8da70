//! The `lambda-runtime` driver (to come).

use axum::Router;
use crossdrive::bench::Topology;
use crossdrive::{Driver, Error};
use std::sync::Arc;

use super::{LambdaOptions, Source};
use crate::floor::BenchPair;

/// Placeholder: the in-process HTTP API driver until the runtime loop lands.
pub fn connect(app: Router) -> Result<Arc<dyn Driver>, Error> {
    Ok(Arc::new(super::Lambda::new(
        app,
        LambdaOptions::new(Source::HttpApi),
    )))
}

/// Bench entry for `lambda-runtime`.
pub fn bench_pair(d: Router, f: Router, t: Topology) -> Result<BenchPair, Error> {
    super::bench_http_api(d, f, t)
}
