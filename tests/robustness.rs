//! A server never lets one client hurt the others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Server, run, text};

#[test]
fn stalled_and_silent_clients_do_not_delay_others() {
    let server = Server::start(&["--echo"]);
    let mut silent = TcpStream::connect(server.addr()).unwrap();
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpg")
        .unwrap();
    let output = run(&["connect", &server.url], b"through\n");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "through\n");
    // Both are still held open by the server (within its handshake timeout).
    silent.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    assert!(matches!(silent.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock));
    drop(stalled);
}

#[test]
fn a_stalled_handshake_times_out() {
    let mut server = Server::start(&["--echo", "--handshake-timeout", "0.5"]);
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = Vec::new();
    let _ = stalled.read_to_end(&mut buffer);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not closed by the server"
    );
    server.stderr.wait_for("not completed within 0.5s");
}

/// A server that takes publishes looks at each connection's first bytes before a worker
/// opens it: the handshake timeout still counts from the connection, not from those bytes.
#[test]
fn the_handshake_timeout_counts_from_the_connection() {
    let mut server = Server::start(&["--broadcast", "--handshake-timeout", "2"]);
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.addr()).unwrap();
    let mut slow = TcpStream::connect(server.addr()).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    for stream in [&mut silent, &mut slow] {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{rest:?}");
    }
    // Dropped at 2 s; counted from the first bytes it would have been 3.2 s.
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(2900), "{elapsed:?}");
    server.stderr.wait_for("not completed within 2s");
    server.stderr.wait_for("not completed within 2s");
}

#[test]
fn garbage_gets_400_and_plain_http_gets_426() {
    let server = Server::start(&["--echo"]);
    let mut garbage = TcpStream::connect(server.addr()).unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    garbage.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    let mut plain = TcpStream::connect(server.addr()).unwrap();
    plain
        .write_all(b"GET /api HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    plain.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");

    let mut bad_version = TcpStream::connect(server.addr()).unwrap();
    bad_version
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    bad_version.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Version: 13"), "{answer}");

    // And the server still serves.
    let output = run(&["connect", &server.url], b"alive\n");
    assert_eq!(text(&output.stdout), "alive\n");
}

#[test]
fn oversize_message_closes_with_1009_and_others_continue() {
    let server = Server::start(&["--echo", "--max-message-size", "1KiB"]);
    let big = format!("{}\n", "x".repeat(2048));
    let output = run(&["connect", &server.url, "-w", "30"], big.as_bytes());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("1009"), "{output:?}");
    let output = run(&["connect", &server.url], b"small\n");
    assert_eq!(text(&output.stdout), "small\n");
}

#[test]
fn a_request_head_over_16_kib_gets_431() {
    let server = Server::start(&["--echo"]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "{}",
        &answer[..answer.len().min(80)]
    );
}

#[test]
fn refusals_are_logged() {
    let mut server = Server::start(&["--echo", "--origin", "https://good.test"]);
    let output = run(&["connect", &server.url, "-o", "https://evil.test"], b"");
    assert_eq!(output.status.code(), Some(1));
    server
        .stderr
        .wait_for("refused with 403: origin https://evil.test is not allowed");
}

#[test]
fn bench_gives_up_on_a_server_that_does_not_echo() {
    // The console server without input reads messages but never answers them.
    let server = Server::start_with_stdin(&[], std::process::Stdio::piped());
    let output = run(&["bench", &server.url, "-n", "100"], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no echo for 10s"), "{stderr}");
    assert!(stderr.contains("1 dropped connection"), "{stderr}");
    // The final line says why: the limit, not just "closed by wsx bench".
    assert!(
        stderr.contains("no echo within 10s, the limit for a server that does not echo"),
        "{stderr}"
    );
    // The header came before the wait; nothing was measured, so no figures pretend otherwise.
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with(&format!("{}/: 1 connection", server.url)),
        "{stdout}"
    );
    assert!(stdout.contains("p50 –"), "{stdout}");
}
