//! `BareAdapter`, the Lambda drivers' bench floor: the steps of an
//! invocation no Lambda simulation can skip, and nothing else.

use std::sync::Arc;

use crate::{Error, ErrorKind};
use axum::Router;
use bytes::Bytes;
use http::{Request, Response};
use lambda_http::Context;

use super::clock::Invocation;
use super::event;
use super::function::{self, Function};
use super::options::LambdaOptions;

/// The bare lambda_http round trip: the Lambda drivers' bench floor, kept
/// in the Lambda module (crate-private) because it is built from the
/// drivers' own internals (`Function`, the event builders and decoders).
///
/// Per request it does exactly what no Lambda simulation can skip, with
/// the same code the drivers use: build the event JSON from the request,
/// deserialize it into `LambdaRequest`, call the app through `Adapter`
/// with a prebuilt `Context`, serialize the response JSON, and decode that
/// JSON into the client's response. It leaves out everything the drivers
/// add on top: limit checks, request ids and trace ids per invocation, the
/// timeout and panic guard, the response observer, notes and boxing. So
/// driver/floor is the cost of the drivers' safety and visibility.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
#[derive(Clone)]
pub(crate) struct BareAdapter {
    function: Function,
    options: LambdaOptions,
    context: Context,
    invocation: Invocation,
}

impl std::fmt::Debug for BareAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BareAdapter")
            .field("source", &self.options.source)
            .finish()
    }
}

#[cfg_attr(not(feature = "bench"), allow(dead_code))]
impl BareAdapter {
    /// The floor for `app` behind the source in `options`.
    pub(crate) fn new(app: Router, options: LambdaOptions) -> Self {
        let invocation = Invocation::now();
        let config = Arc::new(function::config(&options));
        let strip = function::stage_to_strip(&options);
        Self {
            function: Function::new(app, strip),
            context: function::context(&options, &config, &invocation),
            options,
            invocation,
        }
    }

    /// One bare round trip.
    pub(crate) async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let mut notes = Vec::new();
        let event = event::build(&request, &self.options, &self.invocation, &mut notes);
        let fail = |cause: String| {
            Error::new(
                ErrorKind::Adapter,
                "bare-adapter",
                request.method(),
                request.uri(),
                cause,
            )
        };
        let json = self
            .function
            .invoke_bare(&event, self.context.clone())
            .await
            .ok_or_else(|| fail("the bare round trip failed".into()))?;
        event::decode(&json, request.headers(), &self.options, &mut notes)
            .map_err(|refused| fail(refused.reason))
    }
}
