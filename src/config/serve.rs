//! `serve` and `proxy` (which runs as a serve mode): where to listen, the mode, its limits.

use std::ffi::OsString;
use std::time::Duration;

use crate::cli::ServeArgs;
use crate::client::{Client, check_subprotocols};
use crate::error::{Error, Result};
use crate::output::OutputOptions;
use crate::protocol::{DEFAULT_MAX_FRAME_SIZE, Limits, SessionOptions};
use crate::serve::publish::PublishPolicy;

use super::{
    CLOSE_TIMEOUT, InputOptions, at_least_one, execute_messages, optional_seconds, output_options,
    positive_seconds, session_options, terminals,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeMode {
    /// The operator types (or pipes) what goes to clients.
    Console,
    Echo,
    Broadcast,
    /// `--exec`: each client talks to its own child process.
    Exec(Program),
    /// `--script`: each client's conversation runs a test file from the server's side.
    Script(std::sync::Arc<crate::test::parse::Script>),
    /// `wsx proxy`: each client relayed to its own upstream connection.
    Proxy(std::sync::Arc<ProxySettings>),
}

/// `wsx proxy`'s upstream and disturbances.
#[derive(Debug)]
pub struct ProxySettings {
    /// The upstream, validated once; each client's request is dialled with it.
    pub client: Client,
    pub upstream_url: String,
    pub delay: Option<Duration>,
    pub drops: std::sync::Arc<Vec<regex::Regex>>,
    pub disconnect_after: Option<u64>,
    pub record: Option<std::path::PathBuf>,
}

/// One proxy's settings are only ever compared with themselves.
impl PartialEq for ProxySettings {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for ProxySettings {}

impl ServeMode {
    /// Modes in which a connection can make the operator's machine act (run a program): a
    /// web page must not reach them (the local-safety rules in `serve::policy`).
    pub fn acts_for_operator(&self) -> bool {
        // A script's steps may quote what the operator put in it (tokens, say).
        // The proxy may add the operator's credentials (-H, --auth) upstream.
        matches!(
            self,
            ServeMode::Exec(_) | ServeMode::Script(_) | ServeMode::Proxy(_)
        )
    }
}

/// The `--exec` program and its arguments, run without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub path: OsString,
    pub args: Vec<OsString>,
}

/// `serve --cert/--key [--client-ca]`.
#[derive(Debug, Clone)]
pub struct ServerTlsFiles {
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
}

#[derive(Debug)]
pub struct ServeConfig {
    pub listen: ListenAddr,
    pub tls: Option<ServerTlsFiles>,
    pub mode: ServeMode,
    pub subprotocols: Vec<String>,
    pub origins: Vec<String>,
    pub max_connections: Option<usize>,
    pub handshake_timeout: Duration,
    pub queue_messages: usize,
    pub queue_bytes: usize,
    /// Single-threaded runtimes that run the connections.
    pub threads: usize,
    /// Answer a plain `GET /` with the built-in test page.
    pub page: bool,
    /// `POST PATH` delivers to channel PATH.
    pub publish: crate::serve::publish::PublishPolicy,
    /// `--redis URL`: channels shared with other instances.
    pub redis: Option<String>,
    /// `-v`: print each client's request and response heads on stderr.
    pub verbose: bool,
    pub session: SessionOptions,
    pub input: InputOptions,
    pub interactive: bool,
    pub output: OutputOptions,
}

/// One thread per core but one: a test server usually shares its machine with the client
/// under test, and a server thread competing with that client for the last core slows both
/// (on 2 cores, small-message echo ran 5–15% slower with 2 threads than with 1).
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .saturating_sub(1)
        .max(1)
}

/// More threads than this cannot help a test server, and would run into the open-file limit.
const MAX_THREADS: usize = 1024;

/// Per-client outgoing queue bound in bytes (the spec's 16 MiB).
const QUEUE_BYTES: usize = 16 << 20;

/// Where `serve` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Tcp {
        host: String,
        port: u16,
    },
    /// `unix:PATH`, created with `mode` (`--socket-mode`, 0600 by default).
    Unix {
        path: std::path::PathBuf,
        mode: u32,
    },
}

/// `PORT`, `HOST:PORT` or `[V6]:PORT`.
pub fn parse_listen_addr(text: &str) -> Result<(String, u16)> {
    let bad = || {
        Error::Usage(format!(
            "'{text}' is not an address: use PORT, HOST:PORT or [IPV6]:PORT"
        ))
    };
    let port = |port: &str| port.parse::<u16>().map_err(|_| bad());
    if let Some(rest) = text.strip_prefix('[') {
        let (host, port_text) = rest.split_once("]:").ok_or_else(bad)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad());
        }
        return Ok((host.to_string(), port(port_text)?));
    }
    match text.rsplit_once(':') {
        None => Ok(("127.0.0.1".to_string(), port(text)?)),
        Some((host, port_text)) if !host.is_empty() && !host.contains(':') => {
            Ok((host.to_string(), port(port_text)?))
        }
        Some(_) => Err(bad()),
    }
}

impl TryFrom<ServeArgs> for ServeConfig {
    type Error = Error;

    fn try_from(args: ServeArgs) -> Result<Self> {
        if !args.program.is_empty() && !args.exec {
            return Err(Error::Usage(
                "a program after -- runs only with --exec (wsx serve --exec -- PROGRAM)".into(),
            ));
        }
        let mode = u32::from_str_radix(args.socket_mode.trim_start_matches("0o"), 8)
            .ok()
            .filter(|mode| *mode <= 0o777)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--socket-mode takes an octal mode such as 600 or 660, not '{}'",
                    args.socket_mode
                ))
            })?;
        let listen = match args.addr.strip_prefix("unix:") {
            Some("") => {
                return Err(Error::Usage(
                    "unix: needs a path (unix:/tmp/wsx.sock)".into(),
                ));
            }
            Some(path) => ListenAddr::Unix {
                path: path.into(),
                mode,
            },
            None => {
                let (host, port) = parse_listen_addr(&args.addr)?;
                ListenAddr::Tcp { host, port }
            }
        };
        let mode = if args.echo {
            ServeMode::Echo
        } else if args.broadcast {
            ServeMode::Broadcast
        } else if let Some(path) = &args.script {
            let text = std::fs::read_to_string(path)
                .map_err(|error| Error::io(format!("cannot read {}", path.display()), error))?;
            let script =
                crate::test::parse::parse_server_script(&path.display().to_string(), &text)
                    .map_err(|error| Error::Report(error.render()))?;
            ServeMode::Script(std::sync::Arc::new(script))
        } else if let Some((path, program_args)) = args.program.split_first() {
            ServeMode::Exec(Program {
                path: path.clone(),
                args: program_args.to_vec(),
            })
        } else {
            ServeMode::Console
        };
        let common = &args.common;
        at_least_one("--queue-limit", Some(args.queue_limit as u64))?;
        at_least_one("--threads", args.threads.map(|threads| threads as u64))?;
        if args.threads.is_some_and(|threads| threads > MAX_THREADS) {
            return Err(Error::Usage(format!(
                "--threads takes at most {MAX_THREADS}"
            )));
        }
        check_subprotocols(&args.subprotocols)?;
        at_least_one(
            "--max-connections",
            args.max_connections.map(|max| max as u64),
        )?;
        let publish = match (&mode, args.no_publish) {
            (_, true) => PublishPolicy::Off {
                why: "publishing is off (--no-publish)",
            },
            (ServeMode::Console | ServeMode::Broadcast, false) => PublishPolicy::On {
                token: args.publish_token.clone(),
            },
            _ => PublishPolicy::Off {
                why: "HTTP publish works in the console and --broadcast modes",
            },
        };
        let console = mode == ServeMode::Console;
        let interactive = console && terminals() && !common.view.jsonl && !common.raw;
        let session = session_options(common, mode == ServeMode::Echo)?;
        Ok(ServeConfig {
            listen,
            tls: args
                .cert
                .clone()
                .zip(args.key.clone())
                .map(|(cert, key)| ServerTlsFiles {
                    cert,
                    key,
                    client_ca: args.client_ca.clone(),
                }),
            mode,
            subprotocols: args.subprotocols.clone(),
            origins: args.origins.clone(),
            max_connections: args.max_connections,
            handshake_timeout: positive_seconds("--handshake-timeout", args.handshake_timeout)?,
            queue_messages: args.queue_limit,
            queue_bytes: QUEUE_BYTES,
            threads: args.threads.unwrap_or_else(default_threads),
            page: !args.no_page,
            publish,
            redis: args.redis.clone(),
            verbose: common.verbose,
            session,
            input: InputOptions {
                binary: common.binary || common.raw,
                raw: common.raw,
                execute: execute_messages(common)?,
                wait: optional_seconds("--wait", common.wait)?,
                linger: Duration::ZERO,
                // Relays never read stdin: `wsx serve --echo </dev/null &` must keep serving.
                read_stdin: console,
            },
            interactive,
            output: output_options(common, interactive, console),
        })
    }
}

impl TryFrom<crate::cli::ProxyArgs> for ServeConfig {
    type Error = Error;

    fn try_from(args: crate::cli::ProxyArgs) -> Result<Self> {
        let (addr, upstream) = match args.targets.as_slice() {
            [upstream] => ("127.0.0.1:8080".to_string(), upstream.clone()),
            [addr, upstream] => (addr.clone(), upstream.clone()),
            _ => return Err(Error::Usage("wsx proxy [ADDR] UPSTREAM_URL".into())),
        };
        let (host, port) = parse_listen_addr(&addr)?;
        // `serve --origin '*'` is the allow-list; here -o is the Origin sent upstream, and
        // no browser sends `*`.
        if args.upstream.origin.as_deref() == Some("*") {
            return Err(Error::Usage(
                "-o/--origin is the Origin sent upstream; to let pages of any origin connect, \
                 use --allow-origin '*'"
                    .into(),
            ));
        }
        let limits = Limits::new(64 << 20, DEFAULT_MAX_FRAME_SIZE);
        let client = Client::reaching(&upstream, &args.upstream, None, limits, args.verbose)?;
        let drops = args
            .drops
            .iter()
            .map(|pattern| {
                let pattern = pattern.strip_prefix('~').unwrap_or(pattern).trim_start();
                regex::Regex::new(pattern).map_err(|error| {
                    Error::Usage(format!(
                        "--drop: {}",
                        crate::test::matcher::invalid_regex(&error)
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        at_least_one("--disconnect-after", args.disconnect_after)?;
        at_least_one(
            "--max-connections",
            args.max_connections.map(|max| max as u64),
        )?;
        let connect_timeout = client.connect_timeout;
        let upstream_url = client.request.url.to_string();
        // Made now, so that a path that cannot be a directory fails at start, not per client.
        if let Some(dir) = &args.record {
            if dir.exists() && !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "--record DIR: {} is a file, not a directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|error| {
                Error::io(format!("--record DIR: cannot use {}", dir.display()), error)
            })?;
        }
        let settings = ProxySettings {
            client,
            upstream_url,
            delay: args.delay.filter(|delay| !delay.is_zero()),
            drops: std::sync::Arc::new(drops),
            disconnect_after: args.disconnect_after,
            record: args.record.clone(),
        };
        let interactive = terminals() && !args.view.jsonl;
        let output = OutputOptions {
            transcript: interactive,
            ..super::view_options(&args.view, interactive)
        };
        Ok(ServeConfig {
            listen: ListenAddr::Tcp { host, port },
            tls: args
                .cert
                .clone()
                .zip(args.key.clone())
                .map(|(cert, key)| ServerTlsFiles {
                    cert,
                    key,
                    client_ca: None,
                }),
            mode: ServeMode::Proxy(std::sync::Arc::new(settings)),
            subprotocols: Vec::new(),
            origins: args.origins.clone(),
            max_connections: args.max_connections,
            // The upstream is dialled within the client's opening handshake.
            handshake_timeout: connect_timeout + Duration::from_secs(10),
            queue_messages: 1024,
            queue_bytes: QUEUE_BYTES,
            threads: default_threads(),
            page: false,
            publish: PublishPolicy::Off {
                why: "a proxy passes requests on; it takes no publishes",
            },
            redis: None,
            verbose: args.verbose,
            session: SessionOptions {
                echo: false,
                count: None,
                ping_interval: None,
                close_timeout: CLOSE_TIMEOUT,
                limits,
            },
            input: InputOptions {
                binary: false,
                raw: false,
                execute: Vec::new(),
                wait: None,
                linger: Duration::ZERO,
                read_stdin: interactive,
            },
            interactive,
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(parse_listen_addr("0").unwrap(), ("127.0.0.1".into(), 0));
        assert_eq!(
            parse_listen_addr("0.0.0.0:80").unwrap(),
            ("0.0.0.0".into(), 80)
        );
        assert_eq!(
            parse_listen_addr("[::1]:9000").unwrap(),
            ("::1".into(), 9000)
        );
        assert_eq!(
            parse_listen_addr("localhost:1").unwrap(),
            ("localhost".into(), 1)
        );
        assert!(parse_listen_addr("::1:9000").is_err());
        assert!(parse_listen_addr("host:").is_err());
        assert!(parse_listen_addr("99999").is_err());
        assert!(parse_listen_addr("[nope]:1").is_err());
    }
}
