//! Secrets never reach a failure report: a bearer token, cookies, a
//! `Set-Cookie` session and headers marked sensitive are redacted in every
//! report a failing test prints, on every driver of the table (the
//! `::remote` driver is covered in tests/remote.rs), unless
//! `CROSSDRIVE_SHOW_SECRETS=1` asks for them.
//!
//! Each check makes an assertion fail on purpose, catches the panic and
//! reads its message, as the test's log would show it.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use axum::Router;
use axum::routing::get;
use crossdrive::Direct;
use crossdrive::redact::{SHOW_SECRETS_ENV, show_secrets};
use crossdrive::remote::local_only;
use crossdrive::{Client, TestResponse};
use http::HeaderValue;
use http::header::SET_COOKIE;

/// Every secret of the exchange, each distinctive enough that finding it
/// in a report can only mean it leaked.
const TOKEN: &str = "tok-3f9a1c2e-bearer-never-printed";
const CSRF: &str = "csrf-7d2e9b41";
const API_KEY: &str = "key-51c0a7e3";
const SIGNATURE: &str = "sig-0b8f6d2a";
const SESSION: &str = "sess-94e1b3c7";
const SERVER_KEY: &str = "srv-2c6a8e05";
const ALL: [&str; 6] = [TOKEN, CSRF, API_KEY, SIGNATURE, SESSION, SERVER_KEY];

/// Answers `/login` with a session cookie and a server key in
/// `x-api-key`, neither echoing anything of the request into its body.
fn app() -> Router {
    Router::new().route(
        "/login",
        get(|| async {
            (
                [
                    (SET_COOKIE, format!("session={SESSION}; Path=/; HttpOnly")),
                    (
                        http::HeaderName::from_static("x-api-key"),
                        SERVER_KEY.to_owned(),
                    ),
                ],
                "welcome",
            )
        }),
    )
}

/// The suite's client, told that `x-api-key` is a secret: the portable
/// way to mark a response header.
fn secretive(client: &Client) -> Client {
    client.clone().sensitive_header("x-api-key")
}

/// A request signature marked secret on the value itself.
fn signature() -> HeaderValue {
    let mut signature = HeaderValue::from_static(SIGNATURE);
    signature.set_sensitive(true);
    signature
}

/// The request every check sends: each kind of secret once.
async fn login(client: &Client) -> TestResponse {
    secretive(client)
        .get("/login")
        .bearer(TOKEN)
        .cookie("csrf", CSRF)
        .header("x-api-key", API_KEY)
        .header("x-signature", signature())
        .await
}

/// The message of the panic `f` raises; fails the test if it does not.
#[track_caller]
fn panic_message(f: impl FnOnce()) -> String {
    let Err(payload) = catch_unwind(AssertUnwindSafe(f)) else {
        panic!("the assertion was meant to fail");
    };
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a panic message")
}

/// `report` redacts every secret and says how each was shown, or, with
/// the opt-out set, prints them.
#[track_caller]
fn assert_redacted(report: &str, shows: &[&str]) {
    if show_secrets() {
        assert!(
            report.contains(TOKEN),
            "{SHOW_SECRETS_ENV} is set:\n{report}"
        );
        return;
    }
    for secret in ALL {
        assert!(
            !report.contains(secret),
            "`{secret}` leaked into:\n{report}"
        );
    }
    for shown in shows {
        assert!(report.contains(shown), "expected `{shown}` in:\n{report}");
    }
}

crossdrive::suite! {
    app = app;

    async fn a_failed_assertion_prints_no_bearer_token_cookie_or_marked_header(client) {
        if local_only(&client, "needs this file's /login app") {
            return;
        }
        let response = login(&client).await;
        response.assert_status(200).assert_text("welcome");
        let report = panic_message(|| {
            response.assert_status(418);
        });
        assert_redacted(
            &report,
            &[
                "authorization: Bearer <redacted 33 bytes>",
                "cookie: csrf=<redacted 13 bytes>",
                "x-api-key: <redacted 12 bytes>",
                "x-signature: <redacted 12 bytes>",
                "set-cookie: session=<redacted 13 bytes>; Path=/; HttpOnly",
                "set CROSSDRIVE_SHOW_SECRETS=1 to print them",
            ],
        );
    }

    async fn assertions_on_secret_headers_and_cookies_show_them_redacted(client) {
        if local_only(&client, "needs this file's /login app") {
            return;
        }
        let response = login(&client).await;
        let wrong_cookie = panic_message(|| {
            response.assert_cookie("session", "sess-94e1b3c8");
        });
        assert_redacted(
            &wrong_cookie,
            &["\"<redacted 13 bytes>\" (same length, first difference at byte 12)"],
        );
        let wrong_header = panic_message(|| {
            response.assert_header("set-cookie", "session=other");
        });
        assert_redacted(&wrong_header, &["\"session=<redacted 5 bytes>\" (once)"]);
        let wrong_key = panic_message(|| {
            response.assert_header("x-api-key", "srv-2c6a8e06");
        });
        assert_redacted(&wrong_key, &["same length, first difference at byte 11"]);
        let absent = panic_message(|| {
            response.assert_no_header("set-cookie");
        });
        assert_redacted(&absent, &["session=<redacted 13 bytes>"]);
    }

    async fn display_and_debug_of_a_response_print_no_secret(client) {
        if local_only(&client, "needs this file's /login app") {
            return;
        }
        let response = login(&client).await;
        assert_redacted(&response.to_string(), &["session=<redacted 13 bytes>"]);
        assert_redacted(&format!("{response:?}"), &["Bearer <redacted 33 bytes>"]);
        // `unwrap_err` on an unexpected success prints the response's Debug.
        let sent = secretive(&client).get("/login").bearer(TOKEN).header("x-signature", signature()).try_send().await;
        let unexpected = panic_message(|| {
            let _ = sent.unwrap_err();
        });
        assert_redacted(&unexpected, &["x-signature: <redacted 12 bytes>"]);
        // `http`'s own Debug prints the values the client marked as `Sensitive`.
        assert_redacted(&format!("{:?}", response.request()), &["Sensitive"]);
        assert_redacted(&format!("{:?}", response.headers()), &["Sensitive"]);
    }

    async fn a_streamed_response_assertion_prints_no_secret(client) {
        if local_only(&client, "needs this file's /login app") {
            return;
        }
        let stream = secretive(&client).get("/login").bearer(TOKEN).stream().await;
        let report = panic_message(|| {
            stream.assert_header("set-cookie", "session=other");
        });
        assert_redacted(&report, &["session=<redacted 13 bytes>; Path=/; HttpOnly"]);
        let report = panic_message(|| {
            stream.assert_status(418);
        });
        assert_redacted(&report, &["set CROSSDRIVE_SHOW_SECRETS=1"]);
    }
}

/// The opt-out: this test re-runs itself in a child with
/// `CROSSDRIVE_SHOW_SECRETS=1`, where the report must print the token.
#[test]
fn crossdrive_show_secrets_prints_the_secrets_for_local_debugging() {
    if show_secrets() {
        let client = Client::new(Direct::new(app()));
        let response = support::block_on(login(&client));
        let report = panic_message(|| {
            response.assert_status(418);
        });
        for secret in ALL {
            assert!(
                report.contains(secret),
                "`{secret}` missing from:\n{report}"
            );
        }
        assert!(!report.contains("<redacted"), "{report}");
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crossdrive_show_secrets_prints_the_secrets_for_local_debugging",
            "--test-threads=1",
        ])
        .env(SHOW_SECRETS_ENV, "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success() && out.contains("1 passed"),
        "{out}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );
}
