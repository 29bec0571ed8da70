//! The conformance checks each Lambda driver cannot meet, with the
//! reasons: what AWS or lambda_http does to the message, as these drivers
//! reproduce it. Each driver's registration (`deployment.rs`) points here
//! ([`Kind::known_differences`](crate::Kind::known_differences)); the
//! matrix in docs/conformance-matrix.md lists them, and a declared check that starts passing
//! fails the suite as stale.
//!
//! Each reason names where the behaviour comes from: lambda_http 1.3.2,
//! aws_lambda_events 1.2.1, query_map 0.7, lambda_runtime 1.5 (file and
//! function), or the event source's documented format and limits
//! (`limits.rs`, `failure.rs`).

const BUFFERED: &str = "a buffered invocation returns the function's whole response at \
     once: lambda_http (response.rs, into_response) collects the body into the response JSON, \
     and API Gateway, ALB and a buffered Function URL send nothing before the invocation ends \
     (AWS Lambda developer guide, configuration-response-streaming: only RESPONSE_STREAM \
     Function URLs stream), so the first chunk arrives with the last";

const NO_TRAILERS: &str = "a Lambda response is one JSON document (statusCode, headers, body): \
     the format has no trailers, and lambda_http drops the body's trailer frame when it \
     collects it, so the trailer never reaches the client";

const CUT_OFF_IS_A_FAILED_INVOCATION: &str = "lambda_http 1.3.2 (response.rs:412, convert_to_text) `expect`s the \
     body to be read whole, so a body error fails the invocation (the panic becomes a function \
     error) and the source answers with its function-error response (500 or 502) instead of a \
     200 cut off mid-body";

const V2_PATH_DECODED: &str = "an HTTP API percent-decodes the path before it builds \
     the event: captured events show `rawPath` `/a/b` for a request to `/a%2Fb` \
     (fastify/aws-lambda-fastify#169) and `/capture/space value` for `/capture/space%20value` \
     (hotsock/voker vokerhttp/testdata/apigwv2-request.json), so `%2F` reaches the app as a \
     separator; a Function URL keeps rawPath as sent";

const DOT_SEGMENTS: &str = "lambda_http 1.3 (request.rs, build_request_uri) parses the event's \
     path with url::Url::parse, which removes `.` and `..` segments (WHATWG URL rules), so the \
     app sees /echo/b/c";

const NO_CONTENT_LENGTH: &str = "axum 0.8 adds `Content-Length: 0` to the empty 204 (as on \
     `direct`) and lambda_http 1.3 (response.rs) copies every response header into the response \
     JSON; no hyper server stands between the source and the client to drop it, so the driver \
     returns the header the function sent";

const OBS_TEXT_REQUEST: &str = "the event is JSON and carries header values as strings \
     (aws_lambda_events, custom_serde/headers.rs, builds each HeaderValue from the string's \
     UTF-8 bytes), so bytes that are not UTF-8 \
     cannot reach the function; the driver, as the source must, replaces them with U+FFFD";

const OBS_TEXT_RESPONSE: &str = "aws_lambda_events 1.2 (custom_serde/headers.rs, \
     serialize_headers) turns each header value into a String with String::from_utf8, so a \
     response with an obs-text header cannot be serialized: the invocation fails and the source \
     answers with its function-error response (500 or 502)";

const INVALID_UTF8_TEXT_RESPONSE: &str = "lambda_http 1.3 (response.rs, convert_to_text) \
     decodes a text-like response body with encoding_rs (lossy) to put it in the JSON `body` \
     string, so invalid UTF-8 bytes become U+FFFD";

const CHARSET_TRANSCODED: &str = "lambda_http 1.3 (response.rs, convert_to_text) decodes a \
     text-like body with its charset (iso-8859-1 is windows-1252 in encoding_rs) into the JSON \
     `body` string, and the source sends that string as UTF-8 while the Content-Type still says \
     iso-8859-1: `caf\\xe9` arrives as `caf\\xc3\\xa9`";

const FIVE_MIB_REQUEST: &str = "Lambda's synchronous invocation payload limit is 6 MB \
     (6,291,456 bytes) of event JSON; 5 MiB of binary body is about 7 MB once base64-encoded in \
     the event, so the source answers 413 without calling the function";

const FIVE_MIB_RESPONSE: &str = "Lambda's synchronous invocation payload limit is 6 MB of \
     response JSON; lambda_http base64-encodes the 5 MiB binary body (about 7 MB), so the \
     invocation fails and the source answers with its function-error response (500 on HTTP API, \
     502 elsewhere)";

const V2_REQUEST_HEADERS_JOINED: &str = "payload format 2.0 joins the values of a repeated \
     request header with commas in one `headers` entry (AWS's documented v2 event format), so \
     the app sees one value `one,two,three`";

const V2_RESPONSE_FIRST_VALUE: &str = "payload 2.0 responses have no `multiValueHeaders`; \
     lambda_http 1.3 (response.rs) puts the headers in `headers`, and aws_lambda_events 1.2 \
     (custom_serde/headers.rs, serialize_headers) writes only the first value of each name";

const REST_BINARY_REQUEST: &str = "the REST API has no binary media types configured (a new \
     API's default; LambdaOptions::binary_media_types adds them), so API Gateway passes a \
     non-UTF-8 request body as text and invalid bytes become U+FFFD";

const REST_BINARY_RESPONSE: &str = "a REST API converts the function's base64 body to bytes \
     only when the first media type of the request's Accept is one of the API's binary media \
     types (none by default; LambdaOptions::binary_media_types adds them); the response's \
     Content-Type does not count, against the documentation (recorded against AWS: \
     localstack/localstack@8b9a79f0 test_apigateway_lambda.py test_aws_proxy_binary_response), \
     and the check sends no Accept, so the client receives the base64 text";

const REST_HEADERS_LAST_VALUE: &str = "lambda_http 1.3 (request.rs, into_proxy_request) merges \
     `headers`, which API Gateway fills with the last value of each name, over \
     `multiValueHeaders` (HeaderMap::extend replaces), so the app sees only `three`";

const MAP_QUERY_ORDER: &str = "the event carries the query as maps, not a raw string; \
     lambda_http 1.3 (request.rs, build_request_uri) rebuilds it from \
     the event's query map with query_map 0.7's to_query_string over a HashMap, so \
     distinct keys come back in random order, grouped by key, and a bare `b` becomes `b=`";

const REST_PLUS_AND_SPACE: &str = "API Gateway REST URL-decodes query values (`%20` to a \
     space, `+` kept) and lambda_http 1.3 re-encodes them with query_map's form-urlencoded \
     serializer, so `+` arrives as `%2B` and the space as `+`";

const ALB_PLUS_AND_SPACE: &str = "ALB passes query values still encoded; lambda_http 1.3 \
     (request.rs, decode_query_map) percent-decodes them and rebuilds the query with query_map's \
     form-urlencoded serializer, so `%20` arrives as `+`";

const ALB_RESPONSE_FIRST_VALUE: &str = "multi-value headers are off on the target group (ALB's \
     default; LambdaOptions selects them), so ALB reads `headers`, where aws_lambda_events 1.2 \
     (custom_serde/headers.rs, serialize_headers) keeps only the first value of each name";

const ALB_REQUEST_LAST_VALUE: &str = "multi-value headers are off on the target group (ALB's \
     default), so ALB sends only the last value of a repeated request header or query key";

const ALB_ONE_MB_RESPONSE: &str = "ALB limits a Lambda target's response JSON to 1 MB; the \
     base64-encoded 1 MiB body is about 1.4 MB, so ALB answers 502";

const ALB_FIVE_MIB_REQUEST: &str = "ALB limits a Lambda target's request body to 1 MB, so ALB \
     answers 413 without calling the function";

const ALB_FIVE_MIB_RESPONSE: &str = "ALB limits a Lambda target's response JSON to 1 MB, so \
     the 5 MiB body (about 7 MB in base64) makes ALB answer 502";

const REST_RESPONSE_IDS: &str = "a REST API stamps every response with ids of its own, \
     x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id (recorded against AWS: \
     aws/aws-lambda-dotnet@83149216 LambdaTestTool-v2 snapshot V1_APIHeadersRest.json), so the \
     HEAD's headers differ from the GET's by those three values";

const HTTP_API_RESPONSE_ID: &str = "an HTTP API stamps every response with its own \
     Apigw-Requestid (recorded against AWS: aws/aws-lambda-dotnet@83149216 LambdaTestTool-v2 \
     snapshot V2_HttpAPIHeaders.json), so the HEAD's headers differ from the GET's by that value";

const URL_RESPONSE_ID: &str = "a Function URL answers with the invocation's request id in \
     x-amzn-RequestId (recorded against AWS: localstack/localstack@8b9a79f0 test_lambda.py \
     TestRequestIdHandling::test_request_id_invoke_url), so the HEAD's headers differ from the \
     GET's by that value";

const RUNTIME_OBS_TEXT_RESPONSE: &str = "aws_lambda_events 1.2 (custom_serde/headers.rs, \
     serialize_headers) cannot serialize a non-UTF-8 header value; lambda_runtime 1.5 \
     (layers/api_response.rs, EventCompletionRequest::into_req) returns that error from `run`, \
     so the function's process exits (Runtime.ExitError) and HTTP API answers 500";

/// `lambda`: API Gateway HTTP API, payload 2.0.
///
/// ```
/// use crossdrive::{Kind, lambda::differences::HTTP_API};
/// assert_eq!(Kind::Lambda.known_differences().len(), HTTP_API.len());
/// // payload 2.0 keeps only the first value of a repeated response header
/// assert!(HTTP_API.iter().any(|(check, _)| *check == "repeated_response_headers_stay_separate_and_in_order"));
/// ```
pub const HTTP_API: &[(&str, &str)] = &[
    (
        "head_has_no_body_and_the_headers_of_get",
        HTTP_API_RESPONSE_ID,
    ),
    (
        "status_204_has_no_body_and_no_content_length",
        NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        V2_REQUEST_HEADERS_JOINED,
    ),
    (
        "repeated_response_headers_stay_separate_and_in_order",
        V2_RESPONSE_FIRST_VALUE,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        OBS_TEXT_RESPONSE,
    ),
    ("content_type_parameters_are_kept", CHARSET_TRANSCODED),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    (
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        INVALID_UTF8_TEXT_RESPONSE,
    ),
    ("five_mib_request_body_reaches_the_app", FIVE_MIB_REQUEST),
    ("five_mib_response_body_arrives_whole", FIVE_MIB_RESPONSE),
    ("percent_encoded_slash_stays_encoded", V2_PATH_DECODED),
    ("first_chunk_arrives_before_the_last_is_written", BUFFERED),
    ("response_trailers_arrive_after_the_body", NO_TRAILERS),
    (
        "a_cut_off_response_is_reported_as_aborted",
        CUT_OFF_IS_A_FAILED_INVOCATION,
    ),
];

/// `lambda-url`: a Function URL, payload 2.0; the same event and
/// response format as `lambda`, but `rawPath` as sent.
///
/// ```
/// use crossdrive::{Kind, lambda::differences::{FUNCTION_URL, HTTP_API}};
/// let check = "percent_encoded_slash_stays_encoded";
/// assert!(HTTP_API.iter().any(|(c, _)| *c == check));
/// assert!(!FUNCTION_URL.iter().any(|(c, _)| *c == check)); // rawPath as sent
/// assert_eq!(Kind::LambdaUrl.known_differences().len(), FUNCTION_URL.len());
/// ```
pub const FUNCTION_URL: &[(&str, &str)] = &[
    ("head_has_no_body_and_the_headers_of_get", URL_RESPONSE_ID),
    (
        "status_204_has_no_body_and_no_content_length",
        NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        V2_REQUEST_HEADERS_JOINED,
    ),
    (
        "repeated_response_headers_stay_separate_and_in_order",
        V2_RESPONSE_FIRST_VALUE,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        OBS_TEXT_RESPONSE,
    ),
    ("content_type_parameters_are_kept", CHARSET_TRANSCODED),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    (
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        INVALID_UTF8_TEXT_RESPONSE,
    ),
    ("five_mib_request_body_reaches_the_app", FIVE_MIB_REQUEST),
    ("five_mib_response_body_arrives_whole", FIVE_MIB_RESPONSE),
    ("first_chunk_arrives_before_the_last_is_written", BUFFERED),
    ("response_trailers_arrive_after_the_body", NO_TRAILERS),
    (
        "a_cut_off_response_is_reported_as_aborted",
        CUT_OFF_IS_A_FAILED_INVOCATION,
    ),
];

/// `lambda-runtime`: HTTP API events through the real runtime loop; as
/// `lambda`, except that an unserializable response ends the loop.
///
/// ```
/// use crossdrive::lambda::differences::{HTTP_API, RUNTIME};
/// fn reason(table: &[(&'static str, &'static str)]) -> &'static str {
///     table.iter().find(|(check, _)| *check == "obs_text_response_header_arrives_byte_exact").unwrap().1
/// }
/// assert_eq!(RUNTIME.len(), HTTP_API.len());
/// assert!(reason(RUNTIME).contains("Runtime.ExitError"));
/// assert_ne!(reason(RUNTIME), reason(HTTP_API));
/// ```
pub const RUNTIME: &[(&str, &str)] = &[
    (
        "head_has_no_body_and_the_headers_of_get",
        HTTP_API_RESPONSE_ID,
    ),
    (
        "status_204_has_no_body_and_no_content_length",
        NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        V2_REQUEST_HEADERS_JOINED,
    ),
    (
        "repeated_response_headers_stay_separate_and_in_order",
        V2_RESPONSE_FIRST_VALUE,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        RUNTIME_OBS_TEXT_RESPONSE,
    ),
    ("content_type_parameters_are_kept", CHARSET_TRANSCODED),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    (
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        INVALID_UTF8_TEXT_RESPONSE,
    ),
    ("five_mib_request_body_reaches_the_app", FIVE_MIB_REQUEST),
    ("five_mib_response_body_arrives_whole", FIVE_MIB_RESPONSE),
    ("percent_encoded_slash_stays_encoded", V2_PATH_DECODED),
    ("first_chunk_arrives_before_the_last_is_written", BUFFERED),
    ("response_trailers_arrive_after_the_body", NO_TRAILERS),
    (
        "a_cut_off_response_is_reported_as_aborted",
        CUT_OFF_IS_A_FAILED_INVOCATION,
    ),
];

/// `lambda-v1`: API Gateway REST API, payload 1.0, default deployment.
///
/// ```
/// use crossdrive::Kind;
/// let declared = Kind::LambdaV1.known_differences();
/// assert_eq!(declared.len(), crossdrive::lambda::differences::REST.len());
/// assert!(declared.reason("plus_and_percent_20_stay_distinct").is_some());
/// assert!(Kind::Lambda.known_differences().reason("plus_and_percent_20_stay_distinct").is_none());
/// ```
pub const REST: &[(&str, &str)] = &[
    ("head_has_no_body_and_the_headers_of_get", REST_RESPONSE_IDS),
    (
        "status_204_has_no_body_and_no_content_length",
        NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        REST_HEADERS_LAST_VALUE,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        OBS_TEXT_RESPONSE,
    ),
    (
        "content_type_parameters_are_kept",
        "both ways: the REST API has no binary media types, so the non-UTF-8 request body \
         reaches the app as text with U+FFFD; then lambda_http 1.3 (response.rs, \
         convert_to_text) decodes the echoed body as iso-8859-1 into a UTF-8 JSON string",
    ),
    ("repeated_query_keys_are_kept_in_order", MAP_QUERY_ORDER),
    ("empty_query_values_are_kept", MAP_QUERY_ORDER),
    ("plus_and_percent_20_stay_distinct", REST_PLUS_AND_SPACE),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    ("all_256_byte_values_reach_the_app", REST_BINARY_REQUEST),
    (
        "all_256_byte_values_arrive_in_the_response",
        REST_BINARY_RESPONSE,
    ),
    (
        "invalid_utf8_request_labelled_as_text_arrives_byte_exact",
        REST_BINARY_REQUEST,
    ),
    (
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        INVALID_UTF8_TEXT_RESPONSE,
    ),
    ("one_mib_request_body_reaches_the_app", REST_BINARY_REQUEST),
    ("one_mib_response_body_arrives_whole", REST_BINARY_RESPONSE),
    (
        "five_mib_request_body_reaches_the_app",
        "the REST API passes the binary body as text (no binary media types), and the event \
         JSON with it escaped is about 13 MB, over Lambda's 6 MB synchronous invocation payload \
         limit, so the source answers 413 without calling the function",
    ),
    ("five_mib_response_body_arrives_whole", FIVE_MIB_RESPONSE),
    (
        "multipart_body_arrives_with_its_boundary",
        REST_BINARY_REQUEST,
    ),
    ("first_chunk_arrives_before_the_last_is_written", BUFFERED),
    ("response_trailers_arrive_after_the_body", NO_TRAILERS),
    (
        "a_cut_off_response_is_reported_as_aborted",
        CUT_OFF_IS_A_FAILED_INVOCATION,
    ),
];

/// `lambda-alb`: an ALB target group, multi-value headers off (ALB's
/// default).
///
/// ```
/// use crossdrive::DriverSpec;
/// use crossdrive::lambda::{LambdaOptions, Source, differences::ALB};
/// let check = "three_set_cookie_headers_stay_three";
/// assert!(ALB.iter().any(|(c, _)| *c == check));
/// // with multi-value headers on, the target group keeps all three
/// let multi = DriverSpec::lambda(LambdaOptions::new(Source::Alb { multi_value_headers: true }));
/// assert!(multi.known_differences().reason(check).is_none());
/// ```
pub const ALB: &[(&str, &str)] = &[
    (
        "status_204_has_no_body_and_no_content_length",
        NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        ALB_REQUEST_LAST_VALUE,
    ),
    (
        "repeated_response_headers_stay_separate_and_in_order",
        ALB_RESPONSE_FIRST_VALUE,
    ),
    (
        "three_set_cookie_headers_stay_three",
        ALB_RESPONSE_FIRST_VALUE,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        OBS_TEXT_RESPONSE,
    ),
    ("content_type_parameters_are_kept", CHARSET_TRANSCODED),
    (
        "repeated_query_keys_are_kept_in_order",
        ALB_REQUEST_LAST_VALUE,
    ),
    ("empty_query_values_are_kept", MAP_QUERY_ORDER),
    ("plus_and_percent_20_stay_distinct", ALB_PLUS_AND_SPACE),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    (
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        INVALID_UTF8_TEXT_RESPONSE,
    ),
    ("one_mib_response_body_arrives_whole", ALB_ONE_MB_RESPONSE),
    (
        "five_mib_request_body_reaches_the_app",
        ALB_FIVE_MIB_REQUEST,
    ),
    (
        "five_mib_response_body_arrives_whole",
        ALB_FIVE_MIB_RESPONSE,
    ),
    (
        "response_cookies_keep_their_attributes",
        ALB_RESPONSE_FIRST_VALUE,
    ),
    ("first_chunk_arrives_before_the_last_is_written", BUFFERED),
    ("response_trailers_arrive_after_the_body", NO_TRAILERS),
    (
        "a_cut_off_response_is_reported_as_aborted",
        CUT_OFF_IS_A_FAILED_INVOCATION,
    ),
];

/// The differences of a Lambda driver deployed as `options` say: the
/// source's table, less what the deployment fixes (multi-value headers on
/// an ALB target group, a binary media type on a REST API covering the
/// `application/octet-stream` request bodies the conformance checks send).
pub(crate) fn for_options(options: &super::LambdaOptions) -> Vec<(&'static str, &'static str)> {
    let table = match options.source() {
        super::Source::HttpApi => HTTP_API,
        super::Source::FunctionUrl => FUNCTION_URL,
        super::Source::Rest => REST,
        super::Source::Alb { .. } => ALB,
    };
    let multi_value = matches!(
        options.source(),
        super::Source::Alb {
            multi_value_headers: true
        }
    );
    let rest = options.source() == super::Source::Rest;
    let short_urls = rest && options.get_endpoint() != super::Endpoint::Regional;
    let private = rest && options.get_endpoint() == super::Endpoint::Private;
    let rest_binary = options.source() == super::Source::Rest
        && options.is_binary_media_type("application/octet-stream");
    // The checks whose request bodies are `application/octet-stream`;
    // those sent as text/plain or multipart stay mangled unless their types
    // are binary media types too. The response checks stay base64 text: the
    // REST API converts only for a matching first Accept type, and they
    // send no Accept.
    const OCTET_STREAM_CHECKS: &[&str] = &[
        "all_256_byte_values_reach_the_app",
        "one_mib_request_body_reaches_the_app",
    ];
    table
        .iter()
        .filter(|(check, reason)| {
            let fixed_by_multi_value = multi_value
                && (*reason == ALB_RESPONSE_FIRST_VALUE || *reason == ALB_REQUEST_LAST_VALUE);
            let fixed_by_binary_type = rest_binary && OCTET_STREAM_CHECKS.contains(check);
            !(fixed_by_multi_value || fixed_by_binary_type)
        })
        .copied()
        .chain(
            // With multi-value headers on, ALB sends the query as
            // `multiValueQueryStringParameters`: repeated keys arrive, but
            // grouped per key, as every map-shaped query does.
            (multi_value).then_some(("repeated_query_keys_are_kept_in_order", MAP_QUERY_ORDER)),
        )
        .chain(short_urls.then_some(("very_long_url_arrives_whole", SHORT_URL_LIMIT)))
        .chain(private.then_some(("very_long_request_header_arrives_whole", PRIVATE_HEADERS)))
        .collect()
}

/// Why the long-header check fails on a private REST API.
const PRIVATE_HEADERS: &str = "a private REST API takes 8,000 bytes of headers in all, and the \
     check sends one header of 8 KiB (a Regional or edge-optimized API takes 10,240; \
     https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)";

/// Why the long-URL check fails on an edge-optimized or private REST API.
const SHORT_URL_LIMIT: &str = "an edge-optimized or private REST API refuses a URL over 8,192 \
     characters with 414, and the check's URL is about 8,260 (a Regional API takes 10,240; \
     https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)";

/// `lambda-url-stream`: a Function URL with `InvokeMode: RESPONSE_STREAM`.
/// The event is `lambda-url`'s, but the response travels as a metadata
/// prelude and raw body bytes (lambda_runtime 1.5, `requests.rs`), so the
/// buffered payload 2.0 response rules (one value per header, text bodies
/// decoded into a JSON string, the 6 MB response limit) do not apply.
///
/// ```
/// use crossdrive::{Kind, lambda::differences::URL_STREAM};
/// assert_eq!(Kind::LambdaUrlStream.known_differences().len(), URL_STREAM.len());
/// ```
pub const URL_STREAM: &[(&str, &str)] = &[
    (
        "status_204_has_no_body_and_no_content_length",
        STREAM_NO_CONTENT_LENGTH,
    ),
    (
        "repeated_request_headers_arrive_in_order",
        V2_REQUEST_HEADERS_JOINED,
    ),
    (
        "obs_text_request_header_arrives_byte_exact",
        OBS_TEXT_REQUEST,
    ),
    (
        "obs_text_response_header_arrives_byte_exact",
        STREAM_OBS_TEXT_RESPONSE,
    ),
    ("dot_segments_are_delivered_as_sent", DOT_SEGMENTS),
    ("five_mib_request_body_reaches_the_app", FIVE_MIB_REQUEST),
    (
        "response_trailers_arrive_after_the_body",
        STREAM_NO_TRAILERS,
    ),
];

const STREAM_NO_TRAILERS: &str = "lambda_http 1.3.2 (streaming.rs:309-312, the body stream behind \
     run_with_streaming_response) ends the response at the first frame that is not data, so a \
     trailer frame ends the body there and never reaches the Runtime API; the streaming \
     protocol's only trailers are Lambda's own error headers, and AWS documents none for a \
     Function URL client";

const STREAM_NO_CONTENT_LENGTH: &str = "axum 0.8 adds `Content-Length: 0` to the empty 204 (as \
     on `direct`), lambda_http 1.3 (streaming.rs, into_stream_response) keeps every response \
     header in the streaming prelude and lambda_runtime 1.5 (requests.rs) serializes them all, so \
     the client receives the header the function sent";

const STREAM_OBS_TEXT_RESPONSE: &str = "lambda_runtime 1.5 serializes the streaming prelude's \
     headers with http-serde 2.1 (header_map, ToSeq), which keeps only values that are valid \
     `to_str` text: an obs-text value becomes an empty list, so the header never reaches the \
     client (noted as `stream-header-dropped`)";

/// The WebSocket conformance checks (feature `websocket`) a Lambda HTTP
/// event source deployed as `options` say cannot meet: every one that
/// needs an accepted socket (none of these sources carries a WebSocket,
/// `upgrade.rs`), and on an ALB the refusal too, which ALB answers itself.
#[cfg(feature = "websocket")]
pub(crate) fn websocket(options: &super::LambdaOptions) -> Vec<(&'static str, &'static str)> {
    let alb = matches!(options.source(), super::Source::Alb { .. });
    let reason = match options.source() {
        super::Source::HttpApi | super::Source::Rest => WS_API_GATEWAY,
        super::Source::FunctionUrl => WS_FUNCTION_URL,
        super::Source::Alb { .. } => WS_ALB,
    };
    let mut table = crate::conformance::websocket_not_carried(reason);
    if alb {
        table.push((crate::conformance::WEBSOCKET_REFUSED, WS_ALB));
    }
    table
}

#[cfg(feature = "websocket")]
const WS_API_GATEWAY: &str = "websocket-not-carried: API Gateway's REST and HTTP APIs are \
     request-response (\"RESTful APIs that are HTTP-based and enable stateless client-server \
     communication\"; WebSocket APIs are a separate API type, \
     https://docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html), so the handshake \
     reaches the function as an ordinary request and the app's answer (axum's 426) comes back";

#[cfg(feature = "websocket")]
const WS_FUNCTION_URL: &str = "websocket-not-carried: a Function URL is \"a dedicated HTTP(S) \
     endpoint\", each request one invocation \
     (https://docs.aws.amazon.com/lambda/latest/dg/lambda-urls.html), so the handshake reaches \
     the function as an ordinary request and the app's answer (axum's 426) comes back";

#[cfg(feature = "websocket")]
const WS_ALB: &str = "websocket-not-carried: for Lambda targets \"WebSockets are not supported. \
     Upgrade requests are rejected with an HTTP 400 code\" \
     (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html), \
     so ALB answers the handshake 400 itself and the function never sees it";
