//! What has crossed a [`TestWebSocket`](super::TestWebSocket) so far, kept
//! briefly for its reports: a wait that times out says what had arrived
//! (or that nothing had), and an assertion that fails says what came
//! before.

use std::collections::VecDeque;
use std::fmt::Write as _;

/// How many recent arrivals a report quotes.
const RECENT: usize = 4;

/// Counts and the most recent arrivals, described.
#[derive(Debug, Default)]
pub(crate) struct Received {
    messages: usize,
    pings: usize,
    pongs: usize,
    sent: usize,
    recent: VecDeque<String>,
}

impl Received {
    /// A data message arrived (`what` describes it).
    pub(crate) fn message(&mut self, what: String) {
        self.messages += 1;
        self.remember(what);
    }

    /// A ping arrived (the client answers it).
    pub(crate) fn ping(&mut self, len: usize) {
        self.pings += 1;
        self.remember(format!("ping ({len} bytes, answered)"));
    }

    /// A pong arrived.
    pub(crate) fn pong(&mut self, len: usize) {
        self.pongs += 1;
        self.remember(format!("pong ({len} bytes)"));
    }

    /// The socket closed (`what` says how).
    pub(crate) fn closed(&mut self, what: String) {
        self.remember(what);
    }

    /// The test sent a message or a control frame.
    pub(crate) fn sent(&mut self) {
        self.sent += 1;
    }

    fn remember(&mut self, what: String) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(what);
    }

    /// One sentence: what had arrived since the socket opened.
    pub(crate) fn summary(&self) -> String {
        let mut out = if self.recent.is_empty() {
            "nothing had arrived since the socket opened".to_owned()
        } else {
            let total = self.messages + self.pings + self.pongs;
            let mut out = format!(
                "{} message{}, {} ping{} and {} pong{} had arrived",
                self.messages,
                plural(self.messages),
                self.pings,
                plural(self.pings),
                self.pongs,
                plural(self.pongs)
            );
            let shown = self.recent.len();
            let label = if shown < total {
                format!("the last {shown}")
            } else {
                "in order".to_owned()
            };
            let list: Vec<&str> = self.recent.iter().map(String::as_str).collect();
            let _ = write!(out, "; {label}: {}", list.join(", "));
            out
        };
        let _ = write!(out, " (the test had sent {})", self.sent);
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_log_says_nothing_arrived() {
        let log = Received::default();
        assert_eq!(
            log.summary(),
            "nothing had arrived since the socket opened (the test had sent 0)"
        );
    }

    #[test]
    fn the_summary_counts_every_arrival_and_quotes_the_last_few() {
        let mut log = Received::default();
        log.sent();
        for i in 0..5 {
            log.message(format!("text \"{i}\""));
        }
        log.ping(2);
        let summary = log.summary();
        assert!(
            summary.starts_with("5 messages, 1 ping and 0 pongs had arrived"),
            "{summary}"
        );
        assert!(summary.contains("the last 4: text \"2\""), "{summary}");
        assert!(
            summary.ends_with("ping (2 bytes, answered) (the test had sent 1)"),
            "{summary}"
        );
    }

    #[test]
    fn a_short_log_is_quoted_whole_in_order() {
        let mut log = Received::default();
        log.message("text \"a\"".into());
        log.pong(0);
        assert_eq!(
            log.summary(),
            "1 message, 0 pings and 1 pong had arrived; in order: text \"a\", pong (0 bytes) \
             (the test had sent 0)"
        );
    }
}
