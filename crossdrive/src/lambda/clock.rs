//! Per-invocation identity: request id, X-Ray trace id and the times AWS
//! stamps on an event. Dates come from `httpdate` (hyper's own date code,
//! already in the tree), rearranged into API Gateway's format.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What AWS stamps on one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    /// A random version 4 UUID, as Lambda's request ids are: the id a
    /// runtime answers its invocation with, so it must not be guessable
    /// by another local process (`runtime_api.rs`).
    pub(crate) request_id: String,
    /// `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`, the X-Ray
    /// trace header Lambda gives the runtime (`Lambda-Runtime-Trace-Id`,
    /// which lambda_http copies into the app's `x-amzn-trace-id`).
    pub(crate) trace_id: String,
    /// API Gateway's own request id, 11 bytes in padded base64
    /// (`ATfSmjLgPHcESJw=` in the captured HTTP API event): an HTTP API's
    /// `requestContext.requestId`, a REST API's `extendedRequestId`.
    pub(crate) gateway_id: String,
    /// A REST API's `requestContext.requestId`: a UUID of API Gateway's,
    /// not the Lambda request id (`7c2af7db-…` in the captured REST event,
    /// whose Lambda invocation had its own).
    pub(crate) gateway_uuid: String,
    /// Milliseconds since the Unix epoch when the source received the request.
    pub(crate) epoch_ms: u64,
    /// Per-invocation bits the other ids are drawn from.
    seed: u64,
}

/// One step of splitmix64: well-spread bits from a counter.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` bytes drawn from `seed`.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    (0..len.div_ceil(8) as u64)
        .flat_map(|i| mix(seed ^ mix(i)).to_le_bytes())
        .take(len)
        .collect()
}

/// `bytes` in lowercase hex, in one allocation (every REST response's
/// trace header carries one).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// A UUID (version 4 layout) from `seed`.
fn uuid(seed: u64) -> String {
    let (a, b) = (mix(seed), mix(!seed));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// Random bits drawn once per process, so two test processes' ids differ
/// (read once: `std::process::id` is a system call on every use).
fn process_salt() -> u64 {
    static SALT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SALT.get_or_init(|| crate::random::random_u128() as u64)
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
        let salt = process_salt() ^ since.as_secs();
        let request_id = crate::random::uuid_v4();
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
        let seed = mix(salt ^ mix(n));
        Self {
            request_id,
            trace_id,
            gateway_id: STANDARD.encode(bytes(seed, 11)),
            gateway_uuid: uuid(seed),
            epoch_ms,
            seed,
        }
    }

    /// CloudFront's request id for an edge-optimized API's `X-Amz-Cf-Id`:
    /// 40 bytes in padded URL-safe base64, 56 characters
    /// (`pn-PWIJc6thYnZm5P0NMgOUglL1DYtl0gdeJky8tqsg8iS_sgsKD1A==` in the
    /// capture, awslabs/aws-lambda-rust-runtime `example-apigw-request.json`).
    pub(crate) fn edge_request_id(&self) -> String {
        URL_SAFE.encode(bytes(!self.seed, 40))
    }

    /// The `Via` CloudFront adds: `1.1 <32 hex>.cloudfront.net (CloudFront)`,
    /// the hex naming the distribution's edge host (same capture).
    pub(crate) fn edge_via(&self) -> String {
        let hex = hex(&bytes(self.seed.rotate_left(7), 16));
        format!("1.1 {hex}.cloudfront.net (CloudFront)")
    }

    /// A 16-hex X-Ray segment id of API Gateway's own, for the `Parent=` of
    /// the trace header a REST API answers with (`Parent=752c273a1dbf0dc3`
    /// in aws/aws-lambda-dotnet @83149216, LambdaTestTool-v2 snapshot
    /// V1_APIHeadersRest.json); not Lambda's parent.
    pub(crate) fn gateway_parent(&self) -> String {
        hex(&bytes(self.seed.rotate_left(29), 8))
    }

    /// The `X-Amzn-Trace-Id` a Regional REST API answers with when the
    /// client sent none: the event's root, API Gateway's parent, not sampled,
    /// and a lineage (`Root=1-67fd87ce-…;Parent=752c273a1dbf0dc3;Sampled=0;Lineage=1:6e5eb7d9:0`,
    /// same snapshot).
    pub(crate) fn gateway_trace(&self) -> String {
        let lineage = u32::from_le_bytes(
            bytes(self.seed.rotate_left(43), 4)
                .try_into()
                .unwrap_or_default(),
        );
        format!(
            "{};Parent={};Sampled=0;Lineage=1:{lineage:08x}:0",
            self.root(),
            self.gateway_parent()
        )
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
    fn api_gateway_ids_have_the_captured_shapes_and_differ_from_the_lambda_request_id() {
        let (a, b) = (Invocation::now(), Invocation::now());
        // `ATfSmjLgPHcESJw=`: 16 characters of padded standard base64.
        assert_eq!(a.gateway_id.len(), 16, "{}", a.gateway_id);
        assert!(a.gateway_id.ends_with('=') && !a.gateway_id.ends_with("=="));
        assert_eq!(STANDARD.decode(&a.gateway_id).map(|v| v.len()), Ok(11));
        assert_ne!(a.gateway_id, b.gateway_id);
        // REST's requestId: a UUID of its own.
        assert_eq!(a.gateway_uuid.len(), 36);
        assert_eq!(a.gateway_uuid.as_bytes()[14], b'4');
        assert_ne!(a.gateway_uuid, a.request_id);
        assert_ne!(a.gateway_uuid, b.gateway_uuid);
        // CloudFront's: 56 characters of URL-safe base64 ending in `==`.
        let cf = a.edge_request_id();
        assert_eq!(cf.len(), 56, "{cf}");
        assert!(cf.ends_with("==") && !cf.contains(['+', '/']), "{cf}");
        let via = a.edge_via();
        let host = via
            .strip_prefix("1.1 ")
            .and_then(|v| v.strip_suffix(".cloudfront.net (CloudFront)"));
        assert!(
            host.is_some_and(|h| h.len() == 32 && h.bytes().all(|c| c.is_ascii_hexdigit())),
            "{via}"
        );
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
            gateway_id: String::new(),
            gateway_uuid: String::new(),
            epoch_ms: 1_428_582_896_000,
            seed: 0,
        };
        assert_eq!(inv.clf_time(), "09/Apr/2015:12:34:56 +0000");
    }
}
