//! The interactive side of `connect`: typed lines and slash commands become frames.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::config::ConnectConfig;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::protocol::{Command, OutboxSender, Payload};
use crate::repl::command::{self, ReplCommand};
use crate::repl::{self, Input, TerminalGuard};

/// Shown once, under the first `connected to` line.
pub const HINT: &str = "type a message and Enter to send it; /help lists commands, Ctrl-D quits";

/// Starts the prompt; its lines go to `sender` until Ctrl-D, `/quit` or `/close`.
pub fn start(
    config: &ConnectConfig,
    sender: OutboxSender,
    printer: Arc<Printer>,
    closing: Arc<AtomicBool>,
) -> Result<(TerminalGuard, JoinHandle<()>)> {
    let (mut lines, terminal) =
        repl::start(printer.clone(), "> ".to_string(), command::names(false))
            .map_err(|error| Error::io("cannot start the REPL", std::io::Error::other(error)))?;
    let binary = config.input.binary;
    let task = tokio::spawn(async move {
        while let Some(input) = lines.recv().await {
            let parsed = match input {
                Input::Line(line) => command::parse(&line),
                Input::Message(text) => Ok(ReplCommand::Text(text)),
                Input::End => break,
            };
            let command = match parsed {
                Ok(command) => command,
                Err(error) => {
                    printer.warn(&error);
                    continue;
                }
            };
            let Some(command) = to_session_command(command, binary, &printer) else {
                continue;
            };
            if matches!(command, Command::Close { .. }) {
                // The close is under way: the next Ctrl-C should not wait for it.
                closing.store(true, Ordering::Relaxed);
            }
            if sender.send(command).await.is_err() {
                return;
            }
        }
        closing.store(true, Ordering::Relaxed);
        let _ = sender.send(Command::normal_close()).await;
    });
    Ok((terminal, task))
}

/// What a REPL command sends, if anything (help and misuse are answered on the spot).
fn to_session_command(command: ReplCommand, binary: bool, printer: &Printer) -> Option<Command> {
    if command.is_serve_only() {
        printer.warn("/to, /clients and /kick are serve console commands");
        return None;
    }
    Some(match command {
        ReplCommand::Text(text) => {
            let payload = crate::input::typed_payload(text, binary);
            printer.typed(None, &payload);
            Command::Send(payload)
        }
        ReplCommand::Binary(data) => {
            let payload = Payload::binary(data);
            printer.sent(None, &payload);
            Command::Send(payload)
        }
        ReplCommand::Ping(data) => Command::Ping(Bytes::from(data)),
        ReplCommand::Pong(data) => Command::Pong(Bytes::from(data)),
        ReplCommand::Close { code, reason } => Command::Close { code, reason },
        ReplCommand::Quit => Command::normal_close(),
        ReplCommand::Help => {
            printer.info(&command::help(false));
            return None;
        }
        ReplCommand::Save { path, overwrite } => {
            repl::save_transcript(printer, &path, overwrite);
            return None;
        }
        ReplCommand::To { .. }
        | ReplCommand::ToUpstream { .. }
        | ReplCommand::Clients
        | ReplCommand::Kick { .. } => return None,
    })
}
