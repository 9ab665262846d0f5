//! Helpers shared by the integration tests: run the real binary with a scrubbed environment,
//! start `wsx serve` on port 0 and read the address it prints, and wait on output with a
//! deadline instead of sleeping.

#![allow(dead_code)]

pub mod browser;
pub mod certs;
pub mod peers;
pub mod proxies;
pub mod pty;
pub mod third_party;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Generous: debug builds on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub fn wsx_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wsx"))
}

/// A fresh directory for one test's files (state dir, certificates, logs), under cargo's
/// target/tmp rather than /tmp, in a folder for this test process; folders left by earlier
/// processes are removed on first use.
pub fn scratch_dir() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let stale = name
                    .strip_prefix("wsx-tests-")
                    .is_some_and(|pid| !PathBuf::from(format!("/proc/{pid}")).exists());
                if stale {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        base.join(format!("wsx-tests-{}", std::process::id()))
    });
    let dir = root.join(
        COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_string(),
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Makes sure the commands that tests need from Debian's packages are there, given as
/// (command, package) pairs. Missing ones are installed with apt-get the first time, as the
/// tests run as root in CI and on a fresh machine; one install at a time, since apt locks.
/// Panics with the command to run when they still cannot be found.
pub fn require_debian_packages(needs: &[(&str, &str)]) {
    static APT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let installed = |command: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {command}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let missing = |needs: &[(&str, &str)]| -> Vec<String> {
        needs
            .iter()
            .filter(|(command, _)| !installed(command))
            .map(|(_, package)| package.to_string())
            .collect()
    };
    if missing(needs).is_empty() {
        return;
    }
    let _apt = APT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let packages = missing(needs);
    if packages.is_empty() {
        return;
    }
    let script = format!(
        "apt-get update -qq && apt-get install -y -qq {}",
        packages.join(" ")
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let still = missing(needs);
    assert!(
        still.is_empty(),
        "these tests need Debian's {} and could not install them: run `apt-get install {}`",
        still.join(", "),
        still.join(" ")
    );
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `wsx` with a deterministic environment: no color or proxy variables from the caller.
pub fn wsx() -> Command {
    let mut command = Command::new(wsx_path());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().to_string();
        let upper = name.to_ascii_uppercase();
        if upper.ends_with("_PROXY") || upper == "NO_COLOR" || upper.starts_with("XDG_") {
            command.env_remove(&name);
        }
    }
    let scratch = scratch_dir();
    command
        .env("TERM", "xterm-256color")
        .env("XDG_STATE_HOME", scratch.join("state"))
        .env("HOME", &scratch);
    command
}

/// Runs `wsx args…` with `stdin` piped in; fails the test if it does not exit in time.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = wsx()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wsx");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = wait_output(child, DEADLINE);
    writer.join().unwrap();
    output
}

/// Waits for a child with piped stdout/stderr, killing it at the deadline.
pub fn wait_output(mut child: Child, deadline: Duration) -> Output {
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out = thread::spawn(move || read_all(stdout));
    let err = thread::spawn(move || read_all(stderr));
    let status = wait_status(&mut child, deadline);
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    let status = status.unwrap_or_else(|| {
        panic!(
            "wsx did not exit within {deadline:?}; stderr: {}",
            String::from_utf8_lossy(&stderr)
        )
    });
    Output {
        status,
        stdout,
        stderr,
    }
}

fn read_all(stream: Option<impl Read>) -> Vec<u8> {
    let mut buffer = Vec::new();
    if let Some(mut stream) = stream {
        let _ = stream.read_to_end(&mut buffer);
    }
    buffer
}

/// Waits for exit; kills and returns None at the deadline.
pub fn wait_status(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lines of a stream, collected on a thread so tests can wait for one with a deadline.
pub struct Lines {
    receiver: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Lines {
    pub fn new(stream: impl Read + Send + 'static) -> Self {
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            receiver,
            seen: Vec::new(),
        }
    }

    /// The next line, or None when the stream ended or the deadline passed.
    pub fn next_line(&mut self, deadline: Duration) -> Option<String> {
        let line = self.receiver.recv_timeout(deadline).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Waits for a line containing `needle`; panics with what was seen at the deadline.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let until = Instant::now() + DEADLINE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.next_line(left) {
                Some(line) if line.contains(needle) => return line,
                Some(_) => {}
                None => break,
            }
        }
        panic!("no line containing {needle:?}; saw: {:#?}", self.seen);
    }

    /// Collects `n` lines.
    pub fn take(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.next_line(DEADLINE)
                    .unwrap_or_else(|| panic!("line {i} of {n} never came; saw {:#?}", self.seen))
            })
            .collect()
    }
}

/// A running `wsx serve 0 …`; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub port: u16,
    pub stderr: Lines,
}

impl Server {
    /// Starts `wsx serve 127.0.0.1:0 <args>` and waits for its `listening on` line.
    pub fn start(args: &[&str]) -> Server {
        Self::start_with_stdin(args, Stdio::null())
    }

    pub fn start_with_stdin(args: &[&str], stdin: Stdio) -> Server {
        let mut command = wsx();
        command.stdin(stdin);
        Self::start_command(command, args)
    }

    /// Starts `wsx serve 127.0.0.1:0 <args>` from a command whose stdin and environment the
    /// caller has set.
    pub fn start_command(mut command: Command, args: &[&str]) -> Server {
        let mut child = command
            .arg("serve")
            .arg("127.0.0.1:0")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsx serve");
        let mut stderr = Lines::new(child.stderr.take().unwrap());
        let line = stderr.wait_for("listening on ");
        let url = line
            .split("listening on ")
            .nth(1)
            .unwrap()
            .trim()
            .to_string();
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Server {
            child,
            url,
            port,
            stderr,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn stdout_lines(&mut self) -> Lines {
        Lines::new(self.child.stdout.take().expect("stdout already taken"))
    }

    /// Stops the server and returns everything it wrote on stdout.
    pub fn stop_and_read_stdout(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stdout = String::new();
        let pipe = self.child.stdout.as_mut().expect("stdout already taken");
        pipe.read_to_string(&mut stdout).unwrap();
        stdout
    }

    pub fn stdin(&mut self) -> std::process::ChildStdin {
        self.child.stdin.take().expect("stdin was not piped")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `wsx connect` left running with pipes, for tests that talk to it over time.
pub struct Client {
    pub child: Child,
    pub stdout: Lines,
    pub stderr: Lines,
}

impl Client {
    pub fn start(args: &[&str]) -> Client {
        let mut child = wsx()
            .arg("connect")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsx connect");
        let stdout = Lines::new(child.stdout.take().unwrap());
        let stderr = Lines::new(child.stderr.take().unwrap());
        Client {
            child,
            stdout,
            stderr,
        }
    }

    pub fn send_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Closes stdin and waits for exit.
    pub fn finish(&mut self) -> ExitStatus {
        drop(self.child.stdin.take());
        wait_status(&mut self.child, DEADLINE).expect("wsx connect did not exit")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process, in bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS in /proc status");
    let kilobytes: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kilobytes * 1024
}
