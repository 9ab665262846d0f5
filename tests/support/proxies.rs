//! Real proxies for the proxy tests, run as child processes on 127.0.0.1: Debian's
//! `tinyproxy` (HTTP CONNECT, optionally with basic auth) and `microsocks` (SOCKS5, optionally
//! with user/password). Each gets a free port and is killed when dropped. A missing binary
//! fails the test with the command that installs it; nothing is skipped silently.

use std::fs::File;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{DEADLINE, scratch_dir};

fn ensure_installed() {
    super::require_debian_packages(&[("tinyproxy", "tinyproxy"), ("microsocks", "microsocks")]);
}

/// Attempts at finding a port: another process may take a released port before the proxy
/// binds it, and then the proxy exits and we try the next one.
const PORT_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// tinyproxy: `http://` proxy URLs.
    Http,
    /// microsocks: `socks5://` proxy URLs.
    Socks5,
}

pub struct ProxyProcess {
    child: Child,
    kind: Kind,
    pub port: u16,
    log: PathBuf,
}

impl ProxyProcess {
    /// tinyproxy; with `credentials`, only clients sending them get through.
    pub fn tinyproxy(credentials: Option<(&str, &str)>) -> ProxyProcess {
        let dir = scratch_dir();
        Self::start(Kind::Http, &dir, |port| {
            let config = dir.join("tinyproxy.conf");
            // No `ConnectPort` line: tinyproxy then allows CONNECT to every port (with any
            // ConnectPort line, only the listed ones). No `User`: it keeps our user. Without
            // `LogFile` it logs to stderr, which goes to the log file anyway.
            let mut text = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\nAllow 127.0.0.1\n\
                 LogLevel Connect\nDisableViaHeader Yes\n"
            );
            if let Some((user, pass)) = credentials {
                text.push_str(&format!("BasicAuth {user} {pass}\n"));
            }
            std::fs::write(&config, text).unwrap();
            let mut command = Command::new("tinyproxy");
            // -d: stay in the foreground, so the child is the proxy and kill() stops it.
            command.arg("-d").arg("-c").arg(&config);
            command
        })
    }

    /// microsocks; with `credentials`, it requires them.
    pub fn microsocks(credentials: Option<(&str, &str)>) -> ProxyProcess {
        let dir = scratch_dir();
        Self::start(Kind::Socks5, &dir, |port| {
            let mut command = Command::new("microsocks");
            command.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
            if let Some((user, pass)) = credentials {
                command.args(["-u", user, "-P", pass]);
            }
            command
        })
    }

    fn start(kind: Kind, dir: &std::path::Path, command: impl Fn(u16) -> Command) -> ProxyProcess {
        ensure_installed();
        let log = dir.join("proxy.log");
        let mut exits = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let mut command = command(port);
            let program = command.get_program().to_string_lossy().into_owned();
            let output = File::create(&log).unwrap();
            let spawned = command
                .stdin(Stdio::null())
                .stdout(output.try_clone().unwrap())
                .stderr(output)
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(error) if error.kind() == ErrorKind::NotFound => {
                    panic!("{program} is not installed; run: apt-get install {program}")
                }
                Err(error) => panic!("cannot start {program}: {error}"),
            };
            let mut proxy = ProxyProcess {
                child,
                kind,
                port,
                log: log.clone(),
            };
            match proxy.wait_until_accepting() {
                Ok(()) => return proxy,
                Err(exit) => exits.push(format!("{program} on port {port}: {exit}")),
            }
        }
        panic!("the proxy never started: {exits:#?}");
    }

    /// Ok once the proxy accepts connections; Err with its log when it exited instead
    /// (a port clash, most likely). Panics at the deadline.
    fn wait_until_accepting(&mut self) -> Result<(), String> {
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("exited with {status}; log: {}", self.log()));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                // Whoever answered, it is ours only if the proxy is still running.
                if self.child.try_wait().unwrap().is_none() {
                    return Ok(());
                }
                continue;
            }
            assert!(
                Instant::now() < until,
                "the proxy did not accept connections within {DEADLINE:?}; log: {}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// `http://127.0.0.1:PORT` or `socks5://…`, with `user:pass@` when given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks5 => "socks5",
        };
        let userinfo = credentials.map_or(String::new(), |(user, pass)| format!("{user}:{pass}@"));
        format!("{scheme}://{userinfo}127.0.0.1:{}", self.port)
    }

    /// What the proxy logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` (the proxy writes it as it goes), and panics
    /// with the log at the deadline.
    pub fn wait_for_log(&self, needle: &str) {
        let until = Instant::now() + DEADLINE;
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < until,
                "the proxy never logged {needle:?}; log: {}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago. Also the address of a proxy that is not there: a
/// connection to it is refused.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
