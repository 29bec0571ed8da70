//! Bounding a driver's work: a timeout and a panic catcher in one cheap
//! wrapper, usable from any executor.
//!
//! Why it looks like this:
//! - Drivers must be usable from any async runtime, or none, so the timer
//!   cannot assume the caller runs tokio with timers enabled. Timers are
//!   registered with one small process-wide timer runtime on its own thread,
//!   which tokio allows: a `Sleep` is tied to the runtime it was created
//!   under and may be polled from anywhere.
//! - An in-process call usually finishes on its first poll. The timer is
//!   armed only when the work is still pending after that poll, so the
//!   direct driver pays nothing for its timeout in the common case. The
//!   deadline is therefore measured from the first poll that returned
//!   pending, at most one synchronous poll late.
//! - A panicking handler must become an error, not a dead test binary, so
//!   every poll runs under `catch_unwind`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

/// Why guarded work did not produce its output.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::guard::{Interrupted, guarded};
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let boom = guarded(Duration::from_secs(1), async { panic!("boom"); });
/// assert_eq!(boom.await, Err(Interrupted::Panicked("boom".into())));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupted {
    /// The limit passed first.
    TimedOut(Duration),
    /// The work panicked; this is the panic message.
    Panicked(String),
}

/// Runs `work` until it finishes, `limit` passes, or it panics.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::guard::{guarded, Interrupted};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// assert_eq!(guarded(Duration::from_secs(1), async { 7 }).await, Ok(7));
/// let never = std::future::pending::<()>();
/// assert_eq!(
///     guarded(Duration::from_millis(20), never).await,
///     Err(Interrupted::TimedOut(Duration::from_millis(20)))
/// );
/// # });
/// ```
pub fn guarded<F: Future>(limit: Duration, work: F) -> Guarded<F> {
    Guarded {
        work,
        limit,
        timer: None,
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`guarded`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::guard::{Guarded, guarded};
    /// let work: Guarded<_> = guarded(Duration::from_secs(1), async { "done" });
    /// // A plain future: runs on any executor, here futures' own.
    /// assert_eq!(futures_executor::block_on(work), Ok("done"));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Guarded<F> {
        #[pin]
        work: F,
        limit: Duration,
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Result<F::Output, Interrupted>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let work = this.work;
        match catch_unwind(AssertUnwindSafe(|| work.poll(cx))) {
            Ok(Poll::Ready(output)) => return Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => {}
            Err(payload) => {
                return Poll::Ready(Err(Interrupted::Panicked(panic_message(&*payload))));
            }
        }
        let limit = *this.limit;
        let timer = this.timer.get_or_insert_with(|| sleep(limit));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Interrupted::TimedOut(limit))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A sleep that works from any executor: tokio's own timer when the caller
/// is inside a tokio runtime with timers, the process-wide timer otherwise.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// crossdrive::guard::sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
pub fn sleep(duration: Duration) -> Pin<Box<Sleep>> {
    let _entered = timer_runtime().enter();
    Box::pin(tokio::time::sleep(duration))
}

/// The best-effort message of a panic payload.
///
/// ```
/// use crossdrive::guard::panic_message;
/// let payload = std::panic::catch_unwind(|| panic!("index {} out of bounds", 7)).unwrap_err();
/// assert_eq!(panic_message(&*payload), "index 7 out of bounds");
/// assert_eq!(panic_message(&42_u8), "(a non-string panic payload)");
/// ```
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_owned()
    }
}

fn timer_runtime() -> &'static tokio::runtime::Handle {
    static TIMER: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    TIMER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("crossdrive-timer".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("crossdrive: cannot build the timer runtime; is the process out of threads or memory?");
                let _ = tx.send(rt.handle().clone());
                // Parking here drives the timer wheel for every guarded request.
                rt.block_on(std::future::pending::<()>());
            })
            .expect("crossdrive: cannot spawn the timer thread; is the process out of threads?");
        let handle = rx
            .recv()
            .expect("crossdrive: the timer thread died while starting");
        // This runs inside a poll. Blocking in `recv` parks the thread, and
        // may swallow an unpark meant for the caller's executor (a waker
        // that fired meanwhile), which would then sleep until the timeout.
        // Re-deliver it: executors tolerate spurious wake-ups, not lost ones.
        std::thread::current().unpark();
        handle
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    // futures-executor's block_on parks the thread between polls: no tokio
    // runtime in the caller, which is what the timeout test must prove.
    use futures_executor::block_on;

    #[test]
    fn a_panic_in_the_work_becomes_an_error_with_its_message() {
        let out = futures_util::FutureExt::now_or_never(guarded(Duration::from_secs(1), async {
            panic!("kaboom");
        }));
        assert_eq!(out, Some(Err(Interrupted::Panicked("kaboom".into()))));
    }

    #[test]
    fn the_timeout_fires_without_any_tokio_runtime_in_the_caller() {
        let out = block_on(guarded(
            Duration::from_millis(10),
            std::future::pending::<()>(),
        ));
        assert_eq!(out, Err(Interrupted::TimedOut(Duration::from_millis(10))));
    }
}
