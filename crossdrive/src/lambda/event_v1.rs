//! Payload format 1.0: API Gateway REST APIs with a `{proxy+}` resource.
//!
//! In: `headers` and `queryStringParameters` hold the last value of each
//! name, `multiValueHeaders` and `multiValueQueryStringParameters` all of
//! them (query values URL-decoded); `resource` is `/{proxy+}` with the path
//! in `pathParameters.proxy`; `requestContext.path` carries the stage.
//! lambda_http merges `headers` over `multiValueHeaders`, so a repeated
//! request header reaches the app as its last value only. Bodies are text
//! unless the content type is one of the API's binary media types; a
//! non-UTF-8 body without one is mangled, as REST APIs do. Out: `headers`
//! and `multiValueHeaders` are merged; a base64 body is decoded only when
//! the first media type of the request's `Accept` is a binary media type
//! (the response's `Content-Type` does not count), otherwise the client
//! gets the base64 text (and a base64 body that does not decode under a
//! matching type is REST's 500); a response without a `Content-Type` gets
//! `application/json`. The response JSON is read as REST reads it: an
//! unknown key is malformed, a missing `statusCode` is 200, a numeric
//! string status and boolean header values are accepted. Every rule cites
//! its source where it is applied.

use crate::AdapterNote;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use serde::Serialize;
use std::borrow::Cow;

use super::body;
use super::clock::Invocation;
use super::event::{
    WireResponse, content_type, form_decode, group_pairs, raw_query_pairs, repeated_names,
};
use super::failure::{FailureKind, Refused};
use super::options::{Endpoint, LambdaOptions};

const API_ID: &str = "crossdrv01";

/// A header name as a REST API writes it in the event: the client's
/// names as received (lower-case from an HTTP/2 client, and always here:
/// `http::HeaderMap` keeps no case), the ones API Gateway and CloudFront
/// set capitalised (`Host`, `User-Agent`, `X-Amzn-Trace-Id`,
/// `X-Forwarded-*` in hotsock/voker `apigwv1-request.json`, a curl request
/// over HTTP/2; `Via`, `X-Amz-Cf-Id`, `CloudFront-*` in the edge capture of
/// awslabs/aws-lambda-rust-runtime `example-apigw-request.json`).
/// lambda_http lower-cases every name again, so only the event shows it.
fn rest_name(name: &str) -> &str {
    const SET_BY_THE_API: [&str; 14] = [
        "Host",
        "User-Agent",
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
        "Via",
        "X-Amz-Cf-Id",
        "CloudFront-Forwarded-Proto",
        "CloudFront-Is-Desktop-Viewer",
        "CloudFront-Is-Mobile-Viewer",
        "CloudFront-Is-SmartTV-Viewer",
        "CloudFront-Is-Tablet-Viewer",
        "CloudFront-Viewer-Country",
    ];
    SET_BY_THE_API
        .into_iter()
        .find(|canonical| canonical.eq_ignore_ascii_case(name))
        .unwrap_or(name)
}

/// The API's own domain, `{api}.execute-api.{region}.amazonaws.com`.
pub(crate) fn domain(options: &LambdaOptions) -> String {
    format!("{API_ID}.execute-api.{}.amazonaws.com", options.region)
}

/// The 1.0 event for `request`, serialized (typed borrowed structs, as
/// for 2.0, because a `serde_json::Value` tree of this size cost more than
/// lambda_http's whole round trip).
pub(crate) fn build(
    request: &Request<Bytes>,
    options: &LambdaOptions,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Vec<u8> {
    let domain = domain(options);
    let headers = request.headers();
    let sent = request.uri().path();
    let path = rest_path(sent, notes);
    let grouped = rest_headers(request, options, &domain, invocation, notes);
    let query = group_pairs(
        raw_query_pairs(request.uri().query().unwrap_or_default())
            .into_iter()
            .map(|(k, v)| (form_decode(k), form_decode(v)))
            .collect(),
    );
    let (resource, proxy) = if path == "/" {
        ("/", None)
    } else {
        ("/{proxy+}", Some(proxy_parameter(path)))
    };
    let stage = options.stage.as_str();
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    let (body, is_base64_encoded) = rest_body(request, options, notes);
    // `requestContext.path` keeps the path as sent, repeated slashes and all.
    let context_path = format!("/{stage}{sent}");
    let time = invocation.clf_time();
    let method = request.method().as_str();
    let event = EventV1 {
        resource,
        path,
        http_method: method,
        headers: Last(&grouped),
        multi_value_headers: All(&grouped),
        query_string_parameters: (!query.is_empty()).then_some(Last(&query)),
        multi_value_query_string_parameters: (!query.is_empty()).then_some(All(&query)),
        path_parameters: proxy.map(|proxy| Proxy { proxy }),
        stage_variables: None,
        request_context: ContextV1 {
            account_id: "123456789012",
            api_id: API_ID,
            domain_name: &domain,
            domain_prefix: API_ID,
            extended_request_id: &invocation.gateway_id,
            http_method: method,
            identity: Identity {
                access_key: None,
                account_id: None,
                caller: None,
                cognito_authentication_provider: None,
                cognito_authentication_type: None,
                cognito_identity_id: None,
                cognito_identity_pool_id: None,
                principal_org_id: None,
                source_ip: "127.0.0.1",
                user: None,
                user_agent: user_agent.as_deref(),
                user_arn: None,
            },
            path: &context_path,
            protocol: "HTTP/1.1",
            request_id: &invocation.gateway_uuid,
            request_time: &time,
            request_time_epoch: invocation.epoch_ms,
            resource_id: "crossd",
            resource_path: resource,
            stage,
        },
        body,
        is_base64_encoded,
    };
    crate::stage::mark(crate::stage::Mark::EventBuilt);
    // Strings, bools and integers only: serializing cannot fail.
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The event's `path`: as sent, except that the slashes in front of it
/// collapse to one. Recorded against AWS: localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_lambda.py
/// `test_lambda_aws_proxy_integration`, snapshots
/// `invocation-payload-with-prepended-slash` (`/stage//proxy-value` gives
/// `path` `/proxy-value` and `requestContext.path` `/stage//proxy-value`)
/// and `invocation-hardcoded`; `//` inside the path stays
/// (`invocation-payload-with-double-slash`).
fn rest_path<'a>(sent: &'a str, notes: &mut Vec<AdapterNote>) -> &'a str {
    let trimmed = sent.trim_start_matches('/');
    if sent.len() - trimmed.len() <= 1 {
        return sent;
    }
    notes.push(AdapterNote::new(
        "rest-leading-slashes-collapsed",
        format!(
            "the REST API collapsed the slashes in front of `{sent}` to one in the event's path \
             (requestContext.path keeps them)"
        ),
    ));
    // The one slash kept is the last of the leading ones.
    &sent[sent.len() - trimmed.len() - 1..]
}

/// `pathParameters.proxy`: the path without its leading slash and without
/// one trailing slash, still encoded. Recorded against AWS:
/// localstack/localstack @8b9a79f0, test_apigateway_lambda.py
/// `test_lambda_aws_proxy_integration`, snapshot
/// `invocation-payload-with-trailing-slash` (`/stage/proxy-value/` gives
/// `proxy` `proxy-value`, while `path` keeps `/proxy-value/`). More than one
/// trailing slash was not recorded: only the last is dropped (a model).
fn proxy_parameter(path: &str) -> &str {
    let proxy = path.trim_start_matches('/');
    proxy.strip_suffix('/').unwrap_or(proxy)
}

/// The request's headers as a REST API forwards them, grouped by name in
/// REST's spelling, with the ones the API (and, edge-optimized, CloudFront)
/// adds; a repeated one reaches the app with its last value only.
fn rest_headers<'a>(
    request: &'a Request<Bytes>,
    options: &LambdaOptions,
    domain: &'a str,
    invocation: &'a Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Vec<(&'a str, Vec<Cow<'a, str>>)> {
    let headers = request.headers();
    let mut grouped: Vec<(&str, Vec<Cow<'_, str>>)> = Vec::with_capacity(headers.keys_len() + 5);
    for name in headers.keys() {
        // REST does not pass the client's `content-length` on: the captured
        // event has none although curl sent `content-length: 66` (hotsock/voker,
        // vokerhttp/testdata/apigwv1-request.json; its HTTP API, URL and ALB
        // captures of the same request all carry it).
        if name == http::header::CONTENT_LENGTH {
            continue;
        }
        let values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        grouped.push((rest_name(name.as_str()), values));
    }
    if headers.get(http::header::HOST).is_none() {
        grouped.push(("Host", vec![Cow::Borrowed(domain)]));
    }
    let edge = options.endpoint == Endpoint::EdgeOptimized;
    // Behind CloudFront the API sees the edge's address after the client's
    // (`"X-Forwarded-For": "54.240.196.186, 54.182.214.83"` in the capture).
    let forwarded_for = if edge {
        "127.0.0.1, 127.0.0.2"
    } else {
        "127.0.0.1"
    };
    for (name, value) in [
        ("x-amzn-trace-id", invocation.root()),
        ("x-forwarded-for", forwarded_for),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        if headers.get(name).is_none() {
            grouped.push((rest_name(name), vec![Cow::Borrowed(value)]));
        }
    }
    if edge {
        edge_headers(headers, invocation, &mut grouped, notes);
    }
    let repeated = repeated_names(headers);
    if !repeated.is_empty() {
        notes.push(AdapterNote::new(
            "headers-override-multivalue",
            format!(
                "lambda_http merges `headers` (last value) over `multiValueHeaders`, so the app \
                 saw only the last value of: {}",
                repeated.join(", ")
            ),
        ));
    }
    grouped
}

/// What CloudFront adds in front of an edge-optimized REST API.
fn edge_headers<'a>(
    headers: &http::HeaderMap,
    invocation: &Invocation,
    grouped: &mut Vec<(&'a str, Vec<Cow<'a, str>>)>,
    notes: &mut Vec<AdapterNote>,
) {
    let cf_id = invocation.edge_request_id();
    let via = invocation.edge_via();
    for (name, value) in [
        ("cloudfront-forwarded-proto", Cow::Borrowed("https")),
        ("cloudfront-is-desktop-viewer", Cow::Borrowed("true")),
        ("cloudfront-is-mobile-viewer", Cow::Borrowed("false")),
        ("cloudfront-is-smarttv-viewer", Cow::Borrowed("false")),
        ("cloudfront-is-tablet-viewer", Cow::Borrowed("false")),
        ("cloudfront-viewer-country", Cow::Borrowed("US")),
        ("via", Cow::Owned(via)),
        ("x-amz-cf-id", Cow::Owned(cf_id)),
    ] {
        if headers.get(name).is_none() {
            grouped.push((rest_name(name), vec![value]));
        }
    }
    notes.push(AdapterNote::new(
        "rest-edge-cloudfront",
        "the REST API is edge-optimized, so CloudFront's headers (Via, X-Amz-Cf-Id, \
         CloudFront-*) and its edge address in X-Forwarded-For reached the function",
    ));
}

/// The event's `body` and `isBase64Encoded`: base64 for a binary media
/// type, text (invalid bytes replaced) otherwise.
fn rest_body(
    request: &Request<Bytes>,
    options: &LambdaOptions,
    notes: &mut Vec<AdapterNote>,
) -> (Option<String>, bool) {
    let headers = request.headers();
    if request.body().is_empty() {
        (None, false)
    } else if content_type(headers).is_some_and(|ct| options.is_binary_media_type(ct)) {
        notes.push(AdapterNote::new(
            "base64-request",
            "the request's content type is a binary media type, so the event carried the body \
             base64-encoded",
        ));
        (Some(body::encode(request.body(), false).0), true)
    } else {
        if std::str::from_utf8(request.body()).is_err() {
            notes.push(AdapterNote::new(
                "rest-binary-body-mangled",
                "the request body is not UTF-8 and its content type is not a binary media type, \
                 so the REST API passed it as text and invalid bytes became U+FFFD; add the type \
                 with LambdaOptions::binary_media_types",
            ));
        }
        (
            Some(String::from_utf8_lossy(request.body()).into_owned()),
            false,
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventV1<'a> {
    resource: &'static str,
    path: &'a str,
    http_method: &'a str,
    headers: Last<'a, &'a str, Cow<'a, str>>,
    multi_value_headers: All<'a, &'a str, Cow<'a, str>>,
    query_string_parameters: Option<Last<'a, String, String>>,
    multi_value_query_string_parameters: Option<All<'a, String, String>>,
    path_parameters: Option<Proxy<'a>>,
    stage_variables: Option<()>,
    request_context: ContextV1<'a>,
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
struct Proxy<'a> {
    proxy: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextV1<'a> {
    account_id: &'static str,
    api_id: &'static str,
    domain_name: &'a str,
    domain_prefix: &'static str,
    extended_request_id: &'a str,
    http_method: &'a str,
    identity: Identity<'a>,
    path: &'a str,
    protocol: &'static str,
    request_id: &'a str,
    request_time: &'a str,
    request_time_epoch: u64,
    resource_id: &'static str,
    resource_path: &'static str,
    stage: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    access_key: Option<()>,
    account_id: Option<()>,
    caller: Option<()>,
    cognito_authentication_provider: Option<()>,
    cognito_authentication_type: Option<()>,
    cognito_identity_id: Option<()>,
    cognito_identity_pool_id: Option<()>,
    principal_org_id: Option<()>,
    source_ip: &'static str,
    user: Option<()>,
    user_agent: Option<&'a str>,
    user_arn: Option<()>,
}

/// Grouped values serialized as `{name: last value}`, as `headers` and
/// `queryStringParameters` carry them.
pub(crate) struct Last<'a, K, V>(pub(crate) &'a [(K, Vec<V>)]);

/// Grouped values serialized as `{name: [values]}`.
pub(crate) struct All<'a, K, V>(pub(crate) &'a [(K, Vec<V>)]);

impl<K: AsRef<str>, V: AsRef<str>> Serialize for Last<'_, K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, values) in self.0 {
            map.serialize_entry(k.as_ref(), values.last().map_or("", AsRef::as_ref))?;
        }
        map.end()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Serialize for All<'_, K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Values<'b, V>(&'b [V]);
        impl<V: AsRef<str>> Serialize for Values<'_, V> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for v in self.0 {
                    seq.serialize_element(v.as_ref())?;
                }
                seq.end()
            }
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, values) in self.0 {
            map.serialize_entry(k.as_ref(), &Values(values))?;
        }
        map.end()
    }
}

/// A proxy response as a REST API reads it, which is stricter than the
/// other sources about its keys and more lenient about its values.
/// Recorded against AWS (localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_lambda.py,
/// `test_aws_proxy_response_payload_format_validation` and
/// `test_lambda_aws_proxy_response_format`): a key it does not know is a
/// malformed response, 502 (`invoke-api-wrong-format`:
/// `{"statusCode": 200, "wrongValue": "value"}`); `{}` and a response with
/// only `headers` are 200 (`empty-response`, `invoke-api-only-headers`); a
/// numeric string status is that status (`invoke-api-status-code-str`:
/// `"201"` gives 201) while `"test"` is a 502
/// (`invoke-api-invalid-status-code`); a boolean header value is sent as
/// its JSON text (`invoke-api-with-headers`: `"header-bool": true` arrives
/// as `header-bool: true`); a `multiValueHeaders` value that is not a list
/// is a 502 (`invoke-api-multi-headers-invalid`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RestWire {
    #[serde(default)]
    status_code: Option<RestStatus>,
    #[serde(default, deserialize_with = "super::event::null_as_default")]
    headers: Vec<(String, Scalar)>,
    #[serde(default, deserialize_with = "super::event::null_as_default")]
    multi_value_headers: Vec<(String, Vec<Scalar>)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

/// A REST `statusCode`: a number, or a string holding one.
#[derive(Debug)]
enum RestStatus {
    Number(i64),
    Text(String),
}

/// A header value REST accepts: a string, or a boolean or number it
/// writes as its JSON text (a boolean is recorded, a number is not: a
/// model).
#[derive(Debug)]
struct Scalar(String);

impl Scalar {
    fn into_text(self) -> String {
        self.0
    }
}

/// One visitor for both: what a JSON scalar holds, as a status or as
/// text. Written out (not `#[serde(untagged)]`, which buffers every value
/// first) because every header of every REST response passes here.
struct ScalarVisitor;

/// A scalar as [`ScalarVisitor`] reads it.
enum Read {
    Int(i64),
    Text(String),
}

impl serde::de::Visitor<'_> for ScalarVisitor {
    type Value = Read;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, a number or a boolean")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Read, E> {
        Ok(Read::Text(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Read, E> {
        Ok(Read::Text(v))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Read, E> {
        Ok(Read::Text(v.to_string()))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Read, E> {
        Ok(Read::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Read, E> {
        Ok(i64::try_from(v).map_or_else(|_| Read::Text(v.to_string()), Read::Int))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Read, E> {
        Ok(Read::Text(v.to_string()))
    }
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(match d.deserialize_any(ScalarVisitor)? {
            Read::Int(n) => n.to_string(),
            Read::Text(text) => text,
        }))
    }
}

impl<'de> serde::Deserialize<'de> for RestStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ScalarVisitor)? {
            Read::Int(n) => Ok(Self::Number(n)),
            Read::Text(text) => Ok(Self::Text(text)),
        }
    }
}

/// The function's response JSON read as a REST API reads it.
fn rest_wire(json: &[u8]) -> Result<WireResponse, Refused> {
    let wire: RestWire = serde_json::from_slice(json).map_err(|e| {
        Refused::from(format!(
            "the function's response JSON is not a REST proxy response ({e}); a REST API \
             answers 502 to a key other than statusCode, headers, multiValueHeaders, body and \
             isBase64Encoded"
        ))
    })?;
    let status_code = match wire.status_code {
        None => 200,
        Some(RestStatus::Number(n)) => u16::try_from(n).map_err(|_| {
            Refused::from(format!(
                "statusCode {n} is not an HTTP status; return one from 200 to 599"
            ))
        })?,
        Some(RestStatus::Text(text)) => text.trim().parse::<u16>().map_err(|_| {
            Refused::from(format!(
                "statusCode `{text}` is not a number; return a number (a REST API also \
                     takes one written as a string)"
            ))
        })?,
    };
    Ok(WireResponse {
        status_code,
        headers: wire
            .headers
            .into_iter()
            .map(|(name, value)| (name, value.into_text()))
            .collect(),
        multi_value_headers: wire
            .multi_value_headers
            .into_iter()
            .map(|(name, values)| (name, values.into_iter().map(Scalar::into_text).collect()))
            .collect(),
        cookies: Vec::new(),
        body: wire.body,
        is_base64_encoded: wire.is_base64_encoded,
    })
}

/// The client's response from a 1.0 response JSON.
pub(crate) fn decode(
    json: &[u8],
    request_headers: &HeaderMap,
    options: &LambdaOptions,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, Refused> {
    let wire = rest_wire(json)?;
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(wire.status_code)
        .map_err(|_| format!("statusCode {} is not an HTTP status", wire.status_code))?;
    let headers = response.headers_mut();
    append_headers(headers, &wire)?;
    let decode_binary = decodes_binary(&wire, request_headers, options);
    default_content_type(headers, notes);
    if wire.is_base64_encoded && !decode_binary {
        notes.push(AdapterNote::new(
            "rest-base64-not-decoded",
            "the function returned a base64 body but the first media type of the request's \
             Accept is not a binary media type (the response's Content-Type does not count), so \
             the REST API passed the base64 text to the client; send that Accept, or add the \
             type with LambdaOptions::binary_media_types",
        ));
        *response.body_mut() = Bytes::from(wire.body.unwrap_or_default());
        return Ok(response);
    }
    if !decode_binary {
        *response.body_mut() = body::response_bytes(wire.body, false, notes)?;
        return Ok(response);
    }
    // "If the conversion fails, it returns a 500" (BINFLOW), the
    // API_CONFIGURATION_ERROR gateway response "when base64 decoding fails on
    // binary data" (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
    *response.body_mut() = body::response_bytes(wire.body, true, notes).map_err(|e| Refused {
        kind: FailureKind::Configuration,
        code: "rest-binary-conversion-failed",
        reason: format!(
            "{e}, and a binary media type matches, so the REST API failed the conversion and \
             answered 500 (API_CONFIGURATION_ERROR); encode the body with standard, padded \
             base64"
        ),
    })?;
    Ok(response)
}

/// The response's `multiValueHeaders`, then its `headers` (a value both
/// carry is sent once).
fn append_headers(headers: &mut HeaderMap, wire: &WireResponse) -> Result<(), Refused> {
    append_multi(headers, &wire.multi_value_headers)?;
    for (name, value) in &wire.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(format!(
                "response header `{name}: {}` is not valid HTTP",
                crate::redact::shown_text(name, value)
            )
            .into());
        };
        if !headers.get_all(&name).iter().any(|v| *v == value) {
            headers.append(name, value);
        }
    }
    Ok(())
}

/// Whether the REST API converts the function's base64 body to binary for
/// the client: the first media type of the request's `Accept` is a binary
/// media type. The response's `Content-Type` does not count, although
/// the documentation says it does ("the Content-Type header of the response
/// or the Accept header of the request",
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html):
/// recorded against AWS, localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_lambda.py
/// `test_aws_proxy_binary_response` (validated 2025-01-29): a response with
/// `Content-Type: image/png` and `image/png` configured stays base64 text
/// for `Accept: image/jpg`, and is binary for `Accept: image/png` with no
/// Content-Type at all; only the first Accept type counts
/// (`image/webp,image/png,*/*;q=0.8` gives text).
fn decodes_binary(
    wire: &WireResponse,
    request_headers: &HeaderMap,
    options: &LambdaOptions,
) -> bool {
    wire.is_base64_encoded
        && request_headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|t| options.is_binary_media_type(t))
}

/// The `Content-Type` a REST API gives a response without one.
fn default_content_type(headers: &mut HeaderMap, notes: &mut Vec<AdapterNote>) {
    // Recorded against AWS, not documented: a REST API gives a response the
    // function sent without a Content-Type `application/json`
    // (localstack/localstack @8b9a79f0, test_apigateway_lambda.py
    // `test_aws_proxy_response_payload_format_validation`, snapshot
    // `invoke-api-with-headers`; aws/aws-lambda-dotnet @83149216,
    // LambdaTestTool-v2 snapshot V1_DefaultsToCorrectContentTYpeRest.json).
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        notes.push(AdapterNote::new(
            "rest-default-content-type",
            "the function's response had no Content-Type, so the REST API sent \
             `Content-Type: application/json` (recorded against AWS: localstack \
             test_aws_proxy_response_payload_format_validation, aws-lambda-dotnet \
             V1_DefaultsToCorrectContentTYpeRest.json); set a Content-Type in the app to choose \
             another",
        ));
    }
}

/// Appends every value of a `multiValueHeaders` object.
pub(crate) fn append_multi(
    headers: &mut HeaderMap,
    multi: &[(String, Vec<String>)],
) -> Result<(), String> {
    for (name, values) in multi {
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            return Err(format!("response header name `{name}` is not valid HTTP"));
        };
        for value in values {
            let value = HeaderValue::from_str(value).map_err(|_| {
                format!(
                    "response header `{name}: {}` is not valid HTTP",
                    crate::redact::shown_text(name, value)
                )
            })?;
            headers.append(header.clone(), value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::event;
    use super::super::failure;
    use super::super::options::Source;
    use super::*;

    /// A REST response as a raw function (not lambda_http, which always
    /// encodes correctly) could send it: "base64" that is not base64.
    const BAD_BASE64: &[u8] = br#"{"statusCode":200,"headers":{"content-type":"image/png"},"multiValueHeaders":{},"isBase64Encoded":true,"body":"not base64!"}"#;

    #[test]
    fn a_rest_base64_body_that_does_not_decode_under_a_binary_type_is_500_api_configuration_error()
    {
        let options = LambdaOptions::new(Source::Rest).binary_media_types(["image/png"]);
        let mut accept = HeaderMap::new();
        accept.insert(http::header::ACCEPT, HeaderValue::from_static("image/png"));
        let Err(refused) = event::decode(BAD_BASE64, &accept, &options, &mut Vec::new()) else {
            panic!("a body that is not base64 cannot be converted to binary");
        };
        assert_eq!(refused.code, "rest-binary-conversion-failed");
        assert!(
            refused.reason.contains("API_CONFIGURATION_ERROR"),
            "{refused:?}"
        );
        let (response, note) =
            failure::respond(Source::Rest, refused.kind, refused.code, refused.reason);
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.body().as_ref(),
            br#"{"message": "Internal server error"}"#
        );
        assert_eq!(note.code, "rest-binary-conversion-failed");

        // Without a matching binary media type REST does not convert, so
        // the text reaches the client as sent.
        let mut notes = Vec::new();
        let passed = event::decode(
            BAD_BASE64,
            &HeaderMap::new(),
            &LambdaOptions::new(Source::Rest),
            &mut notes,
        )
        .map_err(|r| r.reason)
        .expect("the base64 text passed through");
        assert_eq!(passed.status(), 200);
        assert_eq!(passed.body().as_ref(), b"not base64!");
        assert!(notes.iter().any(|n| n.code == "rest-base64-not-decoded"));

        // The same body on HTTP API is a malformed response, a function error.
        let Err(malformed) = event::decode(
            BAD_BASE64,
            &HeaderMap::new(),
            &LambdaOptions::new(Source::HttpApi),
            &mut Vec::new(),
        ) else {
            panic!("HTTP API always decodes base64");
        };
        assert_eq!(malformed.code, "malformed-response");
    }

    fn rest(json: &str) -> Result<Response<Bytes>, Refused> {
        event::decode(
            json.as_bytes(),
            &HeaderMap::new(),
            &LambdaOptions::new(Source::Rest),
            &mut Vec::new(),
        )
    }

    /// localstack/localstack @8b9a79f0,
    /// tests/aws/services/apigateway/test_apigateway_lambda.py:
    /// `test_lambda_aws_proxy_response_format` (`empty-response`,
    /// `only-headers`) and `test_aws_proxy_response_payload_format_validation`
    /// (`invoke-api-only-headers`, `invoke-api-status-code-str`,
    /// `invoke-api-with-headers`), validated against AWS.
    #[test]
    fn rest_accepts_the_lenient_output_recorded_in_localstacks_aws_proxy_response_format_tests() {
        let empty = rest("{}").map_err(|r| r.reason).expect("{} is a response");
        assert_eq!(empty.status(), 200);
        assert!(empty.body().is_empty());
        let only_headers = rest(r#"{"headers": {"test-header": "value"}}"#)
            .map_err(|r| r.reason)
            .expect("headers alone are a response");
        assert_eq!(only_headers.status(), 200);
        assert_eq!(only_headers.headers()["test-header"], "value");
        let text_status = rest(r#"{"statusCode": "201"}"#)
            .map_err(|r| r.reason)
            .expect("a numeric string status");
        assert_eq!(text_status.status(), 201);
        let with_bool = rest(
            r#"{"statusCode": 200, "headers": {"test-header": "value", "header-bool": true}}"#,
        )
        .map_err(|r| r.reason)
        .expect("a boolean header value");
        assert_eq!(with_bool.headers()["header-bool"], "true");
        let null_headers = rest(r#"{"statusCode": 200, "headers": null}"#)
            .map_err(|r| r.reason)
            .expect("null headers (invoke-api-with-headers-null)");
        assert_eq!(null_headers.status(), 200);
    }

    /// The same recordings' 502s: `invoke-api-wrong-format` (an unknown
    /// top-level key), `invoke-api-invalid-status-code`,
    /// `invoke-api-multi-headers-invalid`, `invoke-api-just-string`.
    #[test]
    fn rest_refuses_the_malformed_output_recorded_in_localstacks_payload_format_validation_test() {
        for json in [
            r#"{"statusCode": 200, "wrongValue": "value"}"#,
            r#"{"statusCode": "test"}"#,
            r#"{"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}}"#,
            r#""justAString""#,
        ] {
            let Err(refused) = rest(json) else {
                panic!("{json} is not a REST proxy response");
            };
            assert_eq!(refused.code, "malformed-response", "{json}");
            assert_eq!(refused.kind, FailureKind::Function, "{json}");
            let (response, _) =
                failure::respond(Source::Rest, refused.kind, refused.code, refused.reason);
            assert_eq!(response.status(), 502, "{json}");
            assert_eq!(
                response.body().as_ref(),
                br#"{"message": "Internal server error"}"#
            );
        }
    }

    /// aws/aws-lambda-dotnet @83149216, Tools/LambdaTestTool-v2/tests/
    /// Amazon.Lambda.TestTool.UnitTests/Snapshots/V1_HandlesZeroStatusCodeRest.json,
    /// recorded from a real REST API: 502, the 36-byte body,
    /// `x-amzn-ErrorType: InternalServerErrorException`.
    #[test]
    fn rest_answers_status_code_0_with_x_amzn_error_type_as_recorded_in_dotnets_v1_handles_zero_status_code_rest()
     {
        let Err(refused) = rest(r#"{"statusCode": 0, "body": "Hello, World!"}"#) else {
            panic!("status 0 is not an HTTP status");
        };
        let (response, _) =
            failure::respond(Source::Rest, refused.kind, refused.code, refused.reason);
        assert_eq!(response.status(), 502);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "InternalServerErrorException"
        );
        assert_eq!(response.body().len(), 36);
        // HTTP API's 500 for the same output carries no such header
        // (V2_HandlesZeroStatusCode.json).
        let (http_api, _) = failure::respond(
            Source::HttpApi,
            FailureKind::Function,
            "malformed-response",
            String::new(),
        );
        assert_eq!(http_api.status(), 500);
        assert!(http_api.headers().get("x-amzn-errortype").is_none());
    }
}
