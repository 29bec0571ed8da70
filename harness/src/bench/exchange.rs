//! The one operation a benchmark times.

use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};

use crate::{Driver, Error};

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
}

impl<D: Driver + ?Sized> Exchange for D {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        self.send(request).await.map(|d| d.response)
    }
}
