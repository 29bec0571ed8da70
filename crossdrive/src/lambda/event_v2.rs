//! Payload format 2.0: API Gateway HTTP APIs and Lambda Function URLs.
//!
//! In, as captured from AWS (hotsock/voker `vokerhttp/testdata/`
//! `apigwv2-request.json` and `functionurl-request.json`, one request sent
//! to both): an HTTP API percent-decodes the path into `rawPath` and
//! `requestContext.http.path` (`/a%2Fb` arrives as `/a/b`, also
//! fastify/aws-lambda-fastify#169) and puts a named stage in front of it
//! (`/dev/...`: logandk/serverless-wsgi#191); a Function URL keeps
//! `rawPath` as sent but decodes `http.path`, keeps the `Cookie` header
//! beside `cookies` and adds `x-amzn-tls-version` and
//! `x-amzn-tls-cipher-suite`. `rawQueryString` is as sent on both, and
//! `queryStringParameters` form-decoded (`+` is a space). `Cookie`
//! headers are split into `cookies`; repeated headers and query keys
//! comma-joined, as AWS does; the `$default` route. Out: `headers` has one value
//! per name (lambda_http keeps only the first of a repeated non-cookie
//! header), `Set-Cookie` travels in `cookies`, a base64 body is decoded
//! for the client, and a response without a `Content-Type` gets the one
//! recorded for its source (`text/plain; charset=utf-8` on an HTTP API,
//! `application/json` on a Function URL).

use crate::AdapterNote;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use serde::Serialize;
use std::borrow::Cow;

use super::body;
use super::clock::Invocation;
use super::event::{
    WireResponse, content_type, form_decode, group_pairs, percent_decode, raw_query_pairs,
};
use super::options::{LambdaOptions, Source};

const API_ID: &str = "crossdrv01";
const URL_ID: &str = "crossdrivefunctionurl0000000001";

/// The 2.0 event for `request`, serialized.
///
/// Built as borrowed, typed structs rather than a `serde_json::Value`:
/// this runs on every request of the default `lambda` driver, and a Value
/// tree costs an allocation per key.
pub(crate) fn build(
    request: &Request<Bytes>,
    options: &LambdaOptions,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Vec<u8> {
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
    let sent = request.uri().path();
    let paths = Paths::new(sent, url, options, notes);
    let raw_query = request.uri().query().unwrap_or_default();
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .map_or(Cow::Borrowed(""), |v| String::from_utf8_lossy(v.as_bytes()));
    let (cookies, out_headers) = v2_headers(request, url, &domain, invocation, notes);
    let query = v2_query(raw_query);
    let (body, is_base64_encoded) = v2_body(request, notes);
    let time = invocation.clf_time();
    let event = EventV2 {
        version: "2.0",
        route_key: ROUTE_KEY,
        raw_path: paths.raw(sent, url),
        raw_query_string: raw_query,
        cookies,
        headers: Pairs(out_headers),
        query_string_parameters: (!query.is_empty()).then_some(Pairs(query)),
        request_context: ContextV2 {
            account_id: if url { "anonymous" } else { "123456789012" },
            api_id,
            domain_name: &domain,
            domain_prefix: api_id,
            http: HttpV2 {
                method: request.method().as_str(),
                path: paths.http(),
                protocol: "HTTP/1.1",
                source_ip: "127.0.0.1",
                user_agent: &user_agent,
            },
            // An HTTP API's own id (`ATfSmjLgPHcESJw=`, hotsock/voker
            // apigwv2-request.json); a Function URL's is a UUID, taken to be
            // the Lambda request id (functionurl-request.json shows a UUID;
            // that it is the same one is a model).
            request_id: if url {
                &invocation.request_id
            } else {
                &invocation.gateway_id
            },
            route_key: ROUTE_KEY,
            stage: &options.stage,
            time: &time,
            time_epoch: invocation.epoch_ms,
        },
        body,
        is_base64_encoded,
    };
    crate::stage::mark(crate::stage::Mark::EventBuilt);
    // Every field is a string, a bool or an integer: serializing cannot fail.
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The path as the source hands it to the function: `rawPath` and
/// `requestContext.http.path`.
struct Paths {
    /// The path percent-decoded.
    decoded: String,
    /// A named HTTP API stage in front of the decoded path.
    staged: Option<String>,
}

impl Paths {
    fn new(sent: &str, url: bool, options: &LambdaOptions, notes: &mut Vec<AdapterNote>) -> Self {
        let decoded = percent_decode(sent);
        // A named HTTP API stage is part of the path AWS hands the function.
        let staged = (!url && options.stage != "$default").then(|| {
            notes.push(AdapterNote::new(
                "v2-stage-in-raw-path",
                format!(
                    "the HTTP API's named stage `{}` is part of rawPath, as AWS sends it",
                    options.stage
                ),
            ));
            format!("/{}{decoded}", options.stage)
        });
        if !url && decoded != sent {
            notes.push(AdapterNote::new(
                "v2-path-decoded",
                format!(
                    "the HTTP API percent-decoded the path `{sent}` to `{decoded}` for rawPath"
                ),
            ));
        }
        Self { decoded, staged }
    }

    /// `rawPath`: as sent on a Function URL, decoded (and staged) on an
    /// HTTP API.
    fn raw<'a>(&'a self, sent: &'a str, url: bool) -> &'a str {
        match &self.staged {
            Some(staged) => staged,
            None if url => sent,
            None => &self.decoded,
        }
    }

    /// `requestContext.http.path`: decoded (and staged) on both.
    fn http(&self) -> &str {
        self.staged.as_deref().unwrap_or(&self.decoded)
    }
}

/// The `headers` of a 2.0 event, in order.
type HeadersV2<'a> = Vec<(&'a str, Cow<'a, str>)>;

/// The request's headers as payload 2.0 carries them: `Cookie` split into
/// `cookies`, repeated headers comma-joined, and the ones the source adds.
fn v2_headers<'a>(
    request: &'a Request<Bytes>,
    url: bool,
    domain: &'a str,
    invocation: &'a Invocation,
    notes: &mut Vec<AdapterNote>,
) -> (Vec<Cow<'a, str>>, HeadersV2<'a>) {
    let headers = request.headers();
    let mut cookies: Vec<Cow<'_, str>> = Vec::new();
    let mut out_headers: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(headers.keys_len() + 5);
    let mut repeated: Vec<&str> = Vec::new();
    for name in headers.keys() {
        let mut values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        if name == http::header::COOKIE {
            if url {
                // A Function URL also keeps the header as received.
                let all: Vec<Cow<'_, str>> = headers
                    .get_all(name)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()))
                    .collect();
                out_headers.push(("cookie", Cow::Owned(all.join("; "))));
            }
            for value in values {
                cookies.extend(
                    value
                        .split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(|c| Cow::Owned(c.to_owned())),
                );
            }
            continue;
        }
        let Some(first) = values.next() else { continue };
        let mut joined = first;
        for more in values {
            joined = Cow::Owned(format!("{joined},{more}"));
            if repeated.last() != Some(&name.as_str()) {
                repeated.push(name.as_str());
            }
        }
        out_headers.push((name.as_str(), joined));
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
    if !repeated.is_empty() {
        notes.push(AdapterNote::new(
            "v2-headers-comma-joined",
            format!(
                "payload 2.0 joins repeated request headers with commas: {}",
                repeated.join(", ")
            ),
        ));
    }
    add_source_headers(request, url, domain, invocation, &mut out_headers);
    (cookies, out_headers)
}

/// The headers the source adds when the client sent none: `host`, the
/// trace id and `x-forwarded-*`, a Function URL's TLS details, and an
/// HTTP API's `content-length`.
fn add_source_headers<'a>(
    request: &Request<Bytes>,
    url: bool,
    domain: &'a str,
    invocation: &'a Invocation,
    out_headers: &mut HeadersV2<'a>,
) {
    let headers = request.headers();
    if headers.get(http::header::HOST).is_none() {
        out_headers.push(("host", Cow::Borrowed(domain)));
    }
    for (name, value) in [
        ("x-amzn-trace-id", invocation.root()),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        if headers.get(name).is_none() {
            out_headers.push((name, Cow::Borrowed(value)));
        }
    }
    if url {
        for (name, value) in [
            ("x-amzn-tls-version", "TLSv1.3"),
            ("x-amzn-tls-cipher-suite", "TLS_AES_128_GCM_SHA256"),
        ] {
            if headers.get(name).is_none() {
                out_headers.push((name, Cow::Borrowed(value)));
            }
        }
    }
    // An HTTP API sends `content-length` even for a GET without a body
    // (`"0"`: the curl GET captured in awslabs/aws-lambda-rust-runtime,
    // lambda-events/src/fixtures/example-apigw-v2-request-no-authorizer.json).
    if (!request.body().is_empty() || !url) && headers.get(http::header::CONTENT_LENGTH).is_none() {
        let length = request.body().len().to_string();
        out_headers.push(("content-length", Cow::Owned(length)));
    }
}

/// `queryStringParameters`: form-decoded, repeated keys comma-joined.
fn v2_query(raw_query: &str) -> Vec<(String, Cow<'_, str>)> {
    let query: Vec<(String, String)> = raw_query_pairs(raw_query)
        .into_iter()
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect();
    group_pairs(query)
        .into_iter()
        .map(|(k, v)| (k, Cow::Owned(v.join(","))))
        .collect()
}

/// The event's `body` and `isBase64Encoded`: text for a text content
/// type, base64 otherwise.
fn v2_body(request: &Request<Bytes>, notes: &mut Vec<AdapterNote>) -> (Option<String>, bool) {
    let headers = request.headers();
    if request.body().is_empty() {
        (None, false)
    } else {
        let as_text = content_type(headers).is_some_and(body::is_text_content_type);
        let (text, base64) = body::encode(request.body(), as_text);
        if base64 {
            notes.push(AdapterNote::new(
                "base64-request",
                "the request body is not text, so the event carried it base64-encoded",
            ));
        }
        (Some(text), base64)
    }
}
const ROUTE_KEY: &str = "$default";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventV2<'a> {
    version: &'static str,
    route_key: &'static str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<Cow<'a, str>>,
    headers: Pairs<&'a str, Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<Pairs<String, Cow<'a, str>>>,
    request_context: ContextV2<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextV2<'a> {
    account_id: &'static str,
    api_id: &'static str,
    domain_name: &'a str,
    domain_prefix: &'static str,
    http: HttpV2<'a>,
    request_id: &'a str,
    route_key: &'static str,
    stage: &'a str,
    time: &'a str,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpV2<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'static str,
    source_ip: &'static str,
    user_agent: &'a str,
}

/// Ordered pairs serialized as a JSON object.
struct Pairs<K, V>(Vec<(K, V)>);

impl<K: AsRef<str>, V: AsRef<str>> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_ref(), v.as_ref())?;
        }
        map.end()
    }
}

/// The client's response from a 2.0 response JSON.
pub(crate) fn decode(
    wire: WireResponse,
    source: Source,
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
                "response header `{name}: {}` is not valid HTTP",
                crate::redact::shown_text(name, value)
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
        let value = HeaderValue::from_str(cookie).map_err(|_| {
            format!(
                "cookie `{}` is not a valid Set-Cookie value",
                crate::redact::shown_text("set-cookie", cookie)
            )
        })?;
        headers.append(http::header::SET_COOKIE, value);
    }
    *response.body_mut() = body::response_bytes(wire.body, wire.is_base64_encoded, notes)?;
    default_content_type(source, response.headers_mut(), notes);
    Ok(response)
}

/// The `Content-Type` a payload 2.0 source gives a response the function
/// sent without one. Recorded against AWS, documented nowhere:
///
/// - HTTP API, `text/plain; charset=utf-8`: aws/aws-lambda-dotnet
///   @83149216, Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots/
///   V2_DefaultsToTextPlainContentType.json (and V2_HttpAPIHeaders.json,
///   V2_SetsBodyBase64.json), recorded from a real HTTP API on 2025-04-14;
/// - Function URL, `application/json`: localstack/localstack @8b9a79f0,
///   tests/aws/services/lambda_/test_lambda.py
///   `TestLambdaURL::test_lambda_url_invocation[http-response]`, snapshot
///   `lambda_url_invocation` (validated 2025-11-24).
fn default_content_type(
    source: Source,
    headers: &mut http::HeaderMap,
    notes: &mut Vec<AdapterNote>,
) {
    if headers.contains_key(http::header::CONTENT_TYPE) {
        return;
    }
    let (value, recording) = if source == Source::FunctionUrl {
        (
            "application/json",
            "localstack test_lambda_url_invocation[http-response]",
        )
    } else {
        (
            "text/plain; charset=utf-8",
            "aws-lambda-dotnet V2_DefaultsToTextPlainContentType.json",
        )
    };
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(value));
    notes.push(AdapterNote::new(
        "v2-default-content-type",
        format!(
            "the function's response had no Content-Type, so the {} sent `Content-Type: \
             {value}` (recorded against AWS: {recording}); set a Content-Type in the app to \
             choose another",
            if source == Source::FunctionUrl {
                "Function URL"
            } else {
                "HTTP API"
            }
        ),
    ));
}
