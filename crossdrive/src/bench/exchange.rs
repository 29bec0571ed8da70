//! The one operation a benchmark times.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body_util::BodyExt;

use crate::guard::{Interrupted, guarded};
use crate::{
    Client, DEFAULT_READ_TIMEOUT, Driver, Error, ErrorKind, Protocol, RequestBody, TestResponse,
};

/// Sends one request and returns the response; implemented by every
/// [`Driver`] and by the raw floors benchmarks compare drivers with.
///
/// ```
/// use crossdrive::bench::Exchange;
/// # use crossdrive::{BoxFuture, Driver, DriverResponse, Error, Protocol};
/// # struct Ok200;
/// # impl Driver for Ok200 {
/// #     fn name(&self) -> &str { "ok" }
/// #     fn send(&self, _: http::Request<bytes::Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
/// #         Box::pin(async { Ok(DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::InProcess)) })
/// #     }
/// # }
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let response = Ok200.exchange(http::Request::new(bytes::Bytes::new())).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// ```
pub trait Exchange {
    /// Sends `request` and returns the response.
    fn exchange(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, Error>>;

    /// Sends `request`, reads the response as it arrives, and returns it
    /// with the moment its first body byte arrived (the moment it ended,
    /// for an empty body). The default waits for the whole response, so
    /// its first byte arrives with its last: right for a floor or adapter
    /// that buffers.
    ///
    /// ```
    /// use crossdrive::bench::Exchange;
    /// # let client = crossdrive::__private::doc::streaming_client(["a", "b"]);
    /// # let driver = client.driver().clone();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let start = std::time::Instant::now();
    /// let (response, first) = driver.exchange_streaming(http::Request::new(bytes::Bytes::new())).await.unwrap();
    /// assert_eq!(response.body(), "ab");
    /// assert!(first >= start);
    /// # });
    /// ```
    fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<(Response<Bytes>, Instant), Error>> {
        async move {
            let response = self.exchange(request).await?;
            Ok((response, Instant::now()))
        }
    }

    /// Opens a WebSocket with `request` (a `GET` with its target and
    /// headers; the opening handshake's own headers are added by whoever
    /// opens) for a [`Step::websocket`](crate::scenario::Step::websocket).
    /// The default refuses, naming this as a side that cannot open one.
    ///
    /// ```
    /// use crossdrive::bench::{Exchange, OpenedWebSocket};
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let driver = client.driver().clone();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let opened = driver.open_websocket(http::Request::get("/ws").body(bytes::Bytes::new()).unwrap());
    /// assert!(matches!(opened.await.unwrap(), OpenedWebSocket::Accepted(_)));
    /// # });
    /// ```
    #[cfg(feature = "websocket")]
    fn open_websocket(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<crate::bench::OpenedWebSocket, Error>> {
        let _ = request;
        async { Err(crate::bench::websocket::cannot_open("exchange")) }
    }
}

impl<D: Driver + ?Sized> Exchange for D {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        self.send(request).await.map(|d| d.response)
    }

    /// Through [`Driver::stream`]: the first byte is stamped as the
    /// driver delivers it; the whole read is bounded by
    /// [`DEFAULT_READ_TIMEOUT`].
    async fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Response<Bytes>, Instant), Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let streamed = self.stream(request.map(RequestBody::full)).await?;
        let (parts, mut body) = streamed.response.into_parts();
        match guarded(DEFAULT_READ_TIMEOUT, read_stamped(&mut body)).await {
            Ok(Ok((bytes, first))) => Ok((Response::from_parts(parts, bytes), first)),
            Ok(Err(cause)) => Err(Error::new(
                ErrorKind::Adapter,
                self.name(),
                &method,
                &uri,
                "the response body was aborted before its end",
            )
            .with_source(cause)),
            Err(Interrupted::TimedOut(after)) => {
                Err(Error::timeout(self.name(), &method, &uri, after))
            }
            Err(Interrupted::Panicked(message)) => {
                Err(Error::handler_panic(self.name(), &method, &uri, &message))
            }
        }
    }

    /// Through [`Driver::websocket`], framed by tungstenite's client.
    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        crate::bench::websocket::open_on_driver(self, request).await
    }
}

/// Reads `body` to its end and returns its bytes with the moment its first
/// data byte arrived (the moment it ended, for an empty body): how the
/// drivers and the floors stamp time to first byte alike, for an
/// [`Exchange::exchange_streaming`] of your own.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let start = std::time::Instant::now();
/// let body = http_body_util::Full::new(bytes::Bytes::from("hello"));
/// let (bytes, first) = crossdrive::bench::read_stamped(body).await.unwrap();
/// assert_eq!((bytes.as_ref(), first >= start), (&b"hello"[..], true));
/// # });
/// ```
pub async fn read_stamped<B>(body: B) -> Result<(Bytes, Instant), B::Error>
where
    B: http_body::Body<Data = Bytes>,
{
    let mut body = std::pin::pin!(body);
    let mut first = None;
    let mut whole = BytesMut::new();
    while let Some(frame) = body.as_mut().frame().await {
        if let Ok(data) = frame?.into_data()
            && !data.is_empty()
        {
            first.get_or_insert_with(Instant::now);
            whole.extend_from_slice(&data);
        }
    }
    Ok((whole.freeze(), first.unwrap_or_else(Instant::now)))
}

/// How a bench cell reaches its driver: through [`Driver::send`], or
/// through the test [`Client`] over it, exactly as a `suite!` test's
/// `client.send(request)` does (the request check, the secrets marked, the
/// request kept for reports, the watchdog's stamp, the [`TestResponse`]).
/// [`Topology::Suite`](crate::bench::Topology::Suite) takes the client.
pub(crate) enum Reach {
    /// The driver's own `send`, what the engine compares with a floor.
    Driver(Arc<dyn Driver>),
    /// The test client over the driver.
    Client(Client),
}

impl Reach {
    /// Sends `request` and returns the response with the protocol the
    /// driver observed (used untimed, while preparing a cell).
    pub(crate) async fn observed(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Response<Bytes>, Protocol), Error> {
        match self {
            Self::Driver(driver) => {
                let delivered = driver.send(request).await?;
                Ok((delivered.response, delivered.protocol))
            }
            Self::Client(client) => {
                let answered = client.send(request).await?;
                let protocol = answered.protocol().clone();
                Ok((answered.into_response(), protocol))
            }
        }
    }
}

impl Exchange for Reach {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        match self {
            Self::Driver(driver) => driver.exchange(request).await,
            Self::Client(client) => client.send(request).await.map(TestResponse::into_response),
        }
    }

    /// Through the client: [`Client::stream`] and the [`TestStream`](crate::TestStream)
    /// read chunk by chunk, the first byte stamped as it is handed over.
    async fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Response<Bytes>, Instant), Error> {
        let client = match self {
            Self::Driver(driver) => return driver.exchange_streaming(request).await,
            Self::Client(client) => client,
        };
        let mut stream = client.stream(request.map(RequestBody::full)).await?;
        let mut first = None;
        while let Some(chunk) = stream.try_next_chunk().await? {
            if !chunk.data.is_empty() {
                first.get_or_insert_with(Instant::now);
            }
        }
        let response = stream.try_collect().await?.into_response();
        Ok((response, first.unwrap_or_else(Instant::now)))
    }

    /// Through the client: `client.websocket(..)`, as a test opens one.
    #[cfg(feature = "websocket")]
    async fn open_websocket(
        &self,
        request: Request<Bytes>,
    ) -> Result<crate::bench::OpenedWebSocket, Error> {
        match self {
            Self::Driver(driver) => driver.open_websocket(request).await,
            Self::Client(client) => crate::bench::websocket::open_on_client(client, request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::__private::doc::Mirror;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    }

    /// What only the client refuses: the driver frames the body itself.
    fn framed_by_hand() -> Request<Bytes> {
        Request::post("/")
            .header("transfer-encoding", "chunked")
            .body(Bytes::from("x"))
            .expect("a valid request")
    }

    #[test]
    fn through_the_client_a_request_is_checked_as_a_tests_is() {
        let bare = Reach::Driver(Arc::new(Mirror));
        let client = Reach::Client(Client::new(Mirror));
        runtime().block_on(async {
            assert!(bare.exchange(framed_by_hand()).await.is_ok());
            let refused = client.exchange(framed_by_hand()).await.unwrap_err();
            assert!(refused.is_invalid_request(), "{refused}");
            let streamed = client.exchange_streaming(framed_by_hand()).await;
            assert!(streamed.unwrap_err().is_invalid_request());
        });
    }

    #[test]
    fn through_the_client_the_answer_and_its_protocol_are_the_drivers() {
        let client = Reach::Client(Client::new(Mirror));
        let request = || {
            Request::post("/echo")
                .body(Bytes::from("hi"))
                .expect("valid")
        };
        runtime().block_on(async {
            let (response, protocol) = client.observed(request()).await.expect("an answer");
            assert_eq!(
                (response.body().as_ref(), protocol.as_str()),
                (&b"hi"[..], "in-process")
            );
            let start = Instant::now();
            let (response, first) = client
                .exchange_streaming(request())
                .await
                .expect("an answer");
            assert_eq!(
                (response.body().as_ref(), first >= start),
                (&b"hi"[..], true)
            );
        });
    }
}
