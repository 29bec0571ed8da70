//! The suite's fast path, proved by observation rather than timing: a
//! request from a test's runtime is served on that runtime's thread, a
//! request from no runtime on the server's, and a driver outlives the
//! runtimes it was used from.
//!
//! Every test here uses a server of its own, so the connection counts it
//! reads are its own.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use crossdrive::socket::{ServerOptions, SocketDriver, SocketServer};
use crossdrive::{Client, Protocol};

/// Answers with the thread that ran the handler.
fn thread_app() -> Router {
    Router::new().route(
        "/thread",
        get(|| async { format!("{:?}", std::thread::current().id()) }),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
}

fn this_thread() -> String {
    format!("{:?}", std::thread::current().id())
}

/// A bounded driver, so a request stuck on the wrong runtime fails the
/// test in two seconds instead of hanging it.
fn bounded(driver: Result<SocketDriver, crossdrive::Error>) -> Client {
    Client::new(driver.unwrap().timeout(Duration::from_secs(2)))
}

#[test]
fn a_request_from_a_test_runtime_is_served_on_that_runtimes_thread() {
    let plain = SocketServer::start(ServerOptions::new().label("handoff-plain")).unwrap();
    let tls = SocketServer::start(ServerOptions::new().tls(true).label("handoff-tls")).unwrap();
    let clients = [
        (bounded(plain.http1(thread_app())), Protocol::Http1),
        (bounded(plain.http2(thread_app())), Protocol::Http2),
        (bounded(plain.http1_fresh(thread_app())), Protocol::Http1),
        (bounded(tls.http2_tls(thread_app())), Protocol::Http2),
        (bounded(tls.http1_tls(thread_app())), Protocol::Http1),
    ];
    runtime().block_on(async {
        for (client, protocol) in &clients {
            for _ in 0..3 {
                let response = client.get("/thread").await;
                response.assert_status(200).assert_text(&this_thread());
                assert_eq!(response.protocol(), protocol, "{response}");
            }
        }
    });
    for server in [&plain, &tls] {
        assert!(server.connections_accepted() > 0, "{server:?}");
        assert_eq!(
            server.connections_served_inline(),
            server.connections_accepted(),
            "every connection of a test runtime is served on it"
        );
    }
}

#[test]
fn a_request_from_no_tokio_runtime_is_served_on_the_servers_thread() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-none")).unwrap();
    let client = bounded(server.http1(thread_app()));
    let response = futures_executor::block_on(client.get("/thread").try_send()).unwrap();
    response.assert_status(200);
    assert_ne!(response.text(), this_thread());
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.connections_served_inline(), 0);
}

#[test]
fn the_reqwest_transport_is_served_on_the_servers_thread() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-reqwest")).unwrap();
    let client = Client::new(server.http1_with(thread_app(), |b| b).unwrap());
    runtime().block_on(async {
        let response = client.get("/thread").await;
        response.assert_status(200);
        assert_ne!(response.text(), this_thread());
    });
    assert_eq!(server.connections_served_inline(), 0);
}

#[test]
fn a_driver_whose_runtime_was_dropped_reconnects_on_the_next_runtime() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-dropped")).unwrap();
    let clients = [
        ("http1", bounded(server.http1(thread_app()))),
        ("http2", bounded(server.http2(thread_app()))),
    ];
    let first = runtime();
    first.block_on(async {
        for (_, client) in &clients {
            client.get("/thread").await.assert_status(200);
        }
    });
    // The test ends: its pooled connections, both ends, die with it.
    drop(first);
    runtime().block_on(async {
        for (_, client) in &clients {
            for _ in 0..3 {
                client
                    .get("/thread")
                    .await
                    .assert_status(200)
                    .assert_text(&this_thread());
            }
        }
    });
    for (name, _) in &clients {
        assert_eq!(server.connections_opened(name), 2, "{name}");
    }
    assert_eq!(server.connections_served_inline(), 4);
}

#[test]
fn a_driver_used_from_another_live_runtime_opens_a_connection_there_and_keeps_both() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-two")).unwrap();
    let clients = [
        ("http1", bounded(server.http1(thread_app()))),
        ("http2", bounded(server.http2(thread_app()))),
    ];
    let (one, two) = (runtime(), runtime());
    // `one` is idle while `two` runs: a connection of `one` would hang.
    for rt in [&one, &two, &one, &two] {
        rt.block_on(async {
            for (_, client) in &clients {
                client.get("/thread").await.assert_status(200);
            }
        });
    }
    for (name, _) in &clients {
        assert_eq!(server.connections_opened(name), 2, "{name}");
    }
}

#[test]
fn a_driver_works_from_a_runtime_then_from_none_then_from_a_runtime() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-mixed")).unwrap();
    let client = bounded(server.http1(thread_app()));
    let rt = runtime();
    rt.block_on(async {
        client.get("/thread").await.assert_text(&this_thread());
    });
    let elsewhere = futures_executor::block_on(client.get("/thread").try_send()).unwrap();
    assert_ne!(elsewhere.text(), this_thread());
    rt.block_on(async {
        client.get("/thread").await.assert_text(&this_thread());
    });
    // One connection on the test's runtime, reused; one on the server's.
    assert_eq!(server.connections_opened("http1"), 2);
    assert_eq!(server.connections_served_inline(), 1);
}

#[test]
fn a_stopped_server_fails_the_next_request_from_a_test_runtime_saying_so() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-stop")).unwrap();
    let client = bounded(server.http1(thread_app()));
    runtime().block_on(async {
        client.get("/thread").await.assert_status(200);
        server.stop();
        let error = client.get("/thread").try_send().await.unwrap_err();
        assert!(error.is_connection(), "{error}");
        assert!(error.to_string().contains("was stopped"), "{error}");
    });
}

#[test]
fn a_runtime_without_timers_still_serves_its_own_requests() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-no-timers")).unwrap();
    let client = bounded(server.http1(thread_app()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    runtime.block_on(async {
        client
            .get("/thread")
            .await
            .assert_status(200)
            .assert_text(&this_thread());
    });
    assert_eq!(server.connections_served_inline(), 1);
}

#[test]
fn a_runtime_without_io_gets_an_error_saying_to_enable_it() {
    let server = SocketServer::start(ServerOptions::new().label("handoff-no-io")).unwrap();
    let client = bounded(server.http1(thread_app()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let error = runtime
        .block_on(client.get("/thread").try_send())
        .unwrap_err();
    assert!(error.is_adapter(), "{error}");
    let text = error.to_string();
    assert!(text.starts_with("http1 driver: GET /thread:"), "{text}");
    assert!(text.contains("enable_io"), "{text}");
}
