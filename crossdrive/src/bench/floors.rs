//! Floors: the least each transport can cost, and the driver/floor pair
//! a bench cell measures.
//!
//! A floor is what a driver is judged against: "what does this adapter
//! cost beyond the least it could possibly cost?" Floors implement
//! [`Exchange`] directly, without the boxing, timeout or panic guard that
//! drivers carry, so driver/floor shows all of a driver's overhead.
//!
//! [`pair`] builds both from a [`DriverSpec`], matching on its family:
//!
//! | family | driver | floor |
//! |---|---|---|
//! | direct | [`Direct`] | `raw-oneshot`: `Router::oneshot` and the body collected |
//! | lambda (any source) | [`Lambda`] with the spec's options | `bare-adapter`: the bare lambda_http round trip with the same options |
//! | lambda-runtime | the real runtime loop in a child (this binary) | `bare-adapter` |
//! | socket | the driver on a server placed by the topology | `raw-hyper-*`: one raw hyper `client::conn` connection to that server |
//! | http3 | the driver on an HTTP/3 server placed by the topology | `raw-h3`: one raw h3 connection (quinn) to that server |
//! | custom | the spec's own `connect` | the spec's floor, or `raw-oneshot` over the app |
//!
//! In [`Topology::Suite`] the driver is the spec's own `connect`, exactly
//! what a `suite!` test gets (socket drivers on the shared server), while
//! the floor stays the same-thread raw loop: the least that request could
//! cost.

use std::sync::Arc;

use crate::bench::{Exchange, Topology};
use crate::{Driver, Error, ErrorKind};
use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower::ServiceExt;

use crate::drivers::{DriverSpec, Family};
#[cfg(feature = "lambda")]
use crate::lambda::{BareAdapter, Lambda};
#[cfg(feature = "sockets")]
use crate::socket::raw::RawConn;
#[cfg(feature = "sockets")]
use crate::socket::{Flavor, ServerOptions, SocketServer};
#[cfg(feature = "http3")]
use crate::socket::{Http3Server, http3::raw::RawH3};
use crate::{ConnectOptions, Direct};

/// The floor of one driver.
pub(crate) enum Floor {
    /// `Router::oneshot` plus collecting the body: the in-process minimum.
    RawOneshot(Router),
    /// The bare lambda_http round trip (event JSON built, `LambdaRequest`,
    /// `Adapter`, response JSON, decoded).
    #[cfg(feature = "lambda")]
    BareAdapter(Box<BareAdapter>),
    /// A raw hyper `client::conn` connection to the driver's server.
    #[cfg(feature = "sockets")]
    RawHyper(&'static str, RawConn),
    /// A raw h3 connection to the driver's HTTP/3 server.
    #[cfg(feature = "http3")]
    RawH3(RawH3),
    /// A custom driver's own floor.
    Custom(String, Arc<dyn Driver>),
}

impl Floor {
    /// The floor's name as written in bench reports.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::RawOneshot(_) => "raw-oneshot",
            #[cfg(feature = "lambda")]
            Self::BareAdapter(_) => "bare-adapter",
            #[cfg(feature = "sockets")]
            Self::RawHyper(name, _) => name,
            #[cfg(feature = "http3")]
            Self::RawH3(_) => crate::socket::http3::raw::NAME,
            Self::Custom(name, _) => name,
        }
    }
}

impl Exchange for Floor {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        match self {
            #[cfg(feature = "lambda")]
            Self::BareAdapter(bare) => bare.exchange(request).await,
            Self::RawOneshot(app) => {
                let Ok(response) = app.clone().oneshot(request.map(Body::from)).await;
                let (parts, body) = response.into_parts();
                match axum::body::to_bytes(body, usize::MAX).await {
                    Ok(bytes) => Ok(Response::from_parts(parts, bytes)),
                    // A floor keeps no copy of the request (it would cost
                    // every exchange), so its error names none.
                    Err(e) => Err(Error::without_request(
                        ErrorKind::Adapter,
                        "raw-oneshot",
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
            Self::RawOneshot(app) => {
                let Ok(response) = app.clone().oneshot(request.map(Body::from)).await;
                let (parts, body) = response.into_parts();
                let (bytes, first) = crate::bench::read_stamped(body).await.map_err(|e| {
                    Error::without_request(
                        ErrorKind::Adapter,
                        "raw-oneshot",
                        "the response body failed while streaming",
                    )
                    .with_source(e)
                })?;
                Ok((Response::from_parts(parts, bytes), first))
            }
            #[cfg(feature = "sockets")]
            Self::RawHyper(_, conn) => conn.exchange_streaming(request).await,
            #[cfg(feature = "http3")]
            Self::RawH3(conn) => conn.exchange_streaming(request).await,
            Self::Custom(_, driver) => driver.exchange_streaming(request).await,
        }
    }
}

/// A driver and its floor, each over its own app instance, ready for one
/// bench cell.
pub(crate) struct Pair {
    pub(crate) driver: Arc<dyn Driver>,
    pub(crate) floor: Floor,
}

/// Builds `spec`'s driver and floor over two fresh apps from `app`, in
/// `topology`; call it inside the bench's current-thread runtime, which
/// same-thread servers join.
pub(crate) fn pair(
    spec: &DriverSpec,
    app: &dyn Fn() -> Router,
    topology: Topology,
) -> Result<Pair, Error> {
    // A suite row reaches the driver exactly as a suite! test does.
    let as_suite = |spec: &DriverSpec| spec.connect(app(), &ConnectOptions::new());
    Ok(match spec.family() {
        Family::Direct => Pair {
            driver: if topology == Topology::Suite {
                as_suite(spec)?
            } else {
                Arc::new(Direct::new(app()))
            },
            floor: Floor::RawOneshot(app()),
        },
        #[cfg(feature = "lambda")]
        Family::Lambda(options) => Pair {
            driver: if topology == Topology::Suite {
                as_suite(spec)?
            } else {
                Arc::new(Lambda::new(app(), options.clone()))
            },
            floor: Floor::BareAdapter(Box::new(BareAdapter::new(app(), options.clone()))),
        },
        #[cfg(feature = "lambda")]
        Family::LambdaRuntime(options) => Pair {
            // The child re-runs this binary, which serves it first thing
            // (bench_main! and Bench::run_from_args see to that).
            driver: Arc::new(crate::lambda::runtime::start_for_binary(
                app(),
                options.clone(),
            )?),
            floor: Floor::BareAdapter(Box::new(BareAdapter::new(app(), options.clone()))),
        },
        #[cfg(feature = "sockets")]
        Family::Socket(flavor) => socket(spec, *flavor, app, topology)?,
        #[cfg(feature = "http3")]
        Family::Http3 => http3(spec, app, topology)?,
        Family::Custom { floor, .. } => Pair {
            driver: as_suite(spec)?,
            floor: match floor {
                Some((name, make)) => Floor::Custom(name.clone(), make(app())?),
                None => Floor::RawOneshot(app()),
            },
        },
    })
}

#[cfg(feature = "sockets")]
fn socket(
    spec: &DriverSpec,
    flavor: Flavor,
    app: &dyn Fn() -> Router,
    topology: Topology,
) -> Result<Pair, Error> {
    let label = format!("bench-{}", flavor.name());
    // Same thread (and the suite's floor): the server joins the bench's
    // current-thread runtime. Cross thread: the server gets its own thread;
    // the client stays here.
    let server = match topology {
        Topology::SameThread | Topology::Suite => SocketServer::start_here(flavor.tls(), &label)?,
        Topology::CrossThread => {
            SocketServer::start(ServerOptions::new().tls(flavor.tls()).label(label))?
        }
    };
    let driver: Arc<dyn Driver> = match topology {
        Topology::Suite => spec.connect(app(), &ConnectOptions::new())?,
        _ => Arc::new(server.inline_driver(flavor, app())?),
    };
    let name = match flavor {
        Flavor::Http2 => "raw-hyper-http2",
        Flavor::Http2Tls => "raw-hyper-http2-tls",
        Flavor::Http1 | Flavor::Http1Tls | Flavor::Http1Fresh => "raw-hyper-http1",
    };
    Ok(Pair {
        driver,
        floor: Floor::RawHyper(name, RawConn::new(&server, flavor, app())?),
    })
}

#[cfg(feature = "http3")]
fn http3(spec: &DriverSpec, app: &dyn Fn() -> Router, topology: Topology) -> Result<Pair, Error> {
    let label = "bench-http3";
    // As for the TCP drivers: same thread (and the suite's floor) puts the
    // server's endpoint on the bench's runtime, cross thread on its own.
    let server = match topology {
        Topology::SameThread | Topology::Suite => Http3Server::start_here(label)?,
        Topology::CrossThread => Http3Server::start(label)?,
    };
    let driver: Arc<dyn Driver> = match topology {
        Topology::Suite => spec.connect(app(), &ConnectOptions::new())?,
        _ => Arc::new(server.inline_driver(app())?),
    };
    Ok(Pair {
        driver,
        floor: Floor::RawH3(RawH3::new(&server, app())?),
    })
}
