//! The state every part of `serve` shares: the configuration, the hub of clients, the
//! printer, the counters behind `--max-connections` and `-n`, and how to stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use super::hub::Hub;
use super::policy;
use crate::config::ServeConfig;
use crate::output::Printer;
use crate::protocol::handshake::IncomingRequest;
use crate::protocol::{Command, Event, Payload, SessionOptions};

/// State shared by the accept loop, every connection task and the console.
pub struct Server {
    pub(super) config: ServeConfig,
    /// Session options for each client: `-n` counts across all clients, so not per session.
    pub(super) session: SessionOptions,
    pub(super) hub: Hub,
    /// HTTP publishes on their way to the hub, batched by channel.
    pub(super) publishes: super::publish::Batches,
    /// Where workers send the publish connections they read, to be answered apart.
    pub(super) desk: mpsc::UnboundedSender<super::publish::Handoff>,
    /// The thread the desk (and the accept loop) runs on.
    pub(super) desk_thread: std::thread::ThreadId,
    pub(super) printer: Arc<Printer>,
    /// Connections that passed the capacity check and have not ended (for --max-connections).
    pub(super) active: AtomicUsize,
    /// Data messages received from all clients (for -n).
    pub(super) received: AtomicU64,
    pub(super) stop: mpsc::UnboundedSender<Stop>,
    /// Set with `--cert/--key`: every connection starts with a TLS handshake.
    pub(super) tls: Option<TlsAcceptor>,
    pub(super) origin_policy: policy::OriginPolicy,
    /// `--redis`: the other instances that share the channels.
    pub(super) instances: Option<super::instances::Instances>,
}

/// Why the server stops, and the close code its clients get.
#[derive(Debug, Clone)]
pub(super) struct Stop {
    pub(super) code: u16,
    pub(super) reason: String,
}

impl Server {
    pub(super) fn request_stop(&self, code: u16, reason: &str) {
        let _ = self.stop.send(Stop {
            code,
            reason: reason.to_string(),
        });
    }

    /// Counts a received message for `-n`; false once the count is already reached.
    fn count_message(&self) -> bool {
        let Some(limit) = self.config.session.count else {
            return true;
        };
        let seen = self.received.fetch_add(1, Ordering::Relaxed) + 1;
        if seen == limit {
            self.request_stop(1000, "");
        }
        seen <= limit
    }

    /// Reports a client's event, naming its channel in `--jsonl`: counted for `-n` when it
    /// is a message, then printed (past the count, messages are neither).
    pub(super) fn report(&self, id: u64, channel: &str, event: &Event) {
        if matches!(event, Event::Message(_)) && !self.count_message() {
            return;
        }
        self.printer.event_on(Some(id), Some(channel), event);
    }

    /// `-v`: a request head as it arrived, credentials masked.
    pub(super) fn show_request(&self, addr: &str, request: &IncomingRequest) {
        if self.config.verbose {
            let prefix = format!("{addr} > ");
            self.printer.verbose(&crate::output::format::prefix_lines(
                &prefix,
                &request.head(),
            ));
        }
    }

    /// Passes a message delivered on `channel` here to the other instances (`--redis`).
    pub(super) fn share(&self, channel: &str, payload: &Payload) {
        if let Some(instances) = &self.instances {
            instances.share(channel, payload);
        }
    }

    /// Messages every new client gets first (`-x`).
    pub(super) fn greetings(&self) -> Vec<Command> {
        self.config
            .input
            .execute
            .iter()
            .map(|payload| Command::Send(payload.clone()))
            .collect()
    }

    /// A console line or `-x` message as a payload: binary with `-b`, text otherwise.
    pub(super) fn typed_payload(&self, text: String) -> Payload {
        crate::input::typed_payload(text, self.config.input.binary)
    }

    /// A line of an `--exec` child's output: binary with `-b`; otherwise text, or binary when
    /// it is not UTF-8 (a program's output is passed on, not judged).
    pub(super) fn program_payload(&self, line: Vec<u8>) -> Payload {
        crate::input::line_to_payload(line, self.config.input.binary)
            .unwrap_or_else(|not_utf8| Payload::binary(not_utf8.0))
    }
}
