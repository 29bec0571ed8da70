//! The live connections of one deployment, by connection id: what the
//! `@connections` endpoint reaches and each connection's session serves.
//!
//! A connection id is API Gateway's shape (11 bytes in padded base64,
//! `TWegAcC4EowCHnA=` in aws_lambda_events' recorded `$connect` event)
//! drawn from the operating system's randomness (`random.rs`): 88 bits
//! that only the function's events and the test ever see, so another
//! process on the machine cannot name a connection to read, post to or
//! close it. An id is in the table only between a successful `$connect`
//! and the close; before and after, the endpoint answers 410 Gone, as AWS
//! does (<https://repost.aws/knowledge-center/410-gone-api-gateway>).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use tokio::sync::mpsc;

/// How many messages may wait for one connection's session before a post
/// is refused with API Gateway's 429 (`LimitExceededException`).
pub(crate) const QUEUE: usize = 256;

/// What the rest of the model asks a connection's session to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send a text message (`text`) or a binary one to the client.
    Send { data: Bytes, text: bool },
    /// Close with this code and reason (a `DELETE`, a limit).
    Close { code: u16, reason: String },
}

/// One live connection, as `GET @connections/{id}` reports it.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) connected_at_ms: u64,
    /// Milliseconds since the epoch of the last message either way.
    pub(crate) last_active_ms: Arc<AtomicU64>,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
}

/// The deployment's connections.
#[derive(Debug, Default, Clone)]
pub(crate) struct Connections {
    live: Arc<Mutex<HashMap<String, Live>>>,
}

impl Connections {
    pub(crate) fn insert(&self, id: &str, live: Live) {
        self.lock().insert(id.to_owned(), live);
    }

    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    pub(crate) fn get(&self, id: &str) -> Option<Live> {
        self.lock().get(id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        // A panic elsewhere never leaves the map half-written: every
        // access is one call.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An id in API Gateway's shape (connection ids, request ids, message
/// ids): 11 random bytes in padded base64.
pub(crate) fn aws_id() -> String {
    let bits = crate::random::random_u128().to_le_bytes();
    STANDARD.encode(&bits[..11])
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Records activity on a connection now.
pub(crate) fn touch(last_active_ms: &AtomicU64) {
    last_active_ms.store(now_ms(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_have_the_recorded_shape_and_never_repeat() {
        let a = aws_id();
        assert_eq!(a.len(), 16, "{a}");
        assert!(a.ends_with('='), "{a}");
        let many: std::collections::HashSet<String> = (0..1000).map(|_| aws_id()).collect();
        assert_eq!(many.len(), 1000);
    }
}
