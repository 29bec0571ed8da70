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
    /// `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`, the X-Ray
    /// trace header Lambda gives the runtime (`Lambda-Runtime-Trace-Id`,
    /// which lambda_http copies into the app's `x-amzn-trace-id`).
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
        // The tracing header as X-Ray formats it: "Root=1-<8 hex>-<24 hex>",
        // then the parent segment's 16-hex id and the sampling decision
        // (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
        // `Sampled=0`: the function runs without active tracing, so Lambda
        // does not sample it.
        let parent = (salt ^ n.wrapping_mul(0xBF58_476D_1CE4_E5B9)).rotate_left(17);
        let trace_id = format!(
            "Root=1-{:08x}-{:012x}{:012x};Parent={parent:016x};Sampled=0",
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

    /// The `Root=...` part alone: the `X-Amzn-Trace-Id` an event source
    /// without active tracing puts in the event (every captured API Gateway
    /// and ALB event carries only `Root`).
    pub(crate) fn root(&self) -> &str {
        self.trace_id.split(';').next().unwrap_or_default()
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
    fn trace_ids_carry_a_parent_and_the_sampling_decision_as_x_ray_formats_them() {
        let inv = Invocation::now();
        let parts: Vec<&str> = inv.trace_id.split(';').collect();
        let [root, parent, sampled] = parts.as_slice() else {
            panic!("three parts expected: {}", inv.trace_id);
        };
        let hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        let root_id = root.strip_prefix("Root=1-").unwrap_or_default();
        assert!(
            root_id.len() == 33 && root_id.as_bytes()[8] == b'-',
            "{root}"
        );
        assert!(hex(&root_id[..8]) && hex(&root_id[9..]), "{root}");
        let parent_id = parent.strip_prefix("Parent=").unwrap_or_default();
        assert!(parent_id.len() == 16 && hex(parent_id), "{parent}");
        assert_eq!(*sampled, "Sampled=0");
        assert_eq!(inv.root(), *root);
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
