//! The `http3` driver's floor, `raw-h3`: one raw h3 connection to the
//! same server, measured in the same run and thread topology.
//!
//! Written against quinn and h3 directly, sharing no code with the
//! driver's client: a quinn endpoint and one QUIC connection opened on
//! first use (the untimed scenario preparation opens it), h3's
//! `SendRequest`, and per request a stream with HEADERS, the body, the
//! response frames read to the end. No pool, no timeout, no boxing, no
//! protocol check. It still adds the app header, since the server hosts
//! the floor's app beside the driver's.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::{Error, ErrorKind};
use bytes::{Buf, Bytes, BytesMut};
use http::{Request, Response};
use tokio::sync::Mutex;

use super::super::routes::Mount;
use super::super::wire;
use super::server::Http3Server;

/// The floor's name in bench reports.
pub(crate) const NAME: &str = "raw-h3";

type Sender = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

struct Inner {
    addr: SocketAddr,
    authority: String,
    config: quinn::ClientConfig,
    mount: Mount,
    /// The connection and its sender, opened on first use and again when
    /// it closed.
    connection: Mutex<Option<(quinn::Connection, Sender)>>,
    _server: Arc<dyn std::any::Any + Send + Sync>,
}

/// A raw h3 connection to an [`Http3Server`], for bench floors.
#[derive(Clone)]
pub(crate) struct RawH3 {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RawH3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawH3")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

fn fail(cause: impl Into<String>) -> Error {
    Error::without_request(ErrorKind::Connection, NAME, cause)
}

impl RawH3 {
    /// A floor over a fresh mount of `app` on `server`.
    pub(crate) fn new(server: &Http3Server, app: axum::Router) -> Result<Self, Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                addr: server.addr(),
                authority: format!("localhost:{}", server.addr().port()),
                config: super::driver::quic_client(server).map_err(fail)?,
                mount: server.mount(app),
                connection: Mutex::new(None),
                _server: server.keep_alive(),
            }),
        })
    }

    async fn connect(&self) -> Result<(quinn::Connection, Sender), Error> {
        let endpoint = quinn::Endpoint::client(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(|e| fail("cannot open the floor's UDP socket").with_source(e))?;
        let quic = endpoint
            .connect_with(self.inner.config.clone(), self.inner.addr, "localhost")
            .map_err(|e| fail("cannot start the floor's QUIC connection").with_source(e))?
            .await
            .map_err(|e| fail("the floor's QUIC handshake failed").with_source(e))?;
        let (mut driver, sender) = h3::client::new(h3_quinn::Connection::new(quic.clone()))
            .await
            .map_err(|e| fail("h3 could not start on the floor's connection").with_source(e))?;
        tokio::spawn(async move {
            let _endpoint = endpoint;
            let _closed = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
        });
        Ok((quic, sender))
    }

    /// Sends `request` on the floor connection and reads the whole body.
    pub(crate) async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        self.exchange_streaming(request)
            .await
            .map(|(response, _first)| response)
    }

    /// [`exchange`](Self::exchange), stamping when the first body byte
    /// arrived.
    pub(crate) async fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Response<Bytes>, std::time::Instant), Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let broke = |e: h3::error::StreamError| {
            Error::new(
                ErrorKind::Connection,
                NAME,
                &method,
                &uri,
                "the floor connection failed",
            )
            .with_source(e)
        };
        let mut sender = {
            let mut slot = self.inner.connection.lock().await;
            if slot
                .as_ref()
                .is_none_or(|(quic, _)| quic.close_reason().is_some())
            {
                *slot = Some(self.connect().await?);
            }
            match slot.as_ref() {
                Some((_, sender)) => sender.clone(),
                None => return Err(fail("the floor has no connection")),
            }
        };
        let (mut parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        parts.uri = format!("https://{}{target}", self.inner.authority)
            .parse()
            .map_err(|e| fail("bad target").with_source(e))?;
        wire::stamp(&mut parts.headers, self.inner.mount.header());
        let mut stream = sender
            .send_request(Request::from_parts(parts, ()))
            .await
            .map_err(broke)?;
        if !body.is_empty() {
            // A server that answers without reading the body stops the
            // stream: its response is still there to read.
            let _ = stream.send_data(body).await;
        }
        let _ = stream.finish().await;
        let response = stream.recv_response().await.map_err(broke)?;
        let mut first = None;
        let mut collected = BytesMut::new();
        while let Some(mut chunk) = stream.recv_data().await.map_err(broke)? {
            if chunk.has_remaining() {
                first.get_or_insert_with(std::time::Instant::now);
            }
            collected.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        }
        let first = first.unwrap_or_else(std::time::Instant::now);
        Ok((response.map(|()| collected.freeze()), first))
    }
}
