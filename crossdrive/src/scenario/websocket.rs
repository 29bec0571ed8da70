//! Running a [`Step::websocket`](super::Step::websocket): open (or reuse
//! the socket a `keep_open` step left open), trade the messages, check
//! every reply, close; time it all when the step is timed.

use std::sync::Mutex;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::ScenarioError;
use super::compile::CompiledStep;
use super::error::{Failure, Mismatch, mismatch};
use super::step::WebSocketPlan;
use crate::bench::{Exchange, OpenedWebSocket, Sample, Stopwatch, WebSocketConn};
use crate::websocket::Message;

/// The sockets `keep_open` steps left open, by step index. A clone starts
/// empty: a socket belongs to one prepared app instance.
#[derive(Default)]
pub(crate) struct Kept(Mutex<Vec<(usize, WebSocketConn)>>);

impl Kept {
    fn take(&self, step: usize) -> Option<WebSocketConn> {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = kept.iter().position(|(i, _)| *i == step)?;
        Some(kept.swap_remove(at).1)
    }

    fn put(&self, step: usize, conn: WebSocketConn) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.push((step, conn));
    }
}

impl Clone for Kept {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.0.lock().map_or(0, |kept| kept.len());
        write!(f, "Kept({open} open)")
    }
}

/// What a WebSocket step came to before it was checked.
enum Outcome {
    /// Accepted, every reply as declared; the socket if it stays open.
    Done(Option<WebSocketConn>),
    /// The handshake was refused with this response.
    Refused(Response<Bytes>),
    /// A reply that was not the declared one.
    WrongReply { expected: Message, got: Message },
}

impl CompiledStep {
    /// Runs a WebSocket step on `exchange`; `kept` is where a `keep_open`
    /// step's socket waits for the next iteration.
    pub(super) async fn run_websocket<E: Exchange + ?Sized>(
        &self,
        plan: &WebSocketPlan,
        scenario: &str,
        exchange: &E,
        request: Request<Bytes>,
        kept: Option<(&Kept, usize)>,
    ) -> Result<Option<Sample>, ScenarioError> {
        let reused = match kept {
            Some((kept, step)) if plan.keep_open => kept.take(step),
            _ => None,
        };
        let watch = self.timed.then(Stopwatch::start);
        let outcome = trade(plan, exchange, request, reused).await;
        let sample = watch.map(Stopwatch::stop);
        let transport = |e: crate::Error| ScenarioError {
            scenario: scenario.to_owned(),
            message: format!("scenario `{scenario}`, {}: {e}", self.label),
            failure: Failure::Transport(e),
        };
        match outcome.map_err(transport)? {
            Outcome::Done(conn) => {
                if self.status != StatusCode::SWITCHING_PROTOCOLS {
                    let accepted = Response::builder()
                        .status(StatusCode::SWITCHING_PROTOCOLS)
                        .body(Bytes::new())
                        .unwrap_or_default();
                    return Err(self.wrong(scenario, &format!("status {}", self.status), accepted));
                }
                if let (Some(conn), Some((kept, step))) = (conn, kept) {
                    kept.put(step, conn);
                }
                Ok(sample)
            }
            // A driver that cannot carry a WebSocket performed no
            // WebSocket step, whatever its status says (an upgrade the app
            // answered 101 to, with no connection handed over).
            Outcome::Refused(response)
                if response
                    .extensions()
                    .get::<crate::bench::NotCarried>()
                    .is_some() =>
            {
                Err(self.wrong(scenario, "a WebSocket this driver can carry", response))
            }
            Outcome::Refused(response) => match self.verify(&response) {
                Ok(_) => Ok(sample),
                Err(wanted) => Err(self.wrong(scenario, &wanted, response)),
            },
            Outcome::WrongReply { expected, got } => {
                let message = format!(
                    "scenario `{scenario}`, {}: expected the reply {expected}, got {got}; if \
                     every driver answers so, the scenario or the app is wrong; if only this \
                     one does, run the test suite on this driver to find out why",
                    self.label
                );
                let response = Response::builder()
                    .status(StatusCode::SWITCHING_PROTOCOLS)
                    .body(Bytes::copy_from_slice(got.as_bytes()))
                    .unwrap_or_default();
                Err(ScenarioError {
                    scenario: scenario.to_owned(),
                    message,
                    failure: Failure::Mismatch(Box::new(Mismatch {
                        response,
                        step: self.label.clone(),
                        expected: format!("the reply {expected}"),
                    })),
                })
            }
        }
    }

    fn wrong(&self, scenario: &str, wanted: &str, response: Response<Bytes>) -> ScenarioError {
        ScenarioError {
            scenario: scenario.to_owned(),
            message: mismatch(scenario, &self.label, wanted, &response),
            failure: Failure::Mismatch(Box::new(Mismatch {
                response,
                step: self.label.clone(),
                expected: wanted.to_owned(),
            })),
        }
    }
}

/// Opens (or reuses) the socket, sends each message and reads its reply,
/// then closes it unless the step keeps it open.
async fn trade<E: Exchange + ?Sized>(
    plan: &WebSocketPlan,
    exchange: &E,
    request: Request<Bytes>,
    reused: Option<WebSocketConn>,
) -> Result<Outcome, crate::Error> {
    let mut conn = match reused {
        Some(conn) => conn,
        None => match exchange.open_websocket(request).await? {
            OpenedWebSocket::Accepted(conn) => conn,
            OpenedWebSocket::Refused(response) => return Ok(Outcome::Refused(response)),
        },
    };
    for (message, expected) in &plan.messages {
        let got = conn.round_trip(message.clone()).await?;
        if got != *expected {
            return Ok(Outcome::WrongReply {
                expected: expected.clone(),
                got,
            });
        }
    }
    if plan.keep_open {
        return Ok(Outcome::Done(Some(conn)));
    }
    conn.close().await?;
    Ok(Outcome::Done(None))
}
