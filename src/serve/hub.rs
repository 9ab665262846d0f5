//! The registry of connected clients: ids, queues, and delivery. A delivery that finds a
//! client's queue full waits for room, holding back only its producer (the console, or the
//! sending client under `--broadcast`), so a burst reaches every client that reads. A client
//! whose queue is still full after [`STALL_LIMIT`] is not reading: it is closed with 1008
//! instead of being buffered without bound, and the others carry on.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::output::Printer;
use crate::protocol::{Command, OutboxSender, Payload};
use crate::queue::{QueueError, Refused};

/// How long a client's full queue may stay full before the client counts as not reading.
pub const STALL_LIMIT: Duration = Duration::from_secs(2);

struct Client {
    addr: String,
    path: String,
    /// The request path without its query: who `--broadcast` and HTTP publish reach.
    channel: String,
    /// `proxy`: the client's upstream connection, for `/upstream ID TEXT`.
    upstream: Option<OutboxSender>,
    outbox: OutboxSender,
    /// Set once the client was dropped for not reading: nothing more waits for it.
    overflowed: Arc<AtomicBool>,
}

/// A delivery that found its client's queue full.
struct Blocked {
    id: u64,
    outbox: OutboxSender,
    overflowed: Arc<AtomicBool>,
    command: Command,
}

/// Deliveries waiting for room, in order. The producer that made them sends nothing more
/// until they are done, so each client still gets its messages in order.
#[derive(Default)]
pub struct Pending {
    deliveries: VecDeque<Blocked>,
    /// When the first of them began to wait, plus [`STALL_LIMIT`].
    deadline: Option<Instant>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }

    fn push(&mut self, blocked: Blocked) {
        self.deadline
            .get_or_insert_with(|| Instant::now() + STALL_LIMIT);
        self.deliveries.push_back(blocked);
    }

    /// Waits for room for each delivery; a client whose queue stays full past the deadline
    /// is closed with 1008. Cancel-safe: a delivery leaves the list only once it is queued or
    /// its client dropped.
    pub async fn deliver(&mut self, printer: &Printer) {
        while let Some(blocked) = self.deliveries.front() {
            let deadline = *self
                .deadline
                .get_or_insert_with(|| Instant::now() + STALL_LIMIT);
            if !blocked.overflowed.load(Ordering::Relaxed) {
                let send = blocked.outbox.send(blocked.command.clone());
                if tokio::time::timeout_at(deadline, send).await.is_err() {
                    drop_stalled(blocked.id, &blocked.outbox, &blocked.overflowed, printer);
                }
            }
            self.deliveries.pop_front();
        }
        self.deadline = None;
    }
}

/// Closes a client that is not reading, once.
fn drop_stalled(id: u64, outbox: &OutboxSender, overflowed: &AtomicBool, printer: &Printer) {
    if overflowed.swap(true, Ordering::Relaxed) {
        return;
    }
    // RFC 6455 §7.4.1: 1008 is the generic policy-violation close.
    let _ = outbox.control(Command::Close {
        code: 1008,
        reason: "not reading fast enough".into(),
    });
    printer.warn(&format!(
        "[{id}] outgoing queue full for {}s; closing the client with 1008",
        STALL_LIMIT.as_secs()
    ));
}

/// A connected client as `/clients` shows it.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: u64,
    /// `127.0.0.1:51234`, or `unix` for a client on a Unix socket.
    pub addr: String,
    pub path: String,
    pub channel: String,
}

pub struct Hub {
    clients: Mutex<BTreeMap<u64, Client>>,
    next_id: AtomicU64,
    /// Woken whenever a client registers.
    join: tokio::sync::Notify,
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            clients: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            join: tokio::sync::Notify::new(),
        }
    }

    fn clients(&self) -> MutexGuard<'_, BTreeMap<u64, Client>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an upgraded client; ids count up from 1 and are never reused.
    pub fn register(&self, addr: String, path: String, outbox: OutboxSender) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let channel = channel_of(&path).to_string();
        self.clients().insert(
            id,
            Client {
                addr,
                path,
                channel,
                upstream: None,
                outbox,
                overflowed: Arc::new(AtomicBool::new(false)),
            },
        );
        self.join.notify_waiters();
        id
    }

    /// Completes when a client registers after this call (even before it is first polled),
    /// so checking for clients after calling it cannot miss one.
    pub fn joined(&self) -> tokio::sync::futures::Notified<'_> {
        self.join.notified()
    }

    /// `proxy`: where `/upstream ID TEXT` goes for this client.
    pub fn set_upstream(&self, id: u64, upstream: OutboxSender) {
        if let Some(client) = self.clients().get_mut(&id) {
            client.upstream = Some(upstream);
        }
    }

    /// Queues a command on a client's upstream connection; false when there is none.
    pub fn send_upstream(&self, id: u64, command: Command) -> bool {
        let clients = self.clients();
        let Some(upstream) = clients.get(&id).and_then(|client| client.upstream.as_ref()) else {
            return false;
        };
        upstream.try_send(command).is_ok()
    }

    pub fn unregister(&self, id: u64) {
        self.clients().remove(&id);
    }

    pub fn list(&self) -> Vec<ClientInfo> {
        self.clients()
            .iter()
            .map(|(id, client)| ClientInfo {
                id: *id,
                addr: client.addr.clone(),
                path: client.path.clone(),
                channel: client.channel.clone(),
            })
            .collect()
    }

    /// Queues a command for one client, or adds it to `pending` when the client's queue is
    /// full. False when there is no such client.
    pub fn send_to(&self, id: u64, command: Command, pending: &mut Pending) -> bool {
        let clients = self.clients();
        let Some(client) = clients.get(&id) else {
            return false;
        };
        deliver(id, client, command, pending);
        true
    }

    /// As `send_to`, for every client except `except`; returns how many it went to.
    pub fn send_all(&self, except: Option<u64>, command: &Command, pending: &mut Pending) -> usize {
        let clients = self.clients();
        let mut sent = 0;
        for (id, client) in clients.iter() {
            if Some(*id) != except {
                deliver(*id, client, command.clone(), pending);
                sent += 1;
            }
        }
        sent
    }

    /// Relays what a client sent (a message, or a burst of them) to everyone else on its
    /// channel (payload bytes are shared, not copied).
    pub fn broadcast(&self, from: u64, command: Command, pending: &mut Pending) {
        let clients = self.clients();
        let Some(channel) = clients.get(&from).map(|client| client.channel.as_str()) else {
            return;
        };
        for (id, client) in clients.iter() {
            if *id != from && client.channel == channel {
                deliver(*id, client, command.clone(), pending);
            }
        }
    }

    /// An HTTP publish: to every client of `channel`; returns how many.
    pub fn publish(&self, channel: &str, payload: &Payload, pending: &mut Pending) -> usize {
        let clients = self.clients();
        let command = Command::Send(payload.clone());
        let mut delivered = 0;
        for (id, client) in clients.iter() {
            if client.channel == channel {
                deliver(*id, client, command.clone(), pending);
                delivered += 1;
            }
        }
        delivered
    }

    /// Starts the close handshake with one client, ahead of anything it has queued.
    pub fn close(&self, id: u64, code: u16, reason: &str) -> bool {
        let clients = self.clients();
        let Some(client) = clients.get(&id) else {
            return false;
        };
        let _ = client.outbox.control(Command::Close {
            code,
            reason: reason.to_string(),
        });
        true
    }

    pub fn close_all(&self, code: u16, reason: &str) {
        for client in self.clients().values() {
            let _ = client.outbox.control(Command::Close {
                code,
                reason: reason.to_string(),
            });
        }
    }
}

/// A client's channel: its request path without the query.
pub fn channel_of(path: &str) -> &str {
    path.split('?').next().unwrap_or("/")
}

fn deliver(id: u64, client: &Client, command: Command, pending: &mut Pending) {
    if client.overflowed.load(Ordering::Relaxed) {
        return;
    }
    if let Err(Refused {
        error: QueueError::Full,
        item: command,
    }) = client.outbox.try_send(command)
    {
        pending.push(Blocked {
            id,
            outbox: client.outbox.clone(),
            overflowed: client.overflowed.clone(),
            command,
        });
    }
}
