//! Interop with third-party peers: `wsx connect` against Node `ws` and Python `websockets`
//! echo servers, and their clients against `wsx serve`. Setup: `npm ci --prefix tests/peers`
//! and `python3 -m pip install -r tests/peers/requirements.txt`; a missing peer fails the test.

use serde_json::Value;

use crate::support::third_party::{Peer, PeerClient, PeerServer, run_client};
use crate::support::{Client, DEADLINE, Server, run, text, wait_status};

fn jsonl(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

// ---- wsx connect against the Node `ws` echo server ----

#[test]
fn node_server_echoes_1000_lines_in_order() {
    let server = PeerServer::echo(Peer::Node);
    let input: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
    let output = run(&["connect", &server.url], input.as_bytes());
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), input);
}

#[test]
fn node_server_echoes_a_one_mib_line() {
    let server = PeerServer::echo(Peer::Node);
    let line = "x".repeat(1 << 20);
    let output = run(&["connect", &server.url], format!("{line}\n").as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout) == format!("{line}\n"),
        "1 MiB echo differs"
    );
}

#[test]
fn node_server_echoes_binary_as_binary() {
    let server = PeerServer::echo(Peer::Node);
    let output = run(&["connect", &server.url, "-b"], b"raw one\nraw two\n");
    assert!(output.status.success(), "{output:?}");
    // Binary messages are written as they came, with nothing added after them.
    assert_eq!(text(&output.stdout), "raw oneraw two");

    let output = run(
        &["connect", &server.url, "-b", "--jsonl", "-x", "first"],
        b"second\n",
    );
    assert!(output.status.success(), "{output:?}");
    let messages: Vec<Value> = jsonl(&output.stdout)
        .into_iter()
        .filter(|event| event["event"] == "message")
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    // -b applies to -x messages too.
    assert_eq!(messages[0]["type"], "binary");
    assert_eq!(messages[0]["data"], "Zmlyc3Q="); // "first"
    assert_eq!(messages[1]["type"], "binary");
    assert_eq!(messages[1]["data"], "c2Vjb25k"); // "second"
}

#[test]
fn node_server_execute_and_count() {
    let mut server = PeerServer::echo(Peer::Node);
    // stdin stays open: only -n ends the session.
    let mut client = Client::start(&[&server.url, "-x", "hello", "-x", "world", "-n", "2"]);
    let status = wait_status(&mut client.child, DEADLINE).expect("-n 2 did not end wsx");
    assert!(
        status.success(),
        "{status:?}; stderr: {:?}",
        client.stderr.seen
    );
    assert_eq!(client.stdout.take(2), vec!["hello", "world"]);
    // wsx closed the session itself, with 1000.
    let close = server.event("close");
    assert_eq!(close["code"], 1000, "{close}");
}

#[test]
fn node_server_picks_the_first_offered_subprotocol() {
    let mut server = PeerServer::echo(Peer::Node);
    let output = run(
        &[
            "connect",
            &server.url,
            "--jsonl",
            "-s",
            "chat.v2",
            "-s",
            "chat.v1",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let events = jsonl(&output.stdout);
    assert_eq!(events[0]["event"], "open", "{events:?}");
    assert_eq!(events[0]["subprotocol"], "chat.v2", "{events:?}");
    let connection = server.event("connection");
    assert_eq!(
        connection["headers"]["sec-websocket-protocol"], "chat.v2, chat.v1",
        "{connection}"
    );
    assert_eq!(connection["subprotocol"], "chat.v2");
}

#[test]
fn node_server_receives_headers() {
    let mut server = PeerServer::echo(Peer::Node);
    let url = format!("{}/feed?x=1", server.url);
    let output = run(
        &[
            "connect",
            &url,
            "-H",
            "X-Trace: 42",
            "-H",
            "Authorization: Bearer t0ken",
            "-o",
            "https://me.test",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let connection = server.event("connection");
    assert_eq!(connection["path"], "/feed?x=1", "{connection}");
    let headers = &connection["headers"];
    assert_eq!(headers["x-trace"], "42", "{connection}");
    assert_eq!(headers["authorization"], "Bearer t0ken", "{connection}");
    assert_eq!(headers["origin"], "https://me.test", "{connection}");
    assert_eq!(headers["sec-websocket-version"], "13", "{connection}");
}

#[test]
fn node_server_closing_with_4001_exits_one() {
    let server = PeerServer::echo(Peer::Node);
    let output = run(
        &["connect", &server.url, "-w", "30"],
        b"before\nclose-with 4001 bye\n",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // The echo that came before the Close is delivered.
    assert_eq!(text(&output.stdout), "before\n");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("4001"), "{stderr}");
    assert!(stderr.contains("bye"), "{stderr}");
}

#[test]
fn node_server_closing_with_1000_exits_zero() {
    let server = PeerServer::echo(Peer::Node);
    let output = run(
        &["connect", &server.url, "-w", "30"],
        b"close-with 1000 done\n",
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(text(&output.stdout), "");
}

/// `wsx --ping-interval` against a third-party server: its pongs come back as events.
fn server_answers_wsx_pings(peer: Peer) {
    let server = PeerServer::echo(peer);
    let output = run(
        &[
            "connect",
            &server.url,
            "--ping-interval",
            "0.2",
            "-P",
            "--jsonl",
            "-w",
            "0.6",
        ],
        b"hi\n",
    );
    assert!(output.status.success(), "{peer:?}: {output:?}");
    let events = jsonl(&output.stdout);
    assert!(
        events.iter().any(|event| event["event"] == "pong"),
        "{peer:?}: {events:#?}"
    );
}

#[test]
fn node_server_answers_wsx_pings() {
    server_answers_wsx_pings(Peer::Node);
}

#[test]
fn python_server_answers_wsx_pings() {
    server_answers_wsx_pings(Peer::Python);
}

// ---- wsx connect against the Python `websockets` echo server ----
// websockets answers a Close at once and drops echoes queued behind it (NOTES.md), so these
// tests keep the connection open with -w until -n has counted every echo.

#[test]
fn python_server_echoes_lines_with_count() {
    let server = PeerServer::echo(Peer::Python);
    let input: String = (1..=50).map(|i| format!("line {i}\n")).collect();
    let output = run(
        &["connect", &server.url, "-n", "50", "-w", "30"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), input);
}

#[test]
fn python_server_echoes_binary_as_binary() {
    let server = PeerServer::echo(Peer::Python);
    let output = run(
        &[
            "connect",
            &server.url,
            "-b",
            "--jsonl",
            "-n",
            "2",
            "-w",
            "30",
        ],
        b"one\n\n",
    );
    assert!(output.status.success(), "{output:?}");
    let messages: Vec<Value> = jsonl(&output.stdout)
        .into_iter()
        .filter(|event| event["event"] == "message")
        .collect();
    assert_eq!(messages[0]["type"], "binary", "{messages:?}");
    assert_eq!(messages[0]["data"], "b25l"); // "one"
    // An empty line is an empty message.
    assert_eq!(messages[1]["type"], "binary", "{messages:?}");
    assert_eq!(messages[1]["len"], 0);
}

#[test]
fn python_server_closing_with_4001_exits_one() {
    let server = PeerServer::echo(Peer::Python);
    let output = run(
        &["connect", &server.url, "-w", "30"],
        b"close-with 4001 bye\n",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("4001"), "{stderr}");
    assert!(stderr.contains("bye"), "{stderr}");
}

// ---- third-party clients against wsx serve ----

/// Text, binary, a fragmented message, a ping, and 1 MiB messages through `wsx serve --echo`.
fn client_against_serve_echo(peer: Peer) {
    let mut server = Server::start(&["--echo", "-P"]);
    let lines = run_client(
        peer,
        &[
            &server.url,
            "6",
            "hello",
            "bin:00ff10",
            "frag:ab|cd|ef",
            "ping:are you there",
            "big:1048576",
            "bigbin:1048576",
            "",
        ],
    );
    assert_eq!(
        lines,
        vec![
            "open -",
            "text hello",
            "binary 00ff10",
            "text abcdef",
            "pong are you there",
            "text 1048576 bytes, same as sent",
            "binary 1048576 bytes, same as sent",
            "text ",
            "close 1000 done",
        ]
    );
    server.stderr.wait_for("[1] ping");
    server.stderr.wait_for("[1] closed by peer: 1000");
}

#[test]
fn node_client_against_serve_echo() {
    client_against_serve_echo(Peer::Node);
}

#[test]
fn python_client_against_serve_echo() {
    client_against_serve_echo(Peer::Python);
}

/// A client that closes right after its last message still gets every echo first.
fn every_echo_before_the_close(peer: Peer) {
    let server = Server::start(&["--echo"]);
    let messages: Vec<String> = (1..=500).map(|i| format!("m{i}")).collect();
    let mut args = vec![server.url.as_str(), "0"];
    args.extend(messages.iter().map(String::as_str));
    let lines = run_client(peer, &args);
    let mut expected = vec!["open -".to_string()];
    expected.extend(messages.iter().map(|m| format!("text {m}")));
    expected.push("close 1000 done".to_string());
    assert_eq!(lines, expected, "{peer:?}");
}

#[test]
fn node_client_gets_every_echo_before_the_close() {
    every_echo_before_the_close(Peer::Node);
}

#[test]
fn python_client_gets_every_echo_before_the_close() {
    every_echo_before_the_close(Peer::Python);
}

#[test]
fn node_client_fragments_are_reassembled_by_serve_echo() {
    let mut server = Server::start(&["--echo", "--jsonl"]);
    let mut log = server.stdout_lines();
    let fragments: Vec<String> = (0..100).map(|i| format!("<{i}>")).collect();
    let whole = fragments.concat();
    let lines = run_client(
        Peer::Node,
        &[&server.url, "1", &format!("frag:{}", fragments.join("|"))],
    );
    assert_eq!(lines[1], format!("text {whole}"), "{lines:?}");
    // One message event for the whole, not one per fragment.
    let close: Value = serde_json::from_str(&log.wait_for("\"close\"")).unwrap();
    assert_eq!(close["code"], 1000);
    let messages: Vec<Value> = log
        .seen
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["event"] == "message")
        .collect();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0]["type"], "text");
    assert_eq!(messages[0]["data"], whole.as_str());
}

#[test]
fn third_party_clients_get_the_subprotocol_serve_picks() {
    let server = Server::start(&["--echo", "-s", "v2", "-s", "v1"]);
    for peer in [Peer::Node, Peer::Python] {
        let lines = run_client(
            peer,
            &["--protocol", "v1", "--protocol", "v2", &server.url, "0"],
        );
        assert_eq!(lines, vec!["open v2", "close 1000 done"], "{peer:?}");
    }
}

#[test]
fn third_party_clients_through_serve_broadcast() {
    let mut server = Server::start(&["--broadcast"]);
    let mut node = PeerClient::start(Peer::Node, &[&server.url, "1"]);
    assert_eq!(node.opened(), "-");
    server.stderr.wait_for("[1] connected");
    let mut python = PeerClient::start(Peer::Python, &[&server.url, "1"]);
    assert_eq!(python.opened(), "-");
    server.stderr.wait_for("[2] connected");

    node.send_line("from node");
    python.stdout.wait_for("text from node");
    python.send_line("from python");
    node.stdout.wait_for("text from python");

    // Neither got its own message back.
    assert_eq!(
        node.finish(),
        vec!["open -", "text from python", "close 1000 done"]
    );
    assert_eq!(
        python.finish(),
        vec!["open -", "text from node", "close 1000 done"]
    );
    server.stderr.wait_for("closed by peer: 1000");
}
