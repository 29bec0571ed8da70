//! Floors: the least each transport can cost, and the driver/floor pair
//! a bench cell measures.
//!
//! A floor is what a driver is judged against: "what does this adapter
//! cost beyond the least it could possibly cost?" Floors implement
//! [`Exchange`] directly, without the boxing, timeout or panic guard that
//! drivers carry, so driver/floor shows all of a driver's overhead.
//!
//! [`pair`] builds both from a [`DriverSpec`]'s deployment (the driver
//! registry, `registry.rs`), which each driver module provides:
//!
//! | family | driver | floor |
//! |---|---|---|
//! | direct | [`Direct`] | `raw-oneshot`: `Router::oneshot` and the body collected |
//! | lambda (any source) | [`Lambda`] with the spec's options | `bare-adapter`: the bare lambda_http round trip with the same options |
//! | lambda-runtime | the real runtime loop in a child (this binary) | `raw-runtime-api`: a minimal function in a child, the same protocol, served on the bench's runtime |
//! | socket | the driver on a server placed by the topology | `raw-hyper-*`: one raw hyper `client::conn` connection to that server |
//! | http3 | the driver on an HTTP/3 server placed by the topology | `raw-h3`: one raw h3 connection (quinn) to that server |
//! | custom | the spec's own `connect` | the spec's floor, or `raw-oneshot` over the app |
//!
//! In [`Topology::Suite`] the driver is the spec's own `connect`, exactly
//! what a `suite!` test gets (socket drivers on the shared server), and
//! every request goes through the test [`Client`](crate::Client) over it
//! (`client.send`, under the watchdog's watch), as a test's does; the
//! floor stays the same-thread raw loop: the least that request could
//! cost.

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower::ServiceExt;

use crate::bench::exchange::Reach;
use crate::bench::{Exchange, Topology};
use crate::drivers::DriverSpec;
pub(crate) use crate::registry::Floor;
use crate::registry::{RAW_ONESHOT, Server};
use crate::{ConnectOptions, Error, ErrorKind};

impl Exchange for Floor {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        match self {
            #[cfg(feature = "lambda")]
            Self::BareAdapter(bare) => bare.exchange(request).await,
            #[cfg(feature = "lambda")]
            Self::RawRuntimeApi(raw) => raw.exchange(request).await,
            Self::RawOneshot(app) => {
                let Ok(response) = app.clone().oneshot(request.map(Body::from)).await;
                let (parts, body) = response.into_parts();
                match axum::body::to_bytes(body, usize::MAX).await {
                    Ok(bytes) => Ok(Response::from_parts(parts, bytes)),
                    // A floor keeps no copy of the request (it would cost
                    // every exchange), so its error names none.
                    Err(e) => Err(Error::without_request(
                        ErrorKind::Adapter,
                        RAW_ONESHOT,
                        "the response body failed while streaming",
                    )
                    .with_source(e)),
                }
            }
            #[cfg(feature = "sockets")]
            Self::RawHyper(_, conn) => conn.exchange(request).await,
            #[cfg(feature = "http3")]
            Self::RawH3(conn) => conn.exchange(request).await,
            Self::Custom(_, driver) => driver.exchange(request).await,
        }
    }

    /// The floors that can stream stamp their first byte as it arrives;
    /// the bare Lambda adapter buffers, as the Lambda drivers do.
    async fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Response<Bytes>, std::time::Instant), Error> {
        match self {
            #[cfg(feature = "lambda")]
            Self::BareAdapter(bare) => {
                let response = bare.exchange(request).await?;
                Ok((response, std::time::Instant::now()))
            }
            // Its streamed answer arrives in one write, read whole.
            #[cfg(feature = "lambda")]
            Self::RawRuntimeApi(raw) => {
                let response = raw.exchange(request).await?;
                Ok((response, std::time::Instant::now()))
            }
            Self::RawOneshot(app) => {
                let Ok(response) = app.clone().oneshot(request.map(Body::from)).await;
                let (parts, body) = response.into_parts();
                let (bytes, first) = crate::bench::read_stamped(body).await.map_err(|e| {
                    Error::without_request(
                        ErrorKind::Adapter,
                        RAW_ONESHOT,
                        "the response body failed while streaming",
                    )
                    .with_source(e)
                })?;
                Ok((Response::from_parts(parts, bytes), first))
            }
            #[cfg(feature = "sockets")]
            Self::RawHyper(_, conn) => {
                let (parts, body) = conn.send_head(request).await?.into_parts();
                let (bytes, first) = crate::bench::read_stamped(body).await.map_err(|e| {
                    Error::without_request(
                        ErrorKind::Connection,
                        conn.name(),
                        "the floor's response body broke off",
                    )
                    .with_source(e)
                })?;
                Ok((Response::from_parts(parts, bytes), first))
            }
            #[cfg(feature = "http3")]
            Self::RawH3(conn) => conn.exchange_streaming(request).await,
            Self::Custom(_, driver) => driver.exchange_streaming(request).await,
        }
    }

    /// tokio-tungstenite's own client on the least transport that reaches
    /// the app: an in-memory duplex to hyper serving it (`raw-oneshot`),
    /// a fresh connection to the driver's server (`raw-hyper-*`), or a
    /// custom floor's own driver. The Lambda and HTTP/3 floors open none.
    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        match self {
            Self::RawOneshot(app) => {
                crate::bench::websocket::open_in_memory(app.clone(), request, RAW_ONESHOT).await
            }
            #[cfg(feature = "sockets")]
            Self::RawHyper(_, conn) => crate::bench::websocket::open_on_raw(conn, request).await,
            Self::Custom(_, driver) => driver.open_websocket(request).await,
            #[allow(unreachable_patterns)]
            other => Err(crate::bench::websocket::cannot_open(other.name())),
        }
    }
}

/// A driver and its floor, each over its own app instance, ready for one
/// bench cell.
pub(crate) struct Pair {
    /// The driver, reached as the topology says.
    pub(crate) driver: Reach,
    pub(crate) floor: Floor,
    /// In [`Topology::Suite`], the watchdog's watch a `suite!` test runs
    /// under, so every request through the client is stamped as a test's
    /// is. Dropped with the pair, on the bench's thread.
    pub(crate) _watch: Option<crate::watchdog::WatchGuard>,
}

/// Builds `spec`'s driver and floor over two fresh apps from `app`, in
/// `topology`; call it inside the bench's current-thread runtime, which
/// same-thread servers join.
pub(crate) fn pair(
    spec: &DriverSpec,
    app: &dyn Fn() -> axum::Router,
    topology: Topology,
) -> Result<Pair, Error> {
    let deployment = spec.deployment();
    let server = match topology {
        // The suite's floor stays the same-thread raw loop: the least that
        // request could cost.
        Topology::SameThread | Topology::Suite => Server::Here,
        Topology::CrossThread => Server::OwnThread,
    };
    let placed = deployment.bench_pair(app, server)?;
    let as_suite = topology == Topology::Suite && deployment.bench_as_suite();
    let driver = match placed.driver {
        Some(driver) if !as_suite => driver,
        // A suite row reaches the driver exactly as a suite! test does.
        _ => spec.connect(app(), &ConnectOptions::new())?,
    };
    if topology != Topology::Suite {
        return Ok(Pair {
            driver: Reach::Driver(driver),
            floor: placed.floor,
            _watch: None,
        });
    }
    // ... and sends through the test client, under the watch the suite
    // runner puts every test under.
    let timeout = spec.effective_timeout(&ConnectOptions::new());
    let watch = crate::watchdog::watch("crossdrive bench", spec.name(), timeout);
    Ok(Pair {
        driver: Reach::Client(crate::Client::from_arc(driver)),
        floor: placed.floor,
        _watch: Some(watch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_suite_topology_reaches_the_driver_through_the_test_client() {
        let app = axum::Router::new;
        for (topology, through_client) in [
            (Topology::SameThread, false),
            (Topology::CrossThread, false),
            (Topology::Suite, true),
        ] {
            let pair = pair(&DriverSpec::direct(), &app, topology).expect("direct pairs");
            assert_eq!(
                (
                    matches!(pair.driver, Reach::Client(_)),
                    pair._watch.is_some()
                ),
                (through_client, through_client),
                "{topology}"
            );
        }
    }
}
