//! Pure formatters: from an event to the text a person or a program reads.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::payload::{hex_dump, pretty_json};
use super::sanitize::{escape_for_terminal, escape_line};
use crate::protocol::message::close_code_name;
use crate::protocol::{Event, Payload, Side};

/// What kind of line this is, so the printer can color it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Received,
    Sent,
    Info,
    Error,
}

/// A line for people: a marker (`<`, `>`, `*`, `!`) and escaped text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanLine {
    pub tone: Tone,
    pub text: String,
}

impl HumanLine {
    pub fn marker(&self) -> &'static str {
        match self.tone {
            Tone::Received => "<",
            Tone::Sent => ">",
            Tone::Info => "*",
            Tone::Error => "!",
        }
    }
}

/// How message payloads are laid out for people; fixed for the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// `--pretty`: indent JSON objects and arrays.
    pub pretty_json: bool,
    /// Color the keys and strings of indented JSON.
    pub color: bool,
}

/// The human form of an event. Peer data is escaped; continuation lines of a multi-line
/// message are indented so that no peer line can pass for one of wsx's own.
pub fn human(event: &Event, layout: Layout) -> HumanLine {
    let (tone, text) = match event {
        Event::Open {
            url,
            subprotocol,
            addr,
            origin,
        } => {
            let mut text = match addr {
                Some(addr) => format!("connected from {addr} to {url}"),
                None => format!("connected to {url}"),
            };
            if let Some(protocol) = subprotocol {
                text.push_str(&format!(" (subprotocol: {})", escape_line(protocol)));
            }
            if let Some(origin) = origin {
                text.push_str(&format!(" (origin: {})", escape_line(origin)));
            }
            (Tone::Info, text)
        }
        Event::Message(payload) => (Tone::Received, payload_for_people(payload, layout)),
        Event::Ping(data) => (Tone::Info, format!("ping{}", control_data(data))),
        Event::Pong(data) => (Tone::Info, format!("pong{}", control_data(data))),
        Event::PingAnswered { data, rtt } => (
            Tone::Info,
            format!(
                "pong{} in {:.1} ms",
                control_data(data),
                rtt.as_secs_f64() * 1000.0
            ),
        ),
        Event::Close { code, reason, by } => {
            let what = describe_close(*code, reason);
            match by {
                Side::Peer => (Tone::Info, format!("closed by peer: {what}")),
                Side::Local => (Tone::Info, format!("closed: {what}")),
            }
        }
        Event::MissedPong(every) => (
            Tone::Error,
            format!("no pong within {}s", every.as_secs_f64()),
        ),
        Event::CloseUnanswered(wait) => (Tone::Error, close_unanswered(*wait)),
        Event::Violation(violation) => (
            Tone::Error,
            escape_line(&crate::error::describe_violation(violation)),
        ),
        Event::Error(message) => (Tone::Error, escape_line(message)),
    };
    HumanLine { tone, text }
}

/// A sent message, as the REPL echoes what wsx sent on the user's behalf.
pub fn sent(payload: &Payload, layout: Layout) -> HumanLine {
    HumanLine {
        tone: Tone::Sent,
        text: payload_for_people(payload, layout),
    }
}

fn payload_for_people(payload: &Payload, layout: Layout) -> String {
    let text = match payload {
        Payload::Text(text) => layout
            .pretty_json
            .then(|| pretty_json(text, layout.color))
            .flatten()
            .unwrap_or_else(|| escape_for_terminal(text)),
        Payload::Binary(data) if data.is_empty() => "[binary, 0 bytes]".to_string(),
        Payload::Binary(data) if data.len() == 1 => format!("[binary, 1 byte]\n{}", hex_dump(data)),
        Payload::Binary(data) => format!("[binary, {} bytes]\n{}", data.len(), hex_dump(data)),
    };
    text.replace('\n', "\n  ")
}

fn spaced_hex(data: &[u8]) -> String {
    data.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn control_data(data: &[u8]) -> String {
    if data.is_empty() {
        return String::new();
    }
    match std::str::from_utf8(data) {
        Ok(text) => format!(" {}", escape_line(text)),
        Err(_) => format!(" [{}]", spaced_hex(data)),
    }
}

/// "1000 (normal)" or "4000 (private) \"bye\"".
pub fn describe_close(code: Option<u16>, reason: &str) -> String {
    let mut text = match code {
        Some(code) => format!("{code} ({})", close_code_name(code)),
        None => "no status code".to_string(),
    };
    if !reason.is_empty() {
        // Escaped once, here: the reason is the peer's text.
        text.push_str(&format!(" \"{}\"", escape_line(reason)));
    }
    text
}

/// How pipe mode writes received binary messages (`--binary-output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryFormat {
    /// The bytes as they came, nothing added.
    #[default]
    Raw,
    /// One line of hex.
    Hex,
    /// One line of base64.
    Base64,
}

/// How pipe mode writes a received message on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StdoutFormat {
    pub binary: BinaryFormat,
    /// `--raw`: every payload as bytes, nothing added (byte-exact files).
    pub raw: bool,
    /// stdout is a terminal: text is escaped as in the REPL, so a peer cannot drive it.
    pub terminal: bool,
}

/// What pipe mode writes on stdout for a received message, and whether a `\n` follows.
pub fn stdout_bytes(payload: &Payload, format: StdoutFormat) -> (Cow<'_, [u8]>, bool) {
    if format.raw {
        return (Cow::Borrowed(payload.as_bytes()), false);
    }
    match (payload, format.binary) {
        (Payload::Binary(data), BinaryFormat::Hex) => {
            (Cow::Owned(hex::encode(data).into_bytes()), true)
        }
        (Payload::Binary(data), BinaryFormat::Base64) => {
            (Cow::Owned(base64_encode(data).into_bytes()), true)
        }
        _ if format.terminal => {
            let shown = payload_for_people(payload, Layout::default());
            (Cow::Owned(shown.into_bytes()), true)
        }
        (Payload::Binary(data), BinaryFormat::Raw) => (Cow::Borrowed(&data[..]), false),
        (Payload::Text(text), _) => (Cow::Borrowed(text.as_bytes()), true),
    }
}

fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Every line of `text` behind `prefix` (`> ` for a request head under `-v`).
pub fn prefix_lines(prefix: &str, text: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}\n"))
        .collect()
}

/// RFC 3339, UTC, milliseconds: `2026-11-26T10:24:56.123Z`.
pub fn rfc3339(ts: SystemTime) -> String {
    humantime::format_rfc3339_millis(ts).to_string()
}

/// The `-t` prefix: `10:24:56.123` (UTC).
pub fn clock(ts: SystemTime) -> String {
    let full = rfc3339(ts);
    full.get(11..23).unwrap_or(&full).to_string()
}

/// One `--jsonl` line (without its newline). Field names are a documented contract.
pub fn jsonl(event: &Event, ts: SystemTime, client: Option<u64>) -> String {
    Value::Object(jsonl_object(event, ts, client)).to_string()
}

/// One `--jsonl` line of a `serve` client, with its `"channel"` when it has one.
pub fn jsonl_in(
    event: &Event,
    ts: SystemTime,
    client: Option<u64>,
    channel: Option<&str>,
) -> String {
    let mut object = jsonl_object(event, ts, client);
    if let Some(channel) = channel {
        object.insert("channel".into(), json!(channel));
    }
    Value::Object(object).to_string()
}

/// One `--jsonl` line of `proxy`: the event, with `"from": "client"` or `"upstream"`, and
/// `"dropped": true` for a message `--drop` did not pass on.
pub fn jsonl_from(event: &Event, ts: SystemTime, client: u64, from: &str, dropped: bool) -> String {
    let mut object = jsonl_object(event, ts, Some(client));
    object.insert("from".into(), json!(from));
    if dropped {
        object.insert("dropped".into(), json!(true));
    }
    Value::Object(object).to_string()
}

/// A message wsx sent, as a line of the `/save` transcript: the `message` line of a received
/// one, marked `"by":"self"` as a Close that wsx sent is.
pub fn jsonl_sent(payload: &Payload, ts: SystemTime, client: Option<u64>) -> String {
    let mut object = jsonl_object(&Event::Message(payload.clone()), ts, client);
    object.insert("by".into(), json!(side_name(Side::Local)));
    Value::Object(object).to_string()
}

fn jsonl_object(event: &Event, ts: SystemTime, client: Option<u64>) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("ts".into(), Value::String(rfc3339(ts)));
    let name = match event {
        Event::Open { .. } => "open",
        Event::Message(_) => "message",
        Event::Ping(_) => "ping",
        Event::Pong(_) | Event::PingAnswered { .. } => "pong",
        Event::Close { .. } => "close",
        Event::MissedPong(_)
        | Event::CloseUnanswered(_)
        | Event::Violation(_)
        | Event::Error(_) => "error",
    };
    object.insert("event".into(), Value::String(name.into()));
    if let Some(client) = client {
        object.insert("client".into(), json!(client));
    }
    match event {
        Event::Open {
            url,
            subprotocol,
            addr,
            origin,
        } => {
            object.insert("url".into(), json!(url));
            object.insert("subprotocol".into(), json!(subprotocol));
            if let Some(addr) = addr {
                object.insert("addr".into(), json!(addr));
            }
            if let Some(origin) = origin {
                object.insert("origin".into(), json!(origin));
            }
        }
        Event::Message(payload) => {
            let (kind, data) = match payload {
                Payload::Text(text) => ("text", text.to_string()),
                Payload::Binary(data) => ("binary", base64_encode(data)),
            };
            object.insert("type".into(), json!(kind));
            object.insert("data".into(), json!(data));
            object.insert("len".into(), json!(payload.len()));
        }
        Event::Ping(data) | Event::Pong(data) => {
            object.insert("data".into(), json!(base64_encode(data)));
        }
        Event::PingAnswered { data, rtt } => {
            object.insert("data".into(), json!(base64_encode(data)));
            object.insert("rtt_ms".into(), json!(rtt.as_secs_f64() * 1000.0));
        }
        Event::Close { code, reason, by } => {
            object.insert("code".into(), json!(code));
            object.insert("reason".into(), json!(reason));
            object.insert("by".into(), json!(side_name(*by)));
        }
        Event::MissedPong(every) => {
            object.insert(
                "message".into(),
                json!(format!("no pong within {}s", every.as_secs_f64())),
            );
        }
        Event::CloseUnanswered(wait) => {
            object.insert("message".into(), json!(close_unanswered(*wait)));
        }
        Event::Violation(violation) => {
            let message = crate::error::describe_violation(violation);
            object.insert("message".into(), json!(message));
        }
        Event::Error(message) => {
            object.insert("message".into(), json!(message));
        }
    }
    object
}

fn close_unanswered(wait: Duration) -> String {
    format!("no answer to the Close within {}s", wait.as_secs_f64())
}

/// The `"by"` field of a JSONL close event.
fn side_name(side: Side) -> &'static str {
    match side {
        Side::Peer => "peer",
        Side::Local => "self",
    }
}

#[cfg(test)]
mod tests;
