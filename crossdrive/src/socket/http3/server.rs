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
//! Where things run: the server's endpoint (its UDP socket and quinn's
//! packet I/O) lives on the server's thread and serves connections from no
//! tokio runtime, foreign clients and the bench's raw floor. A test's
//! driver inside a tokio runtime opens its connection to an endpoint of
//! its own, made on the test's runtime with this server's certificate and
//! routes (the `local` module), so that client, endpoint, connection, h3
//! and the app all run on the test's thread: unlike a TCP connection, a
//! QUIC connection cannot be handed over whole, since its datagrams come
//! through its endpoint's one socket.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::Error;
use crate::fixture::{Shutdown, record_start};
use axum::Router;
use http::Version;
use tokio::sync::oneshot;

use super::super::core::{Clients, Hosting, Place, Prepared, shared, start_error, start_here};
use super::super::routes::Mount;
use super::super::tls::Material;
use super::driver::{Http3Driver, Quic};
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

/// The server's own thread; dropping it stops the accept loop and joins
/// the thread, whose runtime's drop ends every connection served there.
struct ServerThread {
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
    /// What every driver shares; made and read by the driver module.
    hosting: Hosting<Clients<Quic>>,
    tls: Material,
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
            .field("addr", &self.addr())
            .field("mounted", &self.mounted())
            .finish()
    }
}

/// quinn's server configuration: the certificate, ALPN `h3`, room for
/// many concurrent streams.
pub(crate) fn server_config(tls: &Material) -> Result<quinn::ServerConfig, String> {
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
        let fail = |e: String| start_error::<Quic>(label, e);
        let tls = Material::generate().map_err(fail)?;
        let (socket, addr) = bind().map_err(fail)?;
        let prepared = Prepared::new();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, shutdown) = Shutdown::pair();
        let config = server_config(&tls).map_err(fail)?;
        let served = Arc::clone(&prepared.routes);
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
                        runtime.block_on(serve(endpoint, served, shutdown));
                    }
                    Err(e) => {
                        let _ = ready_tx
                            .send(Err(format!("quinn cannot serve on the UDP socket ({e})")));
                    }
                }
                // Dropping the runtime ends every connection served here.
                drop(runtime);
            })
            .map_err(|e| start_error::<Quic>(label, e))?;
        let handle = ready_rx
            .recv()
            .map_err(|_| fail("the server thread died while starting; see its panic above".into()))?
            .map_err(fail)?;
        record_start(label, addr, PROTOCOL, began.elapsed());
        let thread = ServerThread {
            stop: Some(stop),
            thread: Some(thread),
        };
        let place = Place::Thread(handle, Box::new(thread));
        Ok(Self::from_parts(prepared.placed(addr, place), tls))
    }

    /// Starts a server on the current tokio runtime (the bench's
    /// same-thread topology): client and server then share one thread.
    pub(crate) fn start_here(label: &str) -> Result<Self, Error> {
        let (hosting, tls) = start_here::<Quic, _, _, _>(label, PROTOCOL, |prepared, stop| {
            let tls = Material::generate()?;
            let (socket, addr) = bind()?;
            let endpoint = endpoint(socket, &tls)?;
            let served = Arc::clone(&prepared.routes);
            Ok((addr, serve(endpoint, served, stop), tls))
        })?;
        Ok(Self::from_parts(hosting, tls))
    }

    fn from_parts(hosting: Hosting<Clients<Quic>>, tls: Material) -> Self {
        Self {
            core: Arc::new(Core { hosting, tls }),
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
        shared::<Quic, _>(&SHARED, SHARED_HTTP3, || Self::start(SHARED_HTTP3))
    }

    /// The UDP address the server listens on.
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let addr = Http3Server::shared().unwrap().addr();
    /// assert!(addr.ip().is_loopback() && addr.port() != 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.core.hosting.addr
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
        self.core.hosting.routes.seen(version)
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
        self.core.hosting.routes.accepted()
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
        self.core.hosting.routes.inline()
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
        self.core
            .hosting
            .clients
            .made()
            .map_or(0, |target| target.opened())
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
        self.core.hosting.routes.mounted()
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
        self.core.hosting.stop();
    }

    /// Whether the server is still serving (not [`stop`](Http3Server::stop)ped).
    ///
    /// ```
    /// use crossdrive::socket::Http3Server;
    /// let server = Http3Server::start("doc-h3-running").unwrap();
    /// assert!(server.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.core.hosting.is_running()
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
        Http3Driver::for_test(self, app)
    }

    /// The running server's parts, for the driver module.
    pub(crate) fn hosting(&self) -> &Hosting<Clients<Quic>> {
        &self.core.hosting
    }

    /// The certificate material, for a client trusting it.
    pub(crate) fn tls(&self) -> &Material {
        &self.core.tls
    }

    pub(crate) fn mount(&self, app: Router) -> Mount {
        self.core.hosting.routes.mount(app)
    }

    pub(crate) fn keep_alive(&self) -> Arc<dyn std::any::Any + Send + Sync> {
        Arc::clone(&self.core) as Arc<dyn std::any::Any + Send + Sync>
    }
}
