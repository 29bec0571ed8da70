//! The bodies of the conformance checks, one `async fn` per entry of the
//! [table](crate::conformance_table), in the same order.
//!
//! Every check sends its request with `try_send`, so a driver error becomes
//! a [`Failure`] instead of a panic, and compares only what the driver is
//! responsible for: a server may add `date` or `content-length`, so checks
//! never demand an exact header set unless that is the point (HEAD vs GET).

use std::fmt::Debug;

use bytes::Bytes;

use super::Failure;
use super::echo::{self, Reflection};
use crate::{Client, RequestBuilder, TestResponse, TestStream};

type Outcome = Result<(), Failure>;

// The WebSocket checks' bodies live beside these (one concept per file);
// the table's runners call every check as `checks::name`.
#[cfg(feature = "websocket")]
pub(super) use super::websocket_checks::*;

async fn send(request: RequestBuilder) -> Result<TestResponse, Failure> {
    request.try_send().await.map_err(|e| Failure::exchange(&e))
}

fn status(response: &TestResponse, expected: u16) -> Outcome {
    if response.status().as_u16() == expected {
        Ok(())
    } else {
        Err(Failure::in_response(
            response,
            "status",
            expected.to_string(),
            response.status().to_string(),
        ))
    }
}

fn same<E, R>(response: &TestResponse, what: &str, expected: &E, received: &R) -> Outcome
where
    E: PartialEq<R> + Debug + ?Sized,
    R: Debug + ?Sized,
{
    if expected == received {
        Ok(())
    } else {
        Err(Failure::in_response(
            response,
            what,
            format!("{expected:?}"),
            format!("{received:?}"),
        ))
    }
}

/// Compares bodies and, when they differ, says how: length, first
/// differing offset, and whether the received body looks re-encoded.
fn body(response: &TestResponse, expected: &[u8]) -> Outcome {
    let received = response.bytes().as_ref();
    if received == expected {
        return Ok(());
    }
    let offset = received
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| received.len().min(expected.len()));
    let mut how = format!(
        "{} bytes, first difference at offset {offset}",
        received.len()
    );
    if received.windows(3).any(|w| w == "\u{FFFD}".as_bytes()) {
        how.push_str("; contains U+FFFD replacement characters, so it was decoded as UTF-8");
    }
    Err(Failure::in_response(
        response,
        "body bytes",
        format!("{} bytes {}", expected.len(), preview(expected)),
        format!("{how} {}", preview(received)),
    ))
}

fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(48)];
    let more = if bytes.len() > shown.len() { "…" } else { "" };
    format!("{:?}{more}", Bytes::copy_from_slice(shown))
}

/// Header values as `Bytes`, whose `Debug` shows `b"text"` with escapes.
fn header_bytes(response: &TestResponse, name: &str) -> Vec<Bytes> {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| Bytes::copy_from_slice(v.as_bytes()))
        .collect()
}

fn reflect(response: &TestResponse) -> Result<Reflection, Failure> {
    status(response, 200)?;
    serde_json::from_slice(response.bytes()).map_err(|e| {
        Failure::in_response(
            response,
            "the echo app's reflection",
            "a JSON reflection of the request",
            format!("a body that is not one ({e}); is the driver connected to crossdrive::conformance::echo::app()?"),
        )
    })
}

async fn reflected(request: RequestBuilder) -> Result<(TestResponse, Reflection), Failure> {
    let response = send(request).await?;
    let reflection = reflect(&response)?;
    Ok((response, reflection))
}

fn reflected_body(response: &TestResponse, r: &Reflection, expected: &[u8]) -> Outcome {
    same(
        response,
        "body received by the app (length:fingerprint)",
        &echo::fingerprint(expected),
        &r.body_fingerprint,
    )
}

async fn method_with_body(client: &Client, method: &str) -> Outcome {
    let payload = format!("payload sent with {method}");
    let (response, r) = reflected(
        client
            .method(method, "/echo/resource")
            .text(payload.clone()),
    )
    .await?;
    same(&response, "method seen by the app", method, &r.method)?;
    same(&response, "path seen by the app", "/echo/resource", &r.path)?;
    reflected_body(&response, &r, payload.as_bytes())
}

async fn method_only(client: &Client, method: &str) -> Outcome {
    let (response, r) = reflected(client.method(method, "/echo/resource/1")).await?;
    same(&response, "method seen by the app", method, &r.method)?;
    same(
        &response,
        "path seen by the app",
        "/echo/resource/1",
        &r.path,
    )
}

async fn status_with_body(client: &Client, code: u16) -> Outcome {
    let response = send(client.get(format!("/status/{code}"))).await?;
    status(&response, code)?;
    body(&response, format!("status {code}").as_bytes())
}

async fn redirect(client: &Client, code: u16) -> Outcome {
    let response = send(client.get(format!("/status/{code}"))).await?;
    status(&response, code)?;
    same(
        &response,
        "all values of header `location`",
        &[Bytes::from_static(b"/echo/redirected")][..],
        &header_bytes(&response, "location")[..],
    )
}

async fn target(client: &Client, sent: &str, path: &str, query: Option<&str>) -> Outcome {
    let (response, r) = reflected(client.get(sent)).await?;
    same(&response, "path seen by the app", path, &r.path)?;
    same(
        &response,
        "raw query seen by the app",
        &query.map(str::to_owned),
        &r.query,
    )
}

async fn request_body(client: &Client, content_type: &str, payload: Vec<u8>) -> Outcome {
    let (response, r) = reflected(
        client
            .post("/echo")
            .header("content-type", content_type)
            .body(payload.clone()),
    )
    .await?;
    same(
        &response,
        "content-type seen by the app",
        &[content_type][..],
        &r.header_all("content-type")[..],
    )?;
    reflected_body(&response, &r, &payload)
}

async fn response_body(client: &Client, path: &str, expected: &[u8]) -> Outcome {
    let response = send(client.get(path)).await?;
    status(&response, 200)?;
    body(&response, expected)
}

// ---- methods

pub(super) async fn get_is_reflected_with_its_method_and_path(client: &Client) -> Outcome {
    method_only(client, "GET").await
}

pub(super) async fn head_has_no_body_and_the_headers_of_get(client: &Client) -> Outcome {
    let get = send(client.get(echo::FIXED)).await?;
    status(&get, 200)?;
    body(&get, echo::FIXED_BODY.as_bytes())?;
    let head = send(client.head(echo::FIXED)).await?;
    status(&head, 200)?;
    body(&head, b"")?;
    let comparable = |r: &TestResponse| {
        let mut headers: Vec<(String, Vec<u8>)> = r
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str() != "date")
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        headers.sort();
        headers
    };
    same(
        &head,
        "HEAD headers compared with GET's (date aside)",
        &comparable(&get),
        &comparable(&head),
    )
}

pub(super) async fn post_body_arrives_intact(client: &Client) -> Outcome {
    method_with_body(client, "POST").await
}

pub(super) async fn put_body_arrives_intact(client: &Client) -> Outcome {
    method_with_body(client, "PUT").await
}

pub(super) async fn patch_body_arrives_intact(client: &Client) -> Outcome {
    method_with_body(client, "PATCH").await
}

pub(super) async fn delete_is_reflected(client: &Client) -> Outcome {
    method_only(client, "DELETE").await
}

pub(super) async fn options_is_reflected(client: &Client) -> Outcome {
    method_only(client, "OPTIONS").await
}

pub(super) async fn extension_method_purge_is_reflected(client: &Client) -> Outcome {
    method_only(client, "PURGE").await
}

// ---- status codes

pub(super) async fn status_200_is_kept(client: &Client) -> Outcome {
    status_with_body(client, 200).await
}

pub(super) async fn status_201_is_kept(client: &Client) -> Outcome {
    status_with_body(client, 201).await
}

pub(super) async fn status_204_has_no_body_and_no_content_length(client: &Client) -> Outcome {
    let response = send(client.get("/status/204")).await?;
    status(&response, 204)?;
    body(&response, b"")?;
    same(
        &response,
        "all values of header `content-length`",
        &Vec::<Bytes>::new()[..],
        &header_bytes(&response, "content-length")[..],
    )
}

pub(super) async fn redirect_301_is_not_followed_and_keeps_location(client: &Client) -> Outcome {
    redirect(client, 301).await
}

pub(super) async fn redirect_302_is_not_followed_and_keeps_location(client: &Client) -> Outcome {
    redirect(client, 302).await
}

pub(super) async fn status_304_has_no_body(client: &Client) -> Outcome {
    let response = send(client.get("/status/304")).await?;
    status(&response, 304)?;
    body(&response, b"")?;
    same(
        &response,
        "all values of header `etag`",
        &[Bytes::from_static(b"\"conformance\"")][..],
        &header_bytes(&response, "etag")[..],
    )
}

pub(super) async fn status_400_is_kept(client: &Client) -> Outcome {
    status_with_body(client, 400).await
}

pub(super) async fn unknown_path_is_404(client: &Client) -> Outcome {
    let response = send(client.get("/no/such/route")).await?;
    status(&response, 404)?;
    body(&response, b"no route for GET /no/such/route")
}

pub(super) async fn wrong_method_is_405_with_allow(client: &Client) -> Outcome {
    let response = send(client.delete(echo::FIXED)).await?;
    status(&response, 405)?;
    let allow: Vec<String> = response
        .header_all("allow")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|m| m.trim().to_ascii_uppercase())
        .collect();
    if allow.iter().any(|m| m == "GET") {
        Ok(())
    } else {
        Err(Failure::in_response(
            &response,
            "header `allow`",
            "a method list including GET",
            format!("{:?}", response.header_all("allow")),
        ))
    }
}

pub(super) async fn oversized_body_is_413(client: &Client) -> Outcome {
    let small = send(client.post(echo::LIMITED).body(vec![b'x'; echo::LIMIT])).await?;
    status(&small, 200)?;
    let large = send(client.post(echo::LIMITED).body(vec![b'x'; echo::LIMIT * 2])).await?;
    status(&large, 413)
}

pub(super) async fn status_500_is_a_response_not_an_error(client: &Client) -> Outcome {
    status_with_body(client, 500).await
}

pub(super) async fn uncommon_status_418_is_kept(client: &Client) -> Outcome {
    status_with_body(client, 418).await
}

pub(super) async fn uncommon_status_599_is_kept(client: &Client) -> Outcome {
    status_with_body(client, 599).await
}

// ---- headers

pub(super) async fn repeated_request_headers_arrive_in_order(client: &Client) -> Outcome {
    let (response, r) = reflected(
        client
            .get(echo::ECHO)
            .header("x-repeat", "one")
            .header("x-repeat", "two")
            .header("x-repeat", "three"),
    )
    .await?;
    same(
        &response,
        "values of request header `x-repeat` seen by the app",
        &["one", "two", "three"][..],
        &r.header_all("x-repeat")[..],
    )
}

pub(super) async fn repeated_response_headers_stay_separate_and_in_order(
    client: &Client,
) -> Outcome {
    let response = send(client.get(echo::REPEATED_HEADERS)).await?;
    status(&response, 200)?;
    same(
        &response,
        "all values of response header `x-multi`",
        &echo::REPEATED_VALUES[..],
        &response.header_all("x-multi")[..],
    )
}

pub(super) async fn three_set_cookie_headers_stay_three(client: &Client) -> Outcome {
    let response = send(client.get(echo::SET_COOKIES)).await?;
    status(&response, 200)?;
    let received = response.header_all("set-cookie");
    if received.len() == 3 {
        Ok(())
    } else {
        Err(Failure::in_response(
            &response,
            "number of `set-cookie` headers",
            "3 separate headers",
            format!("{} header(s): {received:?}", received.len()),
        ))
    }
}

pub(super) async fn request_header_names_are_case_insensitive(client: &Client) -> Outcome {
    let name = http::HeaderName::from_static("x-crossdrive-case");
    let (response, r) = reflected(client.get(echo::ECHO).header(name, "present")).await?;
    same(
        &response,
        "request header `X-Crossdrive-Case` looked up in any case",
        &["present"][..],
        &r.header_all("X-CROSSDRIVE-CASE")[..],
    )
}

pub(super) async fn header_values_keep_their_case(client: &Client) -> Outcome {
    let value = "MiXeD-Case Value";
    let (response, r) = reflected(client.get(echo::ECHO).header("x-case", value)).await?;
    same(
        &response,
        "request header `x-case` seen by the app",
        &[value][..],
        &r.header_all("x-case")[..],
    )?;
    let response = send(
        client
            .post(echo::ECHO_BODY)
            .header("content-type", "Text/Plain; Charset=UTF-8"),
    )
    .await?;
    same(
        &response,
        "response header `content-type`",
        &["Text/Plain; Charset=UTF-8"][..],
        &response.header_all("content-type")[..],
    )
}

pub(super) async fn obs_text_request_header_arrives_byte_exact(client: &Client) -> Outcome {
    let (response, r) = reflected(
        client
            .get(echo::ECHO)
            .header("x-obs-text", echo::OBS_TEXT_VALUE),
    )
    .await?;
    let received: Vec<Bytes> = r
        .header_all("x-obs-text")
        .iter()
        .map(|v| Bytes::from(echo::from_latin1(v)))
        .collect();
    same(
        &response,
        "bytes of request header `x-obs-text` seen by the app",
        &[Bytes::from_static(echo::OBS_TEXT_VALUE)][..],
        &received[..],
    )
}

pub(super) async fn obs_text_response_header_arrives_byte_exact(client: &Client) -> Outcome {
    let response = send(client.get(echo::OBS_TEXT_HEADER)).await?;
    status(&response, 200)?;
    let received = header_bytes(&response, "x-obs-text");
    same(
        &response,
        "bytes of response header `x-obs-text`",
        &[Bytes::from_static(echo::OBS_TEXT_VALUE)][..],
        &received[..],
    )
}

pub(super) async fn very_long_request_header_arrives_whole(client: &Client) -> Outcome {
    let value = echo::long_value(echo::LONG_LEN);
    let (response, r) = reflected(client.get(echo::ECHO).header("x-long", value.as_str())).await?;
    let received: Vec<usize> = r.header_all("x-long").iter().map(|v| v.len()).collect();
    same(
        &response,
        "length of request header `x-long` seen by the app",
        &[echo::LONG_LEN][..],
        &received[..],
    )?;
    same(
        &response,
        "request header `x-long` seen by the app",
        &[value.as_str()][..],
        &r.header_all("x-long")[..],
    )
}

pub(super) async fn very_long_response_header_arrives_whole(client: &Client) -> Outcome {
    let response = send(client.get(echo::LONG_HEADER)).await?;
    status(&response, 200)?;
    let value = echo::long_value(echo::LONG_LEN);
    let received: Vec<usize> = response
        .header_all("x-long")
        .iter()
        .map(|v| v.len())
        .collect();
    same(
        &response,
        "length of response header `x-long`",
        &[echo::LONG_LEN][..],
        &received[..],
    )?;
    same(
        &response,
        "response header `x-long`",
        &[value.as_str()][..],
        &response.header_all("x-long")[..],
    )
}

pub(super) async fn host_header_reaches_the_app(client: &Client) -> Outcome {
    let (response, r) = reflected(
        client
            .get(echo::ECHO)
            .header("host", "conformance.example.test"),
    )
    .await?;
    same(
        &response,
        "host seen by the app",
        &Some("conformance.example.test".to_owned()),
        &r.host,
    )
}

pub(super) async fn content_type_parameters_are_kept(client: &Client) -> Outcome {
    let content_type = "text/plain; charset=iso-8859-1; format=flowed";
    let response = send(
        client
            .post(echo::ECHO_BODY)
            .header("content-type", content_type)
            .body(&b"caf\xe9"[..]),
    )
    .await?;
    status(&response, 200)?;
    same(
        &response,
        "response header `content-type` (copied by the app from the request)",
        &[content_type][..],
        &response.header_all("content-type")[..],
    )?;
    body(&response, b"caf\xe9")
}

// ---- query and path

pub(super) async fn repeated_query_keys_are_kept_in_order(client: &Client) -> Outcome {
    target(
        client,
        "/echo?a=1&a=2&b=x&a=3",
        "/echo",
        Some("a=1&a=2&b=x&a=3"),
    )
    .await
}

pub(super) async fn empty_query_values_are_kept(client: &Client) -> Outcome {
    target(client, "/echo?a=&b&c=", "/echo", Some("a=&b&c=")).await
}

pub(super) async fn plus_and_percent_20_stay_distinct(client: &Client) -> Outcome {
    target(
        client,
        "/echo?q=a+b&r=a%20b",
        "/echo",
        Some("q=a+b&r=a%20b"),
    )
    .await
}

pub(super) async fn percent_encoded_slash_stays_encoded(client: &Client) -> Outcome {
    target(client, "/echo/a%2Fb/c", "/echo/a%2Fb/c", None).await
}

pub(super) async fn unicode_path_and_query_arrive_percent_encoded(client: &Client) -> Outcome {
    target(
        client,
        "/echo/caf%C3%A9?q=%E2%9C%93",
        "/echo/caf%C3%A9",
        Some("q=%E2%9C%93"),
    )
    .await
}

pub(super) async fn trailing_slash_is_kept(client: &Client) -> Outcome {
    target(client, "/echo/dir/", "/echo/dir/", None).await
}

pub(super) async fn dot_segments_are_delivered_as_sent(client: &Client) -> Outcome {
    target(client, "/echo/a/../b/./c", "/echo/a/../b/./c", None).await
}

pub(super) async fn very_long_url_arrives_whole(client: &Client) -> Outcome {
    let segment = echo::long_value(2048);
    let query = format!("long={}", echo::long_value(6144));
    let path = format!("/echo/{segment}");
    target(client, &format!("{path}?{query}"), &path, Some(&query)).await
}

pub(super) async fn percent_escapes_in_the_query_are_not_decoded(client: &Client) -> Outcome {
    // One key only: REST v1 and ALB events carry the query as a map
    // (aws_lambda_events' QueryMap, a HashMap), so the order of distinct
    // keys is random per instance there; with two keys this check would pass
    // or fail by chance. Key order is what the repeated-key check is for.
    target(client, "/echo?k=%26%3D%25", "/echo", Some("k=%26%3D%25")).await
}

// ---- bodies

pub(super) async fn empty_request_body_arrives_empty(client: &Client) -> Outcome {
    let (response, r) = reflected(client.post(echo::ECHO)).await?;
    reflected_body(&response, &r, b"")
}

pub(super) async fn empty_response_body_arrives_empty(client: &Client) -> Outcome {
    response_body(client, echo::EMPTY, b"").await
}

pub(super) async fn all_256_byte_values_reach_the_app(client: &Client) -> Outcome {
    let all: Vec<u8> = (0..=255).collect();
    request_body(client, "application/octet-stream", all).await
}

pub(super) async fn all_256_byte_values_arrive_in_the_response(client: &Client) -> Outcome {
    let all: Vec<u8> = (0..=255).collect();
    response_body(client, echo::ALL_BYTES, &all).await
}

pub(super) async fn invalid_utf8_request_labelled_as_text_arrives_byte_exact(
    client: &Client,
) -> Outcome {
    request_body(
        client,
        "text/plain; charset=utf-8",
        echo::INVALID_UTF8_BODY.to_vec(),
    )
    .await
}

pub(super) async fn invalid_utf8_response_labelled_as_text_arrives_byte_exact(
    client: &Client,
) -> Outcome {
    response_body(client, echo::INVALID_UTF8, echo::INVALID_UTF8_BODY).await
}

pub(super) async fn text_that_looks_like_base64_is_not_decoded(client: &Client) -> Outcome {
    response_body(client, echo::BASE64_LIKE, echo::BASE64_LIKE_BODY.as_bytes()).await
}

pub(super) async fn one_mib_request_body_reaches_the_app(client: &Client) -> Outcome {
    request_body(client, "application/octet-stream", echo::pattern(1 << 20)).await
}

pub(super) async fn one_mib_response_body_arrives_whole(client: &Client) -> Outcome {
    response_body(client, "/bytes/1048576", &echo::pattern(1 << 20)).await
}

pub(super) async fn five_mib_request_body_reaches_the_app(client: &Client) -> Outcome {
    request_body(client, "application/octet-stream", echo::pattern(5 << 20)).await
}

pub(super) async fn five_mib_response_body_arrives_whole(client: &Client) -> Outcome {
    response_body(client, "/bytes/5242880", &echo::pattern(5 << 20)).await
}

pub(super) async fn json_body_round_trips(client: &Client) -> Outcome {
    let json =
        r#"{"name":"crossdrive","text":"café ✓ \"quoted\"","nested":{"list":[1,2.5,null,true]}}"#;
    let (response, r) = reflected(
        client
            .post(echo::ECHO)
            .header("content-type", "application/json")
            .body(json),
    )
    .await?;
    same(
        &response,
        "content-type seen by the app",
        &["application/json"][..],
        &r.header_all("content-type")[..],
    )?;
    same(
        &response,
        "JSON body seen by the app",
        &Some(json.to_owned()),
        &r.body_text,
    )
}

pub(super) async fn form_body_arrives_with_its_content_type(client: &Client) -> Outcome {
    let (response, r) = reflected(client.post(echo::ECHO).form(&[
        ("name", "cross drive"),
        ("plus", "a+b"),
        ("amp", "x&y=z"),
        ("empty", ""),
    ]))
    .await?;
    same(
        &response,
        "content-type seen by the app",
        &["application/x-www-form-urlencoded"][..],
        &r.header_all("content-type")[..],
    )?;
    same(
        &response,
        "form body seen by the app",
        &Some("name=cross+drive&plus=a%2Bb&amp=x%26y%3Dz&empty=".to_owned()),
        &r.body_text,
    )
}

pub(super) async fn multipart_body_arrives_with_its_boundary(client: &Client) -> Outcome {
    let boundary = "crossdrive-boundary-7d3a";
    let mut payload = Vec::new();
    payload.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\ncafé\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"all.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    payload.extend(0..=255u8);
    payload.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    request_body(
        client,
        &format!("multipart/form-data; boundary={boundary}"),
        payload,
    )
    .await
}

pub(super) async fn streamed_response_arrives_whole_and_in_order(client: &Client) -> Outcome {
    let expected: String = (0..echo::STREAM_CHUNKS).map(echo::stream_chunk).collect();
    response_body(client, echo::STREAM, expected.as_bytes()).await
}

pub(super) async fn server_sent_events_arrive_whole(client: &Client) -> Outcome {
    let response = send(client.get(echo::SSE)).await?;
    status(&response, 200)?;
    same(
        &response,
        "response header `content-type`",
        &["text/event-stream"][..],
        &response.header_all("content-type")[..],
    )?;
    body(&response, echo::SSE_EVENTS.concat().as_bytes())
}

// ---- cookies

pub(super) async fn request_cookie_pairs_arrive_as_sent(client: &Client) -> Outcome {
    let (response, r) = reflected(
        client
            .get(echo::ECHO)
            .cookie("a", "1")
            .cookie("b", "two")
            .cookie("c", "x=y"),
    )
    .await?;
    // HTTP/2 may split Cookie into one header per pair (RFC 9113 §8.2.3);
    // joined with "; " they must read as sent.
    same(
        &response,
        "Cookie seen by the app (joined with \"; \")",
        "a=1; b=two; c=x=y",
        &r.header_all("cookie").join("; "),
    )
}

pub(super) async fn response_cookies_keep_their_attributes(client: &Client) -> Outcome {
    let response = send(client.get(echo::SET_COOKIES)).await?;
    status(&response, 200)?;
    same(
        &response,
        "all values of header `set-cookie`",
        &echo::SET_COOKIE_VALUES[..],
        &response.header_all("set-cookie")[..],
    )
}

// ---- streaming

fn in_stream(
    stream: &TestStream,
    what: &str,
    expected: impl Into<String>,
    received: impl Into<String>,
) -> Failure {
    let (expected, received) = (expected.into(), received.into());
    Failure {
        what: what.to_owned(),
        exchange: Some(format!(
            "{what}: expected {expected}, received {received}\n  driver: {}\n  stream: {stream:?}\n  notes: {:?}",
            stream.driver(),
            stream.notes()
        )),
        expected,
        received,
    }
}

async fn open(request: RequestBuilder) -> Result<TestStream, Failure> {
    let stream = request
        .try_stream()
        .await
        .map_err(|e| Failure::exchange(&e))?;
    if stream.status() != 200 {
        let status = stream.status().to_string();
        return Err(in_stream(&stream, "status", "200", status));
    }
    Ok(stream)
}

pub(super) async fn first_chunk_arrives_before_the_last_is_written(client: &Client) -> Outcome {
    let key = echo::gate_key();
    let mut stream = open(client.get(format!("{}?key={key}", echo::GATED))).await?;
    let mut seen = Vec::new();
    while seen.len() < echo::GATE_FIRST.len() {
        match stream.try_next_chunk().await {
            Ok(Some(chunk)) => seen.extend_from_slice(&chunk.data),
            Ok(None) => break,
            Err(e) => return Err(Failure::exchange(&e)),
        }
    }
    // The app writes its last chunk only once the gate opens, and the gate
    // opens only now: a driver that delivered the last chunk with the
    // first one waited for the whole response.
    if seen != echo::GATE_FIRST.as_bytes() {
        return Err(in_stream(
            &stream,
            "the body received before the app wrote its last chunk",
            format!("{:?}", echo::GATE_FIRST),
            format!("{:?}", String::from_utf8_lossy(&seen)),
        ));
    }
    echo::gate_open(key);
    let rest = stream
        .try_collect()
        .await
        .map_err(|e| Failure::exchange(&e))?;
    let expected = format!("{}{}", echo::GATE_FIRST, echo::GATE_LAST);
    body(&rest, expected.as_bytes())
}

pub(super) async fn response_trailers_arrive_after_the_body(client: &Client) -> Outcome {
    // HTTP/1.1 servers send trailers only to a client that says it takes
    // them (RFC 9110 §6.5.1, RFC 9112 §7.1.2).
    let mut stream = open(client.get(echo::TRAILERS).header("te", "trailers")).await?;
    let mut received = Vec::new();
    loop {
        match stream.try_next_chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk.data),
            Ok(None) => break,
            Err(e) => return Err(Failure::exchange(&e)),
        }
    }
    if received != echo::TRAILERS_BODY.as_bytes() {
        let got = format!("{:?}", String::from_utf8_lossy(&received));
        return Err(in_stream(
            &stream,
            "body bytes",
            format!("{:?}", echo::TRAILERS_BODY),
            got,
        ));
    }
    let trailer = stream
        .trailers()
        .and_then(|t| t.get(echo::TRAILER_NAME))
        .and_then(|v| v.to_str().ok());
    if trailer != Some(echo::TRAILER_VALUE) {
        let got = format!("{:?}", stream.trailers());
        return Err(in_stream(
            &stream,
            &format!("trailer `{}`", echo::TRAILER_NAME),
            echo::TRAILER_VALUE,
            got,
        ));
    }
    Ok(())
}

pub(super) async fn a_cut_off_response_is_reported_as_aborted(client: &Client) -> Outcome {
    let mut stream = open(client.get(echo::ABORT)).await?;
    loop {
        match stream.try_next_chunk().await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let got = format!("a clean end after {} bytes", stream.bytes_received());
                return Err(in_stream(
                    &stream,
                    "the end of the body",
                    "an error: the body was cut off",
                    got,
                ));
            }
            Err(e) if e.is_timeout() => return Err(Failure::exchange(&e)),
            Err(_) => return Ok(()),
        }
    }
}

pub(super) async fn chunked_request_body_arrives_whole(client: &Client) -> Outcome {
    let parts = ["one, ", "two, ", "three"];
    let response = send(
        client
            .post(echo::ECHO_BODY)
            .header("content-type", "text/plain")
            .chunks(parts),
    )
    .await?;
    status(&response, 200)?;
    body(&response, parts.concat().as_bytes())
}
