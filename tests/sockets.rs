//! Wire-level proofs for the socket drivers and their shared fixtures:
//! the protocol really spoken, HTTP/1.1 fallback over TLS, servers started
//! once per binary, isolation between tests on one server, byte-exact
//! bodies and headers, and clear errors.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use axum::routing::{get, post};
use crossdrive::Kind;
use crossdrive::fixture::{Port, starts};
use crossdrive::socket::{SHARED_HTTP, SHARED_HTTPS, ServerOptions, SocketServer};
use crossdrive::{Client, ConnectOptions, Protocol};
use crossdrive_fixtures::reference;
use http::Version;
use rstest::rstest;
use serde_json::json;
use support::{direct, http1, http2, http2_tls};

/// An app that answers with what it was sent, plus a few awkward routes.
fn wire_app() -> Router {
    Router::new()
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/target",
            // HTTP/2 requests carry an absolute URI; compare the target only.
            get(|uri: Uri| async move {
                uri.path_and_query()
                    .map_or_else(String::new, ToString::to_string)
            }),
        )
        .route(
            "/cookies",
            get(|| async {
                (
                    AppendHeaders([
                        ("set-cookie", "a=1; Path=/"),
                        ("set-cookie", "b=2; HttpOnly"),
                        ("set-cookie", "c=3; Secure"),
                    ]),
                    "three cookies",
                )
            }),
        )
        .route(
            "/seen-cookie",
            get(|headers: HeaderMap| async move {
                headers
                    .get("cookie")
                    .map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
            }),
        )
        .layer(DefaultBodyLimit::disable())
        .route("/moved", get(|| async { Redirect::to("/target") }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/boom",
            get(|| async {
                if true {
                    panic!("the handler blew up");
                }
                StatusCode::OK.into_response()
            }),
        )
}

fn block_on<F: std::future::Future>(work: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(work)
}

fn socket_clients(app: fn() -> Router) -> Vec<Client> {
    vec![http1(app()), http2(app()), http2_tls(app())]
}

#[test]
fn http2_drivers_never_carry_a_request_as_http1() {
    let plain = SocketServer::start(ServerOptions::new()).unwrap();
    let tls = SocketServer::start(ServerOptions::new().tls(true)).unwrap();
    let h2c = Client::new(plain.http2(wire_app()).unwrap());
    let h2 = Client::new(tls.http2_tls(wire_app()).unwrap());
    block_on(async {
        for _ in 0..10 {
            for client in [&h2c, &h2] {
                let response = client.get("/target").await;
                response.assert_status(200);
                assert_eq!(response.protocol(), &Protocol::Http2, "{response}");
                let private: Vec<_> = response
                    .headers()
                    .keys()
                    .filter(|name| name.as_str().starts_with("x-crossdrive-"))
                    .collect();
                assert!(private.is_empty(), "private headers leaked: {private:?}");
            }
        }
    });
    for server in [&plain, &tls] {
        assert_eq!(server.requests_seen(Version::HTTP_11), 0, "{server:?}");
        assert_eq!(server.requests_seen(Version::HTTP_2), 10, "{server:?}");
    }
}

#[test]
fn http1_driver_reports_http1_as_observed_by_the_server() {
    let plain = SocketServer::start(ServerOptions::new()).unwrap();
    let client = Client::new(plain.http1(wire_app()).unwrap());
    block_on(async {
        let response = client.get("/target").await;
        assert_eq!(response.protocol(), &Protocol::Http1, "{response}");
    });
    assert_eq!(plain.requests_seen(Version::HTTP_11), 1);
    assert_eq!(plain.requests_seen(Version::HTTP_2), 0);
}

#[test]
fn a_tls_client_offering_only_http1_falls_back_to_http1() {
    let tls = SocketServer::start(ServerOptions::new().tls(true)).unwrap();
    let fallback = Client::new(tls.http1_tls(wire_app()).unwrap());
    block_on(async {
        let response = fallback.get("/target").await;
        response.assert_status(200).assert_text("/target");
        assert_eq!(response.protocol(), &Protocol::Http1, "{response}");
    });
    assert_eq!(tls.requests_seen(Version::HTTP_11), 1);
    assert_eq!(tls.requests_seen(Version::HTTP_2), 0);
}

#[test]
fn every_shared_server_starts_exactly_once_for_many_tests_on_every_driver() {
    // 16 "tests", each on its own thread and its own runtime, each using
    // every driver of the table. The threads are unnamed, so the options
    // carry this test's name: the lambda-runtime driver's child re-runs it.
    let test = std::thread::current().name().unwrap_or_default().to_owned();
    let options = ConnectOptions::from_env().unwrap().test_name(test);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let options = options.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for kind in Kind::ALL.iter().filter(|k| !k.websocket_only()) {
                        let driver = kind.connect_with(reference::app(), &options).unwrap();
                        let client = Client::from_arc(driver);
                        client.get("/hello").await.assert_status(200);
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let (http, https) = (starts(SHARED_HTTP), starts(SHARED_HTTPS));
    eprintln!("observed starts: {SHARED_HTTP} = {http}, {SHARED_HTTPS} = {https}");
    assert_eq!((http, https), (1, 1));
}

#[test]
fn two_tests_creating_resource_1_concurrently_do_not_see_each_other() {
    for connect in [http1, http2, http2_tls] {
        let barrier = Arc::new(Barrier::new(2));
        let tests: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|title| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let client = connect(reference::app());
                    block_on(async {
                        barrier.wait();
                        client
                            .post("/todos")
                            .json(&json!({ "title": title }))
                            .await
                            .assert_status(201)
                            .assert_header("location", "/todos/1");
                        client
                            .get("/todos")
                            .await
                            .assert_json(&json!([{ "id": 1, "title": title, "done": false }]));
                    });
                })
            })
            .collect();
        for test in tests {
            test.join().unwrap();
        }
    }
}

#[test]
fn three_set_cookie_headers_stay_three() {
    block_on(async {
        for client in socket_clients(wire_app) {
            client.get("/cookies").await.assert_header_all(
                "set-cookie",
                &["a=1; Path=/", "b=2; HttpOnly", "c=3; Secure"],
            );
        }
    });
}

#[test]
fn all_256_byte_values_arrive_byte_identical_both_ways() {
    let every_byte: Vec<u8> = (0..=255).collect();
    block_on(async {
        for client in socket_clients(wire_app) {
            client
                .post("/echo")
                .body(every_byte.clone())
                .await
                .assert_status(200)
                .assert_bytes(&every_byte);
        }
    });
}

#[test]
fn a_5_mib_body_arrives_byte_identical_both_ways() {
    let big: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    block_on(async {
        for client in socket_clients(wire_app) {
            let response = client.post("/echo").body(big.clone()).await;
            response.assert_status(200);
            assert!(
                response.bytes()[..] == big[..],
                "{} changed the 5 MiB body",
                client.name()
            );
        }
    });
}

#[test]
fn repeated_query_keys_and_percent_encoding_arrive_unchanged() {
    block_on(async {
        for client in socket_clients(wire_app) {
            let response = client.get("/target?tag=a%20b&tag=c%2Bd&x=%2F").await;
            response.assert_text("/target?tag=a%20b&tag=c%2Bd&x=%2F");
            assert!(response.notes().is_empty(), "{response}");
        }
    });
}

#[test]
fn redirects_are_returned_not_followed() {
    block_on(async {
        for client in socket_clients(wire_app) {
            client
                .get("/moved")
                .await
                .assert_status(303)
                .assert_header("location", "/target");
        }
    });
}

#[test]
fn a_test_that_asks_for_redirects_gets_them_followed() {
    use crossdrive::socket::reqwest::redirect::Policy;
    let server = SocketServer::shared().unwrap();
    let client = Client::new(
        server
            .http1_with(wire_app(), |b| b.redirect(Policy::limited(3)))
            .unwrap(),
    );
    block_on(async {
        client
            .get("/moved")
            .await
            .assert_status(200)
            .assert_text("/target");
    });
}

#[test]
fn repeated_request_headers_and_an_empty_body_arrive_unchanged() {
    let app = || {
        Router::new().route(
            "/headers",
            post(|headers: HeaderMap, body: Bytes| async move {
                let traces: Vec<_> = headers
                    .get_all("x-trace")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                format!("{} {}", traces.join(","), body.len())
            }),
        )
    };
    block_on(async {
        for client in socket_clients(app) {
            client
                .post("/headers")
                .header("x-trace", "1")
                .header("x-trace", "2")
                .header("x-trace", "3")
                .await
                .assert_text("1,2,3 0");
        }
    });
}

#[test]
fn cookies_are_not_stored_between_requests() {
    block_on(async {
        for client in socket_clients(wire_app) {
            client.get("/cookies").await.assert_status(200);
            client.get("/seen-cookie").await.assert_text("none");
        }
    });
}

#[test]
fn a_slow_handler_times_out_naming_driver_method_and_uri() {
    let server = SocketServer::shared().unwrap();
    let client = Client::new(
        server
            .http1(wire_app())
            .unwrap()
            .timeout(Duration::from_millis(100)),
    );
    let error = block_on(client.get("/slow").try_send()).unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("http1 driver: GET /slow: timed out after 100ms"),
        "{error}"
    );
}

#[test]
fn a_broken_connection_is_a_connection_error_not_a_panic() {
    // h2c spoken to a TLS port: the handshake fails and the server hangs up.
    let tls = SocketServer::shared_tls().unwrap();
    let client = Client::new(tls.http2(wire_app()).unwrap());
    let error = block_on(client.get("/target").try_send()).unwrap_err();
    assert!(error.is_connection(), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("http2 driver: GET /target: connection error"),
        "{error}"
    );
}

#[test]
fn a_panicking_handler_is_a_handler_panic_error_and_the_server_lives_on() {
    block_on(async {
        for client in socket_clients(wire_app) {
            let error = client.get("/boom").try_send().await.unwrap_err();
            assert!(error.is_handler_panic(), "{error}");
            assert!(error.to_string().contains("the handler blew up"), "{error}");
            client.get("/target").await.assert_status(200);
        }
    });
}

#[test]
fn a_request_without_the_app_header_gets_a_421_explaining_the_fixture() {
    let server = SocketServer::shared().unwrap();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    assert!(answer.contains("x-crossdrive-app"), "{answer}");
}

#[test]
fn a_bare_hyper_client_gets_a_421_without_any_private_header() {
    use http_body_util::{BodyExt, Empty};
    let server = SocketServer::shared().unwrap();
    block_on(async {
        let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        // No id; the sequential ids of old; a well-formed id nobody
        // mounted; and something else entirely.
        for app in [
            None,
            Some("1"),
            Some("00000000000000000000000000000000"),
            Some("not an id"),
        ] {
            let mut request =
                http::Request::get("/hello").header("host", server.addr().to_string());
            if let Some(app) = app {
                request = request.header("x-crossdrive-app", app);
            }
            sender.ready().await.unwrap();
            let response = sender
                .send_request(request.body(Empty::<Bytes>::new()).unwrap())
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "{app:?}"
            );
            let private: Vec<_> = response
                .headers()
                .keys()
                .filter(|name| name.as_str().starts_with("x-crossdrive-"))
                .collect();
            assert!(private.is_empty(), "{app:?}: private headers {private:?}");
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains("x-crossdrive-app"), "{body}");
        }
    });
}

/// Answers with the peer address axum's `ConnectInfo` extractor reads.
fn peer_app() -> Router {
    Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
    )
}

/// Whether this machine has a TCP connection (in any state, TIME_WAIT
/// included) from `local` to `remote`: the kernel's own word that `local`
/// is a client's address, not a made-up one.
#[cfg(target_os = "linux")]
fn tcp_connection_exists(local: SocketAddr, remote: SocketAddr) -> bool {
    let parse = |field: &str| -> Option<SocketAddr> {
        let (ip, port) = field.split_once(':')?;
        // The kernel prints the address as the u32 it holds in network
        // order, so its native bytes are the address bytes.
        let ip = u32::from_str_radix(ip, 16).ok()?.to_ne_bytes();
        Some(SocketAddr::from((ip, u16::from_str_radix(port, 16).ok()?)))
    };
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 2 && parse(fields[1]) == Some(local) && parse(fields[2]) == Some(remote)
    })
}

#[test]
fn connect_info_is_the_clients_local_address_on_every_socket_driver() {
    let plain = SocketServer::shared().unwrap();
    let tls = SocketServer::shared_tls().unwrap();
    // (server, driver, whether its two requests share one connection)
    let drivers = [
        (plain, plain.http1(peer_app()).unwrap(), true),
        (plain, plain.http2(peer_app()).unwrap(), true),
        (tls, tls.http2_tls(peer_app()).unwrap(), true),
        (plain, plain.http1_fresh(peer_app()).unwrap(), false),
    ];
    block_on(async {
        for (server, driver, kept_alive) in drivers {
            let client = Client::new(driver);
            let mut peers = Vec::new();
            for _ in 0..2 {
                let response = client.get("/peer").await;
                response.assert_status(200);
                let peer: SocketAddr = response.text().parse().expect("an address");
                assert_eq!(peer.ip(), Ipv4Addr::LOCALHOST, "{}", client.name());
                assert_ne!(peer.port(), 0, "{}", client.name());
                #[cfg(target_os = "linux")]
                assert!(
                    tcp_connection_exists(peer, server.addr()),
                    "{}: no connection from {peer} to {}",
                    client.name(),
                    server.addr()
                );
                peers.push(peer);
            }
            assert_eq!(
                peers[0] == peers[1],
                kept_alive,
                "{}: {peers:?}",
                client.name()
            );
        }
    });
}

#[test]
fn connect_info_is_set_on_the_servers_thread_too() {
    let server = SocketServer::shared().unwrap();
    let from_no_runtime = Client::new(server.http1(peer_app()).unwrap());
    let through_reqwest = Client::new(server.http1_with(peer_app(), |b| b).unwrap());
    let mut peers = vec![
        futures_executor::block_on(from_no_runtime.get("/peer").try_send())
            .unwrap()
            .text()
            .to_owned(),
    ];
    peers.push(block_on(async {
        through_reqwest.get("/peer").await.text().to_owned()
    }));
    for peer in peers {
        let peer: SocketAddr = peer.parse().expect("an address");
        assert_eq!(peer.ip(), Ipv4Addr::LOCALHOST);
        assert_ne!(peer.port(), 0);
    }
}

#[test]
fn a_server_on_a_picked_port_serves_on_the_port_it_reports() {
    let server = SocketServer::start(ServerOptions::new().port(Port::Picked)).unwrap();
    assert_ne!(server.addr().port(), 0);
    let client = Client::new(server.http1(wire_app()).unwrap());
    block_on(async {
        client.get("/target").await.assert_status(200);
    });
}

#[test]
fn a_driver_works_from_a_caller_without_any_tokio_runtime() {
    // Requests run on the server's runtime; the caller may use any executor.
    let client = http1(wire_app());
    let response = futures_executor::block_on(client.get("/target").try_send()).unwrap();
    response.assert_status(200);
}

#[rstest]
#[case::direct(direct(reference::app()))]
#[case::http1(http1(reference::app()))]
#[case::http2(http2(reference::app()))]
#[case::http2_tls(http2_tls(reference::app()))]
#[tokio::test]
async fn ready_made_fixtures_need_one_line_per_driver(#[case] client: Client) {
    client
        .get("/hello")
        .await
        .assert_status(200)
        .assert_text("Hello, world!");
}

#[rstest]
#[tokio::test]
async fn the_once_fixture_is_the_shared_server(
    #[from(support::socket_server)] server: &SocketServer,
) {
    assert_eq!(server.addr(), SocketServer::shared().unwrap().addr());
    let client = Client::new(server.http2(reference::app()).unwrap());
    client.get("/hello").await.assert_status(200);
}

/// A server of its own, so connection counts are this test's alone.
fn private_server() -> SocketServer {
    SocketServer::start(ServerOptions::new().label("keep-alive-proof")).unwrap()
}

#[test]
fn http1_carries_sequential_requests_on_one_kept_alive_connection() {
    let server = private_server();
    let client = Client::new(server.http1(wire_app()).unwrap());
    block_on(async {
        for _ in 0..50 {
            client.get("/target?x=1").await.assert_text("/target?x=1");
        }
    });
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.connections_opened("http1"), 1);
}

#[test]
fn http2_websockets_are_streams_of_the_connection_requests_use() {
    let server = private_server();
    let client = Client::new(server.http2(reference::app()).unwrap());
    block_on(async {
        client.get("/hello").await.assert_status(200);
        let mut first = client.websocket("/ws").await.into_websocket();
        let mut second = client.websocket("/ws").await.into_websocket();
        first.send_text("one").await;
        second.send_text("two").await;
        second.assert_receive_text("two").await;
        first.assert_receive_text("one").await;
        client.get("/hello").await.assert_status(200);
    });
    assert_eq!(server.connections_opened("http2"), 1);
}

#[test]
fn http1_websockets_each_take_a_connection_of_their_own() {
    let server = private_server();
    let client = Client::new(server.http1(reference::app()).unwrap());
    block_on(async {
        client.get("/hello").await.assert_status(200);
        let mut socket = client.websocket("/ws").await.into_websocket();
        socket.send_text("one").await;
        socket.assert_receive_text("one").await;
        client.get("/hello").await.assert_status(200);
    });
    // The request's kept-alive connection, and the socket's own.
    assert_eq!(server.connections_opened("http1"), 2);
}

#[test]
fn http1_fresh_opens_a_connection_for_every_request() {
    let server = private_server();
    let client = Client::new(server.http1_fresh(wire_app()).unwrap());
    block_on(async {
        for _ in 0..20 {
            client.get("/target").await.assert_status(200);
        }
    });
    assert_eq!(server.connections_accepted(), 20);
    assert_eq!(server.connections_opened("http1-fresh"), 20);
}

#[test]
fn http2_multiplexes_concurrent_requests_on_one_connection() {
    let server = private_server();
    let client = Client::new(server.http2(wire_app()).unwrap());
    block_on(async {
        // The first request opens the connection; the next 64 share it at once.
        client.get("/target").await.assert_status(200);
        let requests = (0..64).map(|i| {
            let client = client.clone();
            async move {
                let target = format!("/target?i={i}");
                client.get(&target).await.assert_text(&target);
            }
        });
        futures_util::future::join_all(requests).await;
    });
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.requests_seen(Version::HTTP_2), 65);
}

#[test]
fn concurrent_http1_requests_open_connections_and_then_reuse_them() {
    let server = private_server();
    let client = Client::new(server.http1(wire_app()).unwrap());
    block_on(async {
        for _ in 0..5 {
            let requests = (0..8).map(|_| {
                let client = client.clone();
                async move {
                    client.get("/target").await.assert_status(200);
                }
            });
            futures_util::future::join_all(requests).await;
        }
    });
    let opened = server.connections_accepted();
    // Eight at a time need at most eight connections, whatever the timing;
    // five rounds of eight on fresh connections would have needed forty.
    assert!(
        (1..=8).contains(&opened),
        "{opened} connections for 40 requests"
    );
}

#[test]
fn a_connection_the_server_closed_is_not_reused() {
    let app = || {
        Router::new()
            .route(
                "/close",
                get(|| async { ([("connection", "close")], "bye") }),
            )
            .route("/hello", get(|| async { "hi" }))
    };
    let server = private_server();
    let client = Client::new(server.http1(app()).unwrap());
    block_on(async {
        client.get("/close").await.assert_text("bye");
        client.get("/hello").await.assert_text("hi");
        client.get("/hello").await.assert_text("hi");
    });
    assert_eq!(server.connections_accepted(), 2);
}

#[test]
fn dot_segments_go_on_the_wire_as_given_but_reqwest_notes_its_normalization() {
    let server = SocketServer::shared().unwrap();
    let plain = Client::new(server.http1(wire_app()).unwrap());
    let through_reqwest = Client::new(server.http1_with(wire_app(), |b| b).unwrap());
    block_on(async {
        // The default transport sends the target byte for byte; axum then
        // finds no route for the literal dot segments.
        let as_given = plain.get("/x/../target").await;
        as_given.assert_status(404);
        assert!(as_given.notes().is_empty(), "{:?}", as_given.notes());
        // reqwest parses the URL and removes the dot segments first.
        let normalized = through_reqwest.get("/x/../target").await;
        normalized.assert_status(200).assert_text("/target");
        let note = normalized
            .notes()
            .iter()
            .find(|note| note.code == "uri-normalized")
            .expect("a uri-normalized note");
        assert!(
            note.detail.contains("`/x/../target` as `/target`"),
            "{}",
            note.detail
        );
    });
}

#[test]
fn the_reqwest_transport_a_test_asks_for_keeps_each_drivers_protocol() {
    let plain = SocketServer::shared().unwrap();
    let tls = SocketServer::shared_tls().unwrap();
    let clients = [
        (
            plain.http1_with(wire_app(), |b| b).unwrap(),
            Protocol::Http1,
        ),
        (
            plain.http2_with(wire_app(), |b| b).unwrap(),
            Protocol::Http2,
        ),
        (
            tls.http2_tls_with(wire_app(), |b| b).unwrap(),
            Protocol::Http2,
        ),
    ];
    block_on(async {
        for (driver, protocol) in clients {
            let client = Client::new(driver);
            let response = client.get("/target?q=1").await;
            response.assert_status(200).assert_text("/target?q=1");
            assert_eq!(response.protocol(), &protocol, "{}", response.driver());
        }
    });
}
