//! Application Load Balancer target groups, in both header modes.
//!
//! In: query keys and values exactly as sent, still percent-encoded (ALB
//! does not decode them; lambda_http does). Without multi-value headers,
//! `headers` and `queryStringParameters` keep the last value of a repeated
//! name, as ALB does; with them, only the `multiValue*` fields are sent.
//! Bodies are base64 unless text. Out: `headers` or `multiValueHeaders`
//! according to the mode (lambda_http fills both; in `headers` a repeated
//! name keeps its first value), hop-by-hop headers dropped, base64 decoded.

use crate::AdapterNote;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::body;
use super::clock::Invocation;
use super::event::{
    WireResponse, content_type, group_pairs, grouped_headers, object, raw_query_pairs,
    repeated_names,
};

/// The event of an ALB health check of `path`: "the load balancer sends
/// [...] GET requests" with only `user-agent: ELB-HealthChecker/2.0`, an
/// empty query and an empty body
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>,
/// "Health checks"). In multi-value mode the same fields travel as
/// `multiValueHeaders` and `multiValueQueryStringParameters`: a model, as
/// the page shows only the single-value event.
pub(crate) fn health_check_event(path: &str, multi_value: bool) -> Vec<u8> {
    let mut event = json!({
        "requestContext": { "elb": { "targetGroupArn": TARGET_GROUP } },
        "httpMethod": "GET",
        "path": path,
        "body": "",
        "isBase64Encoded": false,
    });
    if multi_value {
        event["multiValueHeaders"] = json!({ "user-agent": ["ELB-HealthChecker/2.0"] });
        event["multiValueQueryStringParameters"] = json!({});
    } else {
        event["headers"] = json!({ "user-agent": "ELB-HealthChecker/2.0" });
        event["queryStringParameters"] = json!({});
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

const TARGET_GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/crossdrive/0123456789abcdef";

/// The ALB event for `request`.
pub(crate) fn build(
    request: &Request<Bytes>,
    multi_value: bool,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Value {
    let grouped = alb_headers(request, invocation, notes);
    let query = group_pairs(
        raw_query_pairs(request.uri().query().unwrap_or_default())
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    let (body_text, base64) = alb_body(request, notes);
    let mut event = json!({
        "requestContext": { "elb": { "targetGroupArn": TARGET_GROUP } },
        "httpMethod": request.method().as_str(),
        "path": request.uri().path(),
        "body": body_text,
        "isBase64Encoded": base64,
    });
    if multi_value {
        event["multiValueHeaders"] = object(grouped);
        event["multiValueQueryStringParameters"] = object(query);
    } else {
        last_values(&mut event, grouped, query, request.headers(), notes);
    }
    event
}

/// The request's headers as ALB forwards them, grouped by name, with the
/// ones ALB adds.
fn alb_headers(
    request: &Request<Bytes>,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Vec<(String, Vec<String>)> {
    let headers = request.headers();
    let mut grouped: Vec<(String, Vec<String>)> = grouped_headers(headers)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // X-Forwarded-For in ALB's default `append` mode: "the load balancer
    // appends the IP address of the client to the X-Forwarded-For header"
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html).
    if let Some((_, values)) = grouped.iter_mut().find(|(k, _)| k == "x-forwarded-for") {
        let appended = format!("{}, 127.0.0.1", values.join(", "));
        *values = vec![appended];
        notes.push(AdapterNote::new(
            "alb-x-forwarded-for-appended",
            "ALB appended the client's address to the X-Forwarded-For the client sent",
        ));
    }
    for (name, value) in [
        (
            "host",
            "crossdrive-alb-123456789.us-east-1.elb.amazonaws.com",
        ),
        ("x-amzn-trace-id", invocation.root()),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-port", "80"),
        ("x-forwarded-proto", "http"),
    ] {
        if headers.get(name).is_none() {
            grouped.push((name.to_owned(), vec![value.to_owned()]));
        }
    }
    // The body's length as the client sent it on the wire: the captured
    // ALB event carries the client's `content-length: 66` (hotsock/voker,
    // vokerhttp/testdata/alb-request.json). A body-less request gets none:
    // no capture shows one, and a client sends none (a model).
    if !request.body().is_empty() && headers.get(http::header::CONTENT_LENGTH).is_none() {
        grouped.push((
            "content-length".to_owned(),
            vec![request.body().len().to_string()],
        ));
    }
    grouped
}

/// The event's `body` and `isBase64Encoded`.
fn alb_body(request: &Request<Bytes>, notes: &mut Vec<AdapterNote>) -> (String, bool) {
    let headers = request.headers();
    if request.body().is_empty() {
        (String::new(), false)
    } else {
        // "If the content type is one of the following types, the load
        // balancer sends the body to the Lambda function as is: text/*,
        // application/json, application/javascript, and application/xml.
        // For all other types, the load balancer Base64 encodes the body",
        // and a body with a Content-Encoding is always Base64
        // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html).
        let as_text = headers.get(http::header::CONTENT_ENCODING).is_none()
            && content_type(headers).is_some_and(body::alb_is_text);
        let encoded = body::encode(request.body(), as_text);
        if encoded.1 {
            notes.push(AdapterNote::new(
                "base64-request",
                "the request body is not text, so ALB sent it base64-encoded",
            ));
        }
        encoded
    }
}

/// Without multi-value headers, ALB sends the last value of each header
/// and query key.
fn last_values(
    event: &mut Value,
    grouped: Vec<(String, Vec<String>)>,
    query: Vec<(String, Vec<String>)>,
    headers: &http::HeaderMap,
    notes: &mut Vec<AdapterNote>,
) {
    let repeated = repeated_names(headers);
    let repeated_query: Vec<&str> = query
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| k.as_str())
        .collect();
    if !repeated.is_empty() || !repeated_query.is_empty() {
        notes.push(AdapterNote::new(
            "alb-last-value-only",
            format!(
                "multi-value headers are off, so ALB sent only the last value of repeated \
                 headers [{}] and query keys [{}]",
                repeated.join(", "),
                repeated_query.join(", ")
            ),
        ));
    }
    event["headers"] = object(
        grouped
            .into_iter()
            .map(|(k, v)| (k, v.last().cloned().unwrap_or_default())),
    );
    event["queryStringParameters"] = object(
        query
            .into_iter()
            .map(|(k, v)| (k, v.last().cloned().unwrap_or_default())),
    );
}

/// The client's response from an ALB response JSON.
pub(crate) fn decode(
    wire: WireResponse,
    multi_value: bool,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, String> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(wire.status_code)
        .map_err(|_| format!("statusCode {} is not an HTTP status", wire.status_code))?;
    let headers = response.headers_mut();
    if multi_value {
        super::event_v1::append_multi(headers, &wire.multi_value_headers)?;
    } else {
        for (name, value) in &wire.headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                return Err(format!(
                    "response header `{name}: {}` is not valid HTTP",
                    crate::redact::shown_text(name, value)
                ));
            };
            headers.append(name, value);
        }
        let dropped: Vec<&str> = wire
            .multi_value_headers
            .iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(k, _)| k.as_str())
            .collect();
        if !dropped.is_empty() {
            notes.push(AdapterNote::new(
                "alb-first-value-only",
                format!(
                    "multi-value headers are off, so ALB used `headers`, where lambda_http kept \
                     only the first value of: {}",
                    dropped.join(", ")
                ),
            ));
        }
    }
    drop_hop_by_hop(response.headers_mut(), notes);
    *response.body_mut() = body::response_bytes(wire.body, wire.is_base64_encoded, notes)?;
    Ok(response)
}

/// The hop-by-hop headers of RFC 9110 section 7.6.1, and `Proxy-*`.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes the function's hop-by-hop response headers, and those its
/// `Connection` names: "The load balancer does not honor hop-by-hop
/// headers, such as `Connection` or `Transfer-Encoding`"
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>,
/// "Respond to the load balancer").
fn drop_hop_by_hop(headers: &mut http::HeaderMap, notes: &mut Vec<AdapterNote>) {
    let named: Vec<HeaderName> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    let dropped: Vec<String> = headers
        .keys()
        .filter(|name| {
            HOP_BY_HOP.contains(&name.as_str())
                || name.as_str().starts_with("proxy-")
                || named.contains(name)
        })
        .map(|name| name.as_str().to_owned())
        .collect();
    if dropped.is_empty() {
        return;
    }
    for name in &dropped {
        headers.remove(name.as_str());
    }
    notes.push(AdapterNote::new(
        "alb-hop-by-hop-dropped",
        format!(
            "ALB does not honour hop-by-hop response headers, so it dropped: {}",
            dropped.join(", ")
        ),
    ));
}
