//! The reqwest transport of a [`SocketDriver`](super::SocketDriver), for a
//! test that asks for what a full client adds (following redirects, a
//! cookie store): `SocketServer::http1_with` and friends.
//!
//! reqwest parses the target into a `url::Url`, which may normalize it
//! (dot segments, escaping of characters such as `'` in queries), so when
//! what went on the wire differs from the request target the response
//! carries a `uri-normalized` [`AdapterNote`] instead of hiding it.
//! reqwest also adds `accept: */*` when a request has no `accept` header.
//! Its failures become the socket core's, so its errors read as the
//! default transport's.

use crate::{AdapterNote, RequestBody, ResponseBody};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::core::{ConnError, Exchange, Failure};
use super::driver::{Flavor, Tcp, setup_error};
use super::server::SocketServer;
use super::wire;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A reqwest client a test configured, and the server's base URL.
pub(crate) struct Reqwest {
    client: reqwest::Client,
    base: reqwest::Url,
}

/// An outcome and the note saying how reqwest changed the target.
type Sent<T> = (Result<Response<T>, Failure>, Option<AdapterNote>);

impl Reqwest {
    /// The client for `flavor` on `server`, adjusted by `configure`.
    pub(crate) fn new(
        server: &SocketServer,
        flavor: Flavor,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<Self, crate::Error> {
        Ok(Self {
            client: client(server, flavor, configure)?,
            base: base(server, flavor)?,
        })
    }

    /// The origin errors name.
    pub(crate) fn origin(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// Sends a whole request and reads the whole response, at most the
    /// body limit.
    pub(crate) async fn send(
        &self,
        exchange: &Exchange<Tcp>,
        request: Request<Bytes>,
    ) -> Sent<Bytes> {
        let (parts, body) = request.into_parts();
        let body = (!body.is_empty()).then(|| reqwest::Body::from(body));
        let (outgoing, note) = self.outgoing(exchange, parts, body);
        let (client, origin) = (self.client.clone(), self.origin());
        let limit = exchange.body_limit;
        let sent = async move {
            let (parts, body) = execute(&client, outgoing, &origin).await?.into_parts();
            let collected = Limited::new(body, limit).collect().await.map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    Failure::Conn(ConnError::TooLarge)
                } else {
                    body_failure(e)
                }
            })?;
            Ok(Response::from_parts(parts, collected.to_bytes()))
        };
        (exchange.run_unpooled(sent).await, note)
    }

    /// Sends a request, its body streamed as it yields, and resolves at the
    /// response head.
    pub(crate) async fn stream(
        &self,
        exchange: &Exchange<Tcp>,
        request: Request<RequestBody>,
    ) -> Sent<ResponseBody> {
        let (parts, body) = request.into_parts();
        let body = match body.as_full() {
            Some(whole) => (!whole.is_empty()).then(|| reqwest::Body::from(whole)),
            None => Some(reqwest::Body::wrap_stream(
                http_body_util::BodyDataStream::new(body),
            )),
        };
        let (outgoing, note) = self.outgoing(exchange, parts, body);
        let (client, origin) = (self.client.clone(), self.origin());
        let sent = async move {
            let response = execute(&client, outgoing, &origin).await?;
            Ok(response.map(ResponseBody::new))
        };
        (exchange.run_unpooled(sent).await, note)
    }

    /// The request as reqwest sends it, and a note when reqwest's URL
    /// parser changed the target.
    fn outgoing(
        &self,
        exchange: &Exchange<Tcp>,
        parts: http::request::Parts,
        body: Option<reqwest::Body>,
    ) -> (reqwest::Request, Option<AdapterNote>) {
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        // Cloning the parsed base and setting path and query is cheaper than
        // parsing the whole URL (host and all) for every request.
        let mut url = self.base.clone();
        url.set_path(path);
        url.set_query(query);
        let note = (url.path() != path || url.query() != query).then(|| {
            let sent = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            };
            AdapterNote::new(
                "uri-normalized",
                format!("reqwest sent the target `{target}` as `{sent}`"),
            )
        });
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        wire::stamp(outgoing.headers_mut(), exchange.app());
        *outgoing.body_mut() = body;
        (outgoing, note)
    }
}

/// Sends `request` and resolves at the response head; reqwest's errors
/// become the core's failures (a timeout, a refused connection, a broken
/// exchange).
async fn execute(
    client: &reqwest::Client,
    request: reqwest::Request,
    origin: &str,
) -> Result<Response<reqwest::Body>, Failure> {
    match client.execute(request).await {
        Ok(response) => Ok(response.into()),
        Err(e) if e.is_timeout() => Err(Failure::TimedOut),
        Err(e) if e.is_connect() => Err(Failure::Conn(ConnError::Connect(
            format!("cannot connect to {origin}"),
            e.into(),
        ))),
        Err(e) => Err(Failure::Conn(ConnError::Exchange(e.into()))),
    }
}

/// A response body that broke off: reqwest's timeout is the driver's.
fn body_failure(e: BoxError) -> Failure {
    if e.downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_timeout)
    {
        return Failure::TimedOut;
    }
    Failure::Conn(ConnError::Body(e))
}

fn base(server: &SocketServer, flavor: Flavor) -> Result<reqwest::Url, crate::Error> {
    let base = if flavor.tls() {
        format!("https://localhost:{}/", server.addr().port())
    } else {
        format!("http://{}/", server.addr())
    };
    reqwest::Url::parse(&base).map_err(|e| {
        setup_error(flavor, "cannot make a URL for the server".to_owned()).with_source(e)
    })
}

fn client(
    #[cfg_attr(not(feature = "tls"), allow(unused_variables))] server: &SocketServer,
    flavor: Flavor,
    configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> Result<reqwest::Client, crate::Error> {
    // Exactly what the server sent: no redirects followed, no cookie
    // store (the feature is not compiled in), no silent retries of
    // refused HTTP/2 streams, no proxy from the environment.
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .no_proxy()
        .pool_idle_timeout(None)
        .tcp_nodelay(true);
    let builder = match flavor {
        Flavor::Http1 | Flavor::Http1Tls => builder.http1_only(),
        Flavor::Http1Fresh => builder.http1_only().pool_max_idle_per_host(0),
        Flavor::Http2 => builder.http2_prior_knowledge(),
        Flavor::Http2Tls => builder,
    };
    #[cfg(feature = "tls")]
    let builder = builder
        .tls_backend_preconfigured(super::driver::tls_client(server, flavor)?)
        .resolve("localhost", server.addr());
    #[cfg(not(feature = "tls"))]
    if flavor.tls() {
        return Err(super::driver::without_tls(flavor));
    }
    configure(builder).build().map_err(|e| {
        setup_error(flavor, "cannot build the reqwest client".to_owned()).with_source(e)
    })
}
