//! The Lambda function instances that run in child processes
//! (`lambda-runtime`, `lambda-url-stream`) are as closed as the socket
//! servers: only the instance gets into its Runtime API, its request ids
//! cannot be guessed, it dies with its test binary and it sees Lambda's
//! environment, not the developer's.
//!
//! Everything here is real: child processes, loopback sockets, signals.
//! Two tests run a helper copy of this test binary (an ignored test, gated
//! by `CROSSDRIVE_ISOLATION_HELPER`) so that they can kill it, or give it
//! an environment, without touching this process's own (`set_var` is
//! `unsafe`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request as AxumRequest;
use axum::routing::get;
use crossdrive::Client;
use crossdrive::lambda::{Lambda, LambdaOptions, Source, runtime};
use serde_json::{Value, json};

/// Which helper a helper copy of this binary is (and its function
/// instances, which get every `CROSSDRIVE_` variable).
const HELPER: &str = "CROSSDRIVE_ISOLATION_HELPER";
/// The host variable the environment test opts in by name.
const OPTED_IN: &str = "ISOLATION_OPTED_IN";

fn app() -> Router {
    Router::new()
        .route("/echo", get(|| async { "from the function" }))
        .route(
            "/id",
            get(|request: AxumRequest| async move {
                let ctx = request.extensions().get::<lambda_http::Context>();
                ctx.map(|c| c.request_id.clone()).unwrap_or_default()
            }),
        )
        .route(
            "/env",
            get(|| async {
                let env: serde_json::Map<String, Value> = std::env::vars()
                    .map(|(name, value)| (name, Value::String(value)))
                    .collect();
                axum::Json(Value::Object(env))
            }),
        )
        .route(
            "/block",
            get(|| async {
                // Blocks the function's only thread, so its runtime loop
                // cannot notice that the Runtime API went away: only the
                // kernel can end this process early.
                eprintln!("isolation: blocking in pid {}", std::process::id());
                std::thread::sleep(Duration::from_secs(60));
                "woke up"
            }),
        )
}

/// A `lambda-runtime` driver over `app()`, or the test fails saying why.
fn instance(options: LambdaOptions) -> Lambda {
    match runtime::connect_with(app(), options) {
        Ok(driver) => driver,
        Err(e) => panic!("the function instance did not start: {e}"),
    }
}

/// The loopback address in an `AWS_LAMBDA_RUNTIME_API` URL.
fn address_of(url: &str) -> SocketAddr {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    match rest.split('/').next().map(str::parse) {
        Some(Ok(addr)) => addr,
        _ => panic!("no address in the Runtime API URL {url}"),
    }
}

/// Sends one raw HTTP/1.1 request from a plain TCP client, as any local
/// process could, and returns the status code, waiting at most 3 s for it
/// (a Runtime API that long-polls for it gives none: 0).
fn raw_request(addr: SocketAddr, method: &str, path: &str, body: &str) -> u16 {
    let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
        Ok(stream) => stream,
        Err(e) => panic!("cannot connect to the Runtime API at {addr}: {e}"),
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(e) = stream.write_all(request.as_bytes()) {
        panic!("cannot write to the Runtime API: {e}");
    }
    let mut head = [0u8; 12];
    match stream.read_exact(&mut head) {
        Ok(()) => std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|code| code.parse().ok())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

/// The notes of `code` on a response, as one text.
fn notes_of(response: &crossdrive::TestResponse, code: &str) -> String {
    response
        .notes()
        .iter()
        .filter(|note| note.code == code)
        .map(|note| note.detail.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- Only the instance gets into its Runtime API --------------------------

#[tokio::test]
async fn a_local_process_polling_the_runtime_api_gets_nothing_and_cannot_post_a_reply() {
    let driver = instance(LambdaOptions::new(Source::HttpApi));
    let Some((_, url)) = driver.instance() else {
        panic!("a lambda-runtime driver has a function instance");
    };
    let addr = address_of(&url);
    let next = "/2018-06-01/runtime/invocation/next";
    // What any process on the machine can do with the port alone: poll for
    // the next invocation, with or without a guessed secret, and post a
    // reply for a request id.
    assert_eq!(raw_request(addr, "GET", next, ""), 403, "polling {next}");
    let guessed = format!("/{}{next}", "0".repeat(32));
    assert_eq!(
        raw_request(addr, "GET", &guessed, ""),
        403,
        "polling {guessed}"
    );
    let forged = "/2018-06-01/runtime/invocation/8f3e2b1c-9d4a-4e6f-8a7b-0c1d2e3f4a5b/response";
    let reply = r#"{"statusCode":200,"body":"forged"}"#;
    assert_eq!(
        raw_request(addr, "POST", forged, reply),
        403,
        "posting {forged}"
    );

    // The function still answers the test, and the test hears of the probes.
    let client = Client::new(driver);
    let response = client.get("/echo").await;
    response.assert_status(200).assert_text("from the function");
    let refused = notes_of(&response, "runtime-api-refused");
    assert!(refused.contains("refused 3 request(s)"), "{response}");
    assert!(refused.contains(forged), "{refused}");
    // Reported once: the next response carries no stale note.
    let again = client.get("/echo").await;
    assert!(
        notes_of(&again, "runtime-api-refused").is_empty(),
        "{again}"
    );
}

#[tokio::test]
async fn a_reply_for_an_invocation_the_instance_was_not_handed_is_refused_and_reported() {
    let first = Client::new(instance(LambdaOptions::new(Source::HttpApi)));
    let second = instance(LambdaOptions::new(Source::HttpApi));
    let Some((_, url)) = second.instance() else {
        panic!("a lambda-runtime driver has a function instance");
    };
    // A request id the first instance was handed, replied to on the second
    // instance's Runtime API with its secret: as a confused or hostile
    // instance would.
    let foreign = first.get("/id").await.assert_status(200).text().to_owned();
    let secret_path = url
        .strip_prefix(&format!("http://{}", address_of(&url)))
        .unwrap_or_default()
        .to_owned();
    let reply = r#"{"statusCode":200,"body":"forged"}"#;
    for id in [foreign.as_str(), "00000000-0000-4000-8000-000000000000"] {
        let path = format!("{secret_path}/2018-06-01/runtime/invocation/{id}/response");
        assert_eq!(
            raw_request(address_of(&url), "POST", &path, reply),
            400,
            "posting a reply for {id}"
        );
    }
    let response = Client::new(second).get("/echo").await;
    response.assert_status(200).assert_text("from the function");
    let refused = notes_of(&response, "runtime-api-refused");
    assert!(refused.contains("refused 2 request(s)"), "{response}");
    assert!(refused.contains(&foreign), "{refused}");
}

#[tokio::test]
async fn request_ids_are_random_version_4_uuids_in_and_out_of_process() {
    let in_process = Client::new(Lambda::new(app(), LambdaOptions::new(Source::HttpApi)));
    let child = Client::new(instance(LambdaOptions::new(Source::HttpApi)));
    let mut ids = Vec::new();
    for client in [&in_process, &child] {
        for _ in 0..4 {
            ids.push(client.get("/id").await.assert_status(200).text().to_owned());
        }
    }
    for id in &ids {
        let groups: Vec<&str> = id.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{id} is not a UUID");
        assert!(
            id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(groups[2].starts_with('4'), "{id} is not version 4");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{id} lacks the RFC 9562 variant"
        );
    }
    // 122 random bits each: no two of eight share even their first 32 bits
    // (ids made from a counter and the process, as before, all did).
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(
                a[..8],
                b[..8],
                "{a} and {b} share their first 32 bits: {ids:?}"
            );
        }
    }
}

// ---- Instances die with their test binary ---------------------------------

/// Whether the process `pid` that started at `start` (clock ticks since
/// boot, /proc's field 22) is gone: no such pid, a zombie, or the pid
/// already reused by another process.
#[cfg(target_os = "linux")]
fn gone(pid: u32, start: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The command name is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    fields.first() == Some(&"Z") || fields.get(19) != Some(&start)
}

#[cfg(target_os = "linux")]
fn start_time(pid: u32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    match fields.get(19) {
        Some(start) => (*start).to_owned(),
        None => panic!("no start time for pid {pid} in /proc: {stat}"),
    }
}

/// The helper for the SIGKILL test: a function instance blocked in its
/// handler, whose pid it prints (through the instance's stderr, which is
/// this helper's).
#[tokio::test]
#[ignore = "a helper: the no_function_instance_survives_* tests run it"]
async fn helper_holds_an_instance_blocked_in_its_handler() {
    if std::env::var(HELPER).as_deref() != Ok("block") {
        return;
    }
    let options = LambdaOptions::new(Source::HttpApi)
        .function_timeout(Duration::from_secs(120))
        .timeout(Duration::from_secs(120));
    let client = Client::new(instance(options));
    let _ = client.get("/block").try_send().await;
}

/// Starts a helper copy of this test binary holding a function instance
/// blocked in its handler, ends the helper with `signal` (its name for
/// `kill -s`), and checks within a bounded wait that the instance is gone.
#[cfg(target_os = "linux")]
fn assert_no_instance_survives(signal: &str) {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut helper = match Command::new(exe)
        .args([
            "--exact",
            "helper_holds_an_instance_blocked_in_its_handler",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, "block")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("cannot start the helper copy of this test binary: {e}"),
    };
    // The instance writes to the helper's stderr; a thread reads it, so
    // the wait for its line is bounded.
    let (lines, seen) = std::sync::mpsc::channel();
    if let Some(stderr) = helper.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut transcript = Vec::new();
    let pid = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match seen.recv_timeout(left) {
            Ok(line) => {
                if let Some(pid) = line.strip_prefix("isolation: blocking in pid ") {
                    break pid.trim().parse::<u32>().unwrap_or_default();
                }
                transcript.push(line);
            }
            Err(_) => {
                let _ = helper.kill();
                let _ = helper.wait();
                panic!(
                    "the helper's function instance never reached its handler; its stderr:\n{}",
                    transcript.join("\n")
                );
            }
        }
    };
    assert_ne!(
        pid,
        helper.id(),
        "the handler runs in the instance, not the helper"
    );
    let start = start_time(pid);
    // The signal to the test binary alone, as a CI runner or a user sends
    // it: with SIGKILL it cannot clean anything up.
    if signal == "KILL" {
        let _ = helper.kill();
    } else {
        let sent = Command::new("kill")
            .args(["-s", signal, &helper.id().to_string()])
            .status();
        assert!(
            sent.is_ok_and(|status| status.success()),
            "cannot send SIG{signal} to the helper"
        );
    }
    let _ = helper.wait();
    let killed = Instant::now();
    while !gone(pid, &start) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "the function instance (pid {pid}) still runs 10 s after its test binary got \
             SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn no_function_instance_survives_sigkill_of_its_test_binary() {
    assert_no_instance_survives("KILL");
}

#[cfg(target_os = "linux")]
#[test]
fn no_function_instance_survives_sigint_of_its_test_binary() {
    assert_no_instance_survives("INT");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_instance_is_killed_and_reaped_when_its_driver_is_dropped() {
    let driver = instance(LambdaOptions::new(Source::HttpApi));
    let Some((pid, _)) = driver.instance() else {
        panic!("a lambda-runtime driver has a function instance");
    };
    Client::new(driver).get("/echo").await.assert_status(200);
    // Dropping the client dropped the driver: the child is killed and
    // waited for, so not even a zombie is left.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the function instance (pid {pid}) outlived its driver"
    );
}

#[tokio::test]
async fn an_instance_outlives_the_thread_that_started_it() {
    // The parent-death signal fires when the *thread* that spawned a child
    // ends. An instance started from a thread that then ends (a test's
    // thread, the thread a replacement instance's init runs on) must go on
    // serving: children are spawned from the Runtime API's host thread.
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    let starter = std::thread::Builder::new()
        .name(name)
        .spawn(|| instance(LambdaOptions::new(Source::HttpApi)));
    let driver = match starter.map(std::thread::JoinHandle::join) {
        Ok(Ok(driver)) => driver,
        _ => panic!("the thread that starts the instance failed"),
    };
    // Give a death signal time to land, were it bound to that thread.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = Client::new(driver);
    client.get("/echo").await.assert_status(200);
}

// ---- The function sees Lambda's environment, not the developer's ----------

/// The helper for the environment test: prints what its function instance
/// sees, as one JSON line.
#[tokio::test]
#[ignore = "a helper: the_function_sees_lambdas_environment_not_the_developers runs it"]
async fn helper_prints_what_its_function_sees() {
    if std::env::var(HELPER).as_deref() != Ok("env") {
        return;
    }
    let options = LambdaOptions::new(Source::Rest).inherit_env(OPTED_IN);
    let client = Client::new(instance(options));
    let env: Value = client.get("/env").await.assert_status(200).json();
    println!("function environment: {env}");
}

#[test]
fn the_function_sees_lambdas_environment_not_the_developers() {
    let exe = std::env::current_exe().unwrap_or_default();
    let secrets = [
        ("AWS_ACCESS_KEY_ID", "AKIAHOSTKEYNOTFORTHEFUNCTION"),
        ("AWS_SECRET_ACCESS_KEY", "host-secret-not-for-the-function"),
        ("AWS_SESSION_TOKEN", "host-session-not-for-the-function"),
        ("GITHUB_TOKEN", "ghp_hosttokennotforthefunction"),
        ("AWS_PROFILE", "developer"),
    ];
    let output = Command::new(exe)
        .args([
            "--exact",
            "helper_prints_what_its_function_sees",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, "env")
        .env(OPTED_IN, "opted in by name")
        .envs(secrets)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => panic!("cannot run the helper copy of this test binary: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(env) = stdout
        .lines()
        // libtest's "test <name> ... " may start the line.
        .find_map(|line| {
            line.split_once("function environment: ")
                .map(|(_, json)| json)
        })
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
    else {
        panic!(
            "the helper printed no environment ({}); stdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    for (name, _) in secrets {
        assert!(
            env.get(name).is_none(),
            "{name} reached the function: {env:#}"
        );
    }
    assert_eq!(env[OPTED_IN], "opted in by name", "{env:#}");
    // Lambda's own variables, from the deployment.
    for (name, value) in [
        ("AWS_LAMBDA_FUNCTION_NAME", json!("crossdrive-function")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", json!("128")),
        ("AWS_LAMBDA_FUNCTION_VERSION", json!("$LATEST")),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", json!("on-demand")),
        ("AWS_REGION", json!("us-east-1")),
        ("AWS_DEFAULT_REGION", json!("us-east-1")),
        ("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", json!("true")),
        ("_HANDLER", json!("bootstrap")),
        ("LAMBDA_TASK_ROOT", json!("/var/task")),
        ("TZ", json!(":UTC")),
    ] {
        assert_eq!(env[name], value, "{name}: {env:#}");
    }
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap_or_default();
    let secret = api.rsplit('/').next().unwrap_or_default();
    assert!(
        api.starts_with("http://127.0.0.1:")
            && secret.len() == 32
            && secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "the Runtime API URL carries no secret: {api}"
    );
    // Nothing else of the host's: every name is Lambda's, crossdrive's, the
    // runner's or opted in.
    let allowed = [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "_HANDLER",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
        "LANG",
        "PATH",
        "LD_LIBRARY_PATH",
        "RUST_BACKTRACE",
        "RUST_LIB_BACKTRACE",
        "RUST_LOG",
        "LLVM_PROFILE_FILE",
        // lambda_runtime sets it per invocation, as Lambda's runtimes do.
        "_X_AMZN_TRACE_ID",
        OPTED_IN,
    ];
    if let Value::Object(vars) = &env {
        for name in vars.keys() {
            assert!(
                name.starts_with("AWS_LAMBDA_")
                    || name.starts_with("CROSSDRIVE_")
                    || allowed.contains(&name.as_str()),
                "the host's {name} reached the function: {env:#}"
            );
        }
    }
}
