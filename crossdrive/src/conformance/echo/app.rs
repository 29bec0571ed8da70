//! The echo app: the conformance suite's counterpart.
//!
//! It reflects what it received (`/echo`) and answers the fixed responses
//! the checks ask for. The routes, bodies and header values are the
//! contract in [`crossdrive::conformance::echo`](crate::conformance::echo); this module only
//! implements it with axum. Run the suite against a driver connected to
//! [`app`]:
//!
//! ```
//! use crossdrive::Client;
//! use crossdrive::conformance::{self, Expectations};
//! use crossdrive::Direct;
//!
//! let client = Client::new(Direct::new(crossdrive::conformance::echo::app()));
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! let report = conformance::run(&client, &Expectations::new()).await;
//! println!("{report}");
//! # });
//! ```

use std::convert::Infallible;

use super::{self as echo, Reflection};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use futures_util::StreamExt;

/// The largest request body the echo app reads (64 MiB), well above the
/// 5 MiB checks, so limits met in a check are the driver's.
///
/// ```
/// use crossdrive::conformance::echo::BODY_LIMIT;
/// assert_eq!(BODY_LIMIT, 64 << 20);
/// assert!(BODY_LIMIT > 5 << 20); // above the largest check body
/// ```
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A fresh echo app.
///
/// ```
/// use crossdrive::Client;
/// use crossdrive::conformance::echo::Reflection;
/// use crossdrive::Direct;
///
/// let client = Client::new(Direct::new(crossdrive::conformance::echo::app()));
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let seen: Reflection = client.get("/echo/x?a=1&a=2").await.json();
/// assert_eq!((seen.path.as_str(), seen.query.as_deref()), ("/echo/x", Some("a=1&a=2")));
/// # });
/// ```
pub fn app() -> Router {
    let router = Router::new();
    #[cfg(feature = "websocket")]
    let router = router.route(echo::WEBSOCKET, any(super::websocket_app::handshake));
    router
        .route(echo::ECHO, any(reflect))
        .route("/echo/{*rest}", any(reflect))
        .route(echo::ECHO_BODY, any(echo_body))
        .route(echo::FIXED, get(|| async { echo::FIXED_BODY }))
        .route(echo::LIMITED, post(limited))
        .route("/status/{code}", get(status))
        .route(echo::REPEATED_HEADERS, get(repeated_headers))
        .route(echo::SET_COOKIES, get(set_cookies))
        .route(echo::LONG_HEADER, get(long_header))
        .route(echo::OBS_TEXT_HEADER, get(obs_text_header))
        .route(echo::ALL_BYTES, get(all_bytes))
        .route("/bytes/{n}", get(bytes))
        .route(echo::INVALID_UTF8, get(invalid_utf8))
        .route(echo::BASE64_LIKE, get(base64_like))
        .route(echo::EMPTY, get(|| async { StatusCode::OK }))
        .route(echo::STREAM, get(stream))
        .route(echo::SSE, get(sse))
        .route(echo::GATED, get(gated))
        .route(echo::TRAILERS, get(trailers))
        .route(echo::ABORT, get(abort))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn reflect(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let host = headers
        .get(header::HOST)
        .map(|v| echo::latin1(v.as_bytes()))
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()));
    let reflection = Reflection {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        host,
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), echo::latin1(v.as_bytes())))
            .collect(),
        body_len: body.len(),
        body_fingerprint: echo::fingerprint(&body),
        body_text: std::str::from_utf8(&body)
            .ok()
            .filter(|t| t.len() <= 64 * 1024)
            .map(str::to_owned),
    };
    axum::Json(reflection).into_response()
}

async fn echo_body(headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn limited(body: Bytes) -> Response {
    if body.len() > echo::LIMIT {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} bytes is over the {}-byte limit",
                body.len(),
                echo::LIMIT
            ),
        )
            .into_response()
    } else {
        format!("{} bytes accepted", body.len()).into_response()
    }
}

async fn status(Path(code): Path<u16>) -> Response {
    let Ok(status) = StatusCode::from_u16(code) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("{code} is not a status code"),
        )
            .into_response();
    };
    match code {
        204 => status.into_response(),
        304 => (status, [(header::ETAG, "\"conformance\"")]).into_response(),
        301 | 302 => (
            status,
            [(header::LOCATION, "/echo/redirected")],
            format!("status {code}"),
        )
            .into_response(),
        _ => (status, format!("status {code}")).into_response(),
    }
}

async fn repeated_headers() -> Response {
    let mut response = "repeated x-multi".into_response();
    for value in echo::REPEATED_VALUES {
        response
            .headers_mut()
            .append("x-multi", HeaderValue::from_static(value));
    }
    response
}

async fn set_cookies() -> Response {
    let mut response = "three cookies".into_response();
    for value in echo::SET_COOKIE_VALUES {
        response
            .headers_mut()
            .append(header::SET_COOKIE, HeaderValue::from_static(value));
    }
    response
}

async fn long_header() -> Response {
    let mut response = "long header".into_response();
    if let Ok(value) = HeaderValue::from_str(&echo::long_value(echo::LONG_LEN)) {
        response.headers_mut().insert("x-long", value);
    }
    response
}

async fn obs_text_header() -> Response {
    let mut response = "obs-text header".into_response();
    if let Ok(value) = HeaderValue::from_bytes(echo::OBS_TEXT_VALUE) {
        response.headers_mut().insert("x-obs-text", value);
    }
    response
}

fn octets(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

async fn all_bytes() -> Response {
    octets((0..=255).collect())
}

async fn bytes(Path(n): Path<usize>) -> Response {
    if n > BODY_LIMIT {
        return (
            StatusCode::BAD_REQUEST,
            format!("at most {BODY_LIMIT} bytes"),
        )
            .into_response();
    }
    octets(echo::pattern(n))
}

async fn invalid_utf8() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        echo::INVALID_UTF8_BODY,
    )
        .into_response()
}

async fn base64_like() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        echo::BASE64_LIKE_BODY,
    )
        .into_response()
}

async fn stream() -> Response {
    // A stream has no exact size, so servers send it chunked.
    let chunks = (0..echo::STREAM_CHUNKS).map(|i| Ok::<_, Infallible>(echo::stream_chunk(i)));
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}

async fn sse() -> Response {
    let events = echo::SSE_EVENTS.map(Ok::<_, Infallible>);
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(futures_util::stream::iter(events)),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct GateKey {
    key: u64,
}

async fn gated(
    key: Result<axum::extract::Query<GateKey>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(axum::extract::Query(GateKey { key })) = key else {
        return (StatusCode::BAD_REQUEST, "gated needs ?key=<a whole number>").into_response();
    };
    // Registered now, before the first chunk can reach the client.
    let opened = echo::gate_wait(key, echo::GATE_WAIT);
    let first = futures_util::stream::once(async { Ok::<_, Infallible>(echo::GATE_FIRST) });
    let last = futures_util::stream::once(async move {
        opened.await;
        Ok::<_, Infallible>(echo::GATE_LAST)
    });
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from_stream(first.chain(last)),
    )
        .into_response()
}

async fn trailers() -> Response {
    let mut trailers = HeaderMap::new();
    trailers.insert(
        echo::TRAILER_NAME,
        HeaderValue::from_static(echo::TRAILER_VALUE),
    );
    let frames = futures_util::stream::iter([
        Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(
            echo::TRAILERS_BODY.as_bytes(),
        ))),
        Ok(http_body::Frame::trailers(trailers)),
    ]);
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::TRAILER, echo::TRAILER_NAME),
        ],
        Body::new(http_body_util::StreamBody::new(frames)),
    )
        .into_response()
}

async fn abort() -> Response {
    let first =
        futures_util::stream::once(async { Ok(Bytes::from_static(echo::ABORT_FIRST.as_bytes())) });
    // Pending once first, so a server writes the head and the first chunk
    // before the body fails.
    let cut = futures_util::stream::once(async {
        crate::guard::sleep(std::time::Duration::from_millis(20)).await;
        Err(std::io::Error::other(
            "the echo app cut its body off on purpose",
        ))
    });
    Response::new(Body::from_stream(first.chain(cut)))
}

/// No route: 404, unless the request is an API Gateway WebSocket event
/// (lambda_http gives those the path `/{stage}`), which the echo answers
/// as a function behind a WebSocket API.
async fn no_route(request: axum::extract::Request) -> Response {
    #[cfg(feature = "lambda-ws")]
    if let Some(context) = super::lambda_ws::context(&request) {
        return super::lambda_ws::handle(context, request).await;
    }
    (
        StatusCode::NOT_FOUND,
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
        .into_response()
}
