//! The live feed (`/books/live`), one WebSocket test body per behaviour on
//! every adapter bookshelf ships behind: `direct`, HTTP/1.1 (`http1`,
//! `http1_fresh`), HTTP/2 (`http2`, and `http2_tls` with `tls`) reach the
//! axum route; `lambda_ws` (with `lambda`) is the API Gateway WebSocket
//! API in front of the team's WebSocket function,
//! `bookshelf::live_function`. The Lambda HTTP sources carry no WebSocket,
//! so each body that needs one declares that difference.
//!
//! `lambda_ws` carries WebSockets only, so the suite names its drivers in
//! `only = [..]`: every adapter bookshelf ships behind. A build without
//! the feature a driver needs (`--no-default-features` drops `lambda` and
//! `tls`) shows that driver's tests as ignored, saying to turn its feature
//! on.

#[path = "../support/deployment.rs"]
mod deployment;
#[path = "../support/duplex.rs"]
mod edge;
#[path = "../support/scenarios.rs"]
mod scenarios;

/// Why the Lambda HTTP sources open no WebSocket.
const REQUEST_RESPONSE: &str = "API Gateway's REST and HTTP APIs, Function URLs and ALB carry \
     requests, not WebSockets: a WebSocket API is a deployment of its own (lambda_ws)";

/// Why ALB answers a handshake itself.
const ALB_REFUSES_UPGRADES: &str = "ALB answers an upgrade request to a Lambda target 400 before \
     the function runs (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html)";

/// Why `lambda_ws`'s refusal has no body.
const STATUS_ONLY: &str = "API Gateway refuses a handshake with the status $connect answered; \
     what else the function answered is not documented to reach the client, and the model sends \
     none (crossdrive's docs/lambda-fidelity.md, `$connect` refusal)";

/// Why `lambda_ws` sees no `POST /books`.
const SEPARATE_APIS: &str = "a WebSocket API carries no HTTP request (403 Forbidden): on AWS the \
     REST API is another deployment, whose function would post to @connections";

crossdrive::suite! {
    app = bookshelf::app;
    drivers = deployment::with_websocket_api;
    only = [
        direct, http1, http2, http2_tls, http1_fresh, lambda_ws,
        lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream,
    ];

    // The card is checked before the upgrade, so the refusal is
    // the same on every adapter, even those that carry no
    // WebSocket, but ALB, which answers the handshake itself.
    #[differs(lambda_alb, status = 400, because = ALB_REFUSES_UPGRADES)]
    async fn the_live_feed_needs_a_library_card(client) {
        client.websocket("/books/live").await.assert_status(401);
        client.websocket("/books/live").bearer("stranger").await.assert_status(401);
    }

    #[differs(lambda_alb, status = 400, because = ALB_REFUSES_UPGRADES)]
    #[differs(lambda_ws, expected = "www-authenticate", because = STATUS_ONLY)]
    async fn a_refused_feed_says_why(client) {
        client
            .websocket("/books/live")
            .await
            .assert_header("www-authenticate", "Bearer")
            .assert_json(&json!({ "error": "the live feed needs a library card" }));
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream,
              note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    async fn a_book_shelved_on_the_feed_is_announced_to_every_open_feed(client) {
        let mut librarian = client
            .websocket("/books/live")
            .bearer(LIBRARIAN_TOKEN)
            .await
            .into_websocket();
        let mut reader = client.websocket("/books/live").bearer(READER_TOKEN).await.into_websocket();
        librarian
            .send_json(&json!({ "action": "shelve", "title": "Dune", "author": "Herbert" }))
            .await;
        let news = json!({
            "event": "shelved",
            "book": { "id": 1, "title": "Dune", "author": "Herbert" }
        });
        librarian.assert_receive_json(&news).await;
        reader.assert_receive_json(&news).await;
        reader.send_json(&json!({ "action": "count" })).await;
        reader.assert_receive_json(&json!({ "event": "count", "books": 1 })).await;
        reader.close(1000, "done").await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream,
              note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    async fn a_message_the_feed_cannot_read_gets_an_error_event(client) {
        let mut feed = client.websocket("/books/live").bearer(READER_TOKEN).await.into_websocket();
        for unreadable in [json!({ "action": "dance" }), json!("hello")] {
            feed.send_json(&unreadable).await;
            let answer: Value = feed.receive_json().await;
            assert_eq!(answer["event"], "error", "{unreadable}: {answer}");
        }
        feed.send_json(&json!({ "action": "shelve", "title": " ", "author": "Nobody" })).await;
        feed.assert_receive_json(&json!({ "event": "error", "error": "a book needs a title" }))
            .await;
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream,
              note = "websocket-not-carried", because = REQUEST_RESPONSE)]
    #[differs(lambda_ws, status = 403, because = SEPARATE_APIS)]
    async fn a_book_created_over_http_is_announced_on_the_feed(client) {
        let mut feed = client.websocket("/books/live").bearer(READER_TOKEN).await.into_websocket();
        client
            .post("/books")
            .json(&json!({ "title": "Emma", "author": "Austen" }))
            .await
            .assert_status(201);
        let news: Value = feed.receive_json().await;
        assert_eq!(news["book"]["title"], "Emma", "{news}");
    }

    #[differs(lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime, lambda_url_stream,
              expected = "expected a WebSocket this driver can carry",
              because = REQUEST_RESPONSE)]
    async fn the_live_bench_scenarios_answer_as_they_declare(client) {
        for scenario in scenarios::live() {
            scenario.check(&client).await;
        }
    }
}

use bookshelf::LIBRARIAN_TOKEN;
use bookshelf::live::READER_TOKEN;
use serde_json::{Value, json};
