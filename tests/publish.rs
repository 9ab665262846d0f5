//! `serve` as a push server: channels under `--broadcast`, and HTTP publish with the real
//! `curl`: text and binary bodies, the delivered count, tokens, refusals, a burst in order.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use crate::support::{Client, Server, run, scratch_dir, text};

fn curl(args: &[&str]) -> (String, String) {
    crate::support::require_debian_packages(&[("curl", "curl")]);
    let output = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    let out = text(&output.stdout);
    let (body, status) = out.rsplit_once('\n').unwrap_or(("", ""));
    (status.to_string(), body.trim_end().to_string())
}

#[test]
fn broadcast_stays_within_a_channel() {
    let mut server = Server::start(&["--broadcast"]);
    let mut a1 = Client::start(&[&format!("{}/a", server.url)]);
    server.stderr.wait_for("[1] connected");
    let mut a2 = Client::start(&[&format!("{}/a?user=2", server.url)]);
    server.stderr.wait_for("[2] connected");
    let mut b = Client::start(&[&format!("{}/b", server.url), "--jsonl"]);
    server.stderr.wait_for("[3] connected");
    a1.send_line("for channel a");
    assert_eq!(a2.stdout.take(1), ["for channel a"]);
    b.send_line("for channel b");
    // a2 next sees a1's second message, not b's.
    a1.send_line("again a");
    assert_eq!(a2.stdout.take(1), ["again a"]);
    assert!(a1.finish().success());
    assert!(a2.finish().success());
    assert!(b.finish().success());
    b.stdout.wait_for("\"close\"");
    let events = b.stdout.seen.join("\n");
    assert!(!events.contains("\"message\""), "{events}");
}

#[test]
fn curl_publishes_text_and_binary_to_a_channel() {
    let mut server = Server::start(&["--broadcast"]);
    let mut reader = Client::start(&[&format!("{}/prices", server.url), "--jsonl"]);
    server.stderr.wait_for("[1] connected");
    let mut other = Client::start(&[&format!("{}/news", server.url), "--jsonl"]);
    server.stderr.wait_for("[2] connected");
    let base = format!("http://{}", server.addr());
    let (status, body) = curl(&["-d", "price=7", &format!("{base}/prices")]);
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("200", "{\"delivered\":1}")
    );
    let message: serde_json::Value =
        serde_json::from_str(&reader.stdout.wait_for("\"message\"")).unwrap();
    assert_eq!(
        (message["type"].as_str(), message["data"].as_str()),
        (Some("text"), Some("price=7"))
    );

    let blob = scratch_dir().join("blob.bin");
    std::fs::write(&blob, [0u8, 0xff, 0x10]).unwrap();
    let (status, _) = curl(&[
        "--data-binary",
        &format!("@{}", blob.display()),
        "-H",
        "Content-Type: application/octet-stream",
        &format!("{base}/prices"),
    ]);
    assert_eq!(status, "200");
    let message: serde_json::Value =
        serde_json::from_str(&reader.stdout.wait_for("\"message\"")).unwrap();
    assert_eq!(
        (message["type"].as_str(), message["data"].as_str()),
        (Some("binary"), Some("AP8Q"))
    );

    // Text that is valid UTF-8 but declared binary goes as binary; nobody on /empty.
    let (status, body) = curl(&[
        "-d",
        "hello",
        "-H",
        "Content-Type: application/octet-stream",
        &format!("{base}/news"),
    ]);
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("200", "{\"delivered\":1}")
    );
    let message: serde_json::Value =
        serde_json::from_str(&other.stdout.wait_for("\"message\"")).unwrap();
    assert_eq!(message["type"], "binary");
    let (status, body) = curl(&["-d", "x", &format!("{base}/empty")]);
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("200", "{\"delivered\":0}")
    );
    server
        .stderr
        .wait_for("POST /empty: delivered to 0 clients");
}

#[test]
fn publish_refusals_name_their_reason() {
    let server = Server::start(&[
        "--broadcast",
        "--publish-token",
        "s3cret",
        "--max-message-size",
        "1KiB",
    ]);
    let url = format!("http://{}/prices", server.addr());
    let (status, body) = curl(&["-d", "x", &url]);
    assert_eq!(status, "401");
    assert!(body.contains("Bearer"), "{body}");
    let (status, _) = curl(&["-d", "x", "-H", "Authorization: Bearer wrong", &url]);
    assert_eq!(status, "401");
    let (status, body) = curl(&["-d", "x", "-H", "Authorization: Bearer s3cret", &url]);
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("200", "{\"delivered\":0}")
    );
    let big = "x".repeat(2048);
    let (status, body) = curl(&["-d", &big, "-H", "Authorization: Bearer s3cret", &url]);
    assert_eq!(status, "413");
    assert!(body.contains("--max-message-size"), "{body}");

    let off = Server::start(&["--broadcast", "--no-publish"]);
    let (status, body) = curl(&["-d", "x", &format!("http://{}/prices", off.addr())]);
    assert_eq!(status, "405");
    assert!(body.contains("--no-publish"), "{body}");
    let echo = Server::start(&["--echo"]);
    let (status, body) = curl(&["-d", "x", &format!("http://{}/prices", echo.addr())]);
    assert_eq!(status, "405");
    assert!(body.contains("console and --broadcast"), "{body}");
}

#[test]
fn a_chunked_publish_is_read_whole() {
    let server = Server::start(&["--broadcast"]);
    let mut reader = Client::start(&[&format!("{}/c", server.url), "-n", "1"]);
    let mut server = server;
    server.stderr.wait_for("[1] connected");
    let (status, _) = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "-d",
        "sent in chunks",
        &format!("http://{}/c", server.addr()),
    ]);
    assert_eq!(status, "200");
    assert_eq!(reader.stdout.take(1), ["sent in chunks"]);
}

/// One publish over its own connection, which the answer ends.
fn post(addr: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_burst_of_ten_thousand_publishes_arrives_whole_and_in_order() {
    let mut server = Server::start(&["--broadcast"]);
    let count = 10_000;
    let reader = std::thread::spawn({
        let url = format!("{}/burst", server.url);
        move || run(&["connect", &url, "-n", &count.to_string(), "-q"], b"")
    });
    server.stderr.wait_for("[1] connected");
    let addr = server.addr();
    for index in 0..count {
        let answer = post(&addr, "/burst", &format!("message {index}"));
        assert!(answer.contains("{\"delivered\":1}"), "{answer}");
    }
    let output = reader.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<String> = text(&output.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), count);
    for (index, line) in lines.iter().enumerate() {
        assert_eq!(line, &format!("message {index}"));
    }
}

#[test]
fn serve_jsonl_names_each_clients_channel() {
    let mut server = Server::start(&["--broadcast", "--jsonl"]);
    let mut events = server.stdout_lines();
    let mut client = Client::start(&[&format!("{}/prices?v=2", server.url)]);
    client.send_line("7");
    let open: serde_json::Value = serde_json::from_str(&events.wait_for("\"open\"")).unwrap();
    assert_eq!(
        (open["client"].as_u64(), open["channel"].as_str()),
        (Some(1), Some("/prices"))
    );
    let message: serde_json::Value = serde_json::from_str(&events.wait_for("\"message\"")).unwrap();
    assert_eq!(message["channel"], "/prices");
    assert!(client.finish().success());
}

#[test]
fn publishers_at_once_each_arrive_whole_and_in_their_order() {
    // Publishes that arrive together go out together; none is lost, none overtakes another
    // of the same publisher, and each is answered with the channel's count.
    let mut server = Server::start(&["--broadcast"]);
    let (publishers, each) = (8, 300);
    let reader = std::thread::spawn({
        let url = format!("{}/together", server.url);
        let total = publishers * each;
        move || run(&["connect", &url, "-n", &total.to_string(), "-q"], b"")
    });
    server.stderr.wait_for("[1] connected");
    let addr = server.addr();
    let senders: Vec<_> = (0..publishers)
        .map(|publisher| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for index in 0..each {
                    let answer = post(&addr, "/together", &format!("{publisher} {index}"));
                    assert!(answer.contains("{\"delivered\":1}"), "{answer}");
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let output = reader.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut next = vec![0; publishers];
    for line in text(&output.stdout).lines() {
        let (publisher, index) = line.split_once(' ').unwrap();
        let publisher: usize = publisher.parse().unwrap();
        assert_eq!(index.parse::<usize>().unwrap(), next[publisher], "{line}");
        next[publisher] += 1;
    }
    assert_eq!(next, vec![each; publishers]);
}

/// One answer on a kept-alive connection: its head and a body of its Content-Length.
fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the answer ended early");
        answer.push(byte[0]);
    }
    let head = String::from_utf8(answer).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8(body).unwrap()
}

#[test]
fn a_kept_alive_connection_publishes_one_message_after_another() {
    let mut server = Server::start(&["--broadcast"]);
    let mut reader = Client::start(&[&format!("{}/pool", server.url)]);
    server.stderr.wait_for("[1] connected");
    let addr = server.addr();
    let mut stream = TcpStream::connect(&addr).unwrap();
    for body in ["first", "second", "third"] {
        write!(
            stream,
            "POST /pool HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let answer = read_answer(&mut stream);
        assert!(answer.contains("Connection: keep-alive"), "{answer}");
        assert!(answer.ends_with("{\"delivered\":1}\n"), "{answer}");
    }
    assert_eq!(reader.stdout.take(3), ["first", "second", "third"]);
    // Only publishes ride on it: anything else is refused, and the connection ends.
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut rest = String::new();
    stream.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("HTTP/1.1 400"), "{rest}");
    assert!(rest.contains("Connection: close"), "{rest}");
}

/// Publishes over plain TCP are answered apart from the clients' workers; over TLS they stay
/// where the TLS state is. Both deliver, one publish after another on a kept-alive
/// connection (curl reuses its connection for a second URL).
#[test]
fn curl_publishes_over_tls_on_a_kept_alive_connection() {
    crate::support::require_debian_packages(&[("curl", "curl")]);
    let pki = crate::support::certs::pki();
    let mut server = Server::start(&[
        "--broadcast",
        "--cert",
        &pki.server.cert,
        "--key",
        &pki.server.key,
    ]);
    let url = format!("wss://localhost:{}/room", server.port);
    let mut reader = Client::start(&[&url, "--cacert", &pki.ca]);
    server.stderr.wait_for("[1] connected");
    let publish = format!("https://localhost:{}/room", server.port);
    let output = Command::new("curl")
        .args(["-sS", "-v", "--cacert", &pki.ca, "-d", "over tls"])
        .args([&publish, &publish])
        .output()
        .expect("run curl");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        text(&output.stdout),
        "{\"delivered\":1}\n{\"delivered\":1}\n"
    );
    let trace = text(&output.stderr);
    assert!(trace.contains("Re-using existing connection"), "{trace}");
    assert_eq!(reader.stdout.take(2), ["over tls", "over tls"]);
}
