//! The `remote` driver: the same requests, sent to a deployed base URL (an
//! API Gateway stage, a staging server), so the suite that ran locally
//! validates the real deployment.
//!
//! It is chosen by environment, not listed in the driver table: every body
//! of a [`suite!`](macro@crate::suite) gets a `remote` test beside its table
//! tests (`create_then_read::remote`). That test is `#[ignore]`d, so a
//! local run counts it as ignored instead of passing it having checked
//! nothing. To check a deployment, set `CROSSDRIVE_REMOTE_URL`
//! ([`URL_ENV`]) to its base URL, stage path included, and ask for the
//! ignored tests:
//!
//! ```text
//! CROSSDRIVE_REMOTE_URL=https://abc.execute-api.eu-west-1.amazonaws.com/prod \
//!   cargo test --test reference -- --ignored ::remote
//! ```
//!
//! `--ignored` with the variable unset fails every `remote` test, saying
//! to set it: asking for the deployment to be checked and checking nothing
//! must not pass. `CROSSDRIVE_DRIVERS` can still leave `remote` out.
//! Keeping it out of the table keeps it out of everything that iterates
//! over the table: the conformance matrix, the parity snapshots and the
//! default bench set.
//!
//! What differs from local drivers, by design:
//! - The deployment is one app whose state is shared by every test (and
//!   every CI run); locally each test gets a fresh app. A test that
//!   depends on fresh state (counting what it created, reading an id it
//!   assumes) or needs server-side inspection (start counters, what the
//!   server saw) calls [`local_only`] first, which skips it on `remote`
//!   with the reason printed. Tests that create what they read and read
//!   back ids the server returned run everywhere.
//! - The request path is appended to the base URL's path: base
//!   `http://host/prod` and request `/todos?a=1` go to
//!   `http://host/prod/todos?a=1`.
//! - Requests run on one process-wide runtime thread, so they work from any
//!   test runtime and pooled connections survive the test that made them
//!   ("dispatch task is gone", reqwest #1148, hyper #2112); each request is bounded by the
//!   driver's timeout (5 s, or `CROSSDRIVE_TIMEOUT_MS`) and aborted past it.
//! - The driver is behind the `remote` feature, which brings reqwest and
//!   rustls with ring for `https://`, verifying the server against the
//!   system's trust store, ALPN `h2` then `http/1.1`. Without the feature,
//!   [`suite!`](macro@crate::suite) writes no `::remote` tests and
//!   [`local_only`] is always false.

#[cfg(feature = "remote")]
use std::sync::OnceLock;
#[cfg(feature = "remote")]
use std::time::Duration;

#[cfg(feature = "remote")]
use crate::guard::{Interrupted, guarded};
#[cfg(feature = "remote")]
use crate::{BoxFuture, Driver, DriverResponse, Error, ErrorKind, Protocol};
#[cfg(feature = "remote")]
use bytes::Bytes;
#[cfg(feature = "remote")]
use http::{Method, Request, Response, Uri};
#[cfg(feature = "remote")]
use http_body_util::{BodyExt, Limited};

#[cfg(feature = "remote")]
use crate::direct::{DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT};

/// The driver's name.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive::{Direct, DriverSpec, Drivers, remote::NAME};
/// assert_eq!(NAME, "remote");
/// // taken: every suite has a remote test under this name
/// let clash = DriverSpec::custom(NAME, |app, _| Ok(Arc::new(Direct::new(app))));
/// assert!(Drivers::empty().with(clash).validate().is_err());
/// ```
pub const NAME: &str = "remote";

/// The variable holding the deployment's base URL, stage path included.
///
/// ```
/// assert_eq!(crossdrive::remote::URL_ENV, "CROSSDRIVE_REMOTE_URL");
/// ```
pub const URL_ENV: &str = "CROSSDRIVE_REMOTE_URL";

/// Sends every request to a deployed base URL.
///
/// ```
/// use crossdrive::remote::Remote;
/// let remote = Remote::new("http://127.0.0.1:9/prod").unwrap();
/// assert_eq!(remote.base(), "http://127.0.0.1:9/prod");
/// let error = Remote::new("ftp://example.com").unwrap_err();
/// assert!(error.to_string().contains("http:// or https://"), "{error}");
/// ```
#[derive(Clone)]
#[cfg(feature = "remote")]
pub struct Remote {
    client: reqwest::Client,
    /// The WebSocket handshake's client: HTTP/1.1 only (ALPN
    /// `http/1.1`), since an Upgrade needs an HTTP/1.1 connection of its
    /// own (see `remote_ws`).
    #[cfg(feature = "websocket")]
    pub(crate) upgrading: reqwest::Client,
    base: String,
    timeout: Duration,
    body_limit: usize,
}

#[cfg(feature = "remote")]
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "remote")]
fn invalid(cause: String, hint: &str) -> Error {
    Error::without_request(ErrorKind::InvalidRequest, NAME, cause).with_hint(hint)
}

#[cfg(feature = "remote")]
impl Remote {
    /// A driver for the deployment at `base` (`http://` or `https://`,
    /// a host, optionally a stage path; no query or fragment).
    ///
    /// ```
    /// use crossdrive::remote::Remote;
    /// assert_eq!(Remote::new("https://api.example.com/prod/").unwrap().base(), "https://api.example.com/prod");
    /// assert!(Remote::new("https://api.example.com/prod?x=1").is_err());
    /// assert!(Remote::new("not a url").is_err());
    /// ```
    pub fn new(base: &str) -> Result<Self, Error> {
        const HINT: &str = "set it to the deployment's base URL with its stage path, such as \
                            https://abc.execute-api.eu-west-1.amazonaws.com/prod";
        let trimmed = base.trim();
        let url = reqwest::Url::parse(trimmed)
            .map_err(|e| invalid(format!("`{trimmed}` is not a URL"), HINT).with_source(e))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(
                format!("`{trimmed}` must start with http:// or https://"),
                HINT,
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid(format!("`{trimmed}` has no host"), HINT));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                format!("`{trimmed}` has a query or fragment; the base URL takes neither"),
                HINT,
            ));
        }
        let build = |alpn: &[&[u8]], http1_only: bool| {
            let builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never().max_retries_per_request(0));
            let builder = if http1_only {
                builder.http1_only()
            } else {
                builder
            };
            let builder = builder.tls_backend_preconfigured(
                tls_config(alpn)
                    .map_err(|e| invalid("cannot set up TLS".to_owned(), HINT).with_source(e))?,
            );
            builder.build().map_err(|e| {
                invalid(
                    format!("cannot build the HTTP client for `{trimmed}`"),
                    "check that the base URL is one reqwest can reach",
                )
                .with_source(e)
            })
        };
        let client = build(&[b"h2", b"http/1.1"], false)?;
        Ok(Self {
            client,
            #[cfg(feature = "websocket")]
            upgrading: build(&[b"http/1.1"], true)?,
            base: trimmed.trim_end_matches('/').to_owned(),
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
        })
    }

    /// The driver for `CROSSDRIVE_REMOTE_URL`, `None` when it is unset or
    /// empty, an error saying what is wrong when it is not a base URL.
    ///
    /// ```
    /// use crossdrive::remote::{Remote, URL_ENV};
    /// if std::env::var_os(URL_ENV).is_none() {
    ///     assert!(Remote::from_env().unwrap().is_none()); // no deployment to check
    /// }
    /// ```
    pub fn from_env() -> Result<Option<Self>, Error> {
        match std::env::var(URL_ENV) {
            Ok(url) if url.trim().is_empty() => Ok(None),
            Ok(url) => Self::new(&url).map(Some).map_err(|e| {
                invalid(
                    format!("{URL_ENV}: {}", e.cause()),
                    "set it to the deployment's base URL with its stage path, or unset it and leave out --ignored to skip the remote tests",
                )
            }),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(invalid(
                format!("{URL_ENV} is not valid UTF-8"),
                "set it to the deployment's base URL",
            )),
        }
    }

    /// The base URL requests are sent under, without a trailing slash.
    ///
    /// ```
    /// use crossdrive::remote::Remote;
    /// let remote = Remote::new("http://staging.internal:8080/v1/").unwrap();
    /// assert_eq!(remote.base(), "http://staging.internal:8080/v1");
    /// ```
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sets the per-request timeout (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::remote::Remote;
    /// // a loopback listener that never answers
    /// let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let base = format!("http://{}", silent.local_addr().unwrap());
    /// let client = crossdrive::Client::new(Remote::new(&base).unwrap().timeout(Duration::from_millis(100)));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.get("/").try_send().await.unwrap_err().is_timeout());
    /// # });
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body collected (default 256 MiB).
    ///
    /// ```
    /// use crossdrive::remote::Remote;
    /// # use std::io::{Read, Write};
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let base = format!("http://{}", listener.local_addr().unwrap());
    /// # std::thread::spawn(move || {
    /// #     let (mut stream, _) = listener.accept().unwrap();
    /// #     let _ = stream.read(&mut [0; 4096]);
    /// #     stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789").unwrap();
    /// # });
    /// // the server at `base` answers a 10-byte body
    /// let client = crossdrive::Client::new(Remote::new(&base).unwrap().body_limit(4));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let error = client.get("/").try_send().await.unwrap_err();
    /// assert_eq!(error.kind(), crossdrive::ErrorKind::LimitExceeded);
    /// # });
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    pub(crate) fn error(
        &self,
        kind: ErrorKind,
        method: &Method,
        uri: &Uri,
        cause: String,
    ) -> Error {
        Error::new(kind, NAME, method, uri, cause)
    }

    /// `request` as reqwest's, aimed at the deployment: its path and query
    /// appended to the base URL, its headers and body as they are.
    pub(crate) fn outgoing(
        &self,
        request: Request<Bytes>,
        method: &Method,
        uri: &Uri,
    ) -> Result<reqwest::Request, Error> {
        let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let url = format!("{}{target}", self.base);
        let url = reqwest::Url::parse(&url).map_err(|e| {
            self.error(
                ErrorKind::InvalidRequest,
                method,
                uri,
                format!("`{url}` is not a URL"),
            )
            .with_source(e)
        })?;
        let (parts, body) = request.into_parts();
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        if !body.is_empty() {
            *outgoing.body_mut() = Some(body.into());
        }
        Ok(outgoing)
    }

    /// The error for an exchange that failed: what broke, and what to check.
    pub(crate) fn failed(&self, failure: Failure, method: &Method, uri: &Uri) -> Error {
        match failure {
            Failure::Request(e) if e.is_timeout() => Error::timeout(NAME, method, uri, self.timeout),
            Failure::Request(e) if e.is_connect() => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    format!("cannot connect to {}", self.base),
                )
                .with_source(e)
                .with_hint(
                    "the deployment refused the connection or is gone; check CROSSDRIVE_REMOTE_URL and that the deployment is up",
                ),
            Failure::Request(e) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    format!("the exchange with {} failed", self.base),
                )
                .with_source(e)
                .with_hint("the connection broke before a response arrived"),
            Failure::TooLarge => self
                .error(
                    ErrorKind::LimitExceeded,
                    method,
                    uri,
                    format!(
                        "the response body is larger than the {}-byte limit",
                        self.body_limit
                    ),
                )
                .with_hint(
                    "raise it with Remote::body_limit if the deployment really sends that much",
                ),
            Failure::Body(e) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    "the response body broke off".to_owned(),
                )
                .with_source(e)
                .with_hint("the connection closed mid-body"),
            Failure::Task(e) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    "the request's task on the remote driver's runtime failed".to_owned(),
                )
                .with_source(e),
        }
    }
}

/// The client TLS configuration: ring, the system's trust store (through
/// rustls-platform-verifier, as reqwest's own default does), ALPN `alpn`
/// (`h2` and `http/1.1` for requests, `http/1.1` alone for a WebSocket
/// handshake).
#[cfg(feature = "remote")]
fn tls_config(alpn: &[&[u8]]) -> Result<rustls::ClientConfig, BoxError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// True, after printing why, when `client` is the `remote` driver: call it
/// first in a test that needs a fresh app or server-side inspection, and
/// return when it says so.
///
/// ```
/// # async fn body(client: crossdrive::Client) {
/// if crossdrive::remote::local_only(&client, "counts the todos it created") {
///     return;
/// }
/// # }
/// ```
pub fn local_only(client: &crate::Client, reason: &str) -> bool {
    let remote = client.name() == NAME;
    if remote {
        eprintln!("crossdrive: not run on remote: local-only test ({reason})");
    }
    remote
}

/// The runtime every remote request runs on: its own thread, alive for the
/// process, so pooled connections outlive each test's runtime.
#[cfg(feature = "remote")]
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Handle, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Handle, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            crate::fixture::runtime_thread("crossdrive-remote")
                .map_err(|e| format!("cannot start its runtime thread ({e})"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(feature = "remote")]
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(feature = "remote")]
pub(crate) enum Failure {
    Request(reqwest::Error),
    Body(BoxError),
    /// The request's task on the remote runtime failed or panicked.
    Task(BoxError),
    TooLarge,
}

#[cfg(feature = "remote")]
async fn exchange(
    client: reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> Result<Response<Bytes>, Failure> {
    let response: http::Response<reqwest::Body> = client
        .execute(request)
        .await
        .map_err(Failure::Request)?
        .into();
    read_limited(response, limit).await
}

/// Reads `response`'s body whole, at most `limit` bytes (a request's
/// answer and a refused WebSocket handshake's alike).
#[cfg(feature = "remote")]
pub(crate) async fn read_limited(
    response: http::Response<reqwest::Body>,
    limit: usize,
) -> Result<Response<Bytes>, Failure> {
    let (parts, body) = response.into_parts();
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            Failure::TooLarge
        } else {
            Failure::Body(e)
        }
    })?;
    Ok(Response::from_parts(parts, collected.to_bytes()))
}

#[cfg(feature = "remote")]
impl Driver for Remote {
    fn name(&self) -> &str {
        NAME
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let uri = request.uri().clone();
            let outgoing = self.outgoing(request, &method, &uri)?;
            let runtime = runtime().map_err(|cause| {
                self.error(
                    ErrorKind::Connection,
                    &method,
                    &uri,
                    format!("the remote driver {cause}"),
                )
            })?;
            let task = runtime.spawn(exchange(self.client.clone(), outgoing, self.body_limit));
            let abort = task.abort_handle();
            let outcome = match guarded(self.timeout, task).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(join)) => Err(Failure::Task(join.into())),
                Err(Interrupted::TimedOut(after)) => {
                    abort.abort();
                    return Err(Error::timeout(NAME, &method, &uri, after));
                }
                Err(Interrupted::Panicked(message)) => Err(Failure::Task(message.into())),
            };
            match outcome {
                Ok(response) => {
                    let protocol = Protocol::from_version(response.version());
                    Ok(DriverResponse::new(response, protocol))
                }
                Err(failure) => Err(self.failed(failure, &method, &uri)),
            }
        })
    }

    /// An HTTP/1.1 Upgrade to the deployment (see `remote_ws`).
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(crate::remote_ws::handshake(self, request))
    }
}

#[cfg(feature = "remote")]
impl Remote {
    /// The per-request timeout and body limit, for the WebSocket handshake.
    #[cfg(feature = "websocket")]
    pub(crate) fn limits(&self) -> (Duration, usize) {
        (self.timeout, self.body_limit)
    }
}
