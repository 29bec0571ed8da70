//! The model's behaviours, each pinned through a real tokio-tungstenite
//! client against the loopback server, with a function that records the
//! events it gets and acts on what the messages ask.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::{LambdaWs, WebSocketOptions};

type Events = Arc<Mutex<Vec<Value>>>;
type Client = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for anything; the model's own bounds are shorter.
const WAIT: Duration = Duration::from_secs(5);

/// One raw HTTP/1.1 request to the model, as a function without an SDK
/// sends it: (status, body).
async fn http(endpoint: &str, method: &str, id: &str, body: &str) -> (u16, String) {
    let rest = endpoint.strip_prefix("http://").unwrap_or(endpoint);
    let (host, stage) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "{method} /{stage}/@connections/{id} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The test function: records every event, then acts on it.
fn function(events: Events) -> Router {
    Router::new().fallback(move |request: Request| {
        let events = Arc::clone(&events);
        async move { handle(request, events).await }
    })
}

async fn handle(request: Request, events: Events) -> Response {
    let Some(RequestContext::WebSocket(context)) =
        request.extensions().get::<RequestContext>().cloned()
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "not a WebSocket event").into_response();
    };
    let query = request.uri().query().unwrap_or_default().to_owned();
    let protocol = request.headers().get("sec-websocket-protocol").cloned();
    let path = request.uri().path().to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    events.lock().unwrap().push(json!({
        "routeKey": context.route_key,
        "eventType": context.event_type,
        "connectionId": context.connection_id,
        "disconnectStatusCode": context.disconnect_status_code,
        "path": path,
        "query": query,
        "body": body,
    }));
    let endpoint = format!(
        "http://{}/{}",
        context.domain_name.unwrap_or_default(),
        context.stage.unwrap_or_default()
    );
    let id = context.connection_id.unwrap_or_default();
    match context.route_key.as_deref() {
        Some("$connect") => {
            if let Some(status) = query.strip_prefix("deny=") {
                let status = StatusCode::from_bytes(status.as_bytes()).unwrap();
                return (status, "denied").into_response();
            }
            match protocol {
                Some(p) => ([("sec-websocket-protocol", p)], "").into_response(),
                None => "".into_response(),
            }
        }
        Some("$disconnect") => "".into_response(),
        _ => {
            let message: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            match message["do"].as_str() {
                Some("post") => {
                    let (status, _) = http(&endpoint, "POST", &id, "posted").await;
                    format!("post answered {status}").into_response()
                }
                Some("get") => {
                    let (status, info) = http(&endpoint, "GET", &id, "").await;
                    format!("{status} {info}").into_response()
                }
                Some("delete") => {
                    http(&endpoint, "DELETE", &id, "").await;
                    "".into_response()
                }
                Some("hang") => std::future::pending().await,
                Some("fail") => panic!("the function failed on purpose"),
                _ => body.into_response(),
            }
        }
    }
}

fn deploy(options: WebSocketOptions) -> (LambdaWs, Events) {
    let events: Events = Arc::default();
    let shared = Arc::clone(&events);
    let options = options.function(move || function(Arc::clone(&shared)));
    (LambdaWs::new(Router::new(), options).unwrap(), events)
}

async fn open(driver: &LambdaWs) -> Client {
    let (client, response) = connect_async(driver.url()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    client
}

async fn next(client: &mut Client) -> Message {
    tokio::time::timeout(WAIT, client.next())
        .await
        .expect("nothing arrived in time")
        .expect("the connection ended")
        .expect("the connection failed")
}

async fn next_text(client: &mut Client) -> String {
    match next(client).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// The close frame the model sent, after any messages.
async fn closed_with(client: &mut Client) -> CloseFrame {
    loop {
        match next(client).await {
            Message::Close(Some(frame)) => return frame,
            Message::Close(None) => panic!("closed without a code"),
            _ => {}
        }
    }
}

/// Waits until the function has seen an event of `kind`.
async fn event_of(events: &Events, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(event) = events
            .lock()
            .unwrap()
            .iter()
            .find(|e| e["eventType"] == kind)
        {
            return event.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} event in time"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn two_way() -> WebSocketOptions {
    WebSocketOptions::new()
        .route("join")
        .two_way("$default")
        .two_way("join")
}

#[tokio::test]
async fn connect_gets_the_handshake_query_and_the_function_sees_get_on_the_stage() {
    let (driver, events) = deploy(two_way());
    let url = format!("{}?room=7", driver.url());
    let (_client, _) = connect_async(url).await.unwrap();
    let connect = event_of(&events, "CONNECT").await;
    assert_eq!(connect["routeKey"], "$connect");
    assert_eq!(connect["query"], "room=7");
    assert_eq!(connect["path"], "/prod");
}

#[tokio::test]
async fn a_non_2xx_from_connect_refuses_the_handshake_with_that_status() {
    let (driver, _events) = deploy(two_way());
    let url = format!("{}?deny=401", driver.url());
    let Err(WsError::Http(response)) = connect_async(url).await else {
        panic!("the handshake was not refused")
    };
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_subprotocol_connect_returns_is_the_one_negotiated() {
    let (driver, _events) = deploy(two_way());
    let mut request = driver.url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "chat".parse().unwrap());
    let (_client, response) = connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
}

#[tokio::test]
async fn the_route_selection_expression_picks_a_custom_route_and_unknown_actions_go_to_default() {
    let (driver, events) = deploy(two_way());
    let mut client = open(&driver).await;
    client
        .send(Message::text(r#"{"action":"join"}"#))
        .await
        .unwrap();
    assert_eq!(next_text(&mut client).await, r#"{"action":"join"}"#);
    client.send(Message::text("plain text")).await.unwrap();
    assert_eq!(next_text(&mut client).await, "plain text");
    let routes: Vec<Value> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["eventType"] == "MESSAGE")
        .map(|e| e["routeKey"].clone())
        .collect();
    assert_eq!(routes, [json!("join"), json!("$default")]);
}

#[tokio::test]
async fn a_one_way_route_sends_nothing_back() {
    let (driver, events) = deploy(WebSocketOptions::new().route("join").two_way("join"));
    let mut client = open(&driver).await;
    client.send(Message::text("to default")).await.unwrap();
    event_of(&events, "MESSAGE").await;
    client
        .send(Message::text(r#"{"action":"join"}"#))
        .await
        .unwrap();
    // Only the two-way route's answer arrives.
    assert_eq!(next_text(&mut client).await, r#"{"action":"join"}"#);
}

#[tokio::test]
async fn without_a_default_route_an_unmatched_message_gets_forbidden() {
    let (driver, _events) = deploy(WebSocketOptions::new().default_route(false));
    let mut client = open(&driver).await;
    client.send(Message::text("hello")).await.unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut client).await).unwrap();
    assert_eq!(answer["message"], "Forbidden");
    assert!(answer["connectionId"].is_string());
}

#[tokio::test]
async fn the_function_posts_back_through_connections_and_reads_the_connection() {
    let (driver, _events) = deploy(two_way());
    let mut client = open(&driver).await;
    client
        .send(Message::text(r#"{"do":"post"}"#))
        .await
        .unwrap();
    // The post arrives, then the route's own answer.
    assert_eq!(next_text(&mut client).await, "posted");
    assert_eq!(next_text(&mut client).await, "post answered 200");
    client.send(Message::text(r#"{"do":"get"}"#)).await.unwrap();
    let answer = next_text(&mut client).await;
    let (status, info) = answer.split_once(' ').unwrap();
    assert_eq!(status, "200");
    let info: Value = serde_json::from_str(info).unwrap();
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["connectedAt"].as_str().unwrap().ends_with('Z'));
    assert!(info["lastActiveAt"].is_string());
}

#[tokio::test]
async fn delete_closes_the_connection_and_then_it_is_gone() {
    let (driver, events) = deploy(two_way());
    let mut client = open(&driver).await;
    client
        .send(Message::text(r#"{"do":"delete"}"#))
        .await
        .unwrap();
    let frame = closed_with(&mut client).await;
    assert_eq!(frame.code, CloseCode::Normal);
    let disconnect = event_of(&events, "DISCONNECT").await;
    assert_eq!(disconnect["disconnectStatusCode"], 1000);
    let id = disconnect["connectionId"].as_str().unwrap().to_owned();
    let (status, _) = http(&driver.management_endpoint(), "POST", &id, "late").await;
    assert_eq!(status, 410);
    let (status, _) = http(&driver.management_endpoint(), "GET", &id, "").await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn a_connection_id_nobody_was_given_is_gone() {
    let (driver, _events) = deploy(two_way());
    let _client = open(&driver).await;
    let (status, _) = http(
        &driver.management_endpoint(),
        "GET",
        "R0oXAdfD0kwCH6w%3D",
        "",
    )
    .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn disconnect_is_invoked_with_the_clients_close_code() {
    let (driver, events) = deploy(two_way());
    let mut client = open(&driver).await;
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: "bye".into(),
    };
    client.close(Some(frame)).await.unwrap();
    let disconnect = event_of(&events, "DISCONNECT").await;
    assert_eq!(disconnect["routeKey"], "$disconnect");
    assert_eq!(disconnect["disconnectStatusCode"], 1001);
}

#[tokio::test]
async fn a_frame_over_the_limit_closes_with_1009_and_invokes_disconnect() {
    let options = two_way().frame_limit(1024).message_limit(4096);
    let (driver, events) = deploy(options);
    let mut client = open(&driver).await;
    client.send(Message::text("x".repeat(2000))).await.unwrap();
    let frame = closed_with(&mut client).await;
    assert_eq!(frame.code, CloseCode::Size);
    assert!(frame.reason.contains("frame"), "{}", frame.reason);
    assert_eq!(
        event_of(&events, "DISCONNECT").await["disconnectStatusCode"],
        1009
    );
}

#[tokio::test]
async fn a_binary_frame_closes_with_1003_as_aws_documents() {
    let (driver, _events) = deploy(two_way());
    let mut client = open(&driver).await;
    client.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(closed_with(&mut client).await.code, CloseCode::Unsupported);
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_going_away() {
    let (driver, events) = deploy(two_way().idle_timeout(Duration::from_millis(150)));
    let mut client = open(&driver).await;
    let frame = closed_with(&mut client).await;
    assert_eq!(frame.code, CloseCode::Away);
    assert!(frame.reason.contains("idle"), "{}", frame.reason);
    assert_eq!(
        event_of(&events, "DISCONNECT").await["disconnectStatusCode"],
        1001
    );
}

#[tokio::test]
async fn the_connection_duration_limit_closes_a_busy_connection() {
    let options = two_way()
        .idle_timeout(Duration::from_secs(60))
        .max_duration(Duration::from_millis(300));
    let (driver, _events) = deploy(options);
    let mut client = open(&driver).await;
    let frame = loop {
        // Busy: a message every 50 ms keeps the idle timer away.
        client.send(Message::text("tick")).await.unwrap();
        match tokio::time::timeout(Duration::from_millis(50), client.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => break frame,
            Ok(Some(Ok(_))) | Err(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(frame.code, CloseCode::Away);
    assert!(frame.reason.contains("duration"), "{}", frame.reason);
}

#[tokio::test]
async fn a_failing_function_gets_api_gateways_internal_server_error_message() {
    let (driver, _events) = deploy(two_way());
    let mut client = open(&driver).await;
    client
        .send(Message::text(r#"{"do":"fail"}"#))
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut client).await).unwrap();
    assert_eq!(answer["message"], "Internal server error");
}

#[tokio::test]
async fn a_hanging_function_meets_the_integration_timeout() {
    let options = two_way()
        .integration_timeout(Duration::from_millis(100))
        .function_timeout(Duration::from_secs(3));
    let (driver, _events) = deploy(options);
    let mut client = open(&driver).await;
    client
        .send(Message::text(r#"{"do":"hang"}"#))
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut client).await).unwrap();
    assert_eq!(answer["message"], "Endpoint request timed out");
}

#[tokio::test]
async fn a_management_request_without_a_connection_id_is_gone() {
    let (driver, _events) = deploy(two_way());
    let (status, body) = http(&driver.management_endpoint(), "GET", "", "").await;
    // `/prod/@connections/` with no id names no live connection.
    assert_eq!(status, 410, "{body}");
}

#[tokio::test]
async fn a_path_outside_the_stage_is_api_gateways_forbidden_on_the_socket() {
    let (driver, _events) = deploy(two_way());
    let host = driver.management_endpoint().replace("http://", "");
    let host = host.split('/').next().unwrap().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!("GET /other HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.ends_with(r#"{"message":"Forbidden"}"#), "{answer}");
}

// Through crossdrive's own client: the driver as a test reaches it.

fn client(driver: LambdaWs) -> crate::Client {
    crate::Client::from_arc(Arc::new(driver))
}

#[tokio::test]
async fn the_test_client_echoes_through_a_two_way_route_with_the_limits_noted() {
    let (driver, events) = deploy(two_way());
    let client = client(driver);
    let mut socket = client
        .websocket("/ws")
        .query("room", "7")
        .await
        .into_websocket();
    assert_eq!(
        socket.protocol(),
        &crate::Protocol::Lambda("apigw-websocket".into())
    );
    let codes: Vec<&str> = socket.notes().iter().map(|n| n.code).collect();
    assert!(codes.contains(&"ws-limits"), "{codes:?}");
    assert!(codes.contains(&"ws-stage-url"), "{codes:?}");
    socket.send_text("hello").await;
    socket.assert_receive_text("hello").await;
    socket.close(1000, "bye").await;
    let disconnect = event_of(&events, "DISCONNECT").await;
    assert_eq!(disconnect["disconnectStatusCode"], 1000);
    assert_eq!(event_of(&events, "CONNECT").await["query"], "room=7");
}

#[tokio::test]
async fn the_test_client_sees_a_refused_handshake_as_the_status_with_the_reason_noted() {
    let (driver, _events) = deploy(two_way());
    let client = client(driver);
    let handshake = client.websocket("/ws").query("deny", "403").await;
    let response = handshake.into_response();
    response.assert_status(403);
    assert!(
        response
            .notes()
            .iter()
            .any(|n| n.code == "ws-connect-refused"),
        "{:?}",
        response.notes()
    );
}

#[tokio::test]
async fn the_test_client_negotiates_the_subprotocol_connect_returns() {
    let (driver, _events) = deploy(two_way());
    let client = client(driver);
    let socket = client
        .websocket("/ws")
        .protocol("chat")
        .await
        .into_websocket();
    assert_eq!(socket.subprotocol(), Some("chat"));
}

#[tokio::test]
async fn a_plain_request_gets_what_a_websocket_api_answers() {
    let (driver, _events) = deploy(two_way());
    let client = client(driver);
    client.get("/prod").await.assert_status(426);
    client.get("/todos").await.assert_status(403);
}

#[tokio::test]
async fn a_hanging_connect_is_bounded_by_the_test_timeout() {
    let events: Events = Arc::default();
    let shared = Arc::clone(&events);
    let options = two_way()
        .function(move || {
            let inner = function(Arc::clone(&shared));
            Router::new().fallback(move |request: Request| {
                let inner = inner.clone();
                async move {
                    if request.uri().query().is_some_and(|q| q.contains("hang")) {
                        std::future::pending::<()>().await;
                    }
                    tower::ServiceExt::oneshot(inner, request)
                        .await
                        .into_response()
                }
            })
        })
        .with_test_timeout(Duration::from_millis(200));
    let client = client(LambdaWs::new(Router::new(), options).unwrap());
    let response = client.websocket("/ws?hang").await.into_response();
    response.assert_status(504);
    assert!(
        response.notes().iter().any(|n| n.code == "ws-test-timeout"),
        "{:?}",
        response.notes()
    );
}
