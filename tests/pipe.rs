//! The pipe contract of `wsx connect`: stdout carries payloads and nothing else.

use std::io::Write;
use std::time::Duration;

use crate::support::{Client, Server, peers, run, text};

#[test]
fn stdout_carries_only_payloads() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url], b"one\ntwo\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "one\ntwo\n");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("connected to"), "{stderr}");
}

#[test]
fn quiet_silences_diagnostics() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-q"], b"x\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "x\n");
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn ten_thousand_lines_arrive_complete_and_in_order() {
    let server = Server::start(&["--echo"]);
    let input: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
    let output = run(&["connect", &server.url, "-q"], input.as_bytes());
    assert!(output.status.success());
    assert_same_lines(&text(&output.stdout), &input);
}

/// Compares line by line, reporting the first difference instead of two huge strings.
fn assert_same_lines(got: &str, want: &str) {
    let first_difference = got.lines().zip(want.lines()).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "first differing line");
    assert_eq!(got.lines().count(), want.lines().count(), "line count");
    assert_eq!(got.len(), want.len());
}

#[test]
fn empty_lines_crlf_and_non_ascii() {
    let server = Server::start(&["--echo"]);
    let input = "\n\r\nhéllo wörld ✓ 日本\r\nlast without newline";
    let output = run(&["connect", &server.url], input.as_bytes());
    assert!(output.status.success());
    assert_eq!(
        text(&output.stdout),
        "\n\nhéllo wörld ✓ 日本\nlast without newline\n"
    );
}

#[test]
fn a_line_larger_than_a_frame_goes_both_ways_in_fragments() {
    // 20 MiB: over the 16 MiB frame limit at both ends, within the 64 MiB message limit.
    let server = Server::start(&["--echo"]);
    let line = "a".repeat(20 << 20) + "\n";
    let output = run(&["connect", &server.url, "-q"], line.as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        output.stdout == line.as_bytes(),
        "the line came back changed"
    );
}

#[test]
fn thirty_megabytes_at_once_neither_end_waits_for_the_other_forever() {
    // More than the socket buffers hold in both directions: the echo server stops reading
    // while its echoes wait, so wsx must go on reading while its own writes wait.
    let server = Server::start(&["--echo"]);
    let line = "y".repeat(10_000);
    let input = format!("{line}\n").repeat(3000);
    let output = run(&["connect", &server.url, "-q"], input.as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout == input.as_bytes(), "lines lost or changed");
}

#[test]
fn a_one_mebibyte_line() {
    let server = Server::start(&["--echo"]);
    let line: String = (0..(1 << 20))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let output = run(
        &["connect", &server.url, "-q"],
        format!("{line}\n").as_bytes(),
    );
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), line.len() + 1);
    assert!(
        text(&output.stdout) == format!("{line}\n"),
        "the line came back changed"
    );
}

#[test]
fn execute_messages_go_first() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-x", "a", "-x", "b c"], b"d\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "a\nb c\nd\n");
}

#[test]
fn count_exits_after_n_messages() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-n", "2"], b"a\nb\nc\nd\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "a\nb\n");
}

#[test]
fn count_waits_for_messages_after_input_ends() {
    let mut server = Server::start_with_stdin(&[], std::process::Stdio::piped());
    let mut console = server.stdin();
    let mut client = Client::start(&[&server.url, "-n", "1"]);
    drop(client.child.stdin.take());
    server.stderr.wait_for("[1] connected");
    writeln!(console, "pushed").unwrap();
    assert_eq!(client.stdout.take(1), vec!["pushed"]);
    assert!(client.finish().success());
}

#[test]
fn wait_keeps_listening_after_input_ends() {
    let mut server = Server::start_with_stdin(&[], std::process::Stdio::piped());
    let mut console = server.stdin();
    let mut client = Client::start(&[&server.url, "-w", "30"]);
    drop(client.child.stdin.take());
    server.stderr.wait_for("[1] connected");
    writeln!(console, "late news").unwrap();
    assert_eq!(client.stdout.take(1), vec!["late news"]);
}

#[test]
fn without_wait_input_end_closes_normally() {
    let mut server = Server::start(&[]);
    let output = run(&["connect", &server.url], b"");
    assert!(output.status.success());
    server.stderr.wait_for("[1] closed by peer: 1000");
}

#[test]
fn lines_piped_before_the_handshake_completes_are_not_lost() {
    let addr = peers::spawn_slow_handshake_echo(Duration::from_millis(500));
    let input: String = (0..200).map(|i| format!("early {i}\n")).collect();
    let output = run(
        &["connect", &format!("ws://{addr}/"), "-q"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    assert_same_lines(&text(&output.stdout), &input);
}

#[test]
fn binary_mode_and_binary_output() {
    let server = Server::start(&["--echo"]);
    let output = run(
        &["connect", &server.url, "-b", "--binary-output", "hex"],
        b"hi\n\xff\x00\n",
    );
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "6869\nff00\n");
    let output = run(
        &["connect", &server.url, "-b", "--binary-output", "base64"],
        b"hi\n",
    );
    assert_eq!(text(&output.stdout), "aGk=\n");
}

#[test]
fn invalid_utf8_text_lines_are_reported_not_sent() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url], b"ok\n\xff\xfe\nstill ok\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "ok\nstill ok\n");
    assert!(text(&output.stderr).contains("line 2 is not valid UTF-8"));
}

#[test]
fn bare_url_means_connect() {
    let server = Server::start(&["--echo"]);
    let output = run(&[&server.url], b"short form\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "short form\n");
}

#[test]
fn ctrl_c_closes_the_connection_properly() {
    for signal in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        let mut server = Server::start(&[]);
        let mut client = Client::start(&[&server.url]);
        server.stderr.wait_for("[1] connected");
        client.stderr.wait_for("connected to");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(client.child.id() as i32), signal)
            .unwrap();
        // A Close, not a vanished connection (1006).
        server.stderr.wait_for("[1] closed by peer: 1000");
        let status = crate::support::wait_status(&mut client.child, crate::support::DEADLINE);
        assert!(status.expect("wsx exits").success(), "{signal}");
    }
}

#[test]
fn an_unanswered_close_is_reported_in_pipe_mode_too() {
    let addr = peers::spawn_ws_server(|ws| {
        std::thread::sleep(Duration::from_secs(30));
        drop(ws);
    });
    let output = run(&["connect", &format!("ws://{addr}/"), "--linger", "0"], b"");
    assert!(output.status.success(), "{output:?}");
    assert!(
        text(&output.stderr).contains("no answer to the Close within 5s"),
        "{output:?}"
    );
}

#[test]
fn verbose_masks_cookies_as_it_masks_authorization() {
    let server = Server::start(&["--echo"]);
    let output = run(
        &[
            "connect",
            &server.url,
            "-v",
            "-H",
            "Cookie: session=s3cr3t",
            "--auth",
            "al:pa55",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cookie: ********"), "{stderr}");
    assert!(stderr.contains("authorization: Basic ********"), "{stderr}");
    assert!(
        !stderr.contains("s3cr3t") && !stderr.contains("YWw6cGE1NQ"),
        "{stderr}"
    );
}
