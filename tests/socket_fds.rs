//! Clean shutdown: no file descriptors or threads outlive a non-shared
//! fixture, and 1,000 keep-alive requests leak nothing.
//!
//! Its own test binary, so no other test opens sockets while it counts.

use crossdrive::Client;
use crossdrive_adapters::socket::{ServerOptions, SocketServer};
use crossdrive_fixtures::reference;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn threads() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut names: Vec<String> = tasks
        .filter_map(Result::ok)
        .map(|t| std::fs::read_to_string(t.path().join("comm")).unwrap_or_default())
        .map(|name| name.trim().to_owned())
        .collect();
    names.sort();
    names
}

/// The kernel lists a joined thread in /proc for a moment after
/// `pthread_join` returns; give it up to a second to be reaped.
fn settled_threads(expected: &[String]) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let now = threads();
        if now == expected || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::yield_now();
    }
}

fn lifecycle(runtime: &tokio::runtime::Runtime, tls: bool, requests: usize) {
    let server = SocketServer::start(ServerOptions::new().tls(tls)).unwrap();
    let client = if tls {
        Client::new(server.http2_tls(reference::app()).unwrap())
    } else {
        Client::new(server.http1(reference::app()).unwrap())
    };
    runtime.block_on(async {
        for _ in 0..requests {
            client.get("/hello").await.assert_status(200);
        }
    });
}

#[test]
#[cfg(target_os = "linux")]
fn twenty_fixture_lifecycles_and_1000_requests_leave_no_fds_or_threads_behind() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Warm-up: process-wide helpers (the guard's timer thread) start once.
    // A request that answers before its first poll pends never arms the
    // timer, so start the timer thread explicitly.
    drop(crossdrive::guard::sleep(std::time::Duration::ZERO));
    lifecycle(&runtime, false, 1);
    lifecycle(&runtime, true, 1);
    let (fds, tasks) = (open_fds(), threads());
    for i in 0..20 {
        lifecycle(&runtime, i % 2 == 1, 50);
    }
    let (fds_after, tasks_after) = (open_fds(), settled_threads(&tasks));
    eprintln!("fds {fds} -> {fds_after}, threads {tasks:?} -> {tasks_after:?}");
    assert_eq!(fds_after, fds, "file descriptors leaked");
    assert_eq!(tasks_after, tasks, "threads leaked");
}
