//! WebSockets on every driver: one test body per behaviour, over the
//! reference app's echo (`crossdrive_fixtures::realtime`).
//!
//! `direct` carries the socket over an in-memory HTTP/1.1 connection,
//! `http1` and `http1-fresh` over an HTTP/1.1 Upgrade, `http2` and
//! `http2-tls` over an RFC 8441 extended CONNECT on a connection of their
//! own. The drivers that cannot carry a WebSocket declare it: the Lambda
//! HTTP event sources (API Gateway's HTTP and REST APIs, Function URLs
//! and ALB are request-response adapters, docs/websockets.md) and
//! `http3` (axum's `WebSocketUpgrade` needs hyper's upgrade, which no h3
//! server provides).

use std::time::Duration;

use crossdrive::remote::local_only;
use crossdrive::websocket::Message;
use crossdrive_fixtures::reference::{self, ADMIN_TOKEN, USER_TOKEN};
use serde_json::json;

/// Why the Lambda HTTP drivers refuse every handshake.
const REQUEST_RESPONSE: &str = "Lambda's HTTP event sources are request-response: API Gateway \
    HTTP and REST APIs create stateless HTTP APIs, its WebSocket APIs are a separate product \
    (docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html), and an ALB rejects the \
    upgrade requests of Lambda targets (elasticloadbalancing/latest/application/lambda-functions.html); \
    the handshake reaches the function as an ordinary request, which no upgrade can follow";

/// Why `lambda-alb` answers every handshake 400 itself.
const ALB_REJECTS: &str = "an Application Load Balancer rejects the upgrade requests of Lambda \
    targets with 400 without invoking the function (\"WebSockets are not supported\", \
    elasticloadbalancing/latest/application/lambda-functions.html)";

/// Why `http3` refuses every handshake.
const NO_H3_UPGRADE: &str = "RFC 9220 carries a WebSocket on an HTTP/3 extended CONNECT, but \
    h3 0.0.8's ext::Protocol knows only webtransport and connect-udp (h3 src/ext.rs), and axum's \
    WebSocketUpgrade takes hyper's OnUpgrade from the request, which no h3 server provides";

crossdrive::suite! {
    app = reference::app;

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn text_binary_and_json_messages_come_back_as_sent(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("hello").await;
        socket.assert_receive_text("hello").await;
        socket.send_binary(vec![0u8, 159, 146, 150, 255]).await;
        socket.assert_receive_binary(&[0, 159, 146, 150, 255]).await;
        socket.send_json(&json!({"op": "add", "items": [1, 2]})).await;
        socket.assert_receive_json(&json!({"op": "add", "items": [1, 2]})).await;
        socket.send_text("").await;
        assert_eq!(socket.receive_message().await, Message::Text(String::new()));
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn a_message_sent_in_frames_arrives_whole(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        // Split inside the two-byte `é`: only the whole message is UTF-8.
        socket.send_fragmented("caf\u{e9} au lait, in frames of two bytes", 2).await;
        socket.assert_receive_text("caf\u{e9} au lait, in frames of two bytes").await;
        socket.send_fragmented(vec![7u8; 1000], 300).await;
        socket.assert_receive_binary(&[7u8; 1000]).await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn a_four_mebibyte_message_crosses_whole(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        let large: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
        socket.send_binary(large.clone()).await;
        let back = socket.receive_binary().await;
        assert_eq!(back.len(), large.len());
        assert!(back == large[..], "the echoed bytes differ from those sent");
        let text = "0123456789abcdef".repeat(1 << 16);
        socket.send_text(text.clone()).await;
        socket.assert_receive_text(&text).await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn pings_are_answered_both_ways(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        // The client's ping: the app's WebSocket answers it.
        socket.ping("client ping").await;
        assert_eq!(socket.receive_pong().await, "client ping");
        // The app's ping: the client answers, and the app says so.
        socket.send_text("ping server ping").await;
        socket.assert_receive_text("pong server ping").await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn the_client_closes_with_a_code_and_the_app_answers_it(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("before the close").await;
        let answer = socket.close(4001, "test over").await;
        // RFC 6455 §5.5.1: the answering close echoes the code.
        assert_eq!(answer.code, 4001, "{answer}");
        // What the app sent before its close is still there to read.
        socket.assert_receive_text("before the close").await;
        assert!(socket.try_send(Message::from("late")).await.is_err());
        // The driver serves on after the socket.
        client.get("/hello").await.assert_status(200);
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn the_app_closes_with_a_code_and_reason_and_the_client_sees_it(client) {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("close 4403 no more for you").await;
        let closed = socket.assert_closed(4403).await;
        assert_eq!(closed.reason, "no more for you");
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("close 1000").await;
        assert_eq!(socket.closed().await.code, 1000);
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn the_subprotocol_is_the_one_the_app_chose_among_those_offered(client) {
        let socket = client
            .websocket("/ws")
            .protocols(["chat.v9", "echo.v2", "echo.v1"])
            .await
            .into_websocket();
        // axum chooses by the app's order of preference, not the client's.
        assert_eq!(socket.subprotocol(), Some("echo.v1"));
        let socket = client.websocket("/ws").protocol("chat.v9").await.into_websocket();
        assert_eq!(socket.subprotocol(), None, "the app speaks no chat.v9");
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn the_handshake_carries_the_test_s_headers_and_query(client) {
        let mut socket = client
            .websocket("/ws")
            .query("room", "a b")
            .header("x-trace", "t-1")
            .protocol("echo.v1")
            .await
            .into_websocket();
        socket.send_text("handshake").await;
        let seen: serde_json::Value = socket.receive_json().await;
        assert_eq!(seen["query"], json!("room=a%20b"), "{seen}");
        assert_eq!(seen["x-trace"], json!("t-1"), "{seen}");
        assert_eq!(seen["subprotocol"], json!("echo.v1"), "{seen}");
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn the_protocol_observed_is_the_driver_s_own(client) {
        let socket = client.websocket("/ws").await.into_websocket();
        let expected = match client.name() {
            "direct" => "in-process",
            "http2" | "http2-tls" => "HTTP/2",
            _ => "HTTP/1.1",
        };
        if local_only(&client, "the deployment's protocol is its own") {
            return;
        }
        assert_eq!(socket.protocol().as_str(), expected);
        let status = socket.handshake().status().as_u16();
        assert_eq!(status, if expected == "HTTP/2" { 200 } else { 101 });
    }

    /// The app checks the token before the upgrade, so its refusal is the
    /// same on every driver, those that carry no WebSocket included, but
    /// for an ALB, which answers the upgrade itself.
    #[differs(lambda_alb, status = 400, because = ALB_REJECTS)]
    async fn a_refused_handshake_is_the_response_the_app_gave(client) {
        let refused = client.websocket("/ws/admin").await;
        refused
            .assert_refused()
            .assert_status(401)
            .assert_header("www-authenticate", "Bearer")
            .assert_json(&json!({"error": "send a bearer token to open the admin socket"}));
        client
            .websocket("/ws/admin")
            .bearer(USER_TOKEN)
            .await
            .assert_status(403);
        let missing = client.websocket("/no-such-socket").await;
        missing.assert_status(404);
        assert!(!missing.is_accepted());
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn an_authorised_handshake_opens_the_admin_socket(client) {
        let mut socket = client.websocket("/ws/admin").bearer(ADMIN_TOKEN).await.into_websocket();
        socket.send_text("admin").await;
        socket.assert_receive_text("admin").await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn a_socket_the_app_never_writes_to_times_out_saying_nothing_arrived(client) {
        let mut socket = client
            .websocket("/ws/silent")
            .read_timeout(Duration::from_millis(200))
            .await
            .into_websocket();
        socket.send_text("anyone there?").await;
        let error = socket.try_receive_message().await.unwrap_err();
        assert!(error.is_timeout(), "{error}");
        let text = error.to_string();
        assert!(text.contains("nothing had arrived since the socket opened"), "{text}");
        assert!(text.contains("GET /ws/silent"), "{text}");
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream, note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(http3, note = "websocket-not-carried", because = NO_H3_UPGRADE)]
    async fn dropped_sockets_leave_the_driver_serving(client) {
        for round in 0..3 {
            let mut socket = client.websocket("/ws").await.into_websocket();
            socket.send_text(format!("round {round}")).await;
            socket.assert_receive_text(&format!("round {round}")).await;
            drop(socket);
        }
        client.get("/hello").await.assert_status(200).assert_text("Hello, world!");
    }
}

/// A handshake the app never answers, on every driver.
mod never_answered {
    use std::time::{Duration, Instant};

    use crossdrive_fixtures::reference;

    /// The handshake's bound (1 s on the child-process Lambda drivers,
    /// whose next request pays a new instance's cold start, as in
    /// tests/faults.rs).
    fn timeout() -> Duration {
        let child = std::thread::current().name().is_some_and(|test| {
            test.starts_with("lambda_runtime::") || test.starts_with("lambda_url_stream::")
        });
        Duration::from_millis(if child { 1000 } else { 500 })
    }

    crossdrive::suite! {
        app = reference::app;
        timeout = timeout();

        #[differs(lambda_alb, status = 400, because = crate::ALB_REJECTS)]
        async fn a_handshake_the_app_never_answers_is_a_timeout_naming_the_request(client) {
            let started = Instant::now();
            let error = client.websocket("/ws/never").try_handshake().await.unwrap_err();
            let took = started.elapsed();
            assert!(error.is_timeout(), "{error}");
            assert_eq!(error.driver(), client.name());
            assert!(error.to_string().contains("GET /ws/never"), "{error}");
            assert!(took >= timeout(), "gave up after {took:?}, before the timeout");
            assert!(took < timeout() + Duration::from_millis(2500), "took {took:?}: unbounded");
            client.get("/hello").await.assert_status(200);
        }
    }
}
