//! The registry of connected clients: ids, queues, and delivery. A delivery that finds a
//! client's queue full waits for room, holding back only its producer (the console, or the
//! sending client under `--broadcast`), so a burst reaches every client that reads. A client
//! whose queue is still full after [`STALL_LIMIT`] is not reading: it is closed with 1008
//! instead of being buffered without bound, and the others carry on.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::output::Printer;
use crate::protocol::{Command, OutboxSender};
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
    member: Member,
}

/// What delivering to a client takes, kept under its channel as well, so a publish walks
/// only that channel's clients.
#[derive(Clone)]
struct Member {
    outbox: OutboxSender,
    /// Set once the client was dropped for not reading: nothing more waits for it.
    overflowed: Arc<AtomicBool>,
}

/// Every client by id, and each channel's clients by id (ids count up, so both iterate in
/// the order clients connected).
#[derive(Default)]
struct Registry {
    clients: BTreeMap<u64, Client>,
    channels: HashMap<String, BTreeMap<u64, Member>>,
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
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    /// Woken whenever a client registers.
    join: tokio::sync::Notify,
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            registry: Mutex::new(Registry::default()),
            next_id: AtomicU64::new(1),
            join: tokio::sync::Notify::new(),
        }
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an upgraded client; ids count up from 1 and are never reused.
    pub fn register(&self, addr: String, path: String, outbox: OutboxSender) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let channel = channel_of(&path).to_string();
        let member = Member {
            outbox,
            overflowed: Arc::new(AtomicBool::new(false)),
        };
        let mut registry = self.registry();
        registry
            .channels
            .entry(channel.clone())
            .or_default()
            .insert(id, member.clone());
        registry.clients.insert(
            id,
            Client {
                addr,
                path,
                channel,
                upstream: None,
                member,
            },
        );
        drop(registry);
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
        if let Some(client) = self.registry().clients.get_mut(&id) {
            client.upstream = Some(upstream);
        }
    }

    /// Queues a command on a client's upstream connection; false when there is none.
    pub fn send_upstream(&self, id: u64, command: Command) -> bool {
        let registry = self.registry();
        let Some(upstream) =
            (registry.clients.get(&id)).and_then(|client| client.upstream.as_ref())
        else {
            return false;
        };
        upstream.try_send(command).is_ok()
    }

    pub fn unregister(&self, id: u64) {
        let mut registry = self.registry();
        let Some(client) = registry.clients.remove(&id) else {
            return;
        };
        if let Some(members) = registry.channels.get_mut(&client.channel) {
            members.remove(&id);
            if members.is_empty() {
                registry.channels.remove(&client.channel);
            }
        }
    }

    pub fn list(&self) -> Vec<ClientInfo> {
        self.registry()
            .clients
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
        let registry = self.registry();
        let Some(client) = registry.clients.get(&id) else {
            return false;
        };
        deliver(id, &client.member, command, pending);
        true
    }

    /// As `send_to`, for every client except `except`; returns how many it went to.
    pub fn send_all(&self, except: Option<u64>, command: &Command, pending: &mut Pending) -> usize {
        let registry = self.registry();
        let mut sent = 0;
        for (id, client) in &registry.clients {
            if Some(*id) != except {
                deliver(*id, &client.member, command.clone(), pending);
                sent += 1;
            }
        }
        sent
    }

    /// Relays what a client sent (a message, or a burst of them) to everyone else on its
    /// channel (payload bytes are shared, not copied).
    pub fn broadcast(&self, from: u64, command: Command, pending: &mut Pending) {
        let registry = self.registry();
        let Some(members) =
            (registry.clients.get(&from)).and_then(|client| registry.channels.get(&client.channel))
        else {
            return;
        };
        for (id, member) in members {
            if *id != from {
                deliver(*id, member, command.clone(), pending);
            }
        }
    }

    /// A publish (HTTP, or from another instance): to every client of `channel`; returns
    /// how many.
    pub fn publish(&self, channel: &str, command: &Command, pending: &mut Pending) -> usize {
        let registry = self.registry();
        let Some(members) = registry.channels.get(channel) else {
            return 0;
        };
        for (id, member) in members {
            deliver(*id, member, command.clone(), pending);
        }
        members.len()
    }

    /// How many clients `channel` has.
    pub fn members(&self, channel: &str) -> usize {
        self.registry()
            .channels
            .get(channel)
            .map_or(0, BTreeMap::len)
    }

    /// Starts the close handshake with one client, ahead of anything it has queued.
    pub fn close(&self, id: u64, code: u16, reason: &str) -> bool {
        let registry = self.registry();
        let Some(client) = registry.clients.get(&id) else {
            return false;
        };
        let _ = client.member.outbox.control(Command::Close {
            code,
            reason: reason.to_string(),
        });
        true
    }

    pub fn close_all(&self, code: u16, reason: &str) {
        for client in self.registry().clients.values() {
            let _ = client.member.outbox.control(Command::Close {
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

fn deliver(id: u64, member: &Member, command: Command, pending: &mut Pending) {
    if member.overflowed.load(Ordering::Relaxed) {
        return;
    }
    if let Err(Refused {
        error: QueueError::Full,
        item: command,
    }) = member.outbox.try_send(command)
    {
        pending.push(Blocked {
            id,
            outbox: member.outbox.clone(),
            overflowed: member.overflowed.clone(),
            command,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Payload;
    use crate::protocol::session::{Outbox, outbox};

    fn join(hub: &Hub, path: &str) -> (u64, Outbox) {
        let (sender, outbox) = outbox(16, 1 << 20);
        (
            hub.register("127.0.0.1:1".into(), path.into(), sender),
            outbox,
        )
    }

    fn texts(outbox: &mut Outbox) -> Vec<String> {
        std::iter::from_fn(|| outbox.try_recv())
            .map(|command| match command {
                Command::Send(Payload::Text(text)) => text.to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_channel_reaches_only_its_own_clients() {
        let hub = Hub::new();
        let (a1, mut a1_box) = join(&hub, "/a?x=1");
        let (_, mut a2_box) = join(&hub, "/a");
        let (_, mut b_box) = join(&hub, "/b");
        let mut pending = Pending::default();

        let publish = Command::Send(Payload::text("p"));
        assert_eq!(hub.publish("/a", &publish, &mut pending), 2);
        hub.broadcast(a1, Command::Send(Payload::text("from a1")), &mut pending);
        assert_eq!(texts(&mut a1_box), ["p"]);
        assert_eq!(texts(&mut a2_box), ["p", "from a1"]);
        assert!(texts(&mut b_box).is_empty());
        assert!(pending.is_empty());
    }

    #[test]
    fn a_channel_whose_clients_left_reaches_no_one() {
        let hub = Hub::new();
        let (first, _first_box) = join(&hub, "/a");
        let (second, _second_box) = join(&hub, "/a");
        let mut pending = Pending::default();
        let publish = Command::Send(Payload::text("p"));
        hub.unregister(first);
        assert_eq!(hub.publish("/a", &publish, &mut pending), 1);
        hub.unregister(second);
        assert_eq!(hub.publish("/a", &publish, &mut pending), 0);
        assert!(hub.registry().channels.is_empty());
        assert!(hub.list().is_empty());
    }
}
