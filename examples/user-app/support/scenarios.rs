//! bookshelf's bench scenarios, written once for the bench (`benches/api.rs`)
//! and the suites (`the_bench_scenarios_answer_as_they_declare` in
//! tests/suite.rs, `the_live_bench_scenarios_answer_as_they_declare` in
//! tests/live.rs), so a table never shows the time of a wrong answer.

// Each binary that includes this file uses its own part of it.
#![allow(dead_code)]

use crossdrive::Scenario;
use crossdrive::scenario::Step;

const DUNE: &str = r#"{"title":"Dune","author":"Herbert"}"#;

/// Shelves one book (untimed, once per app) and remembers its path and ETag.
fn seeded(name: &str) -> Scenario {
    Scenario::new(name).setup(
        Step::post("/books")
            .json(DUNE)
            .expect(201)
            .capture("book", "location")
            .capture("etag", "etag"),
    )
}

/// Every scenario, in table order: the HTTP ones, then the live feed's.
pub fn all() -> Vec<Scenario> {
    let mut all = http();
    all.extend(live());
    all
}

/// The live feed's: one round trip on an open feed (`count`, as a reader
/// asks it; the feed opens in the untimed first iteration). The reply is
/// compared as text: serde_json writes keys in order.
pub fn live() -> Vec<Scenario> {
    vec![
        Scenario::new("live_count").step(
            Step::websocket("/books/live")
                .header("authorization", "Bearer reader")
                .message(r#"{"action":"count"}"#, r#"{"books":0,"event":"count"}"#)
                .keep_open(),
        ),
    ]
}

/// The HTTP scenarios.
pub fn http() -> Vec<Scenario> {
    vec![
        Scenario::new("health").step(Step::get("/health").expect(200).expect_body_len(2)),
        Scenario::new("create_book").step(Step::post("/books").json(DUNE).expect(201)),
        seeded("read_book").step(Step::get("{book}").expect(200)),
        seeded("list_by_author").step(Step::get("/books?author=Herbert").expect(200)),
        seeded("conditional_read_304").step(
            Step::get("{book}")
                .header("if-none-match", "{etag}")
                .expect(304),
        ),
        // One book per iteration, shelved untimed; only its removal is timed.
        Scenario::new("librarian_removes_a_book")
            .step(
                Step::post("/books")
                    .json(DUNE)
                    .expect(201)
                    .capture("doomed", "location")
                    .untimed(),
            )
            .step(
                Step::delete("{doomed}")
                    .header("authorization", "Bearer librarian")
                    .expect(204),
            ),
        seeded("cover_256_bytes").step(
            Step::get("{book}/cover")
                .header("accept", "image/png")
                .expect(200)
                .expect_body_len(256)
                .expect_header("content-type", "image/png"),
        ),
        Scenario::new("upload_refused_413").step(
            Step::post("/upload")
                .body(vec![7u8; bookshelf::UPLOAD_LIMIT + 1])
                .expect(413),
        ),
    ]
}
