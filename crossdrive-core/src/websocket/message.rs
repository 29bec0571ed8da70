//! What a test sends and receives over a [`TestWebSocket`](super::TestWebSocket):
//! whole data messages, and the close the peer sent.

use bytes::Bytes;

/// One whole WebSocket data message, however many frames it travelled in
/// (the client reassembles continuation frames).
///
/// ```
/// use crossdrive_core::websocket::Message;
/// let text = Message::from("hello");
/// assert_eq!(text.as_text(), Some("hello"));
/// let binary = Message::from(vec![0u8, 255]);
/// assert_eq!(binary.len(), 2);
/// assert_eq!(binary.to_string(), "binary (2 bytes: [00 ff])");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (UTF-8, checked by the client).
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The text, if this is a text message.
    ///
    /// ```
    /// # use crossdrive_core::websocket::Message;
    /// assert_eq!(Message::Binary("x".into()).as_text(), None);
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Binary(_) => None,
        }
    }

    /// The payload's bytes, whichever kind it is.
    ///
    /// ```
    /// # use crossdrive_core::websocket::Message;
    /// assert_eq!(Message::from("é").as_bytes(), "é".as_bytes());
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }

    /// The payload's length in bytes.
    ///
    /// ```
    /// # use crossdrive_core::websocket::Message;
    /// assert_eq!(Message::from("abc").len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    ///
    /// ```
    /// # use crossdrive_core::websocket::Message;
    /// assert!(Message::from("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How much of a payload a report quotes.
const SHOWN: usize = 64;

impl std::fmt::Display for Message {
    /// A short description for reports: the kind, the length and the
    /// start of the payload.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(text) => {
                let cut = text
                    .char_indices()
                    .nth(SHOWN)
                    .map_or(text.len(), |(at, _)| at);
                let more = if cut < text.len() { "..." } else { "" };
                write!(f, "text {:?}{more}", &text[..cut])?;
                if cut < text.len() {
                    write!(f, " ({} bytes)", text.len())?;
                }
                Ok(())
            }
            Self::Binary(bytes) => {
                let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
                write!(f, "binary ({} {unit}: [", bytes.len())?;
                for (i, byte) in bytes.iter().take(SHOWN / 4).enumerate() {
                    let space = if i == 0 { "" } else { " " };
                    write!(f, "{space}{byte:02x}")?;
                }
                let more = if bytes.len() > SHOWN / 4 { " ..." } else { "" };
                write!(f, "{more}])")
            }
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Binary(Bytes::from(bytes))
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Self::Binary(Bytes::copy_from_slice(bytes))
    }
}

/// How a WebSocket closed, as the test saw it: the peer's close frame, or
/// the connection ending without one.
///
/// The codes are RFC 6455's (§7.4.1): 1000 normal, 1001 going away, 1008
/// policy violation, 4000-4999 the app's own. Two of them are never sent
/// and stand for what a frame could not say (§7.1.5): 1005 (the peer's
/// close frame had no code) and 1006 (the connection ended with no close
/// frame at all), as browsers report them.
///
/// ```
/// use crossdrive_core::websocket::Closed;
/// let closed = Closed::new(4001, "bye");
/// assert_eq!((closed.code, closed.reason.as_str()), (4001, "bye"));
/// assert!(closed.had_frame());
/// assert!(!Closed::abnormal().had_frame());
/// assert_eq!(Closed::abnormal().to_string(), "1006 (no close frame: the connection ended)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Closed {
    /// The close code (1005 and 1006 as above).
    pub code: u16,
    /// The reason the peer gave (empty when none).
    pub reason: String,
}

/// RFC 6455 §7.1.5: the peer's close frame carried no status code.
pub(crate) const NO_STATUS: u16 = 1005;
/// RFC 6455 §7.1.5: the connection closed with no close frame.
pub(crate) const ABNORMAL: u16 = 1006;

impl Closed {
    /// A close with this code and reason.
    ///
    /// ```
    /// # use crossdrive_core::websocket::Closed;
    /// assert_eq!(Closed::new(1000, "").to_string(), "1000");
    /// ```
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The connection ended with no close frame (1006).
    ///
    /// ```
    /// # use crossdrive_core::websocket::Closed;
    /// assert_eq!(Closed::abnormal().code, 1006);
    /// ```
    pub fn abnormal() -> Self {
        Self::new(ABNORMAL, "")
    }

    /// Whether a close frame was received (false for 1006).
    ///
    /// ```
    /// # use crossdrive_core::websocket::Closed;
    /// assert!(Closed::new(1005, "").had_frame());
    /// ```
    pub fn had_frame(&self) -> bool {
        self.code != ABNORMAL
    }
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            ABNORMAL => write!(f, "{ABNORMAL} (no close frame: the connection ended)"),
            NO_STATUS => write!(f, "{NO_STATUS} (a close frame with no code)"),
            code if self.reason.is_empty() => write!(f, "{code}"),
            code => write!(f, "{code} {:?}", self.reason),
        }
    }
}
