//! From parsed flags to validated settings: URL defaulting, header and address parsing,
//! durations, and the REPL-or-pipe decision. Errors here are usage errors (exit 2).
//! Here: `connect` and what every command shares; `serve.rs`: `serve` and `proxy` (a serve
//! mode); `bench.rs`: `bench`.

mod bench;
mod serve;

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::{BinaryOutput, CommonArgs, ConnectArgs, ViewArgs};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::output::format::BinaryFormat;
use crate::output::{OutputOptions, color_wanted};
use crate::protocol::{Limits, Payload, SessionOptions};

pub use bench::BenchConfig;
pub use serve::{
    ListenAddr, Program, ProxySettings, ServeConfig, ServeMode, ServerTlsFiles, parse_listen_addr,
};

/// How long wsx waits for the peer's Close after sending its own.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What to send and when to stop sending, for either end.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// `-b` or `--raw`: what wsx sends from input goes as binary messages.
    pub binary: bool,
    /// `--raw`: stdin is read as bytes, not lines.
    pub raw: bool,
    /// The `-x` messages, files already read.
    pub execute: Vec<Payload>,
    pub wait: Option<Duration>,
    /// At EOF without `-w`: how long the peer must be quiet before wsx closes.
    pub linger: Duration,
    /// Read stdin (pipe mode) or the prompt (REPL).
    pub read_stdin: bool,
}

#[derive(Debug)]
pub struct ConnectConfig {
    pub client: Client,
    pub reconnect: bool,
    /// `--record FILE`: the file, and the `connect` step that opens it.
    pub record: Option<(std::path::PathBuf, crate::test::record::ConnectLine)>,
    pub session: SessionOptions,
    pub input: InputOptions,
    pub interactive: bool,
    pub verbose: bool,
    pub output: OutputOptions,
}

pub(crate) fn seconds(flag: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| Error::Usage(format!("{flag} takes a number of seconds, not {value}")))
}

/// A timeout of 0 would fail everything at once.
pub(crate) fn positive_seconds(flag: &str, value: f64) -> Result<Duration> {
    let duration = seconds(flag, value)?;
    if duration.is_zero() {
        return Err(Error::Usage(format!("{flag} must be more than 0")));
    }
    Ok(duration)
}

pub(crate) fn optional_seconds(flag: &str, value: Option<f64>) -> Result<Option<Duration>> {
    value.map(|value| seconds(flag, value)).transpose()
}

/// A count or size of 0 would make the option useless (`-n 0` would wait forever).
pub(crate) fn at_least_one(flag: &str, value: Option<u64>) -> Result<()> {
    match value {
        Some(0) => Err(Error::Usage(format!("{flag} must be at least 1"))),
        _ => Ok(()),
    }
}

pub(crate) fn session_options(common: &CommonArgs, echo: bool) -> Result<SessionOptions> {
    at_least_one("-n/--count", common.count)?;
    at_least_one("--max-message-size", Some(common.max_message_size as u64))?;
    at_least_one("--max-frame-size", Some(common.max_frame_size as u64))?;
    let ping_interval = optional_seconds("--ping-interval", common.ping_interval)?;
    if ping_interval.is_some_and(|every| every.is_zero()) {
        return Err(Error::Usage("--ping-interval must be more than 0".into()));
    }
    Ok(SessionOptions {
        echo,
        count: common.count,
        ping_interval,
        close_timeout: CLOSE_TIMEOUT,
        limits: Limits::new(common.max_message_size, common.max_frame_size),
    })
}

/// The `-x` messages as payloads: `@FILE` is the file's content (binary under `-b` or
/// `--raw`, otherwise text, which must be UTF-8), `@@…` a message that starts with `@`.
pub(crate) fn execute_messages(common: &CommonArgs) -> Result<Vec<Payload>> {
    let binary = common.binary || common.raw;
    common
        .execute
        .iter()
        .map(|message| {
            if let Some(escaped) = message.strip_prefix("@@") {
                return Ok(crate::input::typed_payload(format!("@{escaped}"), binary));
            }
            let Some(path) = message.strip_prefix('@') else {
                return Ok(crate::input::typed_payload(message.clone(), binary));
            };
            let content =
                std::fs::read(path).map_err(|error| Error::io(format!("cannot read -x @{path}"), error))?;
            crate::input::line_to_payload(content, binary).map_err(|_| {
                Error::Usage(format!(
                    "-x @{path}: the file is not valid UTF-8 text (send it as binary with -b or --raw)"
                ))
            })
        })
        .collect()
}

/// How events are shown, from `-P`, `-t`, `--jsonl`, `-q` and `--no-color`; nothing else.
pub(crate) fn view_options(view: &ViewArgs, interactive: bool) -> OutputOptions {
    // People read stdout in the REPL and stderr in pipe mode.
    let human_stream_is_terminal = if interactive {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    OutputOptions {
        color: color_wanted(view.no_color, human_stream_is_terminal),
        timestamps: view.timestamps,
        quiet: view.quiet,
        jsonl: view.jsonl,
        show_ping_pong: view.show_ping_pong,
        ..OutputOptions::plain()
    }
}

pub(crate) fn output_options(
    common: &CommonArgs,
    interactive: bool,
    payloads_on_stdout: bool,
) -> OutputOptions {
    OutputOptions {
        binary_output: match common.binary_output {
            BinaryOutput::Raw => BinaryFormat::Raw,
            BinaryOutput::Hex => BinaryFormat::Hex,
            BinaryOutput::Base64 => BinaryFormat::Base64,
        },
        raw: common.raw,
        payloads_on_stdout,
        pretty: common.pretty,
        transcript: interactive,
        ..view_options(&common.view, interactive)
    }
}

/// Both ends are terminals that a line editor can drive. rustyline cannot edit lines on the
/// terminals it calls unsupported (`TERM=dumb`, `cons25`, `emacs`), so there wsx stays in
/// pipe mode.
pub(crate) fn terminals() -> bool {
    std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && !crate::output::line_editing_unsupported()
}

impl TryFrom<ConnectArgs> for ConnectConfig {
    type Error = Error;

    fn try_from(args: ConnectArgs) -> Result<Self> {
        let common = &args.common;
        let stdin_is_terminal = std::io::stdin().is_terminal();
        // `-x` with nothing piped in means "just these messages".
        let read_stdin = common.execute.is_empty() || !stdin_is_terminal;
        let interactive =
            terminals() && common.execute.is_empty() && !common.view.jsonl && !common.raw;
        let session = session_options(common, args.echo)?;
        Ok(ConnectConfig {
            client: Client::new(&args.client, session.limits, common.verbose)?,
            reconnect: args.reconnect,
            record: args
                .record
                .clone()
                .map(|path| (path, crate::test::record::ConnectLine::new(&args.client))),
            session,
            input: InputOptions {
                binary: common.binary || common.raw,
                raw: common.raw,
                execute: execute_messages(common)?,
                wait: optional_seconds("--wait", common.wait)?,
                linger: args.linger,
                read_stdin,
            },
            interactive,
            verbose: common.verbose,
            output: output_options(common, interactive, true),
        })
    }
}
