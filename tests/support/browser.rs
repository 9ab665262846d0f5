//! Headless Chromium for the built-in page test, driven over the Chrome DevTools Protocol:
//! JSON commands on a WebSocket, spoken here with the tungstenite dev-dependency. Debian's
//! `chromium` is installed on first use (the tests run as root in CI); where that cannot
//! happen the test fails and names the command. No browser is ever downloaded, and nothing is
//! skipped silently.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::{DEADLINE, Lines, scratch_dir, wait_status};

const BROWSER: &str = "chromium";

fn ensure_installed() {
    super::require_debian_packages(&[(BROWSER, "chromium")]);
}

/// A headless Chromium with a fresh profile; closed (and its profile removed) when dropped.
pub struct Browser {
    child: Child,
    profile: PathBuf,
    devtools: DevTools,
    /// The browser's own DevTools WebSocket URL: a real third-party server to test against.
    pub devtools_url: String,
    /// Drained so that Chromium never blocks on a full stderr pipe.
    _stderr: Lines,
}

impl Browser {
    pub fn launch() -> Browser {
        Browser::launch_with(&[])
    }

    /// As `launch`, with extra command-line switches (`--host-resolver-rules=…`, say).
    pub fn launch_with(extra: &[&str]) -> Browser {
        ensure_installed();
        let profile = scratch_dir();
        let mut child = Command::new(BROWSER)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // A proxy from the environment must not stand between the page and wsx.
                "--no-proxy-server",
                "--window-size=1000,700",
                "--remote-debugging-port=0",
            ])
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {BROWSER}: {error}"));
        let mut stderr = Lines::new(child.stderr.take().unwrap());
        let line = stderr.wait_for("DevTools listening on ");
        let url = line.split("DevTools listening on ").nth(1).unwrap().trim();
        let devtools = DevTools::connect(url);
        Browser {
            child,
            profile,
            devtools,
            devtools_url: url.to_string(),
            _stderr: stderr,
        }
    }

    /// Opens `url` in a new tab and waits for its load event.
    pub fn open(&mut self, url: &str) -> Page<'_> {
        let target =
            self.devtools
                .call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let attached = self.devtools.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let mut page = Page {
            devtools: &mut self.devtools,
            session,
        };
        page.call("Page.enable", json!({}));
        let navigated = page.call("Page.navigate", json!({ "url": url }));
        assert!(
            navigated.get("errorText").is_none(),
            "cannot load {url}: {navigated}"
        );
        // Navigate answers when the new document commits, so any load event seen so far
        // was about:blank's.
        page.devtools.events.clear();
        let session = page.session.clone();
        page.devtools.wait_event(&session, "Page.loadEventFired");
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Politely first, so its helper processes go with it.
        self.devtools.send(None, "Browser.close", json!({}));
        if wait_status(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One tab, through its DevTools session.
pub struct Page<'a> {
    devtools: &'a mut DevTools,
    session: String,
}

impl Page<'_> {
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.devtools.call(Some(&self.session), method, params)
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    pub fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression} threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until the JavaScript `condition` holds, checking in the page on every frame.
    pub fn wait_for(&mut self, condition: &str, what: &str) {
        let millis = DEADLINE.as_millis();
        let script = format!(
            "new Promise((resolve) => {{
                const until = Date.now() + {millis};
                const check = () => {{
                    if ({condition}) resolve(true);
                    else if (Date.now() > until) resolve(false);
                    else requestAnimationFrame(check);
                }};
                check();
            }})"
        );
        if self.evaluate(&script) != json!(true) {
            let log = self.text("log");
            panic!("{what}: not within {DEADLINE:?}; the page's log:\n{log}");
        }
    }

    pub fn text(&mut self, id: &str) -> String {
        let value = self.evaluate(&format!("document.getElementById('{id}').textContent"));
        value.as_str().unwrap_or_default().to_string()
    }

    pub fn click(&mut self, id: &str) {
        self.evaluate(&format!("document.getElementById('{id}').click()"));
    }

    /// Focuses the element and types `text` as keyboard input would.
    pub fn type_into(&mut self, id: &str, text: &str) {
        self.evaluate(&format!("document.getElementById('{id}').focus()"));
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// Presses and releases Enter on the focused element.
    pub fn press_enter(&mut self) {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({
                    "type": kind,
                    "key": "Enter",
                    "code": "Enter",
                    "windowsVirtualKeyCode": 13,
                }),
            );
        }
    }

    /// Saves what the page looks like as a PNG file.
    pub fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// The browser's DevTools WebSocket: commands with ids, answers matched by id, and the
/// events that arrive in between kept for whoever waits for them.
struct DevTools {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: VecDeque<Value>,
}

impl DevTools {
    fn connect(url: &str) -> DevTools {
        let (ws, _) = tungstenite::connect(url)
            .unwrap_or_else(|error| panic!("cannot reach DevTools at {url}: {error}"));
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            // Reads give up now and then so that every wait can keep its deadline.
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
        }
        DevTools {
            ws,
            next_id: 1,
            events: VecDeque::new(),
        }
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let _ = self.ws.send(Message::text(command.to_string()));
        id
    }

    /// Sends a command and returns its result; an error answer fails the test.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.send(session, method, params);
        loop {
            let message = self.next_message(method);
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("DevTools {method} failed: {error}");
                }
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
    }

    /// Waits for an event of `session` (an earlier one counts), and returns its params.
    fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let matches = |event: &Value| event["method"] == method && event["sessionId"] == session;
        if let Some(at) = self.events.iter().position(matches) {
            return self.events.remove(at).unwrap()["params"].clone();
        }
        loop {
            let message = self.next_message(method);
            if matches(&message) {
                return message["params"].clone();
            }
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
    }

    fn next_message(&mut self, waiting_for: &str) -> Value {
        let until = Instant::now() + DEADLINE;
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => return serde_json::from_str(&text).unwrap(),
                Ok(_) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    assert!(
                        Instant::now() < until,
                        "no answer to {waiting_for} from DevTools within {DEADLINE:?}"
                    );
                }
                Err(error) => {
                    panic!("DevTools connection failed waiting for {waiting_for}: {error}")
                }
            }
        }
    }
}
