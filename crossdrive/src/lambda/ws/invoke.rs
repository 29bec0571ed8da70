//! One invocation of the function with a WebSocket event, and its answer
//! read as API Gateway reads it.
//!
//! The function is the app behind the real lambda_http `Adapter`
//! (`lambda/function.rs`, shared with the other in-process Lambda
//! drivers): the event JSON is deserialized into lambda_http's
//! `LambdaRequest` (its `WebSocket` variant with the `apigw_websockets`
//! feature), the app answers, and lambda_http serializes the response in
//! the shape it uses for WebSocket events, API Gateway's proxy response
//! (`statusCode`, `multiValueHeaders`, `body`, `isBase64Encoded`).
//! Each invocation is bounded by the first of the function's timeout,
//! the integration timeout (29 s) and the test's timeout, and runs under
//! the panic guard.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lambda_http::lambda_runtime::Config;
use serde_json::Value;

use super::options::WebSocketOptions;
use crate::AdapterNote;
use crate::guard::{Interrupted, guarded};
use crate::lambda::clock::Invocation;
use crate::lambda::function::{self, Function, InvokeError};

/// The function's answer: its proxy response, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// `isBase64Encoded` was set (the body was binary).
    pub(crate) binary: bool,
}

/// What came of one invocation.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The function answered.
    Answered(Answer),
    /// A function error (it failed, panicked, timed out past its own
    /// timeout, or answered something that is no proxy response).
    FunctionError(String),
    /// API Gateway stopped waiting (the integration timeout).
    IntegrationTimeout(Duration),
    /// crossdrive's own bound (the test's timeout) passed first.
    TestTimeout(Duration),
}

impl Outcome {
    /// The note naming what happened, for a failure.
    pub(crate) fn note(&self, route: &str) -> Option<AdapterNote> {
        match self {
            Self::Answered(_) => None,
            Self::FunctionError(reason) => Some(AdapterNote::new(
                "ws-function-error",
                format!("the function failed on {route}: {reason}"),
            )),
            Self::IntegrationTimeout(after) => Some(AdapterNote::new(
                "ws-integration-timeout",
                format!(
                    "API Gateway stopped waiting for {route} after its {after:?} integration timeout"
                ),
            )),
            Self::TestTimeout(after) => Some(AdapterNote::new(
                "ws-test-timeout",
                format!(
                    "the function did not answer {route} within the test's {after:?} timeout \
                     (crossdrive's bound, shorter than AWS's); raise the driver's timeout if \
                     it is legitimately slow"
                ),
            )),
        }
    }
}

/// The function of one deployment, ready to invoke.
#[derive(Clone)]
pub(crate) struct Invoker {
    function: Function,
    config: Arc<Config>,
    options: WebSocketOptions,
}

impl Invoker {
    pub(crate) fn new(app: axum::Router, options: WebSocketOptions) -> Self {
        Self {
            // The WebSocket request's path is `/{stage}` as lambda_http
            // builds it; nothing to take off (function.rs's stage emulation
            // is for REST APIs).
            function: Function::new(app, None),
            config: Arc::new(function::config(&options.lambda)),
            options,
        }
    }

    /// Invokes the function with `event`.
    pub(crate) async fn invoke(&self, event: &[u8], invocation: &Invocation) -> Outcome {
        let limit = self.options.invocation_limit();
        let context = function::context(&self.options.lambda, &self.config, invocation);
        let outcome = guarded(limit, self.function.invoke(event, context)).await;
        match outcome {
            Ok(Ok((json, _observed))) => read(&json),
            Ok(Err(error)) => Outcome::FunctionError(describe(error)),
            Err(Interrupted::Panicked(message)) => Outcome::FunctionError(format!(
                "the handler panicked ({message}); the runtime reported a function error"
            )),
            Err(Interrupted::TimedOut(after)) => self.timed_out(after),
        }
    }

    /// Which bound passed: crossdrive's, the integration's or the function's.
    fn timed_out(&self, after: Duration) -> Outcome {
        let function = self.options.lambda.function_timeout;
        let integration = self.options.integration_timeout;
        if self.options.lambda.timeout < function.min(integration) {
            Outcome::TestTimeout(after)
        } else if integration <= function {
            Outcome::IntegrationTimeout(integration)
        } else {
            Outcome::FunctionError(format!(
                "Task timed out after {function:?} (the function timeout)"
            ))
        }
    }
}

/// Why lambda_http produced no response, in a function error's words.
fn describe(error: InvokeError) -> String {
    match error {
        InvokeError::Malformed(e) => format!("lambda_http rejected the event ({e})"),
        InvokeError::InvalidBase64(e) => format!("the event's base64 body is invalid ({e})"),
        InvokeError::Unserializable(reason)
        | InvokeError::FunctionError(reason)
        | InvokeError::RuntimePanic(reason)
        | InvokeError::RuntimeGone(reason) => reason,
        InvokeError::LambdaHttpPanic(message) => format!(
            "lambda_http panicked turning the event into a request ({message}), before the app ran"
        ),
    }
}

/// Reads the function's proxy response as API Gateway does; one it cannot
/// read (no `statusCode`) is a function error, as for every Lambda proxy
/// integration.
pub(crate) fn read(json: &[u8]) -> Outcome {
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return Outcome::FunctionError("the function's response is not JSON".to_owned());
    };
    let Some(status) = value["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return Outcome::FunctionError(
            "the function's response has no valid statusCode (a malformed Lambda proxy response)"
                .to_owned(),
        );
    };
    let mut headers = HeaderMap::new();
    let mut add = |name: &str, value: &Value| {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.append(name, value);
        }
    };
    if let Some(map) = value["headers"].as_object() {
        for (name, v) in map {
            add(name, v);
        }
    }
    if let Some(map) = value["multiValueHeaders"].as_object() {
        for (name, values) in map {
            for v in values.as_array().into_iter().flatten() {
                add(name, v);
            }
        }
    }
    let binary = value["isBase64Encoded"].as_bool().unwrap_or(false);
    let text = value["body"].as_str().unwrap_or_default();
    let body = if binary {
        match crate::lambda::body::decode(text) {
            Ok(bytes) => Bytes::from(bytes),
            Err(e) => {
                return Outcome::FunctionError(format!(
                    "the function's response says isBase64Encoded but its body is not base64 ({e})"
                ));
            }
        }
    } else {
        Bytes::copy_from_slice(text.as_bytes())
    };
    Outcome::Answered(Answer {
        status,
        headers,
        body,
        binary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_response_is_read_with_its_headers_and_body() {
        let json = br#"{"statusCode":401,"headers":{},"multiValueHeaders":{"x-a":["1","2"]},"body":"no","isBase64Encoded":false}"#;
        let Outcome::Answered(answer) = read(json) else {
            panic!("not read")
        };
        assert_eq!(answer.status, 401);
        assert_eq!(answer.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(answer.body, "no");
    }

    #[test]
    fn a_response_without_status_is_a_function_error() {
        assert!(matches!(
            read(br#"{"body":"x"}"#),
            Outcome::FunctionError(_)
        ));
        assert!(matches!(read(b"nope"), Outcome::FunctionError(_)));
    }
}
