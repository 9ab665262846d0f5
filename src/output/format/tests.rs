//! The formatters, as snapshots of what they print.

use super::*;
use std::time::{Duration, UNIX_EPOCH};

fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_790_000_000_123)
}

#[test]
fn jsonl_message_events() {
    let text = jsonl(&Event::Message(Payload::text("hé")), at(), None);
    assert_eq!(
        text,
        r#"{"ts":"2026-09-21T14:13:20.123Z","event":"message","type":"text","data":"hé","len":3}"#
    );
    let binary = jsonl(
        &Event::Message(Payload::binary(vec![0, 255])),
        at(),
        Some(2),
    );
    assert_eq!(
        binary,
        r#"{"ts":"2026-09-21T14:13:20.123Z","event":"message","client":2,"type":"binary","data":"AP8=","len":2}"#
    );
}

#[test]
fn jsonl_close_and_open() {
    let close = Event::Close {
        code: None,
        reason: String::new(),
        by: Side::Peer,
    };
    assert_eq!(
        jsonl(&close, at(), None),
        r#"{"ts":"2026-09-21T14:13:20.123Z","event":"close","code":null,"reason":"","by":"peer"}"#
    );
    let open = Event::Open {
        url: "ws://h/".into(),
        subprotocol: None,
        addr: None,
        origin: None,
    };
    assert_eq!(
        jsonl(&open, at(), None),
        r#"{"ts":"2026-09-21T14:13:20.123Z","event":"open","url":"ws://h/","subprotocol":null}"#
    );
}

#[test]
fn close_descriptions_escape_the_reason_once() {
    assert_eq!(describe_close(Some(4000), "bye"), "4000 (private) \"bye\"");
    assert_eq!(describe_close(None, ""), "no status code");
    assert_eq!(
        describe_close(Some(1000), "a\x1b[2Jb"),
        "1000 (normal) \"a\\x1b[2Jb\""
    );
}

#[test]
fn human_lines_escape_peer_data() {
    let line = human(
        &Event::Message(Payload::text("a\nb\x1b[31m")),
        Layout::default(),
    );
    assert_eq!(line.tone, Tone::Received);
    assert_eq!(line.text, "a\n  b\\x1b[31m");
    let close = Event::Close {
        code: Some(4000),
        reason: "bye".into(),
        by: Side::Peer,
    };
    assert_eq!(
        human(&close, Layout::default()).text,
        "closed by peer: 4000 (private) \"bye\""
    );
}

#[test]
fn binary_messages_are_a_hex_dump_under_a_header() {
    let message = Event::Message(Payload::binary(
        b"hello, world\n\x00\x01\x7f\xffbinary".to_vec(),
    ));
    insta::assert_snapshot!(human(&message, Layout::default()).text, @r"
    [binary, 23 bytes]
      00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a 00 01 7f  |hello, world....|
      00000010  ff 62 69 6e 61 72 79                              |.binary|
    ");
    let empty = Event::Message(Payload::binary(Vec::new()));
    assert_eq!(human(&empty, Layout::default()).text, "[binary, 0 bytes]");
}

#[test]
fn pretty_json_indents_objects_and_arrays() {
    let pretty = Layout {
        pretty_json: true,
        color: false,
    };
    let message = Payload::text(
        r#"{"op":"price","items":[{"id":1,"tags":[]},{"id":2e400,"ok":true,"note":null}],"empty":{}, "text":"a, \"b\": [c]"}"#,
    );
    insta::assert_snapshot!(human(&Event::Message(message), pretty).text, @r#"
    {
        "op": "price",
        "items": [
          {
            "id": 1,
            "tags": []
          },
          {
            "id": 2e400,
            "ok": true,
            "note": null
          }
        ],
        "empty": {},
        "text": "a, \"b\": [c]"
      }
    "#);
    // Not an object or array, or not JSON at all: as typed.
    for text in ["42", "\"just a string\"", "{not json", "[1, 2"] {
        let line = human(&Event::Message(Payload::text(text)), pretty);
        assert_eq!(line.text, text);
    }
}

#[test]
fn sent_messages_in_the_transcript_say_so() {
    let line = jsonl_sent(&Payload::text("hi"), at(), None);
    assert_eq!(
        line,
        r#"{"ts":"2026-09-21T14:13:20.123Z","event":"message","type":"text","data":"hi","len":2,"by":"self"}"#
    );
}

#[test]
fn pipe_payloads() {
    let data = Payload::binary(vec![0xde, 0xad]);
    let with = |binary| StdoutFormat {
        binary,
        ..StdoutFormat::default()
    };
    let written = |payload, format| {
        let (bytes, newline) = stdout_bytes(payload, format);
        (bytes.into_owned(), newline)
    };
    assert_eq!(
        written(&data, with(BinaryFormat::Hex)),
        (b"dead".to_vec(), true)
    );
    assert_eq!(
        written(&data, with(BinaryFormat::Base64)),
        (b"3q0=".to_vec(), true)
    );
    // Raw binary is written with nothing added: piping it to a file is byte-exact.
    assert_eq!(
        written(&data, with(BinaryFormat::Raw)),
        (b"\xde\xad".to_vec(), false)
    );
    let text = Payload::text("a\x1b]0;title\x07\nb");
    assert_eq!(
        written(&text, StdoutFormat::default()),
        (b"a\x1b]0;title\x07\nb".to_vec(), true)
    );
    let on_terminal = StdoutFormat {
        terminal: true,
        ..StdoutFormat::default()
    };
    assert_eq!(
        written(&text, on_terminal),
        (b"a\\x1b]0;title\\x07\n  b".to_vec(), true)
    );
    let raw = StdoutFormat {
        raw: true,
        terminal: true,
        ..StdoutFormat::default()
    };
    assert_eq!(
        written(&text, raw),
        (b"a\x1b]0;title\x07\nb".to_vec(), false)
    );
}

#[test]
fn clock_is_utc_time_of_day() {
    assert_eq!(clock(at()), "14:13:20.123");
}
