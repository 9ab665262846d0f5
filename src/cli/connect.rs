//! The options of `connect`, the client options other commands share, and those of both ends.

use clap::Args;

use super::{parse_duration, parse_size};

/// Options that both ends share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Send input lines (and -x messages) as binary messages
    #[arg(short, long)]
    pub binary: bool,

    /// Send this message first (repeatable; @FILE sends a file's content, @@ a leading @);
    /// with -x and stdin a terminal, stdin is not read
    #[arg(short = 'x', long = "execute", value_name = "MSG")]
    pub execute: Vec<String>,

    /// Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and
    /// received payloads are written as they came, nothing added
    #[arg(long, conflicts_with_all = ["jsonl", "binary_output"])]
    pub raw: bool,

    /// Exit normally after receiving N messages
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,

    /// After input ends, keep receiving this long before closing
    #[arg(short, long, value_name = "SECS", value_parser = super::parse_seconds)]
    pub wait: Option<f64>,

    /// Send a ping every SECS and report missing pongs
    #[arg(long, value_name = "SECS", value_parser = super::parse_seconds)]
    pub ping_interval: Option<f64>,

    #[command(flatten)]
    pub view: ViewArgs,

    /// How received binary messages are written in pipe mode
    #[arg(long, value_enum, default_value_t = BinaryOutput::Raw, value_name = "FORMAT")]
    pub binary_output: BinaryOutput,

    /// Close with 1009 when an incoming message is larger than this
    #[arg(long, value_name = "BYTES", default_value = "64MiB", value_parser = parse_size)]
    pub max_message_size: usize,

    /// Close with 1009 when an incoming frame is larger than this (a message may span several)
    #[arg(long, value_name = "BYTES", default_value = "16MiB", value_parser = parse_size)]
    pub max_frame_size: usize,

    /// Print the opening handshake on stderr
    #[arg(short, long)]
    pub verbose: bool,

    /// Indent JSON messages in the REPL (pipe output stays as received)
    #[arg(long)]
    pub pretty: bool,
}

/// How events are shown: options of both ends and of the proxy.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Print ping and pong frames
    #[arg(short = 'P', long)]
    pub show_ping_pong: bool,

    /// Prefix printed events with the time (UTC)
    #[arg(short, long)]
    pub timestamps: bool,

    /// Write one JSON object per event on stdout
    #[arg(long)]
    pub jsonl: bool,

    /// No diagnostics on stderr (fatal errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,

    /// Plain output without colors (also NO_COLOR)
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BinaryOutput {
    Raw,
    Hex,
    Base64,
}

/// How to reach a server: shared by `connect`, `bench` and `wsx test`'s `connect` step,
/// validated once into a `client::Client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// ws:// or wss:// URL (a bare host[:port][/path] means ws://)
    pub url: String,

    #[command(flatten)]
    pub reach: ReachArgs,

    /// Client certificate (PEM), with --key
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<String>,

    /// Private key (PEM) of the client certificate
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<String>,
}

/// The client options that `proxy` shares too for its upstream (whose `--cert/--key` are the
/// listener's).
#[derive(Debug, Args, Clone)]
pub struct ReachArgs {
    /// Extra request header (repeatable)
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// Offer this subprotocol (repeatable, in order of preference)
    #[arg(short, long = "subprotocol", value_name = "PROTOCOL")]
    pub subprotocols: Vec<String>,

    /// Origin header to send
    #[arg(short, long)]
    pub origin: Option<String>,

    /// Basic authentication (credentials in the URL work too)
    #[arg(long, value_name = "USER:PASS")]
    pub auth: Option<String>,

    /// Give up when the opening handshake takes longer than this
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,

    /// Accept any TLS certificate (wss://)
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Trust the CA certificates in this PEM file instead of the system's
    #[arg(long, visible_alias = "ca", value_name = "PEM")]
    pub cacert: Option<String>,

    /// Connect through this proxy: http://[user:pass@]host:port or socks5://…
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,

    /// Ignore the *_PROXY environment variables
    #[arg(long)]
    pub no_proxy: bool,

    /// Follow HTTP redirects during the handshake (at most 5)
    #[arg(short = 'L', long)]
    pub location: bool,

    /// Dial this Unix socket instead of the URL's host (the URL still gives Host and path)
    #[arg(long, value_name = "PATH", conflicts_with = "proxy")]
    pub unix_socket: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Send every received message straight back
    #[arg(long)]
    pub echo: bool,

    /// At stdin EOF, close once the server has been quiet this long (0 closes at once)
    #[arg(long, value_name = "DUR", default_value = "500ms", value_parser = parse_duration)]
    pub linger: std::time::Duration,

    /// After an unexpected drop, reconnect with backoff and re-send the -x messages
    #[arg(long)]
    pub reconnect: bool,

    /// Write the session as a `wsx test` file (credentials as {{variables}})
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub common: CommonArgs,
}
