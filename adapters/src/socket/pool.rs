//! The socket drivers' client: hyper's own `client::conn` connections,
//! kept alive in a small pool.
//!
//! This is the client reqwest itself runs on, without reqwest's
//! per-request layers (URL parsing and re-serializing, the redirect and
//! retry machinery, default headers, one spawned task per HTTP/1.1
//! response to return its connection). Those layers cost 1.35-1.4x the raw
//! exchange on this machine (README, "Measured here"), and a harness that
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
//! scheme and authority as pseudo-headers. Connection tasks are spawned on
//! the runtime the exchange runs on, which is the server's own for test
//! drivers (see `server`), so they outlive any test's runtime.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use http::header::HOST;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::driver::Flavor;
use super::routes::APP_HEADER;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`Pool::exchange`] brought back no response.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// No connection could be opened (TCP refused, TLS or HTTP handshake
    /// failed).
    Connect(String),
    /// The connection broke before the response head arrived.
    Exchange(hyper::Error),
    /// The response body broke off.
    Body(BoxError),
    /// The response body is larger than the limit.
    TooLarge,
    /// The request cannot be sent as given (for example a target hyper
    /// cannot put in a URI for HTTP/2).
    Invalid(String),
}

/// A connection ready for one request.
enum Conn {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// Pooled hyper connections to one server, for one [`Flavor`].
pub(crate) struct Pool {
    flavor: Flavor,
    addr: SocketAddr,
    scheme: Scheme,
    authority: Authority,
    host: HeaderValue,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsConnector>,
    idle: Mutex<Vec<http1::SendRequest<Full<Bytes>>>>,
    multiplexed: Mutex<Option<http2::SendRequest<Full<Bytes>>>>,
    opened: AtomicU64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("flavor", &self.flavor.name())
            .field("addr", &self.addr)
            .field("opened", &self.opened())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool for `flavor` to the server at `addr`; `tls` is the rustls
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
            tls: tls.map(|config| tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))),
            idle: Mutex::new(Vec::new()),
            multiplexed: Mutex::new(None),
            opened: AtomicU64::new(0),
        })
    }

    /// How many connections this pool has opened.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// The name of the driver this pool serves.
    pub(crate) fn flavor_name(&self) -> &'static str {
        self.flavor.name()
    }

    /// The origin the drivers' error messages name.
    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// Sends `request` and reads the whole response, at most `limit` body
    /// bytes.
    pub(crate) async fn exchange(
        &self,
        request: Request<Bytes>,
        app: &HeaderValue,
        limit: usize,
    ) -> Result<Response<Bytes>, PoolError> {
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .insert(HeaderName::from_static(APP_HEADER), app.clone());
        let target = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut request = Some(Request::from_parts(parts, Full::new(body)));
        let mut fresh_only = false;
        let (parts, incoming, keep) = loop {
            let Some(mut outgoing) = request.take() else {
                return Err(PoolError::Invalid(
                    "the request was lost on a retry".to_owned(),
                ));
            };
            let (conn, reused) = self.checkout(fresh_only).await?;
            let sent = match conn {
                Conn::Http1(mut sender) => {
                    *outgoing.uri_mut() = Uri::from(target.clone());
                    outgoing
                        .headers_mut()
                        .entry(HOST)
                        .or_insert_with(|| self.host.clone());
                    sender
                        .try_send_request(outgoing)
                        .await
                        .map(|response| (response, Some(sender)))
                }
                Conn::Http2(mut sender) => {
                    let mut uri = http::uri::Parts::default();
                    uri.scheme = Some(self.scheme.clone());
                    uri.authority = Some(self.authority.clone());
                    uri.path_and_query = Some(target.clone());
                    *outgoing.uri_mut() = Uri::from_parts(uri).map_err(|e| {
                        PoolError::Invalid(format!("cannot make an HTTP/2 URI ({e})"))
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
                Err(e) => return Err(PoolError::Exchange(e.into_error())),
            }
        };
        let collected = Limited::new(incoming, limit).collect().await.map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                PoolError::TooLarge
            } else {
                PoolError::Body(e)
            }
        })?;
        // The body was read to its end: the HTTP/1.1 connection can carry
        // the next request.
        if let Some(sender) = keep
            && self.flavor != Flavor::Http1Fresh
        {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sender);
        }
        Ok(Response::from_parts(parts, collected.to_bytes()))
    }

    /// A connection ready for a request, and whether it was used before:
    /// an idle or shared one when there is one still open (and
    /// `fresh_only` is not set), a new one otherwise.
    async fn checkout(&self, fresh_only: bool) -> Result<(Conn, bool), PoolError> {
        while let Some(mut sender) = self.idle_sender(fresh_only) {
            // Usually ready at once; a connection the server closed
            // meanwhile reports it here and is dropped.
            if sender.ready().await.is_ok() {
                return Ok((Conn::Http1(sender), true));
            }
        }
        let shared = self
            .multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|sender| !fresh_only && !sender.is_closed())
            .cloned();
        if let Some(sender) = shared {
            return Ok((Conn::Http2(sender), true));
        }
        let conn = self.connect().await?;
        if let Conn::Http2(sender) = &conn {
            *self
                .multiplexed
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(sender.clone());
        }
        Ok((conn, false))
    }

    /// The most recently returned idle HTTP/1.1 connection, unless only a
    /// fresh connection will do.
    fn idle_sender(&self, fresh_only: bool) -> Option<http1::SendRequest<Full<Bytes>>> {
        if fresh_only {
            return None;
        }
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    async fn connect(&self) -> Result<Conn, PoolError> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| PoolError::Connect(format!("cannot connect to {} ({e})", self.addr)))?;
        let _ = stream.set_nodelay(true);
        self.opened.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "tls")]
        if let Some(connector) = &self.tls {
            let name = rustls::pki_types::ServerName::try_from("localhost")
                .map_err(|e| PoolError::Connect(e.to_string()))?;
            let stream = connector.connect(name, stream).await.map_err(|e| {
                PoolError::Connect(format!("the TLS handshake with {} failed ({e})", self.addr))
            })?;
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            return handshake(TokioIo::new(stream), h2).await;
        }
        handshake(TokioIo::new(stream), self.flavor == Flavor::Http2).await
    }
}

/// The HTTP handshake on an open stream; the connection is driven by a task
/// on the current runtime until its last sender is dropped.
async fn handshake<T>(io: T, h2: bool) -> Result<Conn, PoolError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let failed = |e: hyper::Error| PoolError::Connect(format!("the HTTP handshake failed ({e})"));
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(failed)?;
        tokio::spawn(conn);
        Ok(Conn::Http2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(failed)?;
        tokio::spawn(conn);
        Ok(Conn::Http1(sender))
    }
}
