//! Command-line definition (clap derive). These structs only parse; `config` validates them.
//!
//! Flag conventions: short flags only for the options people type daily (`-x -n -w -b -q -v`);
//! every option has a long form; durations are seconds (fractions allowed); sizes are bytes
//! with an optional KiB/MiB/GiB suffix.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "wsx",
    version,
    about = "WebSocket testing from the command line: a REPL for people, a pipe for scripts",
    after_help = ROOT_EXAMPLES,
    after_long_help = format!("{ROOT_EXAMPLES}\n\n{}", crate::reference::help_text())
)]
pub struct Cli {
    /// None when `wsx` runs without arguments: then `main` prints [`SHORT_USAGE`].
    #[command(subcommand)]
    pub command: Option<Command>,
}

const ROOT_EXAMPLES: &str = "Examples:\n  wsx connect ws://127.0.0.1:8080        interactive session\n  echo hello | wsx ws://127.0.0.1:8080    send one message, print replies\n  wsx serve --echo                        echo server on 127.0.0.1:8080\n  wsx completions bash > ~/.local/share/bash-completion/completions/wsx";

/// What a bare `wsx` prints (on stderr, exit 2): clap's full help is a wall of text for
/// someone who only wanted a hint, and its missing-subcommand error reads like a failure.
pub const SHORT_USAGE: &str = "\
wsx: WebSocket testing from the command line

  wsx connect ws://127.0.0.1:8080      talk to a server (a REPL on a terminal)
  echo hi | wsx ws://127.0.0.1:8080    send stdin lines, print the replies
  wsx serve 0 --echo                   run an echo server on a free port
  wsx test chat.wsx                    run a conversation written as a file
  wsx proxy 9000 ws://127.0.0.1:8080   watch (and disturb) what an app says
  wsx bench ws://127.0.0.1:8080        measure throughput and latency

Run 'wsx --help' for more, or 'wsx <COMMAND> --help' for one command.
";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to a WebSocket server (REPL on a terminal, pipe otherwise)
    #[command(
        visible_alias = "c",
        after_help = "Examples:\n  wsx connect ws://127.0.0.1:8080\n  echo '{\"op\":\"sub\"}' | wsx connect wss://example.test/feed -n 5\n  wsx connect ws://127.0.0.1:8080 -x hello -n 1\n  wsx connect ws://127.0.0.1:8080 --jsonl < messages.txt"
    )]
    Connect(ConnectArgs),
    /// Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish,
    /// a program per client, or a mock from a test file)
    #[command(
        visible_alias = "s",
        mut_arg("execute", |arg| arg.help(
            "Greet every new client with this message (repeatable; @FILE sends a file's content)"
        )),
        after_help = "Examples:\n  wsx serve                      console on ws://127.0.0.1:8080\n  wsx serve 0 --echo             echo server on a free port\n  wsx serve 9000 --broadcast     chat relay\n  wsx serve [::1]:9000 -s chat   accept subprotocol 'chat'\n  wsx serve --exec -- ./bot.sh   run ./bot.sh for each client"
    )]
    Serve(ServeArgs),
    /// Sit between a client and a server: show, inject, disturb and record what they say
    #[command(
        after_help = "Examples:\n  wsx proxy 9000 ws://127.0.0.1:8080             clients of :9000 reach :8080 through wsx\n  wsx proxy 0 wss://api.example.test --jsonl > traffic.jsonl\n  wsx proxy 9000 ws://127.0.0.1:8080 --delay 2s --disconnect-after 20\n  wsx proxy 9000 ws://127.0.0.1:8080 --drop ~heartbeat --record sessions/"
    )]
    Proxy(ProxyArgs),
    /// Load-test an echo endpoint: throughput and round-trip latency
    #[command(
        after_help = "Examples:\n  wsx bench ws://127.0.0.1:8080\n  wsx bench ws://127.0.0.1:8080 -c 64 -W 16 -n 1000000\n  wsx bench ws://127.0.0.1:8080 -c 4 -W 8 --size 64KiB --binary\n  wsx bench ws://127.0.0.1:8080 --rate 5000 --jsonl"
    )]
    Bench(BenchArgs),
    /// Run conversations written as files (send, expect, capture) and report each step
    #[command(
        after_help = "Examples:\n  wsx test chat.wsx\n  wsx test tests/*.wsx -j 4 --junit report.xml\n  wsx test login.wsx --var token=abc --timeout 2s -v\n  wsx test smoke.wsx --jsonl\n\nA file, one step per line:\n  connect ws://127.0.0.1:8080/chat\n  send {\"op\":\"join\",\"room\":\"lobby\"}\n  expect $.op == \"joined\"\n  capture id $.member\n  send {\"op\":\"say\",\"from\":\"{{id}}\",\"text\":\"hi\"}\n  await json {\"op\":\"said\",\"text\":\"hi\"}"
    )]
    Test(TestArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  wsx completions bash > ~/.local/share/bash-completion/completions/wsx\n  wsx completions zsh > ~/.zfunc/_wsx\n  wsx completions fish > ~/.config/fish/completions/wsx.fish\n  wsx completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print a man page (roff)
    #[command(
        after_help = "Examples:\n  wsx man | man -l -\n  wsx man connect | man -l -\n  wsx man > ~/.local/share/man/man1/wsx.1"
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: clap_complete::Shell,
}

/// The commands that have a man page of their own (`wsx-connect(1)`, …), besides `wsx(1)`.
pub const MAN_PAGE_COMMANDS: [&str; 7] = [
    "connect",
    "serve",
    "proxy",
    "bench",
    "test",
    "completions",
    "man",
];

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

    /// Print ping and pong frames
    #[arg(short = 'P', long)]
    pub show_ping_pong: bool,

    /// Prefix printed events with the time (UTC)
    #[arg(short, long)]
    pub timestamps: bool,

    /// Write one JSON object per event on stdout
    #[arg(long)]
    pub jsonl: bool,

    /// Print both legs' handshakes on stderr
    #[arg(short, long)]
    pub verbose: bool,

    /// No diagnostics on stderr
    #[arg(short, long)]
    pub quiet: bool,

    /// Plain output without colors (also NO_COLOR)
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files to run, in order
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,

    /// Set a variable for {{NAME}} (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// How long expect and await wait (a file's timeout steps change it)
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Files to run at once (the report keeps their order)
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 1)]
    pub jobs: usize,

    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,

    /// One JSON object per step and per file on stdout (the report goes to stderr)
    #[arg(long)]
    pub jsonl: bool,

    /// Print every step and every message as it happens
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print only failures and the summary
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print; without it, the page of wsx itself
    #[arg(value_name = "COMMAND", value_parser = MAN_PAGE_COMMANDS)]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Connections to open
    #[arg(short = 'c', long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Messages to send in all, shared among the connections
    #[arg(short = 'n', long, default_value_t = 100_000, value_name = "N")]
    pub messages: u64,

    /// Payload size of each message
    #[arg(long, default_value = "32", value_name = "BYTES", value_parser = parse_size)]
    pub size: usize,

    /// Send binary messages instead of text
    #[arg(short, long)]
    pub binary: bool,

    /// Messages in flight per connection
    #[arg(short = 'W', long, default_value_t = 64, value_name = "W")]
    pub window: usize,

    /// Send at most this many messages per second in all
    #[arg(long, value_name = "MSGS_PER_SEC")]
    pub rate: Option<f64>,

    /// Messages per connection sent first and left out of the figures
    #[arg(long, value_name = "N")]
    pub warmup: Option<u64>,

    /// Print the summary as one JSON object
    #[arg(long)]
    pub jsonl: bool,

    /// No progress bar or diagnostics on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

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
    #[arg(short, long, value_name = "SECS")]
    pub wait: Option<f64>,

    /// Send a ping every SECS and report missing pongs
    #[arg(long, value_name = "SECS")]
    pub ping_interval: Option<f64>,

    /// Print ping and pong frames
    #[arg(short = 'P', long)]
    pub show_ping_pong: bool,

    /// Prefix printed events with the time (UTC)
    #[arg(short, long)]
    pub timestamps: bool,

    /// Write one JSON object per event on stdout
    #[arg(long)]
    pub jsonl: bool,

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

    /// No diagnostics on stderr (fatal errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,

    /// Plain output without colors (also NO_COLOR)
    #[arg(long)]
    pub no_color: bool,

    /// Indent JSON messages in the REPL (pipe output stays as received)
    #[arg(long)]
    pub pretty: bool,
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

/// `wsx ws://…` is short for `wsx connect ws://…`.
/// Options may come before the URL too (`wsx -v ws://…`): whenever no subcommand names the
/// mode and a URL is there (ws://, wss://, http://, https://, or a first argument such as
/// `localhost:8080`), the mode is `connect`.
pub fn normalize_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let first = args.get(1).and_then(|arg| arg.to_str()).unwrap_or("");
    if names_a_command(first) {
        return args;
    }
    let has_url = args
        .iter()
        .skip(1)
        .filter_map(|arg| arg.to_str())
        .any(|arg| {
            let lower = arg.to_ascii_lowercase();
            ["ws://", "wss://", "http://", "https://"]
                .iter()
                .any(|scheme| lower.starts_with(scheme))
        });
    // `wsx ftp://host` too: connect then names the scheme it does not support.
    let other_scheme = first.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_url || other_scheme || is_host_and_port(first) {
        args.insert(1, "connect".into());
    }
    args
}

/// For `wsx localhost` or `wsx example.com`: a host name where a command was expected, said
/// in one line with the command that was probably meant.
pub fn bare_host_hint(args: &[OsString]) -> Option<String> {
    let first = args.get(1)?.to_str()?;
    let looks_like_host = first == "localhost"
        || (first.contains('.')
            && !first.starts_with(['-', '.'])
            && first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    looks_like_host
        .then(|| format!("'{first}' is not a command; to connect to it: wsx connect ws://{first}/"))
}

/// A subcommand (or one of its aliases), `help`, or a flag of wsx itself: the mode is named.
fn names_a_command(arg: &str) -> bool {
    use clap::CommandFactory;
    let root = Cli::command();
    let flags = ["--help", "-h", "--version", "-V", "help"];
    flags.contains(&arg)
        || root.get_subcommands().any(|command| {
            command.get_name() == arg || command.get_all_aliases().any(|alias| alias == arg)
        })
}

/// `localhost:8080`, `example.com:443/path`: a name and a port, no scheme.
fn is_host_and_port(arg: &str) -> bool {
    let authority = arg.split('/').next().unwrap_or("");
    let Some((host, port)) = authority.rsplit_once(':') else {
        return false;
    };
    // `[::1]:8080`
    let host = match host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
    {
        Some(v6) if v6.contains(':') => return port.chars().all(|c| c.is_ascii_digit()),
        _ => host,
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
}

/// Parses `500ms`, `2s`, `1m` (humantime's units), or a bare number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("'{text}' is not a duration (try 500ms, 2s or 1m)"));
    }
    humantime::parse_duration(text)
        .map_err(|_| format!("'{text}' is not a duration (try 500ms, 2s or 1m)"))
}

/// Parses `1048576`, `64KiB`, `16MiB`, `1GiB` (also `k`, `M`, `G`, `KB`...: all binary).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size (try 1048576 or 16MiB)"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit '{other}' (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The `wsx …` command of each line under "Examples:", without what the shell does
    /// around it (pipes, redirections) and the description after two spaces.
    fn example_commands(help: &str) -> Vec<Vec<String>> {
        help.lines()
            .skip_while(|line| *line != "Examples:")
            .skip(1)
            .take_while(|line| !line.is_empty())
            .map(|line| {
                let start = line.find("wsx ").expect("an example runs wsx");
                let command = [" |", " <", " >", "  "]
                    .iter()
                    .fold(&line[start..], |command, end| {
                        command.split(end).next().unwrap_or(command)
                    });
                command.split_whitespace().map(String::from).collect()
            })
            .collect()
    }

    #[test]
    fn help_examples_parse() {
        let root = Cli::command();
        let mut helps = vec![("wsx", root.get_after_help().unwrap().to_string())];
        for command in root.get_subcommands() {
            let help = command
                .get_after_help()
                .expect("every command has examples");
            helps.push((command.get_name(), help.to_string()));
        }
        for (name, help) in helps {
            let examples = example_commands(&help);
            assert!(examples.len() >= 3, "{name}: {} examples", examples.len());
            for words in examples {
                let args = normalize_args(words.iter().map(OsString::from).collect());
                if let Err(error) = Cli::try_parse_from(args) {
                    panic!("example {words:?} does not parse: {error}");
                }
            }
        }
    }

    #[test]
    fn every_visible_command_has_a_man_page() {
        let names: Vec<_> = Cli::command()
            .get_subcommands()
            .filter(|command| !command.is_hide_set())
            .map(|command| command.get_name().to_string())
            .collect();
        assert_eq!(names, MAN_PAGE_COMMANDS);
    }

    #[test]
    fn bare_url_means_connect() {
        let args = normalize_args(vec!["wsx".into(), "ws://h".into()]);
        assert_eq!(args, vec!["wsx", "connect", "ws://h"]);
        let args = normalize_args(vec!["wsx".into(), "serve".into()]);
        assert_eq!(args, vec!["wsx", "serve"]);
        let args = normalize_args(vec!["wsx".into(), "-v".into(), "wss://h".into()]);
        assert_eq!(args, vec!["wsx", "connect", "-v", "wss://h"]);
        let args = normalize_args(vec!["wsx".into(), "bench".into(), "ws://h".into()]);
        assert_eq!(args, vec!["wsx", "bench", "ws://h"]);
        let args = normalize_args(vec!["wsx".into(), "http://h:80".into()]);
        assert_eq!(args, vec!["wsx", "connect", "http://h:80"]);
        let args = normalize_args(vec!["wsx".into(), "localhost:8080/chat".into()]);
        assert_eq!(args, vec!["wsx", "connect", "localhost:8080/chat"]);
        let args = normalize_args(vec!["wsx".into(), "[::1]:8080".into()]);
        assert_eq!(args, vec!["wsx", "connect", "[::1]:8080"]);
        // A mistyped subcommand stays an error.
        let args = normalize_args(vec!["wsx".into(), "conect".into()]);
        assert_eq!(args, vec!["wsx", "conect"]);
        let args = normalize_args(vec!["wsx".into(), "ftp://h/".into()]);
        assert_eq!(args, vec!["wsx", "connect", "ftp://h/"]);
    }

    #[test]
    fn a_bare_host_name_gets_a_hint() {
        let hint = |arg: &str| bare_host_hint(&["wsx".into(), arg.into()]);
        assert_eq!(
            hint("localhost").as_deref(),
            Some("'localhost' is not a command; to connect to it: wsx connect ws://localhost/")
        );
        assert!(hint("example.com").is_some());
        assert!(hint("conect").is_none());
        assert!(hint("serve").is_none());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }
}
