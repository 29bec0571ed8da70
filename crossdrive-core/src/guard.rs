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
//!   direct driver pays two reads of the coarse clock for its timeout in
//!   the common case (`clock.rs`: it may let work that overran by less
//!   than two clock ticks through, never turn an answer in time into a
//!   timeout). The deadline is measured from the first poll when the work
//!   finishes in it, else from the end of that poll by the precise clock
//!   (at most one synchronous poll late, so a driver's own set-up before
//!   its work first waits is not counted).
//! - A handler that blocks its thread (`std::thread::sleep`, a blocking
//!   lock) cannot be preempted: no timer fires on a thread that never
//!   yields. So work that finishes past the deadline is judged when it
//!   returns: a timeout, whatever it returned, since a real server or
//!   Lambda would have cut it off.
//! - A panicking handler must become an error, not a dead test binary, so
//!   every poll runs under `catch_unwind`.
//! - A panic's hook may take longer than the timeout (a backtrace being
//!   symbolized) before the panic reaches whatever catches it: a socket
//!   server's connection task served on the test's own thread, which holds
//!   that thread meanwhile. When the timer fires and a panic began on this
//!   thread during the work, the guard waits [`PANIC_SETTLE`] more for the
//!   panic's outcome (the 500 crossing the socket) instead of calling it a
//!   timeout. Only a panic on the same thread counts: that thread runs this
//!   test alone, while a panic on another may be any other test's, and must
//!   not let a late answer pass.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::time::Sleep;

use crate::clock::Coarse;
use crate::panicking::Seen;

/// Why guarded work did not produce its output.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_core::guard::{Interrupted, guarded};
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

/// How long past its deadline the guard waits for the outcome of a panic
/// that began on its thread during the work (a 500 crossing a socket),
/// once the panic's hook has returned.
///
/// ```
/// assert!(crossdrive_core::guard::PANIC_SETTLE.as_millis() <= 1000);
/// ```
pub const PANIC_SETTLE: Duration = Duration::from_millis(500);

/// Runs `work` until it finishes, `limit` passes, or it panics.
///
/// Work that finishes only after `limit` (its thread was blocked, so no
/// timer could interrupt it) is a timeout too, unless it panicked on this
/// thread meanwhile: then its outcome stands, since that is the panic's.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_core::guard::{guarded, Interrupted};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// assert_eq!(guarded(Duration::from_secs(1), async { 7 }).await, Ok(7));
/// let never = std::future::pending::<()>();
/// assert_eq!(
///     guarded(Duration::from_millis(20), never).await,
///     Err(Interrupted::TimedOut(Duration::from_millis(20)))
/// );
/// // Blocking the thread past the limit does not escape it.
/// let blocking = async { std::thread::sleep(Duration::from_millis(30)); 7 };
/// assert_eq!(
///     guarded(Duration::from_millis(10), blocking).await,
///     Err(Interrupted::TimedOut(Duration::from_millis(10)))
/// );
/// # });
/// ```
pub fn guarded<F: Future>(limit: Duration, work: F) -> Guarded<F> {
    Guarded {
        work,
        limit,
        started: None,
        pending_since: None,
        timer: None,
        grace: None,
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`guarded`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive_core::guard::{Guarded, guarded};
    /// let work: Guarded<_> = guarded(Duration::from_secs(1), async { "done" });
    /// // A plain future: runs on any executor, here futures' own.
    /// assert_eq!(futures_executor::block_on(work), Ok("done"));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Guarded<F> {
        #[pin]
        work: F,
        limit: Duration,
        started: Option<Started>,
        pending_since: Option<Instant>,
        timer: Option<Pin<Box<Sleep>>>,
        grace: Option<Instant>,
    }
}

/// When the work was first polled, and the panics seen then.
#[derive(Debug, Clone, Copy)]
struct Started {
    /// Coarse: it only judges work that finished in its first poll, and
    /// every request pays for the reading (see `clock.rs`).
    at: Coarse,
    panics: Seen,
}

impl<F: Future> Future for Guarded<F> {
    type Output = Result<F::Output, Interrupted>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let started = *this.started.get_or_insert_with(|| Started {
            at: Coarse::now(),
            panics: Seen::now(),
        });
        let limit = *this.limit;
        let work = this.work;
        match catch_unwind(AssertUnwindSafe(|| work.poll(cx))) {
            Ok(Poll::Ready(output)) => {
                // Past the deadline, the thread was held (no timer could
                // fire) unless the wait was for a panic's outcome. The
                // deadline counts from the first poll's start when the work
                // finished in it, else from its end, as the timer does.
                let past = match this.pending_since {
                    Some(since) => since.elapsed() > limit,
                    None => started.at.surely_past(limit),
                };
                let late = this.grace.is_none() && past && !started.panics.panicked_here();
                return Poll::Ready(if late {
                    Err(Interrupted::TimedOut(limit))
                } else {
                    Ok(output)
                });
            }
            Ok(Poll::Pending) => {}
            Err(payload) => {
                return Poll::Ready(Err(Interrupted::Panicked(panic_message(&*payload))));
            }
        }
        // The timer counts from the end of the first poll: what a driver
        // does synchronously before its work first waits (taking a lock an
        // instance's replacement holds, say) is not the handler's time,
        // and a handler that holds the thread is caught when it returns.
        let since = *this.pending_since.get_or_insert_with(Instant::now);
        let timer = this.timer.get_or_insert_with(|| sleep_until(since + limit));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The hook of a panic on this thread has returned (the thread ran
        // it): its outcome is a few polls away.
        if this.grace.is_none() && started.panics.panicked_here() {
            let until = Instant::now() + PANIC_SETTLE;
            *this.grace = Some(until);
            *timer = sleep_until(until);
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Err(Interrupted::TimedOut(limit)))
    }
}

/// A sleep that works from any executor: tokio's own timer when the caller
/// is inside a tokio runtime with timers, the process-wide timer otherwise.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// crossdrive_core::guard::sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
pub fn sleep(duration: Duration) -> Pin<Box<Sleep>> {
    let _entered = timer_runtime().enter();
    Box::pin(tokio::time::sleep(duration))
}

/// The best-effort message of a panic payload.
///
/// ```
/// use crossdrive_core::guard::panic_message;
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

/// [`sleep`] until an instant.
fn sleep_until(deadline: Instant) -> Pin<Box<Sleep>> {
    let _entered = timer_runtime().enter();
    Box::pin(tokio::time::sleep_until(deadline.into()))
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
    fn work_that_holds_its_thread_past_the_limit_is_a_timeout_whatever_it_returned() {
        let blocking = async {
            std::thread::sleep(Duration::from_millis(40));
            7
        };
        let out =
            futures_util::FutureExt::now_or_never(guarded(Duration::from_millis(10), blocking));
        assert_eq!(
            out,
            Some(Err(Interrupted::TimedOut(Duration::from_millis(10))))
        );
    }

    /// A server whose handler panics, and whose answer arrives past the
    /// client's deadline (its hook symbolized a backtrace): the 500.
    fn late_panic_answer(
        on_this_thread: bool,
    ) -> (
        impl Future<Output = Result<&'static str, tokio::sync::oneshot::error::RecvError>>,
        std::thread::JoinHandle<()>,
    ) {
        let (answer, answered) = futures_channel_oneshot();
        let (begin, begun) = std::sync::mpsc::channel();
        // The request reaches the server on its first poll, after the
        // guard has read the panic counters.
        let work = async move {
            if on_this_thread {
                let _ = std::panic::catch_unwind(|| panic!("the handler panicked"));
            }
            let _ = begin.send(());
            answered.await
        };
        let server = std::thread::spawn(move || {
            let _ = begun.recv();
            if !on_this_thread {
                let _ = std::panic::catch_unwind(|| panic!("another test panicked"));
            }
            std::thread::sleep(Duration::from_millis(250));
            let _ = answer.send("500 from the panic");
        });
        (work, server)
    }

    #[test]
    fn a_panic_on_the_guards_thread_gets_its_outcome_waited_for_past_the_deadline() {
        let (work, server) = late_panic_answer(true);
        let started = std::time::Instant::now();
        let out = block_on(guarded(Duration::from_millis(50), work));
        server.join().unwrap();
        assert_eq!(out, Ok(Ok("500 from the panic")));
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[test]
    fn a_panic_on_another_thread_does_not_let_a_late_answer_pass() {
        let (work, server) = late_panic_answer(false);
        let out = block_on(guarded(Duration::from_millis(50), work));
        server.join().unwrap();
        assert_eq!(out, Err(Interrupted::TimedOut(Duration::from_millis(50))));
    }

    /// tokio's oneshot: needs no runtime, wakes any executor.
    fn futures_channel_oneshot() -> (
        tokio::sync::oneshot::Sender<&'static str>,
        tokio::sync::oneshot::Receiver<&'static str>,
    ) {
        tokio::sync::oneshot::channel()
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
