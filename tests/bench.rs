//! `wsx bench` against real echo servers: what it counts, how it paces, and what it reports
//! when echoes come back wrong.

use serde_json::Value;
use tungstenite::Message;

use crate::support::{Server, peers, run, text};

fn bench_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-q", "--jsonl"]);
    let output = run(&all, b"");
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), summary, text(&output.stderr))
}

#[test]
fn every_echo_over_several_connections_is_counted_and_timed() {
    let server = Server::start(&["--echo"]);
    let (code, summary, stderr) = bench_json(&[
        &server.url,
        "-c",
        "4",
        "-W",
        "8",
        "-n",
        "2000",
        "--size",
        "1KiB",
        "--binary",
        "--warmup",
        "0",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["messages"], 2000);
    assert_eq!(summary["connections"], 4);
    assert_eq!(summary["size"], 1024);
    assert_eq!(summary["type"], "binary");
    assert_eq!(summary["mismatches"], 0);
    assert_eq!(summary["dropped"], 0);
    let rate = summary["messages_per_s"].as_f64().unwrap();
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!((rate * seconds - 2000.0).abs() < 1.0, "{summary}");
    let latency = &summary["latency_ms"];
    let p50 = latency["p50"].as_f64().unwrap();
    let p99 = latency["p99"].as_f64().unwrap();
    let max = latency["max"].as_f64().unwrap();
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{summary}");
}

#[test]
fn warm_up_messages_are_left_out_of_the_figures() {
    let server = Server::start(&["--echo"]);
    let (code, summary, stderr) =
        bench_json(&[&server.url, "-c", "2", "-n", "200", "--warmup", "10"]);
    assert_eq!(code, Some(0), "{stderr}");
    // 10 per connection.
    assert_eq!(summary["messages"], 180);
}

#[test]
fn a_rate_limit_spreads_the_messages_out() {
    let server = Server::start(&["--echo"]);
    // 60 messages at 200 per second take at least 0.3 s, however fast the server is.
    let (code, summary, stderr) = bench_json(&[
        &server.url,
        "-c",
        "2",
        "-n",
        "60",
        "--rate",
        "200",
        "--warmup",
        "0",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["messages"], 60);
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!(seconds >= 0.25, "{summary}");
    assert!(
        summary["messages_per_s"].as_f64().unwrap() <= 240.0,
        "{summary}"
    );
}

#[test]
fn altered_echoes_are_mismatches_and_fail_the_run() {
    // Echoes every message but turns its last byte into a `!`.
    let addr = peers::spawn_ws_server(|mut ws| {
        while let Ok(message) = ws.read() {
            let Message::Text(text) = message else {
                continue;
            };
            let mut altered = text.as_str().to_string();
            altered.pop();
            altered.push('!');
            if ws.send(Message::text(altered)).is_err() {
                return;
            }
        }
    });
    let url = format!("ws://{addr}");
    let (code, summary, stderr) = bench_json(&[&url, "-n", "50", "--warmup", "0"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(summary["mismatches"], 50, "{summary}");
    assert!(
        stderr.contains("50 mismatched echoes (first: echo 0 came back with other bytes"),
        "{stderr}"
    );
}

#[test]
fn the_summary_for_people() {
    let server = Server::start(&["--echo"]);
    let output = run(&["bench", &server.url, "-n", "500", "-c", "1"], b"");
    assert!(output.status.success(), "{output:?}");
    let summary = text(&output.stdout);
    for expected in [
        "1 connection, 64 in flight each, 32-byte text messages",
        "msg/s",
        "MB/s",
        "p50",
        "p99.9",
        "errors    0 mismatched echoes, 0 dropped connections",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} not in:\n{summary}"
        );
    }
}

#[test]
fn a_server_that_closes_early_is_named_with_its_close_code() {
    // Echoes two messages, then closes with 1001.
    let addr = peers::spawn_ws_server(|mut ws| {
        for _ in 0..2 {
            match ws.read() {
                Ok(message) => {
                    let _ = ws.send(message);
                }
                Err(_) => return,
            }
        }
        let _ = ws.close(Some(tungstenite::protocol::CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::Away,
            reason: "restarting".into(),
        }));
        while ws.read().is_ok() {}
    });
    let url = format!("ws://{addr}");
    let output = run(&["bench", &url, "-n", "100", "-W", "1"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("1 dropped connection (first: closed by the server with 1001"),
        "{stderr}"
    );
    assert!(stderr.contains("after 2 of 100 echoes"), "{stderr}");
}

#[test]
fn large_messages_with_a_full_window_complete() {
    // 64 messages of 1 MiB in flight: more than the socket buffers hold.
    let server = Server::start(&["--echo"]);
    let (code, summary, stderr) = bench_json(&[
        &server.url,
        "--size",
        "1MiB",
        "-n",
        "128",
        "-W",
        "64",
        "--binary",
        "--warmup",
        "0",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["messages"], 128);
    assert_eq!(summary["mismatches"], 0);
}

#[test]
fn bench_takes_the_client_options_of_connect() {
    use crate::support::certs::pki;
    let pki = pki();
    // wss:// with a private CA and a required client certificate, a subprotocol and an
    // Origin: each connection dials the same validated client.
    let mut server = Server::start(&[
        "--echo",
        "--cert",
        &pki.server.cert,
        "--key",
        &pki.server.key,
        "--client-ca",
        &pki.client_ca,
        "-s",
        "chat",
        "--origin",
        "http://bench.test",
    ]);
    let url = format!("wss://localhost:{}/", server.port);
    let (code, summary, stderr) = bench_json(&[
        &url,
        "-c",
        "3",
        "-n",
        "300",
        "--cacert",
        &pki.ca,
        "--cert",
        &pki.client.cert,
        "--key",
        &pki.client.key,
        "-s",
        "chat",
        "-o",
        "http://bench.test",
        "--connect-timeout",
        "5",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["dropped"], 0, "{summary}");
    for _ in 0..3 {
        let line = server.stderr.wait_for("connected from");
        assert!(line.contains("(subprotocol: chat)"), "{line}");
    }
    // Without the client certificate the server refuses: bench fails as connect would.
    let (code, _, stderr) = bench_json(&[&url, "-n", "10", "--cacert", &pki.ca]);
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn bench_goes_through_a_proxy() {
    use crate::support::proxies::ProxyProcess;
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(None);
    let (code, summary, stderr) = bench_json(&[
        &server.url,
        "-c",
        "2",
        "-n",
        "200",
        "--proxy",
        &proxy.url(None),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["dropped"], 0, "{summary}");
    proxy.wait_for_log(&format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port));
}
