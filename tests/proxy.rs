//! Through real proxies started by the tests: tinyproxy (HTTP CONNECT, with and without basic
//! auth) and microsocks (SOCKS5, with and without user/password); the `*_PROXY`/`NO_PROXY`
//! variables and the flags that override them; and `-v` that shows every exchange without
//! ever showing a credential.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Output, Stdio};

use crate::support::certs::pki;
use crate::support::proxies::{ProxyProcess, free_port};
use crate::support::{DEADLINE, Server, peers, run, text, wait_output, wsx};

const USER: &str = "alice";
const PASS: &str = "pr0xy-s3cret";
const CREDENTIALS: Option<(&str, &str)> = Some((USER, PASS));

/// `wsx connect args…` with these environment variables (on top of the scrubbed ones).
fn run_with_env(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut command = wsx();
    command
        .arg("connect")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn wsx connect");
    // Small enough for the pipe buffer: written in one go, then EOF. A wsx that failed to
    // connect may have exited already: the broken pipe is its business, not the test's.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    wait_output(child, DEADLINE)
}

/// Asserts an echo round trip of "hello" (and exit 0).
fn assert_echoed(output: &Output) {
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "hello\n", "{output:?}");
}

/// Asserts exit 1 with one line on stderr, and returns that line.
fn one_line_failure(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

/// A proxy URL with nothing behind it: going through it fails.
fn dead_proxy() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

#[test]
fn http_connect_proxy_round_trip() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(None);
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(None)],
        b"hello\n",
    );
    assert_echoed(&output);
    proxy.wait_for_log(&format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port));
}

#[test]
fn http_proxy_with_basic_auth() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(CREDENTIALS);
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(CREDENTIALS)],
        b"hello\n",
    );
    assert_echoed(&output);
    assert!(!text(&output.stderr).contains(PASS), "{output:?}");
}

#[test]
fn http_proxy_without_credentials_names_the_hop_and_407() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(CREDENTIALS);
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(None)],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&proxy.url(None)), "{stderr}");
    assert!(stderr.contains("407"), "{stderr}");
    assert!(stderr.contains("user:pass"), "{stderr}");
}

#[test]
fn http_proxy_with_wrong_credentials_names_the_hop() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(CREDENTIALS);
    let wrong = Some((USER, "not-the-password"));
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(wrong)],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&proxy.url(None)), "{stderr}");
    assert!(stderr.contains("rejected the credentials"), "{stderr}");
    // tinyproxy answers a wrong password with 401 (a missing one with 407).
    assert!(stderr.contains("407") || stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

#[test]
fn dead_proxy_is_named() {
    let server = Server::start(&["--echo"]);
    let dead = dead_proxy();
    let output = run(&["connect", &server.url, "--proxy", &dead], b"hello\n");
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&format!("proxy {dead}")), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn socks5_proxy_round_trip() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::microsocks(None);
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(None)],
        b"hello\n",
    );
    assert_echoed(&output);
    proxy.wait_for_log(&format!("connected to 127.0.0.1:{}", server.port));
}

#[test]
fn socks5_proxy_resolves_the_name() {
    // Bound by name, so the address is the one a resolver gives first for localhost,
    // whichever family that is.
    let listener = TcpListener::bind("localhost:0").unwrap();
    let addr = peers::spawn_tcp_server_on(listener, |stream| {
        if let Ok(ws) = tungstenite::accept(stream) {
            peers::echo(ws);
        }
    });
    let proxy = ProxyProcess::microsocks(None);
    let url = format!("ws://localhost:{}/", addr.port());
    let output = run(&["connect", &url, "--proxy", &proxy.url(None)], b"hello\n");
    assert_echoed(&output);
    // socks5h behaviour: the proxy got the name, not an address wsx resolved.
    proxy.wait_for_log(&format!("connected to localhost:{}", addr.port()));
}

#[test]
fn socks5_proxy_with_password() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::microsocks(CREDENTIALS);
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(CREDENTIALS)],
        b"hello\n",
    );
    assert_echoed(&output);

    let wrong = Some((USER, "not-the-password"));
    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(wrong)],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&proxy.url(None)), "{stderr}");
    assert!(stderr.contains("rejected the credentials"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");

    let output = run(
        &["connect", &server.url, "--proxy", &proxy.url(None)],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&proxy.url(None)), "{stderr}");
    assert!(stderr.contains("requires authentication"), "{stderr}");
}

#[test]
fn http_proxy_variable_is_used_for_ws() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(None);
    let dead = dead_proxy();
    for name in ["HTTP_PROXY", "http_proxy"] {
        // HTTPS_PROXY is for wss:// only: pointing it nowhere changes nothing here.
        let output = run_with_env(
            &[&server.url],
            &[(name, &proxy.url(None)), ("HTTPS_PROXY", &dead)],
            b"hello\n",
        );
        assert_echoed(&output);
    }
    proxy.wait_for_log(&format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port));
    // Pointed at nothing, it makes the connection fail: it is really used.
    let output = run_with_env(&[&server.url], &[("HTTP_PROXY", &dead)], b"hello\n");
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&format!("proxy {dead}")), "{stderr}");
}

#[test]
fn https_proxy_variable_is_used_for_wss() {
    let pki = pki();
    let server = Server::start(&[
        "--echo",
        "--cert",
        &pki.server.cert,
        "--key",
        &pki.server.key,
    ]);
    let proxy = ProxyProcess::tinyproxy(None);
    let url = format!("wss://localhost:{}/", server.port);
    let output = run_with_env(
        &[&url, "--cacert", &pki.ca],
        &[
            ("HTTPS_PROXY", &proxy.url(None)),
            ("HTTP_PROXY", &dead_proxy()),
        ],
        b"hello\n",
    );
    assert_echoed(&output);
    proxy.wait_for_log(&format!("CONNECT localhost:{} HTTP/1.1", server.port));
}

#[test]
fn all_proxy_is_the_fallback() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::microsocks(None);
    let output = run_with_env(
        &[&server.url],
        &[("ALL_PROXY", &proxy.url(None))],
        b"hello\n",
    );
    assert_echoed(&output);
    proxy.wait_for_log(&format!("connected to 127.0.0.1:{}", server.port));
}

#[test]
fn no_proxy_bypasses_listed_hosts_and_only_those() {
    let server = Server::start(&["--echo"]);
    let dead = dead_proxy();
    let output = run_with_env(
        &[&server.url],
        &[("HTTP_PROXY", &dead), ("NO_PROXY", "example.com,127.0.0.1")],
        b"hello\n",
    );
    assert_echoed(&output);
    let output = run_with_env(
        &[&server.url],
        &[("http_proxy", &dead), ("no_proxy", "127.0.0.1")],
        b"hello\n",
    );
    assert_echoed(&output);
    // Loopback is not exempt by itself, as in curl: unlisted, it goes to the (dead) proxy.
    let output = run_with_env(
        &[&server.url],
        &[("HTTP_PROXY", &dead), ("NO_PROXY", "example.com")],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains(&format!("proxy {dead}")), "{stderr}");
}

#[test]
fn no_proxy_flag_ignores_the_environment() {
    let server = Server::start(&["--echo"]);
    let dead = dead_proxy();
    let output = run_with_env(
        &[&server.url, "--no-proxy"],
        &[("HTTP_PROXY", &dead), ("ALL_PROXY", &dead)],
        b"hello\n",
    );
    assert_echoed(&output);
}

#[test]
fn proxy_flag_overrides_the_environment() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(None);
    let dead = dead_proxy();
    let output = run_with_env(
        &[&server.url, "--proxy", &proxy.url(None)],
        &[
            ("HTTP_PROXY", &dead),
            ("ALL_PROXY", &dead),
            ("NO_PROXY", ""),
        ],
        b"hello\n",
    );
    assert_echoed(&output);
    proxy.wait_for_log(&format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port));
}

#[test]
fn verbose_shows_the_exchanges_without_credentials() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::tinyproxy(CREDENTIALS);
    let output = run(
        &[
            "connect",
            &server.url,
            "-v",
            "--proxy",
            &proxy.url(CREDENTIALS),
            "--auth",
            "bob:w5-s3cret",
        ],
        b"hello\n",
    );
    assert_echoed(&output);
    let stderr = text(&output.stderr);
    let authority = format!("127.0.0.1:{}", server.port);
    for expected in [
        format!("via proxy {}", proxy.url(None)),
        format!("> CONNECT {authority} HTTP/1.1"),
        "> Proxy-Authorization: Basic ********".to_string(),
        "< HTTP/1.0 200".to_string(),
        "> GET / HTTP/1.1".to_string(),
        format!("> host: {authority}"),
        "> authorization: Basic ********".to_string(),
        "< HTTP/1.1 101 Switching Protocols".to_string(),
        "< upgrade: websocket".to_string(),
    ] {
        assert!(stderr.contains(&expected), "no {expected:?} in {stderr}");
    }
    // Neither password, in clear or in base64 (alice:pr0xy-s3cret, bob:w5-s3cret).
    for secret in [
        PASS,
        "w5-s3cret",
        "YWxpY2U6cHIweHktczNjcmV0",
        "Ym9iOnc1LXMzY3JldA",
    ] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
}

#[test]
fn verbose_through_socks5_hides_the_password() {
    let server = Server::start(&["--echo"]);
    let proxy = ProxyProcess::microsocks(CREDENTIALS);
    let output = run(
        &[
            "connect",
            &server.url,
            "-v",
            "--proxy",
            &proxy.url(CREDENTIALS),
        ],
        b"hello\n",
    );
    assert_echoed(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("via proxy {}", proxy.url(None))),
        "{stderr}"
    );
    assert!(stderr.contains("< HTTP/1.1 101"), "{stderr}");
    assert!(!stderr.contains(PASS), "password leaked: {stderr}");
}
