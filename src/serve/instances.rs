//! `--redis URL`: several `wsx serve` instances share their channels through Redis pub/sub.
//! What a client broadcasts or a publish delivers here goes to this instance's clients at
//! once, and to Redis, from one publishing connection (so in order per instance); every
//! instance subscribes to all channels and delivers what the others published. An
//! instance's own messages come back from Redis too and are skipped: each client gets each
//! message once.
//!
//! Redis away at start is a failed start. Lost while running: reported once, local delivery
//! goes on, both connections come back with backoff, and that is reported; what was
//! published meanwhile reached local clients only.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::Server;
use super::hub::Pending;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::protocol::{Command, Payload};

/// Redis channels are `wsx:` and the wsx channel (the request path).
const PREFIX: &str = "wsx:";
/// Messages waiting for the publishing connection; beyond this Redis is falling behind and
/// newer messages reach local clients only.
const BACKLOG: usize = 10_000;
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// This instance's side of the fan-out.
pub struct Instances {
    outgoing: mpsc::Sender<(String, Payload)>,
    /// Set while Redis is unreachable, so the loss is reported once.
    down: Arc<AtomicBool>,
}

impl std::fmt::Debug for Instances {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Instances")
    }
}

/// A message on the wire: the publishing instance, the kind, the payload.
fn encode(instance: &[u8; 16], payload: &Payload) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(17 + payload.len());
    bytes.extend_from_slice(instance);
    bytes.push(match payload {
        Payload::Text(_) => b't',
        Payload::Binary(_) => b'b',
    });
    bytes.extend_from_slice(payload.as_bytes());
    bytes
}

fn decode(bytes: &[u8]) -> Option<([u8; 16], Payload)> {
    let instance: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
    let data = bytes.get(17..)?.to_vec();
    let payload = match bytes.get(16)? {
        b't' => Payload::text(String::from_utf8(data).ok()?),
        b'b' => Payload::binary(data),
        _ => return None,
    };
    Some((instance, payload))
}

/// An id no other instance has: the process, the time, and the hasher's random keys.
fn instance_id() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&hasher.finish().to_le_bytes());
    id[8..].copy_from_slice(&(nanos as u64).to_le_bytes());
    id
}

/// Connects to Redis (both the publishing and the subscribing connection) or fails the start.
pub async fn connect(
    url: &str,
) -> Result<(
    redis::Client,
    redis::aio::MultiplexedConnection,
    redis::aio::PubSub,
)> {
    let client = redis::Client::open(url)
        .map_err(|error| Error::Usage(format!("--redis: invalid URL '{url}': {error}")))?;
    let unreachable = |error: redis::RedisError| Error::Connect {
        addr: format!("Redis at {url}"),
        reason: lower(&error.to_string()),
    };
    let publisher = client
        .get_multiplexed_async_connection()
        .await
        .map_err(unreachable)?;
    let mut subscriber = client.get_async_pubsub().await.map_err(unreachable)?;
    subscriber
        .psubscribe(format!("{PREFIX}*"))
        .await
        .map_err(unreachable)?;
    Ok((client, publisher, subscriber))
}

/// The client's message as the rest of a sentence, without "(os error 2)".
fn lower(text: &str) -> String {
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => text,
    };
    crate::error::lower_first(text)
}

impl Instances {
    /// Starts the publishing and subscribing tasks on the current runtime.
    pub fn start(
        url: String,
        connected: (
            redis::Client,
            redis::aio::MultiplexedConnection,
            redis::aio::PubSub,
        ),
        server: std::sync::Weak<Server>,
        printer: Arc<Printer>,
    ) -> Instances {
        let (client, publisher, subscriber) = connected;
        let (outgoing, queue) = mpsc::channel(BACKLOG);
        let instance = instance_id();
        let down = Arc::new(AtomicBool::new(false));
        tokio::spawn(publish(
            client.clone(),
            publisher,
            queue,
            instance,
            down.clone(),
            printer.clone(),
            url.clone(),
        ));
        tokio::spawn(subscribe(
            client,
            subscriber,
            instance,
            server,
            down.clone(),
            printer,
            url,
        ));
        Instances { outgoing, down }
    }

    /// Shares a message delivered here with the other instances. Never waits: while Redis
    /// is away or behind, the message stays local.
    pub fn share(&self, channel: &str, payload: &Payload) {
        if self.down.load(Ordering::Relaxed) {
            return;
        }
        let _ = self
            .outgoing
            .try_send((channel.to_string(), payload.clone()));
    }
}

/// Reports the loss once; true when this call is the one that noticed it.
fn mark_down(down: &AtomicBool, printer: &Printer, url: &str, error: &str) -> bool {
    if down.swap(true, Ordering::Relaxed) {
        return false;
    }
    printer.warn(&format!(
        "lost Redis at {url}: {}; local delivery goes on, reconnecting",
        lower(error)
    ));
    true
}

async fn backoff(step: &mut u32) {
    let delay = BACKOFF_FIRST
        .saturating_mul(1 << (*step).min(5))
        .min(BACKOFF_MAX);
    *step += 1;
    tokio::time::sleep(delay).await;
}

async fn publish(
    client: redis::Client,
    mut connection: redis::aio::MultiplexedConnection,
    mut queue: mpsc::Receiver<(String, Payload)>,
    instance: [u8; 16],
    down: Arc<AtomicBool>,
    printer: Arc<Printer>,
    url: String,
) {
    while let Some((channel, payload)) = queue.recv().await {
        let mut command = redis::cmd("PUBLISH");
        command
            .arg(format!("{PREFIX}{channel}"))
            .arg(encode(&instance, &payload));
        let Err(error) = command.query_async::<i64>(&mut connection).await else {
            continue;
        };
        // The connection may have died while Redis was away and is back now (the subscriber
        // noticed first): one fresh connection, one more try.
        if let Ok(mut fresh) = client.get_multiplexed_async_connection().await
            && command.query_async::<i64>(&mut fresh).await.is_ok()
        {
            connection = fresh;
            continue;
        }
        mark_down(&down, &printer, &url, &error.to_string());
        // What waits was for the time Redis was away: local only.
        let mut step = 0;
        loop {
            while queue.try_recv().is_ok() {}
            backoff(&mut step).await;
            if let Ok(fresh) = client.get_multiplexed_async_connection().await {
                connection = fresh;
                if down.swap(false, Ordering::Relaxed) {
                    printer.info(&format!(
                        "Redis at {url} is back: channels are shared again"
                    ));
                }
                break;
            }
        }
    }
}

async fn subscribe(
    client: redis::Client,
    mut subscriber: redis::aio::PubSub,
    instance: [u8; 16],
    server: std::sync::Weak<Server>,
    down: Arc<AtomicBool>,
    printer: Arc<Printer>,
    url: String,
) {
    loop {
        {
            let mut messages = subscriber.on_message();
            let mut pending = Pending::default();
            while let Some(message) = messages.next().await {
                let Some(channel) = message.get_channel_name().strip_prefix(PREFIX) else {
                    continue;
                };
                let Some((from, payload)) = decode(message.get_payload_bytes()) else {
                    continue;
                };
                if from == instance {
                    continue;
                }
                let Some(server) = server.upgrade() else {
                    return;
                };
                server
                    .hub
                    .publish(channel, &Command::Send(payload), &mut pending);
                pending.deliver(&server.printer).await;
            }
        }
        mark_down(&down, &printer, &url, "the connection closed");
        let mut step = 0;
        subscriber = loop {
            backoff(&mut step).await;
            let Ok(mut fresh) = client.get_async_pubsub().await else {
                continue;
            };
            if fresh.psubscribe(format!("{PREFIX}*")).await.is_ok() {
                break fresh;
            }
        };
        // The publisher reconnects on its next message; from now on both sides are back.
        if down.swap(false, Ordering::Relaxed) {
            printer.info(&format!(
                "Redis at {url} is back: channels are shared again"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_kind_and_sender() {
        let me = instance_id();
        for payload in [Payload::text("price=7"), Payload::binary(vec![0, 0xff])] {
            let (from, back) = decode(&encode(&me, &payload)).unwrap();
            assert_eq!((from, back), (me, payload));
        }
        assert!(decode(b"short").is_none());
        assert_ne!(instance_id(), me);
    }
}
