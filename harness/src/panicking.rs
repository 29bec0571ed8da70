//! Knowing that a panic is under way before its hook has finished.
//!
//! A panic's hook runs before the panic unwinds to whatever catches it, and
//! the default hook may symbolize a backtrace (`RUST_BACKTRACE=1` or
//! `full`) for a second or more in a debug build on a busy machine. A
//! client whose timer fires meanwhile would report a timeout for what is a
//! panic. So crossdrive chains a hook of its own in front of the previous
//! one: it counts the panic (per thread and process-wide) and the hooks
//! still running, then calls the previous hook unchanged. The guard reads
//! these counters to wait, bounded, for the panic's outcome instead of
//! calling it a timeout (see [`crate::guard`]).
//!
//! The counters are plain atomics and a thread-local cell: reading them on
//! a request's first poll costs a load each.

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Panics that began in this process (their hook was entered).
static STARTED: AtomicU64 = AtomicU64::new(0);

/// Panic hooks entered and not yet returned, in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Panics that began on this thread.
    static HERE: Cell<u64> = const { Cell::new(0) };
}

/// What the counters said when a request began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    here: u64,
    anywhere: u64,
}

impl Seen {
    /// The counters now; installs the hook on first use.
    pub(crate) fn now() -> Self {
        install();
        Self {
            here: HERE.try_with(Cell::get).unwrap_or(0),
            anywhere: STARTED.load(Ordering::Acquire),
        }
    }

    /// A panic began on this thread since `self`: a handler that ran on the
    /// caller's thread (`direct`, a connection served on the test's
    /// runtime) panicked.
    pub(crate) fn panicked_here(self) -> bool {
        HERE.try_with(Cell::get).unwrap_or(0) != self.here
    }

    /// A panic began anywhere in the process since `self`, perhaps on the
    /// thread serving this request.
    pub(crate) fn panicked_anywhere(self) -> bool {
        STARTED.load(Ordering::Acquire) != self.anywhere
    }
}

/// Whether some panic hook in this process is still running (printing a
/// message, symbolizing a backtrace).
pub(crate) fn hooks_running() -> bool {
    RUNNING.load(Ordering::Acquire) > 0
}

/// Chains crossdrive's counting hook in front of the current one, once per
/// process. Not while this thread panics: `set_hook` refuses then.
fn install() {
    static INSTALL: Once = Once::new();
    if INSTALL.is_completed() || std::thread::panicking() {
        return;
    }
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            STARTED.fetch_add(1, Ordering::AcqRel);
            let _ = HERE.try_with(|here| here.set(here.get() + 1));
            RUNNING.fetch_add(1, Ordering::AcqRel);
            // Decremented even if the previous hook itself panics (which
            // aborts the process anyway, but keeps the count honest).
            let _running = Running;
            previous(info);
        }));
    });
}

struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_this_thread_is_seen_here_and_anywhere_and_its_hook_counted_while_it_runs() {
        let before = Seen::now();
        assert!(!before.panicked_here());
        let payload = std::panic::catch_unwind(|| panic!("counted")).unwrap_err();
        assert_eq!(crate::guard::panic_message(&*payload), "counted");
        assert!(before.panicked_here());
        assert!(before.panicked_anywhere());
    }

    #[test]
    fn a_panic_on_another_thread_is_seen_anywhere_but_not_here() {
        let before = Seen::now();
        let _ = std::thread::spawn(|| panic!("elsewhere")).join();
        assert!(!before.panicked_here());
        assert!(before.panicked_anywhere());
    }
}
