//! The shared suite over the reference app, run on every driver.
//!
//! Each `async fn` below becomes one test per driver of the driver table
//! (`create_then_read::direct`, ...). Select drivers with the test name
//! filter (`cargo test ::direct`) or `CROSSDRIVE_DRIVERS=direct`.
//!
//! Each body also becomes an ignored `::remote` test, run against the
//! deployment at `CROSSDRIVE_REMOTE_URL` with
//! `cargo test --test reference -- --ignored ::remote`. The deployment is one app whose
//! state every test shares, so the tests that need a fresh app (they
//! expect id 1 or an empty list) are `local_only` and say so on remote.

use crossdrive::remote::local_only;
use crossdrive_fixtures::reference::{self, ADMIN_TOKEN, Todo, USER_TOKEN};
use serde_json::json;

crossdrive::suite! {
    app = reference::app;

    async fn simple_get_answers_hello(client) {
        client
            .get("/hello")
            .await
            .assert_status(200)
            .assert_header("content-type", "text/plain; charset=utf-8")
            .assert_text("Hello, world!");
    }

    async fn get_with_a_path_parameter_returns_that_todo(client) {
        if local_only(&client, "expects PUT /todos/7 to create, so needs a fresh app") {
            return;
        }
        client.put("/todos/7").json(&json!({"title": "seven"})).await.assert_status(201);
        client
            .get("/todos/7")
            .await
            .assert_status(200)
            .assert_json(&json!({"id": 7, "title": "seven", "done": false}));
    }

    async fn authenticated_get_with_the_admin_token_is_200(client) {
        if local_only(&client, "counts the to-dos, so needs a fresh app") {
            return;
        }
        client.get("/admin/stats").bearer(ADMIN_TOKEN).await.assert_status(200).assert_json(&json!({"todos": 0}));
    }

    async fn a_token_without_the_admin_role_is_403(client) {
        client
            .get("/admin/stats")
            .bearer(USER_TOKEN)
            .await
            .assert_status(403)
            .assert_json(&json!({"error": "the admin role is required"}));
    }

    async fn no_token_is_401_with_a_bearer_challenge(client) {
        client
            .get("/admin/stats")
            .await
            .assert_status(401)
            .assert_header("www-authenticate", "Bearer realm=\"crossdrive\"");
    }

    async fn a_wrong_token_is_401(client) {
        client
            .get("/admin/stats")
            .bearer("not-a-token")
            .await
            .assert_status(401)
            .assert_json(&json!({"error": "the bearer token is not valid"}));
    }

    async fn post_creates_with_201_and_a_location(client) {
        if local_only(&client, "expects id 1, so needs a fresh app") {
            return;
        }
        let created = client.post("/todos").json(&json!({"title": "write tests"})).await;
        created.assert_status(201).assert_header("location", "/todos/1");
        let todo: Todo = created.json();
        assert_eq!(todo, Todo { id: 1, title: "write tests".into(), done: false });
    }

    async fn put_updates_an_existing_todo_with_200(client) {
        if local_only(&client, "expects id 1, so needs a fresh app") {
            return;
        }
        client.post("/todos").json(&json!({"title": "draft"})).await.assert_status(201);
        client
            .put("/todos/1")
            .json(&json!({"title": "final", "done": true}))
            .await
            .assert_status(200)
            .assert_json(&json!({"id": 1, "title": "final", "done": true}));
    }

    async fn delete_answers_204_with_no_body_and_the_todo_is_gone(client) {
        if local_only(&client, "expects id 1, so needs a fresh app") {
            return;
        }
        client.post("/todos").json(&json!({"title": "doomed"})).await.assert_status(201);
        let deleted = client.delete("/todos/1").await;
        deleted.assert_status(204);
        assert!(deleted.bytes().is_empty(), "204 must carry no body:\n{deleted}");
        client.get("/todos/1").await.assert_status(404);
    }

    async fn conditional_get_with_a_matching_etag_is_304(client) {
        if local_only(&client, "expects id 1, so needs a fresh app") {
            return;
        }
        let created = client.post("/todos").json(&json!({"title": "cached"})).await;
        let etag = created.header("etag").expect("created to-dos carry an ETag").to_owned();
        let cached = client.get("/todos/1").header("if-none-match", etag.as_str()).await;
        cached.assert_status(304).assert_header("etag", &etag);
        assert!(cached.bytes().is_empty(), "304 must carry no body:\n{cached}");
        client.get("/todos/1").header("if-none-match", "\"stale\"").await.assert_status(200);
    }

    async fn an_unknown_id_is_404_with_a_readable_error(client) {
        client
            .get("/todos/404")
            .await
            .assert_status(404)
            .assert_json(&json!({"error": "no to-do with id 404"}));
    }

    async fn a_non_numeric_id_is_400(client) {
        client
            .get("/todos/abc")
            .await
            .assert_status(400)
            .assert_json(&json!({"error": "`abc` is not a to-do id; ids are positive integers"}));
    }

    async fn an_unknown_route_is_404(client) {
        client
            .get("/nowhere")
            .await
            .assert_status(404)
            .assert_json(&json!({"error": "no route for GET /nowhere"}));
    }

    async fn a_wrong_method_is_405_with_allow(client) {
        client.patch("/hello").await.assert_status(405).assert_header("allow", "GET,HEAD");
        client.delete("/todos").await.assert_status(405).assert_header("allow", "GET,HEAD,POST");
    }

    async fn malformed_json_is_400_with_the_parse_error(client) {
        let response = client
            .post("/todos")
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .await;
        response.assert_status(400);
        let error: serde_json::Value = response.json();
        let message = error["error"].as_str().unwrap_or_default();
        assert_eq!(message, "the body is not valid JSON", "{response}");
    }

    async fn json_of_the_wrong_shape_is_422_naming_the_field(client) {
        let response = client.post("/todos").json(&json!({"name": "x"})).await;
        response.assert_status(422);
        let error: serde_json::Value = response.json();
        // The field's name, whatever serde's wording around it.
        assert!(error["error"].as_str().unwrap_or_default().contains("title"), "{response}");
    }

    async fn an_empty_title_is_422(client) {
        client
            .post("/todos")
            .json(&json!({"title": "  "}))
            .await
            .assert_status(422)
            .assert_json(&json!({"error": "title must not be empty"}));
    }

    async fn create_read_update_delete_cycle(client) {
        if local_only(&client, "expects id 1 and an empty list, so needs a fresh app") {
            return;
        }
        let created = client.post("/todos").json(&json!({"title": "cycle"})).await;
        created.assert_status(201);
        let location = created.header("location").expect("201 carries Location").to_owned();
        client.get(&location).await.assert_status(200).assert_json(&json!({"id": 1, "title": "cycle", "done": false}));
        client.put(&location).json(&json!({"title": "cycled", "done": true})).await.assert_status(200);
        client.get(&location).await.assert_json(&json!({"id": 1, "title": "cycled", "done": true}));
        client.delete(&location).await.assert_status(204);
        client.get(&location).await.assert_status(404);
        client.get("/todos").await.assert_status(200).assert_json(&json!([]));
    }

    async fn each_test_gets_a_fresh_app(client) {
        if local_only(&client, "checks per-test app isolation, which one deployment cannot give") {
            return;
        }
        // Every other test creates to-do 1; if state leaked, this list would not be empty.
        client.get("/todos").await.assert_status(200).assert_json(&json!([]));
        client.post("/todos").json(&json!({"title": "mine"})).await.assert_header("location", "/todos/1");
    }

    // The rows the bench measures, checked as tests: a driver that answers
    // a scenario wrongly fails here, not only in a bench run.
    async fn bench_scenarios_answer_as_declared(client) {
        if local_only(&client, "seeds to-do 1 and expects PUT to create it, so needs a fresh app") {
            return;
        }
        for scenario in crossdrive_fixtures::scenarios::reference() {
            scenario.check(&client).await;
            // A bench cell gives each scenario a fresh app, whose seed PUT
            // creates to-do 1 (201); here they share one, so remove it.
            client.delete("/todos/1").await;
        }
    }
}
