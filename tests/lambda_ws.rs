//! The `lambda-ws` driver in `suite!`: one WebSocket test body on `direct`,
//! `http1`, `http1-fresh`, `http2`, `http2-tls` and an API Gateway
//! WebSocket API modelled on loopback. On the first five the socket
//! reaches the reference app's `/ws` echo
//! (`crossdrive_fixtures::realtime`); on `lambda_ws` the reference
//! `ws_function`, deployed behind a two-way `$default` route so its answer
//! comes back, answers as that echo does, as far as a function behind API
//! Gateway can.
//!
//! `lambda_ws` carries WebSockets only, so the suite names its drivers in
//! `only = [..]` (tests/websocket.rs runs the echo on every HTTP driver).

use crossdrive::lambda::ws::WebSocketOptions;
use crossdrive::{DriverSpec, Drivers};
use crossdrive_fixtures::reference::{self, ADMIN_TOKEN, USER_TOKEN};
use crossdrive_fixtures::ws_function::ws_function;
use serde_json::{Value, json};

fn drivers() -> Drivers {
    Drivers::builtin().with(DriverSpec::lambda_ws(
        WebSocketOptions::new()
            .function(ws_function)
            .two_way("$default"),
    ))
}

const BINARY_FRAMES: &str = "API Gateway WebSocket APIs refuse binary frames and close with 1003 \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html)";

const NO_CLOSE_CODE: &str = "a function closes a connection with DELETE @connections/{id}, which \
     takes no code: API Gateway closes with its own \
     (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)";

crossdrive::suite! {
    app = reference::app;
    drivers = drivers;
    only = [direct, http1, http1_fresh, http2, http2_tls, lambda_ws];

    async fn text_and_json_messages_come_back_as_sent(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("hello").await;
        socket.assert_receive_text("hello").await;
        socket.send_json(&json!({"action": "add", "items": [1, 2]})).await;
        socket.assert_receive_json(&json!({"action": "add", "items": [1, 2]})).await;
        socket.send_fragmented("caf\u{e9} au lait, in frames of two bytes", 2).await;
        socket.assert_receive_text("caf\u{e9} au lait, in frames of two bytes").await;
        socket.close(1000, "done").await;
    }

    #[differs(lambda_ws, expected = "1003", because = BINARY_FRAMES)]
    async fn a_binary_message_comes_back_as_sent(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_binary(vec![0u8, 1, 2, 255]).await;
        socket.assert_receive_binary(&[0, 1, 2, 255]).await;
    }

    async fn the_server_chooses_its_preferred_subprotocol(client) {
        let socket = client.websocket("/ws").protocols(["echo.v2", "echo.v1"]).await.into_websocket();
        assert_eq!(socket.subprotocol(), Some("echo.v1"));
    }

    async fn the_handshake_carries_the_query_and_headers(client) {
        let mut socket = client
            .websocket("/ws")
            .query("room", "7")
            .header("x-trace", "t-1")
            .await
            .into_websocket();
        socket.send_text("handshake").await;
        let seen: Value = socket.receive_json().await;
        assert_eq!(seen["query"], "room=7");
        assert_eq!(seen["x-trace"], "t-1");
    }

    async fn the_admin_socket_refuses_a_user_and_serves_the_admin(client) {
        client.websocket("/ws/admin").bearer(USER_TOKEN).await.assert_status(403);
        let mut socket = client.websocket("/ws/admin").bearer(ADMIN_TOKEN).await.into_websocket();
        socket.send_text("admin here").await;
        socket.assert_receive_text("admin here").await;
    }

    #[differs(lambda_ws, expected = "1000", because = NO_CLOSE_CODE)]
    async fn the_server_closes_with_the_code_it_was_asked_for(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("close 4000 bye").await;
        socket.assert_closed(4000).await;
    }
}
