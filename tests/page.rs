//! The built-in test page, in a real browser: headless Chromium loads it from
//! `wsx serve --broadcast` and chats with a `wsx connect` client through it. A screenshot is
//! saved as target/test-artifacts/page.png for people to look at.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use crate::support::browser::Browser;
use crate::support::{Client, Server, peers, text};

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    text(&answer)
}

#[test]
fn the_page_is_served_for_get_unless_no_page() {
    let server = Server::start(&["--echo"]);
    let answer = get(&server.addr(), "/");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Content-Type: text/html; charset=utf-8"));
    for id in [
        "url",
        "connect",
        "disconnect",
        "message",
        "send",
        "log",
        "state",
    ] {
        assert!(answer.contains(&format!("id=\"{id}\"")), "no #{id}");
    }

    let server = Server::start(&["--echo", "--no-page"]);
    let answer = get(&server.addr(), "/");
    assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
}

#[test]
fn the_page_chats_with_a_wsx_client_in_a_real_browser() {
    let mut server = Server::start(&["--broadcast"]);
    let mut browser = Browser::launch();
    let mut page = browser.open(&format!("http://{}/", server.addr()));
    let own_url = format!("{}/", server.url);
    assert_eq!(
        page.evaluate("document.getElementById('url').value"),
        own_url.as_str()
    );
    assert_eq!(page.text("state"), "closed");

    page.click("connect");
    page.wait_for(
        "document.getElementById('state').textContent === 'open'",
        "the page connects",
    );
    server.stderr.wait_for("[1] connected");
    // Binary messages as hex lines: raw binary would have nothing after it to end a line.
    let mut client = Client::start(&[&server.url, "--binary-output", "hex"]);
    server.stderr.wait_for("[2] connected");

    // From the page: typed and sent with the button, then with Enter, then binary as hex.
    page.type_into("message", "hello from the page");
    page.click("send");
    assert_eq!(client.stdout.take(1), ["hello from the page"]);
    page.type_into("message", "sent with Enter");
    page.press_enter();
    assert_eq!(client.stdout.take(1), ["sent with Enter"]);
    page.evaluate("document.getElementById('binary').checked = true");
    page.type_into("message", "77 69 72 65");
    page.click("send");
    assert_eq!(client.stdout.take(1), ["77697265"]); // "wire", as a binary message
    page.evaluate("document.getElementById('binary').checked = false");

    // To the page.
    client.send_line("hello from wsx");
    page.wait_for(
        "document.getElementById('log').textContent.includes('< hello from wsx')",
        "the client's message shows in the log",
    );

    // Every log line starts with its time.
    let stamps = page.evaluate(
        "Array.from(document.querySelectorAll('#log > div'), (line) => line.firstChild.textContent)",
    );
    let stamps = stamps.as_array().unwrap();
    assert!(stamps.len() >= 6, "{stamps:?}");
    for stamp in stamps {
        let stamp = stamp.as_str().unwrap();
        let shape: String = stamp
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "99:99:99.999 ", "{stamp:?}");
    }

    page.click("disconnect");
    page.wait_for(
        "document.getElementById('state').textContent === 'closed'",
        "the page disconnects",
    );
    assert!(
        page.text("log").contains("closed: 1000"),
        "{}",
        page.text("log")
    );
    server.stderr.wait_for("[1] closed by peer: 1000");

    // Any server, not only its own: one that closes with a code and a reason of its own.
    let other = peers::spawn_closing_server(4000, "bye now");
    page.evaluate(&format!(
        "document.getElementById('url').value = 'ws://{other}/'"
    ));
    page.click("connect");
    page.wait_for(
        "document.getElementById('state').textContent === 'open'",
        "the page connects to another server",
    );
    page.type_into("message", "anyone there?");
    page.press_enter();
    page.wait_for(
        "document.getElementById('log').textContent.includes('closed: 4000 \"bye now\"')",
        "the close code and reason show in the log",
    );
    assert_eq!(page.text("state"), "closed");

    let screenshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/page.png");
    page.screenshot(&screenshot);
    assert!(client.finish().success());
}

#[test]
fn the_page_shows_hostile_text_escaped_and_indented() {
    let server = Server::start(&["--broadcast"]);
    let mut browser = Browser::launch();
    let mut page = browser.open(&format!("http://{}/", server.addr()));
    page.click("connect");
    page.wait_for(
        "document.getElementById('state').textContent === 'open'",
        "the page connects",
    );
    // A second line that imitates a log line, and a right-to-left override.
    let hostile = crate::support::scratch_dir().join("hostile.txt");
    std::fs::write(
        &hostile,
        "first\n12:00:00.000 * fake\u{202E}txt.exe\u{200B}",
    )
    .unwrap();
    let output = crate::support::run(
        &[
            "connect",
            &server.url,
            "-x",
            &format!("@{}", hostile.display()),
            "-q",
        ],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    page.wait_for(
        "document.getElementById('log').textContent.includes('fake')",
        "the message shows in the log",
    );
    let log = page.text("log");
    assert!(
        log.contains("< first\n  12:00:00.000 * fake\\u{202e}txt.exe\\u{200b}"),
        "{log}"
    );
}
