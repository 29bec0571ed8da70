//! The `remote` driver against a real deployment: here a plain hyper
//! server started by the test on 127.0.0.1:0 (no crossdrive routing),
//! serving one reference app under the stage path `/prod` and the fault
//! app under `/prod/faults`, as API Gateway serves a stage.

mod support;
use support::rt;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use crossdrive::Client;
use crossdrive::fixture::{Port, ServerThread};
use crossdrive::remote::{Remote, URL_ENV, local_only};
use crossdrive_fixtures::{faults, reference};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;

/// The deployment: one app instance, shared by every test, as a real one is.
fn deployment() -> &'static ServerThread {
    static SERVER: OnceLock<ServerThread> = OnceLock::new();
    SERVER.get_or_init(|| {
        let app = Router::new().nest("/prod", reference::app().nest("/faults", faults::app()));
        ServerThread::start(
            "remote-deployment",
            "HTTP/1.1",
            Port::Any,
            move |listener, mut stop| async move {
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        () = &mut stop => return,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let service = TowerToHyperService::new(app.clone());
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            },
        )
        .expect("the deployment server starts")
    })
}

fn stage_url() -> String {
    format!("http://{}/prod", deployment().addr())
}

#[test]
fn requests_go_under_the_stage_path_and_come_back_as_the_deployment_sent_them() {
    let client = Client::new(Remote::new(&stage_url()).unwrap());
    rt().block_on(async {
        let hello = client.get("/hello").await;
        hello
            .assert_status(200)
            .assert_header("content-type", "text/plain; charset=utf-8")
            .assert_text("Hello, world!");
        assert_eq!(hello.protocol().as_str(), "HTTP/1.1");
        client.get("/todos/abc").await.assert_status(400);
        client
            .get("/nowhere?x=1")
            .await
            .assert_status(404)
            .assert_json(&json!({"error": "no route for GET /nowhere"}));
        // Create what you read, by the id the deployment returned: works on shared state.
        let created = client
            .post("/todos")
            .json(&json!({"title": "remote"}))
            .await;
        created.assert_status(201);
        let location = created
            .header("location")
            .expect("201 carries Location")
            .to_owned();
        let id = location.rsplit('/').next().unwrap().to_owned();
        client
            .get(format!("/todos/{id}"))
            .await
            .assert_status(200)
            .assert_json(
                &json!({"id": id.parse::<u64>().unwrap(), "title": "remote", "done": false}),
            );
    });
}

#[test]
fn a_trailing_slash_on_the_base_url_changes_nothing_and_without_the_stage_nothing_is_found() {
    let slash = Client::new(Remote::new(&format!("{}/", stage_url())).unwrap());
    let bare = Client::new(Remote::new(&format!("http://{}", deployment().addr())).unwrap());
    rt().block_on(async {
        slash
            .get("/hello")
            .await
            .assert_status(200)
            .assert_text("Hello, world!");
        bare.get("/hello").await.assert_status(404);
    });
}

#[test]
fn a_deployment_that_never_answers_times_out_naming_the_remote_request() {
    let client = Client::new(
        Remote::new(&stage_url())
            .unwrap()
            .timeout(Duration::from_millis(300)),
    );
    rt().block_on(async {
        let started = Instant::now();
        let error = client.get("/faults/never").try_send().await.unwrap_err();
        assert!(error.is_timeout(), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("remote driver: GET /faults/never: timed out after 300ms"),
            "{error}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
        client
            .get("/faults/ok")
            .await
            .assert_status(200)
            .assert_text("ok");
    });
}

crossdrive::suite! {
    app = reference::app;

    /// Run by `the_generated_remote_tests_are_ignored_and_run_with_ignored_and_the_url`.
    async fn remote_probe(client) {
        client.get("/hello").await.assert_status(200).assert_text("Hello, world!");
        println!("remote_probe ran on {}", client.name());
    }

    /// Run by `the_generated_remote_tests_are_ignored_and_run_with_ignored_and_the_url`.
    async fn local_only_probe(client) {
        if local_only(&client, "needs a fresh app") {
            return;
        }
        println!("local_only_probe ran on {}", client.name());
    }

    /// Its own `#[ignore]` replaces the remote test's, rather than adding
    /// a second (an unused-attribute warning, an error under -D warnings).
    #[ignore = "a probe with its own reason"]
    async fn ignored_probe(client) {
        println!("ignored_probe ran on {}", client.name());
    }

    /// Run by `a_should_panic_body_still_fails_on_remote_when_the_url_is_unset`.
    #[should_panic(expected = "no such route")]
    async fn panicking_probe(client) {
        client.get("/hello").await.assert_status(200);
        panic!("no such route on {}", client.name());
    }
}

/// Runs one generated test of this binary in a child process with
/// `CROSSDRIVE_REMOTE_URL` as given and libtest's `flags` (`--ignored`),
/// so the variable is never mutated here.
fn run_child(test: &str, url: Option<&str>, flags: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([test, "--exact", "--nocapture", "--test-threads=1"]);
    command.args(flags);
    command
        .env_remove(URL_ENV)
        .env_remove(crossdrive::DRIVERS_ENV);
    if let Some(url) = url {
        command.env(URL_ENV, url);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_generated_remote_tests_are_ignored_and_run_with_ignored_and_the_url() {
    // A plain local run counts the remote test as ignored, with how to run it.
    let (ok, out, err) = run_child("remote::remote_probe", None, &[]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "remote::remote_probe ... ignored, runs against a deployment: set \
             CROSSDRIVE_REMOTE_URL and pass --ignored"
        ),
        "{out}"
    );
    assert!(out.contains("0 passed; 0 failed; 1 ignored"), "{out}");
    assert!(!out.contains("remote_probe ran"), "{out}");

    // Asked to run it but given no deployment: fails, saying what to set.
    let (ok, out, err) = run_child("remote::remote_probe", None, &["--ignored"]);
    assert!(!ok, "--ignored without the URL must fail:\n{out}{err}");
    assert!(
        out.contains("remote::remote_probe cannot run: CROSSDRIVE_REMOTE_URL is unset")
            || err.contains("remote::remote_probe cannot run: CROSSDRIVE_REMOTE_URL is unset"),
        "{out}{err}"
    );
    assert!(!out.contains("remote_probe ran"), "{out}");

    let (ok, out, err) = run_child("remote::remote_probe", Some(&stage_url()), &["--ignored"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("remote_probe ran on remote"), "{out}");
    assert!(out.contains("1 passed; 0 failed"), "{out}");

    let (ok, out, err) = run_child(
        "remote::local_only_probe",
        Some(&stage_url()),
        &["--ignored"],
    );
    assert!(ok, "{out}{err}");
    assert!(
        err.contains("not run on remote: local-only test (needs a fresh app)"),
        "{err}"
    );
    assert!(!out.contains("local_only_probe ran"), "{out}");

    let (ok, out, err) = run_child(
        "remote::remote_probe",
        Some("ftp://example.com"),
        &["--ignored"],
    );
    assert!(!ok, "an unusable URL must fail the test:\n{out}");
    assert!(
        out.contains(
            "CROSSDRIVE_REMOTE_URL: `ftp://example.com` must start with http:// or https://"
        ) || err.contains(
            "CROSSDRIVE_REMOTE_URL: `ftp://example.com` must start with http:// or https://"
        ),
        "{out}{err}"
    );
}

#[test]
fn a_body_ignored_by_its_author_keeps_its_own_reason_on_remote() {
    let (ok, out, err) = run_child("remote::ignored_probe", None, &[]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("remote::ignored_probe ... ignored, a probe with its own reason"),
        "{out}"
    );
    let (ok, out, err) = run_child("remote::ignored_probe", Some(&stage_url()), &["--ignored"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("ignored_probe ran on remote"), "{out}");
}

#[test]
fn an_ignored_body_runs_on_lambda_runtime_when_ignored_tests_are_asked_for() {
    // The driver re-runs the test as its function; that child must not
    // skip it for being ignored.
    let (ok, out, err) = run_child("lambda_runtime::ignored_probe", None, &["--ignored"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("ignored_probe ran on lambda-runtime"), "{out}");
}

#[test]
fn a_should_panic_body_still_fails_on_remote_when_the_url_is_unset() {
    let (ok, out, err) = run_child("remote::panicking_probe", None, &["--ignored"]);
    assert!(
        !ok,
        "a missing URL must not pass as the expected panic:\n{out}{err}"
    );
    assert!(
        err.contains("remote::panicking_probe cannot run: CROSSDRIVE_REMOTE_URL is unset"),
        "{err}"
    );
    let (ok, out, err) = run_child(
        "remote::panicking_probe",
        Some(&stage_url()),
        &["--ignored"],
    );
    assert!(ok, "{out}{err}");
}

#[test]
fn a_failure_report_from_the_deployment_prints_no_bearer_token_or_cookie() {
    const TOKEN: &str = "tok-remote-8c1f4e27-never-printed";
    const CSRF: &str = "csrf-remote-5a9d";
    use std::future::IntoFuture as _;
    let client = Client::new(Remote::new(&stage_url()).unwrap());
    let response = rt().block_on(
        client
            .get("/admin/stats")
            .bearer(TOKEN)
            .cookie("csrf", CSRF)
            .into_future(),
    );
    response.assert_status(401);
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        response.assert_status(200);
    })) else {
        panic!("a 401 is not a 200");
    };
    let report = panic.downcast_ref::<String>().expect("a formatted message");
    if crossdrive::redact::show_secrets() {
        assert!(report.contains(TOKEN), "{report}");
        return;
    }
    assert!(
        report.starts_with("crossdrive assertion failed: status"),
        "{report}"
    );
    assert!(report.contains("driver: remote"), "{report}");
    for secret in [TOKEN, CSRF] {
        assert!(
            !report.contains(secret),
            "`{secret}` leaked into:\n{report}"
        );
    }
    assert!(
        report.contains("authorization: Bearer <redacted 33 bytes>"),
        "{report}"
    );
    assert!(
        report.contains("cookie: csrf=<redacted 16 bytes>"),
        "{report}"
    );
}

#[test]
fn a_websocket_opens_with_an_http1_upgrade_to_the_deployment() {
    let client = Client::new(Remote::new(&stage_url()).unwrap());
    rt().block_on(async {
        let mut socket = client
            .websocket("/ws")
            .protocol("echo.v1")
            .await
            .into_websocket();
        assert_eq!(socket.protocol().as_str(), "HTTP/1.1");
        assert_eq!(socket.subprotocol(), Some("echo.v1"));
        socket.send_text("to the deployment").await;
        socket.assert_receive_text("to the deployment").await;
        assert_eq!(socket.close(1000, "done").await.code, 1000);
        client.websocket("/ws/admin").await.assert_status(401);
    });
}
