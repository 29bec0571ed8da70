//! The socket drivers' floor: a raw hyper `client::conn` connection to the
//! same server, measured in the same run and the same thread topology.
//!
//! One connection, opened lazily on first use (bench pairs are built
//! synchronously; the untimed scenario preparation opens it), driven by a
//! task on the caller's runtime. No pool, no URL parsing, no timeout, no
//! boxing: the least a client can do to get the same answer over the same
//! protocol. It still adds the app header, since the server hosts the
//! floor's app beside the driver's.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::{Error, ErrorKind};
use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::Mutex;

use super::driver::Flavor;
use super::routes::Mount;
use super::server::SocketServer;
use super::wire;

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Self::Http1(sender) => sender.is_closed(),
            Self::Http2(sender) => sender.is_closed(),
        }
    }
}

struct Inner {
    flavor: Flavor,
    addr: SocketAddr,
    authority: HeaderValue,
    mount: Mount,
    #[cfg(feature = "tls")]
    tls: Option<rustls::ClientConfig>,
    /// The connection, opened on first use and again whenever the server
    /// closed it (a `413` sent before the body was read closes it, as any
    /// server does): reconnecting is part of the least a client must do.
    sender: Mutex<Option<Sender>>,
    _server: Arc<dyn std::any::Any + Send + Sync>,
}

/// A raw hyper connection to a [`SocketServer`], for bench floors.
#[derive(Clone)]
pub(crate) struct RawConn {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RawConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawConn")
            .field("addr", &self.inner.addr)
            .field("flavor", &self.inner.flavor.name())
            .finish_non_exhaustive()
    }
}

fn fail(name: &str, cause: impl Into<String>) -> Error {
    Error::without_request(ErrorKind::Connection, name, cause)
}

impl RawConn {
    /// The floor's flavor name, as its errors name it.
    pub(crate) fn name(&self) -> &'static str {
        self.inner.flavor.name()
    }

    /// A floor for `flavor` over a fresh mount of `app` on `server`.
    pub(crate) fn new(
        server: &SocketServer,
        flavor: Flavor,
        app: axum::Router,
    ) -> Result<Self, Error> {
        let addr = server.addr();
        let authority = if flavor.tls() {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        Ok(Self {
            inner: Arc::new(Inner {
                flavor,
                addr,
                authority: HeaderValue::from_str(&authority).map_err(|e| {
                    fail(
                        flavor.name(),
                        format!("cannot make a Host header of {authority}"),
                    )
                    .with_source(e)
                })?,
                mount: server.mount(app),
                #[cfg(feature = "tls")]
                tls: if flavor.tls() {
                    Some(super::driver::tls_client(server, flavor)?)
                } else {
                    None
                },
                sender: Mutex::new(None),
                _server: server.keep_alive(),
            }),
        })
    }

    async fn connect(&self) -> Result<Sender, Error> {
        let name = self.inner.flavor.name();
        let stream = tokio::net::TcpStream::connect(self.inner.addr)
            .await
            .map_err(|e| fail(name, "cannot connect the floor").with_source(e))?;
        let _ = stream.set_nodelay(true);
        #[cfg(feature = "tls")]
        if let Some(config) = &self.inner.tls {
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config.clone()));
            let server_name = rustls::pki_types::ServerName::try_from("localhost")
                .map_err(|e| fail(name, "localhost is no TLS server name").with_source(e))?;
            let stream = connector
                .connect(server_name, stream)
                .await
                .map_err(|e| fail(name, "TLS handshake failed").with_source(e))?;
            return self.handshake(TokioIo::new(stream)).await;
        }
        self.handshake(TokioIo::new(stream)).await
    }

    async fn handshake<T>(&self, io: T) -> Result<Sender, Error>
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let name = self.inner.flavor.name();
        let handshake_failed = |e: hyper::Error| fail(name, "handshake failed").with_source(e);
        if self.inner.flavor.expects() == http::Version::HTTP_2 {
            let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(handshake_failed)?;
            tokio::spawn(conn);
            Ok(Sender::Http2(sender))
        } else {
            let (sender, conn) = http1::handshake(io).await.map_err(handshake_failed)?;
            tokio::spawn(conn);
            Ok(Sender::Http1(sender))
        }
    }

    /// Sends `request` on the floor connection and reads the whole body.
    pub(crate) async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let name = self.name();
        let (parts, body) = self.send_head(request).await?.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| fail(name, "the floor's response body broke off").with_source(e))?;
        Ok(Response::from_parts(parts, body.to_bytes()))
    }

    /// Sends `request` on the floor connection; the body is left unread
    /// (the bench reads it, stamping its first byte).
    pub(crate) async fn send_head(
        &self,
        mut request: Request<Bytes>,
    ) -> Result<Response<hyper::body::Incoming>, Error> {
        let name = self.inner.flavor.name();
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let broke = |e: hyper::Error| {
            Error::new(
                ErrorKind::Connection,
                name,
                &method,
                &uri,
                "the floor connection failed",
            )
            .with_source(e)
        };
        wire::stamp(request.headers_mut(), self.inner.mount.header());
        let mut slot = self.inner.sender.lock().await;
        if slot.as_ref().is_none_or(Sender::is_closed) {
            *slot = Some(self.connect().await?);
        }
        // A kept-alive HTTP/1.1 connection the server closed while it sat
        // idle is replaced before anything is sent on it.
        if let Some(Sender::Http1(sender)) = slot.as_mut()
            && sender.ready().await.is_err()
        {
            *slot = Some(self.connect().await?);
        }
        let response = match slot.as_mut() {
            Some(Sender::Http1(sender)) => {
                request
                    .headers_mut()
                    .insert(HOST, self.inner.authority.clone());
                // Held across the exchange: one request at a time, as on
                // any HTTP/1.1 connection.
                sender.ready().await.map_err(broke)?;
                sender
                    .send_request(request.map(Full::new))
                    .await
                    .map_err(broke)?
            }
            Some(Sender::Http2(sender)) => {
                let sender = sender.clone();
                drop(slot);
                // HTTP/2 needs :scheme and :authority: make the target absolute.
                let scheme = if self.inner.flavor.tls() {
                    "https"
                } else {
                    "http"
                };
                let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
                let authority = self.inner.authority.to_str().unwrap_or("localhost");
                *request.uri_mut() = format!("{scheme}://{authority}{target}")
                    .parse()
                    .map_err(|e| fail(name, "bad target").with_source(e))?;
                let mut sender = sender;
                sender
                    .send_request(request.map(Full::new))
                    .await
                    .map_err(broke)?
            }
            None => return Err(fail(name, "the floor has no connection")),
        };
        Ok(response)
    }

    /// Whether the floor speaks HTTP/2 (a WebSocket then opens with an
    /// extended CONNECT on its connection rather than a fresh upgrade).
    #[cfg(all(feature = "bench", feature = "websocket"))]
    pub(crate) fn speaks_http2(&self) -> bool {
        self.inner.flavor.expects() == http::Version::HTTP_2
    }

    /// The `Host` (HTTP/1.1) or `:authority` (HTTP/2) the floor sends.
    #[cfg(all(feature = "bench", feature = "websocket"))]
    pub(crate) fn authority(&self) -> &str {
        self.inner.authority.to_str().unwrap_or("localhost")
    }

    /// Stamps the header that routes a request to the floor's app on the
    /// shared server.
    #[cfg(all(feature = "bench", feature = "websocket"))]
    pub(crate) fn stamp(&self, headers: &mut http::HeaderMap) {
        wire::stamp(headers, self.inner.mount.header());
    }

    /// A fresh TCP connection to the floor's server (an HTTP/1.1 upgrade
    /// takes a connection over, so it never uses the floor's own).
    #[cfg(all(feature = "bench", feature = "websocket"))]
    pub(crate) async fn fresh_connection(&self) -> Result<tokio::net::TcpStream, Error> {
        let stream = tokio::net::TcpStream::connect(self.inner.addr)
            .await
            .map_err(|e| fail(self.name(), "cannot connect the floor").with_source(e))?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    /// Sends `request` as an RFC 8441 extended CONNECT (`:protocol
    /// websocket`) on the floor's HTTP/2 connection.
    #[cfg(all(feature = "bench", feature = "websocket"))]
    pub(crate) async fn extended_connect(
        &self,
        request: Request<Bytes>,
    ) -> Result<Response<hyper::body::Incoming>, Error> {
        let name = self.name();
        let authority = self.authority().to_owned();
        let mut slot = self.inner.sender.lock().await;
        if slot.as_ref().is_none_or(Sender::is_closed) {
            *slot = Some(self.connect().await?);
        }
        let Some(Sender::Http2(sender)) = slot.as_ref() else {
            return Err(fail(name, "the floor's connection is not HTTP/2"));
        };
        let mut sender = sender.clone();
        drop(slot);
        let scheme = if self.inner.flavor.tls() {
            "https"
        } else {
            "http"
        };
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let uri: http::Uri = format!("{scheme}://{authority}{target}")
            .parse()
            .map_err(|e| fail(name, "bad target").with_source(e))?;
        let (mut parts, _) = request.into_parts();
        parts.method = http::Method::CONNECT;
        parts.uri = uri;
        parts
            .extensions
            .insert(hyper::ext::Protocol::from_static("websocket"));
        parts.headers.insert(
            http::header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        sender
            .send_request(Request::from_parts(parts, Full::new(Bytes::new())))
            .await
            .map_err(|e| fail(name, "the extended CONNECT failed").with_source(e))
    }
}
