//! Where a request's time goes: the marks drivers leave at the borders of
//! their stages, which the bench's `--stages` view reads.
//!
//! A driver calls [`mark`] as a request crosses from one stage into the
//! next (the Lambda event built, serialised, the app called, the app
//! answered, ...). Without the `bench` feature a mark is an empty inline
//! function; with it, a mark is one relaxed atomic load unless the bench is
//! recording, and then a timestamp pushed on the current thread's list.
//! The bench records in the same-thread topology only, where client,
//! server and app run on its one thread, so every mark of a request lands
//! on the list it reads; the time between two consecutive marks is the
//! stage that ends at the second. Marks are measured on the real path,
//! not on a copy of it, so the stages add up to the request exactly.
//!
//! This module is not the bench: driver modules may call it (they never
//! import `crate::bench`), and the bench only reads it.

/// A border between two stages of a request, named after what has just
/// happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Each driver family leaves its own marks: a build without the Lambda or
// the socket drivers (or without the bench, which leaves the first and
// last) never makes some of them.
#[cfg_attr(
    not(all(feature = "bench", feature = "lambda", feature = "sockets")),
    allow(dead_code)
)]
pub(crate) enum Mark {
    /// The request left the test's hands (the bench's, around the driver).
    Start,
    /// The Lambda event's fields are built (the request checked and read).
    EventBuilt,
    /// The Lambda event is serialised to its JSON.
    EventSerialised,
    /// A socket client handed the request head to hyper or h3 (a
    /// connection checked out of the pool).
    ClientSent,
    /// The app is called: a socket server routed the request, or
    /// lambda_http turned the event into a request.
    AppCalled,
    /// The app's response (its head; a whole body for buffered apps) is in.
    AppAnswered,
    /// The function's response JSON is back: in process, lambda_http's
    /// response serialised; from a child, its Runtime API round trip done.
    FunctionReturned,
    /// A socket client has the whole response body.
    ClientReceived,
    /// The driver's answer is back in the test's hands.
    End,
}

#[cfg(feature = "bench")]
pub(crate) use recording::{mark, record};

#[cfg(not(feature = "bench"))]
#[cfg_attr(not(any(feature = "lambda", feature = "sockets")), allow(dead_code))]
#[inline(always)]
pub(crate) fn mark(_: Mark) {}

#[cfg(feature = "bench")]
mod recording {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::Mark;

    /// How many recordings are running (on any thread).
    static RECORDING: AtomicUsize = AtomicUsize::new(0);

    /// The most marks a thread keeps between two reads: a thread that
    /// marks without being read (a server thread while another thread
    /// records) never grows past it.
    const MAX_MARKS: usize = 256;

    thread_local! {
        static MARKS: RefCell<Vec<(Mark, Instant)>> = const { RefCell::new(Vec::new()) };
    }

    /// Notes that a request crossed `mark`, when a recording runs.
    #[inline]
    pub(crate) fn mark(mark: Mark) {
        if RECORDING.load(Ordering::Relaxed) == 0 {
            return;
        }
        let now = Instant::now();
        let _ = MARKS.try_with(|marks| {
            let mut marks = marks.borrow_mut();
            if marks.len() < MAX_MARKS {
                marks.push((mark, now));
            }
        });
    }

    /// Records the marks of this thread while it lives; [`Recording::take`]
    /// reads them.
    pub(crate) fn record() -> Recording {
        RECORDING.fetch_add(1, Ordering::Relaxed);
        let _ = MARKS.try_with(|marks| marks.borrow_mut().clear());
        Recording(())
    }

    /// A running recording; dropping it stops it.
    pub(crate) struct Recording(());

    impl Recording {
        /// The marks this thread left since the last take, in order.
        pub(crate) fn take(&self) -> Vec<(Mark, Instant)> {
            MARKS
                .try_with(|marks| std::mem::take(&mut *marks.borrow_mut()))
                .unwrap_or_default()
        }
    }

    impl Drop for Recording {
        fn drop(&mut self) {
            RECORDING.fetch_sub(1, Ordering::Relaxed);
            let _ = MARKS.try_with(|marks| marks.borrow_mut().clear());
        }
    }

    #[cfg(test)]
    mod tests {
        use super::super::Mark;
        use super::{mark, record};

        #[test]
        fn marks_are_kept_only_while_a_recording_runs() {
            mark(Mark::Start);
            let recording = record();
            mark(Mark::Start);
            mark(Mark::End);
            let marks: Vec<Mark> = recording.take().into_iter().map(|(m, _)| m).collect();
            assert_eq!(marks, [Mark::Start, Mark::End]);
            drop(recording);
            mark(Mark::Start);
            let again = record();
            assert!(again.take().is_empty());
        }

        #[test]
        fn a_thread_never_keeps_more_than_its_bound() {
            let recording = record();
            for _ in 0..1000 {
                mark(Mark::Start);
            }
            assert_eq!(recording.take().len(), super::MAX_MARKS);
        }
    }
}
