//! The runner behind every test [`suite!`](macro@crate::suite) generates:
//! check the suite's declarations, connect the driver to a fresh app, run
//! the body on a fresh current-thread runtime, and give the verdict.
//!
//! The verdict is only what ran: a driver the suite's list leaves out, or
//! one `CROSSDRIVE_DRIVERS` leaves out, fails its test saying how to
//! select drivers instead (libtest cannot report a test as skipped at run
//! time, and a test that did not run must not count as a pass). A body
//! declared to differ passes only when it fails in the declared way
//! ([`Declared`]); a failure elsewhere is compared with the same body on
//! `direct` ([`verdict`](super::verdict)).

use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::time::Duration;

use crate::{Client, Selection};
use axum::Router;

use super::differs::{self, Declared, Recorded};
use super::verdict::{self, OnDirect};
use crate::{ConnectOptions, DriverSpec, Drivers, Kind};

/// A body as the runner takes it: one type for every body, so the runner
/// is compiled once per crate, not once per body (a suite of a thousand
/// bodies compiles in a fraction of the time).
#[doc(hidden)]
pub type Body = fn(Client) -> Pin<Box<dyn Future<Output = ()>>>;

/// What one generated test runs; filled in by [`suite!`](macro@crate::suite).
#[doc(hidden)]
pub struct Generated {
    /// The driver's identifier, the module the test sits in (`lambda_v1`).
    pub ident: &'static str,
    /// The body's name, the test's last name.
    pub body: &'static str,
    /// `module_path!()` of the driver's module (`my_crate::lambda_v1`).
    pub module: &'static str,
    /// A fresh app per call.
    pub app: fn() -> Router,
    /// The suite's drivers.
    pub drivers: fn() -> Drivers,
    /// The identifiers of the suite's own drivers (`custom = [..]`).
    pub custom: &'static [&'static str],
    /// The drivers the suite runs on (`only = [..]`), if it says.
    pub only: Option<&'static [&'static str]>,
    /// The suite's timeout, if it set one.
    pub timeout: Option<Duration>,
    /// The body's `#[differs(..)]` declarations.
    pub declared: fn() -> Vec<Declared>,
    /// The body is `#[should_panic]`: its panic is its pass.
    pub expects_panic: bool,
}

impl Generated {
    /// The test's libtest name: the module path without the crate, then
    /// the body (`lambda_v1::create_then_read`).
    fn libtest_name(&self) -> String {
        match self.module.split_once("::") {
            Some((_, rest)) => format!("{rest}::{}", self.body),
            None => self.body.to_owned(),
        }
    }

    /// The libtest name of the same body on the driver `ident`.
    fn sibling(&self, ident: &str) -> String {
        let name = self.libtest_name();
        let parent = name
            .strip_suffix(&format!("{}::{}", self.ident, self.body))
            .unwrap_or("");
        format!("{parent}{ident}::{}", self.body)
    }
}

/// Runs one generated test: `body` against a fresh app through the driver
/// `test.ident` names in the suite's drivers.
///
/// Fails the test with a clear message if the suite's declarations are
/// invalid, the driver cannot be connected, the suite's drivers or
/// `CROSSDRIVE_DRIVERS` leave the driver out, the body fails (saying
/// whether it fails the same way on `direct`), or the body fails otherwise
/// than its `#[differs(..)]` declares for this driver, or passes there.
#[doc(hidden)]
pub fn run(test: Generated, body: Body) {
    let name = test.libtest_name();
    let drivers = (test.drivers)();
    let declared = (test.declared)();
    if let Err(message) = check_suite(&drivers, test.custom, test.only, &declared) {
        panic!("crossdrive: {name}: {message}");
    }
    let Some(spec) = drivers.get(test.ident) else {
        panic!(
            "crossdrive: {name} cannot run: the suite's drivers leave `{}` out, and a test that \
             did not run must not pass; name the drivers this suite runs on in the suite: \
             `only = [{}];`",
            test.ident,
            idents(&drivers).join(", ")
        );
    };
    check_selected(&drivers, spec, &name);
    let declared: Vec<Declared> = declared
        .into_iter()
        .filter(|d| d.covers(test.ident))
        .collect();
    // The test's name travels with the options: a driver whose function
    // runs in a child process (lambda-runtime) re-runs this test there.
    let options = options(test.timeout).test_name(name.clone());
    // Names this test, its driver and any request stuck past the timeout,
    // and ends the process at watchdog::bound(timeout) instead of hanging.
    let _watch = crate::watchdog::watch(&name, spec.name(), options.get_timeout());
    let runtime = test_runtime();
    // Connected inside the runtime, so drivers may use the test's runtime
    // context while starting (their servers still live on their own threads).
    let driver = match runtime.block_on(async { spec.connect((test.app)(), &options) }) {
        Ok(driver) => driver,
        Err(e) => panic!(
            "crossdrive: cannot start the `{}` driver for {name}: {e}",
            spec.name()
        ),
    };
    if test.expects_panic && declared.is_empty() {
        // `#[should_panic]`: libtest judges the panic as written.
        runtime.block_on(body(Client::from_arc(driver)));
        return;
    }
    if declared.is_empty() {
        let Err(failure) = verdict::caught(|| runtime.block_on(body(Client::from_arc(driver))))
        else {
            return;
        };
        drop(runtime);
        panic!("{}", explain(&test, &drivers, spec, &failure, body));
    }
    let (recorded, seen) = Recorded::new(driver);
    let outcome = verdict::caught(|| runtime.block_on(body(Client::new(recorded))));
    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
    judge_declared(&test, spec, &declared, outcome, &seen);
}

/// The verdict on a body with a `#[differs(..)]` for this driver: it must
/// fail, and in one of the declared ways.
fn judge_declared(
    test: &Generated,
    spec: &DriverSpec,
    declared: &[Declared],
    outcome: Result<(), verdict::Failure>,
    seen: &differs::Seen,
) {
    let name = test.libtest_name();
    let failure = match outcome {
        Ok(()) => panic!(
            "crossdrive: {name} was declared to differ on `{}` ({}), but it passed: the \
             difference is gone; remove `{}` from the body's #[differs(..)]",
            spec.name(),
            declared[0].reason(),
            test.ident
        ),
        Err(failure) => failure,
    };
    let mut misses = Vec::new();
    for d in declared {
        match d.matches(&failure.message, seen) {
            Ok(()) => {
                println!(
                    "known difference on `{}` in `{}`, as declared: {}\n  declared: {}\n  \
                     what differed: {}",
                    spec.name(),
                    test.body,
                    d.reason(),
                    d.what(),
                    verdict::headline(&failure.message, spec.name())
                );
                return;
            }
            Err(miss) => misses.push(format!(
                "  declared: {} ({})\n  but: {miss}",
                d.what(),
                d.reason()
            )),
        }
    }
    panic!(
        "crossdrive: {name} failed on `{}`, but not in the way its #[differs(..)] \
         declares, so this is not the known difference:\n{}\nthe failure:\n{}",
        spec.name(),
        misses.join("\n"),
        failure.full()
    );
}

/// The report of a body that failed on `spec`: compared with the same body
/// on `direct`, unless this is `direct` or the suite has no `direct`.
fn explain(
    test: &Generated,
    drivers: &Drivers,
    spec: &DriverSpec,
    failure: &verdict::Failure,
    body: Body,
) -> String {
    let name = test.libtest_name();
    let full = format!("{}\n(test {name})", failure.full());
    let Some(direct) = drivers.get("direct").filter(|_| test.ident != "direct") else {
        return full;
    };
    let options = options(test.timeout);
    let on_direct = verdict::caught(|| {
        let runtime = test_runtime();
        let driver = runtime
            .block_on(async { direct.connect((test.app)(), &options) })
            .unwrap_or_else(|e| panic!("cannot start `direct`: {e}"));
        runtime.block_on(body(Client::from_arc(driver)));
    });
    match verdict::compare(failure, spec.name(), on_direct) {
        OnDirect::Same => format!(
            "crossdrive: {name} fails the same way on `direct`, so the app or the test is wrong, \
             not the `{}` adapter; the full report is `{}`'s:\n{}{}",
            spec.name(),
            test.sibling("direct"),
            verdict::headline(&failure.message, spec.name()).replace("<driver>", spec.name()),
            failure.raised_at()
        ),
        OnDirect::Passes => format!(
            "{full}\ncrossdrive: only this adapter fails: the same body passes on `direct`, so \
             `{}` differs here; if that is the adapter's known behaviour, declare it: \
             #[differs({}, status = .., because = \"..\")]",
            spec.name(),
            test.ident
        ),
        OnDirect::Differs(theirs) => format!(
            "{full}\ncrossdrive: `direct` fails this body too, but otherwise:\n{}",
            theirs.replace("<driver>", "direct")
        ),
    }
}

/// Every identifier in `drivers`, for a suggested `only = [..]`.
fn idents(drivers: &Drivers) -> Vec<String> {
    drivers.iter().map(DriverSpec::ident).collect()
}

/// Fails the test if `CROSSDRIVE_DRIVERS` is set and leaves `spec` out:
/// libtest has no run-time skip, and a test that did not run must not be
/// counted as passed.
fn check_selected(drivers: &Drivers, spec: &DriverSpec, name: &str) {
    if !selection(drivers).includes(spec.name()) {
        panic!(
            "crossdrive: {name} not run: {env} leaves `{}` out, and a test that did not run must \
             not count as passed. Select drivers with the test filter instead, which leaves the \
             others out of the count: `cargo test -- {}::` (or unset {env})",
            spec.name(),
            spec.ident(),
            env = crate::DRIVERS_ENV,
        );
    }
}

/// What a suite's declarations must agree on: valid drivers; without
/// `only`, every driver of the suite's own listed in `custom` (so it has
/// tests) and every listed one present; `#[differs]` naming only the
/// suite's drivers, each saying why and what differs.
fn check_suite(
    drivers: &Drivers,
    custom: &[&str],
    only: Option<&[&str]>,
    declared: &[Declared],
) -> Result<(), String> {
    drivers.validate()?;
    let builtin = |ident: &str| Kind::ALL.iter().any(|k| k.ident() == ident);
    if only.is_none() {
        for spec in drivers.iter() {
            let ident = spec.ident();
            // Its tests are written only where `only` names it: without
            // that line it would be in the list and never run.
            if spec.kind().is_some_and(Kind::websocket_only) {
                return Err(format!(
                    "the suite's drivers include `{}`, which carries WebSockets only and gets \
                     tests only where the suite names its drivers: write `only = [{}, {ident}];`",
                    spec.name(),
                    idents(drivers)
                        .into_iter()
                        .filter(|i| *i != ident)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !builtin(&ident) && !custom.contains(&ident.as_str()) {
                return Err(format!(
                    "the suite's drivers include `{}`, which has no tests; add its identifier to \
                     the suite: `custom = [{ident}];`",
                    spec.name()
                ));
            }
        }
    }
    for ident in custom.iter().chain(only.unwrap_or(&[])) {
        // A built-in whose cargo feature this build lacks: `only` wrote it
        // ignored tests saying so (`__suite_feature_off!`).
        let compiled_out = crate::kind::EVERY_BUILTIN.contains(ident)
            && !Kind::ALL.iter().any(|kind| kind.ident() == *ident);
        if compiled_out && !custom.contains(ident) {
            continue;
        }
        if drivers.get(ident).is_none() {
            return Err(format!(
                "the suite lists `{ident}`, but its drivers have no such driver (they are: {}); \
                 add it with Drivers::with(DriverSpec::custom(\"{ident}\", ..)) or remove it",
                drivers.names().join(", ")
            ));
        }
    }
    for d in declared {
        if let Some(problem) = d.problem() {
            return Err(format!("#[differs({})] {problem}", d.drivers().join(", ")));
        }
        for pattern in d.drivers() {
            // A built-in left out of this build by its cargo feature: the
            // declaration stands for builds that have it.
            let known = drivers
                .iter()
                .any(|s| differs::matches_ident(pattern, &s.ident()))
                || crate::kind::EVERY_BUILTIN
                    .iter()
                    .any(|b| differs::matches_ident(pattern, b));
            if !known {
                return Err(format!(
                    "#[differs({pattern}, ..)] names no driver of this suite (they are: {}); use \
                     a driver's identifier such as lambda_v1, or a family such as lambda*",
                    idents(drivers).join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// The driver `ident` names in `drivers`, failing the test (as
/// [`run`] does) if the list or `CROSSDRIVE_DRIVERS` leaves it out.
/// Shared by the generated conformance tests.
pub(crate) fn selected<'a>(drivers: &'a Drivers, ident: &str, test: &str) -> &'a DriverSpec {
    let Some(spec) = drivers.get(ident) else {
        panic!(
            "crossdrive: {ident}::{test} cannot run: the suite's drivers leave `{ident}` out, and \
             a test that did not run must not pass; name the drivers the suite runs on: \
             `only = [{}];`",
            idents(drivers).join(", ")
        );
    };
    check_selected(drivers, spec, &format!("{ident}::{test}"));
    spec
}

/// `CROSSDRIVE_DRIVERS`, parsed against `drivers` and `remote`; an invalid
/// value fails the test.
pub(crate) fn selection(drivers: &Drivers) -> Selection {
    let mut names = drivers.names();
    names.push(crate::remote::NAME);
    match Selection::from_env(&names) {
        Ok(selection) => selection,
        Err(message) => panic!("crossdrive: {message}"),
    }
}

/// The connect options from `CROSSDRIVE_TIMEOUT_MS`, with `timeout` over
/// them; an invalid variable fails the test.
pub(crate) fn options(timeout: Option<Duration>) -> ConnectOptions {
    let options = match ConnectOptions::from_env() {
        Ok(options) => options,
        Err(message) => panic!("crossdrive: {message}"),
    };
    match timeout {
        Some(timeout) => options.timeout(timeout),
        None => options,
    }
}

/// A fresh current-thread runtime with IO and timers, as `#[tokio::test]` builds.
pub(crate) fn test_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("crossdrive: cannot build the test's tokio runtime ({e})"),
    }
}

/// Runs one generated `remote` test: `body` against the deployment at
/// `CROSSDRIVE_REMOTE_URL` through the [`remote`](crate::remote) driver.
///
/// The generated test is `#[ignore]`d, so a local run counts it as
/// ignored rather than passed; it gets here under `--ignored` (or
/// `--include-ignored`). Then the variable must be set: unset, the test
/// fails saying to set it, since whoever asked for ignored tests asked for
/// the deployment to be checked. A body that is `#[should_panic]`
/// (`expects_panic`) would pass on that panic, so there the test returns
/// instead, and fails as "did not panic" after printing the same advice.
/// An invalid URL fails the test with what is wrong with it.
#[cfg(feature = "remote")]
#[doc(hidden)]
pub fn run_remote(
    module: &str,
    body_name: &str,
    drivers: fn() -> Drivers,
    timeout: Option<Duration>,
    expects_panic: bool,
    body: Body,
) {
    let name = crate::remote::NAME;
    let test = match module.split_once("::") {
        Some((_, rest)) => format!("{rest}::{body_name}"),
        None => body_name.to_owned(),
    };
    let test = test.as_str();
    let mut names = drivers()
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    names.push(name.to_owned());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match Selection::from_env(&names) {
        Ok(selection) if !selection.includes(name) => panic!(
            "crossdrive: {test} not run: {env} leaves `{name}` out, and a test that did not run \
             must not count as passed; select tests with the test filter instead (cargo test -- \
             --ignored {name}::), or unset {env}",
            env = crate::DRIVERS_ENV
        ),
        Ok(_) => {}
        Err(message) => panic!("crossdrive: {message}"),
    }
    let options = options(timeout);
    let remote = match crate::remote::Remote::from_env() {
        Ok(Some(remote)) => remote.timeout(options.get_timeout()),
        Ok(None) => {
            let message = unset_message(test);
            if expects_panic {
                eprintln!("{message}");
                return;
            }
            panic!("{message}");
        }
        Err(e) => panic!("crossdrive: cannot use the `remote` driver for {test}: {e}"),
    };
    test_runtime().block_on(body(Client::new(remote)));
}

/// Why a `remote` test run with `--ignored` cannot run, and what to do.
#[cfg(feature = "remote")]
fn unset_message(test: &str) -> String {
    format!(
        "crossdrive: {test} cannot run: {env} is unset. The `remote` tests check a \
         deployment: set {env} to its base URL, stage path included \
         ({env}=https://abc.execute-api.eu-west-1.amazonaws.com/prod cargo test -- --ignored \
         remote::), or leave out --ignored to run the local drivers only",
        env = crate::remote::URL_ENV,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(not(feature = "http3"))]
    fn only_may_name_a_built_in_this_build_lacks_but_not_an_unknown_driver() {
        let drivers = Drivers::builtin();
        assert!(check_suite(&drivers, &[], Some(&["direct", "http3"]), &[]).is_ok());
        let typo = check_suite(&drivers, &[], Some(&["direct", "htp3"]), &[]).unwrap_err();
        assert!(typo.contains("the suite lists `htp3`"), "{typo}");
    }

    #[test]
    fn only_refuses_a_built_in_this_build_has_but_the_suites_drivers_leave_out() {
        let drivers = Drivers::empty().with(DriverSpec::direct());
        let missing = check_suite(&drivers, &[], Some(&["direct", "lambda"]), &[]);
        if cfg!(feature = "lambda") {
            let missing = missing.unwrap_err();
            assert!(missing.contains("the suite lists `lambda`"), "{missing}");
        } else {
            assert!(missing.is_ok(), "{missing:?}");
        }
    }

    #[test]
    #[cfg(feature = "lambda-ws")]
    fn a_websocket_only_driver_without_only_is_refused_naming_the_line_to_write() {
        let ws = DriverSpec::builtin(Kind::LambdaWs);
        let drivers = Drivers::builtin().with(ws);
        let refused = check_suite(&drivers, &[], None, &[]).unwrap_err();
        assert!(refused.contains("only = [direct, "), "{refused}");
        assert!(refused.ends_with("lambda_ws];`"), "{refused}");
        assert!(check_suite(&drivers, &[], Some(&["direct", "lambda_ws"]), &[]).is_ok());
    }
}
