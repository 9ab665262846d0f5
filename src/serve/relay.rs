//! `wsx proxy`: each client gets its own connection to the upstream, dialled with the client
//! `connect` uses, before the client's upgrade is answered, so the upstream's subprotocol (or
//! refusal) is what the client gets. Then two sessions run back to back: what one side
//! receives goes to the other side's queue; a full queue stops the reading side (TCP slows
//! the sender), so memory stays bounded. Closes cross over; a side that vanishes is reported
//! to the other with 1001 (1011 when the upstream is the one lost).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::Server;
use crate::client::Client;
use crate::config::ProxySettings;
use crate::error::Error;
use crate::protocol::handshake::{
    ClientConnection, ClientRequest, HeaderMap, IncomingRequest, header,
};
use crate::protocol::session::{self, Outbox, outbox};
use crate::protocol::{
    BoxedTransport, Command, Event, EventSink, OutboxSender, Payload, Side, Upgraded,
};
use crate::test::record::{ConnectLine, Recorder};

/// Headers of one hop only (RFC 9110 §7.6.1), the handshake's own, and those the proxy sets.
const NOT_FORWARDED: [&str; 13] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "host",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    // wsx negotiates no extensions: passing the offer on would let the upstream pick one.
    "sec-websocket-extensions",
];

/// How long the sessions still run after `--disconnect-after` is reached, to send the last
/// message passed on.
const CUT_GRACE: Duration = Duration::from_millis(100);

/// A client's upstream, once it answered 101.
pub struct Upstream {
    pub connection: ClientConnection<BoxedTransport>,
    /// The URL dialled, for `--record`.
    pub url: String,
}

/// Why the client gets no upgrade: the upstream's own answer, or a failure to reach it.
pub enum Refused {
    Answer {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
        log: String,
    },
    Unreachable(String),
}

/// The upstream request for `request`: the client's path and query appended to the upstream
/// URL's path, its headers but the hop-by-hop ones, then `-H`/`-o`/`--auth`, which replace.
fn upstream_request(client: &Client, request: &IncomingRequest) -> ClientRequest {
    let mut upstream = client.request.clone();
    let base = upstream.url.path().trim_end_matches('/').to_string();
    let path = format!("{base}{}", request.path());
    upstream.url.set_path(&path);
    upstream
        .url
        .set_query((!request.query().is_empty()).then_some(request.query()));
    let mut headers = HeaderMap::new();
    for (name, value) in request.headers() {
        if NOT_FORWARDED.contains(&name) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            header::HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    for name in client.request.headers.keys() {
        headers.remove(name);
    }
    for (name, value) in &client.request.headers {
        headers.append(name, value.clone());
    }
    upstream.subprotocols = request
        .offered_subprotocols()
        .iter()
        .map(|protocol| protocol.to_string())
        .collect();
    upstream.headers = headers;
    upstream
}

pub async fn dial_upstream(
    server: &Server,
    settings: &ProxySettings,
    request: &IncomingRequest,
) -> Result<Upstream, Refused> {
    let upstream = upstream_request(&settings.client, request);
    let url = upstream.url.to_string();
    match settings
        .client
        .dial_request(&upstream, &server.printer)
        .await
    {
        Ok(connection) => {
            if server.config.verbose {
                let heads = format!(
                    "{}{}",
                    crate::output::format::prefix_lines("upstream > ", &connection.request_head),
                    crate::output::format::prefix_lines("upstream < ", &connection.response_head)
                );
                server.printer.verbose(&heads);
            }
            Ok(Upstream { connection, url })
        }
        Err(Error::HandshakeStatus { status, answer, .. }) => {
            let (code, content_type, body) = *answer;
            Err(Refused::Answer {
                status: code,
                content_type,
                body,
                log: format!("the upstream answered {status}"),
            })
        }
        Err(error) => Err(Refused::Unreachable(error.to_string())),
    }
}

/// Settings of one relayed connection.
struct Disturbances {
    delay: Option<Duration>,
    drops: Arc<Vec<regex::Regex>>,
    /// Messages passed on so far (both ways), and the limit of `--disconnect-after`.
    passed: Arc<AtomicU64>,
    limit: Option<u64>,
    cut: Arc<Notify>,
}

pub async fn run(
    server: Arc<Server>,
    id: u64,
    client_ws: Upgraded<BoxedTransport>,
    client_outbox: &mut Outbox,
    client_sender: OutboxSender,
    upstream: Upstream,
    settings: Arc<ProxySettings>,
) {
    let (upstream_sender, mut upstream_outbox) =
        outbox(server.config.queue_messages, server.config.queue_bytes);
    server.hub.set_upstream(id, upstream_sender.clone());
    let recorder = settings
        .record
        .as_ref()
        .and_then(|dir| recorder_for(&server, id, dir, &upstream.url));
    let recorder = recorder.map(|recorder| Arc::new(std::sync::Mutex::new(recorder)));
    let cut = Arc::new(Notify::new());
    let passed = Arc::new(AtomicU64::new(0));
    // Both directions share the count of `--disconnect-after` and the cut.
    let disturbances = || Disturbances {
        delay: settings.delay,
        drops: settings.drops.clone(),
        passed: passed.clone(),
        limit: settings.disconnect_after,
        cut: cut.clone(),
    };
    let mut from_client = Relay::new(
        server.clone(),
        id,
        false,
        upstream_sender.clone(),
        disturbances(),
        recorder.clone(),
    );
    let mut from_upstream = Relay::new(
        server.clone(),
        id,
        true,
        client_sender.clone(),
        disturbances(),
        recorder,
    );
    drop((client_sender, upstream_sender));
    let client_side = session::run_server(
        client_ws,
        &server.session,
        client_outbox,
        Vec::new(),
        &mut from_client,
    );
    let upstream_side = session::run(
        upstream.connection.ws,
        &server.session,
        &mut upstream_outbox,
        Vec::new(),
        &mut from_upstream,
    );
    let both = async { tokio::join!(client_side, upstream_side) };
    tokio::pin!(both);
    tokio::select! {
        _ = &mut both => {}
        // `--disconnect-after`: the Nth message goes out, then both connections are dropped
        // as they are, without a Close.
        () = cut.notified() => {
            let _ = tokio::time::timeout(CUT_GRACE, &mut both).await;
            server.printer.note(id, "cut the client's connection (--disconnect-after)");
        }
    }
}

fn recorder_for(server: &Server, id: u64, dir: &std::path::Path, url: &str) -> Option<Recorder> {
    let path: PathBuf = dir.join(format!("client-{id}.wsx"));
    let line = ConnectLine {
        line: format!("connect {}", shell_words::quote(url)),
        variables: Vec::new(),
    };
    match std::fs::create_dir_all(dir).and_then(|()| Recorder::create(&path, &line)) {
        Ok(recorder) => Some(recorder),
        Err(error) => {
            server.printer.warn(&format!(
                "[{id}] cannot record to {}: {}",
                path.display(),
                crate::error::io_reason(&error)
            ));
            None
        }
    }
}

/// One direction of a relayed connection: what its session receives goes to the other side.
struct Relay {
    server: Arc<Server>,
    id: u64,
    from_upstream: bool,
    other: OutboxSender,
    /// `--delay`: how long, and where messages wait for their time, in order.
    delayed: Option<(Duration, mpsc::Sender<(Instant, Command)>)>,
    disturbances: Disturbances,
    /// Commands the other side's full queue could not take yet: reading stops until it can.
    pending: std::collections::VecDeque<Command>,
    recorder: Option<Arc<std::sync::Mutex<Recorder>>>,
    /// The error that precedes a 1006 close, for the log.
    last_error: Option<String>,
}

impl Relay {
    fn new(
        server: Arc<Server>,
        id: u64,
        from_upstream: bool,
        other: OutboxSender,
        disturbances: Disturbances,
        recorder: Option<Arc<std::sync::Mutex<Recorder>>>,
    ) -> Relay {
        let delayed = disturbances.delay.map(|delay| {
            let (queue, mut waiting) = mpsc::channel::<(Instant, Command)>(1024);
            let other = other.clone();
            tokio::spawn(async move {
                while let Some((due, command)) = waiting.recv().await {
                    tokio::time::sleep_until(due).await;
                    if other.send(command).await.is_err() {
                        return;
                    }
                }
            });
            (delay, queue)
        });
        Relay {
            server,
            id,
            from_upstream,
            other,
            delayed,
            disturbances,
            pending: std::collections::VecDeque::new(),
            recorder,
            last_error: None,
        }
    }

    fn direction(&self) -> &'static str {
        if self.from_upstream {
            "upstream→client"
        } else {
            "client→upstream"
        }
    }

    /// Passes a command on, in order: through the delay, or to the other side's queue.
    fn pass(&mut self, command: Command) {
        if !self.pending.is_empty() {
            self.pending.push_back(command);
            return;
        }
        if let Some((delay, delayed)) = &self.delayed {
            let due = Instant::now() + *delay;
            if let Err(mpsc::error::TrySendError::Full((_, command))) =
                delayed.try_send((due, command))
            {
                self.pending.push_back(command);
            }
            return;
        }
        if let Err(refused) = self.other.try_send(command) {
            self.pending.push_back(refused.item);
        }
    }

    fn recorder(&self) -> Option<std::sync::MutexGuard<'_, Recorder>> {
        self.recorder.as_ref()?.lock().ok()
    }

    /// What the replay expects, and the client's own close, which the replay makes. What
    /// the client sends is recorded in [`Relay::message`], once it is known to cross.
    fn record(&self, event: &Event) {
        let Some(mut recorder) = self.recorder() else {
            return;
        };
        match (event, self.from_upstream) {
            (Event::Message(_), true) => recorder.received(event),
            (Event::Close { by: Side::Peer, .. }, true) => recorder.received(event),
            // A client that vanished makes no close to replay.
            (
                Event::Close {
                    code: Some(1006), ..
                },
                false,
            ) => {}
            (
                Event::Close {
                    code,
                    reason,
                    by: Side::Peer,
                },
                false,
            ) => recorder.received(&Event::Close {
                code: *code,
                reason: reason.clone(),
                by: Side::Local,
            }),
            // Closes this side answered were started on the other side, and recorded there.
            _ => {}
        }
    }

    /// Passes a message on, unless a disturbance stops it; false when `--drop` did.
    fn message(&mut self, payload: Payload) -> bool {
        // Past `--disconnect-after`, nothing more crosses: the cut is under way.
        if self
            .disturbances
            .limit
            .is_some_and(|limit| self.disturbances.passed.load(Ordering::Relaxed) >= limit)
        {
            return true;
        }
        if let Payload::Text(text) = &payload
            && self
                .disturbances
                .drops
                .iter()
                .any(|regex| regex.is_match(text))
        {
            let shown = crate::output::sanitize::escape_line(text);
            self.server.printer.note(
                self.id,
                &format!("dropped {}: {shown} (--drop)", self.direction()),
            );
            // The upstream never saw it, so the replay does not send it.
            if !self.from_upstream
                && let Some(mut recorder) = self.recorder()
            {
                recorder.comment(&format!("dropped by --drop: send {shown}"));
            }
            return false;
        }
        if !self.from_upstream
            && let Some(mut recorder) = self.recorder()
        {
            recorder.sent(&Command::Send(payload.clone()));
        }
        self.pass(Command::Send(payload));
        let passed = self.disturbances.passed.fetch_add(1, Ordering::Relaxed) + 1;
        if self.disturbances.limit == Some(passed) {
            self.disturbances.cut.notify_one();
        }
        true
    }
}

impl EventSink for Relay {
    fn event(&mut self, event: Event) {
        self.record(&event);
        let mut dropped = false;
        match &event {
            Event::Message(payload) => dropped = !self.message(payload.clone()),
            Event::Error(message) => {
                self.last_error = Some(message.clone());
                return;
            }
            // A close the other side started, which this side answered, ends here: only a
            // peer's close is passed on.
            Event::Close {
                code,
                reason,
                by: Side::Peer,
            } => {
                {
                    let close = match code {
                        Some(1006) => Command::Close {
                            code: if self.from_upstream { 1011 } else { 1001 },
                            reason: if self.from_upstream {
                                "upstream connection lost".into()
                            } else {
                                "client went away".into()
                            },
                        },
                        Some(code) if crate::protocol::message::is_sendable_close_code(*code) => {
                            Command::Close {
                                code: *code,
                                reason: reason.clone(),
                            }
                        }
                        // A Close without a code crosses as one.
                        None => Command::Close {
                            code: crate::protocol::message::NO_STATUS,
                            reason: String::new(),
                        },
                        _ => Command::normal_close(),
                    };
                    if self.pending.is_empty() && self.delayed.is_none() {
                        // Behind what is queued, so everything before it is delivered.
                        if let Err(refused) = self.other.try_send(close) {
                            let _ = self.other.control(refused.item);
                        }
                    } else {
                        self.pass(close);
                    }
                }
            }
            _ => {}
        }
        self.server
            .printer
            .relayed(self.id, self.from_upstream, &event, dropped);
        if let (
            Event::Close {
                code: Some(1006), ..
            },
            Some(error),
        ) = (&event, &self.last_error)
        {
            self.server.printer.note(self.id, error);
        }
    }

    fn idle(&mut self) {
        self.server.printer.flush();
    }

    fn hands_over(&self) -> bool {
        true
    }

    fn blocked(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Cancel-safe: a command leaves `pending` only once it is queued.
    async fn ready(&mut self) {
        while let Some(command) = self.pending.front().cloned() {
            let sent = match &self.delayed {
                Some((delay, delayed)) => delayed
                    .send((Instant::now() + *delay, command))
                    .await
                    .is_ok(),
                None => self.other.send(command).await.is_ok(),
            };
            if !sent {
                self.pending.clear();
                return;
            }
            self.pending.pop_front();
        }
    }
}
