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
//! the request's `Accept` or the response's `Content-Type` matches a
//! binary media type, otherwise the client gets the base64 text.

use bytes::Bytes;
use crossdrive::AdapterNote;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::body;
use super::clock::Invocation;
use super::event::{
    WireResponse, content_type, group_pairs, grouped_headers, object, percent_decode,
    raw_query_pairs, repeated_names,
};
use super::options::LambdaOptions;

const API_ID: &str = "crossdrv01";

/// The 1.0 event for `request`.
pub(crate) fn build(
    request: &Request<Bytes>,
    options: &LambdaOptions,
    invocation: &Invocation,
    notes: &mut Vec<AdapterNote>,
) -> Value {
    let domain = format!("{API_ID}.execute-api.{}.amazonaws.com", options.region);
    let headers = request.headers();
    let path = request.uri().path();
    let mut grouped: Vec<(String, Vec<String>)> = grouped_headers(headers)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    if headers.get(http::header::HOST).is_none() {
        grouped.push(("host".to_owned(), vec![domain.clone()]));
    }
    for (name, value) in [
        ("x-amzn-trace-id", invocation.trace_id.as_str()),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        if headers.get(name).is_none() {
            grouped.push((name.to_owned(), vec![value.to_owned()]));
        }
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
    let single_headers = grouped
        .iter()
        .map(|(k, v)| (k.clone(), v.last().cloned().unwrap_or_default()));
    let single_headers = object(single_headers);
    let multi_headers = object(grouped.iter().map(|(k, v)| (k.clone(), v.clone())));

    let query = group_pairs(
        raw_query_pairs(request.uri().query().unwrap_or_default())
            .into_iter()
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect(),
    );
    let (single_query, multi_query) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (
            object(
                query
                    .iter()
                    .map(|(k, v)| (k.clone(), v.last().cloned().unwrap_or_default())),
            ),
            object(query.iter().map(|(k, v)| (k.clone(), v.clone()))),
        )
    };

    let (resource, path_parameters) = if path == "/" {
        ("/", Value::Null)
    } else {
        (
            "/{proxy+}",
            json!({ "proxy": path.trim_start_matches('/') }),
        )
    };
    let stage = options.stage.as_str();
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (body_value, base64) = if request.body().is_empty() {
        (Value::Null, false)
    } else {
        let binary = content_type(headers).is_some_and(|ct| options.is_binary_media_type(ct));
        if binary {
            notes.push(AdapterNote::new(
                "base64-request",
                "the request's content type is a binary media type, so the event carried the \
                 body base64-encoded",
            ));
            let (text, _) = body::encode(request.body(), false);
            (Value::String(text), true)
        } else {
            let text = String::from_utf8_lossy(request.body());
            if std::str::from_utf8(request.body()).is_err() {
                notes.push(AdapterNote::new(
                    "rest-binary-body-mangled",
                    "the request body is not UTF-8 and its content type is not a binary media \
                     type, so the REST API passed it as text and invalid bytes became U+FFFD; \
                     add the type with LambdaOptions::binary_media_types",
                ));
            }
            (Value::String(text.into_owned()), false)
        }
    };
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": request.method().as_str(),
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": Value::Null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "extendedRequestId": invocation.request_id,
            "httpMethod": request.method().as_str(),
            "identity": {
                "accessKey": Value::Null,
                "accountId": Value::Null,
                "caller": Value::Null,
                "cognitoAuthenticationProvider": Value::Null,
                "cognitoAuthenticationType": Value::Null,
                "cognitoIdentityId": Value::Null,
                "cognitoIdentityPoolId": Value::Null,
                "principalOrgId": Value::Null,
                "sourceIp": "127.0.0.1",
                "user": Value::Null,
                "userAgent": user_agent,
                "userArn": Value::Null,
            },
            "path": format!("/{stage}{path}"),
            "protocol": "HTTP/1.1",
            "requestId": invocation.request_id,
            "requestTime": invocation.clf_time(),
            "requestTimeEpoch": invocation.epoch_ms,
            "resourceId": "crossd",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body_value,
        "isBase64Encoded": base64,
    })
}

/// The client's response from a 1.0 response JSON.
pub(crate) fn decode(
    wire: WireResponse,
    request_headers: &HeaderMap,
    options: &LambdaOptions,
    notes: &mut Vec<AdapterNote>,
) -> Result<Response<Bytes>, String> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(wire.status_code)
        .map_err(|_| format!("statusCode {} is not an HTTP status", wire.status_code))?;
    let headers = response.headers_mut();
    append_multi(headers, &wire.multi_value_headers)?;
    for (name, value) in &wire.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(format!(
                "response header `{name}: {value}` is not valid HTTP"
            ));
        };
        if !headers.get_all(&name).iter().any(|v| *v == value) {
            headers.append(name, value);
        }
    }
    let decode_binary = wire.is_base64_encoded && {
        let accept = request_headers
            .get_all(http::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| options.is_binary_media_type(t));
        accept || content_type(headers).is_some_and(|ct| options.is_binary_media_type(ct))
    };
    if wire.is_base64_encoded && !decode_binary {
        notes.push(AdapterNote::new(
            "rest-base64-not-decoded",
            "the function returned a base64 body but neither the request's Accept nor the \
             response's Content-Type matches a binary media type, so the REST API passed the \
             base64 text to the client; add the type with LambdaOptions::binary_media_types",
        ));
        *response.body_mut() = Bytes::from(wire.body.unwrap_or_default());
        return Ok(response);
    }
    *response.body_mut() = body::response_bytes(wire.body, decode_binary, notes)?;
    Ok(response)
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
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("response header `{name}: {value}` is not valid HTTP"))?;
            headers.append(header.clone(), value);
        }
    }
    Ok(())
}
