//! The REPL through a real pseudo-terminal, read back through a terminal emulator.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use crate::support::pty::Terminal;
use crate::support::{Server, text};

#[test]
fn typed_lines_reach_the_server_and_echoes_appear() {
    let server = Server::start(&["--echo"]);
    let mut terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for("connected to");
    terminal.type_keys("hello there\r");
    terminal.wait_for("< hello there");
    terminal.type_keys("/binary 68 69\r");
    terminal.wait_for("< [binary, 2 bytes] 68 69");
    terminal.type_keys("\x04");
    assert!(terminal.wait_exit().success());
}

#[test]
fn close_with_code_and_reason_reaches_the_server() {
    let mut server = Server::start(&["--jsonl"]);
    let mut events = server.stdout_lines();
    let mut terminal = Terminal::spawn(&["connect", &server.url]);
    terminal.wait_for("connected to");
    terminal.type_keys("/close 4000 bye now\r");
    let status = terminal.wait_exit();
    assert!(status.success(), "screen:\n{}", terminal.contents());
    let close: Value = serde_json::from_str(&events.wait_for("\"close\"")).unwrap();
    assert_eq!(close["code"], 4000);
    assert_eq!(close["reason"], "bye now");
    assert_eq!(close["by"], "peer");
}

#[test]
fn ctrl_d_exits_zero_with_a_normal_close() {
    let mut server = Server::start(&[]);
    let mut terminal = Terminal::spawn(&["connect", &server.url]);
    terminal.wait_for("connected to");
    terminal.type_keys("\x04");
    assert!(terminal.wait_exit().success());
    server.stderr.wait_for("[1] closed by peer: 1000");
}

#[test]
fn incoming_message_leaves_a_half_typed_line_intact() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut received = server.stdout_lines();
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for("connected to");
    server.stderr.wait_for("[1] connected");
    terminal.type_keys("half a li");
    terminal.wait_for("> half a li");
    writeln!(console, "news from the server").unwrap();
    terminal.wait_for("< news from the server");
    // The message is above the prompt, and the prompt still holds what was typed.
    let rows = terminal.rows();
    let message_row = rows
        .iter()
        .position(|row| row.contains("news from the server"))
        .unwrap();
    let prompt_row = rows
        .iter()
        .position(|row| row.starts_with("> half a li"))
        .unwrap();
    assert!(message_row < prompt_row, "rows: {rows:#?}");
    assert_eq!(terminal.cursor_row(), "> half a li");
    terminal.type_keys("ne\r");
    assert_eq!(received.take(1), vec!["half a line"]);
}

#[test]
fn peer_text_cannot_drive_the_terminal() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for("connected to");
    server.stderr.wait_for("[1] connected");
    writeln!(console, "before\x1b[2J\x1b[Hafter").unwrap();
    terminal.wait_for("after");
    let screen = terminal.contents();
    assert!(
        screen.contains("connected to"),
        "screen was cleared:\n{screen}"
    );
    assert!(screen.contains("before\\x1b[2J\\x1b[Hafter"), "{screen}");
}

#[test]
fn execute_with_a_terminal_stdin_does_not_read_it() {
    let server = Server::start(&["--echo"]);
    let mut terminal = Terminal::spawn(&["connect", &server.url, "-x", "only this", "-n", "1"]);
    let status = terminal.wait_exit();
    assert!(status.success(), "screen:\n{}", terminal.contents());
    assert!(text(terminal.contents().as_bytes()).contains("only this"));
}
