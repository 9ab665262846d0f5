//! Hostile and broken clients against `wsx serve`: raw frames that break RFC 6455, clients
//! that vanish by the thousand, a client that stops reading. Each test checks that the
//! offender gets the right close code and that the server keeps serving everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Client, DEADLINE, Server, peers, run, text};

/// A client speaking raw bytes after a real opening handshake.
struct RawClient {
    stream: TcpStream,
}

impl RawClient {
    fn connect(server: &Server) -> RawClient {
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .write_all(
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            )
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{}", text(&head));
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        RawClient { stream }
    }

    /// Sends one frame: `first_byte` is FIN, RSV1-3 and the opcode.
    fn send_frame(&mut self, first_byte: u8, payload: &[u8], masked: bool) {
        let mut frame = vec![first_byte];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            len @ 0..=125 => frame.push(mask_bit | len as u8),
            len @ 126..=65535 => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if masked {
            let key = [0x12, 0x34, 0x56, 0x78];
            frame.extend_from_slice(&key);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        } else {
            frame.extend_from_slice(payload);
        }
        // The server may close before reading all of it; that is its right.
        let _ = self.stream.write_all(&frame);
    }

    /// Reads frames until a Close arrives; returns its code.
    fn close_code(&mut self) -> Option<u16> {
        loop {
            let mut header = [0u8; 2];
            self.stream.read_exact(&mut header).ok()?;
            let mut len = u64::from(header[1] & 0x7f);
            if len == 126 {
                let mut extended = [0u8; 2];
                self.stream.read_exact(&mut extended).ok()?;
                len = u64::from(u16::from_be_bytes(extended));
            } else if len == 127 {
                let mut extended = [0u8; 8];
                self.stream.read_exact(&mut extended).ok()?;
                len = u64::from_be_bytes(extended);
            }
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).ok()?;
            if header[0] & 0x0f == 0x8 {
                return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
            }
        }
    }
}

fn assert_still_serving(server: &Server) {
    let output = run(&["connect", &server.url], b"still here\n");
    assert_eq!(text(&output.stdout), "still here\n", "{output:?}");
}

#[test]
fn protocol_violations_get_the_right_close_codes() {
    let server = Server::start(&["--echo"]);
    let cases: [(&str, u8, Vec<u8>, bool, u16); 6] = [
        (
            "invalid UTF-8 in text",
            0x81,
            vec![0xff, 0xfe, 0xfd],
            true,
            1007,
        ),
        ("unmasked client frame", 0x81, b"hi".to_vec(), false, 1002),
        ("reserved bit set", 0x81 | 0x40, b"hi".to_vec(), true, 1002),
        ("unknown data opcode", 0x83, b"hi".to_vec(), true, 1002),
        ("unknown control opcode", 0x8b, b"hi".to_vec(), true, 1002),
        (
            "control frame over 125 bytes",
            0x89,
            vec![b'p'; 126],
            true,
            1002,
        ),
    ];
    for (what, first_byte, payload, masked, expected) in cases {
        let mut client = RawClient::connect(&server);
        client.send_frame(first_byte, &payload, masked);
        assert_eq!(client.close_code(), Some(expected), "{what}");
    }
    assert_still_serving(&server);
}

#[test]
fn oversize_message_gets_1009() {
    let server = Server::start(&["--echo", "--max-message-size", "1000"]);
    let mut client = RawClient::connect(&server);
    client.send_frame(0x82, &[7u8; 2000], true);
    assert_eq!(client.close_code(), Some(1009));
    assert_still_serving(&server);
}

#[test]
fn a_frame_over_the_frame_limit_gets_1009_unless_the_limit_is_raised() {
    // One unfragmented 20 MiB frame: within the 64 MiB message limit, over the 16 MiB frame
    // limit.
    let mut server = Server::start(&["--echo"]);
    let mut client = RawClient::connect(&server);
    client.send_frame(0x82, &vec![7u8; 20 << 20], true);
    assert_eq!(client.close_code(), Some(1009));
    server
        .stderr
        .wait_for("a frame of 20971520 bytes is over the 16777216-byte limit (--max-frame-size)");
    assert_still_serving(&server);

    let server = Server::start(&["--echo", "--max-frame-size", "32MiB"]);
    let mut ws = peers::ws_client(&server.url);
    ws.send(tungstenite::Message::binary(vec![7u8; 20 << 20]))
        .unwrap();
    // The echo comes back in fragments, which tungstenite puts together.
    match ws.read().unwrap() {
        tungstenite::Message::Binary(data) => assert_eq!(data.len(), 20 << 20),
        other => panic!("expected the echo, got {other:?}"),
    }
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[test]
fn vanishing_clients_leak_no_descriptors() {
    let mut server = Server::start(&["--echo", "-q"]);
    let pid = server.child.id();
    // Warm up: the runtime opens what it needs on first use.
    drop(RawClient::connect(&server));
    assert_still_serving(&server);
    let baseline = open_descriptors(pid);
    for round in 0..3 {
        let clients: Vec<RawClient> = (0..1000).map(|_| RawClient::connect(&server)).collect();
        assert!(
            open_descriptors(pid) >= baseline + 1000,
            "round {round}: clients not held"
        );
        // Gone without a Close frame.
        drop(clients);
        let until = Instant::now() + DEADLINE;
        while open_descriptors(pid) > baseline && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            open_descriptors(pid),
            baseline,
            "round {round}: descriptors leaked"
        );
    }
    assert_still_serving(&server);
    assert!(server.child.try_wait().unwrap().is_none(), "server died");
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_the_others_keep_up() {
    let mut server = Server::start(&["--broadcast", "--queue-limit", "64"]);
    // Reads nothing at all after the handshake.
    let stalled = RawClient::connect(&server);
    server.stderr.wait_for("[1] connected");
    let mut reader = Client::start(&[&server.url]);
    server.stderr.wait_for("[2] connected");
    let mut sender = Client::start(&[&server.url]);
    server.stderr.wait_for("[3] connected");
    // Chunks of 50 messages of 64 KiB, each read by the reader before the next: the reader
    // keeps up, while the stalled client's socket buffers and then its 64-message queue fill.
    let filler = "x".repeat(64 * 1024);
    let mut sent = 0;
    let dropped = loop {
        assert!(sent < 2000, "the stalled client was never dropped");
        for _ in 0..50 {
            sender.send_line(&format!("{sent:05}{filler}"));
            sent += 1;
        }
        let received = reader.stdout.take(50);
        for (offset, message) in received.iter().enumerate() {
            let expected = format!("{:05}", sent - 50 + offset);
            assert!(
                message.starts_with(&expected),
                "expected message {expected} next"
            );
        }
        reader.stdout.seen.clear();
        let stderr: Vec<String> =
            std::iter::from_fn(|| server.stderr.next_line(Duration::from_millis(1))).collect();
        if let Some(line) = stderr
            .iter()
            .find(|line| line.contains("[1] outgoing queue full"))
        {
            break line.clone();
        }
    };
    assert!(
        dropped.contains("closing the client with 1008"),
        "{dropped}"
    );
    // The others go on as before.
    sender.send_line("after the drop");
    assert_eq!(reader.stdout.take(1), vec!["after the drop"]);
    assert!(sender.finish().success());
    assert!(reader.finish().success());
    drop(stalled);
}

#[test]
fn ten_thousand_messages_in_flight_come_back_in_order() {
    let server = Server::start(&["--echo"]);
    let output = run(
        &[
            "bench",
            &server.url,
            "-c",
            "1",
            "-W",
            "10000",
            "-n",
            "10000",
            "-q",
            "--jsonl",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["mismatches"], 0);
    assert_eq!(summary["dropped"], 0);
}

#[test]
fn running_out_of_descriptors_is_reported_and_survived() {
    // A hard limit of 64 open files: the server cannot raise it, so the 70 clients below
    // exhaust it.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\" serve 127.0.0.1:0 --echo"])
        .arg(crate::support::wsx_path())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = crate::support::Lines::new(child.stderr.take().unwrap());
    let url = stderr.wait_for("listening on").replace("listening on ", "");
    let addr = url.trim().trim_start_matches("ws://").to_string();
    let held: Vec<TcpStream> = (0..70)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    stderr.wait_for("too many open files (limit 64)");
    drop(held);
    // Once descriptors are free again, new clients are served.
    let until = Instant::now() + DEADLINE;
    loop {
        let output = run(&["connect", &url, "-q"], b"back\n");
        if text(&output.stdout) == "back\n" {
            break;
        }
        assert!(Instant::now() < until, "never served again: {output:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_closes_clients_with_1001_and_exits_zero() {
    let mut server = Server::start(&[]);
    let mut client = Client::start(&[&server.url, "--jsonl"]);
    server.stderr.wait_for("[1] connected");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let close = client.stdout.wait_for("\"close\"");
    assert!(close.contains("\"code\":1001"), "{close}");
    assert!(client.finish().success());
    let status = crate::support::wait_status(&mut server.child, DEADLINE);
    assert!(status.expect("server exits").success());
}
