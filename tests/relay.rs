//! `wsx proxy` between real clients and real servers: what crosses in each direction, the
//! handshake passed on (path, query, headers, subprotocol, refusals), injection from the
//! console, each disturbance measured from outside, recording, local safety.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::browser::Browser;
use crate::support::pty::Terminal;
use crate::support::third_party::{Peer, PeerServer};
use crate::support::{Client, DEADLINE, Lines, Server, peers, run, scratch_dir, text, wsx};

/// `wsx proxy 127.0.0.1:0 UPSTREAM ARGS…`, once it listens.
struct Proxy {
    child: std::process::Child,
    url: String,
    port: u16,
    stderr: Lines,
    stdout: Option<Lines>,
}

impl Proxy {
    fn start(upstream: &str, args: &[&str]) -> Proxy {
        let mut child = wsx()
            .args(["proxy", "127.0.0.1:0", upstream])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsx proxy");
        let mut stderr = Lines::new(child.stderr.take().unwrap());
        let stdout = Some(Lines::new(child.stdout.take().unwrap()));
        let line = stderr.wait_for("listening on ");
        let rest = line.split("listening on ").nth(1).unwrap();
        let (url, target) = rest
            .split_once(" -> ")
            .expect("listening on URL -> UPSTREAM");
        assert!(target.starts_with("ws"), "{line}");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Proxy {
            child,
            url: url.to_string(),
            port,
            stderr,
            stdout,
        }
    }

    fn events(&mut self) -> Lines {
        self.stdout.take().unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

#[test]
fn messages_cross_both_ways_and_the_log_tells_the_directions() {
    let upstream = Server::start(&["--echo"]);
    let mut proxy = Proxy::start(&upstream.url, &["--jsonl"]);
    let mut events = proxy.events();
    let output = run(&["connect", &proxy.url, "-q"], b"hello\nworld\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "hello\nworld\n");
    let mut seen = Vec::new();
    for _ in 0..4 {
        let line = events.wait_for("\"message\"");
        let event = event(&line);
        seen.push((
            event["from"].as_str().unwrap().to_string(),
            event["data"].as_str().unwrap().to_string(),
        ));
        assert_eq!(event["client"], 1);
    }
    let from_client: Vec<_> = seen
        .iter()
        .filter(|(from, _)| from == "client")
        .map(|(_, data)| data.as_str())
        .collect();
    let from_upstream: Vec<_> = seen
        .iter()
        .filter(|(from, _)| from == "upstream")
        .map(|(_, data)| data.as_str())
        .collect();
    assert_eq!(from_client, ["hello", "world"]);
    assert_eq!(from_upstream, ["hello", "world"]);
    // The client's Close reached the upstream, and the upstream's answer came back.
    let close = event(&events.wait_for("\"close\""));
    assert_eq!(close["code"], 1000);
}

#[test]
fn a_browser_talks_through_the_proxy_to_python_websockets() {
    let upstream = PeerServer::echo(Peer::Python);
    let mut proxy = Proxy::start(&upstream.url, &["--jsonl"]);
    let mut events = proxy.events();
    // A page from a loopback origin (a local dev server), as local safety allows.
    let pages = Server::start(&["--echo"]);
    let mut browser = Browser::launch();
    let mut page = browser.open(&format!("http://{}/", pages.addr()));
    let answer = page.evaluate(&format!(
        "new Promise((resolve) => {{
            const ws = new WebSocket('ws://127.0.0.1:{}/room?x=1');
            ws.onopen = () => ws.send('from the browser');
            ws.onmessage = (event) => {{ resolve(event.data); ws.close(); }};
            ws.onclose = (event) => resolve('closed ' + event.code);
        }})",
        proxy.port
    ));
    assert_eq!(answer, "from the browser");
    let first = event(&events.wait_for("\"message\""));
    assert_eq!(
        (first["from"].as_str(), first["data"].as_str()),
        (Some("client"), Some("from the browser"))
    );
    let second = event(&events.wait_for("\"message\""));
    assert_eq!(
        (second["from"].as_str(), second["data"].as_str()),
        (Some("upstream"), Some("from the browser"))
    );
}

#[test]
fn the_handshake_goes_through_to_node_ws() {
    // The Node echo server logs each connection's path, headers and subprotocol, and picks the
    // first subprotocol offered.
    let mut upstream = PeerServer::echo(Peer::Node);
    let proxy = Proxy::start(
        &format!("{}/api", upstream.url),
        &["-H", "X-Added: by the proxy"],
    );
    let output = run(
        &[
            "connect",
            &format!("{}/chat?room=7", proxy.url),
            "-H",
            "Cookie: session=abc",
            "-s",
            "v2.chat",
            "-s",
            "v1.chat",
            "-x",
            "hi",
            "-n",
            "1",
            "--jsonl",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let open = event(text(&output.stdout).lines().next().unwrap());
    let connection = upstream.event("connection");
    assert_eq!(connection["path"], "/api/chat?room=7", "{connection}");
    let headers = &connection["headers"];
    assert_eq!(headers["cookie"], "session=abc", "{connection}");
    assert_eq!(headers["x-added"], "by the proxy", "{connection}");
    assert!(
        headers["host"]
            .as_str()
            .unwrap()
            .ends_with(&upstream.url.rsplit(':').next().unwrap().to_string()),
        "{connection}"
    );
    // The subprotocol the upstream chose is the one the client got.
    assert_eq!(
        connection["subprotocol"], open["subprotocol"],
        "{connection} / {open}"
    );
    assert!(open["subprotocol"].is_string(), "{open}");
}

#[test]
fn upstream_refusals_reach_the_client_as_they_were() {
    for (status, body) in [
        ("401 Unauthorized", "token required"),
        ("404 Not Found", "no such room"),
    ] {
        let addr = peers::spawn_http_status_server(status, body);
        let proxy = Proxy::start(&format!("ws://{addr}/"), &[]);
        let output = run(&["connect", &proxy.url], b"");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("server answered {status}")),
            "{stderr}"
        );
        assert!(stderr.contains(body), "{stderr}");
    }
}

#[test]
fn delay_adds_its_time_to_a_round_trip() {
    let upstream = Server::start(&["--echo"]);
    let proxy = Proxy::start(&upstream.url, &["--delay", "300ms"]);
    let started = Instant::now();
    let output = run(
        &["connect", &proxy.url, "-x", "ping me", "-n", "1", "-q"],
        b"",
    );
    let took = started.elapsed();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "ping me\n");
    // Both ways: at least 600 ms in all (a lower bound, not a timing of the fast path).
    assert!(took >= Duration::from_millis(600), "{took:?}");
}

#[test]
fn drop_removes_exactly_the_matching_messages() {
    let upstream = Server::start(&["--echo"]);
    let mut proxy = Proxy::start(&upstream.url, &["--drop", "~^heartbeat"]);
    let output = run(
        &["connect", &proxy.url, "-q"],
        b"one\nheartbeat 1\ntwo\nheartbeat 2\nthree\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "one\ntwo\nthree\n");
    let dropped = proxy
        .stderr
        .wait_for("dropped client→upstream: heartbeat 1");
    assert!(dropped.contains("--drop"), "{dropped}");
    proxy
        .stderr
        .wait_for("dropped client→upstream: heartbeat 2");
}

#[test]
fn disconnect_after_cuts_the_client_without_a_close() {
    let mut upstream = Server::start(&["--echo", "--jsonl"]);
    let mut upstream_events = upstream.stdout_lines();
    let proxy = Proxy::start(&upstream.url, &["--disconnect-after", "5"]);
    let output = run(
        &["connect", &proxy.url, "-w", "10"],
        b"1\n2\n3\n4\n5\n6\n7\n8\n",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1006"), "{stderr}");
    // The upstream saw its connection end without a Close either.
    let close = event(&upstream_events.wait_for("\"close\""));
    assert_eq!(close["code"], 1006, "{close}");
    // Five messages crossed, counted both ways: what the upstream got and what came back.
    let to_upstream = upstream_events
        .seen
        .iter()
        .filter(|line| line.contains("\"event\":\"message\""))
        .count();
    let back = text(&output.stdout).lines().count();
    assert_eq!(to_upstream + back, 5, "{to_upstream} up, {back} back");
}

#[test]
fn the_console_injects_both_ways() {
    let mut upstream = Server::start(&["--broadcast"]);
    // A second client of the upstream sees what the proxied client "says".
    let mut watcher = Client::start(&[&upstream.url]);
    upstream.stderr.wait_for("[1] connected");
    let terminal = Terminal::spawn(&["proxy", "127.0.0.1:0", &upstream.url, "--no-color"]);
    terminal.wait_for("listening on ws://127.0.0.1:");
    let url = terminal.url_on_screen();
    let mut client = Client::start(&[&url]);
    terminal.wait_for("[1] * connected from");
    terminal.type_keys("/client 1 as if from upstream\r");
    assert_eq!(client.stdout.take(1), ["as if from upstream"]);
    terminal.type_keys("/upstream 1 as if from the client\r");
    assert_eq!(watcher.stdout.take(1), ["as if from the client"]);
    assert!(client.finish().success());
}

#[test]
fn a_recorded_proxy_session_replays_against_the_upstream() {
    let upstream = Server::start(&["--echo"]);
    let dir = scratch_dir().join("recorded");
    let record = dir.display().to_string();
    let mut proxy = Proxy::start(&upstream.url, &["--record", &record]);
    let output = run(
        &["connect", &format!("{}/room", proxy.url), "-q"],
        b"alpha\nbeta\n",
    );
    assert!(output.status.success(), "{output:?}");
    proxy.stderr.wait_for("closed");
    let (file, recorded) = recording(&dir, 1, "close");
    assert!(
        recorded.contains(&format!("connect {}/room", upstream.url)),
        "{recorded}"
    );
    assert_replays(&file, &recorded);
}

#[test]
fn a_foreign_origin_and_a_rebound_host_are_refused() {
    let upstream = Server::start(&["--echo"]);
    let proxy = Proxy::start(&upstream.url, &[]);
    let output = run(
        &["connect", &proxy.url, "-H", "Origin: http://evil.test"],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("403"), "{output:?}");
    let output = run(&["connect", &proxy.url, "-H", "Host: evil.test"], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("403"), "{output:?}");
}

#[test]
fn an_upstream_flood_toward_a_client_that_does_not_read_stays_bounded() {
    // The upstream sends 1 MiB messages as fast as it can make them; the client behind the
    // proxy reads one and stops. The proxy's queue toward it (16 MiB), then TCP toward the
    // upstream, hold the rest: never the whole flood.
    let upstream = Server::start(&[
        "--exec",
        "--",
        "sh",
        "-c",
        r#"while :; do head -c 1048576 /dev/zero | tr '\0' a; echo; done"#,
    ]);
    let proxy = Proxy::start(&upstream.url, &[]);
    let mut ws = peers::ws_client(&proxy.url);
    assert_eq!(peers::read_text(&mut ws).len(), 1 << 20);
    let until = Instant::now() + Duration::from_secs(2);
    let mut peak = 0;
    while Instant::now() < until {
        peak = peak.max(crate::support::rss_bytes(proxy.child.id()));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(peak < 128 << 20, "proxy RSS reached {} MiB", peak >> 20);
}

/// Waits until the proxy has written `client-ID.wsx` up to a line containing `until`.
fn recording(dir: &std::path::Path, id: u32, until: &str) -> (String, String) {
    let file = dir.join(format!("client-{id}.wsx"));
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok(recorded) = std::fs::read_to_string(&file)
            && recorded.contains(until)
        {
            return (file.display().to_string(), recorded);
        }
        assert!(
            Instant::now() < deadline,
            "no recording at {}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Replays a recorded file with `wsx test`, which must pass.
fn assert_replays(file: &str, recorded: &str) {
    let replay = run(&["test", file], b"");
    assert!(
        replay.status.success(),
        "{}\n{recorded}",
        text(&replay.stdout)
    );
}

#[test]
fn a_session_the_upstream_ends_is_recorded_so_that_it_replays() {
    let upstream = PeerServer::echo(Peer::Node);
    let dir = scratch_dir().join("recorded");
    let mut proxy = Proxy::start(&upstream.url, &["--record", &dir.display().to_string()]);
    let output = run(
        &[
            "connect",
            &proxy.url,
            "-x",
            "hi",
            "-x",
            "close-with 4002 gone",
            "-q",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    proxy.stderr.wait_for("closed");
    let (file, recorded) = recording(&dir, 1, "expect close 4002");
    // The upstream's Close is expected, never made by the replay as well.
    let steps: Vec<&str> = recorded
        .lines()
        .filter(|line| !line.starts_with('#'))
        .skip(1)
        .collect();
    assert_eq!(
        steps,
        [
            "send hi",
            "send close-with 4002 gone",
            "expect hi",
            "expect close 4002"
        ],
        "{recorded}"
    );
    assert_replays(&file, &recorded);
}

#[test]
fn a_client_close_is_recorded_once() {
    let upstream = Server::start(&["--echo"]);
    let dir = scratch_dir().join("recorded");
    let mut proxy = Proxy::start(&upstream.url, &["--record", &dir.display().to_string()]);
    let output = run(&["connect", &proxy.url, "-q"], b"one\n");
    assert!(output.status.success(), "{output:?}");
    proxy.stderr.wait_for("closed");
    let (file, recorded) = recording(&dir, 1, "close 1000");
    assert_eq!(recorded.matches("close").count(), 1, "{recorded}");
    assert_replays(&file, &recorded);
}

#[test]
fn dropped_messages_are_recorded_as_comments_and_not_replayed() {
    let upstream = Server::start(&["--echo"]);
    let dir = scratch_dir().join("recorded");
    let mut proxy = Proxy::start(
        &upstream.url,
        &["--drop", "~^secret", "--record", &dir.display().to_string()],
    );
    let output = run(&["connect", &proxy.url, "-q"], b"a\nsecret1\nb\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "a\nb\n");
    proxy.stderr.wait_for("closed");
    let (file, recorded) = recording(&dir, 1, "close 1000");
    assert!(
        recorded.contains("# dropped by --drop: send secret1\n"),
        "{recorded}"
    );
    assert!(!recorded.contains("\nsend secret1"), "{recorded}");
    assert_replays(&file, &recorded);
}

#[test]
fn a_close_without_a_code_crosses_as_one() {
    let mut upstream = PeerServer::echo(Peer::Node);
    let proxy = Proxy::start(&upstream.url, &[]);
    // From the upstream: the client sees no code, as it would directly.
    let output = run(&["connect", &proxy.url, "-x", "close-with", "--jsonl"], b"");
    assert!(output.status.success(), "{output:?}");
    let close = text(&output.stdout)
        .lines()
        .map(event)
        .find(|event| event["event"] == "close")
        .expect("a close event");
    assert_eq!(close["code"], Value::Null, "{close}");
    assert_eq!(close["by"], "peer", "{close}");
    // From the client: the upstream sees no code either (Node reports it as 1005).
    let mut ws = peers::ws_client(&proxy.url);
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    let mut codes = Vec::new();
    while codes.len() < 2 {
        let line = upstream.stdout.wait_for("\"close\"");
        codes.push(event(&line)["code"].clone());
        upstream.stdout.seen.clear();
    }
    assert_eq!(codes[1], 1005, "{codes:?}");
}

#[test]
fn the_jsonl_log_marks_dropped_messages() {
    let upstream = Server::start(&["--echo"]);
    let mut proxy = Proxy::start(&upstream.url, &["--drop", "~^secret", "--jsonl"]);
    let mut events = proxy.events();
    let output = run(&["connect", &proxy.url, "-q"], b"a\nsecret1\n");
    assert!(output.status.success(), "{output:?}");
    let mut messages = Vec::new();
    while messages.len() < 3 {
        let line = events.wait_for("\"message\"");
        events.seen.clear();
        messages.push(event(&line));
    }
    let summary: Vec<(String, String, bool)> = messages
        .iter()
        .map(|message| {
            (
                message["from"].as_str().unwrap().to_string(),
                message["data"].as_str().unwrap().to_string(),
                message["dropped"] == true,
            )
        })
        .collect();
    assert!(
        summary.contains(&("client".into(), "secret1".into(), true)),
        "{summary:?}"
    );
    assert!(
        summary.contains(&("client".into(), "a".into(), false)),
        "{summary:?}"
    );
    assert!(
        summary.contains(&("upstream".into(), "a".into(), false)),
        "{summary:?}"
    );
}
