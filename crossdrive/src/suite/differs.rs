//! Declared differences: what `#[differs(..)]` says, and whether a failure
//! is the one it declared.
//!
//! A declaration names drivers (or a family, `lambda*`), says why they
//! differ (`because`) and *what* differs: the failing response's `status`,
//! an adapter `note` code the driver emitted, or a fragment of the failure
//! message (`expected`, as `#[should_panic(expected = ..)]` takes). The
//! test passes on such a driver only when the body fails there in that
//! way; any other failure fails the test with both, and a body that
//! passes fails it as a stale declaration. So a declaration can never hide
//! a regression it does not describe.
//!
//! Every misuse is a compile error that says what to write. The old form,
//! which passed on any failure:
//!
//! ```compile_fail
//! # fn app() -> axum::Router { axum::Router::new() }
//! crossdrive::suite! {
//!     app = app;
//!     #[differs(lambda_v1 = "REST has no binary media types")]
//!     async fn png(client) { client.get("/").await; }
//! }
//! # fn main() {}
//! ```
//!
//! No reason, or nothing said about what differs:
//!
//! ```compile_fail
//! # fn app() -> axum::Router { axum::Router::new() }
//! crossdrive::suite! {
//!     app = app;
//!     #[differs(lambda_v1, status = 415)]
//!     async fn png(client) { client.get("/").await; }
//! }
//! # fn main() {}
//! ```
//!
//! ```compile_fail
//! # fn app() -> axum::Router { axum::Router::new() }
//! crossdrive::suite! {
//!     app = app;
//!     #[differs(lambda_v1, because = "REST has no binary media types")]
//!     async fn png(client) { client.get("/").await; }
//! }
//! # fn main() {}
//! ```
//!
//! A key it does not know:
//!
//! ```compile_fail
//! # fn app() -> axum::Router { axum::Router::new() }
//! crossdrive::suite! {
//!     app = app;
//!     #[differs(lambda_v1, code = 415, because = "REST")]
//!     async fn png(client) { client.get("/").await; }
//! }
//! # fn main() {}
//! ```
//!
//! The same declaration written right, with a constant, below a doc
//! comment:
//!
//! ```
//! # fn app() -> axum::Router { axum::Router::new() }
//! const NO_BINARY: &str = "REST has no binary media types";
//! crossdrive::suite! {
//!     app = app;
//!     /// The cover, as bytes.
//!     #[differs(lambda_v1, note = "rest-base64-not-decoded", because = NO_BINARY)]
//!     async fn png(client) { client.get("/").await; }
//! }
//! # fn main() {}
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use crate::{
    AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream, Error, IntoStatus, RequestBody,
};
use bytes::Bytes;
use http::{Request, StatusCode};

/// One `#[differs(..)]` of a body, as the macro wrote it.
///
/// ```
/// use crossdrive::__private::Declared;
/// let declared = Declared::new(&["lambda*"]).status(415).because("no binary media types");
/// assert!(declared.covers("lambda_v1"));
/// assert!(!declared.covers("http1"));
/// ```
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Declared {
    drivers: Vec<&'static str>,
    because: String,
    status: Option<Result<StatusCode, String>>,
    note: Option<String>,
    expected: Option<String>,
}

impl Declared {
    /// A declaration for these driver identifiers; `name*` is every
    /// driver whose identifier starts with `name`.
    pub fn new(drivers: &[&'static str]) -> Self {
        Self {
            drivers: drivers.to_vec(),
            ..Self::default()
        }
    }

    /// Why the adapter differs.
    pub fn because(mut self, reason: impl ToString) -> Self {
        self.because = reason.to_string();
        self
    }

    /// The status of the response the body failed on.
    pub fn status(mut self, status: impl IntoStatus + Copy + std::fmt::Debug) -> Self {
        self.status = Some(
            status
                .into_status()
                .ok_or_else(|| format!("{status:?} is not an HTTP status")),
        );
        self
    }

    /// An adapter note code the driver emitted during the body.
    pub fn note(mut self, code: impl ToString) -> Self {
        self.note = Some(code.to_string());
        self
    }

    /// A fragment of the failure message.
    pub fn expected(mut self, fragment: impl ToString) -> Self {
        self.expected = Some(fragment.to_string());
        self
    }

    /// True if the declaration names the driver identified by `ident`.
    pub fn covers(&self, ident: &str) -> bool {
        self.drivers.iter().any(|d| matches_ident(d, ident))
    }

    /// The driver patterns, as written.
    pub(crate) fn drivers(&self) -> &[&'static str] {
        &self.drivers
    }

    /// What is wrong with the declaration itself, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.because.trim().is_empty() {
            return Some("gives no reason: add `because = \"why the adapter differs\"`".into());
        }
        if let Some(Err(message)) = &self.status {
            return Some(format!("declares `status = ..` but {message}"));
        }
        if self.status.is_none() && self.note.is_none() && self.expected.is_none() {
            return Some(
                "does not say what differs: add `status = 415`, `note = \"code\"` or \
                 `expected = \"part of the failure message\"`"
                    .into(),
            );
        }
        None
    }

    /// The declared failure, in words (`status 415, note `x``).
    pub(crate) fn what(&self) -> String {
        let mut parts = Vec::new();
        if let Some(Ok(status)) = &self.status {
            parts.push(format!("the failing response has status {status}"));
        }
        if let Some(note) = &self.note {
            parts.push(format!("the driver emitted the adapter note `{note}`"));
        }
        if let Some(expected) = &self.expected {
            parts.push(format!("the failure message contains {expected:?}"));
        }
        parts.join(", and ")
    }

    /// Why it differs.
    pub(crate) fn reason(&self) -> &str {
        &self.because
    }

    /// Whether a failure with `message`, after the driver answered what
    /// `seen` recorded, is the declared one; `Err` says what did not match.
    pub(crate) fn matches(&self, message: &str, seen: &Seen) -> Result<(), String> {
        let mut misses = Vec::new();
        if let Some(Ok(status)) = &self.status {
            match seen.last_status {
                Some(last) if last == *status => {}
                Some(last) => misses.push(format!("the last response had status {last}")),
                None => misses.push("no response arrived".to_owned()),
            }
        }
        if let Some(note) = &self.note
            && !seen.notes.iter().any(|code| code == note)
        {
            misses.push(if seen.notes.is_empty() {
                format!("the driver emitted no adapter note, not `{note}`")
            } else {
                format!(
                    "the driver emitted the adapter notes {}, not `{note}`",
                    seen.notes
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        }
        if let Some(expected) = &self.expected
            && !message.contains(expected.as_str())
        {
            misses.push(format!("the failure message does not contain {expected:?}"));
        }
        if misses.is_empty() {
            Ok(())
        } else {
            Err(misses.join("; "))
        }
    }
}

/// True if the pattern (`lambda_v1`, or `lambda*` for a family) names
/// `ident`.
pub(crate) fn matches_ident(pattern: &str, ident: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => ident.starts_with(prefix),
        None => pattern == ident,
    }
}

/// What a recorded driver saw during one body: the last response's status
/// and every adapter note code.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    pub(crate) last_status: Option<StatusCode>,
    pub(crate) notes: Vec<&'static str>,
}

/// A driver that records what [`Declared::matches`] needs, wrapped around a
/// test's driver only when the body declares a difference on it, so no
/// other test pays for it.
pub(crate) struct Recorded {
    inner: Arc<dyn Driver>,
    seen: Arc<Mutex<Seen>>,
}

impl Recorded {
    pub(crate) fn new(inner: Arc<dyn Driver>) -> (Self, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        (
            Self {
                inner,
                seen: Arc::clone(&seen),
            },
            seen,
        )
    }
}

fn record(seen: &Mutex<Seen>, status: StatusCode, notes: &[AdapterNote]) {
    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    seen.last_status = Some(status);
    seen.notes.extend(notes.iter().map(|n| n.code));
}

impl Driver for Recorded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let response = self.inner.send(request).await?;
            record(&self.seen, response.response.status(), &response.notes);
            Ok(response)
        })
    }

    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let response = self.inner.stream(request).await?;
            record(&self.seen, response.response.status(), &response.notes);
            Ok(response)
        })
    }

    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(async move {
            let handshake = self.inner.websocket(request).await?;
            let (status, notes) = match &handshake {
                crate::websocket::Handshake::Accepted(up) => (up.response.status(), &up.notes),
                crate::websocket::Handshake::Refused(answer) => {
                    (answer.response.status(), &answer.notes)
                }
            };
            record(&self.seen, status, notes);
            Ok(handshake)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: u16, notes: &[&'static str]) -> Seen {
        Seen {
            last_status: Some(StatusCode::from_u16(status).unwrap()),
            notes: notes.to_vec(),
        }
    }

    #[test]
    fn a_family_pattern_covers_every_driver_it_prefixes() {
        let d = Declared::new(&["lambda*"]);
        assert!(d.covers("lambda") && d.covers("lambda_v1") && d.covers("lambda_url_stream"));
        assert!(!d.covers("direct"));
        assert!(Declared::new(&["lambda"]).covers("lambda"));
        assert!(!Declared::new(&["lambda"]).covers("lambda_v1"));
    }

    #[test]
    fn a_declared_status_matches_only_that_status() {
        let d = Declared::new(&["lambda_v1"]).status(415).because("x");
        assert!(d.matches("any", &seen(415, &[])).is_ok());
        let miss = d.matches("any", &seen(200, &[])).unwrap_err();
        assert!(miss.contains("status 200 OK"), "{miss}");
    }

    #[test]
    fn a_declared_note_and_fragment_must_both_hold() {
        let d = Declared::new(&["lambda_v1"])
            .note("base64-response")
            .expected("body")
            .because("x");
        assert!(
            d.matches("the body differs", &seen(200, &["base64-response"]))
                .is_ok()
        );
        let miss = d
            .matches("status", &seen(200, &["stage-prefix"]))
            .unwrap_err();
        assert!(
            miss.contains("`stage-prefix`, not `base64-response`"),
            "{miss}"
        );
        assert!(miss.contains("does not contain \"body\""), "{miss}");
    }

    #[test]
    fn a_declaration_without_what_or_why_is_a_problem() {
        assert!(
            Declared::new(&["x"])
                .status(415)
                .problem()
                .unwrap()
                .contains("reason")
        );
        assert!(
            Declared::new(&["x"])
                .because("y")
                .problem()
                .unwrap()
                .contains("what differs")
        );
        assert!(
            Declared::new(&["x"])
                .status(1000u16)
                .because("y")
                .problem()
                .is_some()
        );
        assert!(
            Declared::new(&["x"])
                .note("n")
                .because("y")
                .problem()
                .is_none()
        );
    }

    #[test]
    fn the_macro_reads_constants_paths_and_families() {
        const WHY: &str = "REST has no binary media types here";
        let d = crate::__differs!(lambda_v1, lambda_alb*, status = http::StatusCode::UNSUPPORTED_MEDIA_TYPE, because = WHY);
        assert!(d.covers("lambda_v1") && d.covers("lambda_alb"));
        assert_eq!(d.reason(), WHY);
        assert!(d.problem().is_none());
    }
}
