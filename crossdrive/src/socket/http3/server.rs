//! [`Http3Server`]: the HTTP/3 server on a UDP loopback port, and the
//! once-per-process shared one.
//!
//! It is the TCP [`SocketServer`](crate::socket::SocketServer)'s twin:
//! many apps mounted at once, each under a random id in the private app
//! header (the `routes` module, the very same one), the version the
//! server saw echoed back, a panicking handler flagged. The UDP socket is
//! bound before the server's thread starts, so the server is ready by
//! construction (datagrams sent before the endpoint polls wait in the
//! socket's buffer).
//!
//! Where things run follows the TCP servers too: quinn's endpoint (the
//! socket and its packet I/O) lives on the server's thread; a test
//! driver's connection is registered by its client's UDP address before
//! the first packet is sent, and the accept loop accepts it on the test's
//! runtime (the `handoff` module), where quinn then runs that
//! connection's state machine, h3 and the app. Only the datagrams cross
//! threads. A connection from no tokio runtime, or from a client that did
//! not register, is served on the server's thread.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use crate::fixture::{Shutdown, record_start};
use crate::{Error, ErrorKind};
use axum::Router;
use http::Version;
use tokio::sync::{oneshot, watch};

use super::super::handoff::Handoffs;
use super::super::routes::{Mount, Routes};
use super::super::tls::{ALPN_H3, Material};
use super::client::{Pool, Target};
use super::driver::{Http3Driver, NAME, Placement};
use super::serve::serve;

/// The label under which the shared HTTP/3 server's starts are counted.
///
/// ```
/// use crossdrive::socket::{Http3Server, SHARED_HTTP3};
/// Http3Server::shared().unwrap();
/// assert!(crossdrive::fixture::starts(SHARED_HTTP3) >= 1);
/// assert_eq!(SHARED_HTTP3, "shared-http3");
/// ```
pub const SHARED_HTTP3: &str = "shared-http3";

/// What the server names in its start log line.
const PROTOCOL: &str = "HTTP/3 over QUIC (UDP), TLS 1.3, ALPN h3";

/// How many request streams a client may have open on one connection at
/// once: past quinn's default of 100, so a concurrency test's burst is not
/// held back by the server (streams beyond it wait, they do not fail).
const MAX_STREAMS: u32 = 1024;

/// Where the accept loop runs, and what stops it.
enum Place {
    /// On a thread of its own; dropping it stops and joins that thread.
    Thread(ServerThread),
    /// On a runtime that was already running (the bench's); dropping the
    /// sender stops the accept loop.
    Task(#[allow(dead_code)] oneshot::Sender<()>),
}

/// The server's own thread and runtime.
struct ServerThread {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

struct Core {
    addr: SocketAddr,
    routes: Arc<Routes>,
    handoffs: Arc<Handoffs>,
    closing: watch::Sender<bool>,
    tls: Material,
    /// What every pool shares (client TLS, the count of connections).
    target: OnceLock<Arc<Target>>,
    /// The pool of requests made from no tokio runtime, whose connection
    /// lives on the server's thread. Declared before `place`, so dropped
    /// before the runtime that drives it.
    fallback: OnceLock<Arc<Pool>>,
    /// `None` once stopped.
    place: Mutex<Option<Place>>,
}

/// A running HTTP/3 server on a UDP loopback port hosting a fresh app per
/// driver. Cloning it is cheap and shares the server.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::{Client, Protocol};
/// use crossdrive::socket::Http3Server;
///
/// let app = Router::new().route("/hello", get(|| async { "hi" }));
/// let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let response = client.get("/hello").await;
/// response.assert_status(200).assert_text("hi");
/// assert_eq!(*response.protocol(), Protocol::Http3);
/// # });
/// ```
#[derive(Clone)]
pub struct Http3Server {
    core: Arc<Core>,
}

impl std::fmt::Debug for Http3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http3Server")
            .field("addr", &self.core.addr)
            .field("mounted", &self.mounted())
            .finish()
    }
}

/// The server could not start: the error met.
fn start_error(what: &str, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::without_request(
        ErrorKind::Connection,
        what,
        "cannot start the HTTP/3 server",
    )
    .with_source(cause)
    .with_hint("check that loopback networking is available and the process may open UDP sockets")
}

/// The driver could not be set up.
fn setup_error(cause: String) -> Error {
    Error::without_request(ErrorKind::Connection, NAME, cause)
}

/// quinn's server configuration: the certificate, ALPN `h3`, room for
/// many concurrent streams.
fn server_config(tls: &Material) -> Result<quinn::ServerConfig, String> {
    let crypto = tls.quic_server()?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_concurrent_bidi_streams(MAX_STREAMS.into());
    config.transport_config(Arc::new(transport));
    Ok(config)
}

/// A quinn endpoint serving on `socket`; inside a tokio runtime.
fn endpoint(socket: std::net::UdpSocket, tls: &Material) -> Result<quinn::Endpoint, String> {
    quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(server_config(tls)?),
        socket,
        Arc::new(quinn::TokioRuntime),
    )
    .map_err(|e| format!("quinn cannot serve on the UDP socket ({e})"))
}

fn bind() -> Result<(std::net::UdpSocket, SocketAddr), String> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a UDP socket on 127.0.0.1 ({e})"))?;
    let addr = socket
        .local_addr()
        .map_err(|e| format!("cannot read the UDP socket's address ({e})"))?;
    Ok((socket, addr))
}

impl Http3Server {
    /// Starts a server on its own thread with its own runtime, counted and
    /// logged under `label`; its UDP socket is bound before this returns.
    /// It stops when the last handle and driver are dropped.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("my-h3").unwrap();
    /// assert!(server.is_running());
    /// assert!(server.addr().ip().is_loopback());
    /// assert_eq!(crossdrive::fixture::starts("my-h3"), 1);
    /// ```
    pub fn start(label: &str) -> Result<Self, Error> {
        let began = Instant::now();
        let fail = |e: String| start_error(label, e);
        let tls = Material::generate().map_err(fail)?;
        let (socket, addr) = bind().map_err(fail)?;
        let routes = Arc::new(Routes::default());
        let (closing, handoffs) = handoffs();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, shutdown) = Shutdown::pair();
        let config = server_config(&tls).map_err(fail)?;
        let (served, handed) = (Arc::clone(&routes), Arc::clone(&handoffs));
        let thread = std::thread::Builder::new()
            .name(format!("crossdrive-{label}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot build its runtime ({e})")));
                        return;
                    }
                };
                let endpoint = {
                    let _entered = runtime.enter();
                    quinn::Endpoint::new(
                        quinn::EndpointConfig::default(),
                        Some(config),
                        socket,
                        Arc::new(quinn::TokioRuntime),
                    )
                };
                match endpoint {
                    Ok(endpoint) => {
                        let _ = ready_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(serve(endpoint, served, handed, shutdown));
                    }
                    Err(e) => {
                        let _ = ready_tx
                            .send(Err(format!("quinn cannot serve on the UDP socket ({e})")));
                    }
                }
                // Dropping the runtime ends every connection served here.
                drop(runtime);
            })
            .map_err(|e| start_error(label, e))?;
        let handle = ready_rx
            .recv()
            .map_err(|_| fail("the server thread died while starting; see its panic above".into()))?
            .map_err(fail)?;
        record_start(label, addr, PROTOCOL, began.elapsed());
        Ok(Self::from_parts(
            addr,
            routes,
            (closing, handoffs),
            tls,
            Place::Thread(ServerThread {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            }),
        ))
    }

    /// Starts a server on the current tokio runtime (the bench's
    /// same-thread topology): client and server then share one thread.
    pub(crate) fn start_here(label: &str) -> Result<Self, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(start_error(
                label,
                "start_here needs to run inside a tokio runtime",
            ));
        }
        let began = Instant::now();
        let fail = |e: String| start_error(label, e);
        let tls = Material::generate().map_err(fail)?;
        let (socket, addr) = bind().map_err(fail)?;
        let endpoint = endpoint(socket, &tls).map_err(fail)?;
        let routes = Arc::new(Routes::default());
        let (closing, handoffs) = handoffs();
        let (stop, shutdown) = Shutdown::pair();
        tokio::spawn(serve(
            endpoint,
            Arc::clone(&routes),
            Arc::clone(&handoffs),
            shutdown,
        ));
        record_start(label, addr, PROTOCOL, began.elapsed());
        Ok(Self::from_parts(
            addr,
            routes,
            (closing, handoffs),
            tls,
            Place::Task(stop),
        ))
    }

    fn from_parts(
        addr: SocketAddr,
        routes: Arc<Routes>,
        (closing, handoffs): (watch::Sender<bool>, Arc<Handoffs>),
        tls: Material,
        place: Place,
    ) -> Self {
        Self {
            core: Arc::new(Core {
                addr,
                routes,
                handoffs,
                closing,
                tls,
                target: OnceLock::new(),
                fallback: OnceLock::new(),
                place: Mutex::new(Some(place)),
            }),
        }
    }

    /// The HTTP/3 server shared by every test in this process, started on
    /// first use and counted under [`SHARED_HTTP3`].
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let first = Http3Server::shared().unwrap();
    /// let again = Http3Server::shared().unwrap();
    /// assert!(std::ptr::eq(first, again)); // one server per process
    /// ```
    pub fn shared() -> Result<&'static Http3Server, Error> {
        static SHARED: OnceLock<Result<Http3Server, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::start(SHARED_HTTP3).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| start_error(SHARED_HTTP3, e.clone()))
    }

    /// The UDP address the server listens on.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let addr = Http3Server::shared().unwrap().addr();
    /// assert!(addr.ip().is_loopback() && addr.port() != 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.core.addr
    }

    /// How many requests this server received as `version`: every one as
    /// HTTP/3, the protocol proof seen from the server's side.
    ///
    /// ```
    /// use http::Version;
    /// use crossdrive::socket::Http3Server;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let server = Http3Server::start("doc-h3-seen").unwrap();
    /// let client = crossdrive::Client::new(server.http3(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200);
    /// # });
    /// assert_eq!(server.requests_seen(Version::HTTP_3), 1);
    /// assert_eq!(server.requests_seen(Version::HTTP_2), 0);
    /// ```
    pub fn requests_seen(&self, version: Version) -> u64 {
        self.core.routes.seen(version)
    }

    /// How many QUIC connections the server has accepted, wherever they
    /// were then served.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let server = Http3Server::start("doc-h3-accepted").unwrap();
    /// let client = crossdrive::Client::new(server.http3(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200);
    /// client.get("/").await.assert_status(200);
    /// # });
    /// assert_eq!(server.connections_accepted(), 1); // both on one connection
    /// ```
    pub fn connections_accepted(&self) -> u64 {
        self.core.routes.accepted()
    }

    /// How many of the accepted connections were handed to the runtime of
    /// the client that opened them and served there.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let server = Http3Server::start("doc-h3-inline").unwrap();
    /// let client = crossdrive::Client::new(server.http3(hi()).unwrap());
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// rt.block_on(async { client.get("/").await.assert_status(200); });
    /// assert_eq!(server.connections_served_inline(), 1);
    /// ```
    pub fn connections_served_inline(&self) -> u64 {
        self.core.routes.inline()
    }

    /// How many QUIC connections this server's drivers have opened (0
    /// before the first request): one per runtime a driver was used from.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("doc-h3-opened").unwrap();
    /// assert_eq!(server.connections_opened(), 0);
    /// ```
    pub fn connections_opened(&self) -> u64 {
        self.core.target.get().map_or(0, |target| target.opened())
    }

    /// How many apps are mounted (one per live driver).
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("doc-h3-mounted").unwrap();
    /// let driver = server.http3(axum::Router::new()).unwrap();
    /// assert_eq!(server.mounted(), 1);
    /// drop(driver);
    /// assert_eq!(server.mounted(), 0);
    /// ```
    pub fn mounted(&self) -> usize {
        self.core.routes.mounted()
    }

    /// Stops the server now, while drivers may still hold it: closes its
    /// endpoint and every connection, and joins its thread. Later requests
    /// through its drivers fail with a connection error, and new drivers
    /// cannot be made. Never stop the [`shared`](Http3Server::shared)
    /// server. Stopping twice does nothing.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("doc-h3-stop").unwrap();
    /// server.stop();
    /// assert!(!server.is_running());
    /// assert!(server.http3(axum::Router::new()).unwrap_err().is_connection());
    /// ```
    pub fn stop(&self) {
        self.core.closing.send_replace(true);
        let place = self
            .core
            .place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(place);
    }

    /// Whether the server is still serving (not [`stop`](Http3Server::stop)ped).
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("doc-h3-running").unwrap();
    /// assert!(server.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.core
            .place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// The `http3` driver over a fresh mount of `app`: HTTP/3 on one
    /// pooled QUIC connection per runtime.
    ///
    /// ```
    /// use crossdrive::Protocol;
    /// use crossdrive::socket::Http3Server;
    /// # let hi = || axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    /// let client = crossdrive::Client::new(Http3Server::shared().unwrap().http3(hi()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/").await;
    /// assert_eq!(*response.assert_status(200).protocol(), Protocol::Http3);
    /// # });
    /// ```
    pub fn http3(&self, app: Router) -> Result<Http3Driver, Error> {
        let Some(server) = self.runtime()? else {
            return self.inline_driver(app);
        };
        let target = self.target()?;
        let fallback = match self.core.fallback.get() {
            Some(pool) => Arc::clone(pool),
            None => {
                let built = Arc::new(Pool::new(Arc::clone(&target)));
                Arc::clone(self.core.fallback.get_or_init(|| built))
            }
        };
        let own = Pool::with_handoff(target, Arc::clone(&self.core.handoffs));
        Ok(Http3Driver::new(
            Arc::new(own),
            self.mount(app),
            Placement::Suite {
                server,
                fallback,
                handoffs: Arc::clone(&self.core.handoffs),
            },
            self.keep_alive(),
        ))
    }

    /// A driver whose pool runs inline on the caller's runtime, its
    /// connection served wherever the server accepts it: the bench's.
    pub(crate) fn inline_driver(&self, app: Router) -> Result<Http3Driver, Error> {
        Ok(Http3Driver::new(
            Arc::new(Pool::new(self.target()?)),
            self.mount(app),
            Placement::Inline,
            self.keep_alive(),
        ))
    }

    /// The server runtime's handle: `Ok(None)` when requests run inline
    /// (a server on the caller's runtime), an error once stopped.
    fn runtime(&self) -> Result<Option<tokio::runtime::Handle>, Error> {
        let place = self
            .core
            .place
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*place {
            Some(Place::Thread(thread)) => Ok(Some(thread.handle.clone())),
            Some(Place::Task(_)) => Ok(None),
            None => Err(setup_error(format!(
                "the HTTP/3 server at {} is stopped",
                self.core.addr
            ))
            .with_hint("start a new Http3Server; a stopped one does not restart")),
        }
    }

    fn target(&self) -> Result<Arc<Target>, Error> {
        if let Some(target) = self.core.target.get() {
            return Ok(Arc::clone(target));
        }
        let config = self.quic_client().map_err(setup_error)?;
        let built = Arc::new(Target::new(self.core.addr, config).map_err(setup_error)?);
        Ok(Arc::clone(self.core.target.get_or_init(|| built)))
    }

    /// A quinn client configuration trusting this server's certificate and
    /// offering ALPN `h3`.
    pub(crate) fn quic_client(&self) -> Result<quinn::ClientConfig, String> {
        let crypto = self.core.tls.quic_client(ALPN_H3)?;
        Ok(quinn::ClientConfig::new(Arc::new(crypto)))
    }

    /// The certificate material, for a raw client offering other ALPNs.
    #[cfg(test)]
    pub(crate) fn tls(&self) -> &Material {
        &self.core.tls
    }

    pub(crate) fn mount(&self, app: Router) -> Mount {
        self.core.routes.mount(app)
    }

    pub(crate) fn keep_alive(&self) -> Arc<dyn std::any::Any + Send + Sync> {
        Arc::clone(&self.core) as Arc<dyn std::any::Any + Send + Sync>
    }
}

/// The closing signal of a new server and the registry that hands its
/// connections over.
fn handoffs() -> (watch::Sender<bool>, Arc<Handoffs>) {
    let (closing, closed) = watch::channel(false);
    (closing, Arc::new(Handoffs::new(closed)))
}
