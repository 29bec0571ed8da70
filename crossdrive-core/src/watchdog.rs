//! The watchdog: says which test, driver and request is stuck past its
//! timeout, and ends a run that a handler would otherwise hang for ever.
//!
//! Every driver bounds a request with a timer, but no timer fires on a
//! thread that never yields: a handler that calls `std::thread::sleep`,
//! waits on a blocking lock or never returns holds the thread that runs
//! it, which for `direct`, the in-process Lambda drivers and the socket
//! connections served on the test's runtime is the test's own thread. The
//! guard judges such a request a timeout when it finally returns (see
//! [`crate::guard`]); this module covers the time in between, and the
//! handler that never returns:
//!
//! - [`watch`] registers the calling thread (a test) with its driver and
//!   timeout, for as long as the returned [`WatchGuard`] lives. The suite
//!   runner calls it around each generated test.
//! - Every [`Client`](crate::Client) request made on a watched thread
//!   stamps its start in that thread's slot (one read of the coarse clock,
//!   `clock.rs`, and a few uncontended stores; the request's method
//!   and target are copied only when they differ from the last request's;
//!   nothing when the thread is not watched).
//! - One process-wide thread looks at the slots every
//!   [`CHECK_EVERY`]. A request in flight [`WARN_AFTER`] past its timeout
//!   is reported once on stderr; one in flight past [`bound`] ends the
//!   process with that message and exit code [`EXIT_CODE`], instead of
//!   hanging CI.
//!
//! ```text
//! crossdrive watchdog: test `faults::blocking::direct` (driver `direct`):
//! GET /block?ms=1500 has been in flight for 2.3s, past its 300ms timeout.
//! ...
//! ```

use std::cell::RefCell;
use std::io::Write;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::{Method, Uri};

use crate::clock::Coarse;

/// How often the watchdog thread looks at the requests in flight.
///
/// ```
/// assert!(crossdrive_core::watchdog::CHECK_EVERY.as_millis() <= 100);
/// ```
pub const CHECK_EVERY: Duration = Duration::from_millis(50);

/// How long past its timeout a request may stay in flight before the
/// watchdog reports it as stuck. The guard ends a request at its timeout;
/// what may legitimately add to it (a `lambda-runtime` cold start, a
/// panic's hook and [`crate::guard::PANIC_SETTLE`]) rarely takes this long,
/// and a held thread is the likely cause when it does.
///
/// ```
/// assert_eq!(crossdrive_core::watchdog::WARN_AFTER.as_secs(), 2);
/// ```
pub const WARN_AFTER: Duration = Duration::from_secs(2);

/// The exit code of a process the watchdog ended (GNU `timeout`'s).
///
/// ```
/// assert_eq!(crossdrive_core::watchdog::EXIT_CODE, 124);
/// ```
pub const EXIT_CODE: i32 = 124;

/// How long a request with this timeout may stay in flight before the
/// watchdog ends the process: `max(2 × timeout, timeout + 20 s)`. The 20 s
/// cover what may legitimately come on top of the timeout: a
/// `lambda-runtime` instance's init phase (Lambda's 10 s limit) before the
/// invocation's timer starts, a panic's hook (a backtrace printed) and
/// [`crate::guard::PANIC_SETTLE`], and a loaded CI machine; the
/// doubling keeps the same proportion for long timeouts.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_core::watchdog::bound;
/// assert_eq!(bound(Duration::from_millis(300)), Duration::from_millis(20_300));
/// assert_eq!(bound(Duration::from_secs(60)), Duration::from_secs(120));
/// ```
pub fn bound(timeout: Duration) -> Duration {
    (timeout * 2).max(timeout + Duration::from_secs(20))
}

/// One watched thread: its test, driver, timeout and request in flight.
struct Slot {
    test: String,
    driver: String,
    thread: String,
    timeout: Duration,
    /// The coarse clock's nanoseconds plus one when the request in flight
    /// began; 0 when none is.
    started: AtomicU64,
    /// The request in flight; read only to report it.
    request: Mutex<Option<(Method, Uri)>>,
    /// Reported as stuck already (once per request).
    warned: AtomicBool,
}

thread_local! {
    /// The slot of the test running on this thread, if it is watched.
    static CURRENT: RefCell<Option<Watched>> = const { RefCell::new(None) };
}

/// A watched thread's own view of its slot.
struct Watched {
    slot: Arc<Slot>,
    /// The request last written to the slot: this thread is the only one
    /// that writes it, so a repeated request is recognised here without
    /// taking the slot's lock.
    last: Option<(Method, Uri)>,
}

/// Every watched thread's slot, for the watchdog thread.
fn slots() -> &'static Mutex<Vec<Arc<Slot>>> {
    static SLOTS: Mutex<Vec<Arc<Slot>>> = Mutex::new(Vec::new());
    &SLOTS
}

/// Watches the requests this thread sends through a [`Client`](crate::Client)
/// until the guard drops: `test` and `driver` name them in the watchdog's
/// message, `timeout` is the driver's. Starts the watchdog thread on first
/// use. Watches nest: the innermost one is in force.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_core::watchdog::watch;
/// let _watch = watch("my_test::direct", "direct", Duration::from_secs(5));
/// // requests sent on this thread now are watched
/// ```
pub fn watch(test: &str, driver: &str, timeout: Duration) -> WatchGuard {
    let slot = Arc::new(Slot {
        test: test.to_owned(),
        driver: driver.to_owned(),
        thread: std::thread::current()
            .name()
            .unwrap_or("(unnamed thread)")
            .to_owned(),
        timeout,
        started: AtomicU64::new(0),
        request: Mutex::new(None),
        warned: AtomicBool::new(false),
    });
    start_thread();
    slots()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&slot));
    let watched = Watched {
        slot: Arc::clone(&slot),
        last: None,
    };
    let previous = CURRENT.with(|current| current.replace(Some(watched)));
    WatchGuard {
        slot,
        previous,
        not_send: PhantomData,
    }
}

/// Keeps a thread watched; returned by [`watch`]. Dropping it stops
/// watching (and restores an outer watch). Stays on the thread it watches.
///
/// ```
/// let watch = crossdrive_core::watchdog::watch("t", "direct", std::time::Duration::from_secs(1));
/// drop(watch); // no longer watched
/// ```
#[must_use = "the thread is watched only while the guard lives"]
pub struct WatchGuard {
    slot: Arc<Slot>,
    previous: Option<Watched>,
    /// The slot is this thread's: the guard must drop here.
    not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for WatchGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchGuard")
            .field("test", &self.slot.test)
            .field("driver", &self.slot.driver)
            .field("timeout", &self.slot.timeout)
            .finish()
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| current.replace(previous));
        slots()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|slot| !Arc::ptr_eq(slot, &self.slot));
    }
}

/// Marks a request in flight on this thread's watch, if it is watched,
/// until the returned value drops. Called by [`Client`](crate::Client)'s
/// send path; custom harnesses that bypass `Client` may call it too.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_core::watchdog::{in_flight, watch};
/// let _watch = watch("t", "direct", Duration::from_secs(5));
/// let request = http::Request::get("/todos").body(()).unwrap();
/// let _in_flight = in_flight(request.method(), request.uri());
/// ```
#[doc(hidden)]
pub fn in_flight(method: &Method, uri: &Uri) -> InFlight {
    let slot = CURRENT
        .try_with(|current| stamp(current.borrow_mut().as_mut()?, method, uri))
        .ok()
        .flatten();
    InFlight { slot }
}

/// Stamps a request's start in `watched`'s slot, unless another request
/// of the thread holds it; the slot, to clear when the request ends.
fn stamp(watched: &mut Watched, method: &Method, uri: &Uri) -> Option<Arc<Slot>> {
    let slot = &watched.slot;
    // The first of several concurrent requests owns the slot: when the
    // thread is held, they are all stuck together. A load and a store, not
    // a compare-and-swap: only this thread stamps the slot, and it is
    // cleared only by the request that owns it, so nothing else can write
    // it between the two.
    if slot.started.load(Ordering::Acquire) != 0 {
        return None;
    }
    let stamp = Coarse::now().as_nanos().saturating_add(1);
    slot.started.store(stamp, Ordering::Release);
    slot.warned.store(false, Ordering::Relaxed);
    // A test that repeats a request (polling, a loop) leaves it in place.
    if !watched
        .last
        .as_ref()
        .is_some_and(|(m, u)| m == method && same_target(u, uri))
    {
        let request = (method.clone(), uri.clone());
        *slot.request.lock().unwrap_or_else(PoisonError::into_inner) = Some(request.clone());
        watched.last = Some(request);
    }
    Some(Arc::clone(slot))
}

/// Whether two targets are the same, as `Uri`'s `==` would say, with the
/// common case (origin-form targets, no scheme or authority) compared as
/// the one string each is.
fn same_target(a: &Uri, b: &Uri) -> bool {
    match (a.path_and_query(), b.path_and_query()) {
        (Some(x), Some(y)) if a.scheme().is_none() && b.scheme().is_none() => {
            x.as_str().as_bytes() == y.as_str().as_bytes()
                && a.authority().is_none()
                && b.authority().is_none()
        }
        _ => a == b,
    }
}

/// A request in flight on a watched thread; see [`in_flight`].
#[doc(hidden)]
#[derive(Debug)]
pub struct InFlight {
    slot: Option<Arc<Slot>>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("test", &self.test)
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            slot.started.store(0, Ordering::Release);
        }
    }
}

fn start_thread() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        // Without the thread nothing is watched, but tests still run: say
        // so instead of failing them.
        let spawned = std::thread::Builder::new()
            .name("crossdrive-watchdog".into())
            .spawn(run);
        if let Err(e) = spawned {
            report(&format!(
                "crossdrive watchdog: cannot start its thread ({e}); requests stuck past their \
                 timeout will not be reported"
            ));
        }
    });
}

fn run() {
    loop {
        std::thread::sleep(CHECK_EVERY);
        let now = Coarse::now();
        let slots = slots()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for slot in slots {
            let started = slot.started.load(Ordering::Acquire);
            if started == 0 {
                continue;
            }
            let elapsed = now.since(Coarse::from_nanos(started - 1));
            if elapsed >= bound(slot.timeout) {
                report(&stuck(&slot, elapsed, true));
                std::process::exit(EXIT_CODE);
            }
            if elapsed >= slot.timeout + WARN_AFTER && !slot.warned.swap(true, Ordering::AcqRel) {
                report(&stuck(&slot, elapsed, false));
            }
        }
    }
}

/// The watchdog's message about `slot`'s request, in flight for `elapsed`.
fn stuck(slot: &Slot, elapsed: Duration, ending: bool) -> String {
    let request = match &*slot.request.lock().unwrap_or_else(PoisonError::into_inner) {
        Some((method, uri)) => format!("{method} {uri}"),
        None => "a request".to_owned(),
    };
    let thread = if slot.thread == slot.test {
        String::new()
    } else {
        format!(", thread `{}`", slot.thread)
    };
    let mut message = format!(
        "crossdrive watchdog: test `{}` (driver `{}`{thread}): {request} has been in flight for \
         {elapsed:.1?}, past its {timeout:?} timeout. The thread running it is most likely held: \
         a blocking call in async code (std::thread::sleep, a std::sync lock or channel, blocking I/O, a \
         loop that never awaits) keeps the runtime's thread, so no timer can fire until it \
         returns; use tokio::time::sleep, tokio::sync, or tokio::task::spawn_blocking for the \
         blocking part",
        slot.test,
        slot.driver,
        timeout = slot.timeout,
    );
    if ending {
        message.push_str(&format!(
            ". Ending the test process with exit code {EXIT_CODE} after {:?} (the timeout's \
             watchdog bound, max(2 x timeout, timeout + 20s)) instead of hanging",
            bound(slot.timeout)
        ));
    }
    message
}

/// Writes to the process's stderr itself: libtest captures `eprintln!` of
/// test threads and of the threads they spawn, and would drop it.
fn report(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{message}");
    let _ = stderr.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_on_a_watched_thread_is_in_flight_until_it_drops_and_not_on_others() {
        let uri: Uri = "/todos?a=1".parse().unwrap();
        let unwatched = in_flight(&Method::GET, &uri);
        assert!(unwatched.slot.is_none());
        let watch = watch("t::direct", "direct", Duration::from_secs(5));
        let request = in_flight(&Method::GET, &uri);
        let slot = Arc::clone(request.slot.as_ref().unwrap());
        assert_ne!(slot.started.load(Ordering::Acquire), 0);
        let message = stuck(&slot, Duration::from_secs(7), true);
        assert!(
            message.contains("test `t::direct` (driver `direct`"),
            "{message}"
        );
        assert!(
            message.contains("GET /todos?a=1 has been in flight for 7.0s, past its 5s timeout"),
            "{message}"
        );
        assert!(message.contains("blocking call in async code"), "{message}");
        assert!(message.contains("exit code 124 after 25s"), "{message}");
        drop(request);
        assert_eq!(slot.started.load(Ordering::Acquire), 0);
        drop(watch);
        assert!(in_flight(&Method::GET, &uri).slot.is_none());
        assert!(
            !slots()
                .lock()
                .unwrap()
                .iter()
                .any(|s| Arc::ptr_eq(s, &slot))
        );
    }

    #[test]
    fn the_slot_names_the_latest_request_whether_repeated_or_new() {
        let _watch = watch("t::repeat", "direct", Duration::from_secs(5));
        let named = |method: Method, target: &str| {
            let uri: Uri = target.parse().unwrap();
            let request = in_flight(&method, &uri);
            stuck(
                request.slot.as_ref().unwrap(),
                Duration::from_secs(6),
                false,
            )
        };
        assert!(named(Method::GET, "/a?x=1").contains("GET /a?x=1 has been"));
        assert!(named(Method::GET, "/a?x=1").contains("GET /a?x=1 has been"));
        assert!(named(Method::GET, "/a?x=2").contains("GET /a?x=2 has been"));
        assert!(named(Method::POST, "/a?x=2").contains("POST /a?x=2 has been"));
        let absolute = named(Method::POST, "http://example.test/a?x=2");
        assert!(
            absolute.contains("POST http://example.test/a?x=2 has been"),
            "{absolute}"
        );
    }

    #[test]
    fn targets_are_the_same_exactly_when_uri_equality_says_so() {
        let pairs = [
            ("/a?x=1", "/a?x=1"),
            ("/a?x=1", "/a?x=2"),
            ("/a", "/a?"),
            ("/a", "/b"),
            ("http://h/a", "/a"),
            ("http://h/a", "http://H/a"),
            ("http://h/a", "https://h/a"),
            ("*", "*"),
        ];
        for (a, b) in pairs {
            let (a, b): (Uri, Uri) = (a.parse().unwrap(), b.parse().unwrap());
            assert_eq!(same_target(&a, &b), a == b, "{a} and {b}");
            assert_eq!(same_target(&b, &a), b == a, "{b} and {a}");
        }
    }
}
