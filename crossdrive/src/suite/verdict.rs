//! Turning a body's outcome into the test's verdict, and its failure into a
//! report a person reads once.
//!
//! The body runs under [`caught`]: a panic is caught with its message and
//! the place it was raised, and the process's panic hook is told (through a
//! thread-local flag that a chained hook reads) not to print it, since the
//! runner prints one composed report instead. Only the test's own thread is
//! quieted; a panic anywhere else prints as usual.
//!
//! When a body fails on a driver other than `direct`, the runner runs the
//! same body once more on `direct` (a fresh app, in-process, cheap) and
//! [`compare`]s the two failures: the same failure on `direct` is the app's
//! or the test's, and the test prints a short pointer to `direct`'s full
//! report instead of an eleventh copy; a failure `direct` does not share is
//! the adapter's, and the report says so.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs a body whose panic the runner reports:
    /// the hook records the location here instead of printing.
    static QUIET: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Chains a hook in front of the process's panic hook, once: on a thread
/// inside [`caught`] it records where the panic was raised and prints
/// nothing; everywhere else it calls the previous hook.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let quieted = QUIET.with(|q| {
                let mut q = q.borrow_mut();
                match q.as_mut() {
                    Some(slot) => {
                        *slot = info.location().map(|l| l.to_string());
                        true
                    }
                    None => false,
                }
            });
            if !quieted {
                previous(info);
            }
        }));
    });
}

/// A caught panic: its message and where it was raised.
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) location: Option<String>,
}

impl Failure {
    /// The message with the place it was raised, as the panic hook would
    /// have printed it.
    pub(crate) fn full(&self) -> String {
        format!("{}{}", self.message, self.raised_at())
    }

    /// `\n  (raised at file:line:col)`, unless the message already names
    /// its place (a failed `.await` names the test's line itself).
    pub(crate) fn raised_at(&self) -> String {
        match &self.location {
            Some(at) if !self.message.contains("(raised at ") => format!("\n  (raised at {at})"),
            _ => String::new(),
        }
    }
}

/// Runs `work`, catching a panic without printing it.
pub(crate) fn caught<T>(work: impl FnOnce() -> T) -> Result<T, Failure> {
    install_hook();
    let previous = QUIET.with(|q| q.borrow_mut().replace(None));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    let location = QUIET.with(|q| {
        let mut q = q.borrow_mut();
        let location = q.take().flatten();
        *q = previous;
        location
    });
    outcome.map_err(|payload| Failure {
        message: message(&*payload),
        location,
    })
}

/// A panic payload's message.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    crate::guard::panic_message(payload)
}

/// The part of a failure that says what failed, without what only one
/// driver shows (its name, its notes, the request and response it
/// carried): the lines before the first `driver:` line of an assertion
/// report, with `driver` (the driver's name) written as `<driver>`.
pub(crate) fn headline(message: &str, driver: &str) -> String {
    let head: Vec<&str> = message
        .lines()
        .take_while(|line| !line.starts_with("driver:") && !line.starts_with("request:"))
        .collect();
    head.join("\n").replace(driver, "<driver>")
}

/// How a failure on one driver compares with the same body on `direct`.
pub(crate) enum OnDirect {
    /// `direct` fails with the same headline: the app or the test.
    Same,
    /// `direct` passes: the failure is this adapter's.
    Passes,
    /// `direct` fails otherwise; its headline.
    Differs(String),
}

/// Compares `failure` on the driver named `driver` with `direct`'s outcome.
pub(crate) fn compare(failure: &Failure, driver: &str, direct: Result<(), Failure>) -> OnDirect {
    match direct {
        Ok(()) => OnDirect::Passes,
        Err(on_direct) => {
            let ours = headline(&failure.message, driver);
            let theirs = headline(&on_direct.message, "direct");
            if ours == theirs {
                OnDirect::Same
            } else {
                OnDirect::Differs(theirs)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "crossdrive assertion failed: status\n  expected: 201 Created\n  received: 200 OK\ndriver: http1 (HTTP/1.1)\nrequest:\n  GET /";

    #[test]
    fn a_headline_stops_before_the_driver_and_names_no_driver() {
        assert_eq!(
            headline(REPORT, "http1"),
            "crossdrive assertion failed: status\n  expected: 201 Created\n  received: 200 OK"
        );
        assert_eq!(
            headline("http1 driver: GET /x: timed out after 1s", "http1"),
            "<driver> driver: GET /x: timed out after 1s"
        );
    }

    #[test]
    fn the_same_failure_on_direct_is_the_apps() {
        let ours = Failure {
            message: REPORT.into(),
            location: None,
        };
        let direct = Err(Failure {
            message: REPORT.replace("http1 (HTTP/1.1)", "direct (in-process)"),
            location: None,
        });
        assert!(matches!(compare(&ours, "http1", direct), OnDirect::Same));
        assert!(matches!(compare(&ours, "http1", Ok(())), OnDirect::Passes));
        let other = Err(Failure {
            message: "boom".into(),
            location: None,
        });
        assert!(matches!(compare(&ours, "http1", other), OnDirect::Differs(h) if h == "boom"));
    }

    #[test]
    fn a_caught_panic_keeps_its_message_and_location() {
        let failure = caught(|| panic!("expected 201")).unwrap_err();
        assert_eq!(failure.message, "expected 201");
        assert!(failure.location.unwrap().contains("verdict.rs"));
        assert_eq!(caught(|| 7).ok(), Some(7));
    }
}
