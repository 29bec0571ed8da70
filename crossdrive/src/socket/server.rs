//! [`SocketServer`]: the public handle over a running server, and the
//! once-per-process shared servers.
//!
//! A server hosts many apps at once (see the `routes` module); each driver
//! made from it mounts one fresh app and unmounts it when dropped. The
//! server lives as long as its last handle or driver.
//!
//! Where the two ends of a connection run is the crux. Every test (and
//! every `suite!` test) runs on its own runtime and drops it when it ends;
//! a client's pooled connections are tasks on the runtime that opened them
//! and die with it ("dispatch task is gone", hyper #2112). So the listener
//! and the app registry live on the server's own thread, shared by every
//! test of the binary and started once, while each connection runs where
//! its client does:
//!
//! - A test driver ([`SocketServer::http1`] and friends) used inside a
//!   tokio runtime runs its client inline on that runtime, with a pool of
//!   its own (one per driver, so one per test). Before connecting, the
//!   client binds its socket, learns its address and registers it with the
//!   server ("serve the connection from 127.0.0.1:port on this runtime");
//!   the accept loop looks each accepted peer up and spawns that
//!   connection's server side, TLS handshake included, on the registered
//!   runtime (the `handoff` module). Client, connection tasks and app then
//!   share the test's thread: no cross-thread wake-up per request, where
//!   spawning each request onto the server's thread cost two. On the
//!   2-core VM this was built on, HTTP/1.1 p50 went from 90–120 µs (the
//!   other core idle) to 20 µs, 1.1–1.2× raw hyper with client and server
//!   on one thread (h2c: 29 µs, 1.1×);
//!   `cargo run --release -p crossdrive --example suite_latency`
//!   measures all three side by side.
//! - When the test's runtime is dropped, both ends of its connections go
//!   with it. Every pooled connection remembers its runtime; an exchange
//!   takes only connections of its own runtime and opens a new one
//!   otherwise, so a driver keeps working from a later runtime, or from
//!   another runtime still alive but idle (whose connections it must not
//!   use: nobody polls them). Nothing one test's runtime owns is needed by
//!   another test.
//! - Used from no tokio runtime (a bare executor), a request is spawned
//!   onto the server's thread and uses the server's own pool there, whose
//!   connections are served on that thread. So are connections from
//!   clients that do not register: the reqwest transport of
//!   [`SocketServer::http1_with`], foreign clients.
//! - [`SocketServer::stop`] drops the server's runtime, which ends the
//!   connections served there, and signals the ones served on tests'
//!   runtimes to close; the next request through a driver fails at once,
//!   saying the server was stopped.
//!
//! [`connections_accepted`](SocketServer::connections_accepted) counts what
//! the listener accepted, wherever it was served;
//! [`connections_served_inline`](SocketServer::connections_served_inline)
//! the part served on their client's runtime;
//! [`connections_opened`](SocketServer::connections_opened) what a
//! driver's pools opened. The bench keeps its own placement
//! (`SocketDriver::inline`, through `SocketServer::inline_driver`): its
//! client runs inline and its connections are served wherever the
//! topology put the server.
//!
//! The server only serves: the drivers are built by the `driver` module,
//! and what a server's start, stop and shared instance have in common with
//! the HTTP/3 server is the socket `core`'s `lifecycle`.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use crate::Error;
use crate::fixture::{Port, ServerThread};
use axum::Router;
use http::Version;

use super::core::{Clients, Hosting, Place, Prepared, shared, start_error, start_here};
use super::driver::{Flavor, SocketDriver, Tcp};
use super::routes::Mount;
use super::serve::serve;

/// The label under which the shared plain-text server's starts are counted.
///
/// ```
/// use crossdrive::socket::{SHARED_HTTP, SocketServer};
/// SocketServer::shared().unwrap();
/// assert!(crossdrive::fixture::starts(SHARED_HTTP) >= 1);
/// assert_eq!(SHARED_HTTP, "shared-http");
/// ```
pub const SHARED_HTTP: &str = "shared-http";
/// The label under which the shared TLS server's starts are counted.
///
/// ```
/// use crossdrive::socket::{SHARED_HTTP, SHARED_HTTPS};
/// assert_eq!(SHARED_HTTPS, "shared-https");
/// assert_ne!(SHARED_HTTPS, SHARED_HTTP);
/// # #[cfg(feature = "tls")] {
/// crossdrive::socket::SocketServer::shared_tls().unwrap();
/// assert!(crossdrive::fixture::starts(SHARED_HTTPS) >= 1);
/// # }
/// ```
pub const SHARED_HTTPS: &str = "shared-https";

/// How to start a [`SocketServer`].
///
/// ```
/// use crossdrive::fixture::Port;
/// use crossdrive::socket::ServerOptions;
/// let options = ServerOptions::new().tls(true).port(Port::Picked).label("my-https");
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    tls: bool,
    port: Port,
    label: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerOptions {
    /// Plain text (HTTP/1.1 and h2c) on any free port, counted as `http`.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let before = crossdrive::fixture::starts("http");
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert!(!server.is_tls());
    /// assert!(crossdrive::fixture::starts("http") > before);
    /// ```
    pub fn new() -> Self {
        Self {
            tls: false,
            port: Port::Any,
            label: String::new(),
        }
    }

    /// Serves TLS with a fresh self-signed certificate (ALPN `h2`,
    /// `http/1.1`); needs the `tls` feature.
    ///
    /// ```
    /// # #[cfg(feature = "tls")] {
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new().tls(true)).unwrap();
    /// assert!(server.is_tls());
    /// # }
    /// ```
    #[must_use]
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Which port to listen on (default: any free port).
    ///
    /// ```
    /// use crossdrive::fixture::Port;
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let server = SocketServer::start(ServerOptions::new().port(Port::Fixed(port))).unwrap();
    /// assert_eq!(server.addr().port(), port);
    /// ```
    #[must_use]
    pub fn port(mut self, port: Port) -> Self {
        self.port = port;
        self
    }

    /// The label the start is counted and logged under (default `http` or
    /// `https`).
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let _server = SocketServer::start(ServerOptions::new().label("todo-api-http")).unwrap();
    /// assert_eq!(crossdrive::fixture::starts("todo-api-http"), 1);
    /// ```
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    fn label_or_default(&self) -> String {
        match (self.label.is_empty(), self.tls) {
            (false, _) => self.label.clone(),
            (true, false) => "http".to_owned(),
            (true, true) => "https".to_owned(),
        }
    }
}

pub(crate) struct Core {
    /// Per flavor, what its drivers share; made and read by the driver
    /// module.
    hosting: Hosting<[Clients<Tcp>; Flavor::COUNT]>,
    #[cfg(feature = "tls")]
    tls: Option<super::tls::Material>,
}

/// A running HTTP server on loopback hosting a fresh app per driver.
/// Cloning it is cheap and shares the server.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::Client;
/// use crossdrive::socket::SocketServer;
///
/// let app = || Router::new().route("/hello", get(|| async { "hi" }));
/// let server = SocketServer::shared().unwrap();
/// let http1 = Client::new(server.http1(app()).unwrap());
/// let http2 = Client::new(server.http2(app()).unwrap());
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// http1.get("/hello").await.assert_status(200).assert_text("hi");
/// http2.get("/hello").await.assert_status(200).assert_text("hi");
/// # });
/// ```
#[derive(Clone)]
pub struct SocketServer {
    core: Arc<Core>,
}

impl std::fmt::Debug for SocketServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketServer")
            .field("addr", &self.addr())
            .field("tls", &self.is_tls())
            .field("mounted", &self.mounted())
            .finish()
    }
}

impl SocketServer {
    /// Starts a server on its own thread with its own runtime, bound before
    /// this returns. It stops when the last handle and driver are dropped.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert!(server.is_running());
    /// assert!(server.addr().ip().is_loopback());
    /// assert_eq!(server.mounted(), 0);
    /// ```
    pub fn start(options: ServerOptions) -> Result<Self, Error> {
        let label = options.label_or_default();
        let prepared = Prepared::new();
        let material = material(options.tls).map_err(|e| start_error::<Tcp>(&label, e))?;
        let acceptor = acceptor(&material);
        let served = Arc::clone(&prepared.routes);
        let handed = Arc::clone(&prepared.handoffs);
        let protocol = protocol(options.tls);
        let thread = ServerThread::start(&label, protocol, options.port, move |listener, stop| {
            serve(listener, served, handed, acceptor, stop)
        })
        .map_err(|e| start_error::<Tcp>(&label, e))?;
        let addr = thread.addr();
        let place = Place::Thread(thread.handle().clone(), Box::new(thread));
        Ok(Self::from_parts(prepared.placed(addr, place), material))
    }

    /// Starts a server on the current tokio runtime (the bench's
    /// same-thread topology): client and server then share one thread.
    pub(crate) fn start_here(tls: bool, label: &str) -> Result<Self, Error> {
        let (hosting, material) =
            start_here::<Tcp, _, _, _>(label, protocol(tls), |prepared, stop| {
                let listener = crate::fixture::bind(Port::Any)?;
                let addr = listener.local_addr()?;
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let material = material(tls)?;
                let (served, handed) =
                    (Arc::clone(&prepared.routes), Arc::clone(&prepared.handoffs));
                let serving = serve(listener, served, handed, acceptor(&material), stop);
                Ok((addr, serving, material))
            })?;
        Ok(Self::from_parts(hosting, material))
    }

    fn from_parts(
        hosting: Hosting<[Clients<Tcp>; Flavor::COUNT]>,
        #[allow(unused_variables)] material: Material,
    ) -> Self {
        Self {
            core: Arc::new(Core {
                hosting,
                #[cfg(feature = "tls")]
                tls: material,
            }),
        }
    }

    /// The plain-text server shared by every test in this process (HTTP/1.1
    /// and h2c on one port), started on first use and counted under
    /// [`SHARED_HTTP`].
    ///
    /// ```
    /// use crossdrive::socket::SocketServer;
    /// let first = SocketServer::shared().unwrap();
    /// let again = SocketServer::shared().unwrap();
    /// assert!(std::ptr::eq(first, again)); // one server per process
    /// assert!(!first.is_tls());
    /// ```
    pub fn shared() -> Result<&'static SocketServer, Error> {
        static SHARED: OnceLock<Result<SocketServer, String>> = OnceLock::new();
        shared::<Tcp, _>(&SHARED, SHARED_HTTP, || {
            Self::start(ServerOptions::new().label(SHARED_HTTP))
        })
    }

    /// The TLS server shared by every test in this process, started on
    /// first use and counted under [`SHARED_HTTPS`]; needs the `tls`
    /// feature.
    ///
    /// ```
    /// use crossdrive::socket::SocketServer;
    /// let tls = SocketServer::shared_tls().unwrap();
    /// assert!(tls.is_tls());
    /// assert_ne!(tls.addr(), SocketServer::shared().unwrap().addr());
    /// ```
    #[cfg(feature = "tls")]
    pub fn shared_tls() -> Result<&'static SocketServer, Error> {
        static SHARED: OnceLock<Result<SocketServer, String>> = OnceLock::new();
        shared::<Tcp, _>(&SHARED, SHARED_HTTPS, || {
            Self::start(ServerOptions::new().tls(true).label(SHARED_HTTPS))
        })
    }

    /// The address the server listens on.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert!(server.addr().ip().is_loopback());
    /// assert_ne!(server.addr().port(), 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.core.hosting.addr
    }

    /// Whether the server speaks TLS.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// assert!(!SocketServer::start(ServerOptions::new()).unwrap().is_tls());
    /// # #[cfg(feature = "tls")]
    /// assert!(SocketServer::start(ServerOptions::new().tls(true)).unwrap().is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.core.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// How many requests this server received as `version` (the protocol
    /// proof: count HTTP/1.1 requests on a server only HTTP/2 drivers use).
    ///
    /// ```
    /// use http::Version;
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// let client = crossdrive::Client::new(server.http2(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200);
    /// # });
    /// assert_eq!(server.requests_seen(Version::HTTP_2), 1);
    /// assert_eq!(server.requests_seen(Version::HTTP_11), 0);
    /// ```
    pub fn requests_seen(&self, version: Version) -> u64 {
        self.core.hosting.routes.seen(version)
    }

    /// How many connections the server has accepted, wherever they were
    /// then served: keep-alive, seen from the server's side.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert_eq!(server.connections_accepted(), 0);
    /// ```
    pub fn connections_accepted(&self) -> u64 {
        self.core.hosting.routes.accepted()
    }

    /// How many of the [accepted](SocketServer::connections_accepted)
    /// connections were handed to the runtime of the client that opened
    /// them and served there (a test driver used inside a tokio runtime);
    /// the rest were served on the server's own thread.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use crossdrive::Client;
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    ///
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// let client = Client::new(server.http1(Router::new().route("/", get(|| async { "hi" }))).unwrap());
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// rt.block_on(async {
    ///     client.get("/").await.assert_status(200);
    /// });
    /// assert_eq!(server.connections_served_inline(), 1);
    /// ```
    pub fn connections_served_inline(&self) -> u64 {
        self.core.hosting.routes.inline()
    }

    /// How many apps are mounted (one per live driver).
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// let driver = server.http1(axum::Router::new()).unwrap();
    /// assert_eq!(server.mounted(), 1);
    /// drop(driver);
    /// assert_eq!(server.mounted(), 0);
    /// ```
    pub fn mounted(&self) -> usize {
        self.core.hosting.routes.mounted()
    }

    /// Stops the server now, while drivers may still hold it: closes its
    /// listener and every connection, and joins its thread. Later requests
    /// through its drivers fail at once with a connection error saying the
    /// server is gone, and new drivers cannot be made. This is how a test
    /// shows what a suite sees when its server dies mid-run; never stop a
    /// [`shared`](SocketServer::shared) server, which every later test of
    /// the binary needs. Stopping twice does nothing.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// let driver = server.http1(axum::Router::new()).unwrap();
    /// server.stop();
    /// assert!(!server.is_running());
    /// assert!(server.http1(axum::Router::new()).unwrap_err().is_connection());
    /// # drop(driver);
    /// ```
    pub fn stop(&self) {
        self.core.hosting.stop();
    }

    /// Whether the server is still serving (not [`stop`](SocketServer::stop)ped).
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert!(server.is_running());
    /// server.stop();
    /// assert!(!server.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.core.hosting.is_running()
    }

    /// The `http1` driver over a fresh mount of `app`: HTTP/1.1 only, with
    /// keep-alive.
    ///
    /// ```
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let client = crossdrive::Client::new(SocketServer::shared().unwrap().http1(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// response.assert_status(200).assert_text("hi");
    /// assert_eq!(*response.protocol(), Protocol::Http1);
    /// # });
    /// ```
    pub fn http1(&self, app: Router) -> Result<SocketDriver, Error> {
        SocketDriver::for_test(self, Flavor::Http1, app)
    }

    /// The `http2` driver: h2c (HTTP/2 by prior knowledge, no TLS).
    ///
    /// ```
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let client = crossdrive::Client::new(SocketServer::shared().unwrap().http2(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// response.assert_status(200).assert_text("hi");
    /// assert_eq!(*response.protocol(), Protocol::Http2);
    /// # });
    /// ```
    pub fn http2(&self, app: Router) -> Result<SocketDriver, Error> {
        SocketDriver::for_test(self, Flavor::Http2, app)
    }

    /// The `http2-tls` driver: HTTP/2 negotiated by ALPN over TLS; needs a
    /// TLS server.
    ///
    /// ```
    /// # #[cfg(feature = "tls")] {
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let client = crossdrive::Client::new(SocketServer::shared_tls().unwrap().http2_tls(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// assert_eq!(*response.assert_status(200).protocol(), Protocol::Http2);
    /// # });
    /// # }
    /// ```
    pub fn http2_tls(&self, app: Router) -> Result<SocketDriver, Error> {
        SocketDriver::for_test(self, Flavor::Http2Tls, app)
    }

    /// The `http1-tls` driver: a TLS client offering only `http/1.1` by
    /// ALPN, to prove the server falls back to HTTP/1.1.
    ///
    /// ```
    /// # #[cfg(feature = "tls")] {
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let client = crossdrive::Client::new(SocketServer::shared_tls().unwrap().http1_tls(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// assert_eq!(*response.assert_status(200).protocol(), Protocol::Http1);
    /// # });
    /// # }
    /// ```
    pub fn http1_tls(&self, app: Router) -> Result<SocketDriver, Error> {
        SocketDriver::for_test(self, Flavor::Http1Tls, app)
    }

    /// The `http1-fresh` driver: HTTP/1.1 with a new connection for every
    /// request, the comparison keep-alive is judged against.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// let client = crossdrive::Client::new(server.http1_fresh(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200);
    /// client.get("/").await.assert_status(200);
    /// # });
    /// assert_eq!(server.connections_accepted(), 2); // one per request
    /// ```
    pub fn http1_fresh(&self, app: Router) -> Result<SocketDriver, Error> {
        SocketDriver::for_test(self, Flavor::Http1Fresh, app)
    }

    /// The `http1` driver sending through a reqwest client adjusted by
    /// `configure`, for a test that asks for what the drivers leave out,
    /// such as following redirects. The client is the test's own (not the
    /// shared pool) and still runs on the server's runtime. Unlike the
    /// default transport, reqwest normalizes request targets (noted as
    /// `uri-normalized`) and adds `accept: */*`.
    ///
    /// ```
    /// use crossdrive::socket::{SocketServer, reqwest};
    /// let following = SocketServer::shared().unwrap().http1_with(axum::Router::new(), |client| {
    ///     client.redirect(reqwest::redirect::Policy::limited(5))
    /// });
    /// assert!(following.is_ok());
    /// ```
    #[cfg(feature = "remote")]
    pub fn http1_with(
        &self,
        app: Router,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<SocketDriver, Error> {
        SocketDriver::with_reqwest(self, Flavor::Http1, app, configure)
    }

    /// The `http2` driver with its reqwest client adjusted by `configure`;
    /// see [`SocketServer::http1_with`].
    ///
    /// ```
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// let app = axum::Router::new().fallback(|headers: http::HeaderMap| async move {
    ///     headers["user-agent"].to_str().unwrap().to_owned()
    /// });
    /// let driver = SocketServer::shared().unwrap().http2_with(app, |client| client.user_agent("my-suite"));
    /// let client = crossdrive::Client::new(driver.unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// assert_eq!(*response.assert_text("my-suite").protocol(), Protocol::Http2);
    /// # });
    /// ```
    #[cfg(feature = "remote")]
    pub fn http2_with(
        &self,
        app: Router,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<SocketDriver, Error> {
        SocketDriver::with_reqwest(self, Flavor::Http2, app, configure)
    }

    /// The `http2-tls` driver with its reqwest client adjusted by
    /// `configure`; see [`SocketServer::http1_with`].
    ///
    /// ```
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::SocketServer;
    /// let app = axum::Router::new().fallback(|headers: http::HeaderMap| async move {
    ///     headers["user-agent"].to_str().unwrap().to_owned()
    /// });
    /// let server = SocketServer::shared_tls().unwrap();
    /// let client = crossdrive::Client::new(server.http2_tls_with(app, |c| c.user_agent("my-suite")).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// assert_eq!(*response.assert_text("my-suite").protocol(), Protocol::Http2);
    /// # });
    /// ```
    #[cfg(all(feature = "remote", feature = "tls"))]
    pub fn http2_tls_with(
        &self,
        app: Router,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<SocketDriver, Error> {
        SocketDriver::with_reqwest(self, Flavor::Http2Tls, app, configure)
    }

    /// How many connections the drivers named `driver` (`http1`, `http2`,
    /// `http2-tls`, `http1-fresh`) have opened to this server, through
    /// their own pools or the server thread's: keep-alive made visible from
    /// the client's side. 0 before the first request.
    ///
    /// ```
    /// use crossdrive::socket::{ServerOptions, SocketServer};
    /// let server = SocketServer::start(ServerOptions::new()).unwrap();
    /// assert_eq!(server.connections_opened("http1"), 0);
    /// ```
    pub fn connections_opened(&self, driver: &str) -> u64 {
        self.core
            .hosting
            .clients
            .iter()
            .filter_map(Clients::made)
            .filter(|target| target.flavor_name() == driver)
            .map(|target| target.opened())
            .sum()
    }

    /// The running server's parts, for the driver module.
    pub(crate) fn hosting(&self) -> &Hosting<[Clients<Tcp>; Flavor::COUNT]> {
        &self.core.hosting
    }

    /// The server's certificate material, when it speaks TLS.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_material(&self) -> Option<&super::tls::Material> {
        self.core.tls.as_ref()
    }

    pub(crate) fn mount(&self, app: Router) -> Mount {
        self.core.hosting.routes.mount(app)
    }

    pub(crate) fn keep_alive(&self) -> Arc<dyn std::any::Any + Send + Sync> {
        Arc::clone(&self.core) as Arc<dyn std::any::Any + Send + Sync>
    }
}

#[cfg(feature = "tls")]
type Material = Option<super::tls::Material>;
#[cfg(not(feature = "tls"))]
type Material = Option<std::convert::Infallible>;

fn material(tls: bool) -> Result<Material, String> {
    if !tls {
        return Ok(None);
    }
    #[cfg(feature = "tls")]
    return super::tls::Material::generate().map(Some);
    #[cfg(not(feature = "tls"))]
    Err("TLS needs the `tls` feature of crossdrive".to_owned())
}

fn acceptor(material: &Material) -> super::serve::Acceptor {
    #[cfg(feature = "tls")]
    return material.as_ref().map(|m| m.acceptor.clone());
    #[cfg(not(feature = "tls"))]
    material.as_ref().map(|never| match *never {})
}

fn protocol(tls: bool) -> &'static str {
    if tls {
        "TLS, ALPN h2 or http/1.1"
    } else {
        "HTTP/1.1 and h2c"
    }
}
