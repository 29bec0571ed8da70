//! The `lambda-ws` driver in `suite!`: WebSocket bodies on an API Gateway
//! WebSocket API modelled on loopback, the function the reference
//! `ws_function` (an echo answering as the reference app's `/ws` route),
//! its `$default` route two-way so the echo comes back.
//!
//! The driver carries WebSockets only, so the suite names its drivers in
//! `only = [..]`; the bodies are written to run unchanged on the drivers
//! that upgrade (`direct`, `http1`, ...) against the reference app's `/ws`.

use crossdrive::lambda::ws::WebSocketOptions;
use crossdrive::{DriverSpec, Drivers};
use crossdrive_fixtures::{reference, ws_function::ws_function};

fn drivers() -> Drivers {
    Drivers::builtin().with(DriverSpec::lambda_ws(
        WebSocketOptions::new()
            .function(ws_function)
            .two_way("$default"),
    ))
}

const BINARY_FRAMES: &str = "API Gateway WebSocket APIs refuse binary frames and close with 1003 \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html)";

crossdrive::suite! {
    app = reference::app;
    drivers = drivers;
    only = [lambda_ws];

    async fn a_text_message_comes_back_as_sent(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("hello").await;
        socket.assert_receive_text("hello").await;
        socket.send_json(&serde_json::json!({"action": "ping", "n": 1})).await;
        socket.assert_receive_json(&serde_json::json!({"action": "ping", "n": 1})).await;
        socket.close(1000, "done").await;
    }

    async fn the_first_offered_subprotocol_is_chosen(client) {
        let socket = client.websocket("/ws").protocols(["chat", "superchat"]).await.into_websocket();
        assert_eq!(socket.subprotocol(), Some("chat"));
    }

    async fn a_refused_handshake_is_the_status_it_was(client) {
        client.websocket("/ws").header("x-refuse", "401").await.assert_status(401);
    }

    #[differs(lambda_ws, expected = "1003", because = BINARY_FRAMES)]
    async fn a_binary_message_comes_back_as_sent(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_binary(vec![0u8, 1, 2, 255]).await;
        socket.assert_receive_binary(&[0, 1, 2, 255]).await;
    }
}
