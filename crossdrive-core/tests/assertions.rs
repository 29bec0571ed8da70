//! `TestResponse` assertions: where a failure points, and what it says.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use crossdrive_core::{DriverResponse, Protocol, TestResponse};

/// Panic hooks are process-wide: the tests that swap one take turns.
static HOOK: Mutex<()> = Mutex::new(());

/// A response from the `direct` driver to `GET /todos`, with `headers`.
fn response(status: u16, headers: &[(&str, &str)], body: &str) -> TestResponse {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = builder.body(Bytes::from(body.to_owned())).unwrap();
    let request = http::Request::get("/todos").body(Bytes::new()).unwrap();
    TestResponse::new(
        "direct",
        request,
        DriverResponse::new(response, Protocol::InProcess),
    )
}

/// Where `f`'s panic was reported (file, line) and its message, captured by
/// a panic hook on this thread only; the previous hook is restored after.
fn failure(f: impl FnOnce()) -> (String, u32, String) {
    let _turn = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let me = std::thread::current().id();
    let seen: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let previous = Arc::new(panic::take_hook());
    panic::set_hook(Box::new({
        let seen = Arc::clone(&seen);
        let previous = Arc::clone(&previous);
        move |info| {
            if std::thread::current().id() != me {
                return previous(info);
            }
            if let Some(at) = info.location() {
                *seen.lock().unwrap() = Some((at.file().to_owned(), at.line()));
            }
        }
    }));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(previous) => panic::set_hook(previous),
        Err(_) => unreachable!("our hook, the only other owner, was just dropped"),
    }
    let payload = outcome.expect_err("the assertion should have failed");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    let (file, line) = seen.lock().unwrap().take().expect("the hook saw the panic");
    (file, line, message)
}

#[test]
fn a_failed_assert_status_points_at_the_callers_line() {
    let r = response(200, &[], "");
    #[rustfmt::skip]
    let ((file, line, message), expected) = (failure(|| { r.assert_status(201); }), line!());
    assert_eq!((file.as_str(), line), (file!(), expected), "{message}");
    assert!(message.contains("expected: 201 Created"), "{message}");
}

/// An assertion's name, a call that fails it, and the line of that call.
type Case<'a> = (&'static str, Box<dyn Fn() + 'a>, u32);

#[test]
fn every_assertion_points_at_the_callers_line_not_at_crossdrive() {
    let r = response(200, &[("x-one", "1")], r#"{"a":1}"#);
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("assert_header", Box::new(|| { r.assert_header("x-one", "2"); }), line!()),
        ("assert_header_all", Box::new(|| { r.assert_header_all("x-one", &[]); }), line!()),
        ("assert_no_header", Box::new(|| { r.assert_no_header("x-one"); }), line!()),
        ("assert_json", Box::new(|| { r.assert_json(&serde_json::json!({"a": 2})); }), line!()),
        ("assert_text", Box::new(|| { r.assert_text("no"); }), line!()),
        ("assert_bytes", Box::new(|| { r.assert_bytes(b"no"); }), line!()),
        ("json", Box::new(|| { r.json::<Vec<u8>>(); }), line!()),
        ("assert_json_contains", Box::new(|| { r.assert_json_contains(&serde_json::json!({"a": 2})); }), line!()),
        ("assert_header_values_unordered", Box::new(|| { r.assert_header_values_unordered("x-one", &[]); }), line!()),
        ("assert_cookie", Box::new(|| { r.assert_cookie("session", "x"); }), line!()),
    ];
    for (name, check, expected) in cases {
        let (file, line, message) = failure(check);
        assert_eq!(
            (file.as_str(), line),
            (file!(), expected),
            "{name}: {message}"
        );
    }
}

/// The message `f` panicked with.
fn message_of(f: impl FnOnce()) -> String {
    failure(f).2
}

const TODO: &str = r#"{"id": 7, "title": "x", "tags": [{"name": "a", "n": 1}, {"name": "b", "n": 2}], "owner": {"id": 1, "name": "ann"}}"#;

#[test]
fn assert_json_contains_accepts_a_subset_of_keys_at_any_depth() {
    let r = response(200, &[], TODO);
    r.assert_json_contains(&serde_json::json!({}))
        .assert_json_contains(&serde_json::json!({"title": "x"}))
        .assert_json_contains(&serde_json::json!({"owner": {"name": "ann"}}))
        .assert_json_contains(&serde_json::json!({"tags": [{"name": "a"}, {"n": 2}]}));
}

#[test]
fn assert_json_contains_names_the_path_of_a_missing_key_or_a_different_value() {
    let r = response(200, &[], TODO);
    let missing = message_of(|| {
        r.assert_json_contains(&serde_json::json!({"owner": {"email": "a@b"}}));
    });
    assert!(
        missing.contains(r#"received: at $.owner.email: missing, expected "a@b""#),
        "{missing}"
    );
    assert!(missing.contains("driver: direct"), "{missing}");
    assert!(missing.contains("GET /todos"), "{missing}");
    let different = message_of(|| {
        r.assert_json_contains(&serde_json::json!({"tags": [{"name": "a"}, {"name": "c"}]}));
    });
    assert!(
        different.contains(r#"at $.tags[1].name: "b", expected "c""#),
        "{different}"
    );
}

#[test]
fn assert_json_contains_compares_arrays_element_by_element_in_order() {
    let r = response(200, &[], r#"{"ids": [1, 2, 3]}"#);
    r.assert_json_contains(&serde_json::json!({"ids": [1, 2, 3]}));
    let shorter = message_of(|| {
        r.assert_json_contains(&serde_json::json!({"ids": [1, 2]}));
    });
    assert!(
        shorter.contains("at $.ids: 3 elements, expected 2"),
        "{shorter}"
    );
    let reordered = message_of(|| {
        r.assert_json_contains(&serde_json::json!({"ids": [3, 2, 1]}));
    });
    assert!(
        reordered.contains("at $.ids[0]: 1, expected 3"),
        "{reordered}"
    );
}

#[test]
fn assert_json_contains_fails_on_a_body_that_is_not_json() {
    let r = response(200, &[], "not json");
    let message = message_of(|| {
        r.assert_json_contains(&serde_json::json!({}));
    });
    assert!(message.contains("body parses as JSON"), "{message}");
}

#[test]
fn a_failed_assert_json_shows_a_line_diff_of_both_sides_pretty_printed() {
    let r = response(200, &[], TODO);
    let message = message_of(|| {
        r.assert_json(&serde_json::json!({
            "id": 7, "title": "y",
            "tags": [{"name": "a", "n": 1}, {"name": "b", "n": 2}],
            "owner": {"id": 1, "name": "ann"}
        }));
    });
    assert!(
        message.contains("--- expected\n  +++ received"),
        "{message}"
    );
    assert!(message.contains("\n  -  \"title\": \"y\"\n"), "{message}");
    assert!(message.contains("\n  +  \"title\": \"x\"\n"), "{message}");
}

#[test]
fn assert_header_values_unordered_ignores_order_but_not_count() {
    let r = response(
        200,
        &[("vary", "origin"), ("vary", "accept"), ("vary", "origin")],
        "",
    );
    r.assert_header_values_unordered("vary", &["origin", "origin", "accept"])
        .assert_header_values_unordered("vary", &["accept", "origin", "origin"])
        .assert_header_values_unordered("x-absent", &[]);
    let once = message_of(|| {
        r.assert_header_values_unordered("vary", &["accept", "origin"]);
    });
    assert!(
        once.contains("values of header `vary`, in any order"),
        "{once}"
    );
    assert!(
        once.contains(r#"expected: 2 values ["accept", "origin"]"#),
        "{once}"
    );
    assert!(
        once.contains(r#"received: 3 values ["origin", "accept", "origin"]"#),
        "{once}"
    );
}

#[test]
fn cookie_reads_the_value_before_the_first_semicolon_by_cookie_name() {
    let r = response(
        200,
        &[
            ("set-cookie", "session=abc123; Path=/; HttpOnly"),
            ("set-cookie", "theme = dark"),
            ("set-cookie", "empty=; Max-Age=0"),
            ("set-cookie", "no-equals-sign"),
        ],
        "",
    );
    assert_eq!(r.cookie("session").as_deref(), Some("abc123"));
    assert_eq!(r.cookie("theme").as_deref(), Some("dark"));
    assert_eq!(r.cookie("empty").as_deref(), Some(""));
    assert_eq!(r.cookie("Path"), None);
    assert_eq!(r.cookie("no-equals-sign"), None);
    assert_eq!(r.cookie("missing"), None);
    r.assert_cookie("session", "abc123")
        .assert_cookie("empty", "");
}

#[test]
fn the_last_set_cookie_for_a_name_wins_as_in_a_browser() {
    let r = response(
        200,
        &[("set-cookie", "id=old"), ("set-cookie", "id=new; Secure")],
        "",
    );
    assert_eq!(r.cookie("id").as_deref(), Some("new"));
}

#[test]
fn a_failed_assert_cookie_says_what_was_set_instead_with_the_values_redacted() {
    let r = response(200, &[("set-cookie", "session=abc; Path=/")], "");
    let wrong = message_of(|| {
        r.assert_cookie("session", "xyz");
    });
    assert!(
        wrong.contains("assertion failed: cookie `session`"),
        "{wrong}"
    );
    if crossdrive_core::redact::show_secrets() {
        assert!(wrong.contains(r#"expected: "xyz""#), "{wrong}");
        assert!(wrong.contains(r#"received: "abc""#), "{wrong}");
    } else {
        // A cookie's value is a secret: its length and where it differs.
        assert!(
            wrong.contains(r#"expected: "<redacted 3 bytes>""#),
            "{wrong}"
        );
        assert!(
            wrong.contains(
                r#"received: "<redacted 3 bytes>" (same length, first difference at byte 0)"#
            ),
            "{wrong}"
        );
        assert!(!wrong.contains("abc") && !wrong.contains("xyz"), "{wrong}");
        assert!(wrong.contains("set CROSSDRIVE_SHOW_SECRETS=1"), "{wrong}");
    }
    let absent = message_of(|| {
        r.assert_cookie("theme", "dark");
    });
    assert!(
        absent.contains(r#"received: not set; Set-Cookie sets only ["session"]"#),
        "{absent}"
    );
    let none = message_of(|| {
        response(200, &[], "").assert_cookie("theme", "dark");
    });
    assert!(
        none.contains("received: no Set-Cookie header sets any cookie"),
        "{none}"
    );
}

#[test]
fn a_failed_await_names_the_line_of_the_test_that_awaited_it() {
    let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    let line = line!() + 3;
    let message = message_of(|| {
        futures_executor::block_on(async {
            client.get("no-leading-slash").await;
        });
    });
    assert!(
        message.contains(&format!(
            "(raised at crossdrive-core/tests/assertions.rs:{line}:"
        )),
        "{message}"
    );
}

#[test]
fn a_response_displays_its_adapter_notes() {
    let request = http::Request::get("/todos").body(Bytes::new()).unwrap();
    let delivered =
        DriverResponse::new(http::Response::new(Bytes::new()), Protocol::InProcess).with_note(
            crossdrive_core::AdapterNote::new("base64-response", "decoded"),
        );
    let shown = TestResponse::new("lambda", request, delivered).to_string();
    assert!(
        shown.contains("adapter note: base64-response: decoded"),
        "{shown}"
    );
}

#[test]
fn a_report_redacts_secret_headers_by_name_and_by_mark_even_without_a_client() {
    let mut marked = http::HeaderValue::from_static("sig-5e2f");
    marked.set_sensitive(true);
    let mut request = http::Request::get("/todos")
        .header("authorization", "Bearer tok-41d7")
        .header("cookie", "a=c-1; b=c-22")
        .body(Bytes::new())
        .unwrap();
    request.headers_mut().insert("x-signature", marked);
    let answer = http::Response::builder()
        .header("set-cookie", "session=s-9; Path=/")
        .header("x-trace", "t-1")
        .body(Bytes::new())
        .unwrap();
    let r = TestResponse::new(
        "direct",
        request,
        DriverResponse::new(answer, Protocol::InProcess),
    );
    let report = r.report("status", "201", "200 OK");
    if crossdrive_core::redact::show_secrets() {
        assert!(report.contains("tok-41d7"), "{report}");
        return;
    }
    for secret in ["tok-41d7", "c-1", "c-22", "sig-5e2f", "s-9"] {
        assert!(!report.contains(secret), "`{secret}` leaked:\n{report}");
    }
    for shown in [
        "authorization: Bearer <redacted 8 bytes>",
        "cookie: a=<redacted 3 bytes>; b=<redacted 4 bytes>",
        "x-signature: <redacted 8 bytes>",
        "set-cookie: session=<redacted 3 bytes>; Path=/",
        // Not a secret: shown as is.
        "x-trace: t-1",
        "secret header values are redacted; set CROSSDRIVE_SHOW_SECRETS=1 to print them when \
         debugging locally, never in CI",
    ] {
        assert!(report.contains(shown), "expected `{shown}` in:\n{report}");
    }
    // A report with no secret in it says nothing about redaction.
    let plain = response(200, &[("x-trace", "t-1")], "").report("status", "201", "200 OK");
    assert!(!plain.contains("redacted"), "{plain}");
}
