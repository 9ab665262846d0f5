//! A connection's outgoing queue: what `connect`, `serve` and `bench` ask a session to send.
//! Data is bounded (in messages and bytes) so a producer slows down or is refused; a small
//! unbounded lane carries the control commands that must get through a full queue.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::protocol::Payload;
use crate::queue::{self, QueueError, Refused, Weighed};

/// Something to send on the connection.
#[derive(Debug, Clone)]
pub enum Command {
    Send(Payload),
    /// Several messages, in order: what a `--broadcast` sender said in one burst, shared
    /// by every client it goes to, so each takes one queue entry for the lot.
    SendAll(Arc<Burst>),
    Ping(Bytes),
    Pong(Bytes),
    /// Start the close handshake (wsx then waits, bounded, for the peer's Close).
    Close {
        code: u16,
        reason: String,
    },
    /// Close normally once the peer has been quiet this long; every data message it sends
    /// starts the wait again. Many servers drop the replies still pending when a Close
    /// arrives (RFC 6455 §7.1.1 lets them), so a client that closes at once loses them.
    CloseWhenQuiet(Duration),
}

impl Command {
    /// Messages to send in order: one as it is, several as one [`Command::SendAll`].
    pub fn send_all(mut payloads: Vec<Payload>) -> Option<Command> {
        if payloads.len() > 1 {
            Some(Command::SendAll(Arc::new(Burst::new(payloads))))
        } else {
            payloads.pop().map(Command::Send)
        }
    }

    /// Close 1000 with no reason: the normal end of a session.
    pub fn normal_close() -> Command {
        Command::Close {
            code: 1000,
            reason: String::new(),
        }
    }
}

impl Weighed for Command {
    fn bytes(&self) -> usize {
        match self {
            Command::Send(payload) => payload.len(),
            Command::SendAll(burst) => burst.bytes,
            _ => 0,
        }
    }

    fn messages(&self) -> usize {
        match self {
            Command::SendAll(burst) => burst.payloads.len(),
            _ => 1,
        }
    }
}

/// Messages that go out together, with their size counted once.
#[derive(Debug)]
pub struct Burst {
    pub payloads: Vec<Payload>,
    bytes: usize,
}

impl Burst {
    pub fn new(payloads: Vec<Payload>) -> Burst {
        let bytes = payloads.iter().map(Payload::len).sum();
        Burst { payloads, bytes }
    }
}

/// How many turns of the runtime a gathering outbox's batch may wait for more.
const GATHER_TURNS: usize = 4;

/// The receiving half of a connection's outgoing queue.
pub struct Outbox {
    pub(super) data: queue::Receiver<Command>,
    pub(super) control: mpsc::UnboundedReceiver<Command>,
    /// See [`Outbox::gather`].
    pub(super) gather_turns: usize,
}

/// The sending half: bounded in messages and in bytes, plus an unbounded lane for the few
/// control commands (kick, close on overflow) that must get through when the queue is full.
#[derive(Clone)]
pub struct OutboxSender {
    data: queue::Sender<Command>,
    control: mpsc::UnboundedSender<Command>,
}

impl Outbox {
    /// For a queue that other tasks fill a message at a time (HTTP publishes, one per
    /// request; the console): a batch waits up to a few turns of the runtime for what they
    /// are about to queue, so it goes out in one write instead of one write per message.
    /// A turn that brings nothing ends the batch: a lone message waits one scheduler pass,
    /// never a timer. Not for a queue its own task fills (the proxy's), where a turn only
    /// costs.
    pub fn gather(&mut self) {
        self.gather_turns = GATHER_TURNS;
    }

    /// Takes the next queued command without waiting, control commands first.
    pub fn try_recv(&mut self) -> Option<Command> {
        self.control
            .try_recv()
            .ok()
            .or_else(|| self.data.try_recv())
    }
}

pub fn outbox(message_limit: usize, byte_limit: usize) -> (OutboxSender, Outbox) {
    let (data_tx, data_rx) = queue::bounded(message_limit, byte_limit);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let sender = OutboxSender {
        data: data_tx,
        control: control_tx,
    };
    let outbox = Outbox {
        data: data_rx,
        control: control_rx,
        gather_turns: 0,
    };
    (sender, outbox)
}

impl OutboxSender {
    /// Waits for room; used where the producer should slow down (stdin in `connect`).
    pub async fn send(&self, command: Command) -> Result<(), QueueError> {
        self.data.send(command).await
    }

    /// As `send`, from a thread outside the runtime (the stdin reader).
    pub fn blocking_send(&self, command: Command) -> Result<(), QueueError> {
        self.data.blocking_send(command)
    }

    /// Never waits; used where one slow peer must not hold up the others (`serve`). A
    /// refused command comes back.
    pub fn try_send(&self, command: Command) -> Result<(), Refused<Command>> {
        self.data.try_send(command)
    }

    /// Jumps the queue: for closing a connection whose queue is full.
    pub fn control(&self, command: Command) -> Result<(), QueueError> {
        self.control.send(command).map_err(|_| QueueError::Closed)
    }
}
