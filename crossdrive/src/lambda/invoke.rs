//! One invocation, as its steps. Each step is a call into the file that
//! owns its concept; a step that ends the invocation early returns a
//! [`Stopped`] (the source's own answer, or an error for the test), and
//! [`deliver`] turns that, or the response, into what the client gets:
//!
//! 1. **check the request**: the deployment must be possible
//!    ([`LambdaOptions::validate`](super::LambdaOptions::validate)), and
//!    the source's limits on the client's request hold
//!    ([`limits::check_request`]);
//! 2. **build the event** the source sends ([`event::build`], through
//!    `event_v2.rs`, `event_v1.rs`, `alb.rs`), within Lambda's payload
//!    limit ([`limits::check_event`]);
//! 3. **invoke** the function through the real lambda_http `Adapter`, in
//!    process ([`Function::invoke`](super::function::Function::invoke)) or
//!    in the `lambda-runtime` child (`runtime.rs`), under the driver's
//!    guard; what it brought back is read as the source reads it
//!    ([`failure::answer`]: a function error, a panic or a timeout is the
//!    source's answer);
//! 4. **apply the limits** on the function's response
//!    ([`limits::check_response_json`], and on the decoded response's
//!    headers [`limits::check_response`]);
//! 5. **decode the response** JSON as the source decodes it
//!    ([`event::decode`]).
//!
//! [`round_trip`] is the buffered invocation; [`raw_event`] starts at step
//! 3 with an event from the test; [`stream_trip`] is the streamed one
//! (`InvokeMode::ResponseStream`), whose response is decoded from its
//! prelude and streamed under AWS's streaming limits (`stream.rs`).

use std::time::Instant;

use crate::guard::{Interrupted, guarded};
use crate::stage::{self, Mark};
use crate::{
    AdapterNote, DriverResponse, DriverStream, Error, ErrorKind, RequestBody, ResponseBody,
};
use bytes::Bytes;
use http::{HeaderMap, Request, Response};

use super::clock::Invocation;
use super::driver::{About, Inner, Invoker};
use super::failure::{self, FailureKind, Outcome, Refused, Stopped};
use super::function::{self, InvokeError, Observed};
use super::runtime::{self, Instance};
use super::runtime_api::{Reply, Streamed};
use super::{event, limits, outbound, stream};

/// One buffered invocation of the function with `request`.
pub(super) async fn round_trip(
    lambda: &Inner,
    request: Request<Bytes>,
) -> Result<DriverResponse, Error> {
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let mut notes = Vec::new();
    // The source stamps its ids on every answer, its own refusals included.
    let invocation = Invocation::now();
    let response = buffered(
        lambda,
        Some((&method, &uri)),
        &request,
        &invocation,
        &mut notes,
    )
    .await;
    deliver(lambda, (&invocation, request.headers()), response, notes)
}

/// The five steps of a buffered invocation.
async fn buffered(
    lambda: &Inner,
    about: About<'_>,
    request: &Request<Bytes>,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, Stopped> {
    let options = &lambda.options;
    // 1. Check the request.
    lambda.check_options(about)?;
    limits::check_request(options, request)?;
    // 2. Build the event.
    let event = event::build(request, options, invocation, notes);
    stage::mark(Mark::EventSerialised);
    limits::check_event(options.source, &event)?;
    // 3. Invoke; a failure is the source's answer.
    let outcome = invoke(lambda, &event, invocation, notes).await;
    let (json, observed) = failure::answer(lambda, about, outcome)?;
    // 4. Apply the limits.
    limits::check_response_json(options.source, &json)?;
    // 5. Decode the response.
    decode(lambda, about, &json, &observed, request.headers(), notes)
}

/// Invokes the function with a raw event from the test (steps 3 to 5);
/// its errors name no request.
pub(super) async fn raw_event(lambda: &Inner, event: &[u8]) -> Result<DriverResponse, Error> {
    lambda.check_options(None)?;
    let invocation = Invocation::now();
    if let Some(instance) = lambda.streaming() {
        let mut notes = Vec::new();
        let headers = HeaderMap::new();
        let response = stream_reply(
            lambda,
            instance,
            None,
            &headers,
            event,
            &invocation,
            &mut notes,
        )
        .await;
        let streamed = deliver_stream(lambda, response, notes)?;
        return stream::collect(lambda, None, streamed).await;
    }
    let mut notes = Vec::new();
    let outcome = guarded(lambda.options.timeout, call(lambda, event, &invocation)).await;
    let headers = HeaderMap::new();
    let response = read_answer(lambda, None, &headers, outcome, &mut notes);
    deliver(lambda, (&invocation, &headers), response, notes)
}

/// Step 3: the invocation, on an instance that is up, bounded by the
/// earlier of AWS's limits and the driver's timeout.
async fn invoke(
    lambda: &Inner,
    event: &[u8],
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Outcome {
    let in_process = matches!(lambda.invoker, Invoker::InProcess(_));
    function::stage_notes(&lambda.options, in_process, notes);
    if let Invoker::Runtime(instance) = &lambda.invoker
        && let Err(reason) = instance.prepare().await
    {
        return Ok(Err(InvokeError::RuntimeGone(reason)));
    }
    let limit = lambda.aws_limit().min(lambda.options.timeout);
    let outcome = guarded(limit, call(lambda, event, invocation)).await;
    stage::mark(Mark::FunctionReturned);
    if let Invoker::Runtime(instance) = &lambda.invoker {
        notes.extend(instance.refusals());
    }
    outcome
}

/// The call itself: the event to the function wherever it runs, its
/// response JSON back.
async fn call(
    lambda: &Inner,
    event: &[u8],
    invocation: &Invocation,
) -> Result<(Vec<u8>, Observed), InvokeError> {
    match &lambda.invoker {
        Invoker::InProcess(f) => {
            let context = function::context(&lambda.options, &lambda.config, invocation);
            f.invoke(event, context).await
        }
        Invoker::Runtime(instance) => instance.invoke(event, invocation, &lambda.options).await,
    }
}

/// Steps 3 (the answer), 4 and 5 for an outcome already in.
fn read_answer(
    lambda: &Inner,
    about: About<'_>,
    request_headers: &HeaderMap,
    outcome: Outcome,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, Stopped> {
    let (json, observed) = failure::answer(lambda, about, outcome)?;
    limits::check_response_json(lambda.options.source, &json)?;
    decode(lambda, about, &json, &observed, request_headers, notes)
}

/// Step 5: the response JSON decoded as the source decodes it, with the
/// limit on the decoded response's headers (step 4's last check).
fn decode(
    lambda: &Inner,
    about: About<'_>,
    json: &[u8],
    observed: &Observed,
    request_headers: &HeaderMap,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, Stopped> {
    let source = lambda.options.source;
    function::response_notes(source, observed, notes);
    let response = event::decode(json, request_headers, &lambda.options, notes)?;
    if crate::app::is_final_informational(response.status()) {
        return Err(lambda.final_informational(about, response.status()).into());
    }
    limits::check_response(source, &response)?;
    Ok(response)
}

/// What the client receives: the response, or the source's own answer to
/// what stopped the invocation, with the notes gathered on the way and the
/// headers the source adds on the way out (`outbound.rs`) for the
/// invocation and request in `stamp`.
fn deliver(
    lambda: &Inner,
    (invocation, request_headers): (&Invocation, &HeaderMap),
    response: Result<Response<Bytes>, Stopped>,
    notes: Vec<AdapterNote>,
) -> Result<DriverResponse, Error> {
    let (mut delivered, function_answered) = match response {
        Ok(response) => {
            let mut delivered = DriverResponse::new(response, lambda.protocol.clone());
            delivered.notes = notes;
            (delivered, true)
        }
        Err(Stopped::Refused(refused)) => (lambda.failed(refused, notes), false),
        Err(Stopped::Error(error)) => return Err(error),
    };
    outbound::stamp(
        &lambda.options,
        invocation,
        request_headers,
        function_answered,
        delivered.response.headers_mut(),
    );
    Ok(delivered)
}

/// [`deliver`] for a streamed invocation: an answer that is not the
/// function's stream arrives whole, as a stream of one chunk.
fn deliver_stream(
    lambda: &Inner,
    response: Result<Response<ResponseBody>, Stopped>,
    notes: Vec<AdapterNote>,
) -> Result<DriverStream, Error> {
    let (response, notes) = match response {
        Ok(response) => (response, notes),
        Err(Stopped::Refused(refused)) => {
            let failed = lambda.failed(refused, notes);
            (whole(failed.response), failed.notes)
        }
        Err(Stopped::Error(error)) => return Err(error),
    };
    let mut delivered = DriverStream::new(response, lambda.protocol.clone());
    delivered.notes = notes;
    Ok(delivered)
}

/// A streamed invocation (`InvokeMode::ResponseStream`): resolves as soon
/// as the function's prelude is in, with a body that yields its chunks as
/// they arrive (`stream.rs`).
pub(super) async fn stream_trip(
    lambda: &Inner,
    instance: &Instance,
    request: Request<RequestBody>,
) -> Result<DriverStream, Error> {
    let (parts, body) = request.into_parts();
    let (method, uri) = (parts.method.clone(), parts.uri.clone());
    let about = Some((&method, &uri));
    // The event carries the whole request body in one JSON string.
    let body = body.collect_bytes().await.map_err(|cause| {
        lambda
            .error(
                ErrorKind::InvalidRequest,
                about,
                "the request body's stream failed before it was sent",
            )
            .with_source(cause)
            .with_hint("the test's body stream returned an error; check its producer")
    })?;
    let request = Request::from_parts(parts, body);
    let mut notes = Vec::new();
    let response = streamed(lambda, instance, about, &request, &mut notes).await;
    deliver_stream(lambda, response, notes)
}

/// The steps of a streamed invocation: no request limits but Lambda's
/// payload limit (a Function URL's), the function's prelude decoded into
/// the response head.
async fn streamed(
    lambda: &Inner,
    instance: &Instance,
    about: About<'_>,
    request: &Request<Bytes>,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<ResponseBody>, Stopped> {
    lambda.check_options(about)?;
    let invocation = Invocation::now();
    let event = event::build(request, &lambda.options, &invocation, notes);
    limits::check_streamed_event(&event)?;
    let headers = request.headers();
    if let Err(reason) = instance.prepare().await {
        let outcome = Ok(Err(InvokeError::RuntimeGone(reason)));
        return read_answer(lambda, about, headers, outcome, notes).map(whole);
    }
    stream_reply(lambda, instance, about, headers, &event, &invocation, notes).await
}

/// Steps 3 to 5 of a streamed invocation: sends `event` to the streaming
/// function and hands back the response head with its body still
/// arriving; a reply that is not a stream is read as a buffered one.
async fn stream_reply(
    lambda: &Inner,
    instance: &Instance,
    about: About<'_>,
    request_headers: &HeaderMap,
    event: &[u8],
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<ResponseBody>, Stopped> {
    let started = Instant::now();
    let work = instance.invoke_reply(event, invocation, &lambda.options);
    let outcome = guarded(lambda.aws_limit().min(lambda.options.timeout), work).await;
    notes.extend(instance.refusals());
    let streamed = match as_stream(outcome) {
        Ok(Ok(streamed)) => streamed,
        Ok(Err(json)) => return Ok(whole(buffered_reply_on_a_stream(json, notes))),
        Err(outcome) => {
            return read_answer(lambda, about, request_headers, outcome, notes).map(whole);
        }
    };
    let (status, headers) = match &streamed.prelude {
        Some(prelude) => stream::decode_prelude(prelude, notes)
            .map_err(|reason| Refused::new(FailureKind::Function, "malformed-response", reason))?,
        None => (http::StatusCode::OK, HeaderMap::new()),
    };
    if crate::app::is_final_informational(status) {
        // The function may still be streaming a body nobody will read:
        // replace the instance, as a dropped StreamedBody would.
        instance.recycle();
        return Err(lambda.final_informational(about, status).into());
    }
    let function_timeout = lambda.options.function_timeout;
    let on_timeout = Box::new(instance.recycler());
    let body = stream::body(streamed.chunks, started, function_timeout, on_timeout);
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// The function's stream, or the whole response of a function that does
/// not stream, or the outcome of a reply that is neither (an error, no
/// reply), to be read as a buffered one.
fn as_stream(
    outcome: Result<Result<Reply, InvokeError>, Interrupted>,
) -> Result<Result<Streamed, Bytes>, Outcome> {
    match outcome {
        Ok(Ok(Reply::Stream(streamed))) => Ok(Ok(streamed)),
        Ok(Ok(Reply::Response(json))) => Ok(Err(json)),
        Ok(Ok(Reply::Error(json))) => Err(Ok(Err(runtime::runtime_error(&json)))),
        Ok(Err(e)) => Err(Ok(Err(e))),
        Err(interrupted) => Err(Err(interrupted)),
    }
}

/// What the client of a streaming Function URL receives from a function
/// that returned its response whole (`lambda_http::run`, not
/// `run_with_streaming_response`): 200, with the returned JSON itself as
/// the body, not decoded as a proxy response. Recorded against AWS:
/// localstack/localstack @8b9a79f0, tests/aws/services/lambda_/test_lambda.py
/// `TestLambdaURL::test_lambda_url_echo_invoke[RESPONSE_STREAM]` (validated
/// 2025-11-24): a Node.js handler returning `{statusCode: 200, body: …}`
/// behind `InvokeMode: RESPONSE_STREAM` answers 200 and the client reads
/// the whole object (`json.loads(response)["body"]`). Which headers the
/// client gets was not recorded: none are added (a model).
fn buffered_reply_on_a_stream(json: Bytes, notes: &mut Vec<AdapterNote>) -> Response<Bytes> {
    notes.push(AdapterNote::new(
        "stream-buffered-reply-as-body",
        "the function returned its response whole instead of streaming it, so the streaming \
         Function URL sent the returned JSON itself as the body; run the app with \
         lambda_http::run_with_streaming_response behind InvokeMode::ResponseStream",
    ));
    Response::new(json)
}

/// A response that arrived whole (the service's own answers: limits,
/// errors before the stream began), as a body of one chunk.
fn whole(response: Response<Bytes>) -> Response<ResponseBody> {
    response.map(ResponseBody::full)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// localstack/localstack @8b9a79f0, tests/aws/services/lambda_/test_lambda.py
    /// `TestLambdaURL::test_lambda_url_echo_invoke[RESPONSE_STREAM]`
    /// (validated 2025-11-24): a function that returns its response whole
    /// behind a streaming Function URL has that JSON sent as the body, 200.
    #[test]
    fn a_whole_reply_on_a_streaming_url_is_sent_as_the_body_as_localstacks_echo_invoke_response_stream_recorded()
     {
        let json = Bytes::from_static(br#"{"statusCode":201,"body":"{\"event\":{}}"}"#);
        let Ok(Err(whole_reply)) = as_stream(Ok(Ok(Reply::Response(json.clone())))) else {
            panic!("a whole reply is neither a stream nor read as a proxy response");
        };
        let mut notes = Vec::new();
        let response = buffered_reply_on_a_stream(whole_reply, &mut notes);
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), &json);
        assert!(
            notes
                .iter()
                .any(|n| n.code == "stream-buffered-reply-as-body")
        );
        // An error is still read as the function's failure.
        assert!(as_stream(Ok(Ok(Reply::Error(Bytes::from_static(b"{}"))))).is_err());
    }
}
