//! The `http3` driver's client: h3 over quinn, one QUIC connection per
//! runtime multiplexing every request, replaced when it closes.
//!
//! As hyper's `client::conn` is for the TCP drivers, h3's client is the
//! least a real HTTP/3 client does: open a QUIC connection (a UDP socket,
//! the TLS 1.3 handshake with ALPN `h3`, h3's control streams), open one
//! bidirectional stream per request, write HEADERS and DATA frames, read
//! the response frames. No URL parsing, no retries of a written request,
//! no redirects, no decompression.
//!
//! The request goes out as given: the origin-form target byte for byte as
//! `:path`, `:scheme https`, `:authority` the request's `Host` when it has
//! one (h3 refuses a `Host` that contradicts `:authority`), the server's
//! `localhost:<port>` otherwise, the headers in order, plus the private
//! app header.
//!
//! A connection's tasks (quinn's endpoint and connection drivers, h3's
//! connection driver) run on the runtime that opened it and die with it,
//! so every pooled connection remembers its runtime and an exchange takes
//! only a connection of its own runtime, as the TCP pool does. A pool made
//! [`new`](Pool::new) with the server's handoff registry (a test's) opens
//! each connection to an endpoint of its own on the same runtime (the
//! `local` module), so the server's side runs there too.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::RequestBody;
use crate::stage;
use bytes::Bytes;
use http::header::HOST;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::BodyExt;
use tokio::runtime::{Handle, Id};

use super::super::core::ConnError;
use super::super::handoff::Handoffs;
use super::super::wire;
use super::body::RecvBody;
use super::local::Local;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// h3's handle for opening request streams on one connection.
pub(crate) type Sender = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;
/// One request's stream, both directions.
pub(crate) type Stream = h3::client::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>;

/// What every pool of one server shares.
pub(crate) struct Target {
    addr: SocketAddr,
    authority: Authority,
    config: quinn::ClientConfig,
    opened: AtomicU64,
    /// The server's side of a test's connection, on the test's runtime.
    local: Local,
}

impl Target {
    /// The HTTP/3 server at `addr`, reached with `config` (TLS 1.3 trusting
    /// the server's certificate, ALPN `h3`); a test's connections are
    /// served by `local` instead.
    pub(crate) fn new(
        addr: SocketAddr,
        config: quinn::ClientConfig,
        local: Local,
    ) -> Result<Self, String> {
        let authority = format!("localhost:{}", addr.port());
        let authority = Authority::try_from(authority.as_str())
            .map_err(|e| format!("cannot make an authority of {authority} ({e})"))?;
        Ok(Self {
            addr,
            authority,
            config,
            opened: AtomicU64::new(0),
            local,
        })
    }

    /// How many connections the pools of this target have opened.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// The origin error messages name.
    pub(crate) fn origin(&self) -> String {
        format!("https://{} (HTTP/3 over QUIC, UDP)", self.authority)
    }

    /// Opens a QUIC connection and h3 on it, from a fresh UDP socket: to an
    /// endpoint of its own on this runtime when `here` (a test's pool), to
    /// the server's otherwise. Runs inside a tokio runtime with IO and
    /// timers, which drives the connection.
    pub(crate) async fn connect(
        &self,
        here: bool,
    ) -> Result<(quinn::Connection, Sender), ConnError> {
        let fail = |what: &str| {
            let what = what.to_owned();
            move |e: BoxError| ConnError::Connect(what, e)
        };
        let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| {
            ConnError::Connect("cannot bind a UDP socket on 127.0.0.1".to_owned(), e.into())
        })?;
        let local = socket.local_addr().map_err(|e| {
            ConnError::Connect("cannot read the UDP socket's address".to_owned(), e.into())
        })?;
        // Held until the handshake is done: if the connect fails first,
        // the endpoint made for it closes.
        let (to, _waiting) = if here {
            let (to, waiting) = self.local.open(local).map_err(|e| {
                ConnError::Connect(
                    "cannot open the test's own QUIC endpoint".to_owned(),
                    e.into(),
                )
            })?;
            (to, Some(waiting))
        } else {
            (self.addr, None)
        };
        let endpoint = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            None,
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .map_err(|e| fail("cannot start a QUIC endpoint")(e.into()))?;
        let connecting = endpoint
            .connect_with(self.config.clone(), to, "localhost")
            .map_err(|e| fail(&format!("cannot start a QUIC connection to {to}"))(e.into()))?;
        let quic = connecting
            .await
            .map_err(|e| fail(&format!("the QUIC handshake with {to} failed"))(e.into()))?;
        let (mut driver, sender) = h3::client::new(h3_quinn::Connection::new(quic.clone()))
            .await
            .map_err(|e| {
                fail(&format!(
                    "h3 could not start on the connection to {}",
                    self.addr
                ))(e.into())
            })?;
        // h3's control streams (settings, GOAWAY) are served by polling
        // the connection until it closes. The endpoint handle goes with
        // it: the UDP socket lives as long as the connection.
        tokio::spawn(async move {
            let _endpoint = endpoint;
            let _closed = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
        });
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok((quic, sender))
    }

    /// The h3 request head for `request` (its body goes separately): the
    /// target as `:path`, the authority, the app header.
    pub(crate) fn head(
        &self,
        request: Request<()>,
        app: &HeaderValue,
    ) -> Result<Request<()>, ConnError> {
        let (mut parts, ()) = request.into_parts();
        wire::stamp(&mut parts.headers, app);
        let path = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        // h3 refuses a Host that differs from :authority, so a request
        // naming its Host gets that as its authority too, as browsers and
        // curl send it.
        let authority = match parts.headers.get(HOST) {
            Some(host) => Authority::try_from(host.as_bytes()).map_err(|e| {
                ConnError::Invalid(
                    format!("the Host header {host:?} is not an authority HTTP/3 can carry"),
                    Some(e.into()),
                )
            })?,
            None => self.authority.clone(),
        };
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(Scheme::HTTPS);
        uri.authority = Some(authority);
        uri.path_and_query = Some(path);
        parts.uri = Uri::from_parts(uri).map_err(|e| {
            ConnError::Invalid("cannot make an HTTP/3 URI".to_owned(), Some(e.into()))
        })?;
        Ok(Request::from_parts(parts, ()))
    }
}

/// A pooled connection: the runtime that drives it, the QUIC connection
/// (to see whether it closed) and h3's sender.
struct Pooled {
    runtime: Id,
    quic: quinn::Connection,
    sender: Sender,
}

/// The h3 connections of one driver to one server, one per runtime.
pub(crate) struct Pool {
    target: Arc<Target>,
    /// A test's pool: its connections are served on its own runtime.
    here: bool,
    connections: Mutex<Vec<Pooled>>,
    /// Held while a connection is opened, so a burst of requests on a
    /// runtime with none waits for one connection instead of opening one
    /// each (tokio's mutex needs no runtime of its own).
    connecting: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("addr", &self.target.addr)
            .field("here", &self.here)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool to `target`. Given the server's handoff registry (a test's
    /// pool), every connection it opens is served on the runtime that
    /// opened it, by an endpoint of its own; without, by the server's.
    pub(crate) fn new(target: Arc<Target>, handoff: Option<Arc<Handoffs>>) -> Self {
        Self {
            target,
            here: handoff.is_some(),
            connections: Mutex::new(Vec::new()),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    /// The origin error messages name.
    pub(crate) fn origin(&self) -> String {
        self.target.origin()
    }

    /// This runtime's open connection, and whether it was used before; a
    /// new one when it has none (or `fresh` is set).
    async fn sender(&self, fresh: bool) -> Result<(Sender, bool), ConnError> {
        let runtime = Handle::try_current()
            .map_err(|e| {
                ConnError::Connect(
                    "no tokio runtime to run the connection".to_owned(),
                    e.into(),
                )
            })?
            .id();
        if !fresh && let Some(sender) = self.pooled(runtime) {
            return Ok((sender, true));
        }
        let _connecting = self.connecting.lock().await;
        // Another request of this runtime may have opened one meanwhile.
        if !fresh && let Some(sender) = self.pooled(runtime) {
            return Ok((sender, true));
        }
        let (quic, sender) = self.target.connect(self.here).await?;
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pooled {
                runtime,
                quic,
                sender: sender.clone(),
            });
        Ok((sender, false))
    }

    /// The open connection of `runtime`, if it has one; closed ones are
    /// dropped on the way.
    fn pooled(&self, runtime: Id) -> Option<Sender> {
        let mut connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connections.retain(|pooled| pooled.quic.close_reason().is_none());
        connections
            .iter()
            .find(|pooled| pooled.runtime == runtime)
            .map(|pooled| pooled.sender.clone())
    }

    /// Opens a request stream and sends `head` on it. A pooled connection
    /// that refuses the stream before the HEADERS frame was written (it
    /// closed meanwhile: an idle timeout, a GOAWAY) is replaced once: the
    /// server cannot have seen that request.
    pub(crate) async fn open(&self, head: Request<()>) -> Result<Stream, ConnError> {
        let (mut sender, reused) = self.sender(false).await?;
        match sender.send_request(head.clone()).await {
            Ok(stream) => Ok(stream),
            Err(_) if reused => {
                let (mut sender, _) = self.sender(true).await?;
                sender
                    .send_request(head)
                    .await
                    .map_err(|e| ConnError::Exchange(e.into()))
            }
            Err(e) => Err(ConnError::Exchange(e.into())),
        }
    }

    /// Sends `request` and reads the whole response, at most `limit` body
    /// bytes. Runs inside a tokio runtime, which drives the connection.
    pub(crate) async fn exchange(
        &self,
        request: Request<Bytes>,
        app: &HeaderValue,
        limit: usize,
    ) -> Result<Response<Bytes>, ConnError> {
        let (parts, body) = request.into_parts();
        let head = self.target.head(Request::from_parts(parts, ()), app)?;
        stage::mark(stage::Mark::ClientSent);
        let mut stream = self.open(head).await?;
        send_body(&mut stream, body).await;
        let response = stream
            .recv_response()
            .await
            .map_err(|e| ConnError::Exchange(e.into()))?;
        let body = read_body(&mut stream, limit).await?;
        stage::mark(stage::Mark::ClientReceived);
        Ok(response.map(|()| body))
    }
}

impl Pool {
    /// Sends `request`, its body streamed as the test's body yields it,
    /// and resolves once the response head is in, with a body that reads
    /// the response's DATA frames (then its trailers) as they arrive. A
    /// whole body goes out here; a streamed one from a task on this
    /// runtime, so the response can arrive while the upload goes on.
    pub(crate) async fn stream(
        &self,
        request: Request<RequestBody>,
        app: &HeaderValue,
    ) -> Result<Response<RecvBody<RecvHalf>>, ConnError> {
        let (parts, body) = request.into_parts();
        let head = self.target.head(Request::from_parts(parts, ()), app)?;
        let stream = self.open(head).await?;
        let (mut send, mut recv) = stream.split();
        match body.as_full() {
            Some(whole) => {
                if whole.is_empty() || send.send_data(whole).await.is_ok() {
                    let _ = send.finish().await;
                }
            }
            None => {
                tokio::spawn(pump(send, body));
            }
        }
        let response = recv
            .recv_response()
            .await
            .map_err(|e| ConnError::Exchange(e.into()))?;
        Ok(response.map(|()| RecvBody::new(recv)))
    }
}

/// The receiving half of a request stream: the response.
pub(crate) type RecvHalf = h3::client::RequestStream<h3_quinn::RecvStream, Bytes>;
type SendHalf = h3::client::RequestStream<h3_quinn::SendStream<Bytes>, Bytes>;

/// Sends a streamed request body as DATA frames (its trailers as a
/// trailing HEADERS frame) as it yields them, then ends the stream. A body
/// that fails resets the stream (`H3_REQUEST_CANCELLED`), so the app sees
/// its upload break off rather than end early; a server that stops
/// reading ends the pumping.
async fn pump(mut send: SendHalf, body: RequestBody) {
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let sent = match frame.map(|frame| frame.into_data()) {
            Ok(Ok(data)) if data.is_empty() => Ok(()),
            Ok(Ok(data)) => send.send_data(data).await,
            Ok(Err(frame)) => match frame.into_trailers() {
                Ok(trailers) => send.send_trailers(trailers).await,
                Err(_unknown) => Ok(()),
            },
            Err(_failed) => {
                send.stop_stream(h3::error::Code::H3_REQUEST_CANCELLED);
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
    let _ = send.finish().await;
}

/// Sends a whole request body and ends the stream's sending side. A
/// failure here is not the exchange's failure: a server that answers
/// without reading the body (a 413) stops the stream's sending side, and
/// its response is still there to read.
pub(crate) async fn send_body(stream: &mut Stream, body: Bytes) {
    if !body.is_empty() && stream.send_data(body).await.is_err() {
        return;
    }
    let _ = stream.finish().await;
}

/// Reads a response body to its end, at most `limit` bytes; past the limit
/// the stream is told to stop sending.
pub(crate) async fn read_body(stream: &mut Stream, limit: usize) -> Result<Bytes, ConnError> {
    use bytes::Buf;
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(mut chunk) = stream
        .recv_data()
        .await
        .map_err(|e| ConnError::Body(e.into()))?
    {
        total = total.saturating_add(chunk.remaining());
        if total > limit {
            stream.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
            return Err(ConnError::TooLarge);
        }
        let chunk = chunk.copy_to_bytes(chunk.remaining());
        match &first {
            // The common case, one DATA frame: no copy at all.
            None if rest.is_empty() => first = Some(chunk),
            _ => {
                if let Some(first) = first.take() {
                    rest.extend_from_slice(&first);
                }
                rest.extend_from_slice(&chunk);
            }
        }
    }
    Ok(match first {
        Some(only) if rest.is_empty() => only,
        _ => rest.freeze(),
    })
}
