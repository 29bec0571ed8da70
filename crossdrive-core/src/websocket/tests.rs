//! The test socket against scripted peers: what a test sees when the app
//! pings, drops the connection, answers the handshake wrongly or sends
//! what the test did not expect.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::header::{SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY};
use http::{Request, Response, StatusCode};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Wire;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Handshake, Upgraded};
use crate::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};

type Peer = WebSocketStream<DuplexStream>;
type Script = Arc<dyn Fn(Peer) -> BoxFuture<'static, ()> + Send + Sync>;

/// Accepts every handshake (with `accept` as its Sec-WebSocket-Accept, or
/// the right one) and runs `script` as the app's side of the socket.
struct Scripted {
    script: Script,
    accept: Option<&'static str>,
}

impl Driver for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn send(&self, _: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async {
            Ok(DriverResponse::new(
                Response::new(Bytes::new()),
                Protocol::InProcess,
            ))
        })
    }

    fn websocket(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Handshake, Error>> {
        let key = request.headers()[SEC_WEBSOCKET_KEY].as_bytes().to_vec();
        let accept = self
            .accept
            .map_or_else(|| derive_accept_key(&key), str::to_owned);
        let script = Arc::clone(&self.script);
        Box::pin(async move {
            let (client_end, server_end) = tokio::io::duplex(64 * 1024);
            tokio::spawn(async move {
                let peer = WebSocketStream::from_raw_socket(server_end, Role::Server, None).await;
                script(peer).await;
            });
            let head = Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header(SEC_WEBSOCKET_ACCEPT, accept)
                .body(())
                .unwrap();
            Ok(Handshake::Accepted(Upgraded::new(
                head,
                Protocol::InProcess,
                client_end,
            )))
        })
    }
}

fn client<F, Fut>(script: F) -> Client
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let script: Script = Arc::new(move |peer| Box::pin(script(peer)));
    Client::new(Scripted {
        script,
        accept: None,
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_app_s_ping_is_answered_while_the_test_waits_for_a_message() {
    let client = client(|mut peer| async move {
        peer.send(Wire::Ping(Bytes::from("hb"))).await.unwrap();
        // The pong must come back before the app says anything.
        while let Some(Ok(message)) = peer.next().await {
            if let Wire::Pong(payload) = message {
                let reply = format!("pong {}", String::from_utf8_lossy(&payload));
                peer.send(Wire::text(reply)).await.unwrap();
                break;
            }
        }
        let _ = peer.next().await;
    });
    rt().block_on(async {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.assert_receive_text("pong hb").await;
    });
}

#[test]
fn a_connection_that_ends_without_a_close_frame_is_1006_and_named_so() {
    let client = client(|mut peer| async move {
        peer.send(Wire::text("last words")).await.unwrap();
        // Dropped: no close frame.
    });
    rt().block_on(async {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.assert_receive_text("last words").await;
        let error = socket.try_receive_message().await.unwrap_err();
        assert!(error.is_connection(), "{error}");
        let text = error.to_string();
        assert!(text.contains("the socket closed (1006"), "{text}");
        assert!(text.contains("text \"last words\""), "{text}");
        assert_eq!(socket.closed().await.code, 1006);
        let late = socket
            .try_send(super::Message::from("x"))
            .await
            .unwrap_err();
        assert!(late.to_string().contains("the socket had closed"), "{late}");
    });
}

#[test]
fn a_timeout_lists_what_had_arrived_and_what_the_test_sent() {
    let client = client(|mut peer| async move {
        peer.send(Wire::text("one")).await.unwrap();
        peer.send(Wire::binary(vec![1u8, 2])).await.unwrap();
        while let Some(Ok(_)) = peer.next().await {}
    });
    rt().block_on(async {
        let mut socket = client
            .websocket("/feed")
            .read_timeout(Duration::from_millis(100))
            .await
            .into_websocket();
        socket.send_text("hi").await;
        assert_eq!(socket.receive_text().await, "one");
        assert_eq!(socket.receive_binary().await, &[1u8, 2][..]);
        let error = socket.try_receive_message().await.unwrap_err();
        assert!(error.is_timeout(), "{error}");
        let text = error.to_string();
        assert!(text.starts_with("scripted driver: GET /feed: timed out"), "{text}");
        assert!(
            text.contains("2 messages, 0 pings and 0 pongs had arrived; in order: text \"one\", binary (2 bytes: [01 02])"),
            "{text}"
        );
        assert!(text.contains("(the test had sent 1)"), "{text}");
    });
}

#[test]
fn a_wrong_accept_value_is_refused_naming_the_rule() {
    let script: Script = Arc::new(|_| Box::pin(async {}));
    let client = Client::new(Scripted {
        script,
        accept: Some("not-the-accept-value"),
    });
    rt().block_on(async {
        let error = client.websocket("/ws").try_handshake().await.unwrap_err();
        assert!(error.is_adapter(), "{error}");
        assert!(error.to_string().contains("RFC 6455 §4.2.2"), "{error}");
    });
}

#[test]
#[should_panic(expected = "expected: text \"pong\"")]
fn a_message_that_differs_fails_with_both_and_the_handshake() {
    let client = client(|mut peer| async move {
        peer.send(Wire::text("ping")).await.unwrap();
        while let Some(Ok(_)) = peer.next().await {}
    });
    rt().block_on(async {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.assert_receive_text("pong").await;
    });
}

#[test]
fn the_report_of_a_differing_message_names_the_driver_request_and_arrivals() {
    let client = client(|mut peer| async move {
        peer.send(Wire::binary(vec![0u8])).await.unwrap();
        while let Some(Ok(_)) = peer.next().await {}
    });
    let failed = std::thread::spawn(move || {
        rt().block_on(async {
            let mut socket = client.websocket("/room").await.into_websocket();
            socket.receive_text().await;
        });
    })
    .join()
    .unwrap_err();
    let text = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("expected: a text message"), "{text}");
    assert!(text.contains("received: binary (1 byte: [00])"), "{text}");
    assert!(text.contains("driver: scripted"), "{text}");
    assert!(text.contains("GET /room"), "{text}");
    assert!(text.contains("websocket: 1 message"), "{text}");
}

#[test]
fn a_message_arriving_while_the_test_waits_for_a_pong_is_kept_in_order() {
    let client = client(|mut peer| async move {
        // Two messages, then whatever tungstenite answers to the ping.
        peer.send(Wire::text("a")).await.unwrap();
        peer.send(Wire::text("b")).await.unwrap();
        while let Some(Ok(_)) = peer.next().await {}
    });
    rt().block_on(async {
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.ping("p").await;
        assert_eq!(socket.receive_pong().await, "p");
        socket.assert_receive_text("a").await;
        socket.assert_receive_text("b").await;
    });
}
