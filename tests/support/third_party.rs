//! Third-party peers for the interop tests: the Node `ws` and Python `websockets` scripts in
//! tests/peers/, run as child processes with a deadline. The peers install themselves from the
//! registries on first use (`npm ci` into tests/peers/node_modules, a venv in
//! target/peers-venv), so `cargo test` works on a fresh machine; a peer that still cannot run
//! fails the test and says why; nothing is skipped silently.
//!
//! Clients (`ws_client.js`, `py_client.py`) share one contract, described in their headers:
//! `URL N MSG…` in, `open …`, `text …`/`binary …`/`pong …` and `close CODE REASON` lines out.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::{DEADLINE, Lines, wait_status};

pub const NPM_INSTALL: &str = "npm ci --prefix tests/peers";
pub const PIP_INSTALL: &str = "python3 -m venv target/peers-venv && target/peers-venv/bin/pip install -r tests/peers/requirements.txt";

pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn venv_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/peers-venv")
}

/// Runs an install step, quietly unless it fails.
fn install(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {program}: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

/// Installs a peer's library the first time a test needs it.
fn install_peer(peer: Peer) -> Result<(), String> {
    match peer {
        Peer::Node => install(
            "npm",
            &[
                "ci",
                "--prefix",
                "tests/peers",
                "--no-audit",
                "--no-fund",
                "--silent",
            ],
        ),
        Peer::Python => {
            let venv = venv_dir();
            let venv = venv.to_string_lossy();
            if !venv_dir().join("bin/python3").exists() {
                install("python3", &["-m", "venv", &venv])?;
            }
            install(
                &format!("{venv}/bin/python3"),
                &[
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "-r",
                    "tests/peers/requirements.txt",
                ],
            )
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Node.js with the `ws` package from tests/peers/node_modules.
    Node,
    /// CPython 3 with the `websockets` package.
    Python,
}

impl Peer {
    fn program(self) -> String {
        match self {
            Peer::Node => "node".to_string(),
            Peer::Python => venv_dir()
                .join("bin/python3")
                .to_string_lossy()
                .into_owned(),
        }
    }

    fn client_script(self) -> &'static str {
        match self {
            Peer::Node => "ws_client.js",
            Peer::Python => "py_client.py",
        }
    }

    fn echo_server_script(self) -> &'static str {
        match self {
            Peer::Node => "ws_echo_server.js",
            Peer::Python => "py_echo_server.py",
        }
    }

    /// `node SCRIPT` or `python3 -u SCRIPT`, with no proxy variables from the caller.
    fn command(self, script: &str) -> Command {
        self.require();
        let mut command = Command::new(self.program());
        if self == Peer::Python {
            command.arg("-u");
        }
        command
            .arg(peers_dir().join(script))
            .current_dir(peers_dir());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().to_string();
            if name.to_ascii_uppercase().ends_with("_PROXY") {
                command.env_remove(&name);
            }
        }
        command
    }

    /// Panics with the install command unless the peer's runtime and library are there.
    /// Checked once per test binary and peer.
    fn require(self) {
        static NODE: OnceLock<Result<(), String>> = OnceLock::new();
        static PYTHON: OnceLock<Result<(), String>> = OnceLock::new();
        let (cell, probe, install) = match self {
            Peer::Node => (&NODE, ["-e", "require('ws')"], NPM_INSTALL),
            Peer::Python => (
                &PYTHON,
                ["-c", "import websockets.asyncio.server"],
                PIP_INSTALL,
            ),
        };
        let result = cell.get_or_init(|| {
            let probe_run = || {
                Command::new(self.program())
                    .args(probe)
                    .current_dir(peers_dir())
                    .stdin(Stdio::null())
                    .output()
            };
            let mut output = probe_run();
            if !output.as_ref().is_ok_and(|output| output.status.success()) {
                install_peer(self)?;
                output = probe_run();
            }
            match output {
                Ok(output) if output.status.success() => Ok(()),
                Ok(output) => {
                    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                    let why = stderr
                        .lines()
                        .rfind(|line| line.contains("Error"))
                        .or_else(|| stderr.lines().last())
                        .unwrap_or("")
                        .trim();
                    Err(format!(
                        "{self:?} interop peer is not installed: run `{install}` \
                         (`{} {}` failed: {why})",
                        self.program(),
                        probe.join(" ")
                    ))
                }
                Err(error) => Err(format!(
                    "`{}` is needed for the interop tests and could not be started ({error}); \
                     install it, then run `{install}`",
                    self.program()
                )),
            }
        });
        if let Err(message) = result {
            panic!("{message}");
        }
    }
}

/// Reads the rest of a stream (each line within `wait`) and returns all of it.
fn drain(lines: &mut Lines, wait: Duration) -> Vec<String> {
    while lines.next_line(wait).is_some() {}
    lines.seen.clone()
}

const BRIEFLY: Duration = Duration::from_millis(200);

/// A third-party echo server on 127.0.0.1, port 0; killed when dropped.
pub struct PeerServer {
    pub child: Child,
    pub url: String,
    /// JSON event lines (`connection`, `close`, `error`) after the `listening on` line.
    pub stdout: Lines,
    pub stderr: Lines,
}

impl PeerServer {
    /// Starts the peer's echo server and waits for its `listening on` line.
    pub fn echo(peer: Peer) -> PeerServer {
        let mut child = peer
            .command(peer.echo_server_script())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {peer:?} echo server: {error}"));
        let mut stdout = Lines::new(child.stdout.take().unwrap());
        let mut stderr = Lines::new(child.stderr.take().unwrap());
        let url = match stdout.next_line(DEADLINE) {
            Some(line) if line.starts_with("listening on ") => {
                line["listening on ".len()..].trim().to_string()
            }
            line => panic!(
                "{peer:?} echo server did not start: {line:?}; stderr: {:#?}",
                drain(&mut stderr, BRIEFLY)
            ),
        };
        PeerServer {
            child,
            url,
            stdout,
            stderr,
        }
    }

    /// The next logged event of this kind (`connection`, `close`), as JSON.
    pub fn event(&mut self, event: &str) -> Value {
        let line = self.stdout.wait_for(&format!("\"event\":\"{event}\""));
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A third-party client (`ws_client.js` or `py_client.py`) with stdin piped; killed when dropped.
pub struct PeerClient {
    pub peer: Peer,
    pub child: Child,
    pub stdout: Lines,
    pub stderr: Lines,
}

impl PeerClient {
    /// `CLIENT args…`: `[--protocol P]… URL N [MSG]…`.
    pub fn start(peer: Peer, args: &[&str]) -> PeerClient {
        let mut child = peer
            .command(peer.client_script())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {peer:?} client: {error}"));
        let stdout = Lines::new(child.stdout.take().unwrap());
        let stderr = Lines::new(child.stderr.take().unwrap());
        PeerClient {
            peer,
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the `open …` line and returns the subprotocol it names (`-` for none).
    pub fn opened(&mut self) -> String {
        let line = self.stdout.wait_for("open ");
        line["open ".len()..].to_string()
    }

    /// Sends one text message through the client's stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Ends stdin, waits for a successful exit, and returns every stdout line.
    pub fn finish(&mut self) -> Vec<String> {
        drop(self.child.stdin.take());
        let status = wait_status(&mut self.child, DEADLINE);
        // Once the client has exited its pipes end at once; otherwise do not hang on them.
        let wait = if status.is_some() { DEADLINE } else { BRIEFLY };
        let stdout = drain(&mut self.stdout, wait);
        let stderr = drain(&mut self.stderr, wait);
        match status {
            Some(status) if status.success() => stdout,
            status => panic!(
                "{:?} client failed ({status:?}); stdout: {stdout:#?}; stderr: {stderr:#?}",
                self.peer
            ),
        }
    }
}

impl Drop for PeerClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a third-party client to the end (stdin empty) and returns its stdout lines.
pub fn run_client(peer: Peer, args: &[&str]) -> Vec<String> {
    PeerClient::start(peer, args).finish()
}
