//! Unguessable ids: 128 random bits no other process can predict.
//!
//! Everything crossdrive serves on loopback can be reached by any local
//! process, so whatever names a test's private state there (a socket
//! server's app mount, a Lambda Runtime API's instance secret, a Lambda
//! request id) is drawn here and never counted: a sequential number would
//! let another process guess its way in.
//!
//! Ids come from a cryptographically secure generator per thread (rand's
//! `StdRng`, ChaCha12) seeded once from the operating system
//! (`getrandom`). Asking the kernel for every id cost a system call, about
//! a microsecond on a virtual machine, on every Lambda invocation (its
//! request id): a tenth of an in-process invocation's whole cost. If the
//! OS gives no randomness (a sandbox without getrandom(2) or
//! /dev/urandom), the seed falls back to std's randomly keyed SipHash
//! (`RandomState`) over a counter and the clock: still unknown outside the
//! process, just weaker.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

thread_local! {
    /// This thread's generator, seeded on first use.
    static GENERATOR: RefCell<StdRng> = RefCell::new(StdRng::from_seed(seed()));
}

/// 128 bits nobody outside this process can guess.
pub(crate) fn random_u128() -> u128 {
    GENERATOR
        .try_with(|generator| generator.borrow_mut().r#gen::<u128>())
        // A thread tearing down its locals: one generator for this id.
        .unwrap_or_else(|_| StdRng::from_seed(seed()).r#gen::<u128>())
}

/// 256 bits from the operating system, or the fallback's.
fn seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    if getrandom::getrandom(&mut seed).is_ok() {
        return seed;
    }
    use std::hash::{BuildHasher, Hasher};
    static FALLBACK: AtomicU64 = AtomicU64::new(0);
    let n = FALLBACK.fetch_add(1, Ordering::Relaxed);
    for (salt, chunk) in (0u64..).zip(seed.chunks_mut(8)) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n);
        hasher.write_u64(salt);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    seed
}

/// A random (version 4) UUID in its usual text form, as Lambda's request
/// ids are: 122 random bits, the version nibble `4` and the RFC 9562
/// variant bits `10`.
#[cfg(feature = "lambda")]
pub(crate) fn uuid_v4() -> String {
    let bits = random_u128();
    let bits = (bits & !(0xf << 76)) | (0x4 << 76);
    let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (bits >> 96) as u32,
        (bits >> 80) as u16,
        (bits >> 64) as u16,
        (bits >> 48) as u16,
        bits & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "lambda")]
    fn uuids_carry_the_version_4_and_variant_bits_and_differ() {
        let a = uuid_v4();
        let b = uuid_v4();
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{a}"
        );
        assert!(a.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn ids_differ() {
        assert_ne!(random_u128(), random_u128());
    }

    #[test]
    fn threads_draw_different_ids() {
        let here = random_u128();
        let there = std::thread::spawn(random_u128).join().unwrap();
        assert_ne!(here, there);
    }

    #[test]
    fn seeds_differ() {
        assert_ne!(seed(), seed());
    }
}
