//! `wsx serve` modes with `wsx connect` clients: console, echo, broadcast, and the
//! handshake policies.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Client, Server, peers, run, text};

#[test]
fn broadcast_reaches_the_others_not_the_sender() {
    broadcast_among_three(&["--broadcast"]);
}

#[test]
fn broadcast_reaches_clients_on_other_threads() {
    // Connections go round-robin over the threads: each of the three runs on its own.
    broadcast_among_three(&["--broadcast", "--threads", "3"]);
}

fn broadcast_among_three(flags: &[&str]) {
    let mut server = Server::start(flags);
    let mut clients: Vec<Client> = (1..=3)
        .map(|i| {
            let client = Client::start(&[&server.url]);
            server.stderr.wait_for(&format!("[{i}] connected"));
            client
        })
        .collect();
    clients[0].send_line("from one");
    assert_eq!(clients[1].stdout.take(1), vec!["from one"]);
    assert_eq!(clients[2].stdout.take(1), vec!["from one"]);
    clients[1].send_line("from two");
    // Had the sender got its own message back, it would come first.
    assert_eq!(clients[0].stdout.take(1), vec!["from two"]);
    assert_eq!(clients[2].stdout.take(1), vec!["from two"]);
    for client in &mut clients {
        assert!(client.finish().success());
    }
}

#[test]
fn console_in_pipe_mode() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut stdout = server.stdout_lines();
    let mut client = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    writeln!(console, "hello client").unwrap();
    assert_eq!(client.stdout.take(1), vec!["hello client"]);
    client.send_line("hello server");
    assert_eq!(stdout.take(1), vec!["hello server"]);
    assert!(client.finish().success());
    server.stderr.wait_for("[1] closed by peer: 1000");
}

#[test]
fn console_lines_go_to_every_client() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut first = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    let mut second = Client::start(&[&server.url]);
    server.stderr.wait_for("[2] connected");
    writeln!(console, "to all").unwrap();
    assert_eq!(first.stdout.take(1), vec!["to all"]);
    assert_eq!(second.stdout.take(1), vec!["to all"]);
}

#[test]
fn the_console_and_a_stop_reach_clients_on_every_thread() {
    let mut server = Server::start_with_stdin(&["--threads", "2"], Stdio::piped());
    let mut console = server.stdin();
    let mut stdout = server.stdout_lines();
    let mut clients: Vec<Client> = (1..=3)
        .map(|i| {
            let client = Client::start(&[&server.url, "--jsonl"]);
            server.stderr.wait_for(&format!("[{i}] connected"));
            client
        })
        .collect();
    writeln!(console, "to all").unwrap();
    for (i, client) in clients.iter_mut().enumerate() {
        assert!(client.stdout.wait_for("\"message\"").contains("to all"));
        client.send_line(&format!("from {i}"));
    }
    let mut received = stdout.take(3);
    received.sort();
    assert_eq!(received, ["from 0", "from 1", "from 2"]);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    for client in &mut clients {
        let close = client.stdout.wait_for("\"close\"");
        assert!(close.contains("\"code\":1001"), "{close}");
        assert!(client.finish().success());
    }
    let status = crate::support::wait_status(&mut server.child, crate::support::DEADLINE);
    assert!(status.expect("server exits").success());
}

/// More lines than a client's queue holds (1,024), all at once.
fn burst() -> (String, Vec<String>) {
    let lines: Vec<String> = (1..=5000).map(|i| format!("line {i}")).collect();
    (lines.join("\n") + "\n", lines)
}

#[test]
fn a_console_burst_reaches_a_reading_client_whole() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut client = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    let (input, lines) = burst();
    let writer = std::thread::spawn(move || console.write_all(input.as_bytes()));
    assert!(
        client.stdout.take(lines.len()) == lines,
        "lines lost or out of order"
    );
    writer.join().unwrap().unwrap();
    assert!(client.finish().success());
}

#[test]
fn a_broadcast_burst_reaches_a_reading_client_whole() {
    let mut server = Server::start(&["--broadcast"]);
    let mut reader = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    let (input, lines) = burst();
    let output = run(&["connect", &server.url], input.as_bytes());
    assert!(output.status.success(), "{output:?}");
    assert!(
        reader.stdout.take(lines.len()) == lines,
        "lines lost or out of order"
    );
    assert!(reader.finish().success());
}

#[test]
fn verbose_prints_each_clients_handshake_with_credentials_masked() {
    let mut server = Server::start(&["--echo", "-v"]);
    let output = run(
        &[
            "connect",
            &server.url,
            "-H",
            "X-Test: yes",
            "--auth",
            "user:secret",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    server.stderr.wait_for("> x-test: yes");
    let authorization = server.stderr.wait_for("> authorization: ");
    assert!(authorization.ends_with("Basic ********"), "{authorization}");
    server.stderr.wait_for("< HTTP/1.1 101 Switching Protocols");
}

#[test]
fn a_handshake_without_host_gets_400() {
    let mut server = Server::start(&["--echo"]);
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("no Host header"), "{response}");
    server
        .stderr
        .wait_for("refused with 400: the request has no Host header");
}

#[test]
fn a_closed_stdout_stops_the_server_cleanly() {
    // As `wsx serve | head -1` does: the reader takes one line and goes.
    let mut server = Server::start(&[]);
    let mut stdout = std::io::BufReader::new(server.child.stdout.take().unwrap());
    let mut client = Client::start(&[&server.url, "--jsonl"]);
    server.stderr.wait_for("[1] connected");
    client.send_line("first");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "first\n");
    drop(stdout);
    client.send_line("second");
    // The clients get a proper Close, not a vanished server.
    let close = client.stdout.wait_for("\"close\"");
    assert!(close.contains("\"code\":1001"), "{close}");
    assert!(client.finish().success());
    let status = crate::support::wait_status(&mut server.child, crate::support::DEADLINE);
    assert!(status.expect("server exits").success());
}

#[test]
fn relays_print_no_payloads() {
    let mut server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url], b"not for the relay's stdout\n");
    assert!(output.status.success());
    server.stderr.wait_for("[1] closed by peer");
    assert_eq!(server.stop_and_read_stdout(), "");
}

#[test]
fn execute_greets_each_client() {
    let server = Server::start(&["--echo", "-x", "welcome"]);
    let output = run(&["connect", &server.url, "-n", "2"], b"ping\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "welcome\nping\n");
}

#[test]
fn count_stops_the_server() {
    let mut server = Server::start(&["--echo", "-n", "2"]);
    let output = run(&["connect", &server.url, "-w", "30"], b"a\nb\n");
    assert!(output.status.success(), "{output:?}");
    let status = crate::support::wait_status(&mut server.child, crate::support::DEADLINE);
    assert!(status.expect("server exits after -n").success());
}

#[test]
fn subprotocol_first_match_in_server_order() {
    let mut server = Server::start(&["--echo", "--jsonl", "-s", "v2", "-s", "v1"]);
    let mut stdout = server.stdout_lines();
    let output = run(
        &["connect", &server.url, "--jsonl", "-s", "v1", "-s", "v2"],
        b"",
    );
    assert!(output.status.success());
    let open: Value = serde_json::from_str(text(&output.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(open["subprotocol"], "v2");
    let served: Value = serde_json::from_str(&stdout.wait_for("\"open\"")).unwrap();
    assert_eq!(served["subprotocol"], "v2");
}

#[test]
fn no_common_subprotocol_is_accepted_without_one() {
    let server = Server::start(&["--echo", "-s", "chat"]);
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: other\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 512];
    let read = std::io::Read::read(&mut stream, &mut head).unwrap();
    let head = text(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    assert!(
        !head.to_lowercase().contains("sec-websocket-protocol"),
        "{head}"
    );
    // wsx connect, like Node ws and tungstenite, refuses a server that chose none.
    let output = run(&["connect", &server.url, "-s", "other"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("accepted none of the offered subprotocols (other)"));
}

#[test]
fn max_connections_answers_503() {
    let mut server = Server::start(&["--echo", "--max-connections", "1"]);
    let mut first = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    let output = run(&["connect", &server.url], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("503"), "{output:?}");
    assert!(first.finish().success());
    // The slot is free again once the first client has gone.
    server.stderr.wait_for("[1] closed");
    let output = run(&["connect", &server.url], b"again\n");
    assert_eq!(text(&output.stdout), "again\n");
}

#[test]
fn origin_allow_list() {
    let server = Server::start(&["--echo", "--origin", "https://good.test"]);
    let output = run(&["connect", &server.url, "-o", "https://evil.test"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("403"), "{output:?}");
    let output = run(
        &["connect", &server.url, "-o", "https://good.test"],
        b"ok\n",
    );
    assert_eq!(text(&output.stdout), "ok\n");
    // No Origin at all: a non-browser client, allowed.
    let output = run(&["connect", &server.url], b"ok\n");
    assert_eq!(text(&output.stdout), "ok\n");
}

#[test]
#[allow(clippy::result_large_err)] // tungstenite's callback signature, not ours
fn headers_and_auth_reach_the_server() {
    let (sender, receiver) = std::sync::mpsc::channel();
    let addr = peers::spawn_tcp_server(move |stream| {
        let sender = sender.clone();
        let callback =
            move |request: &tungstenite::handshake::server::Request,
                  response: tungstenite::handshake::server::Response| {
                let headers: Vec<String> = request
                    .headers()
                    .iter()
                    .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                    .collect();
                sender.send(headers).unwrap();
                Ok(response)
            };
        if let Ok(ws) = tungstenite::accept_hdr(stream, callback) {
            peers::echo(ws);
        }
    });
    let url = format!("ws://alice:s%40cret@{addr}/path");
    let output = run(
        &[
            "connect",
            &url,
            "-H",
            "X-Trace: 42",
            "-o",
            "https://me.test",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let headers = receiver.recv().unwrap();
    assert!(headers.contains(&"x-trace: 42".to_string()), "{headers:?}");
    assert!(
        headers.contains(&"origin: https://me.test".to_string()),
        "{headers:?}"
    );
    // alice:s@cret
    assert!(
        headers.contains(&"authorization: Basic YWxpY2U6c0BjcmV0".to_string()),
        "{headers:?}"
    );
    // An explicit -H Authorization replaces the one from the credentials: one header, not two.
    let output = run(&["connect", &url, "-H", "Authorization: Bearer xyz"], b"");
    assert!(output.status.success(), "{output:?}");
    let headers = receiver.recv().unwrap();
    let authorization: Vec<_> = headers
        .iter()
        .filter(|h| h.starts_with("authorization:"))
        .collect();
    assert_eq!(authorization, ["authorization: Bearer xyz"], "{headers:?}");
}

#[test]
fn console_lines_read_before_any_client_wait_for_the_first() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    writeln!(console, "hello early\nsecond").unwrap();
    console.flush().unwrap();
    // Give the server time to read both lines while nobody is connected; with or without
    // this pause, the first client must get them, in order.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let output = run(&["connect", &server.url, "-n", "2"], b"");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "hello early\nsecond\n");
    // Later lines go to whoever is connected then, as before.
    let mut client = Client::start(&[&server.url]);
    server.stderr.wait_for("[2] connected");
    writeln!(console, "later").unwrap();
    assert_eq!(client.stdout.take(1), vec!["later"]);
}

#[test]
fn console_stdin_that_is_not_utf8_is_reported_and_skipped() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut client = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] connected");
    console.write_all(b"bad \xff line\ngood line\n").unwrap();
    assert_eq!(client.stdout.take(1), vec!["good line"]);
    let warning = server.stderr.wait_for("not valid UTF-8");
    assert!(
        warning.contains("stdin line 1") && warning.contains("-b"),
        "{warning}"
    );
}
