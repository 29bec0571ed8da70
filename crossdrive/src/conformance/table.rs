//! The list of checks: one macro table, so that macros can turn it into
//! one named `#[test]` per check (macro_rules cannot iterate over a runtime
//! list) and the runtime registry [`CHECKS`](super::CHECKS) comes from the
//! very same entries. A new check is one entry here plus its `async fn` of
//! the same name in `checks.rs`; the compiler refuses one without the other.
//!
//! The WebSocket checks (feature `websocket`) are a link of their own,
//! defined twice (with and without the feature) as the driver table's
//! families are: the table expands in the user's crate, where a
//! `#[cfg(feature = ..)]` would test the user's features, so the rows a
//! user's `conformance!` sees are the ones this crate was built with.

/// Calls `$callback! { [$args] [websocket check names] { name: .., category: .., expects: "..", cause: ".." } ... }`
/// with the names of the WebSocket checks (the only ones a driver that
/// carries WebSockets only runs; none without the `websocket` feature),
/// then one entry per conformance check, in report order.
///
/// `expects` says what the check requires of a driver; `cause` says what
/// usually breaks it, and is printed with every failure.
#[doc(hidden)]
#[macro_export]
macro_rules! conformance_table {
    ($callback:path [$($args:tt)*]) => {
        $crate::__conformance_table_websocket! { $callback [$($args)*]
            // ---- methods
            { name: get_is_reflected_with_its_method_and_path, category: Methods,
              expects: "GET /echo/resource reaches the app as GET with that path",
              cause: "the driver rewrote the method or the path (a stage prefix, a base path)" }
            { name: head_has_no_body_and_the_headers_of_get, category: Methods,
              expects: "HEAD answers with no body and the same headers, Content-Length included, as GET",
              cause: "the adapter sent a body for HEAD, or recomputed Content-Length from the empty body" }
            { name: post_body_arrives_intact, category: Methods,
              expects: "POST reaches the app as POST with its body byte for byte",
              cause: "the driver dropped or re-encoded the request body" }
            { name: put_body_arrives_intact, category: Methods,
              expects: "PUT reaches the app as PUT with its body byte for byte",
              cause: "the driver dropped or re-encoded the request body" }
            { name: patch_body_arrives_intact, category: Methods,
              expects: "PATCH reaches the app as PATCH with its body byte for byte",
              cause: "the driver dropped or re-encoded the request body" }
            { name: delete_is_reflected, category: Methods,
              expects: "DELETE reaches the app as DELETE",
              cause: "the driver rewrote the method" }
            { name: options_is_reflected, category: Methods,
              expects: "OPTIONS reaches the app (not answered by the adapter itself)",
              cause: "the adapter answered OPTIONS itself (CORS preflight handling) instead of the app" }
            { name: extension_method_purge_is_reflected, category: Methods,
              expects: "an extension method (PURGE) reaches the app unchanged",
              cause: "the driver only knows the standard methods" }
            // ---- status codes
            { name: status_200_is_kept, category: Status,
              expects: "200 with its body",
              cause: "the driver rewrote the status" }
            { name: status_201_is_kept, category: Status,
              expects: "201 with its body",
              cause: "the driver rewrote the status" }
            { name: status_204_has_no_body_and_no_content_length, category: Status,
              expects: "204 with an empty body and no Content-Length header (RFC 9110 §8.6)",
              cause: "the adapter added Content-Length: 0 or a body to a 204" }
            { name: redirect_301_is_not_followed_and_keeps_location, category: Status,
              expects: "301 is returned as is, with its Location, not followed",
              cause: "the driver's client follows redirects" }
            { name: redirect_302_is_not_followed_and_keeps_location, category: Status,
              expects: "302 is returned as is, with its Location, not followed",
              cause: "the driver's client follows redirects" }
            { name: status_304_has_no_body, category: Status,
              expects: "304 with an empty body and its ETag",
              cause: "the adapter added a body to a 304 or dropped its validators" }
            { name: status_400_is_kept, category: Status,
              expects: "400 with its body",
              cause: "the driver turned an error status into an error or rewrote it" }
            { name: unknown_path_is_404, category: Status,
              expects: "a path with no route is the app's 404",
              cause: "the adapter answered the unknown path itself" }
            { name: wrong_method_is_405_with_allow, category: Status,
              expects: "DELETE on a GET-only route is 405 with an Allow header listing GET",
              cause: "the adapter dropped the Allow header or rewrote the status" }
            { name: oversized_body_is_413, category: Status,
              expects: "a body over the route's limit is the app's 413",
              cause: "the driver rejected or truncated the body before the app saw it" }
            { name: status_500_is_a_response_not_an_error, category: Status,
              expects: "500 arrives as a response with its body, not as a driver error",
              cause: "the driver treats 5xx as a failed exchange" }
            { name: uncommon_status_418_is_kept, category: Status,
              expects: "418 is delivered as 418",
              cause: "the adapter maps unknown statuses to 500 or 200" }
            { name: uncommon_status_599_is_kept, category: Status,
              expects: "599, the highest 5xx, is delivered as 599",
              cause: "the adapter maps statuses without a reason phrase to 500" }
            // ---- headers
            { name: repeated_request_headers_arrive_in_order, category: Headers,
              expects: "three x-repeat request headers reach the app as three values, in order",
              cause: "the adapter folded repeated request headers with `,` or kept only one (single-valued header maps)" }
            { name: repeated_response_headers_stay_separate_and_in_order, category: Headers,
              expects: "three x-multi response headers arrive as three values, in order",
              cause: "the adapter kept only the first value of a repeated response header, or folded them with `,`" }
            { name: three_set_cookie_headers_stay_three, category: Headers,
              expects: "three Set-Cookie headers arrive as three, in order",
              cause: "the adapter kept one Set-Cookie, or folded them with `,` (which corrupts Expires dates)" }
            { name: request_header_names_are_case_insensitive, category: Headers,
              expects: "a header sent as X-Crossdrive-Case is found by the app under any case",
              cause: "the adapter looked headers up case-sensitively or lost mixed-case names" }
            { name: header_values_keep_their_case, category: Headers,
              expects: "header values keep their letter case both ways",
              cause: "the adapter lowercased header values along with names" }
            { name: obs_text_request_header_arrives_byte_exact, category: Headers,
              expects: "a request header with non-ASCII obs-text bytes reaches the app byte for byte",
              cause: "the adapter decoded header values as UTF-8 and replaced invalid bytes" }
            { name: obs_text_response_header_arrives_byte_exact, category: Headers,
              expects: "a response header with non-ASCII obs-text bytes arrives byte for byte",
              cause: "the adapter decoded header values as UTF-8 and replaced invalid bytes" }
            { name: very_long_request_header_arrives_whole, category: Headers,
              expects: "an 8 KiB request header value reaches the app whole",
              cause: "a header size limit in the driver or its server" }
            { name: very_long_response_header_arrives_whole, category: Headers,
              expects: "an 8 KiB response header value arrives whole",
              cause: "a header size limit in the driver's client" }
            { name: host_header_reaches_the_app, category: Headers,
              expects: "the Host given by the test reaches the app (as Host, or the HTTP/2 authority)",
              cause: "the driver replaced Host with its own server address" }
            { name: content_type_parameters_are_kept, category: Headers,
              expects: "Content-Type with parameters (charset, format) is kept both ways",
              cause: "the adapter normalised or stripped media type parameters" }
            // ---- query and path
            { name: repeated_query_keys_are_kept_in_order, category: QueryAndPath,
              expects: "?a=1&a=2&b=x&a=3 reaches the app exactly",
              cause: "the adapter parsed the query into a single-valued map (API Gateway queryStringParameters)" }
            { name: empty_query_values_are_kept, category: QueryAndPath,
              expects: "?a=&b&c= reaches the app exactly, bare keys included",
              cause: "the adapter dropped keys without values while rebuilding the query" }
            { name: plus_and_percent_20_stay_distinct, category: QueryAndPath,
              expects: "?q=a+b&r=a%20b reaches the app exactly: + is not turned into %20 or back",
              cause: "the adapter decoded and re-encoded the query" }
            { name: percent_encoded_slash_stays_encoded, category: QueryAndPath,
              expects: "/echo/a%2Fb/c reaches the app with %2F still encoded",
              cause: "the adapter decoded the path, turning %2F into a segment separator" }
            { name: unicode_path_and_query_arrive_percent_encoded, category: QueryAndPath,
              expects: "/echo/caf%C3%A9?q=%E2%9C%93 reaches the app exactly",
              cause: "the adapter decoded non-ASCII percent-escapes or re-encoded them differently" }
            { name: trailing_slash_is_kept, category: QueryAndPath,
              expects: "/echo/dir/ reaches the app with its trailing slash",
              cause: "the adapter normalised the path" }
            { name: dot_segments_are_delivered_as_sent, category: QueryAndPath,
              expects: "/echo/a/../b/./c reaches the app as sent, not resolved",
              cause: "the adapter or its client resolved dot segments" }
            { name: very_long_url_arrives_whole, category: QueryAndPath,
              expects: "an 8 KiB request target (path and query) reaches the app whole",
              cause: "a URL length limit in the driver or its server" }
            { name: percent_escapes_in_the_query_are_not_decoded, category: QueryAndPath,
              expects: "?k=%26%3D%25 reaches the app still encoded",
              cause: "the adapter decoded the query, changing its meaning (%26 becomes a separator)" }
            // ---- bodies
            { name: empty_request_body_arrives_empty, category: Bodies,
              expects: "a POST without a body reaches the app with an empty body",
              cause: "the adapter invented a body (\"null\", \"{}\")" }
            { name: empty_response_body_arrives_empty, category: Bodies,
              expects: "a 200 with an empty body arrives empty",
              cause: "the adapter invented a body" }
            { name: all_256_byte_values_reach_the_app, category: Bodies,
              expects: "a request body of all 256 byte values reaches the app byte for byte",
              cause: "the adapter treated the binary request body as text (lossy UTF-8) or mishandled base64" }
            { name: all_256_byte_values_arrive_in_the_response, category: Bodies,
              expects: "a response body of all 256 byte values arrives byte for byte",
              cause: "the adapter treated the binary response body as text (lossy UTF-8) or mishandled base64" }
            { name: invalid_utf8_request_labelled_as_text_arrives_byte_exact, category: Bodies,
              expects: "invalid UTF-8 sent as text/plain; charset=utf-8 reaches the app byte for byte",
              cause: "the adapter decoded the text-labelled body as UTF-8 and replaced invalid bytes" }
            { name: invalid_utf8_response_labelled_as_text_arrives_byte_exact, category: Bodies,
              expects: "invalid UTF-8 answered as text/plain; charset=utf-8 arrives byte for byte",
              cause: "the adapter decoded the text-labelled body as UTF-8 and replaced invalid bytes" }
            { name: text_that_looks_like_base64_is_not_decoded, category: Bodies,
              expects: "a text body that happens to be valid base64 arrives as that text",
              cause: "the adapter base64-decoded a body that was not base64-encoded (decoded twice)" }
            { name: one_mib_request_body_reaches_the_app, category: Bodies,
              expects: "a 1 MiB request body reaches the app whole and in order",
              cause: "a body size limit or a truncating read in the driver" }
            { name: one_mib_response_body_arrives_whole, category: Bodies,
              expects: "a 1 MiB response body arrives whole and in order",
              cause: "a body size limit or a truncating read in the driver" }
            { name: five_mib_request_body_reaches_the_app, category: Bodies,
              expects: "a 5 MiB request body reaches the app whole and in order",
              cause: "a body size limit or a truncating read in the driver" }
            { name: five_mib_response_body_arrives_whole, category: Bodies,
              expects: "a 5 MiB response body arrives whole and in order",
              cause: "a body size limit (Lambda's 6 MB payload, base64 growth) or a truncating read" }
            { name: json_body_round_trips, category: Bodies,
              expects: "a JSON request body (with non-ASCII text) reaches the app byte for byte with its Content-Type",
              cause: "the adapter re-serialized the JSON or changed its encoding" }
            { name: form_body_arrives_with_its_content_type, category: Bodies,
              expects: "an application/x-www-form-urlencoded body reaches the app unchanged",
              cause: "the adapter parsed or re-encoded the form" }
            { name: multipart_body_arrives_with_its_boundary, category: Bodies,
              expects: "a multipart/form-data body with a binary part reaches the app byte for byte, boundary included",
              cause: "the adapter treated the multipart body as text or lost the boundary parameter" }
            { name: streamed_response_arrives_whole_and_in_order, category: Bodies,
              expects: "a streamed (chunked) response of 64 chunks arrives whole and in order",
              cause: "the driver stopped reading at the first chunk or reordered frames" }
            { name: server_sent_events_arrive_whole, category: Bodies,
              expects: "a text/event-stream response arrives whole, every event in order",
              cause: "the driver buffers or drops streamed events, or rewrote the content type" }
            // ---- cookies
            { name: request_cookie_pairs_arrive_as_sent, category: Cookies,
              expects: "Cookie: a=1; b=2; c=3 reaches the app with every pair, in order",
              cause: "the adapter dropped or reordered cookie pairs (a v2 `cookies` array rebuilt wrongly)" }
            { name: response_cookies_keep_their_attributes, category: Cookies,
              expects: "Set-Cookie attributes (Path, HttpOnly, Secure, SameSite, Max-Age, Expires, Domain) arrive unchanged",
              cause: "the adapter parsed and rebuilt cookies, or split a cookie at the comma of its Expires date" }
            // ---- streaming
            { name: first_chunk_arrives_before_the_last_is_written, category: Streaming,
              expects: "a response's first chunk reaches the client while the app still holds back its last",
              cause: "the driver or its adapter buffers the whole response before the client sees a byte" }
            { name: response_trailers_arrive_after_the_body, category: Streaming,
              expects: "a trailer the app sends after its body arrives as a trailer, the body intact",
              cause: "the protocol or adapter has no trailers (HTTP/1.1 without `TE: trailers`, a Lambda event) or the driver dropped them" }
            { name: a_cut_off_response_is_reported_as_aborted, category: Streaming,
              expects: "a body the app breaks off after its first chunk ends in an error, not as a complete response",
              cause: "the driver turned a broken body into a clean end, or the adapter turned it into an error response" }
            { name: chunked_request_body_arrives_whole, category: Streaming,
              expects: "a request body sent as three chunks with no length reaches the app byte for byte",
              cause: "the driver dropped chunks, or the adapter mishandled a body without Content-Length" }
        }
    };
}

/// The WebSocket checks: what a driver must carry of RFC 6455 between the
/// test's socket and the echo app's `/ws` endpoint.
#[cfg(feature = "websocket")]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_table_websocket {
    ($callback:path [$($args:tt)*] $($http:tt)*) => {
        $crate::__conformance_table_end! { $callback [$($args)*] [$($http)*]
            // ---- websockets
            { name: websocket_text_message_comes_back_as_sent, category: WebSockets,
              expects: "a text message (with non-ASCII text) sent on the echo app's WebSocket comes back as the same text",
              cause: "the driver cannot carry a WebSocket (the handshake was refused), or it altered the message" }
            { name: websocket_binary_message_comes_back_as_sent, category: WebSockets,
              expects: "a binary message of all 256 byte values comes back as the same binary message",
              cause: "the adapter refuses or re-encodes binary frames (API Gateway closes with 1003)" }
            { name: websocket_message_split_across_frames_arrives_whole, category: WebSockets,
              expects: "a text message sent as continuation frames of 3 bytes (one character split between two) reaches the app as one message",
              cause: "the driver or adapter delivered each frame as a message, or broke the UTF-8 split across frames" }
            { name: websocket_one_mib_message_arrives_whole, category: WebSockets,
              expects: "a 1 MiB text message, sent in frames of 32 KiB, comes back whole as one message",
              cause: "a message size limit (API Gateway's 128 KB closes with 1009), or flow control stalled on a large message" }
            { name: websocket_ping_is_answered_with_its_payload, category: WebSockets,
              expects: "a ping from the client is answered with a pong carrying the same payload",
              cause: "the adapter swallows control frames or does not answer pings" }
            { name: websocket_app_ping_reaches_the_client, category: WebSockets,
              expects: "a ping the app sends reaches the client, whose pong reaches the app",
              cause: "the adapter gives the app no way to ping (API Gateway's @connections API has none) or drops control frames" }
            { name: websocket_client_close_code_reaches_the_app, category: WebSockets,
              expects: "the client's close code and reason (4001) are what the app sees",
              cause: "the adapter replaced the client's close frame, or the app never saw it" }
            { name: websocket_app_close_code_reaches_the_client, category: WebSockets,
              expects: "the app's close code and reason (4002) are what the client sees",
              cause: "the adapter closes with a code of its own, or drops the close frame (1006)" }
            { name: websocket_subprotocol_is_negotiated, category: WebSockets,
              expects: "of the subprotocols the client offers, the one the app supports is the one the handshake settles",
              cause: "the driver dropped Sec-WebSocket-Protocol on the way in or out" }
            { name: websocket_refused_handshake_is_the_apps_response, category: WebSockets,
              expects: "a handshake the app refuses (403 with a JSON body) reaches the client as that response",
              cause: "the adapter answered the handshake itself, or dropped the refusal's status or body" }
        }
    };
}

/// Without the `websocket` feature there are no WebSocket checks.
#[cfg(not(feature = "websocket"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_table_websocket {
    ($callback:path [$($args:tt)*] $($http:tt)*) => {
        $crate::__conformance_table_end! { $callback [$($args)*] [$($http)*] }
    };
}

/// Hands the table to its callback: the WebSocket checks' names, then
/// every entry, HTTP first.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_table_end {
    ($callback:path [$($args:tt)*] [$($http:tt)*] $({ name: $name:ident, $($rest:tt)* })*) => {
        $callback! { [$($args)*] [$($name)*] $($http)* $({ name: $name, $($rest)* })* }
    };
}
