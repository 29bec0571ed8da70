//! The events API Gateway sends the function, as JSON.
//!
//! Their shape follows AWS's documentation of the Lambda proxy
//! integration for WebSocket APIs and the events recorded in
//! aws_lambda_events (`example-apigw-websocket-request-without-method.json`
//! for `$connect`, `example-apigw-websocket-request-disconnect-route.json`
//! for `$disconnect`):
//!
//! - **CONNECT** carries the handshake's headers (single- and multi-value,
//!   with the `X-Forwarded-*` and `X-Amzn-Trace-Id` API Gateway adds) and
//!   query string, no body;
//! - **MESSAGE** carries the message as `body`, no headers, and a
//!   `messageId`;
//! - **DISCONNECT** carries `disconnectStatusCode` and `disconnectReason`.
//!
//! All three carry `requestContext.{routeKey, eventType, connectionId,
//! connectedAt, requestTimeEpoch, requestTime, extendedRequestId,
//! requestId, messageDirection: "IN", stage, domainName, apiId,
//! identity.sourceIp}`. The JSON is written here field by field rather
//! than serialized from aws_lambda_events' struct, which would add the
//! fields AWS leaves out (`httpMethod`, `resource`, `path` as `null`); the
//! tests check it deserializes into `ApiGatewayWebsocketProxyRequest` and
//! into lambda_http's `LambdaRequest::WebSocket`.

use http::HeaderMap;
use serde_json::{Map, Value, json};

use super::connections::aws_id;
use crate::lambda::clock::Invocation;

/// What every event of one connection shares.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub(crate) id: String,
    pub(crate) connected_at_ms: u64,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
    /// `host:port` of the model's endpoint: how the function reaches
    /// `@connections` (`http://{domainName}/{stage}/@connections/{id}`).
    pub(crate) domain_name: String,
    pub(crate) stage: String,
    pub(crate) api_id: String,
}

/// The `requestContext` every event carries.
fn context(
    connection: &Connection,
    route_key: &str,
    event_type: &str,
    invocation: &Invocation,
) -> Map<String, Value> {
    let mut identity = Map::new();
    identity.insert("sourceIp".into(), json!(connection.source_ip));
    if event_type == "CONNECT" {
        identity.insert("userAgent".into(), json!(connection.user_agent));
    }
    let fields = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": invocation.gateway_id,
        "requestTime": invocation.clf_time(),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": invocation.epoch_ms,
        "identity": identity,
        "requestId": invocation.gateway_id,
        "domainName": connection.domain_name,
        "connectionId": connection.id,
        "apiId": connection.api_id,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The `$connect` event for a handshake with `headers` and `query` (the
/// raw query string, or none).
pub(crate) fn connect(
    connection: &Connection,
    headers: &HeaderMap,
    query: Option<&str>,
    invocation: &Invocation,
) -> Vec<u8> {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    let mut add = |name: &str, value: String| {
        // The last value wins in `headers`, all are kept in
        // `multiValueHeaders`, as API Gateway's REST-shaped events do.
        single.insert(name.to_owned(), json!(value));
        match multi.get_mut(name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert(name.to_owned(), json!([value]));
            }
        }
    };
    for (name, value) in headers {
        // API Gateway keeps the case a client wrote; hyper gives names in
        // lower case, so the common ones are written as browsers send them.
        add(
            &canonical(name.as_str()),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    add("X-Amzn-Trace-Id", invocation.root().to_owned());
    add("X-Forwarded-For", connection.source_ip.clone());
    add("X-Forwarded-Port", "443".to_owned());
    add("X-Forwarded-Proto", "https".to_owned());
    let (query_single, query_multi) = query_maps(query);
    let mut event = json!({
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": context(connection, "$connect", "CONNECT", invocation),
        "isBase64Encoded": false,
    });
    if !query_single.is_empty() {
        event["queryStringParameters"] = Value::Object(query_single);
        event["multiValueQueryStringParameters"] = Value::Object(query_multi);
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

/// A message event on route `route_key`.
pub(crate) fn message(
    connection: &Connection,
    route_key: &str,
    body: &str,
    invocation: &Invocation,
) -> Vec<u8> {
    let mut context = context(connection, route_key, "MESSAGE", invocation);
    context.insert("messageId".into(), json!(aws_id()));
    let event = json!({
        "requestContext": context,
        "body": body,
        "isBase64Encoded": false,
    });
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The `$disconnect` event for a close with `code` and `reason`.
pub(crate) fn disconnect(
    connection: &Connection,
    code: u16,
    reason: &str,
    invocation: &Invocation,
) -> Vec<u8> {
    let mut context = context(connection, "$disconnect", "DISCONNECT", invocation);
    context.insert("disconnectStatusCode".into(), json!(code));
    context.insert("disconnectReason".into(), json!(reason));
    // The recorded $disconnect event carries these four headers, the
    // client's own no longer known.
    let headers = json!({
        "Host": connection.domain_name,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    });
    let multi = json!({
        "Host": [connection.domain_name],
        "x-api-key": [""],
        "X-Forwarded-For": [""],
        "x-restapi": [""],
    });
    let event = json!({
        "headers": headers,
        "multiValueHeaders": multi,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    serde_json::to_vec(&event).unwrap_or_default()
}

/// A lower-case header name in the case browsers and the recorded events
/// write it (`sec-websocket-key` as `Sec-WebSocket-Key`).
fn canonical(name: &str) -> String {
    match name {
        "sec-websocket-key" => "Sec-WebSocket-Key".to_owned(),
        "sec-websocket-version" => "Sec-WebSocket-Version".to_owned(),
        "sec-websocket-extensions" => "Sec-WebSocket-Extensions".to_owned(),
        "sec-websocket-protocol" => "Sec-WebSocket-Protocol".to_owned(),
        _ => name
            .split('-')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// The query string as API Gateway's single- and multi-value maps,
/// percent-decoded.
fn query_maps(query: Option<&str>) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    let pairs: Vec<(String, String)> = query
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    for (name, value) in pairs {
        single.insert(name.clone(), json!(value));
        match multi.get_mut(&name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert(name, json!([value]));
            }
        }
    }
    (single, multi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
    use lambda_http::request::LambdaRequest;

    fn connection() -> Connection {
        Connection {
            id: aws_id(),
            connected_at_ms: 1_700_000_000_000,
            source_ip: "127.0.0.1".to_owned(),
            user_agent: "tungstenite".to_owned(),
            domain_name: "127.0.0.1:9".to_owned(),
            stage: "prod".to_owned(),
            api_id: "crossdrv01".to_owned(),
        }
    }

    fn parse(event: &[u8]) -> ApiGatewayWebsocketProxyRequest {
        let parsed: ApiGatewayWebsocketProxyRequest = serde_json::from_slice(event).unwrap();
        let lambda: LambdaRequest = serde_json::from_slice(event).unwrap();
        assert!(
            matches!(lambda, LambdaRequest::WebSocket(_)),
            "lambda_http must see a WebSocket event: {lambda:?}"
        );
        parsed
    }

    #[test]
    fn the_connect_event_carries_the_handshake_headers_and_query_as_lambda_http_reads_them() {
        let mut headers = HeaderMap::new();
        headers.insert("sec-websocket-key", "abc==".parse().unwrap());
        headers.append("x-tag", "a".parse().unwrap());
        headers.append("x-tag", "b".parse().unwrap());
        let c = connection();
        let event = connect(
            &c,
            &headers,
            Some("room=1&room=2&name=me"),
            &Invocation::now(),
        );
        let parsed = parse(&event);
        let context = &parsed.request_context;
        assert_eq!(context.route_key.as_deref(), Some("$connect"));
        assert_eq!(context.event_type.as_deref(), Some("CONNECT"));
        assert_eq!(context.connection_id.as_deref(), Some(c.id.as_str()));
        assert_eq!(context.stage.as_deref(), Some("prod"));
        assert_eq!(context.connected_at, 1_700_000_000_000);
        assert_eq!(parsed.headers["Sec-WebSocket-Key"], "abc==");
        let raw: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(raw["multiValueHeaders"]["X-Tag"], json!(["a", "b"]));
        assert_eq!(raw["headers"]["X-Tag"], "b");
        assert_eq!(
            parsed
                .multi_value_query_string_parameters
                .all("room")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(parsed.headers["X-Forwarded-Proto"], "https");
    }

    #[test]
    fn the_message_and_disconnect_events_have_the_recorded_fields() {
        let c = connection();
        let m = parse(&message(
            &c,
            "join",
            r#"{"action":"join"}"#,
            &Invocation::now(),
        ));
        assert_eq!(m.request_context.event_type.as_deref(), Some("MESSAGE"));
        assert_eq!(m.request_context.route_key.as_deref(), Some("join"));
        assert!(m.request_context.message_id.is_some());
        assert_eq!(m.body.as_deref(), Some(r#"{"action":"join"}"#));
        let d = parse(&disconnect(
            &c,
            1005,
            "Client-side close frame status not set",
            &Invocation::now(),
        ));
        assert_eq!(d.request_context.event_type.as_deref(), Some("DISCONNECT"));
        assert_eq!(d.request_context.disconnect_status_code, Some(1005));
        assert_eq!(
            d.request_context.disconnect_reason.as_deref(),
            Some("Client-side close frame status not set")
        );
    }

    #[test]
    fn the_recorded_disconnect_event_has_the_keys_the_model_writes() {
        // aws_lambda_events' recording of a real $disconnect event.
        let recorded: Value = serde_json::from_str(include_str!(
            "testdata/example-apigw-websocket-request-disconnect-route.json"
        ))
        .unwrap();
        let ours: Value =
            serde_json::from_slice(&disconnect(&connection(), 1005, "x", &Invocation::now()))
                .unwrap();
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v["requestContext"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(&ours), keys(&recorded));
    }
}
