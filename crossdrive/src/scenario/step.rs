//! [`Step`]: one request of a scenario and the answer it must get, built
//! by chaining; [`JsonBody`], what [`Step::json`] accepts.

use std::fmt;

use bytes::Bytes;
use http::Method;
use http::StatusCode;
use http::header::CONTENT_TYPE;

use crate::IntoStatus;

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
    pub(super) method: Method,
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
    pub(super) status: Option<Result<StatusCode, String>>,
    pub(super) body_len: Option<usize>,
    pub(super) expect_headers: Vec<(String, String)>,
    pub(super) captures: Vec<(String, String)>,
    pub(super) timed: bool,
    pub(super) streamed: bool,
    pub(super) error: Option<String>,
    /// A WebSocket step's messages, each with the reply it must get.
    #[cfg(feature = "websocket")]
    pub(super) websocket: Option<WebSocketPlan>,
}

/// What a [`Step::websocket`] does once the app switched protocols.
#[cfg(feature = "websocket")]
#[derive(Debug, Clone, Default)]
pub(super) struct WebSocketPlan {
    /// Each message sent, with the reply it must get.
    pub(super) messages: Vec<(crate::websocket::Message, crate::websocket::Message)>,
    /// The connection stays open between iterations.
    pub(super) keep_open: bool,
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
            #[cfg(feature = "websocket")]
            websocket: None,
        }
    }

    /// A WebSocket to `target`: the opening handshake (a `GET` with this
    /// step's headers) must be accepted, then each [`message`](Self::message)
    /// is sent and must get its reply, then the socket closes (unless
    /// [`keep_open`](Self::keep_open)). Timed, it measures connection setup
    /// and the messages; with `keep_open`, only the messages. Through a
    /// driver it opens with [`Driver::websocket`](crate::Driver::websocket);
    /// a driver that cannot carry one leaves its bench cell unmeasured.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive::scenario::{Scenario, Step};
    /// let connect = Scenario::new("ws_connect").step(Step::websocket("/ws"));
    /// let echo = Scenario::new("ws_echo")
    ///     .step(Step::websocket("/ws").message("hello", "hello").keep_open());
    /// assert!(connect.try_check(&client).await.is_ok());
    /// assert!(echo.try_check(&client).await.is_ok());
    /// let refused = Scenario::new("ws_nowhere").step(Step::websocket("/nowhere"));
    /// let error = refused.try_check(&client).await.unwrap_err().to_string();
    /// assert!(error.contains("expected status 101 Switching Protocols, got status 404"), "{error}");
    /// # });
    /// ```
    #[cfg(feature = "websocket")]
    pub fn websocket(target: impl Into<String>) -> Self {
        let mut step = Self::get(target);
        step.status = Some(Ok(StatusCode::SWITCHING_PROTOCOLS));
        step.websocket = Some(WebSocketPlan::default());
        step
    }

    /// On a [`websocket`](Self::websocket) step, sends `message` (text or
    /// binary) and expects `reply` as the next message the app sends.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive::scenario::{Scenario, Step};
    /// let wrong = Scenario::new("ws").step(Step::websocket("/ws").message("a", "b"));
    /// let error = wrong.try_check(&client).await.unwrap_err().to_string();
    /// assert!(error.contains("expected the reply text \"b\", got text \"a\""), "{error}");
    /// let misplaced = Step::get("/").message("a", "a").expect(200);
    /// assert!(Scenario::new("s").step(misplaced).validate().is_err());
    /// # });
    /// ```
    #[cfg(feature = "websocket")]
    #[must_use]
    pub fn message(
        mut self,
        message: impl Into<crate::websocket::Message>,
        reply: impl Into<crate::websocket::Message>,
    ) -> Self {
        match &mut self.websocket {
            Some(plan) => plan.messages.push((message.into(), reply.into())),
            None => {
                self.error = Some(
                    ".message is for WebSocket steps; start the step with Step::websocket(..)"
                        .to_owned(),
                );
            }
        }
        self
    }

    /// On a [`websocket`](Self::websocket) step, keeps the socket open
    /// from one iteration to the next (it opens in the bench's untimed
    /// first iteration), so a timed iteration measures only the
    /// messages' round trips.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let echo = Scenario::new("ws_echo").step(Step::websocket("/ws").message("x", "x").keep_open());
    /// assert!(echo.validate().is_ok());
    /// let idle = Scenario::new("ws_idle").step(Step::websocket("/ws").keep_open());
    /// assert!(idle.validate().unwrap_err().to_string().contains("no message"));
    /// ```
    #[cfg(feature = "websocket")]
    #[must_use]
    pub fn keep_open(mut self) -> Self {
        match &mut self.websocket {
            Some(plan) => plan.keep_open = true,
            None => {
                self.error = Some(
                    ".keep_open is for WebSocket steps; start the step with Step::websocket(..)"
                        .to_owned(),
                );
            }
        }
        self
    }

    /// Whether the step is an HTTP request rather than a WebSocket.
    pub(super) fn is_http(&self) -> bool {
        #[cfg(feature = "websocket")]
        return self.websocket.is_none();
        #[cfg(not(feature = "websocket"))]
        true
    }

    /// A `GET`.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
    /// # let client = crossdrive::__private::doc::mirror_client();
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
