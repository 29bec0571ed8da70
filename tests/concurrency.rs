//! 64 tests at once on one shared server: 10,000 requests in total per
//! protocol, none lost, no state leaking between tests.
//!
//! Each of 64 threads plays one test: it builds its own driver (its own
//! fresh app, mounted on the process's shared server) and its own
//! runtime, as a generated suite test does, and all 64 start together.
//! Every request increments the test's own counter, so a lost request
//! shows as a gap and a leak between tests as a number out of sequence.

use std::sync::{Arc, Barrier};

use crossdrive::Client;
use crossdrive::socket::{SocketDriver, SocketServer};
use crossdrive_fixtures::faults;

const TESTS: usize = 64;
const REQUESTS: usize = 10_000;

fn sixty_four_tests_at_once(connect: fn() -> SocketDriver) {
    let barrier = Arc::new(Barrier::new(TESTS));
    let threads: Vec<_> = (0..TESTS)
        .map(|test| {
            let barrier = Arc::clone(&barrier);
            // 10,000 over 64: the first 16 tests send one more.
            let share = REQUESTS / TESTS + usize::from(test < REQUESTS % TESTS);
            std::thread::spawn(move || {
                let client = Client::new(connect());
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a test runtime");
                barrier.wait();
                runtime.block_on(async {
                    for expected in 1..=share {
                        client
                            .post("/count")
                            .await
                            .assert_status(200)
                            .assert_text(&expected.to_string());
                    }
                    client.get("/count").await.assert_text(&share.to_string());
                });
                share
            })
        })
        .collect();
    let answered: usize = threads
        .into_iter()
        .map(|t| t.join().expect("a test thread failed; its panic is above"))
        .sum();
    assert_eq!(answered, REQUESTS);
}

#[test]
fn sixty_four_http1_tests_share_one_server_and_lose_nothing() {
    sixty_four_tests_at_once(|| {
        SocketServer::shared()
            .unwrap()
            .http1(faults::app())
            .unwrap()
    });
}

#[test]
fn sixty_four_http2_tests_share_one_server_and_lose_nothing() {
    sixty_four_tests_at_once(|| {
        SocketServer::shared()
            .unwrap()
            .http2(faults::app())
            .unwrap()
    });
}

#[test]
fn sixty_four_http2_tls_tests_share_one_server_and_lose_nothing() {
    sixty_four_tests_at_once(|| {
        SocketServer::shared_tls()
            .unwrap()
            .http2_tls(faults::app())
            .unwrap()
    });
}
