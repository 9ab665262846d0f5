//! wsx's own message, close and event types: what `connect`, `serve` and the printer see
//! instead of tungstenite's.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// A data message. Both variants share their bytes on clone, so a broadcast never copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Payload {
    pub fn text(text: impl Into<String>) -> Self {
        Payload::Text(Utf8Bytes::from(text.into()))
    }

    pub fn binary(data: impl Into<Bytes>) -> Self {
        Payload::Binary(data.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Payload::Text(text) => text.as_bytes(),
            Payload::Binary(data) => data,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn into_message(self) -> Message {
        match self {
            Payload::Text(text) => Message::Text(text),
            Payload::Binary(data) => Message::Binary(data),
        }
    }
}

/// Which side started the close handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Peer,
    Local,
}

impl Side {
    /// The `"by"` field of a JSONL close event.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Peer => "peer",
            Side::Local => "self",
        }
    }
}

/// Something that happened on a connection, in the order it happened.
#[derive(Debug, Clone)]
pub enum Event {
    Open {
        url: String,
        subprotocol: Option<String>,
        addr: Option<SocketAddr>,
    },
    Message(Payload),
    Ping(Bytes),
    Pong(Bytes),
    /// The close handshake finished (or was cut short); `code` is None for 1005 (no status).
    Close {
        code: Option<u16>,
        reason: String,
        by: Side,
    },
    /// A ping went unanswered for a whole interval.
    MissedPong(Duration),
    Error(String),
}

/// Close codes a REPL user or a script may send (RFC 6455 §7.4.1; 1004–1006 and 1015 are
/// reserved and never go on the wire).
pub fn is_sendable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Endings a script treats as success: 1000, 1001, and 1005 (a Close without a code).
pub fn is_normal_close(code: Option<u16>) -> bool {
    matches!(code, None | Some(1000) | Some(1001))
}

/// A short human name for a close code, for diagnostics.
pub fn close_code_name(code: u16) -> &'static str {
    match code {
        1000 => "normal",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status",
        1006 => "abnormal closure",
        1007 => "invalid payload",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "extension required",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS handshake",
        3000..=3999 => "registered",
        4000..=4999 => "private",
        _ => "unknown",
    }
}

/// "1000 (normal)" or "4000 (private) \"bye\"".
pub fn describe_close(code: Option<u16>, reason: &str) -> String {
    let mut text = match code {
        Some(code) => format!("{code} ({})", close_code_name(code)),
        None => "no status code".to_string(),
    };
    if !reason.is_empty() {
        text.push_str(&format!(" {reason:?}"));
    }
    text
}

pub(crate) fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from(reason.to_string()),
    }
}

pub(crate) fn from_close_frame(frame: Option<&CloseFrame>) -> (Option<u16>, String) {
    match frame {
        Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
        None => (None, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes() {
        assert!(is_sendable_close_code(1000));
        assert!(is_sendable_close_code(4000));
        assert!(!is_sendable_close_code(1005));
        assert!(!is_sendable_close_code(1006));
        assert!(!is_sendable_close_code(999));
        assert!(is_normal_close(None));
        assert!(!is_normal_close(Some(1011)));
        assert_eq!(describe_close(Some(4000), "bye"), "4000 (private) \"bye\"");
        assert_eq!(describe_close(None, ""), "no status code");
    }
}
