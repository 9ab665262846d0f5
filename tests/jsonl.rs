//! `--jsonl`: one JSON object per line with the documented fields.

use serde_json::Value;

use crate::support::{Client, Server, run, text};

fn parse_lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

fn assert_timestamp(event: &Value) {
    let ts = event["ts"].as_str().expect("ts is a string");
    // 2026-11-26T10:24:56.123Z
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(
        ts.ends_with('Z') && ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.',
        "{ts}"
    );
}

#[test]
fn connect_events() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "--jsonl"], "hi ✓\n".as_bytes());
    assert!(output.status.success());
    let events = parse_lines(&output.stdout);
    let names: Vec<_> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["open", "message", "close"]);
    events.iter().for_each(assert_timestamp);
    assert_eq!(events[0]["url"], server.url.clone() + "/");
    assert_eq!(events[0]["subprotocol"], Value::Null);
    assert_eq!(events[1]["type"], "text");
    assert_eq!(events[1]["data"], "hi ✓");
    assert_eq!(events[1]["len"], 6);
    assert_eq!(events[2]["code"], 1000);
    assert_eq!(events[2]["reason"], "");
    assert_eq!(events[2]["by"], "self");
}

#[test]
fn binary_messages_are_base64() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "--jsonl", "-b"], b"\x00\xff\n");
    let events = parse_lines(&output.stdout);
    assert_eq!(events[1]["type"], "binary");
    assert_eq!(events[1]["data"], "AP8=");
    assert_eq!(events[1]["len"], 2);
}

#[test]
fn ping_and_pong_with_show_ping_pong() {
    let server = Server::start(&["--echo"]);
    let mut client = Client::start(&[&server.url, "--jsonl", "-P", "--ping-interval", "0.2"]);
    let pong = client.stdout.wait_for("\"pong\"");
    let pong: Value = serde_json::from_str(&pong).unwrap();
    assert_eq!(pong["data"], "d3N4"); // "wsx"
}

#[test]
fn serve_events_carry_the_client_id() {
    let mut server = Server::start(&["--echo", "--jsonl"]);
    let mut stdout = server.stdout_lines();
    let output = run(&["connect", &server.url], b"one\n");
    assert!(output.status.success());
    let events: Vec<Value> = stdout
        .take(3)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<_> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["open", "message", "close"]);
    for event in &events {
        assert_eq!(event["client"], 1);
        assert_timestamp(event);
    }
    assert!(
        events[0]["addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(events[1]["data"], "one");
    assert_eq!(events[2]["by"], "peer");
    assert_eq!(events[2]["code"], 1000);
}

#[test]
fn a_failed_connect_is_an_error_event() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run(
        &["connect", &format!("ws://127.0.0.1:{port}/"), "--jsonl"],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let events = parse_lines(&output.stdout);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "error");
    assert!(events[0]["message"].as_str().unwrap().contains("refused"));
}

#[test]
fn a_drop_without_close_is_reported_as_1006() {
    let addr = crate::support::peers::spawn_ws_server(|mut ws| {
        let _ = ws.read();
    });
    let output = run(
        &["connect", &format!("ws://{addr}/"), "--jsonl", "-w", "30"],
        b"hi\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let events = parse_lines(&output.stdout);
    let close = events
        .iter()
        .find(|e| e["event"] == "close")
        .expect("a close event");
    assert_eq!(close["code"], 1006);
    assert_eq!(close["by"], "peer");
    assert!(events.iter().any(|e| e["event"] == "error"), "{events:?}");
}
