//! wsx's own message, close and event types: what `connect`, `serve` and the printer see
//! instead of tungstenite's.

use std::time::Duration;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
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

    /// The frames a payload larger than [`FRAGMENT_SIZE`] goes out as: fragments of that
    /// size, sharing the payload's bytes (RFC 6455 §5.4).
    pub(crate) fn into_fragments(self) -> Vec<Message> {
        let (opcode, bytes) = match self {
            Payload::Text(text) => (Data::Text, Bytes::from(text)),
            Payload::Binary(data) => (Data::Binary, data),
        };
        let count = bytes.len().div_ceil(FRAGMENT_SIZE);
        (0..count)
            .map(|index| {
                let start = index * FRAGMENT_SIZE;
                let end = (start + FRAGMENT_SIZE).min(bytes.len());
                let opcode = if index == 0 { opcode } else { Data::Continue };
                let frame = Frame::message(
                    bytes.slice(start..end),
                    OpCode::Data(opcode),
                    end == bytes.len(),
                );
                Message::Frame(frame)
            })
            .collect()
    }
}

/// Sent messages larger than this go out in fragments: receivers commonly limit frames to
/// 16 MiB (tungstenite's default, and wsx's own `--max-frame-size`), rather than messages.
pub const FRAGMENT_SIZE: usize = super::DEFAULT_MAX_FRAME_SIZE;

/// "1 byte", "20 bytes".
pub fn byte_count(count: usize) -> String {
    if count == 1 {
        "1 byte".to_string()
    } else {
        format!("{count} bytes")
    }
}

/// Which side started the close handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Peer,
    Local,
}

/// Something that happened on a connection, in the order it happened.
#[derive(Debug, Clone)]
pub enum Event {
    Open {
        url: String,
        subprotocol: Option<String>,
        /// In `serve`: the client's address (`unix` on a Unix socket).
        addr: Option<String>,
        /// In `serve`: the `Origin` the client sent (browsers always do).
        origin: Option<String>,
    },
    Message(Payload),
    Ping(Bytes),
    Pong(Bytes),
    /// The pong that answered a ping wsx was asked to send (`/ping`), with the round trip.
    PingAnswered {
        data: Bytes,
        rtt: Duration,
    },
    /// The close handshake finished (or was cut short); `code` is None for 1005 (no status).
    Close {
        code: Option<u16>,
        reason: String,
        by: Side,
    },
    /// A ping went unanswered for a whole interval.
    MissedPong(Duration),
    /// wsx sent a Close and the peer did not answer it within this long.
    CloseUnanswered(Duration),
    /// The peer broke the protocol or a limit; wsx closes with the violation's code.
    Violation(Violation),
    Error(String),
}

/// Which limit, set with the handshake, an incoming frame or message went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Message,
    Frame,
}

/// Why wsx failed a connection (RFC 6455 §7.1.7), in the protocol's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("a {} of {} is over the {max}-byte limit", .what.noun(), byte_count(*.size))]
    TooLarge {
        what: Limit,
        size: usize,
        max: usize,
    },
    #[error("invalid UTF-8 in a text message")]
    InvalidUtf8,
    /// Any other breach of RFC 6455 (an unmasked client frame, a bad opcode, …).
    #[error("{0}")]
    Protocol(String),
}

impl Limit {
    fn noun(self) -> &'static str {
        match self {
            Limit::Message => "message",
            Limit::Frame => "frame",
        }
    }
}

impl Violation {
    /// The close code that reports it (RFC 6455 §7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            Violation::TooLarge { .. } => 1009,
            Violation::InvalidUtf8 => 1007,
            Violation::Protocol(_) => 1002,
        }
    }
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

/// How a Close without a status code is reported (RFC 6455 §7.1.5). Never sent as a code:
/// a `Command::Close` with it sends a Close with no body, as a relay passing one on must.
pub const NO_STATUS: u16 = 1005;

/// The Close frame's body for a code wsx sends: none for [`NO_STATUS`].
pub(crate) fn close_frame(code: u16, reason: &str) -> Option<CloseFrame> {
    (code != NO_STATUS).then(|| CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from(reason.to_string()),
    })
}

/// A code wsx sent, as events report it: [`NO_STATUS`] is no code at all.
pub(crate) fn sent_code(code: u16) -> Option<u16> {
    (code != NO_STATUS).then_some(code)
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
    fn a_large_payload_goes_out_in_fragments_of_the_frame_size() {
        let payload = Payload::text("é".repeat(FRAGMENT_SIZE));
        let frames: Vec<Frame> = payload
            .clone()
            .into_fragments()
            .into_iter()
            .map(|message| match message {
                Message::Frame(frame) => frame,
                other => panic!("expected a frame, got {other:?}"),
            })
            .collect();
        // 2 bytes per é: two full fragments.
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].header().opcode, OpCode::Data(Data::Text));
        assert!(!frames[0].header().is_final);
        assert_eq!(frames[1].header().opcode, OpCode::Data(Data::Continue));
        assert!(frames[1].header().is_final);
        let joined: Vec<u8> = frames
            .iter()
            .flat_map(|frame| frame.payload().to_vec())
            .collect();
        assert_eq!(joined, payload.as_bytes());
        assert_eq!(byte_count(1), "1 byte");
        assert_eq!(byte_count(20), "20 bytes");
    }

    #[test]
    fn close_codes() {
        assert!(is_sendable_close_code(1000));
        assert!(is_sendable_close_code(4000));
        assert!(!is_sendable_close_code(1005));
        assert!(!is_sendable_close_code(1006));
        assert!(!is_sendable_close_code(999));
        assert!(is_normal_close(None));
        assert!(!is_normal_close(Some(1011)));
    }
}
