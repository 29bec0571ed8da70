//! A counting global allocator: the Rust counterpart of Go's allocs/op.
//!
//! Counts every allocation of every thread (process-wide), so a socket
//! driver's server-side allocations are counted too. Two relaxed atomic
//! increments per allocation are the whole cost, paid by driver and floor
//! alike. It counts only when it is the process's `#[global_allocator]`
//! ([`bench_main!`](crate::bench_main) installs it); the bench tells that
//! from counters that never moved.
// A GlobalAlloc impl is unsafe by definition; this is the one place.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::bench::AllocSnapshot;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// The counting allocator: install it as the global allocator of a bench
/// binary for allocations and bytes per request.
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: crossdrive::bench::CountingAllocator =
///     crossdrive::bench::CountingAllocator;
/// # fn main() {}
/// ```
///
/// [`bench_main!`](crate::bench_main) does this for you.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator;
// the counters are plain atomics and never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which System shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc`/`realloc` above, i.e. from System.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: `ptr` came from System with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// True when this allocator is the global one: by the time a bench runs,
/// argv parsing alone has allocated.
pub(crate) fn is_installed() -> bool {
    ALLOCS.load(Relaxed) > 0
}

pub(crate) fn snapshot() -> AllocSnapshot {
    AllocSnapshot {
        allocs: ALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
    }
}
