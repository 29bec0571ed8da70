//! bookshelf's suite: every test runs on every adapter it ships behind
//! (`direct`, the Lambda sources as deployed, the real runtime loop,
//! HTTP/1.1, h2c, HTTP/2 over TLS, a new connection per request) and on
//! the team's own `duplex` driver. `cargo test` runs them all;
//! `cargo test -- lambda_v1::` runs one adapter, and
//! `cargo test -- handlers_see_a_loopback_peer` one test on every adapter.

#[path = "../support/deployment.rs"]
mod deployment;
#[path = "../support/duplex.rs"]
mod edge;
#[path = "../support/scenarios.rs"]
mod scenarios;

use bookshelf::{LIBRARIAN_TOKEN, UPLOAD_LIMIT, WEB_ORIGIN, cover_bytes};
use crossdrive::Client;
use deployment::drivers;
use serde_json::{Value, json};

/// Creates a book and returns its path (`/books/1`).
async fn shelve(client: &Client, title: &str, author: &str) -> String {
    let created = client
        .post("/books")
        .json(&json!({ "title": title, "author": author }))
        .await;
    created.assert_status(201);
    created.header("location").expect("a Location").to_owned()
}

/// Why no Lambda driver hands the app a peer address.
const NO_CONNECTION: &str = "a Lambda function has no connection: lambda_http hands the app no \
                             ConnectInfo (the caller's address is in the event's requestContext)";

crossdrive::suite! {
    app = bookshelf::app;
    drivers = drivers;
    custom = [duplex];

    async fn health_answers_ok(client) {
        client.get("/health").await.assert_status(200).assert_text("ok");
    }

    async fn creating_a_book_answers_201_with_its_location(client) {
        let created = client
            .post("/books")
            .json(&json!({ "title": "Dune", "author": "Herbert" }))
            .await;
        created.assert_status(201).assert_header("location", "/books/1");
        created.assert_json(&json!({ "id": 1, "title": "Dune", "author": "Herbert" }));
    }

    async fn a_created_book_reads_back(client) {
        let path = shelve(&client, "Emma", "Austen").await;
        client.get(&path).await.assert_status(200).assert_json(&json!({
            "id": 1, "title": "Emma", "author": "Austen"
        }));
    }

    async fn every_test_starts_with_an_empty_catalogue(client) {
        client.get("/books").await.assert_status(200).assert_json(&json!([]));
    }

    async fn listing_filters_by_author(client) {
        shelve(&client, "Emma", "Austen").await;
        shelve(&client, "Dune", "Herbert").await;
        shelve(&client, "Persuasion", "Austen").await;
        let austen: Vec<Value> = client.get("/books").query("author", "Austen").await.json();
        let titles: Vec<&str> = austen.iter().filter_map(|b| b["title"].as_str()).collect();
        assert_eq!(titles, ["Emma", "Persuasion"]);
    }

    async fn an_unknown_book_is_a_json_404(client) {
        client
            .get("/books/999")
            .await
            .assert_status(404)
            .assert_json(&json!({ "error": "no such book" }));
    }

    async fn an_unknown_route_is_a_json_404(client) {
        client.get("/shelves").await.assert_status(404).assert_json(&json!({ "error": "no such route" }));
    }

    async fn malformed_json_is_refused_with_400(client) {
        client
            .post("/books")
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .await
            .assert_status(400);
    }

    async fn a_book_without_an_author_is_refused_with_422(client) {
        client.post("/books").json(&json!({ "title": "Anonymous" })).await.assert_status(422);
    }

    async fn a_blank_title_is_refused_with_422(client) {
        client
            .post("/books")
            .json(&json!({ "title": "  ", "author": "Nobody" }))
            .await
            .assert_status(422)
            .assert_json(&json!({ "error": "a book needs a title" }));
    }

    async fn a_body_that_is_not_json_is_refused_with_415(client) {
        client.post("/books").body("title=Dune").await.assert_status(415);
    }

    async fn replacing_a_book_changes_it(client) {
        let path = shelve(&client, "Dune", "Herbert").await;
        client
            .put(&path)
            .json(&json!({ "title": "Dune Messiah", "author": "Herbert" }))
            .await
            .assert_status(200);
        let read: Value = client.get(&path).await.json();
        assert_eq!(read["title"], "Dune Messiah");
    }

    async fn removing_a_book_needs_the_librarian(client) {
        let path = shelve(&client, "Dune", "Herbert").await;
        client.delete(&path).await.assert_status(401);
        client.delete(&path).bearer("reader").await.assert_status(401);
        client.get(&path).await.assert_status(200);
    }

    async fn the_librarian_removes_a_book(client) {
        let path = shelve(&client, "Dune", "Herbert").await;
        client.delete(&path).bearer(LIBRARIAN_TOKEN).await.assert_status(204);
        client.get(&path).await.assert_status(404);
    }

    async fn a_matching_etag_answers_304_without_a_body(client) {
        let path = shelve(&client, "Emma", "Austen").await;
        let first = client.get(&path).await;
        let tag = first.header("etag").expect("an ETag").to_owned();
        let again = client.get(&path).header("if-none-match", &tag).await;
        again.assert_status(304).assert_header("etag", &tag);
        assert!(again.bytes().is_empty(), "{again}");
    }

    async fn a_cover_arrives_byte_for_byte(client) {
        let path = shelve(&client, "Dune", "Herbert").await;
        // A REST API hands back binary only when the first Accept type is
        // one of its binary media types, so the client asks for a PNG.
        client
            .get(format!("{path}/cover"))
            .header("accept", "image/png")
            .await
            .assert_status(200)
            .assert_header("content-type", "image/png")
            .assert_bytes(&cover_bytes());
    }

    async fn a_session_sets_two_cookies(client) {
        client
            .get("/session")
            .await
            .assert_status(200)
            .assert_header_all("set-cookie", &["session=abc123; HttpOnly; Path=/", "theme=dark; Path=/"])
            // By cookie name, attributes aside: what a browser would keep.
            .assert_cookie("session", "abc123")
            .assert_cookie("theme", "dark");
    }

    async fn every_response_names_the_service(client) {
        client.get("/health").await.assert_header("x-service", "bookshelf");
        client.get("/nowhere").await.assert_header("x-service", "bookshelf");
    }

    async fn a_request_id_sent_comes_back(client) {
        client
            .get("/health")
            .header("x-request-id", "trace-42")
            .await
            .assert_header("x-request-id", "trace-42");
    }

    async fn a_request_without_an_id_gets_one(client) {
        client.get("/health").await.assert_header("x-request-id", "req-1");
        client.get("/health").await.assert_header("x-request-id", "req-2");
    }

    async fn a_cors_preflight_from_the_web_app_is_allowed(client) {
        let preflight = client
            .options("/books")
            .header("origin", WEB_ORIGIN)
            .header("access-control-request-method", "DELETE")
            .await;
        preflight.assert_status(200).assert_header("access-control-allow-origin", WEB_ORIGIN);
        let methods = preflight.header("access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains("DELETE"), "{preflight}");
    }

    async fn an_upload_within_the_limit_is_counted(client) {
        client
            .post("/upload")
            .body(vec![7u8; 1000])
            .await
            .assert_status(200)
            .assert_json(&json!({ "bytes": 1000 }));
    }

    async fn an_upload_over_the_limit_is_refused_with_413(client) {
        client.post("/upload").body(vec![7u8; UPLOAD_LIMIT + 1]).await.assert_status(413);
    }

    async fn repeated_query_keys_reach_the_handler(client) {
        let seen: Value = client.get("/search").query("tag", "sf").query("tag", "classic").await.json();
        assert_eq!(seen["pairs"], json!([["tag", "sf"], ["tag", "classic"]]));
    }

    async fn a_method_the_route_lacks_is_405(client) {
        client.patch("/health").await.assert_status(405);
    }

    /// A declared difference says what differs: here the failure message
    /// must be the missing peer, so any other failure on these drivers
    /// (a wrong status, a panic) still fails the test.
    #[differs(lambda*, expected = "a ConnectInfo peer", because = NO_CONNECTION)]
    #[differs(
        duplex,
        expected = "a ConnectInfo peer",
        because = "the in-memory pipe has no socket, so the edge passes no ConnectInfo",
    )]
    async fn handlers_see_a_loopback_peer(client) {
        let seen: Value = client.get("/whoami").await.assert_status(200).json();
        let peer: std::net::SocketAddr = seen["peer"]
            .as_str()
            .expect("a ConnectInfo peer")
            .parse()
            .expect("a socket address");
        assert!(peer.ip().is_loopback(), "{peer}");
    }

    async fn the_bench_scenarios_answer_as_they_declare(client) {
        for scenario in scenarios::http() {
            scenario.check(&client).await;
        }
    }
}
