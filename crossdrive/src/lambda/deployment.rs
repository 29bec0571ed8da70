//! The Lambda drivers in the driver registry.
//!
//! Four in-process event sources (`lambda`, `lambda-url`, `lambda-v1`,
//! `lambda-alb`: [`Lambda`] through lambda_http) and two real runtime
//! loops in a child process (`lambda-runtime`, `lambda-url-stream`). The
//! four are floored by the bare lambda_http round trip with the same
//! options ([`BareAdapter`]), the two by the least Runtime API round trip
//! with a function in a child process (`raw_api.rs`, `raw-runtime-api`).

use std::sync::Arc;

use axum::Router;

use super::{InvokeMode, Lambda, LambdaOptions, Source, differences};
use crate::registry::{Deployment, Registration};
use crate::{ConnectOptions, Driver, Error, ErrorKind, Kind};

/// `lambda`: API Gateway HTTP API, payload 2.0.
pub(crate) const HTTP_API: Registration = Registration {
    deployment: || deploy(LambdaOptions::new(Source::HttpApi)),
    differences: differences::HTTP_API,
};

/// `lambda-url`: a Function URL, payload 2.0.
pub(crate) const FUNCTION_URL: Registration = Registration {
    deployment: || deploy(LambdaOptions::new(Source::FunctionUrl)),
    differences: differences::FUNCTION_URL,
};

/// `lambda-v1`: API Gateway REST API, payload 1.0.
pub(crate) const REST: Registration = Registration {
    deployment: || deploy(LambdaOptions::new(Source::Rest)),
    differences: differences::REST,
};

/// `lambda-alb`: an ALB target group, single-value headers.
pub(crate) const ALB: Registration = Registration {
    deployment: || {
        deploy(LambdaOptions::new(Source::Alb {
            multi_value_headers: false,
        }))
    },
    differences: differences::ALB,
};

/// `lambda-runtime`: HTTP API events through the real runtime loop.
pub(crate) const RUNTIME: Registration = Registration {
    deployment: || runtime(LambdaOptions::new(Source::HttpApi)),
    differences: differences::RUNTIME,
};

/// `lambda-url-stream`: a streaming Function URL through the real
/// streaming runtime loop.
pub(crate) const URL_STREAM: Registration = Registration {
    deployment: || {
        deploy(LambdaOptions::new(Source::FunctionUrl).invoke_mode(InvokeMode::ResponseStream))
    },
    differences: differences::URL_STREAM,
};

/// The built-in driver `options` deploy: the source's, or
/// `lambda-url-stream` for a streaming Function URL.
pub(crate) fn kind_of(options: &LambdaOptions) -> Kind {
    if options.get_invoke_mode() == InvokeMode::ResponseStream {
        return Kind::LambdaUrlStream;
    }
    match options.source() {
        Source::HttpApi => Kind::Lambda,
        Source::FunctionUrl => Kind::LambdaUrl,
        Source::Rest => Kind::LambdaV1,
        Source::Alb { .. } => Kind::LambdaAlb,
    }
}

/// A deployment of `options`: in-process, or the real streaming runtime
/// loop for a streaming Function URL (only the real loop streams).
pub(crate) fn deploy(options: LambdaOptions) -> Arc<dyn Deployment> {
    if options.get_invoke_mode() == InvokeMode::ResponseStream {
        return runtime(options);
    }
    Arc::new(InProcess(options))
}

/// A deployment of `options` through the real runtime loop in a child.
pub(crate) fn runtime(options: LambdaOptions) -> Arc<dyn Deployment> {
    Arc::new(Runtime(options))
}

/// An event source through lambda_http in-process.
struct InProcess(LambdaOptions);

/// The real runtime loop in a child process.
struct Runtime(LambdaOptions);

/// The deployment's options with the test's timeout, checked.
fn checked(options: &LambdaOptions, connect: &ConnectOptions) -> Result<LambdaOptions, Error> {
    let options = options.clone().timeout(connect.get_timeout());
    options.validate().map_err(|cause| {
        Error::without_request(
            ErrorKind::InvalidRequest,
            kind_of(&options).name(),
            format!("the driver's deployment options are invalid: {cause}"),
        )
        .with_hint("fix the options given to this DriverSpec")
    })?;
    Ok(options)
}

/// The in-process Lambda drivers' floor: the bare lambda_http round trip
/// with the same options.
#[cfg(feature = "bench")]
fn bare_floor(app: Router, options: &LambdaOptions) -> crate::registry::Floor {
    crate::registry::Floor::BareAdapter(Box::new(super::BareAdapter::new(app, options.clone())))
}

impl Deployment for InProcess {
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        Ok(Arc::new(Lambda::new(app, checked(&self.0, options)?)))
    }

    #[cfg(feature = "websocket")]
    fn websocket_differences(&self) -> Vec<(&'static str, &'static str)> {
        differences::websocket(&self.0)
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        _server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        Ok(crate::registry::FloorPair {
            driver: Some(Arc::new(Lambda::new(app(), self.0.clone()))),
            floor: bare_floor(app(), &self.0),
        })
    }
}

impl Deployment for Runtime {
    fn runs_in_child(&self) -> bool {
        true
    }

    #[cfg(feature = "websocket")]
    fn websocket_differences(&self) -> Vec<(&'static str, &'static str)> {
        differences::websocket(&self.0)
    }

    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        Ok(Arc::new(super::runtime::start_for_test(
            app,
            checked(&self.0, options)?,
            options.get_test_name(),
        )?))
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        _server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        Ok(crate::registry::FloorPair {
            // The child re-runs this binary, which serves it first thing
            // (bench_main! and Bench::run_from_args see to that).
            driver: Some(Arc::new(super::runtime::start_for_binary(
                app(),
                self.0.clone(),
            )?)),
            // The same round trip with a child, at its least.
            floor: super::raw_api::floor(&self.0)?,
        })
    }

    /// A child re-running the bench binary, never a test.
    #[cfg(feature = "bench")]
    fn bench_as_suite(&self) -> bool {
        false
    }
}
