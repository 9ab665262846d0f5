//! The registry of connected clients: ids, queues, and delivery that never waits on a slow
//! client. A client whose queue is full is closed with 1008 instead of being buffered without
//! bound, and the others carry on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::output::Printer;
use crate::protocol::{Command, OutboxSender, Payload};
use crate::queue::QueueError;

struct Client {
    addr: SocketAddr,
    path: String,
    outbox: OutboxSender,
    /// Set once the client was dropped for not reading, so it is reported once.
    overflowed: AtomicBool,
}

/// A connected client as `/clients` shows it.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub path: String,
}

pub struct Hub {
    clients: Mutex<BTreeMap<u64, Client>>,
    next_id: AtomicU64,
    printer: Arc<Printer>,
}

impl Hub {
    pub fn new(printer: Arc<Printer>) -> Self {
        Hub {
            clients: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            printer,
        }
    }

    fn clients(&self) -> MutexGuard<'_, BTreeMap<u64, Client>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an upgraded client; ids count up from 1 and are never reused.
    pub fn register(&self, addr: SocketAddr, path: String, outbox: OutboxSender) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.clients().insert(
            id,
            Client {
                addr,
                path,
                outbox,
                overflowed: AtomicBool::new(false),
            },
        );
        id
    }

    pub fn unregister(&self, id: u64) {
        self.clients().remove(&id);
    }

    pub fn list(&self) -> Vec<ClientInfo> {
        self.clients()
            .iter()
            .map(|(id, client)| ClientInfo {
                id: *id,
                addr: client.addr,
                path: client.path.clone(),
            })
            .collect()
    }

    /// Queues a command for one client. False when there is no such client.
    pub fn send_to(&self, id: u64, command: Command) -> bool {
        let clients = self.clients();
        let Some(client) = clients.get(&id) else {
            return false;
        };
        self.deliver(id, client, command);
        true
    }

    /// Queues a command for every client except `except`; returns how many it went to.
    pub fn send_all(&self, except: Option<u64>, command: &Command) -> usize {
        let clients = self.clients();
        let mut sent = 0;
        for (id, client) in clients.iter() {
            if Some(*id) != except {
                self.deliver(*id, client, command.clone());
                sent += 1;
            }
        }
        sent
    }

    /// Relays a received message to everyone else (payload bytes are shared, not copied).
    pub fn broadcast(&self, from: u64, payload: &Payload) {
        self.send_all(Some(from), &Command::Send(payload.clone()));
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

    fn deliver(&self, id: u64, client: &Client, command: Command) {
        if let Err(QueueError::Full) = client.outbox.try_send(command)
            && !client.overflowed.swap(true, Ordering::Relaxed)
        {
            // RFC 6455 §7.4.1: 1008 is the generic policy-violation close.
            let _ = client.outbox.control(Command::Close {
                code: 1008,
                reason: "not reading fast enough".into(),
            });
            self.printer.warn(&format!(
                "[{id}] outgoing queue full; closing the client with 1008"
            ));
        }
    }
}
