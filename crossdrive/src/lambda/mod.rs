//! The Lambda drivers: a faithful AWS Lambda round trip through
//! lambda_http, one driver per HTTP event source.
//!
//! | driver | source | event |
//! |---|---|---|
//! | `lambda` | API Gateway HTTP API | payload 2.0 |
//! | `lambda-url` | Lambda Function URL | payload 2.0 |
//! | `lambda-v1` | API Gateway REST API, `{proxy+}` | payload 1.0 |
//! | `lambda-alb` | ALB target group (single- or multi-value headers) | ALB |
//! | `lambda-runtime` | HTTP API, through the real `lambda_http::run` loop | payload 2.0 |
//! | `lambda-url-stream` | Function URL, `InvokeMode: RESPONSE_STREAM`, through the real `run_with_streaming_response` loop (`stream.rs`) | payload 2.0 in, streamed out |
//!
//! Each request makes the whole trip AWS makes, JSON on both sides, in
//! five steps; `invoke.rs` is that sequence, each step a call into the
//! file that owns it:
//!
//! 1. **check the request**: the deployment must be possible, and the
//!    source's limits hold on the client's request (`limits.rs`);
//! 2. **build the event** the source would send (`event.rs`, which
//!    dispatches to `event_v2.rs`, `event_v1.rs`, `alb.rs`); over 6 MB,
//!    Lambda refuses it (`limits.rs`);
//! 3. **invoke** the function: it deserializes the event into
//!    lambda_http's `LambdaRequest` and calls the app through
//!    `lambda_http::Adapter` with a Lambda `Context` (unique request id,
//!    deadline, ARN, memory, X-Ray trace id), then serializes the response
//!    exactly as the runtime posts it (`function.rs`); the `lambda-runtime`
//!    drivers do this step in a child process running the real runtime
//!    loop (`runtime.rs`, `runtime_api.rs`). A function error, a panic or
//!    a timeout is the source's own answer (`failure.rs`);
//! 4. **apply the limits** on the response JSON and its headers
//!    (`limits.rs`);
//! 5. **decode the response** JSON the way the source decodes it into the
//!    `http::Response` its client receives (`event.rs` and the shape's
//!    file); a streamed response is decoded from its prelude and streamed
//!    under AWS's streaming limits (`stream.rs`).
//!
//! Everything AWS or lambda_http changes on the way is reproduced and
//! reported as an [`AdapterNote`](crate::AdapterNote); failures AWS
//! answers itself (function errors, panics, timeouts, oversized payloads)
//! come back as the source's response with a [`LambdaFailure`]
//! (`failure.rs`). The timeout, panic guard and limits never let a request
//! hang or crash the test binary.
//!
//! The rest: `driver.rs` is [`Lambda`], the `Driver` over those steps;
//! `options.rs` the deployment ([`LambdaOptions`]); `outbound.rs` the
//! headers each source adds to its responses; `clock.rs` each
//! invocation's ids and times; `differences.rs` the declared known
//! differences; `bare.rs` the in-process drivers' bench floor
//! (`BareAdapter`), `raw_api.rs` the child-process drivers'
//! (`raw-runtime-api`); `rehome.rs` a Runtime API connection served on
//! whichever runtime invokes; `event.rs` also
//! holds the public [`build_event`] and [`decode_event`].

mod alb;
mod bare;
mod body;
mod clock;
pub(crate) mod deployment;
pub mod differences;
mod driver;
mod event;
mod event_v1;
mod event_v2;
mod failure;
mod function;
mod invoke;
mod limits;
mod options;
mod outbound;
#[cfg(test)]
mod props;
mod quickack;
#[cfg(feature = "bench")]
mod raw_api;
mod rehome;
pub mod runtime;
mod runtime_api;
mod stream;
#[cfg(feature = "websocket")]
mod upgrade;
#[cfg(feature = "lambda-ws")]
pub mod ws;

// The bench's floors for the Lambda drivers (`bench/floors.rs`).
#[cfg(feature = "bench")]
pub(crate) use bare::BareAdapter;
pub use driver::Lambda;
pub use event::{DecodedEvent, build_event, decode_event};
pub use failure::LambdaFailure;
pub use function::IGNORE_STAGE_ENV;
pub use limits::{
    ALB_LAMBDA_LIMIT, API_GATEWAY_HEADER_LIMIT, API_GATEWAY_PAYLOAD_LIMIT, LAMBDA_PAYLOAD_LIMIT,
    LAMBDA_RESPONSE_LIMIT,
};
pub use options::{DEFAULT_FUNCTION_TIMEOUT, Endpoint, InvokeMode, LambdaOptions, Source};
#[cfg(feature = "bench")]
pub(crate) use raw_api::RawRuntimeApi;
pub use stream::{STREAM_BANDWIDTH, STREAM_RESPONSE_LIMIT, STREAM_UNCAPPED_BYTES};
