//! Payload format 2.0: API Gateway HTTP APIs and Lambda Function URLs.
//!
//! In: `rawPath` and `rawQueryString` exactly as sent; `Cookie` headers
//! split into `cookies`; repeated headers and query keys comma-joined, as
//! AWS does; the `$default` route and stage. Out: `headers` has one value
//! per name (lambda_http keeps only the first of a repeated non-cookie
//! header), `Set-Cookie` travels in `cookies`, and a base64 body is
//! decoded for the client.

use bytes::Bytes;
use crossdrive::AdapterNote;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::body;
use super::clock::Invocation;
use super::event::{
    WireResponse, content_type, group_pairs, grouped_headers, object, percent_decode,
    raw_query_pairs, repeated_names,
};
use super::options::{LambdaOptions, Source};

const API_ID: &str = "crossdrv01";
const URL_ID: &str = "crossdrivefunctionurl0000000001";

/// The 2.0 event for `request`.
pub(crate) fn build(
    request: &Request<Bytes>,
    options: &LambdaOptions,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Value {
    let url = options.source == Source::FunctionUrl;
    let (api_id, domain) = if url {
        (
            URL_ID,
            format!("{URL_ID}.lambda-url.{}.on.aws", options.region),
        )
    } else {
        (
            API_ID,
            format!("{API_ID}.execute-api.{}.amazonaws.com", options.region),
        )
    };
    let headers = request.headers();
    let path = request.uri().path();
    let raw_query = request.uri().query().unwrap_or_default();
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();

    let mut cookies = Vec::new();
    let mut out_headers = Vec::new();
    for (name, values) in grouped_headers(headers) {
        if name == "cookie" {
            cookies.extend(
                values
                    .iter()
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        out_headers.push((name.to_owned(), values.join(",")));
    }
    if headers
        .get_all(http::header::COOKIE)
        .iter()
        .nth(1)
        .is_some()
    {
        notes.push(AdapterNote::new(
            "v2-cookies-rejoined",
            "the Cookie headers travelled as one `cookies` list and reached the app as a single \
             Cookie header joined with \"; \"",
        ));
    }
    let repeated: Vec<&str> = repeated_names(headers)
        .into_iter()
        .filter(|n| *n != "cookie")
        .collect();
    if !repeated.is_empty() {
        notes.push(AdapterNote::new(
            "v2-headers-comma-joined",
            format!(
                "payload 2.0 joins repeated request headers with commas: {}",
                repeated.join(", ")
            ),
        ));
    }
    if headers.get(http::header::HOST).is_none() {
        out_headers.push(("host".to_owned(), domain.clone()));
    }
    for (name, value) in [
        ("x-amzn-trace-id", invocation.trace_id.as_str()),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        if headers.get(name).is_none() {
            out_headers.push((name.to_owned(), value.to_owned()));
        }
    }
    if !request.body().is_empty() && headers.get(http::header::CONTENT_LENGTH).is_none() {
        out_headers.push((
            "content-length".to_owned(),
            request.body().len().to_string(),
        ));
    }

    let query: Vec<(String, String)> = raw_query_pairs(raw_query)
        .into_iter()
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let query = group_pairs(query);

    let stage = options.stage.as_str();
    let route_key = "$default";
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": object(out_headers),
        "requestContext": {
            "accountId": if url { "anonymous" } else { "123456789012" },
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {
                "method": request.method().as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": invocation.request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": invocation.clf_time(),
            "timeEpoch": invocation.epoch_ms,
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = object(query.into_iter().map(|(k, v)| (k, v.join(","))));
    }
    if !request.body().is_empty() {
        let as_text = content_type(headers).is_some_and(body::is_text_content_type);
        let (text, base64) = body::encode(request.body(), as_text);
        if base64 {
            notes.push(AdapterNote::new(
                "base64-request",
                "the request body is not text, so the event carried it base64-encoded",
            ));
        }
        event["body"] = Value::String(text);
        event["isBase64Encoded"] = Value::Bool(base64);
    }
    event
}

/// The client's response from a 2.0 response JSON.
pub(crate) fn decode(
    wire: WireResponse,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, String> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(wire.status_code)
        .map_err(|_| format!("statusCode {} is not an HTTP status", wire.status_code))?;
    let headers = response.headers_mut();
    for (name, value) in &wire.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(format!(
                "response header `{name}: {value}` is not valid HTTP"
            ));
        };
        headers.append(name, value);
    }
    if !wire.cookies.is_empty() {
        notes.push(AdapterNote::new(
            "v2-set-cookie-in-cookies",
            format!(
                "{} Set-Cookie header(s) travelled in the response's `cookies` list",
                wire.cookies.len()
            ),
        ));
    }
    for cookie in &wire.cookies {
        let value = HeaderValue::from_str(cookie)
            .map_err(|_| format!("cookie `{cookie}` is not a valid Set-Cookie value"))?;
        headers.append(http::header::SET_COOKIE, value);
    }
    *response.body_mut() = body::response_bytes(wire.body, wire.is_base64_encoded, notes)?;
    Ok(response)
}
