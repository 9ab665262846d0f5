//! Pipe mode at stdin EOF: wsx lingers until the server has been quiet before it closes, so
//! servers that drop pending replies when a Close arrives (Chromium's DevTools endpoint,
//! Python `websockets`) still get to answer `echo REQUEST | wsx URL`.

use crate::support::browser::Browser;
use crate::support::third_party::{Peer, PeerServer};
use crate::support::{Server, run, text};

const RUNS: usize = 10;

#[test]
fn chromium_devtools_answers_a_piped_request_every_time() {
    let browser = Browser::launch();
    let request = "{\"id\":1,\"method\":\"Browser.getVersion\"}\n";
    for run_number in 1..=RUNS {
        let output = run(&["connect", &browser.devtools_url], request.as_bytes());
        assert!(output.status.success(), "run {run_number}: {output:?}");
        let reply = text(&output.stdout);
        let reply: serde_json::Value = serde_json::from_str(reply.trim())
            .unwrap_or_else(|_| panic!("run {run_number}: no JSON reply: {output:?}"));
        assert_eq!(reply["id"], 1, "run {run_number}: {reply}");
        assert!(
            reply["result"]["product"]
                .as_str()
                .is_some_and(|product| product.contains("Chrom")),
            "run {run_number}: {reply}"
        );
    }
}

#[test]
fn python_websockets_echoes_a_piped_line_every_time() {
    let server = PeerServer::echo(Peer::Python);
    for run_number in 1..=RUNS {
        let output = run(&["connect", &server.url], b"hello\n");
        assert!(output.status.success(), "run {run_number}: {output:?}");
        assert_eq!(text(&output.stdout), "hello\n", "run {run_number}");
    }
}

#[test]
fn linger_0_closes_at_once_and_the_lost_reply_is_pointed_out() {
    // A server that reads and never answers: with --linger 0 the Close follows the message at
    // once, the server answers the Close, and nothing came back for the message sent.
    let server = Server::start_with_stdin(&[], std::process::Stdio::piped());
    let started = std::time::Instant::now();
    let output = run(&["connect", &server.url, "--linger", "0"], b"hello\n");
    assert!(output.status.success(), "{output:?}");
    // No linger: far less than the 3 s a --linger 3s run would take at least.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "closed at once"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--linger") && stderr.contains("-n N") && stderr.contains("-w SECS"),
        "{stderr}"
    );
    // Diagnostics, so -q silences the hint.
    let output = run(&["connect", &server.url, "--linger", "0", "-q"], b"hello\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stderr), "");

    // Python websockets drops the echo queued behind a Close, unless it happened to send it
    // first: when it is lost, wsx says so.
    let python = PeerServer::echo(Peer::Python);
    let output = run(&["connect", &python.url, "--linger", "0"], b"hello\n");
    assert!(output.status.success(), "{output:?}");
    if text(&output.stdout).is_empty() {
        assert!(text(&output.stderr).contains("--linger"), "{output:?}");
    }
}

#[test]
fn a_server_that_keeps_talking_keeps_the_session_open() {
    // Five replies 300 ms apart: each is within the linger of the one before, so all five
    // arrive although stdin ended long before the last.
    let server = Server::start(&[
        "--exec",
        "--",
        "sh",
        "-c",
        "read line; for i in 1 2 3 4 5; do echo \"$line $i\"; sleep 0.3; done; sleep 10",
    ]);
    let started = std::time::Instant::now();
    // A linger well above the gap between replies, so a slow machine does not end it early.
    let output = run(&["connect", &server.url, "--linger", "2s"], b"tick\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        text(&output.stdout),
        "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n"
    );
    // And then it closed after the linger, without waiting for the program (10 s) to end.
    assert!(started.elapsed() < std::time::Duration::from_secs(9));
    assert!(!text(&output.stderr).contains("--linger"), "{output:?}");
}

#[test]
fn a_silent_server_gets_the_hint_after_the_linger() {
    // The console mode prints what clients send and answers nothing.
    let server = Server::start(&[]);
    let output = run(&["connect", &server.url, "--linger", "100ms"], b"anyone?\n");
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stderr).contains("--linger"), "{output:?}");
    // A server that answered every message gets no hint.
    let echo = Server::start(&["--echo"]);
    let output = run(&["connect", &echo.url], b"one\ntwo\n");
    assert_eq!(text(&output.stdout), "one\ntwo\n");
    assert!(!text(&output.stderr).contains("--linger"), "{output:?}");
}
