//! API Gateway's WebSocket quotas and the close codes it ends a
//! connection with, written once.
//!
//! The quotas are AWS's, none of them raisable
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html>):
//! a 32 KB frame, a 128 KB message ("messages larger than 32 KB must be
//! split into multiple frames ... If a larger message (or larger frame
//! size) is received, the connection is closed with code 1009"), 10
//! minutes idle, 2 hours in all, and an integration timeout of 29 s.
//! Binary frames are refused with 1003
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html>).

use std::time::Duration;

/// The largest WebSocket frame API Gateway accepts: 32 KB.
///
/// ```
/// assert_eq!(crossdrive::lambda::ws::WS_FRAME_LIMIT, 32 * 1024);
/// ```
pub const WS_FRAME_LIMIT: usize = 32 * 1024;

/// The largest message (all its frames) API Gateway accepts: 128 KB, also
/// the most an `@connections` POST may carry.
///
/// ```
/// assert_eq!(crossdrive::lambda::ws::WS_MESSAGE_LIMIT, 128 * 1024);
/// ```
pub const WS_MESSAGE_LIMIT: usize = 128 * 1024;

/// How long a connection may carry no message before API Gateway closes
/// it: 10 minutes.
///
/// ```
/// assert_eq!(crossdrive::lambda::ws::WS_IDLE_TIMEOUT.as_secs(), 600);
/// ```
pub const WS_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The longest a connection may last: 2 hours.
///
/// ```
/// assert_eq!(crossdrive::lambda::ws::WS_MAX_DURATION.as_secs(), 7200);
/// ```
pub const WS_MAX_DURATION: Duration = Duration::from_secs(2 * 60 * 60);

/// The longest API Gateway waits for an integration (the function) to
/// answer: 29 s.
///
/// ```
/// assert_eq!(crossdrive::lambda::ws::WS_INTEGRATION_TIMEOUT.as_secs(), 29);
/// ```
pub const WS_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// RFC 6455 close code 1000, a normal closure: what the model sends when
/// the function deletes the connection (`DELETE @connections/{id}`); AWS
/// documents no code for it.
pub(crate) const NORMAL: u16 = 1000;
/// 1001 Going Away: the model's code for the idle and duration limits. AWS
/// documents the limits but not the code; 1001 is RFC 6455's code for an
/// endpoint going away (section 7.4.1).
pub(crate) const GOING_AWAY: u16 = 1001;
/// 1003: AWS's documented code for a binary frame.
pub(crate) const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: no status in the client's close frame, as the recorded
/// `$disconnect` event carries it (`disconnectStatusCode: 1005`,
/// `disconnectReason: "Client-side close frame status not set"`, in
/// aws_lambda_events' `example-apigw-websocket-request-disconnect-route.json`).
pub(crate) const NO_STATUS: u16 = 1005;
/// 1006: the client went without a close frame (RFC 6455 section 7.4.1).
pub(crate) const ABNORMAL: u16 = 1006;
/// 1009: AWS's documented code for a frame or message over its limit.
pub(crate) const TOO_BIG: u16 = 1009;
/// 1011: the model's own close when the function outlives the test's
/// timeout (crossdrive's bound, not AWS's).
pub(crate) const INTERNAL: u16 = 1011;
