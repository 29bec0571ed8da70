//! Streaming on every driver: responses read as they arrive (server-sent
//! events, a body that stalls or breaks off) and request bodies sent in
//! chunks.
//!
//! Drivers that stream (direct, every socket driver) deliver the body as
//! the app writes it; the buffered Lambda event sources and the runtime
//! loop read the whole response first, as API Gateway, ALB and a buffered
//! Function URL do, and declare it where a test needs streaming.

use std::time::Duration;

use crossdrive::remote::local_only;
use crossdrive::suite;
use crossdrive_fixtures::{faults, reference};
use serde_json::json;

/// Why the buffered Lambda drivers never deliver an endless or stalled stream.
const BUFFERS: &str = "the event source buffers: lambda_http's response is read whole before \
                       the client sees a byte (as API Gateway, ALB and a buffered Function URL \
                       do; the runtime loop posts the whole response), so an endless or stalled \
                       stream never arrives; the function times out instead";

suite! {
    app = reference::app;

    #[differs(
        lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime,
        note = "function-timeout",
        because = BUFFERS,
    )]
    async fn an_endless_event_stream_is_read_three_events_and_then_dropped(client) {
        let mut events = client.get("/events").stream().await;
        events
            .assert_status(200)
            .assert_header("content-type", "text/event-stream");
        let three = events.take_events(3).await;
        let seen: Vec<(&str, &str, Option<&str>)> = three
            .iter()
            .map(|e| (e.event.as_str(), e.data.as_str(), e.id.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [("tick", "1", Some("1")), ("tick", "2", Some("2")), ("tick", "3", Some("3"))]
        );
        assert!(!events.is_buffered(), "{:?}", events.notes());
        assert!(!events.is_ended(), "an endless stream ended");
        drop(events);
        // Dropping the stream cancelled it; the driver still serves.
        client.get("/hello").await.assert_status(200);
    }

    async fn a_finite_event_stream_brings_the_same_events_on_every_driver(client) {
        let mut events = client.get("/events?n=3").stream().await;
        events.assert_status(200);
        let data: Vec<String> = events.take_events(3).await.into_iter().map(|e| e.data).collect();
        assert_eq!(data, ["1", "2", "3"]);
        assert_eq!(events.next_event().await, None, "a fourth event after n=3");
        assert!(events.is_ended());
        assert!(events.time_to_first_byte() <= events.time_to_last_byte());
    }

    async fn a_stream_dropped_part_way_leaves_the_driver_serving(client) {
        let mut events = client.get("/events?n=200").stream().await;
        assert_eq!(events.next_event().await.expect("a first event").data, "1");
        drop(events);
        for _ in 0..3 {
            client.get("/hello").await.assert_status(200).assert_text("Hello, world!");
        }
    }

    async fn a_chunked_upload_is_echoed_whole(client) {
        client
            .post("/echo")
            .header("content-type", "text/plain")
            .chunks(["part one, ", "part two, ", "part three"])
            .await
            .assert_status(200)
            .assert_text("part one, part two, part three");
    }

    async fn a_chunked_upload_reaches_the_app_as_all_its_bytes(client) {
        let seen: serde_json::Value = client
            .post("/upload")
            .chunks(vec![vec![b'x'; 1000]; 8])
            .await
            .assert_status(200)
            .json();
        assert_eq!(seen["bytes"], json!(8000), "{seen}");
    }

    /// HTTP API sends the content-length of the whole body it put in the
    /// event (docs/lambda-fidelity.md), and so do Function URLs, streaming
    /// or not; ALB sends the length of the body it buffered for the event
    /// (its captured event carries the client's; for a chunked request
    /// this is a model). REST events carry none, so lambda_v1 passes.
    #[differs(
        lambda, lambda_url, lambda_url_stream, lambda_runtime, lambda_alb,
        expected = "content_length",
        because = "the event source buffers the request and sends the whole body's content-length",
    )]
    async fn a_chunked_upload_goes_without_a_content_length(client) {
        let seen: serde_json::Value = client
            .post("/upload")
            .chunks(["a", "b", "c"])
            .await
            .assert_status(200)
            .json();
        assert_eq!(seen["content_length"], json!(null), "{seen}");
        assert_eq!(seen["bytes"], json!(3), "{seen}");
    }
}

mod faults_app {
    use super::*;

    suite! {
        app = faults::app;

        #[differs(
            lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime,
            note = "function-timeout",
            because = super::BUFFERS,
        )]
        async fn a_stalled_stream_times_out_saying_how_much_had_arrived(client) {
            if local_only(&client, "needs the fault app") {
                return;
            }
            let mut stream = client.get("/stall").stream().await.read_timeout(Duration::from_millis(300));
            stream.assert_status(200);
            let first = stream.next_chunk().await.expect("the first chunk");
            assert_eq!(first.data, faults::STARTED);
            let error = stream.try_next_chunk().await.expect_err("a stalled body times out");
            assert!(error.is_timeout(), "{error}");
            let text = error.to_string();
            assert!(text.contains("still streaming"), "{text}");
            assert!(text.contains("status 200 and 7 bytes in 1 chunk"), "{text}");
            assert!(text.contains(client.name()), "{text}");
        }

        #[differs(
            lambda, lambda_url, lambda_v1, lambda_alb, lambda_runtime,
            note = "handler-panic",
            because = "a function whose body fails is a failed invocation: the event source answers its error (500 on an HTTP API, 502 elsewhere) instead of a cut-off 200",
        )]
        async fn a_body_cut_off_mid_stream_is_reported_as_aborted(client) {
            if local_only(&client, "needs the fault app") {
                return;
            }
            let mut stream = client.get("/abort").stream().await;
            stream.assert_status(200);
            let mut received = Vec::new();
            let error = loop {
                match stream.try_next_chunk().await {
                    Ok(Some(chunk)) => received.extend_from_slice(&chunk.data),
                    Ok(None) => panic!("the body ended cleanly after {received:?}; it was cut off"),
                    Err(error) => break error,
                }
            };
            assert!(!error.is_timeout(), "{error}");
            assert!(error.to_string().contains("aborted before its end"), "{error}");
            assert!(stream.is_ended());
        }
    }
}
