//! Exit codes: 0 for a normal ending, 1 for failures, 2 for bad usage.

use std::net::TcpListener;

use crate::support::{Server, peers, run, text};

#[test]
fn refused_connection_names_the_address() {
    // A port that was just released has nobody listening on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run(&["connect", &format!("ws://127.0.0.1:{port}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn http_404_instead_of_101() {
    let addr = peers::spawn_http_status_server("404 Not Found", "no such endpoint");
    let output = run(&["connect", &format!("ws://{addr}/missing")], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("404 Not Found"), "{stderr}");
    assert!(stderr.contains("no such endpoint"), "{stderr}");
}

#[test]
fn verbose_shows_the_refused_response_headers() {
    let addr = peers::spawn_http_status_server("403 Forbidden", "");
    let output = run(
        &[
            "connect",
            &format!("ws://{addr}/"),
            "-v",
            "--auth",
            "user:secret",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("> GET / HTTP/1.1"), "{stderr}");
    assert!(stderr.contains("< HTTP/1.1 403 Forbidden"), "{stderr}");
    assert!(stderr.contains("x-test: yes"), "{stderr}");
    assert!(stderr.contains("authorization: Basic ********"), "{stderr}");
    assert!(
        !stderr.contains("dXNlcjpzZWNyZXQ"),
        "credentials leaked: {stderr}"
    );
}

#[test]
fn normal_close_exits_zero() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url], b"hi\n");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn peer_closing_with_1000_exits_zero() {
    let addr = peers::spawn_closing_server(1000, "done");
    let output = run(&["connect", &format!("ws://{addr}/"), "-w", "30"], b"hi\n");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn peer_closing_with_1011_exits_one_with_code_and_reason() {
    let addr = peers::spawn_closing_server(1011, "boom");
    let output = run(
        &["connect", &format!("ws://{addr}/"), "-q", "-w", "30"],
        b"hi\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1011"), "{stderr}");
    assert!(stderr.contains("boom"), "{stderr}");
}

#[test]
fn peer_vanishing_without_close_exits_one() {
    let addr = peers::spawn_ws_server(|mut ws| {
        let _ = ws.read();
        // Dropping the socket without a Close frame: 1006 for the client.
    });
    let output = run(&["connect", &format!("ws://{addr}/"), "-w", "30"], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("1006"), "{output:?}");
}

#[test]
fn bad_usage_exits_two() {
    let output = run(&["connect"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["connect", "ws://127.0.0.1:9/", "-H", "no colon"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("Name: value"));
    let output = run(&["connect", "ftp://127.0.0.1/"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["serve", "not-an-address:x"], b"");
    assert_eq!(output.status.code(), Some(2));
}
