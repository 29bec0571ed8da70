//! Parity snapshots of the reference app's scenarios: every driver must
//! answer each scenario identically (status, headers without volatile ones,
//! body), and what they agree on is pinned by one insta snapshot per
//! scenario in `tests/snapshots/`. A diverging driver fails naming itself
//! with a diff; a change on every driver fails against the snapshot and is
//! reviewed with `cargo insta review`.

use crossdrive_fixtures::reference::{self, ADMIN_TOKEN, USER_TOKEN};
use serde_json::json;

/// Four sources give a response without a content type one, where every
/// other driver sends none (the reference app's 204, 304 and 405), each
/// recorded against AWS except the streaming URL's:
/// lambda_runtime 1.5.0 (requests.rs, the streaming response's prelude)
/// defaults it to `application/octet-stream` on a streaming Function URL;
/// a REST API (`lambda-v1`) sends `application/json`, an HTTP API
/// (`lambda`, `lambda-runtime`) `text/plain; charset=utf-8` and a
/// buffered Function URL (`lambda-url`) `application/json`
/// (docs/lambda-fidelity.md, "content type of the response when the
/// function sets none").
fn differences(scenario: &str, driver: &str) -> Option<String> {
    let no_content_type = ["conditional_get_304", "delete", "method_not_allowed_405"];
    if !no_content_type.contains(&scenario) {
        return None;
    }
    match driver {
        "lambda-url-stream" => Some(
            "lambda_runtime 1.5.0 (requests.rs, streaming prelude) defaults a missing \
             content-type to application/octet-stream"
                .to_owned(),
        ),
        "lambda-v1" => Some(
            "a REST API gives a response without a content-type application/json (recorded \
             against AWS: localstack/localstack@8b9a79f0 test_apigateway_lambda.py \
             test_aws_proxy_response_payload_format_validation, invoke-api-with-headers)"
                .to_owned(),
        ),
        "lambda" | "lambda-runtime" => Some(
            "an HTTP API gives a response without a content-type text/plain; charset=utf-8 \
             (recorded against AWS: aws/aws-lambda-dotnet@83149216 LambdaTestTool-v2 snapshot \
             V2_DefaultsToTextPlainContentType.json)"
                .to_owned(),
        ),
        "lambda-url" => Some(
            "a Function URL gives a response without a content-type application/json \
             (recorded against AWS: localstack/localstack@8b9a79f0 test_lambda.py \
             TestLambdaURL::test_lambda_url_invocation[http-response])"
                .to_owned(),
        ),
        _ => None,
    }
}

crossdrive::parity! {
    app = reference::app;
    differences = differences;

    async fn simple_get(client) {
        client.get("/hello").await
    }

    async fn get_with_param(client) {
        client.put("/todos/7").json(&json!({"title": "seven"})).await.assert_status(201);
        client.get("/todos/7").await
    }

    async fn auth_get_ok(client) {
        client.get("/admin/stats").bearer(ADMIN_TOKEN).await
    }

    async fn auth_get_forbidden(client) {
        client.get("/admin/stats").bearer(USER_TOKEN).await
    }

    async fn unauthorized_401(client) {
        client.get("/admin/stats").await
    }

    async fn post_create(client) {
        client.post("/todos").json(&json!({"title": "write tests"})).await
    }

    async fn put_update(client) {
        client.post("/todos").json(&json!({"title": "draft"})).await.assert_status(201);
        client.put("/todos/1").json(&json!({"title": "final", "done": true})).await
    }

    async fn delete(client) {
        client.post("/todos").json(&json!({"title": "doomed"})).await.assert_status(201);
        client.delete("/todos/1").await
    }

    async fn not_found_404(client) {
        client.get("/todos/999999").await
    }

    async fn method_not_allowed_405(client) {
        client.patch("/hello").await
    }

    async fn conditional_get_304(client) {
        let created = client.post("/todos").json(&json!({"title": "cached"})).await;
        let etag = created.header("etag").unwrap_or_default().to_owned();
        client.get("/todos/1").header("if-none-match", etag.as_str()).await
    }

    async fn malformed_json_400(client) {
        client.post("/todos").header("content-type", "application/json").body("{\"title\": ").await
    }

    async fn wrong_shape_422(client) {
        client.post("/todos").json(&json!({"name": "x"})).await
    }

    async fn crud_cycle(client) {
        let created = client.post("/todos").json(&json!({"title": "cycle"})).await;
        created.assert_status(201);
        client.put("/todos/1").json(&json!({"title": "cycled", "done": true})).await.assert_status(200);
        client.delete("/todos/1").await.assert_status(204);
        client.get("/todos").await
    }
}

/// Scenarios whose response legitimately differs on a driver declare it,
/// with the reason; the difference is then written into the snapshot for
/// review. The real declarations are in `differences` above; this one's
/// made-up driver only shows the shape.
mod with_declared_differences {
    use super::*;

    fn differences(scenario: &str, driver: &str) -> Option<String> {
        // A made-up driver name shows the shape; real entries name real drivers.
        if scenario == "list_after_two_creates" && driver == "carrier-pigeon" {
            Some("pigeons drop the second to-do".to_owned())
        } else {
            None
        }
    }

    crossdrive::parity! {
        app = reference::app;
        differences = differences;

        async fn list_after_two_creates(client) {
            client.post("/todos").json(&json!({"title": "one"})).await.assert_status(201);
            client.post("/todos").json(&json!({"title": "two"})).await.assert_status(201);
            client.get("/todos").await
        }
    }
}
