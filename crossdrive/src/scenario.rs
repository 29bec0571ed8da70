//! Scenarios as data: the requests a benchmark row sends and the answers
//! it must get, declared once and run by the bench, by a `suite!` test, or
//! by anything else that can send a request.
//!
//! A [`Scenario`] has a snake_case name, optional *setup* steps (run once
//! per app instance, untimed, before anything is measured) and one or more
//! *steps* per iteration. Each [`Step`] is a request (method, path with
//! query, headers, body) and the response it must get (a status, and
//! optionally a body length and header values). Steps are timed unless
//! marked [`untimed`](Step::untimed), which suits per-iteration setup such
//! as creating the to-do a timed `DELETE` removes.
//!
//! ```
//! use crossdrive::scenario::{Scenario, Step};
//!
//! let scenarios = vec![
//!     Scenario::new("list_items").step(Step::get("/items").expect(200)),
//!     // Create one to-do per iteration (untimed), then time its DELETE.
//!     Scenario::new("delete_item")
//!         .step(Step::put("/items/{n}").json(r#"{"title":"doomed"}"#).expect(201).untimed())
//!         .step(Step::delete("/items/{n}").expect(204)),
//!     // Seed once per app, remember the ETag, then time the conditional GET.
//!     Scenario::new("conditional_get")
//!         .setup(Step::put("/items/1").json(r#"{"title":"seed"}"#).expect(201).capture("etag", "etag"))
//!         .step(Step::get("/items/1").header("if-none-match", "{etag}").expect(304)),
//! ];
//! assert!(scenarios.iter().all(|s| s.validate().is_ok()));
//! ```
//!
//! # Templates
//!
//! The target and header values of a step may hold variables, substituted
//! untimed before the stopwatch starts: `{n}`, the iteration number (1, 2,
//! ...; unique within one app instance, 0 in setup steps), and `{name}`
//! for a value an earlier step [captured](Step::capture) from a response
//! header (a setup step's captures are seen by every iteration). Anything
//! else in braces, such as JSON, is left as written. Bodies are never
//! templated, so a 1 MiB body is shared, not copied, per request.
//!
//! # Checking every answer
//!
//! Running a scenario times only its timed steps' exchanges but checks
//! *every* response, timed or not, against its expectation: a driver that
//! answers wrongly fails the run with a [`ScenarioError`] naming the
//! scenario, the step, what was expected and what came back (with the
//! first bytes of the body), so no table shows the time of a wrong
//! answer. [`Scenario::check`] runs setup and one iteration through a
//! [`Client`] and panics with that message, so the very scenarios a bench
//! measures also run as tests on every driver.

use std::fmt;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};

use crate::bench::{Exchange, Sample, Stopwatch};
use crate::{Client, Error, IntoStatus};

/// A named sequence of requests and the answers they must get: one row of
/// a latency table.
///
/// ```
/// use crossdrive::Scenario;
/// use crossdrive::scenario::Step;
///
/// let hello = Scenario::new("simple_get").step(Step::get("/hello").expect(200));
/// assert_eq!(hello.name(), "simple_get");
/// let wrong = Scenario::new("Simple GET").step(Step::get("/hello").expect(200));
/// assert!(wrong.validate().unwrap_err().to_string().contains("snake_case"));
/// ```
#[derive(Debug, Clone)]
pub struct Scenario {
    name: String,
    setup: Vec<Step>,
    steps: Vec<Step>,
}

/// One request of a scenario and the response it must get.
///
/// ```
/// use crossdrive::scenario::Step;
/// let step = Step::post("/echo")
///     .json(&serde_json::json!({"data": "x"}))
///     .expect(200)
///     .expect_body_len(12)
///     .expect_header("content-type", "application/json");
/// # let _ = step;
/// ```
#[derive(Debug, Clone)]
pub struct Step {
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    status: Option<Result<StatusCode, String>>,
    body_len: Option<usize>,
    expect_headers: Vec<(String, String)>,
    captures: Vec<(String, String)>,
    timed: bool,
    streamed: bool,
    error: Option<String>,
}

/// A body that [`Step::json`] accepts: JSON text as written (`&str`,
/// `String`) or a [`serde_json::Value`].
///
/// ```
/// use crossdrive::scenario::JsonBody;
/// assert_eq!(r#"{"a":1}"#.into_json().unwrap(), r#"{"a":1}"#);
/// assert_eq!(serde_json::json!([1, 2]).into_json().unwrap(), "[1,2]");
/// assert!("{oops".into_json().unwrap_err().contains("not JSON"));
/// ```
pub trait JsonBody {
    /// The body's bytes, or why it is not JSON.
    fn into_json(self) -> Result<Bytes, String>;
}

impl JsonBody for &str {
    fn into_json(self) -> Result<Bytes, String> {
        self.to_owned().into_json()
    }
}

impl JsonBody for String {
    fn into_json(self) -> Result<Bytes, String> {
        match serde_json::from_str::<serde::de::IgnoredAny>(&self) {
            Ok(_) => Ok(Bytes::from(self)),
            Err(e) => Err(format!("the .json body is not JSON ({e})")),
        }
    }
}

impl JsonBody for &serde_json::Value {
    fn into_json(self) -> Result<Bytes, String> {
        serde_json::to_vec(self)
            .map(Bytes::from)
            .map_err(|e| format!("the .json body could not be serialized ({e})"))
    }
}

impl JsonBody for serde_json::Value {
    fn into_json(self) -> Result<Bytes, String> {
        (&self).into_json()
    }
}

impl Step {
    /// A request with any method to `target`, a path with an optional
    /// query (`/todos/{n}?verbose=1`).
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::new(http::Method::OPTIONS, "/items")
    ///     .expect(200)
    ///     .expect_header("x-method", "OPTIONS");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Self {
            method,
            target: target.into(),
            headers: Vec::new(),
            body: Bytes::new(),
            status: None,
            body_len: None,
            expect_headers: Vec::new(),
            captures: Vec::new(),
            timed: true,
            streamed: false,
            error: None,
        }
    }

    /// A `GET`.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::get("/items").expect(200).expect_header("x-method", "GET");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn get(target: impl Into<String>) -> Self {
        Self::new(Method::GET, target)
    }
    /// A `POST`.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::post("/items").expect(200).expect_header("x-method", "POST");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn post(target: impl Into<String>) -> Self {
        Self::new(Method::POST, target)
    }
    /// A `PUT`.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::put("/items/1").expect(200).expect_header("x-method", "PUT");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn put(target: impl Into<String>) -> Self {
        Self::new(Method::PUT, target)
    }
    /// A `PATCH`.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::patch("/items/1").expect(200).expect_header("x-method", "PATCH");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn patch(target: impl Into<String>) -> Self {
        Self::new(Method::PATCH, target)
    }
    /// A `DELETE`.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::delete("/items/1").expect(200).expect_header("x-method", "DELETE");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    pub fn delete(target: impl Into<String>) -> Self {
        Self::new(Method::DELETE, target)
    }

    /// Adds a request header; the value may hold `{n}` and captured
    /// variables.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// // The mirror echoes request headers; {n} is 1 in the first iteration.
    /// let step = Step::get("/").header("x-iteration", "{n}")
    ///     .expect(200)
    ///     .expect_header("x-iteration", "1");
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.headers
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Sets the request body, as given.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let step = Step::post("/upload").body(vec![0u8; 16]).expect(200).expect_body_len(16);
    /// assert!(Scenario::new("s").step(step).try_check(&client).await.is_ok());
    /// # });
    /// ```
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body with `Content-Type: application/json`: JSON text
    /// as written, or a [`serde_json::Value`].
    ///
    /// ```
    /// use crossdrive::scenario::Step;
    /// let a = Step::post("/todos").json(r#"{"title":"a"}"#);
    /// let b = Step::post("/todos").json(&serde_json::json!({"title": "b"}));
    /// # let _ = (a, b);
    /// ```
    #[must_use]
    pub fn json(mut self, body: impl JsonBody) -> Self {
        match body.into_json() {
            Ok(bytes) => self.body = bytes,
            Err(e) => self.error = Some(e),
        }
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            self.headers
                .push((CONTENT_TYPE.as_str().to_owned(), "application/json".into()));
        }
        self
    }

    /// The status the response must have (a `StatusCode` or a number).
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(404));
    /// let e = s.try_check(&client).await.unwrap_err();
    /// assert!(e.to_string().contains("expected status 404 Not Found, got status 200 OK"));
    /// assert!(Scenario::new("s").step(Step::get("/").expect(1000)).validate().is_err());
    /// # });
    /// ```
    #[must_use]
    pub fn expect(mut self, status: impl IntoStatus + fmt::Debug + Copy) -> Self {
        self.status = Some(
            status
                .into_status()
                .ok_or_else(|| format!("{status:?} is not an HTTP status; use 100 to 999")),
        );
        self
    }

    /// The exact length the response body must have, in bytes.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::post("/").body("abc").expect(200).expect_body_len(4));
    /// let e = s.try_check(&client).await.unwrap_err();
    /// assert!(e.to_string().contains("expected a 4-byte body"));
    /// # });
    /// ```
    #[must_use]
    pub fn expect_body_len(mut self, bytes: usize) -> Self {
        self.body_len = Some(bytes);
        self
    }

    /// A header the response must carry with this value (any of its
    /// values, if repeated).
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let ok = Step::get("/").expect(200).expect_header("x-method", "GET");
    /// assert!(Scenario::new("s").step(ok).try_check(&client).await.is_ok());
    /// let wrong = Step::get("/").expect(200).expect_header("x-method", "POST");
    /// assert!(Scenario::new("s").step(wrong).try_check(&client).await.is_err());
    /// # });
    /// ```
    #[must_use]
    pub fn expect_header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.expect_headers
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Remembers the response's `header` as `{variable}` for later steps
    /// (of this iteration; of every iteration when this is a setup step).
    /// The response must carry the header.
    ///
    /// ```
    /// use crossdrive::scenario::Step;
    /// let create = Step::post("/todos").json(r#"{"title":"x"}"#).expect(201).capture("location", "location");
    /// let read = Step::get("{location}").expect(200);
    /// # let _ = (create, read);
    /// ```
    #[must_use]
    pub fn capture(mut self, variable: impl Into<String>, header: impl AsRef<str>) -> Self {
        self.captures
            .push((variable.into(), header.as_ref().to_owned()));
        self
    }

    /// Leaves this step out of the timing: it still runs and its response
    /// is still checked.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let only_setup = Scenario::new("s").step(Step::get("/").expect(200).untimed());
    /// assert!(only_setup.validate().unwrap_err().to_string().contains("no timed step"));
    /// let mixed = Scenario::new("s")
    ///     .step(Step::put("/x").expect(201).untimed())
    ///     .step(Step::get("/x").expect(200));
    /// assert!(mixed.validate().is_ok());
    /// ```
    #[must_use]
    pub fn untimed(mut self) -> Self {
        self.timed = false;
        self
    }

    /// Reads this step's response as it arrives, so the bench reports its
    /// time to first byte (and to last byte, the usual latency) beside
    /// p50/p95/p99: through [`Driver::stream`](crate::Driver::stream) on a
    /// driver, and on the floors that can stream. A buffering driver's
    /// first byte arrives with its last, which is what the row then shows.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let events = Scenario::new("sse_first_event").step(Step::get("/events?n=2").expect(200).streamed());
    /// assert!(events.validate().is_ok());
    /// ```
    #[must_use]
    pub fn streamed(mut self) -> Self {
        self.streamed = true;
        self
    }
}

impl Scenario {
    /// An empty scenario named `name` (snake_case, checked by
    /// [`validate`](Self::validate)); add steps with [`step`](Self::step).
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("list_items");
    /// assert_eq!(s.name(), "list_items");
    /// assert!(s.validate().is_err()); // no step yet
    /// assert!(s.step(Step::get("/items").expect(200)).validate().is_ok());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            setup: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Adds a setup step: run once per app instance, untimed, before any
    /// iteration.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let read = Step::get("/items/1").header("if-none-match", "{etag}").expect(304);
    /// assert!(Scenario::new("cond").step(read.clone()).validate().is_err()); // {etag} undefined
    /// let seed = Step::put("/items/1").expect(201).capture("etag", "etag");
    /// assert!(Scenario::new("cond").setup(seed).step(read).validate().is_ok());
    /// ```
    #[must_use]
    pub fn setup(mut self, step: Step) -> Self {
        self.setup.push(step);
        self
    }

    /// Adds a step to every iteration.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("create_then_read")
    ///     .step(Step::post("/items").expect(201))
    ///     .step(Step::get("/items").expect(200));
    /// assert!(s.validate().is_ok());
    /// ```
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// The scenario's name.
    ///
    /// ```
    /// use crossdrive::Scenario;
    /// assert_eq!(Scenario::new("simple_get").name(), "simple_get");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the scenario without running it: a snake_case name, at
    /// least one timed step, an expected status on every step, valid
    /// header names and values, and only variables that are defined.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("read").step(Step::get("/todos/{id}").expect(200));
    /// let error = s.validate().unwrap_err().to_string();
    /// assert!(error.contains("{id}"), "{error}");
    /// ```
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.compile().map(|_| ())
    }

    fn compile(&self) -> Result<Compiled, ScenarioError> {
        let invalid = |message: String| ScenarioError::invalid(&self.name, message);
        check_name(&self.name).map_err(invalid)?;
        if !self.steps.iter().any(|s| s.timed) {
            return Err(invalid(format!(
                "scenario `{}` has no timed step; add one with .step(Step::get(..).expect(..)), \
                 which is timed unless marked .untimed()",
                self.name
            )));
        }
        let mut known = vec!["n".to_owned()];
        let mut compile_all = |steps: &[Step], phase: Phase| {
            steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let compiled = CompiledStep::new(step, phase, i + 1, &known)
                        .map_err(|m| invalid(format!("scenario `{}`, {m}", self.name)))?;
                    known.extend(compiled.captures.iter().map(|(v, _)| v.clone()));
                    Ok(compiled)
                })
                .collect::<Result<Vec<_>, ScenarioError>>()
        };
        let setup = compile_all(&self.setup, Phase::Setup)?;
        let steps = compile_all(&self.steps, Phase::Iteration)?;
        Ok(Compiled {
            name: self.name.clone(),
            setup,
            steps,
        })
    }

    /// Prepares one app instance for measuring: checks the scenario and
    /// runs its setup steps through `exchange` (untimed, every answer
    /// checked). Then [`Prepared::run`] runs iterations.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let prepared = s.prepare(&Mirror).await.unwrap();
    /// assert_eq!(prepared.name(), "s");
    /// assert!(prepared.run(&Mirror, 1).await.is_ok());
    /// # });
    /// ```
    pub async fn prepare<E: Exchange + ?Sized>(
        &self,
        exchange: &E,
    ) -> Result<Prepared, ScenarioError> {
        let compiled = self.compile()?;
        let mut vars = Vars::default();
        for step in &compiled.setup {
            step.run(&compiled.name, exchange, &mut vars, 0).await?;
        }
        Ok(Prepared { compiled, vars })
    }

    /// Runs setup and one iteration through `client`'s driver and panics,
    /// with the message a bench would print, if any answer is not the one
    /// declared. The same scenarios then run as `suite!` tests:
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Ok200;
    /// # impl Driver for Ok200 {
    /// #     fn name(&self) -> &str { "ok" }
    /// #     fn send(&self, _: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         Box::pin(async { Ok(DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::InProcess)) })
    /// #     }
    /// # }
    /// use crossdrive::scenario::{Scenario, Step};
    /// fn scenarios() -> Vec<Scenario> {
    ///     vec![Scenario::new("ok").step(Step::get("/").expect(200))]
    /// }
    /// # let client = Client::new(Ok200);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// // inside `async fn bench_scenarios_answer_as_declared(client: Client)`:
    /// for s in scenarios() {
    ///     s.check(&client).await;
    /// }
    /// # });
    /// ```
    ///
    /// ```should_panic
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// // The mirror answers 200, not 404: check panics with the scenario's message.
    /// Scenario::new("s").step(Step::get("/").expect(404)).check(&client).await;
    /// # });
    /// ```
    // No #[track_caller]: on an `async fn` it is a no-op (rustc warns,
    // issue 110011), so this panic points here; the message names the
    // scenario and step instead.
    pub async fn check(&self, client: &Client) {
        if let Err(e) = self.try_check(client).await {
            panic!("{e} (driver {})", client.name());
        }
    }

    /// [`check`](Self::check), returning the error instead of panicking.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let ok = Scenario::new("s").step(Step::get("/").expect(200));
    /// assert!(ok.try_check(&client).await.is_ok());
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(201));
    /// assert_eq!(wrong.try_check(&client).await.unwrap_err().response().unwrap().status(), 200);
    /// # });
    /// ```
    pub async fn try_check(&self, client: &Client) -> Result<(), ScenarioError> {
        let driver = &**client.driver();
        let prepared = self.prepare(driver).await?;
        prepared.run(driver, 1).await.map(|_| ())
    }
}

/// A scenario ready to run on one app instance: checked, its setup done
/// and its captures kept.
///
/// ```
/// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
/// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
/// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
/// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
/// #         let (p, body) = r.into_parts();
/// #         let mut out = http::Response::new(body);
/// #         *out.headers_mut() = p.headers;
/// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
/// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
/// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
/// # let client = Client::new(Mirror);
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// # use crossdrive::scenario::{Scenario, Step};
/// let step = Step::get("/items/{n}").expect(200).expect_header("x-uri", "/items/7");
/// let s = Scenario::new("s").step(step);
/// let prepared = s.prepare(&Mirror).await.unwrap();
/// assert!(prepared.run(&Mirror, 7).await.is_ok());
/// assert!(prepared.run(&Mirror, 8).await.is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Prepared {
    compiled: Compiled,
    vars: Vars,
}

impl Prepared {
    /// The scenario's name.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("simple_get").step(Step::get("/").expect(200));
    /// assert_eq!(s.prepare(&Mirror).await.unwrap().name(), "simple_get");
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        &self.compiled.name
    }

    /// Runs iteration `n` (unique within the app instance) through
    /// `exchange`: the timed steps' exchanges are timed and summed into
    /// one [`Sample`], every response is checked.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let prepared = s.prepare(&Mirror).await.unwrap();
    /// let sample = prepared.run(&Mirror, 1).await.unwrap();
    /// assert!(sample.elapsed < std::time::Duration::from_secs(1));
    /// # });
    /// ```
    pub async fn run<E: Exchange + ?Sized>(
        &self,
        exchange: &E,
        n: u64,
    ) -> Result<Sample, ScenarioError> {
        let mut vars = self.vars.clone();
        let mut total = Sample::default();
        for step in &self.compiled.steps {
            if let Some(sample) = step
                .run(&self.compiled.name, exchange, &mut vars, n)
                .await?
            {
                // The scenario's first byte: the first streamed step's,
                // after every timed step before it.
                if total.first_byte.is_none()
                    && let Some(first) = sample.first_byte
                {
                    total.first_byte = Some(total.elapsed + first);
                }
                total.elapsed += sample.elapsed;
                total.allocs += sample.allocs;
                total.bytes += sample.bytes;
            }
        }
        Ok(total)
    }
}

/// Why a scenario could not run, or the answer that was not the one
/// declared.
///
/// ```
/// use crossdrive::scenario::{Scenario, Step};
/// let error = Scenario::new("x").validate().unwrap_err();
/// assert_eq!(error.scenario(), "x");
/// assert!(error.response().is_none());
/// ```
#[derive(Debug)]
pub struct ScenarioError {
    scenario: String,
    message: String,
    failure: Failure,
}

#[derive(Debug)]
enum Failure {
    /// The scenario itself is malformed.
    Invalid,
    /// The request could not be exchanged.
    Transport(Error),
    /// The answer was not the declared one.
    Mismatch(Box<Mismatch>),
}

#[derive(Debug)]
struct Mismatch {
    response: Response<Bytes>,
    /// `step 1 (GET /hello)`.
    step: String,
    /// What the step declared and the answer lacked: `status 201 Created`.
    expected: String,
}

impl ScenarioError {
    fn invalid(scenario: &str, message: String) -> Self {
        Self {
            scenario: scenario.to_owned(),
            message,
            failure: Failure::Invalid,
        }
    }

    /// The scenario's name.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let e = Scenario::new("Bad Name").step(Step::get("/").expect(200)).validate().unwrap_err();
    /// assert_eq!(e.scenario(), "Bad Name");
    /// ```
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// True when the scenario itself is malformed (a bad name, an unknown
    /// variable, an invalid header), before any request was sent.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// assert!(Scenario::new("s").validate().unwrap_err().is_invalid());
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(404));
    /// assert!(!wrong.try_check(&client).await.unwrap_err().is_invalid());
    /// # });
    /// ```
    pub fn is_invalid(&self) -> bool {
        matches!(self.failure, Failure::Invalid)
    }

    /// The driver's error, when the request could not be exchanged at all.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, ErrorKind};
    /// # struct Down;
    /// # impl Driver for Down { fn name(&self) -> &str { "down" }
    /// #     fn send(&self, _: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         Box::pin(async { Err(Error::without_request(ErrorKind::Connection, "down", "refused")) }) } }
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let e = s.try_check(&Client::new(Down)).await.unwrap_err();
    /// assert!(e.transport().unwrap().is_connection());
    /// assert!(e.response().is_none());
    /// # });
    /// ```
    pub fn transport(&self) -> Option<&Error> {
        match &self.failure {
            Failure::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// The response that did not match its expectation (with the
    /// driver's extensions, such as why an adapter refused it).
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body and headers, plus x-method and x-uri
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let (p, body) = r.into_parts();
    /// #         let mut out = http::Response::new(body);
    /// #         *out.headers_mut() = p.headers;
    /// #         out.headers_mut().insert("x-method", p.method.as_str().parse().unwrap());
    /// #         out.headers_mut().insert("x-uri", p.uri.to_string().parse().unwrap());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let wrong = Scenario::new("s").step(Step::post("/").body("hi").expect(201));
    /// let e = wrong.try_check(&client).await.unwrap_err();
    /// assert_eq!(e.response().unwrap().body().as_ref(), b"hi");
    /// assert!(e.transport().is_none());
    /// # });
    /// ```
    pub fn response(&self) -> Option<&Response<Bytes>> {
        match &self.failure {
            Failure::Mismatch(m) => Some(&m.response),
            _ => None,
        }
    }

    /// When the answer was not the declared one: the step it answered
    /// (`step 1 (GET /)`) and what that step declared and the answer
    /// lacked (`status 201 Created`). The bench compares these across
    /// drivers to tell a wrong scenario or app (the same on every driver)
    /// from a driver's mistake.
    ///
    /// ```
    /// # use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
    /// # struct Mirror; // 200 with the request's body
    /// # impl Driver for Mirror { fn name(&self) -> &str { "mirror" }
    /// #     fn send(&self, r: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    /// #         let out = http::Response::new(r.into_body());
    /// #         Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) }) } }
    /// # let client = Client::new(Mirror);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(201));
    /// let e = wrong.try_check(&client).await.unwrap_err();
    /// assert_eq!(e.mismatch(), Some(("step 1 (GET /)", "status 201 Created")));
    /// # });
    /// ```
    pub fn mismatch(&self) -> Option<(&str, &str)> {
        match &self.failure {
            Failure::Mismatch(m) => Some((&m.step, &m.expected)),
            _ => None,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.failure {
            Failure::Transport(e) => Some(e),
            _ => None,
        }
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok {
        return Ok(());
    }
    let suggestion: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let suggestion = suggestion.trim_matches('_');
    let hint = if suggestion.is_empty() || !suggestion.starts_with(|c: char| c.is_ascii_lowercase())
    {
        "such as simple_get".to_owned()
    } else {
        format!("such as `{suggestion}`")
    };
    Err(format!(
        "scenario name `{name}` is not snake_case; name it with lowercase letters, digits and `_`, \
         starting with a letter, {hint}"
    ))
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Setup,
    Iteration,
}

#[derive(Debug, Clone)]
struct Compiled {
    name: String,
    setup: Vec<CompiledStep>,
    steps: Vec<CompiledStep>,
}

#[derive(Debug, Clone, Default)]
struct Vars(Vec<(String, String)>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }
}

/// A target or header value, split into literal text and variables.
#[derive(Debug, Clone)]
struct Template(Vec<Piece>);

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(String),
}

impl Template {
    fn parse(text: &str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let var = after.find('}').map(|close| &after[..close]).filter(|v| {
                v.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && v.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
            match var {
                Some(var) => {
                    pieces.push(Piece::Text(rest[..open].to_owned()));
                    pieces.push(Piece::Var(var.to_owned()));
                    rest = &after[var.len() + 1..];
                }
                None => {
                    pieces.push(Piece::Text(rest[..=open].to_owned()));
                    rest = after;
                }
            }
        }
        pieces.push(Piece::Text(rest.to_owned()));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        Self(pieces)
    }

    fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            Piece::Text(_) => None,
        })
    }

    fn is_fixed(&self) -> bool {
        self.vars().next().is_none()
    }

    fn render(&self, vars: &Vars, n: u64) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) if v == "n" => out.push_str(&n.to_string()),
                // Compile checked every variable is defined before use.
                Piece::Var(v) => out.push_str(vars.get(v).unwrap_or_default()),
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
struct CompiledStep {
    /// `step 2 (DELETE /todos/{n})`, for messages.
    label: String,
    method: Method,
    target: Template,
    /// The target, parsed once when it has no variables.
    fixed_uri: Option<Uri>,
    headers: Vec<(HeaderName, Template, Option<HeaderValue>)>,
    body: Bytes,
    status: StatusCode,
    body_len: Option<usize>,
    expect_headers: Vec<(HeaderName, String)>,
    captures: Vec<(String, HeaderName)>,
    timed: bool,
    streamed: bool,
}

fn header_name(name: &str, label: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        format!("{label}: `{name}` is not a valid header name; use a token such as x-request-id")
    })
}

impl CompiledStep {
    fn new(step: &Step, phase: Phase, index: usize, known: &[String]) -> Result<Self, String> {
        let label = match phase {
            Phase::Setup => format!("setup step {index} ({} {})", step.method, step.target),
            Phase::Iteration => format!("step {index} ({} {})", step.method, step.target),
        };
        if let Some(e) = &step.error {
            return Err(format!("{label}: {e}"));
        }
        let status = match &step.status {
            Some(Ok(status)) => *status,
            Some(Err(e)) => return Err(format!("{label}: {e}")),
            None => {
                return Err(format!(
                    "{label} declares no expected status; add .expect(200) or the status it must get"
                ));
            }
        };
        let target = Template::parse(&step.target);
        let fixed_uri = if target.is_fixed() {
            Some(parse_target(&step.target).map_err(|e| format!("{label}: {e}"))?)
        } else {
            None
        };
        let mut headers = Vec::new();
        for (name, value) in &step.headers {
            let name = header_name(name, &label)?;
            let template = Template::parse(value);
            let fixed = if template.is_fixed() {
                Some(HeaderValue::from_str(value).map_err(|_| {
                    format!("{label}: the value of `{name}` is not a valid header value; remove control characters")
                })?)
            } else {
                None
            };
            headers.push((name, template, fixed));
        }
        let templates = std::iter::once(&target).chain(headers.iter().map(|(_, t, _)| t));
        for var in templates.flat_map(Template::vars) {
            if !known.iter().any(|k| k == var) {
                let defined: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
                return Err(format!(
                    "{label} uses `{{{var}}}`, which no earlier step captures; capture it with \
                     .capture(\"{var}\", <header>) on an earlier step, or use one of: {}",
                    defined.join(", ")
                ));
            }
        }
        let expect_headers = step
            .expect_headers
            .iter()
            .map(|(n, v)| Ok((header_name(n, &label)?, v.clone())))
            .collect::<Result<_, String>>()?;
        let captures = step
            .captures
            .iter()
            .map(|(var, header)| {
                let snake = var.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && var
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if var == "n" || !snake {
                    return Err(format!(
                        "{label}: `{var}` cannot name a captured variable; use a snake_case name other than `n`, such as etag"
                    ));
                }
                Ok((var.clone(), header_name(header, &label)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            label,
            method: step.method.clone(),
            target,
            fixed_uri,
            headers,
            body: step.body.clone(),
            status,
            body_len: step.body_len,
            expect_headers,
            captures,
            timed: step.timed,
            streamed: step.streamed,
        })
    }

    fn request(
        &self,
        scenario: &str,
        vars: &Vars,
        n: u64,
    ) -> Result<Request<Bytes>, ScenarioError> {
        let invalid = |m: String| {
            ScenarioError::invalid(
                scenario,
                format!("scenario `{scenario}`, {}: {m}", self.label),
            )
        };
        let uri = match &self.fixed_uri {
            Some(uri) => uri.clone(),
            None => parse_target(&self.target.render(vars, n)).map_err(invalid)?,
        };
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        for (name, template, fixed) in &self.headers {
            let value = match fixed {
                Some(v) => v.clone(),
                None => {
                    let text = template.render(vars, n);
                    HeaderValue::from_str(&text).map_err(|_| {
                        invalid(format!(
                            "`{name}: {text}` is not a valid header value once substituted"
                        ))
                    })?
                }
            };
            request.headers_mut().append(name.clone(), value);
        }
        Ok(request)
    }

    /// Sends the step, checks the answer and captures its variables;
    /// returns the timed cost when the step is timed.
    async fn run<E: Exchange + ?Sized>(
        &self,
        scenario: &str,
        exchange: &E,
        vars: &mut Vars,
        n: u64,
    ) -> Result<Option<Sample>, ScenarioError> {
        let request = self.request(scenario, vars, n)?;
        let (response, sample) = if self.timed && self.streamed {
            let watch = Stopwatch::start();
            let started = std::time::Instant::now();
            let exchanged = exchange.exchange_streaming(request).await;
            let mut sample = watch.stop();
            let response = exchanged.map(|(response, first)| {
                sample.first_byte = Some(first.saturating_duration_since(started));
                response
            });
            (response, Some(sample))
        } else if self.timed {
            let watch = Stopwatch::start();
            let response = exchange.exchange(request).await;
            let sample = watch.stop();
            (response, Some(sample))
        } else {
            (exchange.exchange(request).await, None)
        };
        let response = response.map_err(|e| ScenarioError {
            scenario: scenario.to_owned(),
            message: format!("scenario `{scenario}`, {}: {e}", self.label),
            failure: Failure::Transport(e),
        })?;
        let captured = self.verify(&response).map_err(|wanted| ScenarioError {
            scenario: scenario.to_owned(),
            message: mismatch(scenario, &self.label, &wanted, &response),
            failure: Failure::Mismatch(Box::new(Mismatch {
                response,
                step: self.label.clone(),
                expected: wanted,
            })),
        })?;
        for (var, value) in captured {
            vars.set(var, value);
        }
        Ok(sample)
    }

    /// The captured values, or what was expected and not found.
    fn verify<'a>(&'a self, response: &Response<Bytes>) -> Result<Vec<(&'a str, String)>, String> {
        if response.status() != self.status {
            return Err(format!("status {}", self.status));
        }
        if let Some(len) = self.body_len
            && response.body().len() != len
        {
            return Err(format!("a {len}-byte body"));
        }
        for (name, value) in &self.expect_headers {
            let found = response
                .headers()
                .get_all(name)
                .iter()
                .any(|v| v.as_bytes() == value.as_bytes());
            if !found {
                return Err(format!(
                    "header `{name}: {}`",
                    crate::redact::shown_text(name.as_str(), value)
                ));
            }
        }
        self.captures
            .iter()
            .map(|(var, header)| {
                response
                    .headers()
                    .get(header)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (var.as_str(), v.to_owned()))
                    .ok_or_else(|| format!("a `{header}` header to capture as {{{var}}}"))
            })
            .collect()
    }
}

fn parse_target(target: &str) -> Result<Uri, String> {
    if !target.starts_with('/') {
        return Err(format!(
            "the target `{target}` is not a path; write it as /path?query"
        ));
    }
    target
        .parse()
        .map_err(|e| format!("the target `{target}` is not a valid path and query ({e})"))
}

fn mismatch(scenario: &str, label: &str, wanted: &str, got: &Response<Bytes>) -> String {
    let body = got.body();
    let headers: Vec<String> = got
        .headers()
        .iter()
        .take(8)
        // Secret values redacted: this message goes to the bench's log.
        .map(|(n, v)| format!("{n}: {}", crate::redact::shown(n, v)))
        .collect();
    format!(
        "scenario `{scenario}`, {label}: expected {wanted}, got status {} with headers [{}] and a \
         {}-byte body starting {:?}; if every driver answers so, the scenario or the app is \
         wrong; if only this one does, run the test suite on this driver to find out why",
        got.status(),
        headers.join(", "),
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(160)])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_json_braces_and_find_variables() {
        let t = Template::parse(r#"/a/{n}/{location}?q={"x"}"#);
        assert_eq!(t.vars().collect::<Vec<_>>(), ["n", "location"]);
        let mut vars = Vars::default();
        vars.set("location", "L".into());
        assert_eq!(t.render(&vars, 7), r#"/a/7/L?q={"x"}"#);
    }

    #[test]
    fn a_name_that_is_not_snake_case_is_refused_with_a_suggestion() {
        let e = check_name("Simple GET").unwrap_err();
        assert!(e.contains("`simple_get`"), "{e}");
        assert!(check_name("payload_1kib").is_ok());
        assert!(check_name("1kib").is_err());
    }

    #[test]
    fn a_step_without_a_status_is_refused_saying_to_add_one() {
        let e = Scenario::new("a")
            .step(Step::get("/"))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains(".expect(200)"), "{e}");
    }

    #[test]
    fn a_scenario_of_untimed_steps_only_is_refused() {
        let e = Scenario::new("a")
            .step(Step::get("/").expect(200).untimed())
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("no timed step"), "{e}");
    }

    #[test]
    fn setup_captures_are_seen_by_every_iteration() {
        let s = Scenario::new("a")
            .setup(Step::put("/x").expect(201).capture("etag", "etag"))
            .step(
                Step::get("/x")
                    .header("if-none-match", "{etag}")
                    .expect(304),
            );
        assert!(s.validate().is_ok());
    }

    #[test]
    fn a_json_body_that_is_not_json_is_refused() {
        let e = Scenario::new("a")
            .step(Step::post("/").json("{oops").expect(200))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
