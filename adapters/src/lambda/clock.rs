//! Per-invocation identity: request id, X-Ray trace id and the times AWS
//! stamps on an event. Dates come from `httpdate` (hyper's own date code,
//! already in the tree), rearranged into API Gateway's format.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What AWS stamps on one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    /// A UUID-shaped id, unique within the process.
    pub(crate) request_id: String,
    /// `Root=1-<epoch hex>-<24 hex>`, the X-Ray trace header value.
    pub(crate) trace_id: String,
    /// Milliseconds since the Unix epoch when the source received the request.
    pub(crate) epoch_ms: u64,
}

impl Invocation {
    /// A fresh invocation stamped now.
    pub(crate) fn now() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let epoch_ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX);
        let salt =
            u64::from(std::process::id()).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ since.as_secs();
        let request_id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (salt >> 32) as u32,
            (salt >> 16) as u16,
            n >> 48 & 0xfff,
            n >> 36 & 0xfff,
            n & 0xffff_ffff_ffff
        );
        let trace_id = format!(
            "Root=1-{:08x}-{:012x}{:012x}",
            since.as_secs(),
            salt & 0xffff_ffff_ffff,
            n & 0xffff_ffff_ffff
        );
        Self {
            request_id,
            trace_id,
            epoch_ms,
        }
    }

    /// The time in API Gateway's `requestTime` format: `22/Nov/2026:06:43:35 +0000`.
    pub(crate) fn clf_time(&self) -> String {
        let at = UNIX_EPOCH + Duration::from_secs(self.epoch_ms / 1000);
        // IMF-fixdate, always this shape: `Thu, 09 Apr 2015 12:34:56 GMT`.
        let date = httpdate::fmt_http_date(at);
        match (
            date.get(5..7),
            date.get(8..11),
            date.get(12..16),
            date.get(17..25),
        ) {
            (Some(day), Some(month), Some(year), Some(time)) => {
                format!("{day}/{month}/{year}:{time} +0000")
            }
            _ => date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let (a, b) = (Invocation::now(), Invocation::now());
        assert_ne!(a.request_id, b.request_id);
        assert_eq!(a.request_id.len(), 36);
    }

    #[test]
    fn request_time_is_formatted_as_api_gateway_does() {
        let inv = Invocation {
            request_id: String::new(),
            trace_id: String::new(),
            epoch_ms: 1_428_582_896_000,
        };
        assert_eq!(inv.clf_time(), "09/Apr/2015:12:34:56 +0000");
    }
}
