//! The `lambda-runtime` driver: the real `lambda_http::run` loop, in a
//! child process, polling a local Runtime API, as AWS runs a function.
//!
//! # Why a child process
//!
//! lambda_runtime 1.5 reads its configuration only from the environment
//! (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, ...), and
//! lambda_http reads `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` per request.
//! The environment is process-global and `std::env::set_var` is `unsafe`
//! in edition 2024 (the workspace denies `unsafe_code`) because another
//! thread may read it concurrently, which a test binary's threads always
//! can. Setting it "before any other thread exists" is impossible from a
//! test, since libtest starts its threads first. So each function instance
//! is a child process of the test binary, with its own environment set by
//! `Command::env`: sound, no `unsafe`, and a fresh sandbox per instance,
//! as Lambda gives a cold start. The test process's environment is never
//! changed, so no test needs `serial_test` for it.
//!
//! # How the child finds the app
//!
//! The child is the test binary itself, re-executed with `--exact <test>`
//! and `CROSSDRIVE_LAMBDA_RUNTIME_CHILD=1`. It runs the same test, which
//! builds the same fresh app and calls the driver's connect again; in the child,
//! `connect` sees the variable and, instead of returning a driver, runs
//! `lambda_http::run(app)` until the parent goes away, then exits. The test
//! name comes with the driver's [`ConnectOptions`](crate::ConnectOptions)
//! (`suite!` and `conformance!` set [`test_name`](crate::ConnectOptions::test_name)),
//! or else from the name libtest gives the test's thread. A binary that is not a libtest test, such as the
//! bench, calls [`serve_if_child`] first thing in `main`.
//!
//! The parent keeps one Runtime API host thread per test binary
//! (`runtime_api.rs`) and one listener per instance, which only that
//! instance can use: its URL carries a per-instance secret (see
//! `runtime_api.rs`). The host thread spawns the children and accepts
//! their connections; an instance's own connection is then served by the
//! test that invokes it, on the test's runtime (`runtime_api.rs`,
//! `rehome.rs`), so a request wakes no other thread of the test binary,
//! only the child. An instance that timed out is killed and replaced on
//! the next request, as Lambda replaces a sandbox after a timeout; the
//! replacement's init phase, like the first instance's, does not count
//! against the function timeout.
//!
//! # The instance's environment
//!
//! The child starts from an empty environment, not the developer's: a
//! function in Lambda sees what Lambda sets, and a test must not let the
//! app act with the shell's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN` or `GITHUB_TOKEN`. It gets:
//!
//! - the variables Lambda defines for a function
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>),
//!   from its [`LambdaOptions`]: `AWS_LAMBDA_RUNTIME_API` (with the
//!   secret), `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
//!   `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`), `AWS_LAMBDA_LOG_GROUP_NAME`,
//!   `AWS_LAMBDA_LOG_STREAM_NAME`, `AWS_LAMBDA_INITIALIZATION_TYPE`
//!   (`on-demand`), `AWS_REGION` and `AWS_DEFAULT_REGION`, `_HANDLER`
//!   (`bootstrap`, an OS-only runtime's handler), `LAMBDA_TASK_ROOT`
//!   (`/var/task`), `LAMBDA_RUNTIME_DIR` (`/var/runtime`), `TZ` (`:UTC`)
//!   and `LANG` (`en_US.UTF-8`); `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`
//!   when the deployment sets it. No `AWS_EXECUTION_ENV` (Lambda sets it
//!   for its managed runtimes only) and no role credentials (there is no
//!   role);
//! - what the re-run test binary needs to start and be looked into: `PATH`,
//!   the dynamic loader's `LD_LIBRARY_PATH` (`DYLD_*` on macOS,
//!   `SYSTEMROOT` on Windows), which cargo sets for test binaries, and
//!   crossdrive's own `CROSSDRIVE_*` (the child re-runs the same test, which
//!   reads them), rustdoc's `RUSTDOC_DOCTEST_*` (so a doctest's child runs
//!   that doctest), plus the child markers. `RUST_BACKTRACE`,
//!   `RUST_LIB_BACKTRACE` and `RUST_LOG` pass too: they change what the
//!   function prints on its stderr, which is the test's, and carry no
//!   secret; `LLVM_PROFILE_FILE` passes so a coverage run counts the code
//!   the function ran instead of dropping `default.profraw` files;
//! - each host variable named with [`LambdaOptions::inherit_env`], and
//!   nothing else.
//!
//! # Instances die with their test binary
//!
//! On Linux the child asks the kernel, first thing in its serving path,
//! for SIGKILL when its parent goes (`PR_SET_PDEATHSIG`, through rustix,
//! as `unsafe` is denied), then checks that its parent is still the pid
//! the driver passed in `CROSSDRIVE_LAMBDA_PARENT_PID`, and exits if not:
//! the parent died before the request took hold. The kernel sends the
//! signal when the *thread* that spawned the child ends, so children are
//! spawned on the Runtime API host thread, which lives as long as the
//! process, never on a test's thread. A SIGKILL or SIGINT to the test
//! binary alone therefore ends its function instances too. Elsewhere
//! (macOS, Windows) there is no such request: an instance ends when its
//! runtime loop finds the Runtime API gone, that is at its next poll or
//! reply, so one blocked in a handler outlives a killed test binary until
//! the handler returns. Within a live test binary, an instance is killed
//! and reaped (waited for) when its driver is dropped, on every platform.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Error, ErrorKind};
use axum::Router;
use bytes::Bytes;
use tokio::process::Command;
use tokio::sync::{oneshot, watch};

use super::clock::Invocation;
use super::driver::Invoker;
use super::function::{IGNORE_STAGE_ENV, InvokeError, Observed};
use super::runtime_api::{self, Endpoint, Pending, Reply};
use super::{Lambda, LambdaOptions};

/// Set in a child process: run the runtime loop instead of the test.
#[doc(hidden)]
pub const CHILD_ENV: &str = "CROSSDRIVE_LAMBDA_RUNTIME_CHILD";

/// Set in a child process: the pid of the test binary that started it,
/// which must still be its parent when it takes the death signal.
#[doc(hidden)]
pub const PARENT_ENV: &str = "CROSSDRIVE_LAMBDA_PARENT_PID";

/// Host variables every instance gets, whatever the options say: what the
/// re-run test binary needs to start (the loader's search paths), and
/// what only changes what it prints or where coverage goes (see the
/// module docs).
const RUNNER_ENV: &[&str] = &[
    "PATH",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
    "SYSTEMROOT",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_LOG",
    "LLVM_PROFILE_FILE",
];

/// Host variables every instance gets by prefix: crossdrive's own, and
/// the ones rustdoc's merged doctest binary reads to run one doctest
/// (`RUSTDOC_DOCTEST_BIN_PATH`, `RUSTDOC_DOCTEST_RUN_NB_TEST`; without
/// them a doctest's child would run every doctest of the bundle, not
/// reach the driver's `connect` and leave the instance serving nothing).
const RUNNER_PREFIXES: &[&str] = &["CROSSDRIVE_", "RUSTDOC_DOCTEST_", "UNSTABLE_RUSTDOC_TEST_"];

/// Set in a child process whose deployment streams its responses
/// (`InvokeMode::ResponseStream`): run
/// `lambda_http::run_with_streaming_response` instead of `run`.
#[doc(hidden)]
pub const STREAM_ENV: &str = "CROSSDRIVE_LAMBDA_RUNTIME_STREAMING";

/// A `lambda-runtime` driver with any source and deployment options, for
/// a test of a libtest binary (the child re-runs the test by its thread
/// name) or, called from a plain binary's `main` thread, for that binary (the child re-runs it with no arguments and
/// must reach this call again, as `examples/conformance_matrix.rs` does).
/// In the child process it serves `app` and never returns.
///
/// ```no_run
/// use crossdrive::Client;
/// use crossdrive::lambda::{LambdaOptions, Source, runtime};
///
/// fn main() {
///     let app = axum::Router::new().fallback(|| async { "from the runtime loop" });
///     // In the child this call serves `app` and never returns.
///     let driver = runtime::connect_with(app, LambdaOptions::new(Source::Rest)).unwrap();
///     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
///     rt.block_on(async {
///         Client::new(driver).get("/").await.assert_text("from the runtime loop");
///     });
/// }
/// ```
pub fn connect_with(app: Router, options: LambdaOptions) -> Result<Lambda, Error> {
    start_for_test(app, options, None)
}

/// [`connect_with`] for the test named `test` (from its
/// [`ConnectOptions`](crate::ConnectOptions)), or, without a name, for the
/// test libtest runs on this thread.
pub(crate) fn start_for_test(
    app: Router,
    options: LambdaOptions,
    test: Option<&str>,
) -> Result<Lambda, Error> {
    let thread = std::thread::current();
    let on_main = thread.name() == Some("main");
    let test = test
        .or(thread.name())
        .filter(|name| *name != "main")
        .map(str::to_owned);
    // libtest runs every test on a thread named after it, so the main
    // thread without a recorded test is a plain binary, never a test.
    let how = match test {
        None if on_main => Child0::Binary,
        test => Child0::Test(test),
    };
    LambdaRuntime::start(app, options, how)
}

/// A `lambda-runtime` instance whose child re-runs this binary with no
/// arguments (which must call [`serve_if_child`] first, as
/// `crossdrive::bench_main!` does): the hook the bench builds its
/// cells with, whichever thread it runs on.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub(crate) fn start_for_binary(app: Router, options: LambdaOptions) -> Result<Lambda, Error> {
    LambdaRuntime::start(app, options, Child0::Binary)
}

/// In a `lambda-runtime` child, serves `app()` through `lambda_http::run`
/// and exits; otherwise returns at once. Call it first in the `main` of a
/// binary that is not a libtest test (a bench), so its driver can re-run
/// it as the function.
#[doc(hidden)]
pub fn serve_if_child(app: impl FnOnce() -> Router) {
    if std::env::var_os(CHILD_ENV).is_some() {
        serve(app());
    }
}

/// Runs the real runtime loop over `app` and exits the process (or, as the
/// bench floor's child, its minimal loop: `raw_api.rs`).
fn serve(app: Router) -> ! {
    die_with_parent();
    #[cfg(feature = "bench")]
    if std::env::var(CHILD_ENV).is_ok_and(|v| v == super::raw_api::FLOOR_CHILD) {
        std::process::exit(super::raw_api::serve_child(app));
    }
    // Called from inside the test's runtime: the loop gets its own thread
    // and runtime.
    let loop_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(rt) if std::env::var_os(STREAM_ENV).is_some() => rt
                .block_on(lambda_http::run_with_streaming_response(app))
                .map_err(|e| e.to_string()),
            Ok(rt) => rt
                .block_on(lambda_http::run(app))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    let code = match loop_thread.join() {
        Ok(Ok(())) => 0,
        // The parent dropped the driver: the Runtime API went away.
        Ok(Err(_)) if !runtime_api_alive() => 0,
        // The Runtime API is still there, so the loop stopped by itself:
        // lambda_runtime 1.5 ends `run` when it cannot build the request
        // that posts a response (a non-UTF-8 header value fails to
        // serialize in `EventCompletionRequest::into_req`). In Lambda the
        // process exits and the invocation fails with Runtime.ExitError.
        Ok(Err(e)) => {
            eprintln!("crossdrive lambda-runtime child: the runtime loop stopped: {e}");
            RUNTIME_EXIT_ERROR
        }
        Err(_) => 70,
    };
    std::process::exit(code)
}

/// How many local Runtime API host threads this process started (at most
/// one per test binary) and how many function instances they served (one
/// per `lambda-runtime` driver, plus one per replaced instance).
///
/// ```
/// let (hosts, _instances) = crossdrive::lambda::runtime::starts();
/// assert!(hosts <= 1);
/// ```
#[doc(hidden)]
pub fn starts() -> (usize, usize) {
    runtime_api::starts()
}

/// How the child process is started.
#[derive(Clone)]
enum Child0 {
    /// Re-run this test of the current test binary.
    Test(Option<String>),
    /// Re-run the current binary with no arguments (it calls `serve_if_child`).
    Binary,
}

/// The child's exit code when the runtime loop itself failed while the
/// Runtime API was still up (what Lambda reports as Runtime.ExitError).
const RUNTIME_EXIT_ERROR: i32 = 3;

/// In a child on Linux: asks for SIGKILL when the parent thread goes, and
/// exits if the parent already went (see the module docs). Elsewhere, or
/// without the parent's pid (a child started by hand), it does nothing.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        let Some(parent) = std::env::var(PARENT_ENV)
            .ok()
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            return;
        };
        if let Err(e) =
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        {
            eprintln!(
                "crossdrive lambda-runtime child: cannot ask to die with the test binary \
                 (prctl PR_SET_PDEATHSIG: {e}); this instance may outlive a killed test"
            );
        }
        // Asked after the request took hold: if the parent died before, the
        // child was reparented and must not serve a parent that is gone.
        if rustix::process::getppid().map(rustix::process::Pid::as_raw_pid) != Some(parent) {
            std::process::exit(0);
        }
    }
}

/// The Runtime API's address in the child's `AWS_LAMBDA_RUNTIME_API`
/// (`http://127.0.0.1:<port>/<secret>`, or Lambda's bare `host:port`).
fn runtime_api_addr(value: &str) -> Option<std::net::SocketAddr> {
    let rest = value.strip_prefix("http://").unwrap_or(value);
    rest.split('/').next()?.parse().ok()
}

/// Whether the parent's Runtime API still accepts connections.
fn runtime_api_alive() -> bool {
    std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .and_then(|value| runtime_api_addr(&value))
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
        })
}

/// Starts `lambda-runtime` function instances.
struct LambdaRuntime;

impl LambdaRuntime {
    /// Starts a function instance for `app` (in the child process: serves
    /// it and never returns).
    fn start(app: Router, options: LambdaOptions, how: Child0) -> Result<Lambda, Error> {
        let name = if options.invoke_mode == super::InvokeMode::ResponseStream {
            "lambda-url-stream"
        } else {
            "lambda-runtime"
        };
        if let Err(problem) = options.validate() {
            return Err(
                Error::without_request(crate::ErrorKind::InvalidRequest, name, problem)
                    .with_hint("fix the LambdaOptions this driver was built with"),
            );
        }
        if std::env::var_os(CHILD_ENV).is_some() {
            serve(app);
        }
        drop(app); // The parent never calls the app: its child does.
        let instance = Instance {
            how,
            options: options.clone(),
            live: Arc::new(Mutex::new(None)),
        };
        // The first instance's cold start (process start, runtime init) is
        // part of connecting, as a fixture's start is, so it never counts
        // against the first request's timeout. Restarts after a timeout stay
        // inside the request that needs them, as Lambda's do.
        instance
            .ensure()
            .and_then(|()| instance.await_init(INIT_LIMIT))
            .map_err(|e| Error::without_request(ErrorKind::Connection, name, e))?;
        Ok(Lambda::with_invoker(
            options,
            Some(name),
            Invoker::Runtime(instance),
        ))
    }
}

/// How long a function instance may take to start polling the Runtime
/// API: Lambda's 10 s init phase limit.
const INIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// One function instance: a child process and its Runtime API endpoint.
pub(crate) struct Instance {
    how: Child0,
    options: LambdaOptions,
    live: Arc<Mutex<Option<Live>>>,
}

/// A running function instance. The child process itself belongs to a
/// task on the Runtime API host's runtime, which awaits its exit.
struct Live {
    endpoint: Endpoint,
    pid: Option<u32>,
    /// The child's exit, once the host task saw it: `None` while it runs.
    /// The sender goes away without a value when the child was killed.
    exit: watch::Receiver<Option<Exit>>,
    /// Dropping it kills the child: the host task kills and reaps it.
    kill: Option<oneshot::Sender<()>>,
    /// Disconnects once the host task is done with the child (reaped).
    reaped: std::sync::mpsc::Receiver<()>,
}

impl Drop for Live {
    /// Kills the child and waits (briefly) until it is reaped, so an
    /// instance is gone when its driver is, as with `Child::kill` + `wait`.
    fn drop(&mut self) {
        drop(self.kill.take());
        let _ = self.reaped.recv_timeout(std::time::Duration::from_secs(2));
    }
}

/// How a child process ended, as the host task saw it.
#[derive(Debug, Clone)]
enum Exit {
    Status(ExitStatus),
    /// Waiting for it failed (the error's text).
    Unknown(String),
}

impl Live {
    /// Whether the child still runs, as far as the host task has seen.
    fn running(&self) -> bool {
        self.exit.borrow().is_none() && self.exit.has_changed().is_ok()
    }

    /// The child's exit, if it exited by itself.
    fn exited(&self) -> Option<Exit> {
        self.exit.borrow().clone()
    }
}

/// Spawns `command` from the host thread and hands the child to a task
/// there that awaits its exit (or a kill, when `Live` drops) and reports
/// it: nothing polls. The host thread lives as long as the process, which
/// is what the child's parent-death signal needs (it fires when the
/// spawning *thread* ends: spawned from a test's thread, every instance
/// would die with that test's thread). `kill_on_drop` also kills the child
/// should that task ever be dropped unfinished.
fn spawn_child(command: Command, endpoint: Endpoint) -> std::io::Result<Live> {
    let Spawned {
        pid,
        exit,
        kill,
        reaped,
    } = spawn(command, &endpoint.host)?;
    Ok(Live {
        endpoint,
        pid,
        exit,
        kill,
        reaped,
    })
}

/// A child process spawned on the host thread, owned by a task there.
pub(crate) struct Spawned {
    pub(crate) pid: Option<u32>,
    exit: watch::Receiver<Option<Exit>>,
    kill: Option<oneshot::Sender<()>>,
    reaped: std::sync::mpsc::Receiver<()>,
}

// Only the bench floor's child is a bare `Spawned`.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
impl Spawned {
    /// Kills the child and waits (briefly) until it is reaped.
    pub(crate) fn stop(&mut self) {
        drop(self.kill.take());
        let _ = self.reaped.recv_timeout(std::time::Duration::from_secs(2));
    }

    /// Whether the child exited by itself.
    pub(crate) fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }
}

/// [`spawn_child`]'s spawning, for any child this module starts (a
/// function instance, or the bench floor's minimal function).
pub(crate) fn spawn(
    mut command: Command,
    host: &tokio::runtime::Handle,
) -> std::io::Result<Spawned> {
    if std::thread::current().name() == Some(runtime_api::HOST_THREAD) {
        return Err(std::io::Error::other(
            "a function instance cannot be started from the Runtime API's own thread",
        ));
    }
    command.kill_on_drop(true);
    let (exit_tx, exit_rx) = watch::channel(None);
    let (kill_tx, kill_rx) = oneshot::channel::<()>();
    let (reaped_tx, reaped_rx) = std::sync::mpsc::channel::<()>();
    let (spawned_tx, spawned_rx) = std::sync::mpsc::channel();
    host.spawn(async move {
        let _reaped = reaped_tx;
        let mut child = match command.spawn() {
            Ok(child) => {
                let _ = spawned_tx.send(Ok(child.id()));
                child
            }
            Err(e) => {
                let _ = spawned_tx.send(Err(e));
                return;
            }
        };
        let exited = tokio::select! {
            status = child.wait() => Some(status),
            // `Live` dropped its sender.
            _ = kill_rx => None,
        };
        match exited {
            Some(Ok(status)) => {
                exit_tx.send_replace(Some(Exit::Status(status)));
            }
            Some(Err(e)) => {
                exit_tx.send_replace(Some(Exit::Unknown(e.to_string())));
            }
            // Kill the child and reap it.
            None => {
                let _ = child.kill().await;
            }
        }
    });
    let pid = spawned_rx
        .recv()
        .map_err(|_| std::io::Error::other("the Runtime API's host thread is gone"))??;
    Ok(Spawned {
        pid,
        exit: exit_rx,
        kill: Some(kill_tx),
        reaped: reaped_rx,
    })
}

impl Instance {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the child if none is running.
    fn ensure(&self) -> Result<(), String> {
        let mut live = self.lock();
        if live.as_ref().is_some_and(Live::running) {
            return Ok(());
        }
        *live = None;
        let endpoint = runtime_api::start()
            .map_err(|e| format!("cannot start the local Runtime API ({e})"))?;
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find the current executable to re-run ({e})"))?;
        let mut command = Command::new(exe);
        if let Child0::Test(test) = &self.how {
            let Some(test) = test else {
                return Err(
                    "cannot tell which test is running, so the child cannot re-run it; \
                     connect from the test's own thread, or pass the test's full name in \
                     ConnectOptions::test_name (Kind::connect_with)"
                        .to_owned(),
                );
            };
            // `--include-ignored`: a test run with `--ignored` is itself
            // ignored, and without it the child would skip it and exit
            // during init instead of serving as the function.
            command.args([
                "--exact",
                test,
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ]);
        }
        self.environment(&mut command, &endpoint);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let addr = endpoint.addr;
        let spawned = spawn_child(command, endpoint)
            .map_err(|e| format!("cannot start the function's child process ({e})"))?;
        if !crate::fixture::quiet() {
            eprintln!(
                "crossdrive lambda-runtime: function instance pid {} polls {addr}",
                spawned
                    .pid
                    .map_or_else(|| "?".to_owned(), |pid| pid.to_string()),
            );
        }
        *live = Some(spawned);
        Ok(())
    }

    /// Gives `command` the instance's environment and nothing of the host's
    /// but what the module docs list.
    fn environment(&self, command: &mut Command, endpoint: &Endpoint) {
        environment(command, &self.options, &endpoint.url());
    }
}

/// Gives `command` the environment of a function instance deployed with
/// `o` whose Runtime API is `runtime_api`, and nothing of the host's but
/// what the module docs list.
pub(crate) fn environment(command: &mut Command, o: &LambdaOptions, runtime_api: &str) {
    command.env_clear();
    for (name, value) in std::env::vars_os() {
        // Case-blind: Windows spells `SystemRoot` and `Path` its own way.
        let passes = name.to_str().is_some_and(|n| {
            RUNNER_PREFIXES.iter().any(|p| n.starts_with(p))
                || RUNNER_ENV.iter().any(|r| r.eq_ignore_ascii_case(n))
        });
        if passes {
            command.env(name, value);
        }
    }
    for name in &o.inherit_env {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
        .env(CHILD_ENV, "1")
        .env(PARENT_ENV, std::process::id().to_string())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", &o.function_name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", o.memory_mb.to_string())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", o.function_name),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "crossdrive")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_REGION", &o.region)
        .env("AWS_DEFAULT_REGION", &o.region)
        .env("_HANDLER", "bootstrap")
        .env("LAMBDA_TASK_ROOT", "/var/task")
        .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
        .env("TZ", ":UTC")
        .env("LANG", "en_US.UTF-8");
    if o.invoke_mode == super::InvokeMode::ResponseStream {
        command.env(STREAM_ENV, "1");
    }
    if o.source.has_stages() && !o.stage_in_path {
        command.env(IGNORE_STAGE_ENV, "true");
    }
}

impl Instance {
    /// What the instance's Runtime API refused since the last call, as
    /// notes for the response at hand: a forged or foreign request is
    /// reported to the test, never accepted silently.
    pub(crate) fn refusals(&self) -> Vec<crate::AdapterNote> {
        let (count, first) = match self.lock().as_ref() {
            Some(live) => live.endpoint.take_refusals(),
            None => return Vec::new(),
        };
        if count == 0 {
            return Vec::new();
        }
        let more = match count - first.len() {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        vec![crate::AdapterNote::new(
            "runtime-api-refused",
            format!(
                "the function instance's Runtime API refused {count} request(s) that were not \
                 the instance's own: {}{more}; something else on this machine is talking to it \
                 (another process, or another instance's runtime loop), and none of it reached \
                 the test",
                first.join("; ")
            ),
        )]
    }

    /// The running instance's `AWS_LAMBDA_RUNTIME_API`, secret included.
    pub(crate) fn runtime_api_url(&self) -> Option<String> {
        self.lock().as_ref().map(|live| live.endpoint.url())
    }

    /// The running instance's process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.lock().as_ref().and_then(|live| live.pid)
    }

    /// Waits until the instance's runtime loop first polls the Runtime API
    /// (its init phase is over), at most `limit`; fails at once if the child
    /// exits first.
    fn await_init(&self, limit: std::time::Duration) -> Result<(), String> {
        let started = std::time::Instant::now();
        let mut live = self.lock();
        let Some(l) = live.as_mut() else {
            return Err("the function instance is not running".to_owned());
        };
        loop {
            match l
                .endpoint
                .initialized
                .recv_timeout(std::time::Duration::from_millis(50))
            {
                Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Some(exit) = l.exited() {
                *live = None;
                return Err(format!(
                    "the function instance exited during its init phase ({exit})"
                ));
            }
            if started.elapsed() >= limit {
                *live = None;
                return Err(format!(
                    "the function instance did not poll the Runtime API within {limit:?} \
                     (Lambda's init phase limit); it was stopped"
                ));
            }
        }
    }

    /// Starts a replacement instance when none is running (after a timeout
    /// recycled the last one) and waits out its init phase, bounded by
    /// Lambda's 10 s init limit, so the request's function timeout starts
    /// only once the new instance polls: Lambda does not count a cold
    /// start's init phase against the function timeout. The wait runs on a
    /// thread of its own, so no executor is blocked by it.
    pub(crate) async fn prepare(&self) -> Result<(), String> {
        if self.lock().as_ref().is_some_and(Live::running) {
            return Ok(());
        }
        let instance = Instance {
            how: self.how.clone(),
            options: self.options.clone(),
            live: Arc::clone(&self.live),
        };
        let (done, started) = oneshot::channel();
        std::thread::Builder::new()
            .name("crossdrive-lambda-init".to_owned())
            .spawn(move || {
                let _ = done.send(
                    instance
                        .ensure()
                        .and_then(|()| instance.await_init(INIT_LIMIT)),
                );
            })
            .map_err(|e| format!("cannot start a thread for the instance's init phase ({e})"))?;
        started
            .await
            .unwrap_or_else(|_| Err("the instance's init thread stopped".to_owned()))
    }

    /// Kills the instance; the next request starts a fresh one.
    pub(crate) fn recycle(&self) {
        *self.lock() = None;
    }

    /// One buffered invocation through the child's runtime loop.
    pub(crate) async fn invoke(
        &self,
        event: &[u8],
        invocation: &Invocation,
        options: &LambdaOptions,
    ) -> Result<(Vec<u8>, Observed), InvokeError> {
        match self.invoke_reply(event, invocation, options).await? {
            Reply::Response(json) => Ok((json.to_vec(), Observed::default())),
            Reply::Error(json) => Err(runtime_error(&json)),
            Reply::Stream(_) => Err(InvokeError::FunctionError(
                "the function streamed its response (run_with_streaming_response) to a \
                 deployment that buffers; set InvokeMode::ResponseStream on a Function URL"
                    .to_owned(),
            )),
        }
    }

    /// A handle that replaces the instance when called (after a function
    /// timeout cut a stream), unless a newer one already replaced it.
    pub(crate) fn recycler(&self) -> impl FnMut() + Send + 'static {
        let live = Arc::clone(&self.live);
        let pid = self.lock().as_ref().and_then(|l| l.pid);
        move || {
            let gone = {
                let mut live = live.lock().unwrap_or_else(PoisonError::into_inner);
                if live.as_ref().is_some_and(|l| l.pid == pid) {
                    live.take()
                } else {
                    None
                }
            };
            drop(gone);
        }
    }

    /// One invocation through the child's runtime loop: what the function
    /// answered, a streamed answer as soon as its prelude is in.
    pub(crate) async fn invoke_reply(
        &self,
        event: &[u8],
        invocation: &Invocation,
        options: &LambdaOptions,
    ) -> Result<Reply, InvokeError> {
        self.ensure().map_err(InvokeError::RuntimeGone)?;
        let (reply_tx, reply_rx) = oneshot::channel();
        let pending = Pending {
            request_id: invocation.request_id.clone(),
            deadline_ms: invocation.epoch_ms
                + u64::try_from(options.function_timeout.as_millis()).unwrap_or(u64::MAX),
            function_arn: options.function_arn(),
            trace_id: invocation.trace_id.clone(),
            event: Bytes::copy_from_slice(event),
            reply: reply_tx,
        };
        let (watch, conns, host) = {
            let live = self.lock();
            let Some(live) = live.as_ref() else {
                return Err(InvokeError::RuntimeGone(
                    "the function instance stopped".into(),
                ));
            };
            live.endpoint
                .invocations
                .send(pending)
                .map_err(|_| InvokeError::RuntimeGone("the Runtime API stopped".into()))?;
            let watch = ExitWatch {
                live: Arc::clone(&self.live),
                pid: live.pid,
                exit: live.exit.clone(),
            };
            (
                watch,
                Arc::clone(&live.endpoint.conns),
                live.endpoint.host.clone(),
            )
        };
        // Served right here, on the caller's runtime (runtime_api.rs).
        tokio::select! {
            reply = runtime_api::await_reply(conns, &host, reply_rx) => reply.map_err(|_| {
                InvokeError::RuntimeGone("the Runtime API dropped the invocation".into())
            }),
            exit = watch.exited() => Err(exit),
        }
    }
}

/// The `errorType` lambda_runtime 1.5 posts for a handler panic it caught:
/// its `CatchPanicFuture::build_panic_diagnostic` names the type of the
/// payload it holds, `type_name_of_val(&Box<dyn Any + Send>)`. Computed
/// the same way here, so it matches whatever the compiler calls the type.
fn panic_error_type() -> &'static str {
    std::any::type_name::<&Box<dyn std::any::Any + Send>>()
}

/// Classifies the error JSON the runtime posted, by its `errorType`.
pub(crate) fn runtime_error(json: &[u8]) -> InvokeError {
    let value: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
    let kind = value["errorType"].as_str().unwrap_or("unknown");
    let message = value["errorMessage"].as_str().unwrap_or_default();
    let reason = format!("the runtime reported a function error: {kind}: {message}");
    if kind == panic_error_type() {
        InvokeError::RuntimePanic(reason)
    } else {
        InvokeError::FunctionError(reason)
    }
}

/// Notices the child exiting while an invocation waits, so a child that
/// could not start fails the request at once instead of at the timeout. It
/// awaits the host task's report of the exit: no polling, on any executor.
struct ExitWatch {
    live: Arc<Mutex<Option<Live>>>,
    pid: Option<u32>,
    exit: watch::Receiver<Option<Exit>>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(status) => write!(f, "{status}"),
            Self::Unknown(e) => write!(f, "its exit status is unknown: {e}"),
        }
    }
}

impl ExitWatch {
    async fn exited(mut self) -> InvokeError {
        let exit = match self.exit.wait_for(Option::is_some).await {
            Ok(exit) => exit.clone(),
            // The sender went without a value: the instance was killed.
            Err(_) => None,
        };
        let Some(exit) = exit else {
            return InvokeError::RuntimeGone("the function instance was stopped".to_owned());
        };
        {
            // Forget the instance, unless a newer one already replaced it.
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            if live.as_ref().is_some_and(|l| l.pid == self.pid) {
                *live = None;
            }
        }
        if let Exit::Status(status) = &exit
            && status.code() == Some(RUNTIME_EXIT_ERROR)
        {
            return InvokeError::FunctionError(format!(
                "Runtime.ExitError: the function's runtime loop (lambda_runtime 1.5) \
                 stopped while answering and its process exited ({status}); its \
                 stderr is above"
            ));
        }
        InvokeError::RuntimeGone(format!(
            "the function's child process exited ({exit}) before answering; if it ran \
             no test, the test name given to it was wrong"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_answers_from_no_runtime_and_from_each_of_several_runtimes_in_turn() {
        let name = "lambda::runtime::tests::\
                    an_instance_answers_from_no_runtime_and_from_each_of_several_runtimes_in_turn";
        let app = Router::new().fallback(|| async { "from the child" });
        let options = LambdaOptions::new(super::super::Source::HttpApi);
        // In the child, this call serves the app and never returns.
        let driver = start_for_test(app, options, Some(name)).unwrap();
        let client = crate::Client::new(driver);
        // From no tokio runtime: the Runtime API host thread serves it.
        futures_executor::block_on(std::future::IntoFuture::into_future(client.get("/")))
            .assert_text("from the child");
        // Then two runtimes in turn, the first gone before the second
        // exists: the connection is registered with each as it invokes.
        for _ in 0..2 {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                for _ in 0..3 {
                    client.get("/").await.assert_text("from the child");
                }
            });
        }
        futures_executor::block_on(std::future::IntoFuture::into_future(client.get("/")))
            .assert_text("from the child");
    }

    #[test]
    fn the_runtime_api_address_is_read_from_the_url_with_its_secret_or_a_bare_address() {
        let addr = "127.0.0.1:9001".parse().ok();
        assert_eq!(runtime_api_addr("http://127.0.0.1:9001/00ff"), addr);
        assert_eq!(runtime_api_addr("127.0.0.1:9001"), addr);
        assert_eq!(runtime_api_addr("http://localhost/"), None);
    }

    #[test]
    fn a_panic_is_told_by_its_error_type_not_its_message() {
        let panic = serde_json::json!({
            "errorType": panic_error_type(),
            "errorMessage": "Lambda panicked: index out of bounds",
        });
        let panic = serde_json::to_vec(&panic).unwrap();
        assert!(matches!(
            runtime_error(&panic),
            InvokeError::RuntimePanic(_)
        ));
        // An error whose message merely mentions a panic is a function error.
        let error =
            br#"{"errorType":"&alloc::string::String","errorMessage":"panic button pressed"}"#;
        assert!(matches!(
            runtime_error(error),
            InvokeError::FunctionError(_)
        ));
    }
}
