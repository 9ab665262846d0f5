//! `wsx connect`: dial, run the opening handshake, then hand the connection to the REPL or
//! to pipe mode, and turn how the session ended into an exit code.

mod pipe;
mod repl;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::config::ConnectConfig;
use crate::error::{Error, Result, io_reason};
use crate::output::Printer;
use crate::protocol::handshake::{ClientConnection, client_handshake};
use crate::protocol::message::describe_close;
use crate::protocol::session::{self, outbox};
use crate::protocol::{Ending, Event, EventSink, Side};

/// Outgoing queue bound for `connect`: stdin waits when it is full.
const QUEUE_MESSAGES: usize = 1024;
const QUEUE_BYTES: usize = usize::MAX;

pub fn run(config: ConnectConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    // One thread is plenty for one connection and starts fastest.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("cannot start the runtime", error))?;
    runtime.block_on(connect(config, printer))
}

async fn connect(config: ConnectConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    let connection = dial(&config, &printer).await?;
    if config.verbose {
        printer.verbose(&prefix_lines("> ", &connection.request_head));
        printer.verbose(&prefix_lines("< ", &connection.response_head));
    }
    printer.event(
        None,
        &Event::Open {
            url: config.request.url.to_string(),
            subprotocol: connection.subprotocol.clone(),
            addr: None,
        },
    );
    let (sender, outbox) = outbox(QUEUE_MESSAGES, QUEUE_BYTES);
    let mut sink = ConnectSink {
        printer: printer.clone(),
        jsonl: config.output.jsonl,
    };
    let ending = if config.interactive {
        repl::run(
            connection.ws,
            &config,
            sender,
            outbox,
            &mut sink,
            printer.clone(),
        )
        .await?
    } else {
        pipe::spawn_input(
            sender,
            config.input.clone(),
            // With -n or --echo the peer drives the session: EOF alone does not close it.
            config.session.count.is_none() && !config.session.echo,
            printer.clone(),
        );
        session::run(connection.ws, &config.session, outbox, &mut sink).await
    };
    printer.flush();
    exit_status(ending)
}

async fn dial(config: &ConnectConfig, printer: &Printer) -> Result<ClientConnection<TcpStream>> {
    let opening = async {
        let target = format!("{}:{}", config.host, config.port);
        let addrs: Vec<_> = tokio::net::lookup_host((config.host.as_str(), config.port))
            .await
            .map_err(|error| Error::Resolve {
                host: config.host.clone(),
                reason: io_reason(&error),
            })?
            .collect();
        let mut last_error = None;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let stream = stream.ok_or_else(|| Error::Connect {
            addr: target,
            reason: last_error.map_or("no address found".into(), |error| io_reason(&error)),
        })?;
        let _ = stream.set_nodelay(true);
        client_handshake(stream, &config.request, config.limits)
            .await
            .map_err(|failure| {
                if config.verbose {
                    if !failure.request_head.is_empty() {
                        printer.verbose(&prefix_lines("> ", &failure.request_head));
                    }
                    if let Some(head) = &failure.response_head {
                        printer.verbose(&prefix_lines("< ", head));
                    }
                }
                failure.error
            })
    };
    tokio::time::timeout(config.connect_timeout, opening)
        .await
        .map_err(|_| Error::Timeout {
            what: format!("connecting to {}", config.request.url),
            secs: config.connect_timeout.as_secs_f64(),
        })?
}

fn prefix_lines(prefix: &str, text: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}\n"))
        .collect()
}

/// Maps how the session ended to the spec's exit codes.
fn exit_status(ending: Ending) -> Result<ExitCode> {
    if ending.is_normal() {
        return Ok(ExitCode::SUCCESS);
    }
    Err(match ending {
        Ending::Peer { code, reason } => Error::PeerClosed {
            code: describe_close(code, ""),
            reason: if reason.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::output::sanitize::escape_line(&reason))
            },
        },
        Ending::Lost(detail) => Error::ConnectionLost(format!(
            "connection lost: {} (1006)",
            crate::output::sanitize::escape_line(&detail)
        )),
        Ending::Failed { code, detail } => Error::ConnectionLost(format!(
            "{detail}; closed the connection with {}",
            describe_close(Some(code), "")
        )),
        Ending::Local => unreachable!("a local close is a normal ending"),
    })
}

/// Sends session events to the printer. Events that become the fatal error line (an error
/// close by the peer, a lost connection) are left to that line, unless `--jsonl` logs all.
struct ConnectSink {
    printer: Arc<Printer>,
    jsonl: bool,
}

impl EventSink for ConnectSink {
    fn event(&mut self, event: Event) {
        let fatal = match &event {
            Event::Close {
                code,
                by: Side::Peer,
                ..
            } => !crate::protocol::message::is_normal_close(*code),
            Event::Error(_) => true,
            _ => false,
        };
        if self.jsonl || !fatal {
            self.printer.event(None, &event);
        }
    }

    fn idle(&mut self) {
        self.printer.flush();
    }
}
