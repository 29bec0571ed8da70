//! Driver names, kept once for the life of the process.
//!
//! Every [`TestResponse`](crate::TestResponse) names the driver that
//! carried it. A process uses a handful of drivers, so each distinct name
//! is stored once, here, and a response carries it as a plain `&'static
//! str`: no allocation and no reference count to touch per response, where
//! a shared `Arc<str>` would cost two atomic operations on the hot path of
//! every request.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

/// `name`, stored once for the life of the process.
pub(crate) fn interned(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let kept: &'static str = Box::leak(Box::from(name));
    names.insert(kept);
    kept
}

#[cfg(test)]
mod tests {
    use super::interned;

    #[test]
    fn a_name_is_stored_once_however_often_it_is_asked_for() {
        let first = interned("a-driver-of-this-test");
        let again = interned(&String::from("a-driver-of-this-test"));
        assert!(std::ptr::eq(first, again));
        assert_eq!(again, "a-driver-of-this-test");
        assert_ne!(interned("another-driver-of-this-test"), first);
    }
}
