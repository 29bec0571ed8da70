//! Server-sent events, parsed as a browser's `EventSource` parses them.
//!
//! The rules are the WHATWG HTML standard's "Interpreting an event stream"
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! lines end in CRLF, LF or CR (a CRLF split across two chunks is one line
//! end); a leading byte-order mark is dropped; a line starting with `:` is
//! a comment; `field: value` loses one space after the colon; `data` lines
//! are joined with LF; `id` is kept for later events and ignored when it
//! holds NUL; `retry` counts only when it is all ASCII digits; a blank line
//! dispatches the event, unless it has no data; an event the stream ends
//! in the middle of is dropped.
//!
//! The parser is written here rather than taken from a crate because a
//! [`TestStream`](crate::TestStream) feeds it the chunks it has already
//! read, timed and bounded, one by one; the crates that parse SSE
//! (`eventsource-stream`) own the byte stream they parse and bring a parser
//! combinator library with them.

use std::time::Duration;

/// One server-sent event, as an `EventSource` would dispatch it.
///
/// ```
/// let event = crossdrive_core::SseEvent::parse_all("event: tick\ndata: 1\nid: 7\n\n").remove(0);
/// assert_eq!((event.event.as_str(), event.data.as_str()), ("tick", "1"));
/// assert_eq!(event.id.as_deref(), Some("7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The event type: the last `event` field, or `message`.
    pub event: String,
    /// The `data` lines joined with LF.
    pub data: String,
    /// The last event id at dispatch (it carries over from earlier events).
    pub id: Option<String>,
    /// The reconnection time this event's `retry` field set, if any.
    pub retry: Option<Duration>,
    /// When the chunk that completed this event arrived, counted from the
    /// moment the request was handed to the driver (zero when parsed
    /// outside a stream).
    pub at: Duration,
}

impl SseEvent {
    /// Parses a whole event stream at once.
    ///
    /// ```
    /// let events = crossdrive_core::SseEvent::parse_all(": hello\ndata: a\ndata: b\n\nretry: 10\ndata: c\n\n");
    /// assert_eq!(events[0].data, "a\nb");
    /// assert_eq!(events[1].retry, Some(std::time::Duration::from_millis(10)));
    /// ```
    pub fn parse_all(stream: impl AsRef<[u8]>) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        parser.feed(stream.as_ref(), Duration::ZERO, &mut events);
        events
    }
}

/// The incremental parser: fed chunk by chunk, it keeps the line and the
/// event in progress between chunks.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF opening this one ends nothing.
    after_cr: bool,
    /// The first bytes were seen (and a byte-order mark dropped).
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<Duration>,
}

impl SseParser {
    /// Parses `chunk`, pushing every event it completes onto `out`.
    pub(crate) fn feed(&mut self, mut chunk: &[u8], at: Duration, out: &mut Vec<SseEvent>) {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
        }
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.line(&String::from_utf8_lossy(&line), at, out);
                }
                _ => self.line.push(byte),
            }
        }
    }

    fn line(&mut self, line: &str, at: Duration, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            return self.dispatch(at, out);
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, at: Duration, out: &mut Vec<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        let retry = self.retry.take();
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        out.push(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry,
            at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, Duration::ZERO, &mut out);
        }
        out
    }

    #[test]
    fn a_crlf_split_across_two_chunks_ends_one_line_not_two() {
        let events = fed(&[b"data: a\r", b"\ndata: b\r\n\r\n"]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "a\nb");
    }

    #[test]
    fn an_event_split_anywhere_across_chunks_parses_as_if_whole() {
        let whole = b"event: tick\ndata: 1\nid: 9\n\ndata: 2\n\n";
        let expected = fed(&[whole]);
        for cut in 0..whole.len() {
            assert_eq!(
                fed(&[&whole[..cut], &whole[cut..]]),
                expected,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn the_event_type_resets_and_the_id_carries_over_between_events() {
        let events = SseEvent::parse_all("event: a\nid: 1\ndata: x\n\ndata: y\n\n");
        assert_eq!(events[1].event, "message");
        assert_eq!(events[1].id.as_deref(), Some("1"));
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_a_trailing_partial_event_is_dropped() {
        let events = SseEvent::parse_all("event: empty\n\ndata: kept\n\ndata: cut off");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "kept");
    }

    #[test]
    fn a_bom_comments_and_fields_without_a_colon_follow_the_standard() {
        let events = SseEvent::parse_all("\u{FEFF}: comment\ndata\ndata:  two spaces\n\n");
        assert_eq!(events[0].data, "\n two spaces");
    }

    #[test]
    fn retry_counts_only_when_it_is_all_digits_and_an_id_with_nul_is_ignored() {
        let events = SseEvent::parse_all("retry: 1x\nid: a\0b\ndata: d\n\n");
        assert_eq!((events[0].retry, events[0].id.clone()), (None, None));
    }
}
