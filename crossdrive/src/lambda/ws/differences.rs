//! The WebSocket conformance checks `lambda-ws` cannot meet, with the
//! reasons: what an API Gateway WebSocket API does to a connection, as the
//! model reproduces it (limits and codes in `limits.rs`). The function is
//! the conformance echo answering the `/ws` contract from API Gateway's
//! events (`conformance/echo/lambda_ws.rs`): its messages come back
//! through `@connections`.

use super::options::WebSocketOptions;

/// The message the large-message check sends (1 MiB) and the frames it
/// sends it in (32 KiB): what decides whether the deployment's limits
/// refuse it.
const LARGE_MESSAGE: usize = 1 << 20;
const LARGE_FRAME: usize = 32 * 1024;

const BINARY: &str = "API Gateway WebSocket APIs refuse binary frames: \"If a client app sends \
     a binary frame, API Gateway rejects it and disconnects the client with code 1003\" \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html)";

const MESSAGE_LIMIT: &str = "API Gateway's message payload quota is 128 KB (frames 32 KB), not \
     raisable; a larger message closes the connection with 1009 \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)";

const NO_PING: &str = "a function talks to its client only through the @connections API, \
     which has POST, GET and DELETE and no ping \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html), \
     so the app's ping never reaches the client";

const NO_CLOSE_CODE: &str = "a function closes a connection with DELETE @connections/{id}, \
     which takes no code or reason \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html): \
     API Gateway closes with its own (the model 1000; AWS documents none)";

const REFUSAL_BODY: &str = "a non-2xx answer from $connect refuses the handshake with that \
     status \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html); \
     AWS documents no body for it and the model sends none, so the app's JSON body does not \
     reach the client";

/// The differences of a WebSocket API deployed as `options` say: the
/// large message only while the deployment's limits refuse it.
pub(crate) fn for_options(options: &WebSocketOptions) -> Vec<(&'static str, &'static str)> {
    let refuses_large = options.message_limit < LARGE_MESSAGE || options.frame_limit < LARGE_FRAME;
    [
        ("websocket_binary_message_comes_back_as_sent", BINARY),
        ("websocket_app_ping_reaches_the_client", NO_PING),
        ("websocket_app_close_code_reaches_the_client", NO_CLOSE_CODE),
        (
            "websocket_refused_handshake_is_the_apps_response",
            REFUSAL_BODY,
        ),
    ]
    .into_iter()
    .chain(refuses_large.then_some(("websocket_one_mib_message_arrives_whole", MESSAGE_LIMIT)))
    .collect()
}
