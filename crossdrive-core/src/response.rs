//! The response a test sees, and its assertions.
//!
//! A [`TestResponse`] keeps the request that produced it, the driver's name,
//! the observed protocol and the adapter's notes, so that every failed
//! assertion can print the whole story: what was expected, what was
//! received, through which driver, for which request, and the full
//! response. Assertions return `&Self`, so they chain.

use std::fmt::{self, Write as _};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::{AdapterNote, DriverResponse, Protocol, redact};

/// Bodies longer than this are abbreviated in failure messages.
const BODY_PREVIEW: usize = 2048;

/// A response received through a driver, with the request that produced it.
///
/// Built by awaiting a [`crate::RequestBuilder`]; see [`crate::Client`].
///
/// ```
/// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
/// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
/// # let response = http::Response::builder().status(201)
/// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
/// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
/// # let delivered = DriverResponse::new(response, Protocol::Http1)
/// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
/// # let r = TestResponse::new("http1", request, delivered);
/// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
///
/// r.assert_status(201)
///     .assert_header("content-type", "application/json")
///     .assert_header_all("x-a", &["1", "2"])
///     .assert_json(&serde_json::json!({"id": 1}));
/// ```
#[derive(Clone)]
pub struct TestResponse {
    /// One allocation, made when the request was sent (see [`Sent`]): a
    /// response travels as a pointer through the futures that carry it
    /// back to the test, instead of being copied whole at every layer.
    exchange: Box<Exchange>,
}

/// A request and what came back for it.
#[derive(Clone)]
struct Exchange {
    /// Kept once per process (see `name.rs`).
    driver: &'static str,
    request: Request<Bytes>,
    response: Response<Bytes>,
    protocol: Protocol,
    notes: Vec<AdapterNote>,
}

/// A request on its way, held where the [`TestResponse`] it becomes
/// will keep it: the response's one allocation is made before the request
/// is sent, the request is moved into it once, and the driver gets a copy
/// (see [`Sent::copy`]).
pub(crate) struct Sent(Box<Exchange>);

impl Sent {
    /// Holds `request`, to be sent through the driver named `driver`.
    #[inline]
    pub(crate) fn new(driver: &'static str, request: Request<Bytes>) -> Self {
        let mut sent = Self::empty(driver);
        sent.0.request = request;
        sent
    }

    /// An empty `GET /` to build into, to be sent through the driver named
    /// `driver`.
    #[inline]
    pub(crate) fn empty(driver: &'static str) -> Self {
        Self(Box::new(Exchange {
            driver,
            request: Request::default(),
            response: Response::default(),
            protocol: Protocol::InProcess,
            notes: Vec::new(),
        }))
    }

    /// The request, as it is built and to mark its secrets before it is
    /// copied.
    pub(crate) fn request_mut(&mut self) -> &mut Request<Bytes> {
        &mut self.0.request
    }

    /// The request itself, for a caller that sends it otherwise.
    pub(crate) fn into_request(self) -> Request<Bytes> {
        self.0.request
    }

    /// A copy of the request, for the driver: its fields cloned straight
    /// into place (an empty header map or extension set clones without
    /// allocating).
    #[inline]
    pub(crate) fn copy(&self) -> Request<Bytes> {
        self.0.request.clone()
    }

    /// The response `delivered` for the request. Its parts are swapped
    /// into this record, where it lies, rather than moved whole: what is
    /// left in `delivered` is empty.
    #[inline]
    pub(crate) fn answered(self, delivered: &mut DriverResponse) -> TestResponse {
        let mut exchange = self.0;
        std::mem::swap(&mut exchange.response, &mut delivered.response);
        std::mem::swap(&mut exchange.notes, &mut delivered.notes);
        std::mem::swap(&mut exchange.protocol, &mut delivered.protocol);
        TestResponse { exchange }
    }
}

/// Anything `assert_status` accepts: a `StatusCode` or a `u16`.
///
/// ```
/// use crossdrive_core::IntoStatus;
/// use http::StatusCode;
/// assert_eq!(201u16.into_status(), Some(StatusCode::CREATED));
/// assert_eq!(StatusCode::IM_A_TEAPOT.into_status(), Some(StatusCode::IM_A_TEAPOT));
/// assert_eq!(1000u16.into_status(), None);
/// ```
pub trait IntoStatus {
    /// The status code, or `None` if the number is not a valid status.
    fn into_status(self) -> Option<StatusCode>;
}
impl IntoStatus for StatusCode {
    fn into_status(self) -> Option<StatusCode> {
        Some(self)
    }
}
impl IntoStatus for u16 {
    fn into_status(self) -> Option<StatusCode> {
        StatusCode::from_u16(self).ok()
    }
}

impl TestResponse {
    /// Wraps what a driver returned for `request`.
    ///
    /// ```
    /// use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// let r = TestResponse::new(
    ///     "direct",
    ///     http::Request::new(bytes::Bytes::new()),
    ///     DriverResponse::new(http::Response::new(bytes::Bytes::from("ok")), Protocol::InProcess),
    /// );
    /// r.assert_status(200).assert_text("ok");
    /// ```
    pub fn new(driver: &str, request: Request<Bytes>, delivered: DriverResponse) -> Self {
        Self::shared(crate::name::interned(driver), request, delivered)
    }

    /// [`new`](Self::new) with the driver's name shared with the client.
    pub(crate) fn shared(
        driver: &'static str,
        request: Request<Bytes>,
        delivered: DriverResponse,
    ) -> Self {
        Sent::new(driver, request).answered(&mut { delivered })
    }

    /// The whole `http::Response`, by value, for code that takes one (the
    /// request, protocol and notes are dropped).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let response: http::Response<bytes::Bytes> = client.post("/").text("hi").await.into_response();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.body(), "hi");
    /// # });
    /// ```
    pub fn into_response(self) -> Response<Bytes> {
        self.exchange.response
    }

    /// The name of the driver that carried the request.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.driver(), "http1");
    /// ```
    pub fn driver(&self) -> &str {
        self.exchange.driver
    }
    /// The protocol the driver observed.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.protocol(), &Protocol::Http1);
    /// ```
    pub fn protocol(&self) -> &Protocol {
        &self.exchange.protocol
    }
    /// What the adapter changed on the way, if anything.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.notes().len(), 1);
    /// assert_eq!(r.notes()[0].code, "base64");
    /// ```
    pub fn notes(&self) -> &[AdapterNote] {
        &self.exchange.notes
    }
    /// The request that produced this response.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.request().uri(), "/todos");
    /// ```
    pub fn request(&self) -> &Request<Bytes> {
        &self.exchange.request
    }
    /// The whole `http::Response`.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.response().status(), 201);
    /// assert_eq!(r.response().body().len(), 8);
    /// ```
    pub fn response(&self) -> &Response<Bytes> {
        &self.exchange.response
    }
    /// The status code.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.status(), http::StatusCode::CREATED);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.exchange.response.status()
    }
    /// All response headers.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.headers().get_all("x-a").iter().count(), 2);
    /// assert_eq!(r.headers()["content-type"], "application/json");
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        self.exchange.response.headers()
    }
    /// The first value of a header, if present and visible ASCII; use
    /// [`TestResponse::headers`] for raw bytes.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.header("x-a"), Some("1"));
    /// assert_eq!(r.header("X-A"), Some("1"));
    /// assert_eq!(r.header("x-missing"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name).and_then(|v| v.to_str().ok())
    }
    /// Every value of a header, in the order received; values that are not
    /// visible ASCII show as `<non-ASCII>` (use [`TestResponse::headers`]
    /// for their raw bytes).
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.header_all("x-a"), ["1", "2"]);
    /// assert!(r.header_all("x-missing").is_empty());
    /// ```
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("<non-ASCII>"))
            .collect()
    }
    /// The value a `Set-Cookie` header of this response gives the cookie
    /// `name`: the part of `name=value; Path=/; ...` before the first `;`,
    /// after the `=`. `None` when no `Set-Cookie` sets it. When several do,
    /// the last one wins, as a browser keeps the last it is sent.
    ///
    /// ```
    /// # use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// # let response = http::Response::builder()
    /// #     .header("set-cookie", "session=abc123; Path=/; HttpOnly")
    /// #     .header("set-cookie", "theme=dark")
    /// #     .body(bytes::Bytes::new()).unwrap();
    /// # let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(response, Protocol::InProcess));
    /// // Set-Cookie: session=abc123; Path=/; HttpOnly
    /// // Set-Cookie: theme=dark
    /// assert_eq!(r.cookie("session").as_deref(), Some("abc123"));
    /// assert_eq!(r.cookie("theme").as_deref(), Some("dark"));
    /// assert_eq!(r.cookie("missing"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .filter(|(cookie, _)| *cookie == name)
            .map(|(_, value)| value.to_owned())
            .last()
    }

    /// Every `(name, value)` the `Set-Cookie` headers set, in order; a
    /// header that is not visible ASCII or has no `=` sets nothing.
    fn set_cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers()
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|cookie| {
                let pair = cookie.split(';').next().unwrap_or_default();
                let (name, value) = pair.split_once('=')?;
                Some((name.trim(), value.trim()))
            })
    }

    /// The raw body bytes.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.bytes().as_ref(), br#"{"id":1}"#);
    /// ```
    pub fn bytes(&self) -> &Bytes {
        self.exchange.response.body()
    }
    /// The body as UTF-8 text; fails the test, with the full context, if it
    /// is not UTF-8 (use [`TestResponse::bytes`] for binary bodies).
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// assert_eq!(r.text(), r#"{"id":1}"#);
    /// ```
    #[track_caller]
    pub fn text(&self) -> &str {
        match std::str::from_utf8(self.bytes()) {
            Ok(text) => text,
            Err(e) => self.fail(
                "body is UTF-8 text",
                "UTF-8 text",
                &format!("not UTF-8: {e}"),
            ),
        }
    }
    /// The body deserialized from JSON; fails the test, with the full
    /// context, if it does not parse as `T`.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// #[derive(serde::Deserialize)]
    /// struct Todo { id: u32 }
    /// assert_eq!(r.json::<Todo>().id, 1);
    /// ```
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(self.bytes()) {
            Ok(value) => value,
            Err(e) => self.fail(
                "body parses as JSON",
                std::any::type_name::<T>(),
                &format!("{e}"),
            ),
        }
    }

    /// Asserts the status code.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_status(201).assert_status(http::StatusCode::CREATED);
    /// let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     r.assert_status(200);
    /// }));
    /// assert!(wrong.is_err());
    /// ```
    #[track_caller]
    pub fn assert_status(&self, expected: impl IntoStatus) -> &Self {
        let Some(expected) = expected.into_status() else {
            self.fail(
                "status",
                "a valid status code (100-999)",
                "an invalid number was passed to assert_status",
            )
        };
        if self.status() != expected {
            self.fail("status", &expected.to_string(), &self.status().to_string());
        }
        self
    }

    /// Asserts that a header is present exactly once with this value.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_header("content-type", "application/json");
    /// // x-a is sent twice, so it is not present exactly once:
    /// let twice = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     r.assert_header("x-a", "1");
    /// }));
    /// assert!(twice.is_err());
    /// ```
    #[track_caller]
    pub fn assert_header(&self, name: &str, expected: &str) -> &Self {
        let all = self.header_all(name);
        if all != [expected] {
            let (expected_shown, all_shown) = self.for_report(name, &[expected], &all);
            self.fail(
                &format!("header `{name}`"),
                &format!("{:?} (once)", expected_shown[0]),
                &self.with_difference(name, &[expected], &all, describe_values(&all_shown)),
            );
        }
        self
    }

    /// Asserts every value of a repeated header, in order.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_header_all("x-a", &["1", "2"]);
    /// r.assert_header_all("x-missing", &[]);
    /// ```
    #[track_caller]
    pub fn assert_header_all(&self, name: &str, expected: &[&str]) -> &Self {
        let all = self.header_all(name);
        if all != expected {
            let (expected_shown, all_shown) = self.for_report(name, expected, &all);
            self.fail(
                &format!("all values of header `{name}`"),
                &describe_values(&expected_shown),
                &self.with_difference(name, expected, &all, describe_values(&all_shown)),
            );
        }
        self
    }

    /// Asserts the values of a repeated header in any order: the same
    /// values, each as many times, as `expected` (for headers whose order
    /// an adapter may change, such as several `Vary` or `Set-Cookie`).
    ///
    /// ```
    /// # use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// # let response = http::Response::builder()
    /// #     .header("vary", "origin").header("vary", "accept")
    /// #     .body(bytes::Bytes::new()).unwrap();
    /// # let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(response, Protocol::InProcess));
    /// // vary: origin
    /// // vary: accept
    /// r.assert_header_values_unordered("vary", &["accept", "origin"]);
    /// ```
    #[track_caller]
    pub fn assert_header_values_unordered(&self, name: &str, expected: &[&str]) -> &Self {
        let all = self.header_all(name);
        let mut sorted_received = all.clone();
        sorted_received.sort_unstable();
        let mut sorted_expected = expected.to_vec();
        sorted_expected.sort_unstable();
        if sorted_received != sorted_expected {
            let (expected_shown, all_shown) = self.for_report(name, expected, &all);
            self.fail(
                &format!("values of header `{name}`, in any order"),
                &describe_values(&expected_shown),
                &describe_values(&all_shown),
            );
        }
        self
    }

    /// Asserts that a `Set-Cookie` header sets the cookie `name` to
    /// `expected` (the value before the first `;`, attributes ignored; see
    /// [`TestResponse::cookie`]).
    ///
    /// ```
    /// # use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// # let response = http::Response::builder()
    /// #     .header("set-cookie", "session=abc123; Path=/; HttpOnly")
    /// #     .body(bytes::Bytes::new()).unwrap();
    /// # let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(response, Protocol::InProcess));
    /// // Set-Cookie: session=abc123; Path=/; HttpOnly
    /// r.assert_cookie("session", "abc123");
    /// ```
    #[track_caller]
    pub fn assert_cookie(&self, name: &str, expected: &str) -> &Self {
        match self.cookie(name) {
            Some(value) if value == expected => {}
            // A cookie's value is a secret (a session id): shown by length
            // and first difference unless secrets are shown.
            Some(value) if !redact::show_secrets() => {
                let difference = redact::compared(expected, &value);
                self.fail(
                    &format!("cookie `{name}`"),
                    &format!("{:?}", redact::hidden_value(expected)),
                    &format!(
                        "{:?}{}",
                        redact::hidden_value(&value),
                        if difference.is_empty() {
                            String::new()
                        } else {
                            format!(" ({difference})")
                        }
                    ),
                );
            }
            Some(value) => self.fail(
                &format!("cookie `{name}`"),
                &format!("{expected:?}"),
                &format!("{value:?}"),
            ),
            None => {
                let set: Vec<&str> = self.set_cookies().map(|(name, _)| name).collect();
                let received = if set.is_empty() {
                    "no Set-Cookie header sets any cookie".to_owned()
                } else {
                    format!("not set; Set-Cookie sets only {set:?}")
                };
                self.fail(
                    &format!("cookie `{name}`"),
                    &format!("{:?}", redact::hidden_value(expected)),
                    &received,
                );
            }
        }
        self
    }

    /// Asserts that a header is absent.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_no_header("set-cookie").assert_no_header("location");
    /// ```
    #[track_caller]
    pub fn assert_no_header(&self, name: &str) -> &Self {
        let all = self.header_all(name);
        if !all.is_empty() {
            let (_, all_shown) = self.for_report(name, &[], &all);
            self.fail(
                &format!("header `{name}`"),
                "absent",
                &describe_values(&all_shown),
            );
        }
        self
    }

    /// Asserts that the body is JSON equal to `expected`.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_json(&serde_json::json!({"id": 1}));
    /// ```
    #[track_caller]
    pub fn assert_json<T: serde::Serialize + ?Sized>(&self, expected: &T) -> &Self {
        let expected = match serde_json::to_value(expected) {
            Ok(v) => v,
            Err(e) => self.fail("JSON body", "a serializable expected value", &e.to_string()),
        };
        let received: serde_json::Value = self.json();
        if received != expected {
            let diff = json_diff(&expected, &received);
            panic!(
                "{}",
                self.report_with(
                    "JSON body",
                    &expected.to_string(),
                    &received.to_string(),
                    &diff
                )
            );
        }
        self
    }

    /// Asserts that the body is JSON containing `expected`: every key of an
    /// object in `expected` is in the body's object at the same place, with
    /// a value that contains the expected one (recursively); the body may
    /// have more keys. Arrays are compared element by element, in order,
    /// and must have as many elements as the expected array; any other
    /// value must be equal.
    ///
    /// ```
    /// # use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// # let body = r#"{"id": 7, "title": "x", "tags": [{"name": "a", "n": 1}], "owner": {"id": 1, "name": "ann"}}"#;
    /// # let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// use serde_json::json;
    /// // {"id": 7, "title": "x", "tags": [{"name": "a", "n": 1}], "owner": {"id": 1, "name": "ann"}}
    /// r.assert_json_contains(&json!({"title": "x", "owner": {"name": "ann"}}));
    /// r.assert_json_contains(&json!({"tags": [{"name": "a"}]}));
    /// ```
    #[track_caller]
    pub fn assert_json_contains<T: serde::Serialize + ?Sized>(&self, expected: &T) -> &Self {
        let expected = match serde_json::to_value(expected) {
            Ok(v) => v,
            Err(e) => self.fail(
                "JSON body contains",
                "a serializable expected value",
                &e.to_string(),
            ),
        };
        let received: serde_json::Value = self.json();
        if let Err(mismatch) = json_contains(&expected, &received, "$") {
            self.fail(
                "JSON body contains the expected value",
                &expected.to_string(),
                &mismatch,
            );
        }
        self
    }

    /// Asserts that the body is exactly this text.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_text(r#"{"id":1}"#);
    /// ```
    #[track_caller]
    pub fn assert_text(&self, expected: &str) -> &Self {
        if self.bytes().as_ref() != expected.as_bytes() {
            self.fail("body", &format!("{expected:?}"), &format_body(self.bytes()));
        }
        self
    }

    /// Asserts that the body is exactly these bytes.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, DriverResponse, Protocol, TestResponse};
    /// # let request = http::Request::builder().uri("/todos").body(bytes::Bytes::new()).unwrap();
    /// # let response = http::Response::builder().status(201)
    /// #     .header("content-type", "application/json").header("x-a", "1").header("x-a", "2")
    /// #     .body(bytes::Bytes::from(r#"{"id":1}"#)).unwrap();
    /// # let delivered = DriverResponse::new(response, Protocol::Http1)
    /// #     .with_note(AdapterNote::new("base64", "the body travelled base64-encoded"));
    /// # let r = TestResponse::new("http1", request, delivered);
    /// // 201, content-type: application/json, x-a: 1, x-a: 2, body {"id":1}, through http1
    /// r.assert_bytes(br#"{"id":1}"#);
    /// ```
    #[track_caller]
    pub fn assert_bytes(&self, expected: &[u8]) -> &Self {
        if self.bytes().as_ref() != expected {
            let first_difference = self
                .bytes()
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| self.bytes().len().min(expected.len()));
            self.fail(
                "body bytes",
                &format!("{} bytes", expected.len()),
                &format!(
                    "{} bytes, first difference at offset {first_difference}",
                    self.bytes().len()
                ),
            );
        }
        self
    }

    /// Fails the test with the standard report.
    #[track_caller]
    fn fail(&self, what: &str, expected: &str, received: &str) -> ! {
        panic!("{}", self.report(what, expected, received))
    }

    /// The failure report printed by every assertion: what was checked,
    /// expected and received, then the driver, the request and the whole
    /// response.
    ///
    /// ```
    /// use crossdrive_core::{DriverResponse, Protocol, TestResponse};
    /// let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    ///     DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::InProcess));
    /// assert!(r.report("status", "201", "200 OK").contains("driver: direct (in-process)"));
    /// ```
    pub fn report(&self, what: &str, expected: &str, received: &str) -> String {
        self.report_with(what, expected, received, "")
    }

    /// [`report`](Self::report) with `detail` (a diff) after `received`.
    fn report_with(&self, what: &str, expected: &str, received: &str, detail: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "crossdrive assertion failed: {what}");
        let _ = writeln!(out, "  expected: {expected}");
        let _ = writeln!(out, "  received: {received}");
        for line in detail.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(
            out,
            "driver: {} ({})",
            self.exchange.driver, self.exchange.protocol
        );
        for note in &self.exchange.notes {
            let _ = writeln!(out, "adapter note: {note}");
        }
        let _ = writeln!(out, "request:");
        let _ = writeln!(
            out,
            "  {} {}",
            self.exchange.request.method(),
            self.exchange.request.uri()
        );
        write_headers(&mut out, self.exchange.request.headers());
        write_body(&mut out, self.exchange.request.body());
        let _ = writeln!(out, "response:");
        let _ = writeln!(out, "  {}", self.status());
        write_headers(&mut out, self.headers());
        write_body(&mut out, self.bytes());
        let redacted = redact::redacts_any(self.exchange.request.headers())
            || redact::redacts_any(self.headers())
            || [expected, received]
                .iter()
                .any(|v| v.contains(redact::MARK));
        if let Some(footer) = redact::footer(redacted) {
            let _ = writeln!(out, "{footer}");
        }
        out
    }

    /// Whether the header `name` is secret in this exchange: by name, or
    /// because a value of it is marked sensitive (by the app in process, or
    /// by the client's [`sensitive_header`](crate::Client::sensitive_header)).
    fn is_secret_header(&self, name: &str) -> bool {
        redact::is_always_secret(name)
            || self
                .headers()
                .get_all(name)
                .iter()
                .any(http::HeaderValue::is_sensitive)
    }

    /// `expected` and `received` values of the header `name` as a report
    /// shows them: redacted when the header is secret.
    fn for_report(
        &self,
        name: &str,
        expected: &[&str],
        received: &[&str],
    ) -> (Vec<String>, Vec<String>) {
        let secret = self.is_secret_header(name);
        let shown = |values: &[&str]| -> Vec<String> {
            values
                .iter()
                .map(|v| {
                    if secret {
                        redact::hidden_text(name, v)
                    } else {
                        (*v).to_owned()
                    }
                })
                .collect()
        };
        (shown(expected), shown(received))
    }

    /// `described` with where one secret value differs from the one
    /// expected, when both are redacted to the same length.
    fn with_difference(
        &self,
        name: &str,
        expected: &[&str],
        received: &[&str],
        described: String,
    ) -> String {
        match (expected, received) {
            ([want], [got]) if self.is_secret_header(name) && !redact::show_secrets() => {
                let difference = redact::compared(want, got);
                if difference.is_empty() {
                    described
                } else {
                    format!("{described} ({difference})")
                }
            }
            _ => described,
        }
    }
}

/// Like `Display`, every secret header value redacted (see
/// [`crate::redact`]): a `{:?}` in a failing test's message, or the
/// `Ok` value an `unwrap_err()` prints, is a failure report too.
impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = |headers: &HeaderMap| -> Vec<String> {
            headers
                .iter()
                .map(|(name, value)| format!("{name}: {}", redact::shown(name, value)))
                .collect()
        };
        f.debug_struct("TestResponse")
            .field("driver", &self.exchange.driver)
            .field("protocol", &self.exchange.protocol)
            .field(
                "request",
                &format_args!(
                    "{} {}",
                    self.exchange.request.method(),
                    self.exchange.request.uri()
                ),
            )
            .field("request_headers", &headers(self.exchange.request.headers()))
            .field("request_body", &format_body(self.exchange.request.body()))
            .field("status", &self.status())
            .field("headers", &headers(self.headers()))
            .field("body", &format_body(self.bytes()))
            .field("notes", &self.exchange.notes)
            .finish()
    }
}

impl fmt::Display for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "{} ({})", self.status(), self.exchange.driver);
        for note in &self.exchange.notes {
            let _ = writeln!(out, "adapter note: {note}");
        }
        write_headers(&mut out, self.headers());
        write_body(&mut out, self.bytes());
        f.write_str(&out)
    }
}

/// Where `received` first fails to contain `expected` (see
/// [`TestResponse::assert_json_contains`]), as `at $.path: what`.
fn json_contains(
    expected: &serde_json::Value,
    received: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    use serde_json::Value;
    match (expected, received) {
        (Value::Object(expected), Value::Object(received)) => {
            for (key, want) in expected {
                let at = format!("{path}.{key}");
                match received.get(key) {
                    Some(got) => json_contains(want, got, &at)?,
                    None => return Err(format!("at {at}: missing, expected {want}")),
                }
            }
            Ok(())
        }
        (Value::Array(expected), Value::Array(received)) => {
            if expected.len() != received.len() {
                return Err(format!(
                    "at {path}: {} elements, expected {}",
                    received.len(),
                    expected.len()
                ));
            }
            for (i, (want, got)) in expected.iter().zip(received).enumerate() {
                json_contains(want, got, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (want, got) if want == got => Ok(()),
        (want, got) => Err(format!("at {path}: {got}, expected {want}")),
    }
}

/// A unified line diff of both values pretty-printed, so a difference deep
/// in a large body shows as the lines that differ.
fn json_diff(expected: &serde_json::Value, received: &serde_json::Value) -> String {
    let pretty = |v: &serde_json::Value| {
        let mut text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
        text.push('\n');
        text
    };
    let (expected, received) = (pretty(expected), pretty(received));
    let diff = similar::TextDiff::from_lines(&expected, &received)
        .unified_diff()
        .context_radius(3)
        .header("expected", "received")
        .to_string();
    format!("diff:\n{diff}")
}

fn describe_values<S: AsRef<str> + fmt::Debug>(values: &[S]) -> String {
    match values {
        [] => "absent".to_owned(),
        [one] => format!("{one:?} (once)"),
        many => format!("{} values {many:?}", many.len()),
    }
}

/// Every header as `name: value`, secret values redacted (see
/// [`crate::redact`]).
fn write_headers(out: &mut String, headers: &HeaderMap) {
    for (name, value) in headers {
        let _ = writeln!(out, "  {name}: {}", redact::shown(name, value));
    }
}

fn write_body(out: &mut String, body: &Bytes) {
    if body.is_empty() {
        let _ = writeln!(out, "  (empty body)");
    } else {
        let _ = writeln!(out, "  body: {}", format_body(body));
    }
}

/// A body as a person wants to read it in a failure: text when it is UTF-8,
/// a hex preview otherwise, abbreviated past [`BODY_PREVIEW`] bytes.
fn format_body(body: &Bytes) -> String {
    let shown = &body[..body.len().min(BODY_PREVIEW)];
    let rest = body.len() - shown.len();
    let suffix = if rest > 0 {
        format!(" … ({rest} more bytes, {} in all)", body.len())
    } else {
        String::new()
    };
    match std::str::from_utf8(shown) {
        Ok(text) => format!("{text}{suffix}"),
        Err(_) => {
            let hex: Vec<String> = shown.iter().take(64).map(|b| format!("{b:02x}")).collect();
            format!(
                "<{} bytes, not UTF-8> {}{}",
                body.len(),
                hex.join(" "),
                if body.len() > 64 { " …" } else { "" }
            )
        }
    }
}
