//! HTTP publish: a plain `POST PATH` (no Upgrade) delivers its body as one message to every
//! client of channel PATH, so a backend or a test pushes with `curl -d`. Open to loopback
//! peers, or to anyone with `--publish-token`; bodies over `--max-message-size` get 413.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::Server;
use super::hub::Pending;
use super::workers::{Accepted, Socket, Unboxed};
use crate::protocol::handshake::{
    IncomingRequest, RequestError, read_next_request, respond, respond_and_keep_alive,
};
use crate::protocol::{BoxedTransport, Command, Payload};

/// Whether and how `serve` takes publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishPolicy {
    /// `--no-publish`, or a mode without channels to publish to.
    Off { why: &'static str },
    /// Loopback peers only, unless a token is set.
    On { token: Option<String> },
}

/// What the publisher gets back, and what the server logs.
struct Answer {
    status: u16,
    body: String,
    log: String,
}

/// A connection on its way to a worker, with the end of its opening handshake.
pub type ToWorkers = mpsc::UnboundedSender<(Socket, Instant)>;

/// Where a freshly accepted connection is served. A plain TCP connection to a server that
/// takes publishes is first peeked at here, on the accept loop's runtime: one that starts
/// with `POST ` is served here whole (its request read here too, which a worker busy with
/// a delivery cycle would get to only after it); any other goes to a worker as it came
/// (peeked, nothing read). `None` when this took the connection.
pub fn sort(
    server: &Arc<Server>,
    socket: Socket,
    deadline: Instant,
    to_workers: &ToWorkers,
) -> Option<Socket> {
    let takes_publishes = matches!(server.config.publish, PublishPolicy::On { .. });
    if !takes_publishes || server.tls.is_some() {
        return Some(socket);
    }
    let Socket::Tcp(stream, addr) = socket else {
        return Some(socket);
    };
    let (server, to_workers) = (server.clone(), to_workers.clone());
    tokio::spawn(async move {
        let mut start = [0u8; 5];
        let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut start)).await;
        let socket = Socket::Tcp(stream, addr);
        match peeked {
            Ok(Ok(5)) if &start == b"POST " => {
                super::connection::handle(server, socket, deadline).await;
            }
            // Closed before a byte came, as a port scan does.
            Ok(Ok(0) | Err(_)) => {}
            // Anything else, a few bytes of a POST included, opens as usual.
            Ok(Ok(_)) => {
                let _ = to_workers.send((socket, deadline));
            }
            Err(_) => super::connection::stalled(&server, &addr.to_string()),
        }
    });
    None
}

/// A publish connection on its way from a worker to the desk.
pub struct Handoff {
    socket: Accepted,
    request: IncomingRequest,
    addr: String,
}

/// Where publishes are answered: the accept loop's runtime, not a worker's. A worker that
/// has just queued a burst for its hundreds of clients gets back to a publisher only after
/// writing to every one of them (about 2.5 ms for 1,000), which would bind the rate of a
/// publisher that waits for each answer to that cycle. Answered here at once, publishes pile
/// up in the channel's log meanwhile and go out together in the next burst.
pub async fn desk(server: Arc<Server>, mut handoffs: mpsc::UnboundedReceiver<Handoff>) {
    while let Some(Handoff {
        socket,
        request,
        addr,
    }) = handoffs.recv().await
    {
        let server = server.clone();
        tokio::spawn(async move {
            match socket.take_over() {
                Ok(socket) => handle(&server, &mut socket.into_transport(), request, &addr).await,
                Err(error) => server.printer.warn(&format!(
                    "{addr}: cannot take the connection over: {}",
                    crate::error::io_reason(&error)
                )),
            }
        });
    }
}

/// Answers a publish connection from a worker: on the desk when it is a plain socket, here
/// otherwise (TLS keeps its state on this runtime).
pub async fn hand_over(
    server: &Arc<Server>,
    mut stream: BoxedTransport,
    request: IncomingRequest,
    addr: &str,
) {
    // Already on the desk: a connection the accept loop sorted out.
    if std::thread::current().id() == server.desk_thread {
        return handle(server, &mut stream, request, addr).await;
    }
    match Accepted::unbox(stream) {
        Unboxed::Freed(socket) => {
            let handoff = Handoff {
                socket,
                request,
                addr: addr.to_string(),
            };
            let _ = server.desk.send(handoff);
        }
        Unboxed::Kept(mut stream) => handle(server, &mut stream, request, addr).await,
        Unboxed::Lost(error) => server.printer.warn(&format!(
            "{addr}: cannot hand the connection over: {}",
            crate::error::io_reason(&error)
        )),
    }
}

/// Answers the publishes of one connection: the first request, then each next one while the
/// client keeps the connection alive (HTTP/1.1, as a backend's pooled HTTP client does), each
/// read and answered within `--handshake-timeout`.
async fn handle(
    server: &Arc<Server>,
    stream: &mut BoxedTransport,
    mut request: IncomingRequest,
    addr: &str,
) {
    let timeout = server.config.handshake_timeout;
    loop {
        let answering = publish(server, stream, &mut request, addr);
        let Ok(answer) = tokio::time::timeout(timeout, answering).await else {
            return;
        };
        server
            .printer
            .info(&format!("{addr}: POST {}: {}", request.path(), answer.log));
        let keep_alive = answer.status == 200 && request.keeps_alive();
        if answer.send(stream, keep_alive).await.is_err() || !keep_alive {
            return;
        }
        let next = read_next_request(stream, request.into_leftover());
        request = match tokio::time::timeout(timeout, next).await {
            Ok(Ok(next)) if next.method() == "POST" && !next.wants_websocket() => {
                server.show_request(addr, &next);
                next
            }
            Ok(Ok(_)) => {
                let why =
                    "a connection kept alive after a publish takes only more publishes (POST)\n";
                let _ = respond(stream, 400, &[], "text/plain", why.as_bytes()).await;
                return;
            }
            // Closed by the client (the usual end), idle too long, or not HTTP.
            _ => return,
        };
    }
}

impl Answer {
    /// The answer, then the end of the connection unless `keep_alive`.
    async fn send(&self, stream: &mut BoxedTransport, keep_alive: bool) -> std::io::Result<()> {
        let (content_type, headers): (&str, &[(&str, &str)]) = match self.status {
            200 => ("application/json", &[]),
            401 => ("text/plain", &[("WWW-Authenticate", "Bearer")]),
            405 => ("text/plain", &[("Allow", "GET")]),
            _ => ("text/plain", &[]),
        };
        let body = self.body.as_bytes();
        if keep_alive {
            respond_and_keep_alive(stream, self.status, headers, content_type, body).await
        } else {
            respond(stream, self.status, headers, content_type, body).await
        }
    }
}

async fn publish(
    server: &Arc<Server>,
    stream: &mut BoxedTransport,
    request: &mut IncomingRequest,
    addr: &str,
) -> Answer {
    let refuse = |status: u16, why: String| Answer {
        status,
        body: format!("{why}\n"),
        log: format!("refused with {status}: {why}"),
    };
    let token = match &server.config.publish {
        PublishPolicy::Off { why } => return refuse(405, why.to_string()),
        PublishPolicy::On { token } => token,
    };
    match token {
        Some(token) => {
            let expected = format!("Bearer {token}");
            if request.header("authorization") != Some(expected.as_str()) {
                return refuse(401, "publishing needs Authorization: Bearer TOKEN".into());
            }
        }
        None if !is_local(addr) => {
            return refuse(
                403,
                "only loopback peers may publish unless the server has a --publish-token".into(),
            );
        }
        None => {}
    }
    let limit = server.config.session.limits.max_message_size;
    let body = match request.read_body(stream, limit).await {
        Ok(Some(body)) => body,
        Ok(None) => {
            return refuse(
                413,
                format!("the body is over the {limit}-byte --max-message-size"),
            );
        }
        Err(RequestError::Malformed(why)) => return refuse(400, why),
        Err(_) => return refuse(400, "the body ended early".into()),
    };
    let binary_type = request.header("content-type").is_some_and(|kind| {
        kind.trim()
            .to_ascii_lowercase()
            .starts_with("application/octet-stream")
    });
    let payload = match String::from_utf8(body) {
        Ok(text) if !binary_type => Payload::text(text),
        Ok(text) => Payload::binary(text.into_bytes()),
        Err(not_utf8) => Payload::binary(not_utf8.into_bytes()),
    };
    let delivered = server
        .publishes
        .publish(server, request.path(), payload)
        .await;
    Answer {
        status: 200,
        body: format!("{}\n", serde_json::json!({ "delivered": delivered })),
        log: format!(
            "delivered to {delivered} client{}",
            if delivered == 1 { "" } else { "s" }
        ),
    }
}

/// HTTP publishes on their way to the hub, by channel. A publish is answered as soon as it
/// is in its channel's log; one fan-out task per busy channel takes whatever the log holds
/// each time it runs and delivers it as one burst, so under load each subscriber takes one
/// queue entry and one wake-up for many publishes, not one per publish. A log holds at most
/// a client queue's worth (`--queue-limit` messages or bytes): past that, publishers wait.
#[derive(Default)]
pub struct Batches {
    channels: Mutex<HashMap<String, Log>>,
    /// Woken when a log was emptied: publishers waiting for room try again.
    room: Notify,
}

#[derive(Default)]
struct Log {
    payloads: Vec<Payload>,
    bytes: usize,
}

impl Batches {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, Log>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Accepts `payload` for every client of `channel`; how many clients the channel has.
    async fn publish(&self, server: &Arc<Server>, channel: &str, payload: Payload) -> usize {
        loop {
            let room = self.room.notified();
            {
                let mut channels = self.channels();
                let starts = !channels.contains_key(channel);
                let log = channels.entry(channel.to_string()).or_default();
                let fits = log.payloads.len() < server.config.queue_messages
                    && log.bytes + payload.len() <= server.config.queue_bytes;
                if fits || log.payloads.is_empty() {
                    log.bytes += payload.len();
                    log.payloads.push(payload);
                    drop(channels);
                    if starts {
                        tokio::spawn(fan_out(server.clone(), channel.to_string()));
                    }
                    return server.hub.members(channel);
                }
            }
            room.await;
        }
    }
}

/// Delivers a channel's log, a burst at a time, until it is found empty.
async fn fan_out(server: Arc<Server>, channel: String) {
    let mut pending = Pending::default();
    loop {
        let payloads = {
            let mut channels = server.publishes.channels();
            match channels.get_mut(&channel) {
                // A burst at most as large as a WebSocket client's: each subscriber's write
                // buffer holds one whole burst.
                Some(log) if !log.payloads.is_empty() => {
                    let taken = log.payloads.len().min(super::connection::BURST);
                    let burst: Vec<Payload> = log.payloads.drain(..taken).collect();
                    log.bytes -= burst.iter().map(Payload::len).sum::<usize>();
                    burst
                }
                _ => {
                    // Nothing came since the last burst: the next publish starts a new task.
                    channels.remove(&channel);
                    return;
                }
            }
        };
        server.publishes.room.notify_waiters();
        for payload in &payloads {
            server.share(&channel, payload);
        }
        if let Some(burst) = Command::send_all(payloads) {
            server.hub.publish(&channel, &burst, &mut pending);
            // Like any broadcast: a full queue waits (bounded), a client that does not read
            // is dropped.
            pending.deliver(&server.printer).await;
        }
        // What arrives meanwhile goes in the next burst.
        tokio::task::yield_now().await;
    }
}

/// A loopback TCP peer, or a Unix socket's (which only this machine can reach).
fn is_local(addr: &str) -> bool {
    addr == super::workers::UNIX_PEER
        || addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|addr| addr.ip().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_peers_publish_without_a_token() {
        assert!(is_local("127.0.0.1:5000"));
        assert!(is_local("[::1]:5000"));
        assert!(is_local("unix"));
        assert!(!is_local("192.168.1.7:5000"));
        assert!(!is_local("[2001:db8::1]:5000"));
    }
}
