//! `serve --exec`: each client talks to its own child process, started without a shell once
//! the upgrade is done. Messages go to the child's stdin as lines; each line of its stdout
//! goes out as a message as soon as it is read; its stderr goes to wsx's stderr tagged with
//! the client id. The child's exit closes the connection (1000 when it exits 0, 1011
//! otherwise), and the connection's end stops the child: SIGTERM, then SIGKILL after a grace
//! period, sent to its process group so that what a script started stops with it.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::Server;
use super::hub::STALL_LIMIT;
use crate::config::Program;
use crate::error::io_reason;
use crate::input::strip_line_ending;
use crate::output::Printer;
use crate::protocol::handshake::IncomingRequest;
use crate::protocol::session::{self, Outbox};
use crate::protocol::{BoxedTransport, Command, Event, EventSink, OutboxSender, Payload, Upgraded};
use crate::queue::{self, QueueError, Refused};

/// How long a child has to exit after SIGTERM before it gets SIGKILL. The same bound applies
/// to output that still comes after the child exited (from something it left running).
const GRACE: Duration = Duration::from_secs(2);

/// Longer stderr lines are forwarded in pieces of this size.
const STDERR_LINE_LIMIT: usize = 64 * 1024;

/// The child for one client, with the request in its environment. Prepared before the
/// upgrade, which consumes the request.
pub fn command(
    program: &Program,
    addr: &str,
    request: &IncomingRequest,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(&program.path);
    command
        .args(&program.args)
        .env("WSX_CLIENT_ADDR", addr)
        .env("WSX_PATH", request.path())
        .env("WSX_QUERY", request.query())
        .envs(header_variables(request.headers()));
    command
}

/// `X-Test: a` → `WSX_HEADER_X_TEST=a`; a repeated header's values are joined with `, `, as
/// HTTP allows (RFC 9110 §5.3).
fn header_variables<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<(String, OsString)> {
    let mut variables: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, value) in headers {
        let name = header_variable(name);
        match variables.iter_mut().find(|(known, _)| *known == name) {
            Some((_, joined)) => {
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(value);
            }
            None => variables.push((name, value.to_vec())),
        }
    }
    variables
        .into_iter()
        .map(|(name, value)| (name, OsString::from_vec(value)))
        .collect()
}

/// Upper case, and `_` for every character a shell variable name cannot hold (`-`, `.`, …).
fn header_variable(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("WSX_HEADER_{name}")
}

/// Runs one client's session against its own child until both have ended, so the client's
/// place under `--max-connections` is given back only once its child is gone.
pub async fn serve(
    server: Arc<Server>,
    (id, channel): (u64, String),
    ws: Upgraded<BoxedTransport>,
    outbox: &mut Outbox,
    sender: OutboxSender,
    mut command: tokio::process::Command,
) {
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let (stdin_queue, stdin_lines) = stdin_queue(&server);
    let mut sink = ExecSink {
        server: server.clone(),
        id,
        channel,
        stdin: stdin_queue,
        outbox: sender.clone(),
        refused: false,
        waiting: None,
    };
    command
        .env("WSX_CLIENT_ID", id.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that stopping it stops what it started too.
        .process_group(0)
        // Should this task be dropped (the server shutting down), the child dies with it.
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let message = format!("cannot start {program}: {}", io_reason(&error));
            server.printer.event(Some(id), &Event::Error(message));
            // Nothing will read what the client still sends before the close completes.
            drop(stdin_lines);
            let close = Command::Close {
                code: 1011,
                reason: "cannot start the program".into(),
            };
            session::run_server(ws, &server.session, outbox, vec![close], &mut sink).await;
            return;
        }
    };
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    tokio::spawn(feed_stdin(stdin, stdin_lines));
    tokio::spawn(forward_stderr(stderr, server.printer.clone(), id));

    let (gone, client_gone) = oneshot::channel::<()>();
    let session = async {
        session::run_server(ws, &server.session, outbox, server.greetings(), &mut sink).await;
        // Closes the child's stdin once the queued lines are written, and tells the
        // supervisor to stop the child.
        drop(sink);
        drop(gone);
    };
    tokio::join!(
        session,
        supervise(child, stdout, &sender, client_gone, &server, id, &program)
    );
}

/// Relays the child's stdout until the child has exited, then closes the connection with its
/// verdict; or stops the child when the client goes first.
async fn supervise(
    mut child: Child,
    stdout: ChildStdout,
    sender: &OutboxSender,
    client_gone: oneshot::Receiver<()>,
    server: &Server,
    id: u64,
    program: &str,
) {
    tokio::select! {
        () = relay(&mut child, stdout, sender, server, id, program) => {}
        _ = client_gone => stop(&mut child, server, id).await,
    }
}

async fn relay(
    child: &mut Child,
    stdout: ChildStdout,
    sender: &OutboxSender,
    server: &Server,
    id: u64,
    program: &str,
) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    let limit = server.config.session.limits.max_message_size;
    let mut exit = None;
    loop {
        let read = tokio::select! {
            read = read_line(&mut reader, &mut line, limit) => read,
            status = child.wait(), if exit.is_none() => {
                exit = Some(status);
                continue;
            }
            // Something the child left running may hold its stdout open: after the exit,
            // wait only while output keeps coming.
            () = tokio::time::sleep(GRACE), if exit.is_some() => break,
        };
        match read {
            Ok(true) => {
                strip_line_ending(&mut line);
                let payload = server.program_payload(std::mem::take(&mut line));
                // Waiting for room here is the backpressure on the child: it blocks on a
                // full pipe instead of wsx buffering its output.
                if sender.send(Command::Send(payload)).await.is_err() {
                    return;
                }
            }
            Ok(false) | Err(_) => break,
        }
    }
    let status = match exit {
        Some(status) => status,
        None => child.wait().await,
    };
    let close = match verdict(&status) {
        None => Command::normal_close(),
        Some(failure) => {
            server
                .printer
                .event(Some(id), &Event::Error(format!("{program} {failure}")));
            // RFC 6455 §7.4.1: 1011, the server met a condition that kept it from serving.
            Command::Close {
                code: 1011,
                reason: format!("program {failure}"),
            }
        }
    };
    // Queued behind the last lines, so they reach the client first.
    let _ = sender.send(close).await;
}

/// None when the child exited 0; otherwise how it failed ("exited with code 3").
fn verdict(status: &io::Result<ExitStatus>) -> Option<String> {
    match status {
        Ok(status) if status.success() => None,
        Ok(status) => Some(match (status.code(), status.signal()) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => format!("ended: {status}"),
        }),
        Err(error) => Some(format!("could not be waited for: {error}")),
    }
}

/// SIGTERM to the child's process group, then SIGKILL if the child is still there after
/// [`GRACE`].
async fn stop(child: &mut Child, server: &Server, id: u64) {
    // None once the child has been reaped: its process group may be gone and its number
    // reused, so nothing is signalled then.
    let Some(group) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return;
    };
    let group = Pid::from_raw(group);
    let _ = killpg(group, Signal::SIGTERM);
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        server.printer.warn(&format!(
            "[{id}] the program did not stop within {}s of SIGTERM; killing it",
            GRACE.as_secs()
        ));
        let _ = killpg(group, Signal::SIGKILL);
        let _ = child.wait().await;
    }
}

/// Appends the next line, its `\n` included, to `line`, stopping early at `limit` bytes so a
/// child that never writes a newline cannot make wsx buffer without bound. False at the end
/// of the stream with nothing read. Cancel-safe: what was read is in `line` already.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<bool> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(!line.is_empty());
        }
        let room = limit.saturating_sub(line.len()).max(1);
        let window = &available[..available.len().min(room)];
        let (taken, complete) = match window.iter().position(|&byte| byte == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (window.len(), window.len() == room),
        };
        line.extend_from_slice(&window[..taken]);
        reader.consume(taken);
        if complete {
            return Ok(true);
        }
    }
}

/// Messages on their way to the child's stdin, as lines, bounded like a client's outgoing
/// queue (`--queue-limit` messages, 16 MiB): a child that stops reading gets the client closed
/// rather than wsx buffering for it.
fn stdin_queue(server: &Server) -> (queue::Sender<Vec<u8>>, queue::Receiver<Vec<u8>>) {
    queue::bounded(server.config.queue_messages, server.config.queue_bytes)
}

/// Writes queued messages to the child's stdin; the stdin closes when the queue does.
async fn feed_stdin(mut stdin: ChildStdin, mut lines: queue::Receiver<Vec<u8>>) {
    while let Some(line) = lines.recv().await {
        if stdin.write_all(&line).await.is_err() {
            // The child closed its stdin; what it does not read is dropped.
            break;
        }
    }
}

async fn forward_stderr(stderr: ChildStderr, printer: Arc<Printer>, id: u64) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    while let Ok(true) = read_line(&mut reader, &mut line, STDERR_LINE_LIMIT).await {
        strip_line_ending(&mut line);
        printer.program_stderr(id, &String::from_utf8_lossy(&line));
        line.clear();
    }
}

/// Routes one client's events: messages to its child, every event to the printer.
struct ExecSink {
    server: Arc<Server>,
    id: u64,
    /// For `--jsonl`, as every serve mode reports it.
    channel: String,
    stdin: queue::Sender<Vec<u8>>,
    outbox: OutboxSender,
    /// Set once the client has been told to go: nothing more reaches the child.
    refused: bool,
    /// A line that found the child's input queue full, and until when it may wait for room.
    waiting: Option<(Vec<u8>, Instant)>,
}

impl ExecSink {
    fn forward(&mut self, payload: &Payload) {
        if self.refused {
            return;
        }
        if matches!(payload, Payload::Binary(_)) && !self.server.config.input.binary {
            // RFC 6455 §7.4.1: 1003, a type of data the endpoint cannot accept.
            self.refuse(
                1003,
                "binary messages are not accepted (serve with --binary)",
            );
            return;
        }
        let mut line = Vec::with_capacity(payload.len() + 1);
        line.extend_from_slice(payload.as_bytes());
        line.push(b'\n');
        match self.stdin.try_send(line) {
            // Closed: the child closed its stdin or exited, and its exit closes the connection.
            Ok(())
            | Err(Refused {
                error: QueueError::Closed,
                ..
            }) => {}
            // The session reads nothing more from the client until the line is queued.
            Err(Refused { item: line, .. }) => {
                self.waiting = Some((line, Instant::now() + STALL_LIMIT));
            }
        }
    }

    /// Waits for room for the waiting line; a child that reads nothing for [`STALL_LIMIT`]
    /// gets its client closed with 1008.
    async fn queue_waiting(&mut self) {
        let Some((line, deadline)) = &self.waiting else {
            return;
        };
        if tokio::time::timeout_at(*deadline, self.stdin.send(line.clone()))
            .await
            .is_err()
        {
            self.server.printer.warn(&format!(
                "[{}] the program is not reading its input; closing the client with 1008",
                self.id
            ));
            self.refuse(1008, "the program is not reading its input");
        }
        self.waiting = None;
    }

    fn refuse(&mut self, code: u16, reason: &str) {
        self.refused = true;
        let _ = self.outbox.control(Command::Close {
            code,
            reason: reason.to_string(),
        });
    }
}

impl EventSink for ExecSink {
    fn event(&mut self, event: Event) {
        if let Event::Message(payload) = &event {
            self.forward(payload);
        }
        self.server.report(self.id, &self.channel, &event);
    }

    fn idle(&mut self) {
        self.server.printer.flush();
    }

    fn blocked(&self) -> bool {
        self.waiting.is_some()
    }

    async fn ready(&mut self) {
        self.queue_waiting().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], limit: usize) -> Vec<Vec<u8>> {
        let mut reader = input;
        let mut found = Vec::new();
        let mut line = Vec::new();
        while read_line(&mut reader, &mut line, limit).await.unwrap() {
            found.push(std::mem::take(&mut line));
        }
        found
    }

    #[tokio::test]
    async fn lines_are_split_at_newlines_and_at_the_limit() {
        assert_eq!(
            lines(b"one\ntwo\n\nlast", 100).await,
            [&b"one\n"[..], b"two\n", b"\n", b"last"]
        );
        assert_eq!(
            lines(b"abcdefg\nh", 3).await,
            [&b"abc"[..], b"def", b"g\n", b"h"]
        );
        assert!(lines(b"", 3).await.is_empty());
    }

    #[test]
    fn header_names_become_variable_names() {
        assert_eq!(header_variable("x-test"), "WSX_HEADER_X_TEST");
        assert_eq!(header_variable("sec.odd~name"), "WSX_HEADER_SEC_ODD_NAME");
        let headers = [("x-a", &b"1"[..]), ("accept", b"text/plain"), ("x-a", b"2")];
        assert_eq!(
            header_variables(headers.into_iter()),
            [
                ("WSX_HEADER_X_A".to_string(), OsString::from("1, 2")),
                (
                    "WSX_HEADER_ACCEPT".to_string(),
                    OsString::from("text/plain")
                ),
            ]
        );
    }

    #[test]
    fn exit_status_decides_the_verdict() {
        let exited = |code: i32| Ok(ExitStatus::from_raw(code << 8));
        assert_eq!(verdict(&exited(0)), None);
        assert_eq!(verdict(&exited(3)).unwrap(), "exited with code 3");
        assert_eq!(
            verdict(&Ok(ExitStatus::from_raw(9))).unwrap(),
            "killed by signal 9"
        );
    }
}
