//! The REPL through a real pseudo-terminal, read back through a terminal emulator.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use crate::support::pty::Terminal;
use crate::support::{Lines, Server, scratch_dir, text};

#[test]
fn typed_lines_reach_the_server_and_echoes_appear() {
    let server = Server::start(&["--echo"]);
    let mut terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for("connected to");
    terminal.type_keys("hello there\r");
    terminal.wait_for("< hello there");
    terminal.type_keys("/binary 68 69\r");
    terminal.wait_for("< [binary, 2 bytes]");
    terminal.wait_for("  00000000  68 69                                             |hi|");
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
    // The session is over after /close: no fresh prompt is left on the screen.
    let rows = terminal.rows();
    let last = rows.iter().rev().find(|row| !row.trim().is_empty());
    assert!(
        last.is_some_and(|row| !row.trim_start().starts_with('>')),
        "screen:\n{}",
        terminal.contents()
    );
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

/// The REPL's greeting, printed through the editor once it is reading keys in raw mode.
/// (Keys typed before then would meet the terminal's line discipline instead.)
const PROMPT_READY: &str = "Ctrl-D quits";

#[test]
fn tab_completes_slash_commands() {
    let mut server = Server::start(&[]);
    let mut terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for(PROMPT_READY);
    terminal.type_keys("/cl\t");
    terminal.wait_until("the prompt holds /close", |_| {
        terminal.cursor_row() == "> /close"
    });
    terminal.type_keys("4001\r");
    assert!(terminal.wait_exit().success());
    server.stderr.wait_for("[1] closed by peer: 4001");
}

/// The one `message` event a `--jsonl` server logs, as JSON.
fn next_message(events: &mut Lines) -> Value {
    serde_json::from_str(&events.wait_for("\"message\"")).unwrap()
}

#[test]
fn multi_sends_the_lines_up_to_an_empty_one_as_one_message() {
    let mut server = Server::start(&["--jsonl"]);
    let mut events = server.stdout_lines();
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for(PROMPT_READY);
    // All at once, as a fast typist or a paste without bracketed paste sends them: keys
    // that arrive while a line is being accepted belong to the next one.
    terminal.type_keys("/multi\rline one\r/not a command\r\r");
    assert_eq!(
        next_message(&mut events)["data"],
        "line one\n/not a command"
    );
    terminal.wait_for("... /not a command");
    // Back to one line per message.
    terminal.type_keys("single\r");
    assert_eq!(next_message(&mut events)["data"], "single");
}

#[test]
fn a_pasted_block_of_lines_is_one_message() {
    let mut server = Server::start(&["--jsonl"]);
    let mut events = server.stdout_lines();
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for(PROMPT_READY);
    terminal.type_keys("\x1b[200~line one\nline two\x1b[201~\r");
    assert_eq!(next_message(&mut events)["data"], "line one\nline two");
}

#[test]
fn save_writes_the_session_as_json_lines() {
    let server = Server::start(&["--echo"]);
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for(PROMPT_READY);
    terminal.type_keys("hello\r");
    terminal.wait_for("< hello");
    let path = scratch_dir().join("session.jsonl");
    terminal.type_keys(&format!("/save {}\r", path.display()));
    terminal.wait_for("saved 3 events to");
    let saved = std::fs::read_to_string(&path).unwrap();
    let events: Vec<Value> = saved
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    assert_eq!(events[0]["event"], "open");
    assert_eq!(events[0]["url"], format!("{}/", server.url));
    assert_eq!(
        (&events[1]["event"], &events[1]["data"], &events[1]["by"]),
        (&"message".into(), &"hello".into(), &"self".into())
    );
    assert_eq!(
        (&events[2]["event"], &events[2]["data"], &events[2]["by"]),
        (&"message".into(), &"hello".into(), &Value::Null)
    );
    assert!(events.iter().all(|event| event["ts"].is_string()));
}

#[test]
fn pretty_indents_json_from_the_server() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color", "--pretty", "-t"]);
    terminal.wait_for(PROMPT_READY);
    server.stderr.wait_for("[1] connected");
    writeln!(console, r#"{{"op":"tick","data":[1,2]}}"#).unwrap();
    writeln!(console, "not json").unwrap();
    terminal.wait_for("< not json");
    let rows = terminal.rows();
    let first = rows
        .iter()
        .position(|row| row.ends_with("< {"))
        .unwrap_or_else(|| panic!("rows: {rows:#?}"));
    assert_eq!(
        rows[first + 1..first + 7],
        [
            r#"    "op": "tick","#,
            r#"    "data": ["#,
            "      1,",
            "      2",
            "    ]",
            "  }",
        ],
        "rows: {rows:#?}"
    );
    // -t: the time of day (UTC) before the marker.
    let time = &rows[first][..12];
    assert!(
        time.len() == 12 && time.as_bytes()[2] == b':' && time.as_bytes()[8] == b'.',
        "{time:?}"
    );
}

#[test]
fn a_dumb_terminal_gets_pipe_mode_instead_of_a_repl() {
    let mut server = Server::start_with_stdin(&[], Stdio::piped());
    let mut console = server.stdin();
    let mut received = server.stdout_lines();
    let mut terminal = Terminal::spawn_with_env(&["connect", &server.url], &[("TERM", "dumb")]);
    server.stderr.wait_for("[1] connected");
    // No line editor: the terminal's own line discipline sends each line.
    terminal.type_keys("typed on a dumb terminal\r");
    assert_eq!(received.take(1), vec!["typed on a dumb terminal"]);
    writeln!(console, "plain reply").unwrap();
    terminal.wait_for("plain reply");
    assert!(
        !terminal.contents().contains("< plain reply"),
        "{}",
        terminal.contents()
    );
    terminal.type_keys("\x04");
    assert!(terminal.wait_exit().success(), "{}", terminal.contents());
}

/// A server that accepts the upgrade and then neither reads nor answers anything.
fn deaf_server() -> std::net::SocketAddr {
    crate::support::peers::spawn_ws_server(|ws| {
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(ws);
    })
}

#[test]
fn a_second_ctrl_c_while_the_close_waits_exits_at_once() {
    // Reads the raw bytes after the upgrade and reports the first frame (the Close), which it
    // never answers.
    let (frames_tx, frames) = std::sync::mpsc::channel();
    let addr = crate::support::peers::spawn_ws_server(move |mut ws| {
        use std::io::Read;
        let mut byte = [0u8; 1];
        if ws.get_mut().read(&mut byte).is_ok() {
            let _ = frames_tx.send(());
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let mut terminal = Terminal::spawn(&["connect", &format!("ws://{addr}/"), "--no-color"]);
    terminal.wait_for("connected to");
    // The first Ctrl-C leaves the prompt and sends the Close.
    terminal.type_keys("\x03");
    frames
        .recv_timeout(crate::support::DEADLINE)
        .expect("the Close reaches the server");
    terminal.type_keys("\x03");
    let status = terminal.wait_exit();
    assert_eq!(status.code(), Some(130), "screen:\n{}", terminal.contents());
}

#[test]
fn an_unanswered_close_is_reported_at_the_prompt() {
    let addr = deaf_server();
    let mut terminal = Terminal::spawn(&["connect", &format!("ws://{addr}/"), "--no-color"]);
    terminal.wait_for("connected to");
    terminal.type_keys("/quit\r");
    terminal.wait_for("no answer to the Close within 5s");
    assert!(terminal.wait_exit().success());
}

#[test]
fn save_expands_home_and_does_not_overwrite_unless_asked() {
    let server = Server::start(&["--echo"]);
    let home = scratch_dir();
    let home_text = home.display().to_string();
    let terminal = Terminal::spawn_with_env(
        &["connect", &server.url, "--no-color"],
        &[("HOME", &home_text)],
    );
    terminal.wait_for(PROMPT_READY);
    terminal.type_keys("/save ~/session.jsonl\r");
    terminal.wait_for("saved 1 events to ~/session.jsonl");
    let first = std::fs::read_to_string(home.join("session.jsonl")).unwrap();
    terminal.type_keys("more\r");
    terminal.wait_for("< more");
    terminal.type_keys("/save ~/session.jsonl\r");
    terminal.wait_for("~/session.jsonl exists; /save! ~/session.jsonl replaces it");
    assert_eq!(
        std::fs::read_to_string(home.join("session.jsonl")).unwrap(),
        first
    );
    terminal.type_keys("/save! ~/session.jsonl\r");
    terminal.wait_for("saved 3 events to ~/session.jsonl");
    assert_eq!(
        std::fs::read_to_string(home.join("session.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}

#[test]
fn ping_shows_the_round_trip_of_its_pong_without_p() {
    let server = Server::start(&["--echo"]);
    let terminal = Terminal::spawn(&["connect", &server.url, "--no-color"]);
    terminal.wait_for(PROMPT_READY);
    terminal.type_keys("/ping are you there\r");
    terminal.wait_until("the pong with its round trip", |screen| {
        screen
            .lines()
            .any(|line| line.contains("pong are you there in ") && line.trim_end().ends_with(" ms"))
    });
}

#[test]
fn kick_sends_its_code_and_reason() {
    let terminal = Terminal::spawn(&["serve", "127.0.0.1:0", "--no-color"]);
    terminal.wait_for("listening on ws://127.0.0.1:");
    let url = terminal.url_on_screen();
    let mut client = crate::support::Client::start(&[&url, "--jsonl"]);
    terminal.wait_for("[1] * connected from");
    terminal.type_keys("/kick 1 4000 bye now\r");
    let close: Value = serde_json::from_str(&client.stdout.wait_for("\"close\"")).unwrap();
    assert_eq!(
        (close["code"].as_u64(), close["reason"].as_str()),
        (Some(4000), Some("bye now"))
    );
}
