//! Deliberately broken drivers: the conformance suite must catch each bug
//! in exactly the checks it breaks, with a message pointing at the cause.
//!
//! Each broken driver wraps the real `direct` driver and damages the
//! exchange the way real adapters have: keeping the first of repeated
//! response headers (API Gateway HTTP API v2), base64-decoding a body that
//! was never encoded (a Lambda driver decoding twice), folding repeated
//! request headers with `,`, and decoding text bodies as lossy UTF-8.

use std::collections::BTreeSet;

use bytes::Bytes;
use crossdrive::conformance::{self, Expectations, Outcome};
use crossdrive::{BoxFuture, Client, Driver, DriverResponse, DriverStream, Error, RequestBody};
use crossdrive::{Direct, Kind};
use http::{HeaderMap, HeaderValue, Request};

/// How a [`Broken`] driver damages the exchange.
#[derive(Clone, Copy)]
enum Bug {
    DropsRepeatedResponseHeaders,
    DecodesBase64Twice,
    FoldsRepeatedRequestHeaders,
    DecodesTextAsLossyUtf8,
}

struct Broken {
    inner: Direct,
    bug: Bug,
}

impl Driver for Broken {
    fn name(&self) -> &str {
        match self.bug {
            Bug::DropsRepeatedResponseHeaders => "drops-repeated-headers",
            Bug::DecodesBase64Twice => "decodes-base64-twice",
            Bug::FoldsRepeatedRequestHeaders => "folds-request-headers",
            Bug::DecodesTextAsLossyUtf8 => "lossy-utf8",
        }
    }

    /// Streams as `direct` does: the bugs live in the buffered path, which
    /// the checks these tests pin go through.
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        self.inner.stream(request)
    }

    /// Carries a WebSocket as `direct` does: the bugs are HTTP ones.
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crossdrive::websocket::Handshake, Error>> {
        self.inner.websocket(request)
    }

    fn send(&self, mut request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            if let Bug::FoldsRepeatedRequestHeaders = self.bug {
                *request.headers_mut() = fold(request.headers());
            }
            let mut delivered = self.inner.send(request).await?;
            let response = &mut delivered.response;
            match self.bug {
                Bug::DropsRepeatedResponseHeaders => {
                    let mut first_only = HeaderMap::new();
                    for name in response.headers().keys() {
                        if let Some(value) = response.headers().get(name) {
                            first_only.insert(name.clone(), value.clone());
                        }
                    }
                    *response.headers_mut() = first_only;
                }
                Bug::DecodesBase64Twice => {
                    if let Some(decoded) = base64_decode(response.body()) {
                        *response.body_mut() = Bytes::from(decoded);
                    }
                }
                Bug::DecodesTextAsLossyUtf8 => {
                    let is_text = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|t| t.starts_with("text/"));
                    if is_text {
                        let lossy = String::from_utf8_lossy(response.body()).into_owned();
                        *response.body_mut() = Bytes::from(lossy);
                    }
                }
                Bug::FoldsRepeatedRequestHeaders => {}
            }
            Ok(delivered)
        })
    }
}

fn fold(headers: &HeaderMap) -> HeaderMap {
    let mut folded = HeaderMap::new();
    for name in headers.keys() {
        let joined: Vec<&[u8]> = headers.get_all(name).iter().map(|v| v.as_bytes()).collect();
        if let Ok(value) = HeaderValue::from_bytes(&joined.join(&b", "[..])) {
            folded.insert(name.clone(), value);
        }
    }
    folded
}

/// Standard base64 with padding; `None` unless the whole body is valid.
fn base64_decode(body: &[u8]) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if body.is_empty() || !body.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for quad in body.chunks(4) {
        let mut bits = 0u32;
        let mut pad = 0;
        for &c in quad {
            let v = match c {
                b'=' => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return None,
                _ => ALPHABET.iter().position(|&a| a == c)? as u32,
            };
            bits = (bits << 6) | v;
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

fn broken(bug: Bug) -> Client {
    Client::new(Broken {
        inner: Direct::new(crossdrive::conformance::echo::app()),
        bug,
    })
}

/// Runs the suite on a broken driver (with direct's own declared
/// differences, since it wraps direct) and returns the failed checks with
/// their messages.
fn failures(bug: Bug) -> Vec<(String, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = broken(bug);
    let report = rt.block_on(conformance::run(&client, &Kind::Direct.known_differences()));
    report
        .failures()
        .iter()
        .map(|r| {
            let message = conformance::explain(r.check, report.driver(), &r.outcome).unwrap();
            (r.check.name.to_owned(), message)
        })
        .collect()
}

fn names(failures: &[(String, String)]) -> BTreeSet<&str> {
    failures.iter().map(|(n, _)| n.as_str()).collect()
}

fn message<'a>(failures: &'a [(String, String)], check: &str) -> &'a str {
    &failures.iter().find(|(n, _)| n == check).unwrap().1
}

#[test]
fn dropping_repeated_response_headers_fails_exactly_the_repeated_header_checks() {
    let failed = failures(Bug::DropsRepeatedResponseHeaders);
    assert_eq!(
        names(&failed),
        BTreeSet::from([
            "repeated_response_headers_stay_separate_and_in_order",
            "three_set_cookie_headers_stay_three",
            "response_cookies_keep_their_attributes",
        ]),
    );
    let cookies = message(&failed, "three_set_cookie_headers_stay_three");
    assert!(
        cookies.contains("on driver `drops-repeated-headers`"),
        "{cookies}"
    );
    assert!(
        cookies.contains("expected: 3 separate headers"),
        "{cookies}"
    );
    assert!(cookies.contains("received: 1 header(s)"), "{cookies}");
    assert!(
        cookies.contains("likely cause: the adapter kept one Set-Cookie"),
        "{cookies}"
    );
    let multi = message(
        &failed,
        "repeated_response_headers_stay_separate_and_in_order",
    );
    assert!(
        multi.contains(r#"expected: ["one", "two", "three"]"#),
        "{multi}"
    );
    assert!(multi.contains(r#"received: ["one"]"#), "{multi}");
    assert!(multi.contains("kept only the first value"), "{multi}");
}

#[test]
fn decoding_base64_twice_fails_the_base64_lookalike_check_naming_the_cause() {
    let failed = failures(Bug::DecodesBase64Twice);
    assert_eq!(
        names(&failed),
        BTreeSet::from(["text_that_looks_like_base64_is_not_decoded"])
    );
    let text = message(&failed, "text_that_looks_like_base64_is_not_decoded");
    assert!(text.contains("on driver `decodes-base64-twice`"), "{text}");
    assert!(text.contains(r#"b"aGVsbG8gd29ybGQ=""#), "{text}");
    assert!(text.contains(r#"b"hello world""#), "{text}");
    assert!(text.contains("(decoded twice)"), "{text}");
}

#[test]
fn folding_repeated_request_headers_fails_the_request_header_check() {
    let failed = failures(Bug::FoldsRepeatedRequestHeaders);
    assert_eq!(
        names(&failed),
        BTreeSet::from(["repeated_request_headers_arrive_in_order"])
    );
    let text = message(&failed, "repeated_request_headers_arrive_in_order");
    assert!(text.contains(r#"received: ["one, two, three"]"#), "{text}");
    assert!(text.contains("folded repeated request headers"), "{text}");
}

#[test]
fn lossy_utf8_decoding_fails_the_text_body_checks_and_says_it_decoded() {
    let failed = failures(Bug::DecodesTextAsLossyUtf8);
    assert_eq!(
        names(&failed),
        BTreeSet::from([
            // Its body is Latin-1 text, labelled charset=iso-8859-1: not UTF-8 either.
            "content_type_parameters_are_kept",
            "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
        ])
    );
    let text = message(
        &failed,
        "invalid_utf8_response_labelled_as_text_arrives_byte_exact",
    );
    assert!(text.contains("so it was decoded as UTF-8"), "{text}");
}

#[test]
fn a_declared_difference_is_reported_with_its_reason_not_as_a_pass() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reason = "this gateway keeps one value per header";
    let expect = Kind::Direct
        .known_differences()
        .difference(
            "repeated_response_headers_stay_separate_and_in_order",
            reason,
        )
        .difference("three_set_cookie_headers_stay_three", reason)
        .difference("response_cookies_keep_their_attributes", reason);
    let report = rt.block_on(conformance::run(
        &broken(Bug::DropsRepeatedResponseHeaders),
        &expect,
    ));
    assert!(report.is_success(), "{report}");
    assert!(matches!(
        report.outcome("three_set_cookie_headers_stay_three"),
        Some(Outcome::KnownDifference { reason: r, .. }) if r == reason
    ));
    assert_eq!(report.known_differences(), 4, "{report}");
    assert!(report.to_string().contains(reason));
}

#[test]
fn a_declared_difference_that_passes_is_reported_as_stale() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let expect = Kind::Direct
        .known_differences()
        .difference("trailing_slash_is_kept", "we thought it was stripped");
    let report = rt.block_on(conformance::run(
        &Client::new(Direct::new(crossdrive::conformance::echo::app())),
        &expect,
    ));
    assert!(!report.is_success());
    assert!(matches!(
        report.outcome("trailing_slash_is_kept"),
        Some(Outcome::StaleDifference { .. })
    ));
    assert!(
        report.to_string().contains("remove the declaration"),
        "{report}"
    );
}

#[test]
fn a_misspelled_declaration_is_rejected() {
    let expect = Expectations::new().difference("three_set_cookies_stay_three", "typo");
    assert!(
        expect
            .validate()
            .unwrap_err()
            .contains("three_set_cookies_stay_three")
    );
}

/// The user-facing macro on a user's own driver: one test per check, here
/// with the broken driver's bug declared as its known difference.
mod declared_broken_driver {
    use super::*;

    fn expectations() -> Expectations {
        Kind::Direct.known_differences().difference(
            "text_that_looks_like_base64_is_not_decoded",
            "this adapter decodes every base64-looking body (the bug under test)",
        )
    }

    crossdrive::conformance_tests! {
        driver = || Broken {
            inner: Direct::new(crossdrive::conformance::echo::app()),
            bug: Bug::DecodesBase64Twice,
        },
        expect = expectations(),
    }
}

#[test]
fn parity_names_the_driver_that_drops_repeated_headers_and_shows_the_diff() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut parity = crossdrive::parity::Parity::new("three_cookies");
    rt.block_on(async {
        let direct = || Client::new(Direct::new(crossdrive::conformance::echo::app()));
        parity.add(direct().get("/cookies").await);
        parity.add(direct().get("/cookies").await);
        parity.add(
            broken(Bug::DropsRepeatedResponseHeaders)
                .get("/cookies")
                .await,
        );
    });
    let message = parity.check().unwrap_err();
    assert!(
        message.contains("driver `drops-repeated-headers` diverges from `direct`, `direct`"),
        "{message}"
    );
    assert!(
        message.contains("-set-cookie: theme=dark; Max-Age=3600; Path=/"),
        "{message}"
    );
}
