//! The operator console of `serve`: a REPL on a terminal, stdin lines otherwise. Either way
//! a line goes to every client connected at that moment.

use std::io::BufRead;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Server;
use super::hub::Pending;
use crate::config::ServeMode;
use crate::error::{Error, Result};
use crate::input::{line_to_payload, not_utf8_warning, read_chunks, strip_line_ending};
use crate::output::Printer;
use crate::protocol::{Command, Payload};
use crate::repl::command::{self, ReplCommand};
use crate::repl::{self, Input, TerminalGuard};

/// Starts reading operator input, if this mode has any. The guard (REPL only) restores the
/// terminal when the server stops.
pub fn start(server: Arc<Server>) -> Result<Option<TerminalGuard>> {
    let proxy = matches!(server.config.mode, ServeMode::Proxy(_));
    if !(server.config.mode == ServeMode::Console || proxy) || !server.config.input.read_stdin {
        return Ok(None);
    }
    if proxy && !server.config.interactive {
        // In pipe mode a proxy is a relay: it reads no stdin.
        return Ok(None);
    }
    if server.config.interactive {
        return start_repl(server).map(Some);
    }
    // Read on a plain thread (stdin blocks); sent on from the runtime, which can wait for
    // room in the clients' queues. The one-line channel passes that wait back to stdin.
    let (lines_tx, lines) = mpsc::channel(1);
    let printer = server.printer.clone();
    let binary = server.config.input.binary;
    if server.config.input.raw {
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let sent = read_chunks(&mut stdin.lock(), |payload| {
                lines_tx.blocking_send(payload).is_ok()
            });
            if let Err(error) = sent {
                printer.warn(&format!("reading stdin failed: {error}"));
            }
        });
    } else {
        std::thread::spawn(move || read_stdin(&lines_tx, binary, &printer));
    }
    tokio::spawn(send_stdin_lines(server, lines));
    Ok(None)
}

/// Reads stdin lines as `connect`'s pipe does: a line that is not UTF-8 is reported and
/// skipped (unless `-b`).
fn read_stdin(lines: &mpsc::Sender<Payload>, binary: bool, printer: &Printer) {
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut line_number = 0;
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                line_number += 1;
                strip_line_ending(&mut line);
                let Ok(payload) = line_to_payload(line, binary) else {
                    printer.warn(&not_utf8_warning(line_number));
                    continue;
                };
                if lines.blocking_send(payload).is_err() {
                    break;
                }
            }
            Err(error) => {
                printer.warn(&format!("reading stdin failed: {error}"));
                break;
            }
        }
    }
}

async fn send_stdin_lines(server: Arc<Server>, mut lines: mpsc::Receiver<Payload>) {
    let mut pending = Pending::default();
    while let Some(payload) = lines.recv().await {
        let command = Command::Send(payload);
        // A line read while nobody is connected waits for the first client: `echo hello |
        // wsx serve` greets whoever comes. stdin is not read meanwhile (the channel holds
        // one line), so what waits stays bounded by the pipe.
        loop {
            let joined = server.hub.joined();
            if server.hub.send_all(None, &command, &mut pending) > 0 {
                break;
            }
            joined.await;
        }
        pending.deliver(&server.printer).await;
    }
    // The server keeps serving after stdin ends, unless -w bounds how long.
    if let Some(wait) = server.config.input.wait {
        tokio::time::sleep(wait).await;
        server.request_stop(1000, "");
    }
}

fn start_repl(server: Arc<Server>) -> Result<TerminalGuard> {
    let (mut lines, guard) = repl::start(
        server.printer.clone(),
        "> ".to_string(),
        command::names(true),
    )
    .map_err(|error| Error::io("cannot start the REPL", std::io::Error::other(error)))?;
    server
        .printer
        .info("lines you type go to every client; /help lists commands, Ctrl-D stops the server");
    tokio::spawn(async move {
        let mut pending = Pending::default();
        while let Some(input) = lines.recv().await {
            match input {
                Input::Line(line) => match command::parse(&line) {
                    Ok(command) => run_command(&server, command, &mut pending),
                    Err(error) => server.printer.warn(&error),
                },
                Input::Message(text) => {
                    run_command(&server, ReplCommand::Text(text), &mut pending);
                }
                Input::End => break,
            }
            pending.deliver(&server.printer).await;
        }
        server.request_stop(1000, "");
    });
    Ok(guard)
}

/// Runs one console command; messages that find a client's queue full go to `pending`.
fn run_command(server: &Server, command: ReplCommand, pending: &mut Pending) {
    let printer = &server.printer;
    let mut to_all = |command: Command| {
        if server.hub.send_all(None, &command, pending) == 0 {
            printer.warn("no clients connected");
        }
    };
    match command {
        ReplCommand::Text(text) => {
            let payload = server.typed_payload(text);
            printer.typed(None, &payload);
            to_all(Command::Send(payload));
        }
        ReplCommand::Binary(data) => {
            let payload = Payload::binary(data);
            printer.sent(None, &payload);
            to_all(Command::Send(payload));
        }
        ReplCommand::Ping(data) => to_all(Command::Ping(Bytes::from(data))),
        ReplCommand::Pong(data) => to_all(Command::Pong(Bytes::from(data))),
        ReplCommand::ToUpstream { client, text } => {
            let payload = server.typed_payload(text);
            printer.typed(Some(client), &payload);
            if !server.hub.send_upstream(client, Command::Send(payload)) {
                printer.warn(&format!("no upstream for client {client} (see /clients)"));
            }
        }
        ReplCommand::To { client, text } => {
            let payload = server.typed_payload(text);
            printer.typed(Some(client), &payload);
            if !server.hub.send_to(client, Command::Send(payload), pending) {
                printer.warn(&format!("no client {client} (see /clients)"));
            }
        }
        ReplCommand::Clients => {
            let clients = server.hub.list();
            if clients.is_empty() {
                printer.info("no clients connected");
            }
            for client in clients {
                printer.info(&format!(
                    "[{}] {} {} (channel {})",
                    client.id, client.addr, client.path, client.channel
                ));
            }
        }
        ReplCommand::Kick {
            client,
            code,
            reason,
        } => {
            if !server.hub.close(client, code, &reason) {
                printer.warn(&format!("no client {client} (see /clients)"));
            }
        }
        ReplCommand::Close { code, reason } => server.request_stop(code, &reason),
        ReplCommand::Quit => server.request_stop(1000, ""),
        ReplCommand::Help => printer.info(&command::help(true)),
        ReplCommand::Save { path, overwrite } => repl::save_transcript(printer, &path, overwrite),
    }
}
