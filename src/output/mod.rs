//! The one writer to stdout and stderr. The `Printer` knows the mode (REPL, pipe, JSONL),
//! decides color once, and routes each event: payloads to stdout, diagnostics to stderr, and
//! in the REPL everything above the prompt through rustyline's external printer. In an
//! interactive session it also keeps the transcript that `/save` writes.

pub mod format;
mod payload;
pub mod sanitize;
mod transcript;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use colored::{ColoredString, Colorize};

use crate::protocol::{Event, Payload};
use format::{HumanLine, Layout, Tone};
pub use transcript::Saved;
use transcript::Transcript;

/// How output looks; fixed for the whole run.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub color: bool,
    pub timestamps: bool,
    pub quiet: bool,
    pub jsonl: bool,
    pub show_ping_pong: bool,
    pub binary_output: format::BinaryFormat,
    /// `--raw`: payloads as bytes on stdout, nothing added.
    pub raw: bool,
    /// False for relays (`--echo`, `--broadcast`): they print no payloads unless `--jsonl`.
    pub payloads_on_stdout: bool,
    /// `--pretty`: indent JSON messages in the REPL.
    pub pretty: bool,
    /// Keep a transcript of the session for `/save` (interactive sessions).
    pub transcript: bool,
}

impl OutputOptions {
    /// No color, no extras, payloads nowhere: for runs that report through their own means.
    pub fn plain() -> OutputOptions {
        OutputOptions {
            color: false,
            timestamps: false,
            quiet: false,
            jsonl: false,
            show_ping_pong: false,
            binary_output: format::BinaryFormat::Raw,
            raw: false,
            payloads_on_stdout: false,
            pretty: false,
            transcript: false,
        }
    }
}

/// Color is on unless the flag, a non-empty `NO_COLOR` or `TERM=dumb` says otherwise, and only
/// when the stream people read is a terminal.
pub fn color_wanted(no_color_flag: bool, stream_is_terminal: bool) -> bool {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    !no_color_flag && !no_color_env && !term_is_one_of(&["dumb"]) && stream_is_terminal
}

/// Terminals on which rustyline cannot edit lines: wsx stays in pipe mode there.
pub fn line_editing_unsupported() -> bool {
    term_is_one_of(&["dumb", "cons25", "emacs"])
}

/// `TERM` names, in the one place that reads it.
fn term_is_one_of(names: &[&str]) -> bool {
    std::env::var("TERM").is_ok_and(|term| names.iter().any(|name| term.eq_ignore_ascii_case(name)))
}

type ReplPrinter = Box<dyn rustyline::ExternalPrinter + Send>;

pub struct Printer {
    options: OutputOptions,
    layout: Layout,
    stdout: Mutex<StdoutSink>,
    repl: Mutex<Option<ReplPrinter>>,
    /// Mirrors `repl.is_some()`, read on every message without taking the lock.
    repl_attached: AtomicBool,
    /// Set when stdout has buffered bytes, so that flushing an idle connection that printed
    /// nothing (every relay message) takes no lock.
    stdout_dirty: AtomicBool,
    transcript: Mutex<Transcript>,
    /// What to do when stdout's reader goes away, instead of exiting (`serve` stops its
    /// clients properly).
    on_stdout_closed: OnceLock<Box<dyn Fn() + Send + Sync>>,
    stdout_closed: AtomicBool,
}

struct StdoutSink {
    writer: BufWriter<File>,
    /// On a terminal every line is flushed at once; in a pipe only when idle or full.
    is_terminal: bool,
}

impl Printer {
    pub fn new(options: OutputOptions) -> io::Result<Self> {
        colored::control::set_override(options.color);
        let stdout = io::stdout();
        let is_terminal = stdout.is_terminal();
        // A duplicate of fd 1 as a File: std's Stdout flushes at every newline, which costs a
        // syscall per message in pipe mode.
        let file = File::from(stdout.as_fd().try_clone_to_owned()?);
        Ok(Printer {
            layout: Layout {
                pretty_json: options.pretty,
                color: options.color,
            },
            options,
            transcript: Mutex::new(Transcript::default()),
            stdout: Mutex::new(StdoutSink {
                writer: BufWriter::with_capacity(64 * 1024, file),
                is_terminal,
            }),
            repl: Mutex::new(None),
            repl_attached: AtomicBool::new(false),
            stdout_dirty: AtomicBool::new(false),
            on_stdout_closed: OnceLock::new(),
            stdout_closed: AtomicBool::new(false),
        })
    }

    /// From now on, human lines go above the REPL prompt.
    pub fn attach_repl(&self, printer: ReplPrinter) {
        *lock(&self.repl) = Some(printer);
        self.repl_attached.store(true, Ordering::Release);
    }

    pub fn detach_repl(&self) {
        *lock(&self.repl) = None;
        self.repl_attached.store(false, Ordering::Release);
    }

    fn in_repl(&self) -> bool {
        self.repl_attached.load(Ordering::Acquire)
    }

    /// Reports an event of the connection (`client` is the id in `serve`).
    pub fn event(&self, client: Option<u64>, event: &Event) {
        self.event_on(client, None, event);
    }

    /// As [`Printer::event`], for a `serve` client on a channel: `--jsonl` says which.
    pub fn event_on(&self, client: Option<u64>, channel: Option<&str>, event: &Event) {
        let is_control = match event {
            Event::Ping(_) | Event::Pong(_) => true,
            // The answer to a /ping the person typed is shown whether or not -P asked.
            Event::PingAnswered { .. } => !self.in_repl(),
            _ => false,
        };
        if is_control && !self.options.show_ping_pong {
            return;
        }
        self.record(|ts| format::jsonl(event, ts, client));
        if self.options.jsonl {
            let mut line = format::jsonl_in(event, SystemTime::now(), client, channel).into_bytes();
            line.push(b'\n');
            self.write_stdout(&line);
            return;
        }
        match event {
            Event::Message(_) if self.in_repl() => {
                self.human(client, &format::human(event, self.layout));
            }
            Event::Message(payload) => {
                if self.options.payloads_on_stdout {
                    self.write_payload(payload);
                }
            }
            _ => {
                if !self.options.quiet || self.in_repl() {
                    self.human(client, &format::human(event, self.layout));
                }
            }
        }
    }

    /// Reports an event `proxy` relayed for `client`: `from_upstream` says which way. Messages
    /// show in the console (`<` from upstream, `>` from the client) and in `--jsonl` (with
    /// `"from"`, and `"dropped": true` for a message `--drop` kept from crossing); in pipe
    /// mode the proxy is a relay and prints no payloads.
    pub fn relayed(&self, client: u64, from_upstream: bool, event: &Event, dropped: bool) {
        let is_control = matches!(
            event,
            Event::Ping(_) | Event::Pong(_) | Event::PingAnswered { .. }
        );
        if is_control && !self.options.show_ping_pong {
            return;
        }
        let from = if from_upstream { "upstream" } else { "client" };
        if self.options.jsonl {
            let mut line =
                format::jsonl_from(event, SystemTime::now(), client, from, dropped).into_bytes();
            line.push(b'\n');
            self.write_stdout(&line);
            return;
        }
        let line = match event {
            Event::Message(payload) if self.in_repl() => {
                let mut line = format::human(event, self.layout);
                if !from_upstream {
                    line = format::sent(payload, self.layout);
                }
                line
            }
            Event::Message(_) => return,
            _ => {
                let mut line = format::human(event, self.layout);
                line.text = format!("{from} {}", line.text);
                line
            }
        };
        if !self.options.quiet || self.in_repl() {
            self.human(Some(client), &line);
        }
    }

    /// A diagnostic about one client.
    pub fn note(&self, client: u64, text: &str) {
        if !self.options.quiet || self.in_repl() {
            self.human(
                Some(client),
                &HumanLine {
                    tone: Tone::Info,
                    text: text.to_string(),
                },
            );
        }
    }

    /// Shows, in the REPL only, a message wsx sent on the user's behalf.
    pub fn sent(&self, client: Option<u64>, payload: &Payload) {
        self.typed(client, payload);
        if self.in_repl() && !self.options.jsonl {
            self.human(client, &format::sent(payload, self.layout));
        }
    }

    /// A message sent as the user typed it: already on screen in the prompt's line, so it
    /// only goes into the transcript.
    pub fn typed(&self, client: Option<u64>, payload: &Payload) {
        self.record(|ts| format::jsonl_sent(payload, ts, client));
    }

    fn record(&self, line: impl FnOnce(SystemTime) -> String) {
        if self.options.transcript {
            lock(&self.transcript).push(line(SystemTime::now()));
        }
    }

    /// `/save FILE`: the transcript so far, as JSON lines.
    pub fn save_transcript(&self, path: &Path) -> io::Result<Saved> {
        lock(&self.transcript).save(path)
    }

    /// A diagnostic: stderr in pipe mode (unless `-q`), above the prompt in the REPL.
    pub fn info(&self, text: &str) {
        if !self.options.quiet || self.in_repl() {
            self.human(
                None,
                &HumanLine {
                    tone: Tone::Info,
                    text: text.to_string(),
                },
            );
        }
    }

    /// A non-fatal problem: like `info`, in the error color.
    pub fn warn(&self, text: &str) {
        if !self.options.quiet || self.in_repl() {
            self.human(
                None,
                &HumanLine {
                    tone: Tone::Error,
                    text: text.to_string(),
                },
            );
        }
    }

    /// A line printed even with `-q` and never timestamped (the `listening on` line, which
    /// scripts wait for and parse).
    pub fn notice(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "{}", paint_body(Tone::Info, text));
    }

    /// The handshake heads for `-v`: always stderr, never through the prompt.
    pub fn verbose(&self, text: &str) {
        let mut stderr = io::stderr().lock();
        for line in text.lines() {
            let _ = writeln!(stderr, "{}", sanitize::escape_line(line).dimmed());
        }
    }

    /// A line the `--exec` program of `client` wrote on its stderr. Shown even with `-q`: it is
    /// the program's own output, not a wsx diagnostic.
    pub fn program_stderr(&self, client: u64, line: &str) {
        let mut text = self.prefix(Some(client));
        text.push_str(&sanitize::escape_line(line));
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// The time (with `-t`) and the client id that start a line on stderr.
    fn prefix(&self, client: Option<u64>) -> String {
        let mut text = String::new();
        if self.options.timestamps {
            text.push_str(&format!("{} ", format::clock(SystemTime::now()).dimmed()));
        }
        if let Some(client) = client {
            text.push_str(&format!("{} ", format!("[{client}]").dimmed()));
        }
        text
    }

    fn human(&self, client: Option<u64>, line: &HumanLine) {
        let mut text = self.prefix(client);
        let mut repl = lock(&self.repl);
        if let Some(printer) = repl.as_mut() {
            text.push_str(&paint(line.tone, line.marker()).to_string());
            text.push(' ');
            text.push_str(&paint_body(line.tone, &line.text).to_string());
            text.push('\n');
            let _ = printer.print(text);
            return;
        }
        drop(repl);
        text.push_str(&paint_body(line.tone, &line.text).to_string());
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    fn write_payload(&self, payload: &Payload) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut stdout = lock(&self.stdout);
        let format = format::StdoutFormat {
            binary: self.options.binary_output,
            raw: self.options.raw,
            terminal: stdout.is_terminal,
        };
        let (payload, newline) = format::stdout_bytes(payload, format);
        // Set under the lock, after the bytes are in: a flush that clears it then takes the
        // lock and writes them out.
        self.stdout_dirty.store(true, Ordering::Relaxed);
        let mut result = stdout.writer.write_all(&payload);
        if newline {
            result = result.and_then(|()| stdout.writer.write_all(b"\n"));
        }
        let result = result.and_then(|()| {
            if stdout.is_terminal {
                stdout.writer.flush()
            } else {
                Ok(())
            }
        });
        self.check_write(result);
    }

    fn write_stdout(&self, bytes: &[u8]) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut stdout = lock(&self.stdout);
        self.stdout_dirty.store(true, Ordering::Relaxed);
        let mut result = stdout.writer.write_all(bytes);
        if stdout.is_terminal {
            result = result.and_then(|()| stdout.writer.flush());
        }
        self.check_write(result);
    }

    /// A report meant for stdout as it is (`wsx bench`'s summary).
    pub fn write_summary(&self, text: &str) {
        self.write_stdout(text.as_bytes());
        self.flush();
    }

    /// Writes out buffered stdout: when the connection goes idle, and before exit.
    pub fn flush(&self) {
        if self.stdout_dirty.swap(false, Ordering::Relaxed) {
            let result = lock(&self.stdout).writer.flush();
            self.check_write(result);
        }
    }
}

impl Printer {
    /// Replaces the quiet exit when stdout's reader goes away.
    pub fn on_stdout_closed(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_stdout_closed.set(Box::new(hook));
    }

    /// A reader that went away (`wsx … | head -1`) is a normal end, not an error: wsx exits
    /// quietly, or runs the hook once and writes nothing more to stdout.
    fn check_write(&self, result: io::Result<()>) {
        if let Err(error) = result
            && error.kind() == io::ErrorKind::BrokenPipe
        {
            match self.on_stdout_closed.get() {
                Some(hook) => {
                    if !self.stdout_closed.swap(true, Ordering::Relaxed) {
                        hook();
                    }
                }
                None => std::process::exit(0),
            }
        }
    }
}

fn paint(tone: Tone, text: &str) -> ColoredString {
    match tone {
        Tone::Received => text.green().bold(),
        Tone::Sent => text.blue().bold(),
        Tone::Info => text.cyan(),
        Tone::Error => text.red().bold(),
    }
}

fn paint_body(tone: Tone, text: &str) -> ColoredString {
    match tone {
        Tone::Received | Tone::Sent => text.normal(),
        Tone::Info => text.cyan(),
        Tone::Error => text.red(),
    }
}

/// A poisoned lock only means another thread panicked while printing; keep printing.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
