//! The options of `serve`, and of `proxy`, which runs as a serve mode.

use std::ffi::OsString;

use clap::Args;

use super::{CommonArgs, ReachArgs, parse_duration};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// PORT, HOST:PORT, [V6]:PORT (port 0 picks a free one) or unix:PATH
    #[arg(default_value = "127.0.0.1:8080")]
    pub addr: String,

    /// Permissions of the unix:PATH socket, in octal
    #[arg(long, value_name = "MODE", default_value = "600")]
    pub socket_mode: String,

    /// Send every message back to its sender
    #[arg(long, conflicts_with = "broadcast")]
    pub echo: bool,

    /// Relay every message to every other client
    #[arg(long)]
    pub broadcast: bool,

    /// Run PROGRAM (given after --) for each client: messages in as lines on its stdin, lines
    /// of its stdout out as messages
    #[arg(long, conflicts_with_all = ["echo", "broadcast"], requires = "program")]
    pub exec: bool,

    /// Run this wsx test file from the server's side for every client (a mock server)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["echo", "broadcast", "exec"])]
    pub script: Option<std::path::PathBuf>,

    /// The --exec program and its arguments (no shell)
    #[arg(last = true, value_name = "PROGRAM", requires = "exec")]
    pub program: Vec<OsString>,

    /// Accepted subprotocol (repeatable; the first one in this list that the client offers wins)
    #[arg(short, long = "subprotocol", value_name = "PROTOCOL")]
    pub subprotocols: Vec<String>,

    /// Refuse clients beyond this many with HTTP 503
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// Allowed Origin (repeatable; '*' for any); requests from other origins get 403. With
    /// --exec and no --origin, only loopback origins and the server's own may connect
    #[arg(long = "origin", value_name = "ORIGIN")]
    pub origins: Vec<String>,

    /// Seconds a client may take to complete the opening handshake
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub handshake_timeout: f64,

    /// Per-client outgoing queue bound: messages, then bytes
    #[arg(long, value_name = "MESSAGES", default_value_t = 1024)]
    pub queue_limit: usize,

    /// Threads that run the connections [default: one per core less one, left to the client
    /// under test; at least 1]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Certificate chain (PEM): serve wss:// (with --key)
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<String>,

    /// Private key (PEM) for --cert
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<String>,

    /// Require client certificates signed by a CA in this PEM file
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub client_ca: Option<String>,

    /// Answer a plain GET / with 426 instead of the built-in test page
    #[arg(long)]
    pub no_page: bool,

    /// Let anyone who sends Authorization: Bearer TOKEN publish (without it, loopback only)
    #[arg(long, value_name = "TOKEN", conflicts_with = "no_publish")]
    pub publish_token: Option<String>,

    /// Refuse HTTP publish (POST PATH) with 405
    #[arg(long)]
    pub no_publish: bool,

    /// Share channels with every wsx serve that names this Redis (redis://, rediss://,
    /// redis+unix://)
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// [ADDR] UPSTREAM_URL: where to listen (as serve's ADDR, default 127.0.0.1:8080) and
    /// the server every client is passed on to
    #[arg(value_names = ["ADDR", "UPSTREAM_URL"], num_args = 1..=2, required = true)]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub upstream: ReachArgs,

    /// Hold every message this long before passing it on (both ways, order kept)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub delay: Option<std::time::Duration>,

    /// Do not pass on messages that match this regex (repeatable; written ~REGEX or REGEX)
    #[arg(long = "drop", value_name = "~REGEX")]
    pub drops: Vec<String>,

    /// After N messages (both ways, the Nth passed on), cut the client's connection without
    /// a Close, as a network failure would
    #[arg(long, value_name = "N")]
    pub disconnect_after: Option<u64>,

    /// Write one wsx test file per client, DIR/client-ID.wsx, replaying its side
    #[arg(long, value_name = "DIR")]
    pub record: Option<std::path::PathBuf>,

    /// Certificate chain (PEM): listen as wss:// (with --key)
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<String>,

    /// Private key (PEM) for --cert
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<String>,

    /// Allowed Origin (repeatable; '*' for any); without it, only loopback origins and the
    /// proxy's own
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub origins: Vec<String>,

    /// Refuse clients beyond this many with HTTP 503
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    #[command(flatten)]
    pub view: super::connect::ViewArgs,

    /// Print both legs' handshakes on stderr
    #[arg(short, long)]
    pub verbose: bool,
}
