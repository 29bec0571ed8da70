//! Timeouts that hold on every driver (docs/reliability.md, "Timeouts that
//! hold"): a handler that holds its thread past the timeout is a timeout,
//! never a pass; one that never returns ends the test binary within the
//! watchdog's bound, saying which test, driver and request; a panic whose
//! hook is slower than the timeout is still reported as a panic.
//!
//! A binary of its own: its handlers block their test's thread on purpose
//! (and the socket connections of a suite test are served on that
//! thread), and two of its checks run in a child process of this binary,
//! one because it ends its process, the other because it installs a slow
//! panic hook, which is process-wide.

mod support;
use support::{assert_names_request, assert_still_serves, lambda_failure, rt};

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crossdrive::Client;
use crossdrive::lambda::{Lambda, LambdaOptions, Source};
use crossdrive::remote::local_only;
use crossdrive::watchdog;
use crossdrive::{ConnectOptions, Kind, suite};
use crossdrive_fixtures::faults::{self, PANIC_MESSAGE};

/// The per-request timeout, on the drivers that run the handler in this
/// process.
const TIMEOUT: Duration = Duration::from_millis(300);

/// The per-request timeout on the child-process Lambda drivers, whose
/// follow-up request pays a cold start (see tests/faults.rs).
const CHILD_TIMEOUT: Duration = Duration::from_secs(1);

/// How long `/block` holds its thread, on the drivers whose handler runs
/// on the test's thread (they cannot end before it returns).
const BLOCK: Duration = Duration::from_millis(1500);

/// How long `/block` holds the function's thread on the child-process
/// Lambda drivers: long, so that ending at the timeout shows.
const CHILD_BLOCK: Duration = Duration::from_secs(6);

/// What a loaded two-core machine may add to a bound.
const SLACK: Duration = Duration::from_millis(2500);

const FAULT_APP: &str = "needs the fault app, which is not what the deployment serves";

fn in_a_child_process(driver: &str) -> bool {
    matches!(driver, "lambda-runtime" | "lambda-url-stream")
}

/// The timeout of the driver the calling generated test runs on; libtest
/// names the thread after the test (`<driver>::<body>`).
fn timeout() -> Duration {
    let child = std::thread::current().name().is_some_and(|test| {
        test.starts_with("lambda_runtime::") || test.starts_with("lambda_url_stream::")
    });
    if child { CHILD_TIMEOUT } else { TIMEOUT }
}

suite! {
    app = faults::app;
    timeout = timeout();

    async fn a_handler_that_blocks_its_thread_past_the_timeout_fails_with_a_timeout(client) {
        if local_only(&client, FAULT_APP) {
            return;
        }
        let name = client.name().to_owned();
        let child = in_a_child_process(&name);
        let (timeout, block) = if child { (CHILD_TIMEOUT, CHILD_BLOCK) } else { (TIMEOUT, BLOCK) };
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        // What the suite runner does around every test; here too, so the
        // watchdog's warning shows in this test's output either way.
        let _watch = watchdog::watch(&thread, &name, timeout);
        let target = format!("/block?ms={}", block.as_millis());
        let started = Instant::now();
        let outcome = client.get(&target).try_send().await;
        let took = started.elapsed();
        eprintln!("blocking handler on {name}: {} after {took:?}", match &outcome {
            Ok(response) => format!("{} {:?}", response.status(), response.text()),
            Err(error) => error.to_string(),
        });
        let error = match outcome {
            Err(error) => error,
            Ok(response) => panic!(
                "{name}: a handler holding its thread for {block:?} past a {timeout:?} timeout \
                 passed after {took:?}:\n{response}"
            ),
        };
        assert!(error.is_timeout(), "{error}");
        assert_names_request(&error, &name, &target, &format!("timed out after {timeout:?}"));
        if child {
            // The function runs in another process: the driver's timer
            // fires at the timeout, well before the block ends.
            assert!(took >= timeout, "{name}: gave up after {took:?}, before the timeout");
            assert!(took < timeout + SLACK, "{name}: took {took:?}, the timeout did not bound it");
            assert!(took < block, "{name}: took {took:?}, waited for the handler");
        } else {
            // The handler holds the test's own thread: nothing can end the
            // request before it returns, and it must end then.
            assert!(took >= block, "{name}: took {took:?}, shorter than the block");
            assert!(took < block + SLACK, "{name}: took {took:?}, well after the block ended");
        }
        assert_still_serves(&client).await;
    }
}

/// A function that holds its thread past its function timeout gets the
/// answer the event source gives for a timed-out function, as on AWS,
/// where the sandbox is cut off at the function timeout.
#[test]
fn a_lambda_function_that_blocks_past_its_function_timeout_gets_the_sources_timeout_answer() {
    let sources: [(Source, u16); 4] = [
        (Source::HttpApi, 500),
        (Source::FunctionUrl, 502),
        (Source::Rest, 502),
        (
            Source::Alb {
                multi_value_headers: false,
            },
            502,
        ),
    ];
    rt().block_on(async {
        for (source, status) in sources {
            let options = LambdaOptions::new(source)
                .function_timeout(Duration::from_secs(1))
                .timeout(Duration::from_secs(5));
            let client = Client::new(Lambda::new(faults::app(), options));
            let started = Instant::now();
            let response = client.get("/block?ms=1500").try_send().await;
            let took = started.elapsed();
            let response = match response {
                Ok(response) => response,
                Err(error) => panic!("{source:?}: expected the source's answer, got {error}"),
            };
            response.assert_status(status);
            let failure = lambda_failure(&response);
            assert_eq!(failure.code, "function-timeout", "{response}");
            assert!(
                failure.reason.contains("Task timed out after 1s"),
                "{response}"
            );
            assert!(took < Duration::from_millis(1500) + SLACK, "took {took:?}");
            assert_still_serves(&client).await;
        }
    });
}

/// Set in the child process that runs one of the hidden tests below.
const CHILD_ENV: &str = "CROSSDRIVE_TIMEOUTS_CHILD";

/// Runs the hidden test `test` of this binary in a child process with
/// `CHILD_ENV=value` and `env`, waiting at most `wait`; returns its exit
/// code (None if killed by a signal), its stderr and stdout, and how long
/// it ran. Kills it and fails if it outlives `wait`.
fn run_child(
    test: &str,
    value: &str,
    env: &[(&str, &str)],
    wait: Duration,
) -> (Option<i32>, String, Duration) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, value)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, val) in env {
        command.env(key, val);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn the test binary");
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > wait {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (out.join().unwrap(), err.join().unwrap());
            panic!(
                "the child `{test}` ({value}) still ran after {wait:?}: killed\n\
                 --- stdout\n{out}\n--- stderr\n{err}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let output = format!(
        "--- stdout\n{}\n--- stderr\n{}",
        out.join().unwrap(),
        err.join().unwrap()
    );
    (status.code(), output, took)
}

const NEVER_RETURNS: &str = "never_returning_handler_in_a_child_process";

/// Run by the test below in a child process; does nothing elsewhere.
#[test]
#[ignore = "run in a child process by a_handler_that_never_returns_ends_the_test_binary_within_the_watchdogs_bound_saying_what_is_stuck"]
fn never_returning_handler_in_a_child_process() {
    let Ok(driver) = std::env::var(CHILD_ENV) else {
        return;
    };
    let Some(kind) = Kind::from_name(&driver) else {
        panic!("no driver named {driver}");
    };
    let _watch = watchdog::watch(NEVER_RETURNS, &driver, TIMEOUT);
    rt().block_on(async {
        let options = ConnectOptions::new().timeout(TIMEOUT);
        let client = Client::from_arc(kind.connect_with(faults::app(), &options).unwrap());
        let outcome = client.get("/block-forever").try_send().await;
        let outcome = outcome.map(|r| r.status()).map_err(|e| e.to_string());
        panic!("the handler that never returns returned: {outcome:?}");
    });
}

#[test]
fn a_handler_that_never_returns_ends_the_test_binary_within_the_watchdogs_bound_saying_what_is_stuck()
 {
    let bound = watchdog::bound(TIMEOUT);
    // The handler holds the test's thread on each of these: in-process,
    // through lambda_http, and as a connection served on the test's runtime.
    let children: Vec<_> = ["direct", "lambda", "http1"]
        .into_iter()
        .map(|driver| {
            std::thread::spawn(move || {
                let wait = bound + Duration::from_secs(20);
                (driver, run_child(NEVER_RETURNS, driver, &[], wait))
            })
        })
        .collect();
    for child in children {
        let (driver, (code, output, took)) = child.join().unwrap();
        assert_eq!(code, Some(watchdog::EXIT_CODE), "{driver}:\n{output}");
        let who = format!(
            "crossdrive watchdog: test `{NEVER_RETURNS}` (driver `{driver}`): GET /block-forever \
             has been in flight for"
        );
        assert_eq!(
            output.matches(&who).count(),
            2,
            "{driver}: a warning, then the end:\n{output}"
        );
        assert!(
            output.contains("past its 300ms timeout"),
            "{driver}:\n{output}"
        );
        assert!(
            output.contains("blocking call in async code"),
            "{driver}:\n{output}"
        );
        assert!(
            output.contains("Ending the test process with exit code 124 after 20.3s"),
            "{driver}:\n{output}"
        );
        assert!(
            took >= bound,
            "{driver}: ended after {took:?}, before the bound"
        );
        assert!(
            took < bound + Duration::from_secs(10),
            "{driver}: ended after {took:?}"
        );
    }
}

const SLOW_HOOK: &str = "panic_with_a_slow_hook_in_a_child_process";

/// How long the child's panic hook takes: longer than the timeout, as a
/// backtrace symbolized in a debug build on a busy machine.
const HOOK_TAKES: Duration = Duration::from_millis(1500);

/// Run by the test below in a child process; does nothing elsewhere.
#[test]
#[ignore = "run in a child process by a_panic_whose_hook_outlasts_the_timeout_is_reported_as_a_panic"]
fn panic_with_a_slow_hook_in_a_child_process() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    // Installed before any request, as the default hook is: crossdrive
    // chains its own in front of it.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        std::thread::sleep(HOOK_TAKES);
        previous(info);
    }));
    let drivers = [
        "direct",
        "lambda",
        "lambda-url",
        "lambda-v1",
        "lambda-alb",
        "http1",
        "http2",
        "http2-tls",
        "http3",
        "http1-fresh",
    ];
    rt().block_on(async {
        for driver in drivers {
            let Some(kind) = Kind::from_name(driver) else {
                panic!("no driver named {driver}");
            };
            let options = ConnectOptions::new().timeout(TIMEOUT);
            let client = Client::from_arc(kind.connect_with(faults::app(), &options).unwrap());
            let started = Instant::now();
            let outcome = client.get("/panic").try_send().await;
            let took = started.elapsed();
            match outcome {
                Err(error) => {
                    assert!(error.is_handler_panic(), "{driver} after {took:?}: {error}");
                    assert!(error.to_string().contains(PANIC_MESSAGE), "{error}");
                }
                Ok(response) => {
                    assert_eq!(
                        lambda_failure(&response).code,
                        "handler-panic",
                        "{response}"
                    );
                }
            }
            assert!(
                took >= HOOK_TAKES,
                "{driver}: {took:?}, the hook did not run"
            );
            println!("reported as a panic on {driver} after {took:?}");
        }
    });
    println!("all {} drivers reported the panic", drivers.len());
}

#[test]
fn a_panic_whose_hook_outlasts_the_timeout_is_reported_as_a_panic() {
    let env = [("RUST_BACKTRACE", "full")];
    let (code, output, _) = run_child(SLOW_HOOK, "1", &env, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("all 10 drivers reported the panic"),
        "{output}"
    );
}
