//! `wsx test` against real peers: every matcher passing and failing, two connections through a
//! broadcast server, Node `ws` and Python `websockets` servers, Chromium's DevTools protocol,
//! timeouts that bound, the exit codes, -j order, and JUnit XML read by a real XML parser.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::browser::Browser;
use crate::support::third_party::{Peer, PeerServer};
use crate::support::{Server, peers, run, scratch_dir, text};

/// Writes a test file into a fresh scratch directory and returns its path.
fn test_file(name: &str, body: &str) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn wsx_test(files: &[&PathBuf], extra: &[&str]) -> Output {
    let mut args = vec!["test".to_string()];
    args.extend(files.iter().map(|file| file.display().to_string()));
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, b"")
}

/// A file that exercises every matcher and every sending step, all passing.
fn every_matcher(url: &str) -> String {
    format!(
        r#"# every matcher, passing
connect {url}
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect $.op == "join"
capture member $.member
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect $.n == 2.0
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect $.room != "attic"
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect $.member ~ ^m-\d+$
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect $.room exists
send {{"op":"join","room":"lobby","member":"m-17","n":2}}
expect json {{"op":"join","n":2}}
send hello {{{{member}}}}
expect hello m-17
send status: ok 42
expect ~ ok \d+
send <<END
two
lines
END
expect ~ ^two\nlines$
send binary de ad be ef
expect binary deadbeef
send base64 3q2+7w==
expect binary de ad be ef
ping are you there
expect pong are you there
expect silence 200ms
set greeting hi
send {{{{greeting}}}} {{{{env.WSX_TEST_VAR}}}} {{{{cli}}}}
expect hi from-env from-cli
"#
    )
}

fn assert_passes(output: &Output) {
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}

fn run_every_matcher(url: &str) {
    let file = test_file("every.wsx", &every_matcher(url));
    let mut command = Command::new(crate::support::wsx_path());
    command
        .arg("test")
        .arg(&file)
        .args(["--var", "cli=from-cli"])
        .env("WSX_TEST_VAR", "from-env");
    let output = command.output().unwrap();
    assert_passes(&output);
    assert!(
        text(&output.stdout).starts_with("PASS "),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn every_matcher_passes_against_wsx_serve_echo() {
    let server = Server::start(&["--echo"]);
    run_every_matcher(&server.url);
}

#[test]
fn every_matcher_passes_against_node_ws() {
    let server = PeerServer::echo(Peer::Node);
    run_every_matcher(&server.url);
}

#[test]
fn every_matcher_passes_against_python_websockets() {
    let server = PeerServer::echo(Peer::Python);
    run_every_matcher(&server.url);
}

/// Each matcher with a message it must refuse: the file fails on that line.
#[test]
fn every_matcher_fails_on_what_it_must_refuse() {
    let server = Server::start(&["--echo"]);
    let url = &server.url;
    let cases = [
        (
            "send hello\nexpect goodbye",
            "expected: the text \"goodbye\"",
        ),
        ("send hello\nexpect ~ ^bye", "a text matching ~ ^bye"),
        (
            "send {\"op\":\"left\"}\nexpect json {\"op\":\"joined\"}",
            "-  \"op\": \"joined\"",
        ),
        ("send {\"n\":3}\nexpect $.n == 2", "JSON where $.n == 2"),
        ("send {\"n\":2}\nexpect $.n != 2", "JSON where $.n != 2"),
        (
            "send {\"id\":\"x1\"}\nexpect $.id ~ ^\\d+$",
            "$.id ~ ^\\d+$",
        ),
        ("send {\"a\":1}\nexpect $.b exists", "$.b exists"),
        (
            "send binary 0102\nexpect binary 0103",
            "the binary message 0103",
        ),
        (
            "send close-with 4000 bye\nexpect close 1000",
            "a close with 1000",
        ),
        ("send text\nexpect binary 00", "received: text"),
        ("ping one\nexpect pong two", "a pong \"two\""),
        ("send chatter\nexpect silence 300ms", "not silent for 300ms"),
    ];
    for (index, (steps, needle)) in cases.iter().enumerate() {
        let file = test_file("refuse.wsx", &format!("connect {url}\n{steps}\n"));
        let output = wsx_test(&[&file], &["--timeout", "500ms"]);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "case {index}: {stdout}");
        let failing_line = steps.lines().count() + 1;
        assert!(
            stdout.contains(&format!("FAIL {}:{failing_line} ", file.display())),
            "case {index}: {stdout}"
        );
        assert!(stdout.contains(needle), "case {index}: {stdout}");
        assert!(
            stdout.contains("0 passed, 1 failed"),
            "case {index}: {stdout}"
        );
    }
}

#[test]
fn two_connections_through_a_broadcast_server() {
    let server = Server::start(&["--broadcast"]);
    let url = &server.url;
    let file = test_file(
        "chat.wsx",
        &format!(
            "@alice connect {url}\n@bob connect {url}\n\
             # heartbeats are noise\n@bob ignore ~ ^heartbeat\n\
             @alice send heartbeat 1\n@alice send hi bob\n@bob expect hi bob\n\
             @bob send hi alice\n@alice expect hi alice\n@alice expect silence 200ms\n"
        ),
    );
    let output = wsx_test(&[&file], &[]);
    assert_passes(&output);
    assert!(
        text(&output.stdout).contains("(9 steps"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn chromium_devtools_protocol_is_a_real_api_to_test() {
    let browser = Browser::launch();
    let file = test_file(
        "devtools.wsx",
        &format!(
            "connect {}\nsend {{\"id\":1,\"method\":\"Browser.getVersion\"}}\n\
             expect $.result.product ~ \"Chrome\"\ncapture version $.result.product\n\
             send {{\"id\":2,\"method\":\"Target.getTargets\"}}\nawait $.id == 2\n",
            browser.devtools_url
        ),
    );
    let output = wsx_test(&[&file], &["-v"]);
    assert_passes(&output);
    let stdout = text(&output.stdout);
    // -v shows each step and what arrived.
    assert!(stdout.contains("Browser.getVersion"), "{stdout}");
    assert!(stdout.contains("< {\"id\":1,\"result\""), "{stdout}");
}

#[test]
fn a_silent_server_fails_expect_after_the_timeout_and_never_hangs() {
    // The console server reads what clients send and says nothing.
    let server = Server::start_with_stdin(&[], std::process::Stdio::piped());
    let file = test_file(
        "silent.wsx",
        &format!(
            "connect {}\nsend anyone?\ntimeout 400ms\nexpect an answer\n",
            server.url
        ),
    );
    let started = Instant::now();
    let output = wsx_test(&[&file], &[]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("nothing matched within 400ms"), "{stdout}");
    assert!(took >= Duration::from_millis(400), "{took:?}");
}

#[test]
fn an_unexpected_close_a_refused_connection_and_an_unknown_variable_fail() {
    let server = Server::start(&["--echo"]);
    let closing = peers::spawn_closing_server(4001, "bad token");
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let cases = [
        (
            format!("connect ws://{closing}/\nsend login\nexpect welcome\n"),
            "close 4001 (private) \"bad token\" (by the server)",
        ),
        (
            format!("connect ws://{refused}/\nsend x\n"),
            "could not connect",
        ),
        (
            format!("connect {}\nsend {{{{token}}}}\n", server.url),
            "unknown variable {{token}}",
        ),
    ];
    for (body, needle) in cases {
        let file = test_file("fails.wsx", &body);
        let output = wsx_test(&[&file], &[]);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(needle), "{stdout}");
    }
}

#[test]
fn parse_errors_exit_2_before_anything_runs() {
    let server = Server::start(&["--echo"]);
    let good = test_file(
        "good.wsx",
        &format!("connect {}\nsend hi\nexpect hi\n", server.url),
    );
    let bad = test_file(
        "bad.wsx",
        "connect ws://127.0.0.1:9/\nexpect json {\"a\": }\n",
    );
    let output = wsx_test(&[&good, &bad], &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    // Nothing ran: no report on stdout, only the error with its place and a caret.
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!("{}:2:8: invalid JSON", bad.display())),
        "{stderr}"
    );
    assert!(stderr.contains("2 | expect json {\"a\": }"), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
    // The caret line ends like every other line: the next error or prompt starts anew.
    assert!(stderr.ends_with("^\n"), "{stderr:?}");
}

#[test]
fn jobs_run_files_at_once_and_the_report_keeps_their_order() {
    let server = Server::start(&["--echo"]);
    let slow = test_file(
        "a_slow.wsx",
        &format!("connect {}\nsleep 2s\nsend a\nexpect a\n", server.url),
    );
    let fast = test_file(
        "b_fast.wsx",
        &format!("connect {}\nsend b\nexpect b\n", server.url),
    );
    let started = Instant::now();
    let output = wsx_test(&[&slow, &fast, &slow, &fast], &["-j", "4"]);
    let took = started.elapsed();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let order: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("PASS "))
        .map(|rest| {
            if rest.contains("a_slow") {
                "slow"
            } else {
                "fast"
            }
        })
        .collect();
    assert_eq!(order, ["slow", "fast", "slow", "fast"], "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    // The two 2 s files one after the other would take 4 s at least: a lower bound on the
    // sequential run, not a timing of the parallel one.
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn jsonl_and_quiet_reports() {
    let server = Server::start(&["--echo"]);
    let pass = test_file(
        "pass.wsx",
        &format!("connect {}\nsend a\nexpect a\n", server.url),
    );
    let fail = test_file(
        "fail.wsx",
        &format!("connect {}\nsend a\nexpect b\n", server.url),
    );
    let output = wsx_test(&[&pass, &fail], &["--jsonl", "--timeout", "300ms"]);
    assert_eq!(output.status.code(), Some(1));
    let events: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let steps = events
        .iter()
        .filter(|event| event["event"] == "step")
        .count();
    assert_eq!(steps, 6);
    let files: Vec<_> = events
        .iter()
        .filter(|event| event["event"] == "file")
        .collect();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["status"].as_str(), files[1]["status"].as_str()),
        (Some("pass"), Some("fail"))
    );
    assert_eq!(files[1]["line"], 3);
    // The human report went to stderr.
    assert!(text(&output.stderr).contains("1 passed, 1 failed"));
    let output = wsx_test(&[&pass, &fail], &["-q", "--timeout", "300ms"]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("PASS"), "{stdout}");
    assert!(
        stdout.contains("FAIL") && stdout.contains("1 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn junit_xml_is_read_by_a_real_xml_parser() {
    let server = Server::start(&["--echo"]);
    let pass = test_file(
        "pass.wsx",
        &format!("connect {}\nsend a\nexpect a\n", server.url),
    );
    let fail = test_file(
        "fail.wsx",
        &format!("connect {}\nsend <x>&]]>\nexpect other\n", server.url),
    );
    let report = scratch_dir().join("report.xml");
    let output = wsx_test(
        &[&pass, &fail],
        &[
            "--junit",
            &report.display().to_string(),
            "--timeout",
            "300ms",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    // Python's xml.etree: a parser nobody here wrote.
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
print(root.tag, suite.get("tests"), suite.get("failures"), len(cases))
for case in cases:
    failure = case.find("failure")
    print(case.get("name").rsplit("/", 1)[-1], "fail" if failure is not None else "pass")
    if failure is not None:
        print(failure.get("message").rsplit("/", 1)[-1])
        print("]]>" in failure.text, "<x>&" in failure.text)
"#;
    let parsed = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&report)
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    let lines: Vec<String> = text(&parsed.stdout).lines().map(String::from).collect();
    assert_eq!(lines[0], "testsuites 2 1 2");
    assert_eq!(lines[1], "pass.wsx pass");
    assert_eq!(lines[2], "fail.wsx fail");
    assert!(
        lines[3].starts_with("fail.wsx:3 expect other: a different message arrived"),
        "{lines:?}"
    );
    assert_eq!(lines[4], "True True");
}

#[test]
fn a_recorded_pipe_session_replays_and_a_changed_server_fails_on_the_right_line() {
    let server = Server::start(&["--echo"]);
    let file = scratch_dir().join("recorded.wsx");
    let record = file.display().to_string();
    let url = server.url.replace("ws://", "ws://al:s3cret@");
    let output = run(
        &[
            "connect",
            &url,
            "-H",
            "Cookie: sid=abc",
            "--record",
            &record,
            "-q",
        ],
        b"hello\n{\"op\":\"sub\",\"ch\":\"prices\"}\nclose\n",
    );
    assert!(output.status.success(), "{output:?}");
    let recorded = std::fs::read_to_string(&file).unwrap();
    assert!(
        !recorded.contains("s3cret") && !recorded.contains("sid=abc"),
        "{recorded}"
    );
    assert!(
        recorded.contains("--var password=… --var cookie=…"),
        "{recorded}"
    );
    let vars = ["--var", "password=s3cret", "--var", "cookie=sid=abc"];
    let output = wsx_test(&[&file], &vars);
    assert_passes(&output);

    // The same conversation against a server that answers otherwise.
    let changed = Server::start(&[
        "--exec",
        "--",
        "sh",
        "-c",
        "while read line; do echo \"changed $line\"; done",
    ]);
    let replay = recorded.replace(&server.addr(), &changed.addr());
    std::fs::write(&file, replay).unwrap();
    let output = wsx_test(&[&file], &[&vars[..], &["--timeout", "1s"]].concat());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let first_expect = recorded
        .lines()
        .position(|line| line.starts_with("expect"))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!(
            "FAIL {}:{first_expect} expect hello",
            file.display()
        )),
        "{stdout}\n{recorded}"
    );
    assert!(stdout.contains("received: changed hello"), "{stdout}");
}

#[test]
fn a_recorded_repl_session_replays() {
    use crate::support::pty::Terminal;
    let server = Server::start(&["--echo"]);
    let file = scratch_dir().join("repl.wsx");
    let record = file.display().to_string();
    let terminal = Terminal::spawn(&["connect", &server.url, "--record", &record, "--no-color"]);
    terminal.wait_for("Ctrl-D quits");
    terminal.type_keys("first line\r");
    terminal.wait_for("< first line");
    terminal.type_keys("/binary 01 02 ff\r");
    terminal.wait_for("< [binary, 3 bytes]");
    terminal.type_keys("/ping hb\r");
    terminal.wait_for("pong hb in");
    terminal.type_keys("/close 4000 done here\r");
    let mut terminal = terminal;
    assert!(terminal.wait_exit().success());
    let recorded = std::fs::read_to_string(&file).unwrap();
    for step in [
        "send first line",
        "expect first line",
        "send binary 0102ff",
        "expect binary 0102ff",
        "ping hb",
        "expect pong hb",
        "close 4000 done here",
    ] {
        assert!(
            recorded.contains(&format!("{step}\n")),
            "{step}: {recorded}"
        );
    }
    let output = wsx_test(&[&file], &[]);
    assert_passes(&output);
}

/// A login mock: greets, expects a login, answers with the user's name.
const MOCK: &str = "# the server's side\n\
send {\"op\":\"hello\"}\n\
expect json {\"op\":\"login\"}\n\
capture user $.user\n\
send {\"op\":\"welcome\",\"user\":\"{{user}}\"}\n\
expect bye\n\
send see you\n";

#[test]
fn serve_script_is_a_mock_that_a_test_file_can_talk_to() {
    let mock = test_file("mock.wsx", MOCK);
    let server = Server::start(&["--script", &mock.display().to_string()]);
    let client = test_file(
        "client.wsx",
        &format!(
            "connect {}\nexpect $.op == \"hello\"\nsend {{\"op\":\"login\",\"user\":\"ann\"}}\n\
             expect json {{\"op\":\"welcome\",\"user\":\"ann\"}}\nsend bye\nexpect see you\n",
            server.url
        ),
    );
    let output = wsx_test(&[&client, &client], &["-j", "2"]);
    assert_passes_all(&output, 2);
}

fn assert_passes_all(output: &Output, files: usize) {
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!("{files} passed, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn a_client_that_deviates_from_the_script_gets_1008_and_the_others_go_on() {
    let mock = test_file("mock.wsx", MOCK);
    let mut server = Server::start(&["--script", &mock.display().to_string()]);
    // The good client logs in first and stays in the middle of its conversation while the
    // bad one deviates.
    let good = test_file(
        "good.wsx",
        &format!(
            "connect {}\nexpect $.op == \"hello\"\nsend {{\"op\":\"login\",\"user\":\"bo\"}}\n\
             expect json {{\"op\":\"welcome\"}}\nsleep 500ms\nsend bye\nexpect see you\n",
            server.url
        ),
    );
    let bad = test_file(
        "bad.wsx",
        &format!(
            "connect {}\nexpect $.op == \"hello\"\nsend {{\"op\":\"logout\"}}\n\
             expect close 1008\n",
            server.url
        ),
    );
    let good_run = {
        let good = good.clone();
        std::thread::spawn(move || wsx_test(&[&good], &[]))
    };
    let output = wsx_test(&[&bad], &[]);
    assert_passes_all(&output, 1);
    assert_passes_all(&good_run.join().unwrap(), 1);
    let logged = server.stderr.wait_for("FAIL");
    assert!(
        logged.contains(&format!("{}:3 expect json", mock.display())),
        "{logged}"
    );
    let closed = server.stderr.wait_for("1008");
    assert!(closed.contains("script failed at line 3"), "{closed}");
}

#[test]
fn a_server_script_with_a_connect_step_is_a_usage_error() {
    let mock = test_file("mock.wsx", "connect ws://127.0.0.1:1/\nsend hi\n");
    let output = run(
        &["serve", "0", "--script", &mock.display().to_string()],
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!("{}:1:1: a server script", mock.display())),
        "{stderr}"
    );
}
