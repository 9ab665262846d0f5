//! Exit codes: 0 for a normal ending, 1 for failures, 2 for bad usage.

use std::net::TcpListener;

use crate::support::{Server, peers, run, text};

#[test]
fn refused_connection_names_the_address() {
    // A port that was just released has nobody listening on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run(&["connect", &format!("ws://127.0.0.1:{port}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn http_404_instead_of_101() {
    let addr = peers::spawn_http_status_server("404 Not Found", "no such endpoint");
    let output = run(&["connect", &format!("ws://{addr}/missing")], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("404 Not Found"), "{stderr}");
    assert!(stderr.contains("no such endpoint"), "{stderr}");
}

#[test]
fn a_long_refusal_body_is_cut_with_an_ellipsis() {
    let body: &'static str = "word ".repeat(100).leak();
    let addr = peers::spawn_http_status_server("403 Forbidden", body);
    let output = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.trim_end().ends_with("word…"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn verbose_shows_the_101_that_failed_the_subprotocol_check() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-v", "-s", "chat"], b"hi\n");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("> sec-websocket-protocol: chat"),
        "{stderr}"
    );
    assert!(
        stderr.contains("< HTTP/1.1 101 Switching Protocols"),
        "{stderr}"
    );
    assert!(
        stderr.contains("accepted none of the offered subprotocols"),
        "{stderr}"
    );
}

#[test]
fn verbose_shows_the_refused_response_headers() {
    let addr = peers::spawn_http_status_server("403 Forbidden", "");
    let output = run(
        &[
            "connect",
            &format!("ws://{addr}/"),
            "-v",
            "--auth",
            "user:secret",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("> GET / HTTP/1.1"), "{stderr}");
    assert!(stderr.contains("< HTTP/1.1 403 Forbidden"), "{stderr}");
    assert!(stderr.contains("x-test: yes"), "{stderr}");
    assert!(stderr.contains("authorization: Basic ********"), "{stderr}");
    assert!(
        !stderr.contains("dXNlcjpzZWNyZXQ"),
        "credentials leaked: {stderr}"
    );
}

#[test]
fn normal_close_exits_zero() {
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url], b"hi\n");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn peer_closing_with_1000_exits_zero() {
    let addr = peers::spawn_closing_server(1000, "done");
    let output = run(&["connect", &format!("ws://{addr}/"), "-w", "30"], b"hi\n");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn peer_closing_with_1011_exits_one_with_code_and_reason() {
    let addr = peers::spawn_closing_server(1011, "boom");
    let output = run(
        &["connect", &format!("ws://{addr}/"), "-q", "-w", "30"],
        b"hi\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1011"), "{stderr}");
    assert!(stderr.contains("boom"), "{stderr}");
}

#[test]
fn a_refusal_that_crosses_our_close_is_reported_with_its_code() {
    // The message is refused with 1009 while wsx, at the end of its input, closes with 1000.
    let server = Server::start(&["--echo", "--max-message-size", "10"]);
    let output = run(
        &["connect", &server.url, "-x", "01234567890123", "--jsonl"],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let close = text(&output.stdout)
        .lines()
        .find(|line| line.contains("\"close\""))
        .map(str::to_string)
        .expect("a close event");
    assert!(close.contains("\"code\":1009"), "{close}");
    assert!(close.contains("\"by\":\"peer\""), "{close}");
}

/// A server that reads a request and answers it with `response`, whatever it was.
fn spawn_answering_server(response: String) -> std::net::SocketAddr {
    peers::spawn_tcp_server(move |mut stream| {
        use std::io::{Read, Write};
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer);
        let _ = stream.write_all(response.as_bytes());
    })
}

/// A server that answers every request with a redirect to `location`.
fn spawn_redirecting_server(location: String) -> std::net::SocketAddr {
    spawn_answering_server(format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ))
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_host() {
    let mut server = Server::start(&["--echo", "-v"]);
    // Same server, another name: 127.0.0.1 redirects to localhost.
    let redirecting = spawn_redirecting_server(format!("ws://localhost:{}/moved", server.port));
    let url = format!("ws://{redirecting}/old");
    let output = run(
        &[
            "connect",
            &url,
            "-L",
            "--auth",
            "user:secret",
            "-H",
            "Cookie: c=1",
            "-H",
            "X-Kept: yes",
        ],
        b"hi\n",
    );
    assert!(output.status.success(), "{output:?}");
    server.stderr.wait_for("> x-kept: yes");
    // The rest of the second request's head.
    while server
        .stderr
        .next_line(std::time::Duration::from_millis(200))
        .is_some()
    {}
    let seen = server.stderr.seen.join("\n");
    assert!(!seen.contains("authorization"), "{seen}");
    assert!(!seen.contains("cookie"), "{seen}");
}

#[test]
fn a_redirect_to_another_scheme_is_a_failed_handshake() {
    let redirecting = spawn_redirecting_server("file:///etc/passwd".into());
    let output = run(&["connect", &format!("ws://{redirecting}/"), "-L"], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains("the server redirected to file:///etc/passwd"),
        "{output:?}"
    );
}

#[test]
fn a_refusal_shows_the_servers_reason() {
    let server = Server::start(&["--echo", "--origin", "https://app.test"]);
    let output = run(&["connect", &server.url, "-o", "https://evil.test"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("403 Forbidden instead of 101 Switching Protocols: origin https://evil.test is not allowed"),
        "{stderr}"
    );
}

#[test]
fn an_http_1_0_server_is_named_as_such() {
    let addr =
        spawn_answering_server("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>".into());
    let output = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("answered in HTTP/1.0"),
        "{output:?}"
    );
}

#[test]
fn peer_vanishing_without_close_exits_one() {
    let addr = peers::spawn_ws_server(|mut ws| {
        let _ = ws.read();
        // Dropping the socket without a Close frame: 1006 for the client.
    });
    let output = run(&["connect", &format!("ws://{addr}/"), "-w", "30"], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("1006"), "{output:?}");
}

#[test]
fn bad_usage_exits_two() {
    let output = run(&["connect"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["connect", "ws://127.0.0.1:9/", "-H", "no colon"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("Name: value"));
    let output = run(&["connect", "ftp://127.0.0.1/"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["serve", "not-an-address:x"], b"");
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["serve", "127.0.0.1:0", "--threads", "0"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--threads must be at least 1"));
    // A zero that would leave wsx waiting forever, or refusing everyone.
    let output = run(&["connect", "ws://127.0.0.1:9/", "-n", "0"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("-n/--count must be at least 1"));
    let output = run(&["serve", "127.0.0.1:0", "--max-connections", "0"], b"");
    assert_eq!(output.status.code(), Some(2));
    for (args, complaint) in [
        (
            &["connect", "ws://127.0.0.1:9/", "-s", "a b"][..],
            "not a valid subprotocol",
        ),
        (
            &["connect", "ws://127.0.0.1:9/", "--connect-timeout", "0"],
            "more than 0",
        ),
        (
            &["serve", "127.0.0.1:0", "--handshake-timeout", "0"],
            "more than 0",
        ),
        (
            &["serve", "127.0.0.1:0", "--threads", "100000"],
            "--threads takes at most",
        ),
        (
            &["bench", "ws://127.0.0.1:9/", "-n", "10", "--warmup", "10"],
            "nothing to measure",
        ),
        // A missing PEM file is said as any missing file is.
        (
            &[
                "serve",
                "127.0.0.1:0",
                "--cert",
                "/nonexistent/cert.pem",
                "--key",
                "/nonexistent/key.pem",
            ],
            "cannot read certificates from /nonexistent/cert.pem: no such file or directory",
        ),
        // Paths checked before anything runs: a suite should not pass, then fail on its
        // report; a proxy should not fail once per client.
        (
            &["test", "any.wsx", "--junit", "/"],
            "--junit FILE: / is a directory",
        ),
        (
            &[
                "proxy",
                "127.0.0.1:0",
                "ws://127.0.0.1:9/",
                "--record",
                "/dev/null",
            ],
            "--record DIR: /dev/null is a file, not a directory",
        ),
        // A port alone is not a URL (it would be the IPv4 address 0.0.35.40).
        (&["connect", "9000"], "ws://127.0.0.1:9000"),
        (&["proxy", "9000"], "is not a URL"),
        (
            &["proxy", "127.0.0.1:0", "ws://127.0.0.1:9/", "-o", "*"],
            "--allow-origin",
        ),
        (
            &["connect", "ws://127.0.0.1:9/", "-w", "abc"],
            "not a number of seconds",
        ),
    ] {
        let output = run(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(complaint),
            "{args:?}: {output:?}"
        );
    }
    // What was typed comes back escaped: a carriage return cannot overwrite the message.
    let server = Server::start(&["--echo"]);
    let output = run(&["connect", &server.url, "-H", "X: a\rb"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("invalid header value"),
        "{output:?}"
    );
    assert!(!output.stderr.contains(&b'\r'), "{output:?}");
}

/// A server that reads the request head and answers with `respond(sec_websocket_key)`.
fn spawn_scripted_server(respond: fn(&str) -> String) -> std::net::SocketAddr {
    peers::spawn_tcp_server(move |mut stream| {
        use std::io::{BufRead, BufReader, Write};
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut key = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("sec-websocket-key:") {
                key = line[line.len() - value.len()..].trim().to_string();
            }
            line.clear();
        }
        let _ = stream.write_all(respond(&key).as_bytes());
        std::thread::sleep(std::time::Duration::from_millis(200));
    })
}

#[test]
fn a_wrong_accept_key_is_a_failed_handshake() {
    let addr = spawn_scripted_server(|_| {
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n"
            .to_string()
    });
    let output = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("handshake with"), "{stderr}");
    assert!(stderr.to_lowercase().contains("accept"), "{stderr}");
}

#[test]
fn a_subprotocol_that_was_not_offered_is_refused() {
    let addr = spawn_scripted_server(|key| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: sneaky\r\n\r\n",
            tungstenite::handshake::derive_accept_key(key.as_bytes())
        )
    });
    let output = run(&["connect", &format!("ws://{addr}/"), "-s", "chat"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("chose a subprotocol that was not offered"),
        "{output:?}"
    );
}

#[test]
fn redirects_are_followed_with_location_only() {
    let server = Server::start(&["--echo"]);
    let redirecting = spawn_redirecting_server(format!("{}/moved", server.url));
    let url = format!("ws://{redirecting}/old");
    let output = run(&["connect", &url], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("302 Found"), "{stderr}");
    assert!(stderr.contains("/moved: add -L to follow"), "{stderr}");
    let output = run(&["connect", &url, "-L"], b"hi\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "hi\n");
    assert!(
        text(&output.stderr).contains("redirected to ws://127.0.0.1"),
        "{output:?}"
    );
}

#[test]
fn an_html_error_page_is_summed_up_by_its_title() {
    let addr = peers::spawn_http_status_server(
        "404 Not Found",
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>",
    );
    let output = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "server answered 404 Not Found instead of 101 Switching Protocols: 404 Not Found"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("<html>"), "{stderr}");
}

#[test]
fn a_401_suggests_credentials_until_some_are_sent() {
    let addr = peers::spawn_http_status_server("401 Unauthorized", "");
    let url = format!("ws://{addr}/");
    let output = run(&["connect", &url], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--auth USER:PASS") && stderr.contains("-H"),
        "{stderr}"
    );
    let output = run(&["connect", &url, "--auth", "al:wrong"], b"");
    assert!(
        text(&output.stderr).contains("refused the credentials sent"),
        "{output:?}"
    );
}

#[test]
fn a_broken_http_answer_is_called_malformed() {
    let addr = peers::spawn_http_status_server("abc nonsense", "");
    let output = run(&["connect", &format!("ws://{addr}/")], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("malformed HTTP response"), "{stderr}");
    assert!(!stderr.contains("wss://"), "{stderr}");
}

#[test]
fn a_url_of_another_scheme_or_a_bare_host_name_is_explained() {
    let output = run(&["ftp://example.test/"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr).trim_end(),
        "wsx: unsupported URL scheme 'ftp' (use ws:// or wss://)"
    );
    let output = run(&["localhost"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr).trim_end(),
        "wsx: 'localhost' is not a command; to connect to it: wsx connect ws://localhost/"
    );
}
