//! Drivers as data: a suite configures the built-in drivers as its app is
//! deployed, adds a driver of its own, and declares the differences it
//! accepts, all without touching crossdrive's source.

mod support;
use support::block_on;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::routing::get;
use crossdrive::__private::{Declared, Generated};
use crossdrive::Client;
use crossdrive::lambda::{Endpoint, LambdaOptions, Source};
use crossdrive::{ConnectOptions, Direct, DriverSpec, Drivers, IntoApp};
use http::header::{CONTENT_TYPE, SET_COOKIE};
use std::future::Future;

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe,
];

fn app() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hi" }))
        .route(
            "/logo.png",
            get(|| async { ([(CONTENT_TYPE, "image/png")], PNG) }),
        )
        .route(
            "/cookies",
            get(|| async {
                (
                    axum::response::AppendHeaders([
                        (SET_COOKIE, "a=1"),
                        (SET_COOKIE, "b=2"),
                        (SET_COOKIE, "c=3"),
                    ]),
                    "three",
                )
            }),
        )
        .route("/whoami", get(whoami))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "late"
            }),
        )
}

/// What the request's extensions say about where it came from.
async fn whoami(request: Request) -> String {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.to_string());
    let stage = request
        .extensions()
        .get::<lambda_http::request::RequestContext>()
        .and_then(|context| match context {
            lambda_http::request::RequestContext::ApiGatewayV1(c) => c.stage.clone(),
            lambda_http::request::RequestContext::ApiGatewayV2(c) => c.stage.clone(),
            _ => None,
        });
    serde_json::json!({ "peer": peer, "stage": stage }).to_string()
}

/// The deployment under test: REST with a named stage and PNGs as
/// binary, ALB in multi-value mode, and a driver of the suite's own.
fn drivers() -> Drivers {
    Drivers::builtin()
        .with(DriverSpec::lambda(
            LambdaOptions::new(Source::Rest)
                .stage("v1")
                .binary_media_types(["image/png"]),
        ))
        .with(DriverSpec::lambda(LambdaOptions::new(Source::Alb {
            multi_value_headers: true,
        })))
        .with(DriverSpec::custom("in_house", |app, options| {
            Ok(Arc::new(Direct::new(app).timeout(options.get_timeout())))
        }))
}

/// Why the Lambda drivers hand the app no `ConnectInfo`.
const NO_CONNECTION: &str = "lambda_http hands the app no ConnectInfo: a Lambda function has no \
                             connection, the caller's address is in the event's requestContext";

crossdrive::suite! {
    app = app;
    drivers = drivers;
    custom = [in_house];

    async fn hello_answers_on_every_configured_driver(client) {
        client.get("/hello").await.assert_status(200).assert_text("hi");
    }

    async fn png_bytes_arrive_intact_where_the_deployment_declares_them_binary(client) {
        // A REST API converts a base64 body to bytes only when the first
        // media type the client accepts is a binary media type (recorded
        // against AWS: localstack/localstack@8b9a79f0, test_apigateway_lambda.py
        // test_aws_proxy_binary_response), so the client asks for a PNG.
        client.get("/logo.png").header("accept", "image/png").await.assert_status(200).assert_bytes(PNG);
    }

    /// Every Lambda driver, as one family.
    #[differs(
        lambda*,
        expected = "a ConnectInfo peer",
        because = NO_CONNECTION,
    )]
    async fn handlers_see_the_peer_address(client) {
        let seen: serde_json::Value = client.get("/whoami").await.assert_status(200).json();
        let peer: SocketAddr = seen["peer"].as_str().expect("a ConnectInfo peer").parse().expect("an address");
        assert!(peer.ip().is_loopback(), "{peer}");
    }
}

#[test]
fn the_suites_own_driver_gets_a_test_for_every_body() {
    let listed = support::listed_tests();
    for body in [
        "hello_answers_on_every_configured_driver",
        "png_bytes_arrive_intact_where_the_deployment_declares_them_binary",
        "handlers_see_the_peer_address",
    ] {
        for driver in ["in_house", "direct", "lambda_v1", "http2_tls", "remote"] {
            let name = format!("{driver}::{body}: test");
            assert!(listed.contains(&name), "no `{name}` in:\n{listed}");
        }
    }
}

type TestBody = fn(Client) -> std::pin::Pin<Box<dyn Future<Output = ()>>>;

/// Runs one generated test of a suite over `app`, as `suite!` writes it,
/// and returns its panic message if it failed.
fn run_generated(
    ident: &'static str,
    drivers: fn() -> Drivers,
    custom: &'static [&'static str],
    declared: fn() -> Vec<Declared>,
    body: TestBody,
) -> Result<(), String> {
    run_generated_with(ident, drivers, custom, None, declared, body)
}

fn run_generated_with(
    ident: &'static str,
    drivers: fn() -> Drivers,
    custom: &'static [&'static str],
    only: Option<&'static [&'static str]>,
    declared: fn() -> Vec<Declared>,
    body: TestBody,
) -> Result<(), String> {
    let test = Generated {
        ident,
        body: "generated",
        // As `module_path!()` is inside the driver's module.
        module: Box::leak(format!("drivers::{ident}").into_boxed_str()),
        app,
        drivers,
        custom,
        only,
        timeout: None,
        declared,
        expects_panic: false,
    };
    std::panic::catch_unwind(AssertUnwindSafe(|| crossdrive::__private::run(test, body)))
        .map_err(|payload| crossdrive::guard::panic_message(&*payload))
}

fn none() -> Vec<Declared> {
    Vec::new()
}

fn asserts_hello_is_bye(client: Client) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        client.get("/hello").await.assert_text("bye");
    })
}

fn asserts_hello_is_hi(client: Client) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        client.get("/hello").await.assert_text("hi");
    })
}

fn asserts_hello_is_201(client: Client) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        client.get("/hello").await.assert_status(201);
    })
}

fn asserts_png_is_served(client: Client) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        client
            .get("/logo.png")
            .header("accept", "text/plain")
            .await
            .assert_status(200)
            .assert_bytes(PNG);
    })
}

#[test]
fn a_declared_difference_passes_when_the_body_fails_on_that_driver_in_the_declared_way() {
    let outcome = run_generated(
        "direct",
        Drivers::builtin,
        &[],
        || {
            vec![crossdrive::__differs!(
                direct,
                expected = "bye",
                because = "our gateway says bye"
            )]
        },
        asserts_hello_is_bye,
    );
    assert_eq!(outcome, Ok(()));
}

#[test]
fn a_declared_difference_hiding_a_changed_status_fails() {
    // Declared: lambda-v1 mangles a binary body. The app now answers 200
    // where the test wants 201 on every driver: that is not the declared
    // difference, and the test must say so.
    let message = run_generated(
        "lambda_v1",
        Drivers::builtin,
        &[],
        || {
            vec![crossdrive::__differs!(
                lambda_v1,
                note = "base64-response",
                because = "REST without binary media types mangles binary bodies"
            )]
        },
        asserts_hello_is_201,
    )
    .unwrap_err();
    assert!(
        message.contains("not in the way its #[differs(..)] declares"),
        "{message}"
    );
    assert!(message.contains("`base64-response`"), "{message}");
    assert!(message.contains("expected: 201 Created"), "{message}");
}

#[test]
fn a_declared_status_passes_only_on_that_status() {
    let declared = || {
        vec![crossdrive::__differs!(
            http1,
            status = 200,
            because = "a status declared for the test"
        )]
    };
    assert_eq!(
        run_generated(
            "http1",
            Drivers::builtin,
            &[],
            declared,
            asserts_hello_is_201
        ),
        Ok(())
    );
    let wrong = || {
        vec![crossdrive::__differs!(
            http1,
            status = http::StatusCode::NOT_FOUND,
            because = "a status declared for the test"
        )]
    };
    let message =
        run_generated("http1", Drivers::builtin, &[], wrong, asserts_hello_is_201).unwrap_err();
    assert!(
        message.contains("the last response had status 200 OK"),
        "{message}"
    );
}

#[test]
fn a_declared_adapter_note_matches_what_the_driver_emitted() {
    // REST with no binary media types sends the PNG base64-encoded, which
    // the driver reports as a note; the body then fails on its bytes.
    fn rest_without_binary_types() -> Drivers {
        Drivers::builtin().with(DriverSpec::lambda(LambdaOptions::new(Source::Rest)))
    }
    let outcome = run_generated(
        "lambda_v1",
        rest_without_binary_types,
        &[],
        || {
            vec![crossdrive::__differs!(
                lambda_v1,
                note = "rest-base64-not-decoded",
                because = "REST converts a binary body only for a binary media type"
            )]
        },
        asserts_png_is_served,
    );
    assert_eq!(outcome, Ok(()));
}

#[test]
fn an_undeclared_failure_still_fails() {
    let outcome = run_generated(
        "http1",
        Drivers::builtin,
        &[],
        || {
            vec![crossdrive::__differs!(
                direct,
                expected = "bye",
                because = "only direct differs"
            )]
        },
        asserts_hello_is_bye,
    );
    let message = outcome.unwrap_err();
    assert!(message.contains("bye"), "{message}");
}

#[test]
fn a_failure_the_same_on_direct_is_reported_as_the_apps_in_a_few_lines() {
    let message =
        run_generated("http2", Drivers::builtin, &[], none, asserts_hello_is_201).unwrap_err();
    assert!(
        message.contains("fails the same way on `direct`"),
        "{message}"
    );
    assert!(message.contains("`direct::generated`'s"), "{message}");
    assert!(
        message.contains("http2::generated fails the same way"),
        "{message}"
    );
    assert!(message.contains("expected: 201 Created"), "{message}");
    // The short form: no request or response dump.
    assert!(!message.contains("response:"), "{message}");
    assert!(message.contains("raised at tests/drivers.rs"), "{message}");
}

#[test]
fn a_failure_only_one_adapter_has_says_it_is_confined_to_that_adapter() {
    fn rest_without_binary_types() -> Drivers {
        Drivers::builtin().with(DriverSpec::lambda(LambdaOptions::new(Source::Rest)))
    }
    let message = run_generated(
        "lambda_v1",
        rest_without_binary_types,
        &[],
        none,
        asserts_png_is_served,
    )
    .unwrap_err();
    assert!(message.contains("passes on `direct`"), "{message}");
    assert!(message.contains("response:"), "{message}");
}

#[test]
fn a_declared_difference_that_no_longer_happens_fails_as_stale() {
    let message = run_generated(
        "direct",
        Drivers::builtin,
        &[],
        || {
            vec![crossdrive::__differs!(
                direct,
                status = 500,
                because = "it used to differ"
            )]
        },
        asserts_hello_is_hi,
    )
    .unwrap_err();
    assert!(message.contains("but it passed"), "{message}");
    assert!(message.contains("remove `direct`"), "{message}");
}

#[test]
fn a_declaration_naming_no_driver_of_the_suite_is_refused() {
    let message = run_generated(
        "direct",
        Drivers::builtin,
        &[],
        || {
            vec![crossdrive::__differs!(
                lambda_v2,
                status = 500,
                because = "no such driver"
            )]
        },
        asserts_hello_is_hi,
    )
    .unwrap_err();
    assert!(message.contains("#[differs(lambda_v2, ..)]"), "{message}");
    assert!(message.contains("lambda_v1"), "{message}");
}

#[test]
fn a_driver_of_the_suites_own_without_tests_is_refused() {
    let message = run_generated("direct", drivers, &[], none, asserts_hello_is_hi).unwrap_err();
    assert!(message.contains("custom = [in_house];"), "{message}");
}

#[test]
fn a_custom_identifier_without_its_driver_is_refused() {
    let message = run_generated(
        "direct",
        Drivers::builtin,
        &["mine"],
        none,
        asserts_hello_is_hi,
    )
    .unwrap_err();
    assert!(message.contains("lists `mine`"), "{message}");
}

#[test]
fn a_built_in_the_suite_left_out_fails_rather_than_pass_unrun() {
    fn without_http1() -> Drivers {
        Drivers::builtin().without("http1")
    }
    // The body would pass; it is never called, and that is not a pass.
    let message =
        run_generated("http1", without_http1, &[], none, asserts_hello_is_hi).unwrap_err();
    assert!(message.contains("leave `http1` out"), "{message}");
    assert!(message.contains("only = [direct, "), "{message}");
}

#[test]
fn a_suite_with_only_runs_exactly_the_drivers_it_names() {
    fn two() -> Drivers {
        Drivers::empty()
            .with(DriverSpec::direct())
            .with(DriverSpec::custom("in-house", |app, _| {
                Ok(Arc::new(Direct::new(app)))
            }))
    }
    let only: &'static [&'static str] = &["direct", "in_house"];
    assert_eq!(
        run_generated_with("in_house", two, &[], Some(only), none, asserts_hello_is_hi),
        Ok(())
    );
    let missing: &'static [&'static str] = &["direct", "http1"];
    let message = run_generated_with("direct", two, &[], Some(missing), none, asserts_hello_is_hi)
        .unwrap_err();
    assert!(message.contains("lists `http1`"), "{message}");
}

#[test]
fn driver_names_that_cannot_name_a_test_are_refused() {
    let named = |name: &str| {
        Drivers::builtin()
            .with(DriverSpec::custom(name, |app, _| {
                Ok(Arc::new(Direct::new(app)))
            }))
            .validate()
    };
    assert!(named("my-gateway").is_ok());
    for bad in ["", "My", "9lives", "a b", "remote"] {
        let message = named(bad).unwrap_err();
        assert!(message.contains(&format!("`{bad}`")), "{message}");
    }
    let twins = Drivers::builtin()
        .with(DriverSpec::custom("a-b", |app, _| {
            Ok(Arc::new(Direct::new(app)))
        }))
        .with(DriverSpec::custom("a_b", |app, _| {
            Ok(Arc::new(Direct::new(app)))
        }));
    assert!(
        twins
            .validate()
            .unwrap_err()
            .contains("same test identifier")
    );
}

fn connect(spec: &DriverSpec) -> Client {
    let driver = spec
        .connect(app(), &ConnectOptions::new())
        .unwrap_or_else(|e| panic!("{e}"));
    Client::from_arc(driver)
}

#[test]
fn the_rest_driver_runs_on_the_stage_the_suite_configured() {
    let drivers = drivers();
    let rest = drivers.get("lambda-v1").expect("configured");
    block_on(async {
        let seen: serde_json::Value = connect(rest).get("/whoami").await.json();
        assert_eq!(seen["stage"], "v1", "{seen}");
        let default: serde_json::Value =
            connect(&DriverSpec::lambda(LambdaOptions::new(Source::Rest)))
                .get("/whoami")
                .await
                .json();
        assert_eq!(default["stage"], "prod", "{default}");
    });
}

#[test]
fn without_a_binary_media_type_rest_hands_the_client_base64_text() {
    // The configured suite above gets the PNG's bytes on lambda-v1; the
    // default deployment does not, which is what the configuration buys.
    block_on(async {
        let response = connect(&DriverSpec::lambda(LambdaOptions::new(Source::Rest)))
            .get("/logo.png")
            .await;
        assert_ne!(response.bytes().as_ref(), PNG);
    });
}

#[test]
fn alb_in_single_value_mode_keeps_one_cookie_and_multi_value_mode_keeps_three() {
    block_on(async {
        let single = connect(&DriverSpec::builtin(crossdrive::Kind::LambdaAlb))
            .get("/cookies")
            .await;
        assert_eq!(single.header_all("set-cookie").len(), 1, "{single}");
        let multi = connect(drivers().get("lambda-alb").expect("configured"))
            .get("/cookies")
            .await;
        assert_eq!(multi.header_all("set-cookie").len(), 3, "{multi}");
    });
}

#[test]
fn a_per_driver_timeout_wins_over_the_suites() {
    let quick = DriverSpec::http1().timeout(Duration::from_millis(100));
    let driver = quick
        .connect(
            app(),
            &ConnectOptions::new().timeout(Duration::from_secs(30)),
        )
        .expect("http1 connects");
    block_on(async {
        let error = Client::from_arc(driver)
            .get("/slow")
            .try_send()
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error}");
    });
}

#[test]
fn configured_lambda_deployments_declare_exactly_the_differences_they_have() {
    let configured = Drivers::empty()
        .with(DriverSpec::lambda(LambdaOptions::new(Source::Alb {
            multi_value_headers: true,
        })))
        .with(DriverSpec::lambda(
            LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]),
        ));
    // One REST deployment per set: the sets' drivers share the name `lambda-v1`.
    let edge = Drivers::empty().with(DriverSpec::lambda(
        LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized),
    ));
    let private = Drivers::empty().with(DriverSpec::lambda(
        LambdaOptions::new(Source::Rest).endpoint(Endpoint::Private),
    ));
    let mut reports = Vec::new();
    for drivers in [configured, edge, private] {
        reports.extend(block_on(crossdrive::conformance::run_all_on(
            &drivers,
            crossdrive::conformance::echo::app,
        )));
    }
    assert_eq!(reports.len(), 4);
    for report in reports {
        assert!(
            report.is_success(),
            "{}\n{:?}",
            report.summary(),
            report.failures()
        );
    }
}

fn tower_app() -> impl IntoApp {
    tower::service_fn(|request: http::Request<Body>| async move {
        Ok::<_, Infallible>(http::Response::new(Body::from(format!(
            "{} {}",
            request.method(),
            request.uri().path_and_query().map_or("", |pq| pq.as_str())
        ))))
    })
}

mod any_tower_service {
    use super::tower_app;

    crossdrive::suite! {
        app = tower_app;

        async fn a_plain_tower_service_is_served_by_every_driver(client) {
            client.get("/any/path?x=1").await.assert_status(200).assert_text("GET /any/path?x=1");
        }
    }
}
