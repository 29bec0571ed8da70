//! The socket drivers' client: hyper's own `client::conn` connections,
//! kept alive in a small pool.
//!
//! This is the client reqwest itself runs on, without reqwest's
//! per-request layers (URL parsing and re-serializing, the redirect and
//! retry machinery, default headers, one spawned task per HTTP/1.1
//! response to return its connection). Those layers cost 1.35-1.4x the raw
//! exchange on this machine (docs/benchmarks.md), and a harness that
//! adds 40% to every socket request is measuring its client, not the app.
//! What remains is what a real client must do: open a TCP connection
//! (and a rustls session, ALPN deciding the protocol), hand the request to
//! hyper, read the whole response, and reuse the connection.
//!
//! - HTTP/1.1: one request at a time per connection. A connection goes
//!   back to the idle list only after its response body was read to the
//!   end; one that broke, or whose body was abandoned, is dropped (and so
//!   closed). Concurrent requests open more connections, as any pooled
//!   client does. `http1-fresh` never returns a connection: each request
//!   opens, uses and closes its own.
//! - HTTP/2: one connection multiplexes every request; it is replaced when
//!   hyper reports it closed.
//!
//! The request goes out exactly as given: origin-form target byte for byte
//! (no URL normalization), headers in order, plus `Host` when absent (as
//! every HTTP/1.1 client adds) and the private app header. HTTP/2 carries
//! scheme and authority as pseudo-headers.
//!
//! Connection tasks are spawned on the runtime the exchange runs on, and
//! die with it. Every pooled connection therefore remembers the runtime
//! that opened it, and an exchange only takes connections of its own
//! runtime: a connection of another runtime may be idle (never polled, so
//! a request on it would hang) or dead (its runtime dropped: hyper reports
//! it closed, and it is discarded). An exchange on a runtime with none of
//! its own opens one. A pool made [`new`](Pool::new) with a handoff registry
//! binds each new socket first and registers its address, so the server
//! serves that connection on the same runtime (see `handoff`).
//!
//! [`Target`] is what every pool of one flavor on one server shares: the
//! address, the TLS connector (built once, not per driver) and the count of
//! connections opened.

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::stage;
use crate::{RequestBody, ResponseBody};
use bytes::Bytes;
use http::header::HOST;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::runtime::{Handle, Id};

use super::core::ConnError;
use super::driver::Flavor;
use super::handoff::{Handoffs, Registration};
use super::wire;

/// A connection ready for one request.
pub(super) enum Conn {
    Http1(http1::SendRequest<RequestBody>),
    Http2(http2::SendRequest<RequestBody>),
}

/// What every pool of one flavor on one server shares.
pub(crate) struct Target {
    flavor: Flavor,
    addr: SocketAddr,
    scheme: Scheme,
    authority: Authority,
    host: HeaderValue,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsConnector>,
    opened: AtomicU64,
}

impl Target {
    /// The server at `addr` as `flavor` reaches it; `tls` is the rustls
    /// client configuration for TLS flavors.
    pub(crate) fn new(
        flavor: Flavor,
        addr: SocketAddr,
        #[cfg(feature = "tls")] tls: Option<rustls::ClientConfig>,
    ) -> Result<Self, String> {
        let authority = if flavor.tls() {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        let host = HeaderValue::from_str(&authority)
            .map_err(|e| format!("cannot make a Host header for {authority} ({e})"))?;
        let authority = Authority::try_from(authority.as_str())
            .map_err(|e| format!("cannot make an authority of {authority} ({e})"))?;
        Ok(Self {
            flavor,
            addr,
            scheme: if flavor.tls() {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            },
            authority,
            host,
            #[cfg(feature = "tls")]
            tls: tls.map(|config| tokio_rustls::TlsConnector::from(Arc::new(config))),
            opened: AtomicU64::new(0),
        })
    }

    /// How many connections the pools of this target have opened.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// The scheme and authority requests to this target carry (HTTP/2's
    /// pseudo-headers, the `Host` of HTTP/1.1).
    #[cfg(feature = "websocket")]
    pub(super) fn origin_parts(&self) -> (Scheme, Authority, HeaderValue) {
        (
            self.scheme.clone(),
            self.authority.clone(),
            self.host.clone(),
        )
    }

    /// The name of the driver this target serves.
    pub(crate) fn flavor_name(&self) -> &'static str {
        self.flavor.name()
    }
}

/// Pooled hyper connections to one server, for one [`Flavor`].
pub(crate) struct Pool {
    target: Arc<Target>,
    /// Where to register new connections to be served on their runtime.
    handoff: Option<Arc<Handoffs>>,
    idle: Mutex<Vec<(Id, http1::SendRequest<RequestBody>)>>,
    multiplexed: Mutex<Vec<(Id, http2::SendRequest<RequestBody>)>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("flavor", &self.target.flavor.name())
            .field("addr", &self.target.addr)
            .field("handoff", &self.handoff.is_some())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool to `target`. With `handoff`, every connection it opens asks
    /// to be served on the runtime that opened it; without, it is served
    /// wherever the server accepts it.
    pub(crate) fn new(target: Arc<Target>, handoff: Option<Arc<Handoffs>>) -> Self {
        Self {
            target,
            handoff,
            idle: Mutex::new(Vec::new()),
            multiplexed: Mutex::new(Vec::new()),
        }
    }

    /// What every pool of this flavor on this server shares.
    #[cfg(feature = "websocket")]
    pub(super) fn target(&self) -> &Target {
        &self.target
    }

    /// The origin the drivers' error messages name.
    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.target.scheme, self.target.authority)
    }

    /// Sends `request` and reads the whole response, at most `limit` body
    /// bytes. Runs inside a tokio runtime, which drives the connection.
    pub(crate) async fn exchange(
        &self,
        request: Request<Bytes>,
        app: &HeaderValue,
        limit: usize,
    ) -> Result<Response<Bytes>, ConnError> {
        let (runtime, parts, incoming, keep) =
            self.send_head(request.map(RequestBody::full), app).await?;
        let collected = Limited::new(incoming, limit).collect().await.map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                ConnError::TooLarge
            } else {
                ConnError::Body(e)
            }
        })?;
        stage::mark(stage::Mark::ClientReceived);
        // The body was read to its end: the HTTP/1.1 connection can carry
        // the next request.
        if let Some(sender) = keep {
            self.give_back(runtime, sender);
        }
        Ok(Response::from_parts(parts, collected.to_bytes()))
    }

    /// Sends `request` (its body streamed as it yields) and resolves with
    /// the response head; the body arrives as the server sends it. An
    /// HTTP/1.1 connection goes back to the pool once that body was read to
    /// its end, and is closed if it is dropped before.
    pub(crate) async fn exchange_streaming(
        self: Arc<Self>,
        request: Request<RequestBody>,
        app: &HeaderValue,
    ) -> Result<Response<ResponseBody>, ConnError> {
        let (runtime, parts, incoming, keep) = self.send_head(request, app).await?;
        let body = PooledBody {
            incoming,
            keep: keep.map(|sender| (self, runtime, sender)),
        };
        Ok(Response::from_parts(parts, ResponseBody::new(body)))
    }

    fn give_back(&self, runtime: Id, sender: http1::SendRequest<RequestBody>) {
        if self.target.flavor != Flavor::Http1Fresh {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((runtime, sender));
        }
    }

    /// Sends the request head and body on a pooled connection, retrying
    /// once on a fresh connection when a kept-alive one was closed before
    /// any of it was written, and returns the response head with its body
    /// unread and the HTTP/1.1 sender to give back once it is read.
    // Over 80 lines: one retry loop over both connection kinds, which must
    // take the unsent request back from a failed attempt.
    #[allow(clippy::type_complexity)]
    async fn send_head(
        &self,
        request: Request<RequestBody>,
        app: &HeaderValue,
    ) -> Result<
        (
            Id,
            http::response::Parts,
            Incoming,
            Option<http1::SendRequest<RequestBody>>,
        ),
        ConnError,
    > {
        let here = Handle::try_current().map_err(|e| {
            ConnError::Connect(
                "no tokio runtime to run the connection".to_owned(),
                e.into(),
            )
        })?;
        let runtime = here.id();
        let target = &self.target;
        let (mut parts, body) = request.into_parts();
        wire::stamp(&mut parts.headers, app);
        let path = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut request = Some(Request::from_parts(parts, body));
        let mut fresh_only = false;
        let (parts, incoming, keep) = loop {
            let Some(mut outgoing) = request.take() else {
                return Err(ConnError::Invalid(
                    "the request was lost on a retry".to_owned(),
                    None,
                ));
            };
            let (conn, reused) = self.checkout(&here, runtime, fresh_only).await?;
            stage::mark(stage::Mark::ClientSent);
            let sent = match conn {
                Conn::Http1(mut sender) => {
                    *outgoing.uri_mut() = Uri::from(path.clone());
                    outgoing
                        .headers_mut()
                        .entry(HOST)
                        .or_insert_with(|| target.host.clone());
                    sender
                        .try_send_request(outgoing)
                        .await
                        .map(|response| (response, Some(sender)))
                }
                Conn::Http2(mut sender) => {
                    let mut uri = http::uri::Parts::default();
                    uri.scheme = Some(target.scheme.clone());
                    uri.authority = Some(target.authority.clone());
                    uri.path_and_query = Some(path.clone());
                    *outgoing.uri_mut() = Uri::from_parts(uri).map_err(|e| {
                        ConnError::Invalid("cannot make an HTTP/2 URI".to_owned(), Some(e.into()))
                    })?;
                    sender
                        .try_send_request(outgoing)
                        .await
                        .map(|response| (response, None))
                }
            };
            match sent {
                Ok((response, keep)) => {
                    let (parts, incoming) = response.into_parts();
                    break (parts, incoming, keep);
                }
                // A kept-alive connection the server closed as the request
                // went out, before a byte of it was written: the request
                // never reached the server, so it goes once more on a new
                // connection (what every pooled client does). A request
                // that was written is never sent twice.
                Err(mut e) if reused && e.message().is_some() => {
                    request = e.take_message();
                    fresh_only = true;
                }
                Err(e) => return Err(ConnError::Exchange(e.into_error().into())),
            }
        };
        Ok((runtime, parts, incoming, keep))
    }

    /// A connection of this runtime ready for a request, and whether it was
    /// used before: an idle or shared one when there is one still open (and
    /// `fresh_only` is not set), a new one otherwise.
    async fn checkout(
        &self,
        here: &Handle,
        runtime: Id,
        fresh_only: bool,
    ) -> Result<(Conn, bool), ConnError> {
        while let Some(mut sender) = self.idle_sender(runtime, fresh_only) {
            // Usually ready at once; a connection the server closed
            // meanwhile reports it here and is dropped.
            if sender.ready().await.is_ok() {
                return Ok((Conn::Http1(sender), true));
            }
        }
        if !fresh_only && let Some(sender) = self.shared_sender(runtime) {
            return Ok((Conn::Http2(sender), true));
        }
        let conn = self.connect(here).await?;
        self.share(runtime, &conn);
        Ok((conn, false))
    }

    /// Makes `conn`, when it is HTTP/2, the connection `runtime`'s later
    /// requests and WebSockets multiplex on.
    pub(super) fn share(&self, runtime: Id, conn: &Conn) {
        if let Conn::Http2(sender) = conn {
            let mut multiplexed = self
                .multiplexed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            multiplexed.retain(|(id, sender)| *id != runtime && !sender.is_closed());
            multiplexed.push((runtime, sender.clone()));
        }
    }

    /// The most recently returned idle HTTP/1.1 connection of `runtime`,
    /// unless only a fresh connection will do. Connections whose runtime
    /// was dropped (or that the server closed) go on the way.
    fn idle_sender(
        &self,
        runtime: Id,
        fresh_only: bool,
    ) -> Option<http1::SendRequest<RequestBody>> {
        if fresh_only {
            return None;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        match idle.last() {
            // The common case, one runtime reusing its connection.
            Some((id, sender)) if *id == runtime && !sender.is_closed() => {}
            _ => idle.retain(|(_, sender)| !sender.is_closed()),
        }
        let at = idle.iter().rposition(|(id, _)| *id == runtime)?;
        Some(idle.remove(at).1)
    }

    /// The open HTTP/2 connection of `runtime`, if there is one.
    pub(super) fn shared_sender(&self, runtime: Id) -> Option<http2::SendRequest<RequestBody>> {
        self.multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(id, sender)| *id == runtime && !sender.is_closed())
            .map(|(_, sender)| sender.clone())
    }

    /// A new connection to the target, served on `here` when the pool
    /// hands its connections over; never pooled by this call.
    pub(super) async fn connect(&self, here: &Handle) -> Result<Conn, ConnError> {
        let target = &self.target;
        let addr = target.addr;
        let registered = match &self.handoff {
            Some(handoffs) => bound(addr, handoffs, here).await?,
            None => None,
        };
        let (stream, registration) = match registered {
            Some(registered) => registered,
            None => {
                let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
                    ConnError::Connect(format!("cannot connect to {addr}"), e.into())
                })?;
                (stream, None)
            }
        };
        let _ = stream.set_nodelay(true);
        target.opened.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "tls")]
        if let Some(connector) = &target.tls {
            let name = rustls::pki_types::ServerName::try_from("localhost").map_err(|e| {
                ConnError::Connect("localhost is no TLS server name".to_owned(), e.into())
            })?;
            let stream = connector.connect(name, stream).await.map_err(|e| {
                ConnError::Connect(format!("the TLS handshake with {addr} failed"), e.into())
            })?;
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            return handshake(TokioIo::new(stream), h2, registration).await;
        }
        handshake(
            TokioIo::new(stream),
            target.flavor == Flavor::Http2,
            registration,
        )
        .await
    }
}

/// A connection to `addr` from a socket bound first, its address registered
/// with `handoffs` to be served on `here`. `Ok(None)` when no socket can be
/// bound: bind(2) never reuses a port still in TIME_WAIT, so many fresh
/// connections within a minute (`http1-fresh` in a loop) can use up the
/// ephemeral ports it picks from, while connect(2) may still reuse them
/// on loopback. That connection is then served on the server's thread:
/// slower, not wrong.
async fn bound(
    addr: SocketAddr,
    handoffs: &Arc<Handoffs>,
    here: &Handle,
) -> Result<Option<(tokio::net::TcpStream, Option<Registration>)>, ConnError> {
    let bound = tokio::net::TcpSocket::new_v4().and_then(|socket| {
        socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let from = socket.local_addr()?;
        Ok((socket, from))
    });
    let Ok((socket, from)) = bound else {
        return Ok(None);
    };
    let registration = handoffs.register(from, here.clone());
    // On failure the registration drops here, and its entry with it.
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| ConnError::Connect(format!("cannot connect to {addr}"), e.into()))?;
    Ok(Some((stream, Some(registration))))
}

/// The HTTP handshake on an open stream; the connection is driven by a task
/// on the current runtime until its last sender is dropped. The task keeps
/// the connection's registration, so an entry the server never claimed
/// (it stopped first) goes when the connection does.
async fn handshake<T>(
    io: T,
    h2: bool,
    registration: Option<Registration>,
) -> Result<Conn, ConnError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let failed =
        |e: hyper::Error| ConnError::Connect("the HTTP handshake failed".to_owned(), e.into());
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(failed)?;
        tokio::spawn(async move {
            let _registration = registration;
            let _ = conn.await;
        });
        Ok(Conn::Http2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(failed)?;
        tokio::spawn(async move {
            let _registration = registration;
            // With upgrades: a WebSocket handshake's connection is handed
            // over (`hyper::upgrade::on`) instead of closed after its 101.
            let _ = conn.with_upgrades().await;
        });
        Ok(Conn::Http1(sender))
    }
}

/// A response body read straight from hyper, which hands its HTTP/1.1
/// connection back to the pool when the body has ended, and only then.
struct PooledBody {
    incoming: Incoming,
    keep: Option<(Arc<Pool>, Id, http1::SendRequest<RequestBody>)>,
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.incoming).poll_frame(cx);
        if let Poll::Ready(None) = polled
            && let Some((pool, runtime, sender)) = self.keep.take()
        {
            pool.give_back(runtime, sender);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
