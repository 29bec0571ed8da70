//! The test-facing client: request builders over any [`Driver`].
//!
//! A [`Client`] is a cheap, cloneable handle over `Arc<dyn Driver>`. Its
//! builders read like the request they make and implement `IntoFuture`, so a
//! test writes `client.get("/todos/1").bearer("t").await` (axum's style).
//! Awaiting a builder yields a [`TestResponse`] and fails the test with the
//! driver's error if the exchange itself failed, just as an assertion would;
//! tests that expect an error call [`RequestBuilder::try_send`] instead.
//!
//! Builders never panic on bad input: the first invalid header, method or
//! URI is remembered and reported, with what to do about it, when the
//! request is sent.

use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::driver::BoxFuture;
use crate::request_check::{self, BodyLength};
use crate::response::Sent;
use crate::{
    Driver, DriverResponse, Error, ErrorKind, RequestBody, TestResponse, TestStream, redact,
};

/// Everything but RFC 3986 unreserved characters is escaped in query
/// components added with [`RequestBuilder::query`], so `+` stays a literal
/// plus and space becomes `%20`.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A handle for sending requests through one driver.
///
/// ```
/// # use crossdrive_core::__doc_support::Teapot; // answers 418 to everything
/// let client = crossdrive_core::Client::new(Teapot);
/// assert_eq!(client.name(), "teapot");
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// client.get("/coffee").await.assert_status(418);
/// # });
/// ```
#[derive(Clone)]
pub struct Client {
    /// One pointer, so the clone every builder takes is one atomic
    /// increment.
    inner: Arc<Shared>,
}

/// What every request of a [`Client`] shares.
#[derive(Clone)]
struct Shared {
    driver: Arc<dyn Driver>,
    /// The driver's name, taken once: every response carries it (see
    /// `name.rs`).
    name: &'static str,
    /// Lowercase names of headers whose values are secret besides the
    /// always-secret ones (see [`crate::redact`]).
    sensitive: Vec<String>,
}

impl Client {
    /// A client over `driver`.
    ///
    /// ```
    /// # use crossdrive_core::{Client, __doc_support::Mirror};
    /// let client = Client::new(Mirror);
    /// assert_eq!(client.name(), "mirror");
    /// ```
    pub fn new(driver: impl Driver + 'static) -> Self {
        Self::from_arc(Arc::new(driver))
    }

    /// A client over a shared driver.
    ///
    /// ```
    /// # use crossdrive_core::{Client, Driver, __doc_support::Mirror};
    /// use std::sync::Arc;
    /// let shared: Arc<dyn Driver> = Arc::new(Mirror);
    /// let client = Client::from_arc(Arc::clone(&shared));
    /// assert!(Arc::ptr_eq(client.driver(), &shared));
    /// ```
    pub fn from_arc(driver: Arc<dyn Driver>) -> Self {
        let name = crate::name::interned(driver.name());
        Self {
            inner: Arc::new(Shared {
                driver,
                name,
                sensitive: Vec::new(),
            }),
        }
    }

    /// Treats every value of the header `name` as a secret, on requests and
    /// responses alike: failure reports show it as `<redacted N bytes>`
    /// (see [`crate::redact`]). `authorization`, `proxy-authorization`,
    /// `cookie` and `set-cookie` always are; a request header marked with
    /// `HeaderValue::set_sensitive(true)` is too. The name is matched
    /// without regard to case; one that can be no header name matches
    /// nothing.
    ///
    /// ```
    /// # use crossdrive_core::{Client, __doc_support::Mirror};
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let client = Client::new(Mirror).sensitive_header("X-Api-Key");
    /// let r = client.get("/").header("x-api-key", "k-0123456789").await;
    /// assert!(r.headers()["x-api-key"].is_sensitive());
    /// # if !crossdrive_core::redact::show_secrets() {
    /// assert!(r.to_string().contains("x-api-key: <redacted 12 bytes>"));
    /// # }
    /// # });
    /// ```
    #[must_use]
    pub fn sensitive_header(mut self, name: impl AsRef<str>) -> Self {
        let name = name.as_ref().to_ascii_lowercase();
        if !self.inner.sensitive.contains(&name) {
            Arc::make_mut(&mut self.inner).sensitive.push(name);
        }
        self
    }

    /// The driver behind this client.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    ///
    /// assert_eq!(client.driver().name(), "mirror");
    /// ```
    pub fn driver(&self) -> &Arc<dyn Driver> {
        &self.inner.driver
    }

    /// The driver's name.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    ///
    /// assert_eq!(client.name(), "mirror");
    /// ```
    pub fn name(&self) -> &str {
        self.inner.name
    }

    /// Starts a request with any method; `uri` is a path with an optional
    /// query (`/todos/1?x=y`).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.request(http::Method::PUT, "/todos/1?x=y").await;
    /// r.assert_header("x-method", "PUT").assert_header("x-uri", "/todos/1?x=y");
    /// # });
    /// ```
    pub fn request(&self, method: Method, uri: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(method), uri.as_ref())
    }

    /// Starts a request with a method given by name, including extension
    /// methods such as `PURGE`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.method("PURGE", "/cache").await.assert_header("x-method", "PURGE");
    /// let error = client.method("NOT A METHOD", "/").try_send().await.unwrap_err();
    /// assert!(error.is_invalid_request());
    /// # });
    /// ```
    pub fn method(&self, method: &str, uri: impl AsRef<str>) -> RequestBuilder {
        let parsed = Method::from_bytes(method.as_bytes()).map_err(|e| {
            format!(
                "`{method}` is not a valid HTTP method ({e}); use an RFC 9110 token such as PURGE"
            )
        });
        RequestBuilder::new(self.clone(), parsed, uri.as_ref())
    }

    /// Starts a `GET`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.get("/todos").await.assert_header("x-method", "GET");
    /// # });
    /// ```
    pub fn get(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, uri)
    }
    /// Starts a `POST`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.post("/todos").await.assert_header("x-method", "POST");
    /// # });
    /// ```
    pub fn post(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, uri)
    }
    /// Starts a `PUT`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.put("/todos/1").await.assert_header("x-method", "PUT");
    /// # });
    /// ```
    pub fn put(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PUT, uri)
    }
    /// Starts a `PATCH`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.patch("/todos/1").await.assert_header("x-method", "PATCH");
    /// # });
    /// ```
    pub fn patch(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PATCH, uri)
    }
    /// Starts a `DELETE`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.delete("/todos/1").await.assert_header("x-method", "DELETE");
    /// # });
    /// ```
    pub fn delete(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::DELETE, uri)
    }
    /// Starts a `HEAD`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.head("/todos").await.assert_header("x-method", "HEAD");
    /// # });
    /// ```
    pub fn head(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::HEAD, uri)
    }
    /// Starts an `OPTIONS`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.options("/todos").await.assert_header("x-method", "OPTIONS");
    /// # });
    /// ```
    pub fn options(&self, uri: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::OPTIONS, uri)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("driver", &self.name())
            .field("sensitive", &self.inner.sensitive)
            .finish()
    }
}

/// A request being built. Await it to send it.
///
/// ```
/// # let client = crossdrive_core::__doc_support::mirror_client();
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// client
///     .get("/search")
///     .query("tag", "a b")
///     .query("tag", "c+d")
///     .header("x-trace", "1")
///     .header("x-trace", "2")
///     .await
///     .assert_header("x-uri", "/search?tag=a%20b&tag=c%2Bd")
///     .assert_header_all("x-trace", &["1", "2"]);
/// # });
/// ```
#[must_use = "a request does nothing until it is awaited"]
pub struct RequestBuilder {
    client: Client,
    /// The request being built, already in the allocation its response
    /// will keep it in (see `Sent`): a builder moves as a few pointers, and
    /// sending it moves nothing.
    sent: Sent,
    /// The target as text, once query pairs are added to it; parsed when
    /// the request is sent.
    text_target: Option<String>,
    /// A body sent in chunks, set by `body_stream` or `chunks`; it
    /// replaces the whole one.
    streamed: Option<RequestBody>,
    /// The first mistake made while building the request.
    error: Option<Mistake>,
}

/// A mistake made while building a request, reported when it is sent.
struct Mistake {
    cause: String,
    /// The method or the target itself is what was wrong: the error names
    /// no request rather than an invented one.
    unnamed: bool,
}

impl RequestBuilder {
    fn new(client: Client, method: Result<Method, String>, uri: &str) -> Self {
        let mut builder = Self {
            sent: Sent::empty(client.inner.name),
            client,
            text_target: None,
            streamed: None,
            error: None,
        };
        match method {
            Ok(method) => *builder.sent.request_mut().method_mut() = method,
            Err(cause) => builder.fail_unnamed(cause),
        }
        builder.set_target(uri);
        builder
    }

    fn set_target(&mut self, uri: &str) {
        match parse_target(uri) {
            // An absolute URL is kept as written so that the request check
            // refuses it with the same words as a hand-built request.
            Ok(parsed) if parsed.scheme().is_some() || uri.starts_with('/') || uri == "*" => {
                *self.sent.request_mut().uri_mut() = parsed;
            }
            Ok(_) => self.fail_unnamed(format!(
                "`{uri}` is not an origin-form request target; start it with `/`, as in /todos/1"
            )),
            Err(e) => self.fail_unnamed(format!(
                "`{uri}` is not a valid request target ({e}); percent-encode spaces and non-ASCII \
                 characters, or add them with .query(key, value)"
            )),
        }
    }

    /// The request's headers, as built so far.
    fn headers(&mut self) -> &mut HeaderMap {
        self.sent.request_mut().headers_mut()
    }

    fn fail_unnamed(&mut self, cause: String) {
        if self.error.is_none() {
            self.error = Some(Mistake {
                cause,
                unnamed: true,
            });
        }
    }

    pub(crate) fn fail(&mut self, cause: String) {
        if self.error.is_none() {
            self.error = Some(Mistake {
                cause,
                unnamed: false,
            });
        }
    }

    /// Appends `key=value` to the query string, percent-encoding both.
    /// Repeated keys are kept, in order.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.get("/search?page=2").query("q", "a b+c").query("q", "d").await;
    /// r.assert_header("x-uri", "/search?page=2&q=a%20b%2Bc&q=d");
    /// # });
    /// ```
    pub fn query(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let mut target = match self.text_target.take() {
            Some(text) => text,
            // A parsed target prints as it was written.
            None => self.sent.request_mut().uri().to_string(),
        };
        let separator = if target.contains('?') { '&' } else { '?' };
        target.push(separator);
        target.extend(utf8_percent_encode(key.as_ref(), QUERY_COMPONENT));
        target.push('=');
        target.extend(utf8_percent_encode(value.as_ref(), QUERY_COMPONENT));
        self.text_target = Some(target);
        self
    }

    /// Appends a header. Calling it twice with one name sends two header
    /// lines, in order.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.get("/").header("x-trace", "1").header("x-trace", "2").await;
    /// r.assert_header_all("x-trace", &["1", "2"]);
    /// # });
    /// ```
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.headers().append(name, value);
            }
            (Err(e), _) => self.fail(format!(
                "invalid header name ({e}); header names are ASCII tokens such as x-request-id"
            )),
            (Ok(name), Err(e)) => self.fail(format!(
                "invalid value for header `{name}` ({e}); values may not contain control \
                 characters such as CR or LF"
            )),
        }
        self
    }

    /// Replaces every value of a header with one value.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.get("/").header("x-trace", "1").header("x-trace", "2")
    ///     .set_header("x-trace", "3").await;
    /// r.assert_header_all("x-trace", &["3"]);
    /// # });
    /// ```
    pub fn set_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        if let Ok(name) = name.try_into() {
            self.headers().remove(&name);
            self.header(name, value)
        } else {
            self.fail(
                "invalid header name; header names are ASCII tokens such as x-request-id".into(),
            );
            self
        }
    }

    /// Sends `Authorization: Bearer <token>`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.get("/me").bearer("t0k3n").await.assert_header("authorization", "Bearer t0k3n");
    /// # });
    /// ```
    pub fn bearer(self, token: impl Display) -> Self {
        self.set_header(AUTHORIZATION, format!("Bearer {token}"))
    }

    /// Adds a cookie to the single `Cookie` header, as browsers do
    /// (`a=1; b=2`).
    ///
    /// A name that is not a token, or a value with characters a cookie
    /// cannot carry (`;`, `,`, `"`, `\\`, spaces, controls), is an error at
    /// send: it would otherwise smuggle a second cookie into the header.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.get("/").cookie("a", "1").cookie("b", "2").await.assert_header("cookie", "a=1; b=2");
    /// let smuggled = client.get("/").cookie("a", "1; admin=true").try_send().await;
    /// assert!(smuggled.unwrap_err().is_invalid_request());
    /// # });
    /// ```
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            self.fail(format!(
                "`{}` is not a cookie name; use ASCII letters, digits and `-_.!#$%&'*+^`|~`, \
                 without `=`, `;` or spaces",
                name.escape_debug()
            ));
            return self;
        }
        let octet = |c: char| c.is_ascii_graphic() && !"\",;\\".contains(c);
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        // The value itself is never quoted: a cookie is a secret a failure
        // report must not print (see `crate::redact`); where it breaks is
        // enough to fix it.
        if let Some((at, bad)) = unquoted.char_indices().find(|&(_, c)| !octet(c)) {
            // Counted in the value as written, opening quote included.
            let at = at + usize::from(unquoted.len() != value.len());
            self.fail(format!(
                "the value of cookie `{name}` has `{}` at byte {at}, a character a cookie cannot \
                 carry (`;`, `,`, `\"`, `\\`, a space or a control); percent-encode it first",
                bad.escape_debug()
            ));
            return self;
        }
        let joined = match self.headers().get(COOKIE).map(HeaderValue::to_str) {
            Some(Ok(existing)) => format!("{existing}; {name}={value}"),
            _ => format!("{name}={value}"),
        };
        self.set_header(COOKIE, joined)
    }

    /// Sets a raw body; any bytes are kept exactly.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.post("/upload").body(vec![0u8, 159, 255]).await.assert_bytes(&[0, 159, 255]);
    /// # });
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        *self.sent.request_mut().body_mut() = body.into();
        self
    }

    /// Sets a UTF-8 text body with `Content-Type: text/plain; charset=utf-8`
    /// unless a content type was already set.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.post("/notes").text("hello").await;
    /// r.assert_text("hello").assert_header("content-type", "text/plain; charset=utf-8");
    /// # });
    /// ```
    pub fn text(self, text: impl Into<String>) -> Self {
        self.body_with_type(Bytes::from(text.into()), "text/plain; charset=utf-8")
    }

    /// Serializes `value` as the JSON body with `Content-Type: application/json`
    /// unless a content type was already set.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let r = client.post("/todos").json(&serde_json::json!({"title": "a"})).await;
    /// r.assert_json(&serde_json::json!({"title": "a"}))
    ///     .assert_header("content-type", "application/json");
    /// # });
    /// ```
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body_with_type(Bytes::from(bytes), "application/json"),
            Err(e) => {
                self.fail(format!("the JSON body could not be serialized ({e})"));
                self
            }
        }
    }

    /// Serializes `value` as an `application/x-www-form-urlencoded` body
    /// (with `serde_urlencoded`, as reqwest does) unless a content type was
    /// already set. A slice of pairs is a form, and so is a struct or a map
    /// of plain values; a value that is no form (a nested struct, a bare
    /// number) is an error at send.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// client
    ///     .post("/login")
    ///     .form(&[("user", "ada lovelace"), ("next", "/a&b")])
    ///     .await
    ///     .assert_text("user=ada+lovelace&next=%2Fa%26b");
    ///
    /// #[derive(serde::Serialize)]
    /// struct Search<'a> { q: &'a str, page: u32 }
    /// client
    ///     .post("/search")
    ///     .form(&Search { q: "a+b", page: 2 })
    ///     .await
    ///     .assert_text("q=a%2Bb&page=2");
    /// # });
    /// ```
    pub fn form<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_urlencoded::to_string(value) {
            Ok(encoded) => {
                self.body_with_type(Bytes::from(encoded), "application/x-www-form-urlencoded")
            }
            Err(e) => {
                self.fail(format!(
                    "the form body could not be serialized ({e}); a form is a sequence of \
                     (name, value) pairs or a struct or map of plain values"
                ));
                self
            }
        }
    }

    fn body_with_type(mut self, body: Bytes, content_type: &'static str) -> Self {
        *self.sent.request_mut().body_mut() = body;
        let headers = self.headers();
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        self
    }

    /// The `http::Request` this builder describes, or the first error made
    /// while building it.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    ///
    /// let request = client.post("/todos").bearer("t").into_request().unwrap();
    /// assert_eq!((request.method(), request.uri().path()), (&http::Method::POST, "/todos"));
    /// assert_eq!(request.headers()["authorization"], "Bearer t");
    /// assert!(client.get("todos").into_request().unwrap_err().is_invalid_request());
    /// // Checked as a sent request is: the driver picks the authority.
    /// let absolute = client.get("http://example.test/todos").into_request();
    /// assert!(absolute.unwrap_err().to_string().contains("pass the path and query, /todos"));
    /// ```
    ///
    /// A body set with [`body_stream`](Self::body_stream) or
    /// [`chunks`](Self::chunks) is not in it (the request carries an empty
    /// body); send such a request with `.await` or [`stream`](Self::stream).
    pub fn into_request(self) -> Result<Request<Bytes>, Error> {
        self.split().map(|(_, r, _)| r)
    }

    pub(crate) fn split(self) -> Result<(Client, Request<Bytes>, Option<RequestBody>), Error> {
        let (client, sent, streamed) = self.checked()?;
        Ok((client, sent.into_request(), streamed))
    }

    /// The request, checked as every sent request is, or the first
    /// mistake made while building it.
    fn checked(mut self) -> Result<(Client, Sent, Option<RequestBody>), Error> {
        let name = self.client.name();
        if let Some(text) = self.text_target.take() {
            match parse_target(&text) {
                Ok(uri) => *self.sent.request_mut().uri_mut() = uri,
                Err(e) => {
                    return Err(match self.error {
                        Some(mistake) => {
                            Error::without_request(ErrorKind::InvalidRequest, name, mistake.cause)
                        }
                        None => Error::without_request(
                            ErrorKind::InvalidRequest,
                            name,
                            format!("`{text}` is not a valid request target"),
                        )
                        .with_source(e),
                    });
                }
            }
        }
        let request = self.sent.request_mut();
        if let Some(mistake) = self.error {
            return Err(if mistake.unnamed {
                Error::without_request(ErrorKind::InvalidRequest, name, mistake.cause)
            } else {
                Error::new(
                    ErrorKind::InvalidRequest,
                    name,
                    request.method(),
                    request.uri(),
                    mistake.cause,
                )
            });
        }
        let length = self.streamed.as_ref().map_or_else(
            || BodyLength::Exact(request.body().len() as u64),
            BodyLength::of,
        );
        request_check::check(
            name,
            request.method(),
            request.uri(),
            request.headers(),
            length,
        )?;
        Ok((self.client, self.sent, self.streamed))
    }

    /// Sends the request and returns the driver's error instead of failing
    /// the test, for tests that expect one.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// assert_eq!(client.get("/").try_send().await.unwrap().status(), 200);
    /// let error = client.get("/").header("bad name", "x").try_send().await.unwrap_err();
    /// assert!(error.is_invalid_request());
    /// # });
    /// ```
    pub fn try_send(self) -> impl Future<Output = Result<TestResponse, Error>> + Send + 'static {
        sent(self.prepare(), std::convert::identity)
    }

    /// Sends the body as these chunks, one data frame each, as they come
    /// (HTTP/1.1 chunked transfer coding, HTTP/2 and HTTP/3 data frames):
    /// no `Content-Length` is set. Replaces any body set before.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// client.post("/upload").chunks(["part one, ", "part two"]).await.assert_text("part one, part two");
    /// # });
    /// ```
    pub fn chunks<I>(self, chunks: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Bytes> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.body_stream(RequestBody::chunks(chunks))
    }

    /// Sends this body, which may be a stream (see [`RequestBody`]); a
    /// stream's chunks go out as it yields them. Replaces any body set before.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// use futures_util::stream;
    /// let parts = stream::iter([Ok::<_, std::io::Error>("a"), Ok("b")]);
    /// client.post("/upload").body_stream(crossdrive_core::RequestBody::from_stream(parts)).await.assert_text("ab");
    /// # });
    /// ```
    pub fn body_stream(mut self, body: RequestBody) -> Self {
        self.headers().remove(http::header::CONTENT_LENGTH);
        *self.sent.request_mut().body_mut() = Bytes::new();
        self.streamed = Some(body);
        self
    }

    /// Sends the request and resolves once the response head is in, to a
    /// [`TestStream`] that reads the body as it arrives; fails the test if
    /// the exchange failed (see [`try_stream`](Self::try_stream)).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["data: 1\n\n", "data: 2\n\n"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/events").stream().await;
    /// assert_eq!(stream.next_event().await.unwrap().data, "1");
    /// # });
    /// ```
    #[track_caller]
    pub fn stream(self) -> impl Future<Output = TestStream> + Send + 'static {
        let at = std::panic::Location::caller();
        async move {
            match self.try_stream().await {
                Ok(stream) => stream,
                Err(error) => panic!("{error}\n  (raised at {at})"),
            }
        }
    }

    /// Like [`stream`](Self::stream), returning the driver's error instead
    /// of failing the test.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.get("no-slash").try_stream().await.unwrap_err().is_invalid_request());
    /// # });
    /// ```
    pub async fn try_stream(self) -> Result<TestStream, Error> {
        let (client, request, streamed) = self.split()?;
        let request = match streamed {
            Some(body) => request.map(|_| body),
            None => request.map(RequestBody::full),
        };
        client.stream(request).await
    }
}

impl Client {
    /// Sends a ready-made request.
    ///
    /// It is checked as a built one is: a body that contradicts a hand-set
    /// `Content-Length`, a hand-set `Transfer-Encoding`, an absolute URL,
    /// two `Host` headers or a non-ASCII target is refused before sending
    /// with an invalid-request error saying what to write instead, the same
    /// on every driver.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    ///
    /// let request = http::Request::delete("/todos/1").body(bytes::Bytes::new()).unwrap();
    /// let r = client.send(request).await.unwrap();
    /// r.assert_header("x-method", "DELETE");
    /// assert_eq!(r.request().uri(), "/todos/1");
    ///
    /// let short = http::Request::post("/todos")
    ///     .header("content-length", "5")
    ///     .body(bytes::Bytes::new())
    ///     .unwrap();
    /// let error = client.send(short).await.unwrap_err();
    /// assert!(error.is_invalid_request());
    /// assert!(error.to_string().contains("contradicts the body, which has 0 bytes"));
    /// # });
    /// ```
    pub fn send(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<TestResponse, Error>> + Send + '_ {
        let checked = request_check::check(
            self.name(),
            request.method(),
            request.uri(),
            request.headers(),
            BodyLength::Exact(request.body().len() as u64),
        );
        match checked {
            Ok(()) => self.dispatch(Sent::new(self.inner.name, request)),
            Err(error) => Dispatch::Failed(Some(error)),
        }
    }

    /// Sends a ready-made request whose body may stream, and resolves once
    /// the response head is in.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let request = http::Request::post("/upload").body(crossdrive_core::RequestBody::chunks(["x"])).unwrap();
    /// let mut stream = client.stream(request).await.unwrap();
    /// assert_eq!(stream.next_chunk().await.unwrap().data, "a");
    /// # });
    /// ```
    pub async fn stream(&self, request: Request<RequestBody>) -> Result<TestStream, Error> {
        let (mut parts, body) = request.into_parts();
        self.check(&mut parts, BodyLength::of(&body))?;
        let summary = Request::from_parts(parts.clone(), body.as_full().unwrap_or_default());
        let started = Instant::now();
        let _in_flight = crate::watchdog::in_flight(&parts.method, &parts.uri);
        let mut delivered = self
            .inner
            .driver
            .stream(Request::from_parts(parts, body))
            .await?;
        redact::mark(delivered.response.headers_mut(), &self.inner.sensitive);
        Ok(TestStream::new(self.name(), summary, started, delivered))
    }
}

#[cfg(feature = "websocket")]
impl Client {
    /// The driver's name, shared with every response.
    pub(crate) fn shared_name(&self) -> &'static str {
        self.inner.name
    }

    /// Marks the secret values among `headers` (see [`crate::redact`]).
    pub(crate) fn mark_secrets(&self, headers: &mut HeaderMap) {
        redact::mark(headers, &self.inner.sensitive);
    }
}

impl Client {
    /// Refuses what every driver would answer differently (the one check
    /// builders and ready-made requests share), then marks the secret
    /// header values so no report prints them.
    fn check(&self, parts: &mut http::request::Parts, length: BodyLength) -> Result<(), Error> {
        request_check::check(
            self.name(),
            &parts.method,
            &parts.uri,
            &parts.headers,
            length,
        )?;
        redact::mark(&mut parts.headers, &self.inner.sensitive);
        Ok(())
    }

    /// Sends a request that passed the check: marks its secrets, stamps
    /// it for the watchdog and hands a copy to the driver, now; the
    /// [`Dispatch`] resolves to its response, which keeps the request.
    fn dispatch(&self, mut sent: Sent) -> Dispatch<'_> {
        let shared = &*self.inner;
        let request = sent.request_mut();
        if !request.headers().is_empty() {
            redact::mark(request.headers_mut(), &shared.sensitive);
        }
        let in_flight = crate::watchdog::in_flight(request.method(), request.uri());
        Dispatch::Sending {
            shared,
            sending: shared.driver.send(sent.copy()),
            sent: Some(sent),
            in_flight: Some(in_flight),
        }
    }

    /// Sends a checked request whose body streams and collects the answer.
    async fn collect_streamed(&self, request: Request<RequestBody>) -> Result<TestResponse, Error> {
        self.stream(request).await?.try_collect().await
    }
}

/// A request sent through a [`Client`], until its response is in: the
/// driver's own future and the record the [`TestResponse`] becomes (see
/// `Sent`), a few pointers. Written by hand rather than as an `async fn`,
/// so the driver's answer is read where its future left it.
enum Dispatch<'a> {
    /// Handed to the driver.
    Sending {
        shared: &'a Shared,
        sending: BoxFuture<'a, Result<DriverResponse, Error>>,
        /// The request's record, which the response completes (taken
        /// when it does).
        sent: Option<Sent>,
        /// The watchdog's stamp, cleared as soon as the driver answers.
        in_flight: Option<crate::watchdog::InFlight>,
    },
    /// Refused before sending (taken when polled).
    Failed(Option<Error>),
}

impl Future for Dispatch<'_> {
    type Output = Result<TestResponse, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            Self::Sending {
                shared,
                sending,
                sent,
                in_flight,
            } => {
                let mut answered = std::task::ready!(sending.as_mut().poll(cx));
                *in_flight = None;
                // Read where the driver's future left it: the response's
                // fields are swapped into its record, not moved whole
                // from one frame to the next.
                let delivered = match answered {
                    Ok(ref mut delivered) => delivered,
                    Err(error) => return Poll::Ready(Err(error)),
                };
                redact::mark(delivered.response.headers_mut(), &shared.sensitive);
                Poll::Ready(match sent.take() {
                    Some(sent) => Ok(sent.answered(delivered)),
                    // Polled again after its answer.
                    None => Err(Error::without_request(
                        ErrorKind::InvalidRequest,
                        shared.name,
                        "the response was already taken: its future was polled again after it finished",
                    )),
                })
            }
            // Polled again after its error, as std's `Ready` would be.
            #[allow(clippy::expect_used)]
            Self::Failed(error) => Poll::Ready(Err(error
                .take()
                .expect("a refused request is polled once, for its error"))),
        }
    }
}

/// A builder's request, checked and ready to send.
enum Prepared {
    /// A whole body: the request already where its response will keep it.
    Whole(Client, Sent),
    /// A body that streams (the rare case, boxed so the common one's
    /// future stays small).
    Streamed(Box<(Client, Request<RequestBody>)>),
}

impl RequestBuilder {
    /// The builder's request, checked, or the first error made while
    /// building it.
    fn prepare(self) -> Result<Prepared, Error> {
        let (client, sent, streamed) = self.checked()?;
        Ok(match streamed {
            None => Prepared::Whole(client, sent),
            Some(body) => Prepared::Streamed(Box::new((client, sent.into_request().map(|_| body)))),
        })
    }
}

/// What a builder's request becomes once sent: its response, or the first
/// error (the builder's own, the check's or the driver's), handed to
/// `finish` (the awaited builder's panic, or `try_send`'s identity) inside
/// this one future rather than by a combinator around it. The request
/// itself is in its response's allocation already, so this future's state
/// is a few pointers. A body that streams is the rare case and goes
/// through a box of its own.
async fn sent<T>(
    prepared: Result<Prepared, Error>,
    finish: impl FnOnce(Result<TestResponse, Error>) -> T,
) -> T {
    // Bound by `let`, not matched on: a match's scrutinee would live
    // across the await below.
    let (client, sent) = match prepared {
        Ok(Prepared::Whole(client, sent)) => (client, sent),
        Ok(Prepared::Streamed(streamed)) => {
            let (client, request) = *streamed;
            let collecting = Box::pin(client.collect_streamed(request));
            return finish(collecting.await);
        }
        Err(error) => return finish(Err(error)),
    };
    let mut dispatch = client.dispatch(sent);
    // Awaited by reference: awaiting it by value would keep a second copy
    // of it in this future.
    finish((&mut dispatch).await)
}

/// Parses a request target as `str::parse` does, into a `Uri` whose
/// bytes share one allocation with their reference count when the target
/// is short, as most are: the copy of the request the driver gets then
/// costs a count. Parsed from text, a `Uri`'s bytes sit in a plain buffer,
/// and its first clone allocates again for the count.
fn parse_target(text: &str) -> Result<Uri, http::uri::InvalidUri> {
    /// The longest target kept inline.
    const INLINE: usize = 64;
    struct Inline {
        len: usize,
        bytes: [u8; INLINE],
    }
    impl AsRef<[u8]> for Inline {
        fn as_ref(&self) -> &[u8] {
            &self.bytes[..self.len]
        }
    }
    let bytes = match text.as_bytes() {
        short if short.len() <= INLINE => {
            let mut bytes = [0; INLINE];
            bytes[..short.len()].copy_from_slice(short);
            Bytes::from_owner(Inline {
                len: short.len(),
                bytes,
            })
        }
        long => Bytes::copy_from_slice(long),
    };
    Uri::from_maybe_shared(bytes)
}

impl IntoFuture for RequestBuilder {
    type Output = TestResponse;
    type IntoFuture = BoxFuture<'static, TestResponse>;

    /// Tracks its caller, so a failed exchange names the line of the
    /// test that awaited it, not a line of crossdrive.
    #[track_caller]
    fn into_future(self) -> Self::IntoFuture {
        let at = std::panic::Location::caller();
        Box::pin(sent(self.prepare(), move |sent| match sent {
            Ok(response) => response,
            Err(error) => panic!("{error}\n  (raised at {at})"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_parses_as_str_parse_would_at_every_length() {
        let long = format!("/{}", "a".repeat(200));
        let edge = format!("/{}", "b".repeat(63));
        let past = format!("/{}", "c".repeat(64));
        let targets = [
            "/",
            "/hello",
            "*",
            "/a?b=c",
            "http://example.test/x",
            &edge,
            &past,
            &long,
            "",
            "/a b",
            "/é",
        ];
        for target in targets {
            match (parse_target(target), target.parse::<Uri>()) {
                (Ok(ours), Ok(std)) => {
                    assert_eq!(ours, std, "{target}");
                    assert_eq!(ours.to_string(), std.to_string(), "{target}");
                    assert_eq!(ours.clone(), ours, "{target}");
                }
                (Err(ours), Err(std)) => assert_eq!(ours.to_string(), std.to_string(), "{target}"),
                (ours, std) => panic!("`{target}`: {ours:?} but str::parse gives {std:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_target_longer_than_the_inline_buffer_is_sent_whole() {
        let client = crate::__doc_support::mirror_client();
        let target = format!("/{}?q={}", "p".repeat(100), "v".repeat(100));
        client.get(&target).await.assert_header("x-uri", &target);
        let short = "/s?q=1";
        client.get(short).await.assert_header("x-uri", short);
    }
}
