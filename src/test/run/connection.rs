//! One connection of a test file: what its session receives, as [`Incoming`]s on a channel,
//! read by the steps with a deadline; what arrived lately, for the failure report.

use std::collections::VecDeque;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Trace;
use crate::protocol::{Event, EventSink, OutboxSender, Side};
use crate::test::matcher::{Incoming, Matcher};

/// How many of the messages that arrived a failure report shows.
const RECENT: usize = 5;

/// One connection of a test file.
pub(super) struct Connection {
    pub(super) sender: OutboxSender,
    pub(super) events: mpsc::UnboundedReceiver<Incoming>,
    /// Once the connection has ended: how. Every later read sees it again.
    pub(super) ended: Option<Incoming>,
    pub(super) ignores: Vec<Matcher>,
    pub(super) recent: VecDeque<Incoming>,
    /// The session, when the test dialled it (not for `serve --script`, whose server runs it).
    pub(super) task: Option<JoinHandle<()>>,
}

impl Connection {
    pub(super) fn new(
        sender: OutboxSender,
        events: mpsc::UnboundedReceiver<Incoming>,
        task: Option<JoinHandle<()>>,
    ) -> Connection {
        Connection {
            sender,
            events,
            ended: None,
            ignores: Vec::new(),
            recent: VecDeque::new(),
            task,
        }
    }

    /// The next thing that arrives, or None when the deadline passes first.
    pub(super) async fn next(&mut self, deadline: Instant) -> Option<Incoming> {
        if let Some(ended) = &self.ended {
            return Some(ended.clone());
        }
        let incoming = match tokio::time::timeout_at(deadline, self.events.recv()).await {
            Err(_) => return None,
            Ok(Some(incoming)) => incoming,
            Ok(None) => Incoming::Failed("the connection ended".into()),
        };
        if incoming.is_final() {
            self.ended = Some(incoming.clone());
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(incoming.clone());
        Some(incoming)
    }

    pub(super) fn ignored(&self, incoming: &Incoming) -> bool {
        self.ignores.iter().any(|ignore| ignore.matches(incoming))
    }
}

/// Forwards a session's events to the test as [`Incoming`]s.
pub(super) struct Forward {
    pub(super) events: mpsc::UnboundedSender<Incoming>,
    pub(super) trace: Option<(Trace, String)>,
    /// The error that precedes a 1006 close.
    pub(super) last_error: Option<String>,
}

impl EventSink for Forward {
    fn event(&mut self, event: Event) {
        let incoming = match event {
            Event::Message(payload) => Incoming::Message(payload),
            Event::Ping(data) => Incoming::Ping(data.to_vec()),
            Event::Pong(data) | Event::PingAnswered { data, .. } => Incoming::Pong(data.to_vec()),
            Event::Close {
                code: Some(1006), ..
            } => Incoming::Failed(
                self.last_error
                    .take()
                    .unwrap_or_else(|| "the connection dropped without a Close".into()),
            ),
            Event::Close { code, reason, by } => Incoming::Close {
                code,
                reason,
                by_peer: by == Side::Peer,
            },
            Event::Error(message) => {
                self.last_error = Some(message);
                return;
            }
            Event::Violation(violation) => {
                Incoming::Failed(crate::error::describe_violation(&violation))
            }
            Event::Open { .. } | Event::MissedPong(_) | Event::CloseUnanswered(_) => return,
        };
        if let Some((trace, name)) = &self.trace {
            trace(&format!(
                "  {name}< {}",
                crate::test::report::incoming_line(&incoming)
            ));
        }
        let _ = self.events.send(incoming);
    }
}

/// A session sink's half of a test connection: what arrives, as [`Incoming`]s.
pub fn forwarder(events: mpsc::UnboundedSender<Incoming>) -> impl FnMut(&Event) {
    let mut forward = Forward {
        events,
        trace: None,
        last_error: None,
    };
    move |event: &Event| forward.event(event.clone())
}
