//! `wsx connect`: dial, then run the session with input from the REPL or from stdin, and turn
//! how it ended into an exit code. With `--reconnect`, an unexpected drop dials again.

mod pipe;
mod repl;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ConnectConfig;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::output::format::describe_close;
use crate::output::sanitize::escape_line;
use crate::protocol::message::is_normal_close;
use crate::protocol::session::{self, outbox};
use crate::protocol::{Command, Ending, Event, EventSink, OutboxSender, Side};

/// Outgoing queue bound for `connect`, in messages and bytes: stdin waits when it is full.
const QUEUE_MESSAGES: usize = 1024;
const QUEUE_BYTES: usize = 16 << 20;

/// Said when the server ended the session with nothing received since the last message sent:
/// a reply may have been dropped because the Close came first.
const UNANSWERED_HINT: &str = "the server closed without answering the last message; if a reply \
     was expected, wait for it longer with --linger DUR, for N replies with -n N, or for SECS with -w SECS";

/// Reconnect backoff: from the first delay, doubling, capped.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A connection that lasted this long resets the backoff.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

pub fn run(config: ConnectConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    // One thread is plenty for one connection and starts fastest.
    let runtime = crate::single_thread_runtime()?;
    runtime.block_on(connect(config, printer))
}

async fn connect(config: ConnectConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    let mut connection = match config.client.dial(&printer).await {
        Ok(connection) => connection,
        Err(error) => {
            if config.output.jsonl {
                // A script reading the event stream learns of the failure there too.
                printer.event(None, &Event::Error(error.to_string()));
                printer.flush();
            }
            return Err(error);
        }
    };
    let (sender, mut outbox) = outbox(QUEUE_MESSAGES, QUEUE_BYTES);
    let recorder = match &config.record {
        Some((path, connect)) => Some(
            crate::test::record::Recorder::create(path, connect)
                .map_err(|error| Error::io(format!("cannot write {}", path.display()), error))?,
        ),
        None => None,
    };
    let mut sink = ConnectSink {
        printer: printer.clone(),
        jsonl: config.output.jsonl,
        recorder,
    };
    let closing = Arc::new(AtomicBool::new(false));
    let mut interrupted = close_on_signal(sender.clone(), closing.clone())?;
    // Input starts once the first connection is up; the queue then outlives reconnects.
    let mut _terminal = None;
    let mut input_task = None;
    let mut input_started = false;
    let mut first = Vec::new();
    // Doublings of the reconnect delay so far.
    let mut backoff_step = 0;
    loop {
        let first_connection = !input_started;
        if !input_started && config.interactive {
            let (terminal, task) =
                repl::start(&config, sender.clone(), printer.clone(), closing.clone())?;
            _terminal = Some(terminal);
            input_task = Some(task);
        } else if !input_started {
            pipe::spawn_input(
                sender.clone(),
                config.input.clone(),
                // With -n or --echo the peer drives the session: EOF alone does not close it.
                config.session.count.is_none() && !config.session.echo,
                printer.clone(),
            );
        }
        input_started = true;
        // After the REPL is up, so that the banner is a REPL line like every later event.
        report_open(&config, &printer, &connection);
        if first_connection && config.interactive {
            printer.info(repl::HINT);
        }
        let started = std::time::Instant::now();
        let ending = session::run(
            connection.ws,
            &config.session,
            &mut outbox,
            std::mem::take(&mut first),
            &mut sink,
        )
        .await;
        if !(config.reconnect && is_unexpected(&ending)) {
            if let Some(task) = input_task {
                task.abort();
            }
            if !config.interactive && ending == (Ending::Local { unanswered: true }) {
                printer.info(UNANSWERED_HINT);
            }
            printer.flush();
            return exit_status(ending);
        }
        // A connection that drops soon after it opened does not reset the backoff: a server
        // that accepts and drops at once is not hammered twice a second.
        if started.elapsed() >= STABLE_CONNECTION {
            backoff_step = 0;
        }
        let mut attempt_number = 0;
        connection = loop {
            let delay = backoff(backoff_step);
            let what = if attempt_number == 0 {
                describe_ending(&ending)
            } else {
                format!("attempt {attempt_number} failed")
            };
            attempt_number += 1;
            backoff_step += 1;
            printer.warn(&format!(
                "{what}; reconnecting in {:.1}s",
                delay.as_secs_f64()
            ));
            let attempt = async {
                tokio::time::sleep(delay).await;
                config.client.dial(&printer).await
            };
            tokio::select! {
                dialed = attempt => match dialed {
                    Ok(connection) => break connection,
                    Err(error) => printer.warn(&error.to_string()),
                },
                // Ctrl-C or Ctrl-D at the prompt, or a signal: the user gives up on the
                // connection.
                () = repl_ended(&mut input_task) => {
                    printer.flush();
                    return exit_status(ending);
                }
                _ = interrupted.changed() => {
                    printer.flush();
                    return exit_status(ending);
                }
            }
        };
        // The -x messages go again, ahead of whatever input is queued.
        first = config
            .input
            .execute
            .iter()
            .map(|payload| Command::Send(payload.clone()))
            .collect();
    }
}

/// Ctrl-C or SIGTERM closes the connection properly (1000) instead of leaving the peer to
/// find it gone; another one, or the first once the close is under way (Ctrl-C at the REPL
/// prompt already asked for it), ends wsx at once. The receiver changes at the first.
fn close_on_signal(
    sender: OutboxSender,
    closing: Arc<AtomicBool>,
) -> Result<watch::Receiver<bool>> {
    // Registered here, not in the task: from now on the signals no longer kill wsx.
    let watch_for = |kind: SignalKind| {
        signal(kind).map_err(|error| Error::io("cannot watch for signals", error))
    };
    let mut interrupt = watch_for(SignalKind::interrupt())?;
    let mut terminate = watch_for(SignalKind::terminate())?;
    let (interrupted, receiver) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        if !closing.swap(true, Ordering::Relaxed) {
            let _ = interrupted.send(true);
            let _ = sender.control(Command::normal_close());
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        // 128 + SIGINT, as shells report an interrupted command.
        std::process::exit(130);
    });
    Ok(receiver)
}

/// Resolves once the REPL has ended; never without a REPL. Pipe input has no such signal:
/// its Close at EOF waits in the queue for the next connection.
async fn repl_ended(task: &mut Option<JoinHandle<()>>) {
    match task {
        Some(task) => {
            let _ = task.await;
        }
        None => std::future::pending().await,
    }
}

fn report_open<S>(
    config: &ConnectConfig,
    printer: &Printer,
    connection: &crate::protocol::handshake::ClientConnection<S>,
) {
    if config.verbose {
        printer.verbose(&crate::output::format::prefix_lines(
            "> ",
            &connection.request_head,
        ));
        printer.verbose(&crate::output::format::prefix_lines(
            "< ",
            &connection.response_head,
        ));
    }
    printer.event(
        None,
        &Event::Open {
            url: connection.url.to_string(),
            subprotocol: connection.subprotocol.clone(),
            addr: None,
            origin: None,
        },
    );
}

/// Drops worth reconnecting after: no Close at all, or a Close with an error code.
fn is_unexpected(ending: &Ending) -> bool {
    match ending {
        Ending::Lost(_) => true,
        Ending::Peer { code, .. } => !is_normal_close(*code),
        Ending::Local { .. } | Ending::Failed(_) => false,
    }
}

/// Exponential backoff with ±25% jitter, so many clients do not return in lockstep.
fn backoff(failures: u32) -> Duration {
    let base = BACKOFF_FIRST
        .saturating_mul(1 << failures.min(10))
        .min(BACKOFF_MAX);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
    base.mul_f64(jitter)
}

fn describe_ending(ending: &Ending) -> String {
    match ending {
        Ending::Peer { code, reason } => {
            format!("closed by peer with {}", describe_close(*code, reason))
        }
        Ending::Lost(detail) => format!("connection lost: {} (1006)", escape_line(detail)),
        Ending::Failed(violation) => format!(
            "{}; closed the connection with {}",
            crate::error::describe_violation(violation),
            describe_close(Some(violation.close_code()), "")
        ),
        Ending::Local { .. } => "closed".to_string(),
    }
}

/// Maps how the session ended to the spec's exit codes.
fn exit_status(ending: Ending) -> Result<ExitCode> {
    if ending.is_normal() {
        return Ok(ExitCode::SUCCESS);
    }
    Err(match &ending {
        Ending::Peer { .. } => Error::PeerClosed(describe_ending(&ending)),
        _ => Error::ConnectionLost(describe_ending(&ending)),
    })
}

/// Sends session events to the printer. Events that become the fatal error line (an error
/// close by the peer, a lost connection) are left to that line, unless `--jsonl` logs all.
struct ConnectSink {
    printer: Arc<Printer>,
    jsonl: bool,
    /// `--record`: the session as a test file.
    recorder: Option<crate::test::record::Recorder>,
}

impl EventSink for ConnectSink {
    fn event(&mut self, event: Event) {
        let fatal = match &event {
            Event::Close {
                code,
                by: Side::Peer,
                ..
            } => !is_normal_close(*code),
            Event::Error(_) | Event::Violation(_) => true,
            _ => false,
        };
        if let Some(recorder) = &mut self.recorder {
            recorder.received(&event);
        }
        if self.jsonl || !fatal {
            self.printer.event(None, &event);
        }
    }

    fn sent(&mut self, command: &Command) {
        if let Some(recorder) = &mut self.recorder {
            recorder.sent(command);
        }
    }

    fn idle(&mut self) {
        self.printer.flush();
    }
}
