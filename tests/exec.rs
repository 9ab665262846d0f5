//! `serve --exec`: a child process per connection, messages as lines both ways, exit codes as
//! close codes, the request in the environment, stderr tagged, children stopped when their
//! client goes.

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{Client, DEADLINE, Server, peers, run, text};

/// `wsx serve --exec [flags] -- program…`
fn exec_server(flags: &[&str], program: &[&str]) -> Server {
    let mut args = vec!["--exec"];
    args.extend_from_slice(flags);
    args.push("--");
    args.extend_from_slice(program);
    Server::start(&args)
}

const COUNTER: &str = r#"i=0; while read line; do i=$((i+1)); echo "$i $line"; done"#;

fn last_event(stdout: &[u8]) -> Value {
    let last = text(stdout)
        .lines()
        .last()
        .expect("some events")
        .to_string();
    serde_json::from_str(&last).unwrap()
}

/// Processes other than `except` whose command line contains `marker`.
fn processes_with(marker: &str, except: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Unreadable: the process has just gone. Empty: a zombie.
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if pid != except && String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

/// Polls until `done` holds; there is no event to wait on for a process going away.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < until, "{what}: not within {DEADLINE:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn marker(test: &str) -> String {
    format!("wsx-exec-test-{}-{test}", std::process::id())
}

#[test]
fn a_counter_script_gets_each_message_as_a_line() {
    let mut server = exec_server(&[], &["sh", "-c", COUNTER]);
    for _ in 0..2 {
        // Each connection has its own child, so each count starts at 1.
        let output = run(
            &["connect", &server.url, "-n", "3", "-w", "30"],
            b"a\nb b\nc\n",
        );
        assert!(output.status.success(), "{output:?}");
        assert_eq!(text(&output.stdout), "1 a\n2 b b\n3 c\n");
    }
    server.stderr.wait_for("[2] closed");
    // A relay: no payloads on its stdout.
    assert_eq!(server.stop_and_read_stdout(), "");
}

#[test]
fn cat_echoes_every_line_in_order() {
    let server = exec_server(&[], &["cat"]);
    let lines: Vec<String> = (1..=500).map(|i| format!("line {i} ✓")).collect();
    let input = lines.join("\n") + "\n\n";
    let output = run(
        &["connect", &server.url, "-n", "501", "-w", "30"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    // The empty last line comes back as an empty message.
    assert_eq!(text(&output.stdout), input);
}

#[test]
fn a_burst_larger_than_the_queue_reaches_the_program_whole() {
    // 5,000 lines sent at once, more than the 1,024 the child's input queue holds.
    let server = exec_server(&[], &["cat"]);
    let input: String = (1..=5000).map(|i| format!("{i}\n")).collect();
    let output = run(
        &["connect", &server.url, "-n", "5000", "-w", "30"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout) == input, "lines lost or out of order");
}

#[test]
fn jsonl_logs_the_exchange() {
    let mut server = exec_server(&["--jsonl"], &["cat"]);
    let mut log = server.stdout_lines();
    let url = format!("{}/room?x=1", server.url);
    let output = run(&["connect", &url, "-n", "1", "-w", "30"], b"hi\n");
    assert_eq!(text(&output.stdout), "hi\n");
    let message: Value = serde_json::from_str(&log.wait_for("\"message\"")).unwrap();
    assert_eq!(message["client"], 1);
    assert_eq!(message["data"], "hi");
    // Every event names the channel, as in the other serve modes.
    assert_eq!(message["channel"], "/room", "{message}");
    let close: Value = serde_json::from_str(&log.wait_for("\"close\"")).unwrap();
    assert_eq!(close["channel"], "/room", "{close}");
}

#[test]
fn a_failing_program_closes_with_1011() {
    let mut server = exec_server(&[], &["sh", "-c", "echo last words; exit 3"]);
    let output = run(&["connect", &server.url, "--jsonl", "-w", "30"], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let events = text(&output.stdout);
    assert!(events.contains(r#""data":"last words""#), "{events}");
    let close = last_event(&output.stdout);
    assert_eq!(close["event"], "close");
    assert_eq!(close["code"], 1011);
    assert_eq!(close["reason"], "program exited with code 3");
    assert_eq!(close["by"], "peer");
    server.stderr.wait_for("[1] sh exited with code 3");
}

#[test]
fn a_program_that_exits_0_closes_with_1000_after_its_output() {
    let server = exec_server(&[], &["sh", "-c", "echo one; printf 'no newline'"]);
    let output = run(&["connect", &server.url, "--jsonl", "-w", "30"], b"");
    assert!(output.status.success(), "{output:?}");
    let events = text(&output.stdout);
    let one = events.find(r#""data":"one""#).expect(&events);
    let last = events.find(r#""data":"no newline""#).expect(&events);
    assert!(one < last, "{events}");
    let close = last_event(&output.stdout);
    assert_eq!(close["code"], 1000);
    assert_eq!(close["by"], "peer");
}

#[test]
fn lines_arrive_while_the_program_still_runs() {
    // The child prints its second line only after it has an answer to its first: had wsx
    // held the first line back (until more output or the exit), nobody could answer.
    let server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            r#"echo first; read reply; echo "second, after $reply""#,
        ],
    );
    let mut client = Client::start(&[&server.url]);
    client.stdout.wait_for("first");
    client.send_line("the answer");
    client.stdout.wait_for("second, after the answer");
    let status = crate::support::wait_status(&mut client.child, DEADLINE);
    assert!(status.expect("closed once the program exits").success());
}

#[test]
fn the_request_is_in_the_environment() {
    let server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            r#"echo "$WSX_PATH|$WSX_QUERY|$WSX_HEADER_X_TEST|$WSX_CLIENT_ID|$WSX_CLIENT_ADDR""#,
        ],
    );
    let url = format!("{}/some/path?a=1&b=two", server.url);
    let output = run(
        &["connect", &url, "-H", "X-Test: hello there", "-w", "30"],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    let fields: Vec<&str> = stdout.trim_end().split('|').collect();
    assert_eq!(fields[..4], ["/some/path", "a=1&b=two", "hello there", "1"]);
    assert!(fields[4].starts_with("127.0.0.1:"), "{stdout}");
}

/// On machines where wsx restarts itself to tune glibc's copies (see `memcpy_tuning`), the
/// program still sees the environment exactly as the user gave it.
#[test]
fn the_program_gets_the_users_environment_unchanged() {
    let show = r#"echo "${GLIBC_TUNABLES-unset}|${WSX_MEMCPY_TUNED-unset}""#;
    for (given, seen) in [
        (None, "unset|unset"),
        (
            Some("glibc.malloc.arena_max=2"),
            "glibc.malloc.arena_max=2|unset",
        ),
    ] {
        let mut command = crate::support::wsx();
        command
            .stdin(std::process::Stdio::null())
            .env_remove("GLIBC_TUNABLES");
        if let Some(value) = given {
            command.env("GLIBC_TUNABLES", value);
        }
        let server = Server::start_command(command, &["--exec", "--", "sh", "-c", show]);
        let output = run(&["connect", &server.url, "-w", "30"], b"");
        assert!(output.status.success(), "{output:?}");
        assert_eq!(text(&output.stdout).trim_end(), seen);
    }
}

#[test]
fn stderr_is_tagged_with_the_client_id_even_with_quiet() {
    let mut server = exec_server(
        &["-q"],
        &["sh", "-c", r#"echo "oops from $WSX_CLIENT_ID" >&2; cat"#],
    );
    let mut first = Client::start(&[&server.url]);
    server.stderr.wait_for("[1] oops from 1");
    let mut second = Client::start(&[&server.url]);
    server.stderr.wait_for("[2] oops from 2");
    assert!(first.finish().success());
    assert!(second.finish().success());
}

#[test]
fn a_client_that_leaves_mid_stream_leaves_no_child() {
    let marker = marker("leaves");
    let server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            "while :; do echo tick; sleep 0.05; done",
            &marker,
        ],
    );
    let mut client = Client::start(&[&server.url]);
    client.stdout.wait_for("tick");
    let server_pid = server.child.id();
    assert!(!processes_with(&marker, server_pid).is_empty());
    // Gone without a Close: the server sees the TCP connection end.
    let _ = client.child.kill();
    wait_until("the child is stopped", || {
        processes_with(&marker, server_pid).is_empty()
    });
}

#[test]
fn what_the_program_started_stops_with_it() {
    let marker = marker("background");
    let server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            // A background process of its own, named after the marker too.
            r#"sh -c "while :; do sleep 0.05; done" "$0-background" & echo started; wait"#,
            &marker,
        ],
    );
    let mut client = Client::start(&[&server.url]);
    client.stdout.wait_for("started");
    let server_pid = server.child.id();
    wait_until("both processes run", || {
        processes_with(&marker, server_pid).len() == 2
    });
    assert!(client.finish().success());
    wait_until("both are stopped", || {
        processes_with(&marker, server_pid).is_empty()
    });
}

#[test]
fn a_child_that_ignores_sigterm_is_killed() {
    let marker = marker("ignores-term");
    let mut server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            // Silent after its first line: a write to its closed stdout would end it.
            r#"trap "" TERM; echo started; while :; do sleep 0.05; done"#,
            &marker,
        ],
    );
    let mut client = Client::start(&[&server.url]);
    client.stdout.wait_for("started");
    let server_pid = server.child.id();
    assert!(client.finish().success());
    server
        .stderr
        .wait_for("[1] the program did not stop within 2s of SIGTERM; killing it");
    wait_until("the child is killed after the grace period", || {
        processes_with(&marker, server_pid).is_empty()
    });
}

#[test]
fn a_hundred_clients_get_a_child_each_and_no_more() {
    // Several threads: children are started and reaped from each thread's runtime.
    let server = exec_server(
        &["--max-connections", "100", "--threads", "3"],
        &["sh", "-c", "echo $$; exec cat"],
    );
    let url = server.url.clone();
    let mut clients: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                scope.spawn(|| {
                    let mut ws = peers::ws_client(&url);
                    let pid = peers::read_text(&mut ws);
                    (ws, pid)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let pids: HashSet<&String> = clients.iter().map(|(_, pid)| pid).collect();
    assert_eq!(pids.len(), 100, "{pids:?}");
    match tungstenite::connect(&url) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("the 101st client got {:?}", other.map(|_| "a connection")),
    }
    // Every child is still there to talk to.
    for (ws, pid) in &mut clients {
        ws.send(Message::text(format!("to {pid}"))).unwrap();
        assert_eq!(peers::read_text(ws), format!("to {pid}"));
        ws.close(None).unwrap();
    }
}

#[test]
fn binary_messages_are_refused_with_1003_unless_binary() {
    let server = exec_server(&[], &["cat"]);
    let mut ws = peers::ws_client(&server.url);
    ws.send(Message::binary(&b"\x00\xffraw"[..])).unwrap();
    let close = match ws.read().expect("a Close frame") {
        Message::Close(frame) => frame.expect("a close code"),
        other => panic!("expected a Close, got {other:?}"),
    };
    assert_eq!(close.code, CloseCode::Unsupported);

    // With -b they go to the child raw (plus a newline), and its lines come back binary.
    let server = exec_server(&["-b"], &["cat"]);
    let mut ws = peers::ws_client(&server.url);
    ws.send(Message::binary(&b"\x00\xffraw"[..])).unwrap();
    ws.send(Message::text("text too")).unwrap();
    for expected in [&b"\x00\xffraw"[..], b"text too"] {
        match ws.read().unwrap() {
            Message::Binary(data) => assert_eq!(&data[..], expected),
            other => panic!("expected binary, got {other:?}"),
        }
    }
}

#[test]
fn a_program_that_cannot_start_closes_with_1011_and_the_server_serves_on() {
    let mut server = exec_server(&[], &["/nonexistent/wsx-test-program"]);
    for id in 1..=2 {
        let output = run(&["connect", &server.url, "--jsonl", "-w", "30"], b"");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let close = last_event(&output.stdout);
        assert_eq!(close["code"], 1011);
        assert_eq!(close["reason"], "cannot start the program");
        server.stderr.wait_for(&format!(
            "[{id}] cannot start /nonexistent/wsx-test-program: no such file or directory"
        ));
    }
}

#[test]
fn exec_needs_a_program_and_excludes_other_modes() {
    let output = run(&["serve", "--exec"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["serve", "--exec", "--echo", "--", "cat"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot be used with"),
        "{output:?}"
    );
    let output = run(&["serve", "--", "cat"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["serve", "127.0.0.1:0", "--echo", "--", "cat"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("runs only with --exec"));
}

#[test]
fn output_for_a_client_that_does_not_read_waits_in_a_bounded_queue() {
    // 1 MiB lines as fast as the child can make them: a queue bounded only in messages
    // (1,024) would hold a GiB of them.
    let server = exec_server(
        &[],
        &[
            "sh",
            "-c",
            r#"while :; do head -c 1048576 /dev/zero | tr '\0' a; echo; done"#,
        ],
    );
    let mut ws = peers::ws_client(&server.url);
    assert_eq!(peers::read_text(&mut ws).len(), 1 << 20);
    // The client reads no more. The queue (16 MiB), the socket buffers and the line being
    // read are all the server may hold for it.
    let until = Instant::now() + Duration::from_secs(2);
    let mut peak = 0;
    while Instant::now() < until {
        peak = peak.max(crate::support::rss_bytes(server.child.id()));
        thread::sleep(Duration::from_millis(50));
    }
    assert!(peak < 128 << 20, "server RSS reached {} MiB", peak >> 20);
}
