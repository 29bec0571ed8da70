//! Floors: the minimal way of reaching an app through each transport,
//! measured beside every driver in the same bench run.
//!
//! A floor is what a driver is judged against: "what does this adapter cost
//! beyond the least it could possibly cost?" Floors implement
//! [`crossdrive::bench::Exchange`] directly, without the boxing, timeout or
//! panic guard that drivers carry, so the ratio driver/floor shows all of a
//! driver's overhead.

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use crossdrive::bench::Exchange;
use crossdrive::{Error, ErrorKind};
use http::{Request, Response};
use tower::ServiceExt;

use crate::socket::raw::RawConn;

/// A floor for one driver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Floor {
    /// `Router::oneshot` plus collecting the body: the in-process minimum.
    RawOneshot(Router),
    /// The bare lambda_http round trip (event JSON built, `LambdaRequest`,
    /// `Adapter`, response JSON, decoded); see
    /// [`BareAdapter`](crate::lambda::BareAdapter) for exactly what it includes.
    BareAdapter(Box<crate::lambda::BareAdapter>),
    /// A raw hyper `client::conn` HTTP/1.1 connection to the driver's server.
    RawHyperHttp1(RawConn),
    /// A raw hyper `client::conn` h2c connection to the driver's server.
    RawHyperHttp2(RawConn),
    /// A raw hyper `client::conn` HTTP/2 connection over TLS (ALPN `h2`).
    RawHyperHttp2Tls(RawConn),
}

impl Floor {
    /// The floor's name as written in bench reports.
    ///
    /// ```
    /// let f = crossdrive_adapters::floor::Floor::RawOneshot(axum::Router::new());
    /// assert_eq!(f.name(), "raw-oneshot");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Self::RawOneshot(_) => "raw-oneshot",
            Self::BareAdapter(_) => "bare-adapter",
            Self::RawHyperHttp1(_) => "raw-hyper-http1",
            Self::RawHyperHttp2(_) => "raw-hyper-http2",
            Self::RawHyperHttp2Tls(_) => "raw-hyper-http2-tls",
        }
    }
}

/// A driver and its floor, ready for one bench cell.
pub struct BenchPair {
    /// The driver under test.
    pub driver: std::sync::Arc<dyn crossdrive::Driver>,
    /// Its floor, over a separate app instance.
    pub floor: Floor,
}

impl Exchange for Floor {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        match self {
            Self::BareAdapter(bare) => bare.exchange(request).await,
            Self::RawOneshot(app) => {
                let Ok(response) = app.clone().oneshot(request.map(Body::from)).await;
                let (parts, body) = response.into_parts();
                match axum::body::to_bytes(body, usize::MAX).await {
                    Ok(bytes) => Ok(Response::from_parts(parts, bytes)),
                    Err(e) => Err(Error::new(
                        ErrorKind::Adapter,
                        "raw-oneshot",
                        &http::Method::GET,
                        &http::Uri::from_static("/"),
                        format!("the response body failed while streaming ({e})"),
                    )),
                }
            }
            Self::RawHyperHttp1(conn)
            | Self::RawHyperHttp2(conn)
            | Self::RawHyperHttp2Tls(conn) => conn.exchange(request).await,
        }
    }
}
