//! `--reconnect`: an unexpected drop dials again with backoff and re-sends the `-x` messages;
//! a normal close ends the session as usual.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

use crate::support::pty::Terminal;
use crate::support::{Client, DEADLINE, peers, wait_status};

#[test]
fn comes_back_after_a_drop_and_sends_execute_again() {
    let (addr, seen) = peers::spawn_dropping_once_server();
    let mut client = Client::start(&[&format!("ws://{addr}/"), "--reconnect", "-x", "hello"]);
    let next_report = |client: &mut Client| {
        seen.recv_timeout(DEADLINE).unwrap_or_else(|_| {
            while client
                .stderr
                .next_line(Duration::from_millis(100))
                .is_some()
            {}
            panic!(
                "the server saw nothing more; stderr: {:#?}",
                client.stderr.seen
            )
        })
    };
    assert_eq!(next_report(&mut client), (1, "hello".to_string()));
    // The first connection is dropped without a Close; the second gets -x again.
    assert_eq!(next_report(&mut client), (2, "hello".to_string()));
    assert_eq!(client.stdout.take(1), vec!["hello"]);
    let event = client.stderr.wait_for("reconnecting in");
    assert!(event.contains("1006"), "{event}");
    // Input still flows on the new connection, and EOF still ends it normally.
    client.send_line("after");
    assert_eq!(next_report(&mut client), (2, "after".to_string()));
    assert_eq!(client.stdout.take(1), vec!["after"]);
    assert!(client.finish().success());
}

#[test]
fn normal_close_does_not_reconnect() {
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let addr = peers::spawn_ws_server(move |mut ws| {
        counted.fetch_add(1, Ordering::SeqCst);
        let _ = ws.read();
        let _ = ws.close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }));
        while ws.read().is_ok() {}
    });
    let mut client = Client::start(&[&format!("ws://{addr}/"), "--reconnect", "-x", "hello"]);
    // Were it to reconnect, it would never exit: this server closes every connection.
    let status = wait_status(&mut client.child, Duration::from_secs(10))
        .expect("wsx did not exit after the peer's 1000");
    assert!(status.success(), "{status:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    while client.stderr.next_line(Duration::from_secs(1)).is_some() {}
    assert!(
        !client
            .stderr
            .seen
            .iter()
            .any(|line| line.contains("reconnect")),
        "{:#?}",
        client.stderr.seen
    );
}

#[test]
fn ctrl_c_at_the_prompt_stops_reconnecting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let ws = tungstenite::accept(stream).unwrap();
        // Dropping the connection, and the listener with it: nothing to come back to.
        drop(ws);
    });
    let mut terminal = Terminal::spawn(&[
        "connect",
        &format!("ws://{addr}/"),
        "--reconnect",
        "--no-color",
    ]);
    terminal.wait_for("1006); reconnecting in");
    // It keeps trying, with a longer delay each time.
    terminal.wait_for("attempt 1 failed; reconnecting in");
    terminal.type_keys("\x03");
    let status = terminal.wait_exit();
    // The session still ended with a drop.
    assert_eq!(status.code(), Some(1), "screen:\n{}", terminal.contents());
}

#[test]
fn a_server_that_keeps_dropping_gets_longer_and_longer_pauses() {
    // Accepts every connection and drops it at once, without a Close.
    let addr = peers::spawn_ws_server(drop);
    let mut client = Client::start(&[&format!("ws://{addr}/"), "--reconnect"]);
    let delays: Vec<f64> = (0..3)
        .map(|_| {
            let line = client.stderr.wait_for("reconnecting in");
            let seconds = line.rsplit("reconnecting in ").next().unwrap();
            seconds.trim_end_matches('s').parse().unwrap()
        })
        .collect();
    // 0.5 s, then 1 s, then 2 s, each ±25%: short-lived connections do not reset it.
    assert!(delays[2] >= 1.5, "{delays:?}");
    assert!(delays[0] < delays[2], "{delays:?}");
}
