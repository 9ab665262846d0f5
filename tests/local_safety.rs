//! Local safety for `serve --exec`: a web page from another origin, or one reaching the
//! server through a rebound DNS name, must not get a program to run. Tested with headless
//! Chromium, whose resolver maps `evil.test` to 127.0.0.1 so that a page can come from a
//! non-loopback origin without leaving the machine.

use crate::support::browser::{Browser, Page};
use crate::support::{Server, scratch_dir};

/// Chromium with `evil.test` resolving to this machine.
fn browser() -> Browser {
    Browser::launch_with(&["--host-resolver-rules=MAP evil.test 127.0.0.1"])
}

/// Opens a WebSocket from the page and says how it went: `open: ECHO` after one round trip,
/// or `closed CODE` when the server refused the handshake.
fn try_websocket(page: &mut Page<'_>, url: &str) -> String {
    let script = format!(
        "new Promise((resolve) => {{
            const ws = new WebSocket('{url}');
            ws.onopen = () => ws.send('whoami');
            ws.onmessage = (event) => {{ resolve('open: ' + event.data); ws.close(); }};
            ws.onclose = (event) => resolve('closed ' + event.code);
        }})"
    );
    page.evaluate(&script)
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// An --exec server whose program leaves a file behind when it runs at all.
fn exec_server(flags: &[&str]) -> (Server, std::path::PathBuf) {
    let ran = scratch_dir().join("ran");
    let program = format!(
        "touch '{}'; while read line; do echo \"ran $line\"; done",
        ran.display()
    );
    let mut args = vec!["--exec"];
    args.extend_from_slice(flags);
    args.extend(["--", "sh", "-c", &program]);
    (Server::start(&args), ran)
}

#[test]
fn a_page_from_another_origin_cannot_run_the_program() {
    let pages = Server::start(&["--echo"]);
    let (mut exec, ran) = exec_server(&[]);
    let mut browser = browser();
    let mut page = browser.open(&format!("http://evil.test:{}/", pages.port));
    let outcome = try_websocket(&mut page, &format!("ws://127.0.0.1:{}/", exec.port));
    assert_eq!(outcome, "closed 1006");
    let line = exec.stderr.wait_for("refused with 403");
    assert!(
        line.contains(&format!("http://evil.test:{}", pages.port)) && line.contains("--origin"),
        "{line}"
    );
    assert!(!ran.exists(), "the program ran for a foreign page");

    // A loopback page (a dev server on another port) is the operator's own: allowed.
    let mut page = browser.open(&format!("http://127.0.0.1:{}/", pages.port));
    let outcome = try_websocket(&mut page, &format!("ws://127.0.0.1:{}/", exec.port));
    assert_eq!(outcome, "open: ran whoami");
    // The connect line names the page's origin.
    let line = exec.stderr.wait_for("connected from");
    assert!(
        line.contains(&format!("origin: http://127.0.0.1:{}", pages.port)),
        "{line}"
    );
}

#[test]
fn origin_flags_let_a_named_page_in() {
    let pages = Server::start(&["--echo"]);
    let origin = format!("http://evil.test:{}", pages.port);
    let (exec, _) = exec_server(&["--origin", &origin]);
    let (any, _) = exec_server(&["--origin", "*"]);
    let mut browser = browser();
    let mut page = browser.open(&format!("{origin}/"));
    for server in [&exec, &any] {
        let outcome = try_websocket(&mut page, &format!("ws://127.0.0.1:{}/", server.port));
        assert_eq!(outcome, "open: ran whoami");
    }
}

#[test]
fn a_rebound_host_name_is_refused_on_a_loopback_listener() {
    let (mut exec, ran) = exec_server(&["--origin", "*"]);
    let mut browser = browser();
    // The exec server's own page, reached as evil.test: same origin as the WebSocket it opens,
    // as after a DNS rebinding.
    let mut page = browser.open(&format!("http://evil.test:{}/", exec.port));
    let outcome = try_websocket(&mut page, &format!("ws://evil.test:{}/", exec.port));
    assert_eq!(outcome, "closed 1006");
    let line = exec.stderr.wait_for("refused with 403");
    assert!(
        line.contains("evil.test") && line.contains("DNS rebinding"),
        "{line}"
    );
    assert!(!ran.exists(), "the program ran for a rebound name");
}

#[test]
fn other_modes_keep_their_open_default() {
    // An echo server runs nothing for its clients: any page may use it, as before.
    let echo = Server::start(&["--echo"]);
    let mut browser = browser();
    let mut page = browser.open(&format!("http://evil.test:{}/", echo.port));
    let outcome = try_websocket(&mut page, &format!("ws://127.0.0.1:{}/", echo.port));
    assert_eq!(outcome, "open: whoami");
}

#[test]
fn script_and_exec_refuse_a_foreign_origin_from_any_client() {
    let mock = scratch_dir().join("mock.wsx");
    std::fs::write(&mock, "send hi\n").unwrap();
    let script = Server::start(&["--script", &mock.display().to_string()]);
    let (exec, _) = exec_server(&[]);
    for server in [&script, &exec] {
        let output = crate::support::run(&["connect", &server.url, "-o", "http://evil.test"], b"");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            crate::support::text(&output.stderr).contains("403"),
            "{output:?}"
        );
        // No Origin at all (not a browser) is let in.
        let output = crate::support::run(&["connect", &server.url, "-n", "1", "-x", "x"], b"");
        assert!(output.status.success(), "{output:?}");
    }
}
