//! Bytes in, bytes out: `--raw` and `-x @FILE` move files byte for byte, binary messages are
//! written with nothing added, and peer text on a terminal is shown escaped.

use crate::support::pty::Terminal;
use crate::support::{Server, run, scratch_dir, text};

/// Bytes that line-based input would mangle: every byte value, CRs, LFs and CRLFs, over
/// several 64 KiB reads.
fn awkward_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|index| match index % 97 {
            0 => b'\r',
            1 => b'\n',
            _ => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            }
        })
        .collect()
}

#[test]
fn raw_round_trip_is_byte_exact() {
    let server = Server::start(&["--echo"]);
    let data = awkward_bytes(200_000);
    let output = run(&["connect", &server.url, "--raw", "-q"], &data);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout.len(), data.len());
    assert!(output.stdout == data, "the echo differs from what was sent");
}

#[test]
fn raw_serve_console_sends_stdin_bytes_to_a_raw_client() {
    let data = awkward_bytes(100_000);
    let file = scratch_dir().join("payload.bin");
    std::fs::write(&file, &data).unwrap();
    let server = Server::start_with_stdin(
        &["--raw"],
        std::process::Stdio::from(std::fs::File::open(&file).unwrap()),
    );
    // Two reads of at most 64 KiB each: two binary messages, written back to back.
    let output = run(&["connect", &server.url, "--raw", "-n", "2"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        output.stdout == data,
        "received {} bytes",
        output.stdout.len()
    );
}

#[test]
fn binary_messages_are_written_with_nothing_added() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-b", "-q"], b"\x00\xff\r\n");
    assert!(output.status.success(), "{output:?}");
    // -b splits on lines (the line ending is not sent); the echo comes back as it went.
    assert_eq!(output.stdout, b"\x00\xff");
    let output = run(
        &["connect", &server.url, "-b", "-q", "--binary-output", "hex"],
        b"\x00\xff\n",
    );
    assert_eq!(text(&output.stdout), "00ff\n");
}

#[test]
fn execute_at_file_sends_the_file_as_one_message() {
    let server = Server::start(&["--echo"]);
    let dir = scratch_dir();
    let json = dir.join("request.json");
    std::fs::write(&json, "{\n  \"op\": \"subscribe\"\n}\n").unwrap();
    let output = run(
        &[
            "connect",
            &server.url,
            "-x",
            &format!("@{}", json.display()),
            "--jsonl",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let message = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|event| event["event"] == "message")
        .expect("the echo");
    assert_eq!(message["type"], "text");
    assert_eq!(message["data"], "{\n  \"op\": \"subscribe\"\n}\n");

    let binary = dir.join("blob.bin");
    let data = awkward_bytes(70_000);
    std::fs::write(&binary, &data).unwrap();
    let at_binary = format!("@{}", binary.display());
    let output = run(
        &["connect", &server.url, "--raw", "-x", &at_binary, "-q"],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stdout == data,
        "received {} bytes",
        output.stdout.len()
    );

    // A file that is not UTF-8 cannot be a text message: a usage error, nothing sent.
    let output = run(&["connect", &server.url, "-x", &at_binary], b"");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("not valid UTF-8") && stderr.contains("-b"),
        "{stderr}"
    );
    // @@ escapes a message that starts with @.
    let output = run(&["connect", &server.url, "-x", "@@mention", "-q"], b"");
    assert_eq!(text(&output.stdout), "@mention\n");
    let output = run(&["connect", &server.url, "-x", "@/no/such/file"], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("/no/such/file"), "{output:?}");
}

#[test]
fn peer_text_cannot_drive_a_terminal_on_stdout() {
    // A server that tries to set the title, clear the screen and write the clipboard.
    let server = Server::start(&[
        "--exec",
        "--",
        "sh",
        "-c",
        r"read line; printf 'before\033]0;pwned\007\033[2J\033]52;c;aGk=\007after\n'; sleep 5",
    ]);
    // -x with stdin a terminal: pipe mode, stdout on the terminal.
    let mut terminal = Terminal::spawn(&["connect", &server.url, "-x", "go", "-n", "1"]);
    terminal.wait_for("after");
    let screen = terminal.contents();
    assert!(
        screen.contains(r"before\x1b]0;pwned\x07\x1b[2J\x1b]52;c;aGk=\x07after"),
        "{screen}"
    );
    assert!(terminal.wait_exit().success());
}
