//! One accepted TCP connection: the bounded opening handshake (with the plain-HTTP answers
//! that come before an upgrade), then the client's session.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::hub::Pending;
use super::workers::Socket;
use super::{Server, exec};
use crate::config::ServeMode;
use crate::output::format::prefix_lines;
use crate::protocol::handshake::{self, IncomingRequest, RequestError, read_request, respond};
use crate::protocol::session::{self, Command, outbox};
use crate::protocol::{BoxedTransport, Event, EventSink, Payload, Upgraded};

/// The built-in test page, served for a plain `GET /` (no external assets).
const PAGE: &str = include_str!("page.html");

/// Serves one connection; its opening handshake must end by `deadline` (`--handshake-timeout`
/// from when it was accepted).
pub async fn handle(server: Arc<Server>, socket: Socket, deadline: tokio::time::Instant) {
    let addr = socket.peer();
    let stream = socket.into_transport();
    let scheme = if server.tls.is_some() { "wss" } else { "ws" };
    // The whole opening handshake is bounded, so a client that stalls (or sends nothing)
    // holds only its own task, and only this long.
    // Boxed, here and for --exec below: a task's allocation is as large as its largest state,
    // and the handshake (TLS included) and the exec machinery are much larger than what an
    // open connection keeps, which every one of thousands of idle connections would pay.
    let opening = Box::pin(open(server.clone(), stream, &addr));
    let opened = match tokio::time::timeout_at(deadline, opening).await {
        Ok(Some(Opening::Upgraded(opened))) => *opened,
        // Publishes bound their own time: a kept-alive connection takes one after another.
        Ok(Some(Opening::Publish(publish))) => {
            let (stream, request) = *publish;
            // Boxed too: its state would otherwise stay in every connection's task.
            Box::pin(super::publish::hand_over(&server, stream, request, &addr)).await;
            return;
        }
        Ok(None) => return,
        Err(_) => return stalled(&server, &addr),
    };
    let Opened {
        ws,
        path,
        subprotocol,
        host,
        origin,
        role,
        slot: _slot,
    } = opened;

    let (sender, mut outbox) = outbox(server.config.queue_messages, server.config.queue_bytes);
    // Other tasks fill it (publishes, broadcasts, the console), except a proxy's upstream,
    // which runs in the client's own task.
    if !matches!(role, Role::Proxy(..)) {
        outbox.gather();
    }
    let id = server
        .hub
        .register(addr.clone(), path.clone(), sender.clone());
    let channel = super::hub::channel_of(&path).to_string();
    server.printer.event_on(
        Some(id),
        Some(&channel),
        &Event::Open {
            url: format!("{scheme}://{host}{path}"),
            subprotocol,
            addr: Some(addr.clone()),
            origin,
        },
    );
    match role {
        Role::Exec(command) => {
            Box::pin(exec::serve(
                server.clone(),
                (id, channel),
                ws,
                &mut outbox,
                sender,
                *command,
            ))
            .await
        }
        Role::Proxy(upstream, settings) => {
            Box::pin(super::relay::run(
                server.clone(),
                id,
                ws,
                &mut outbox,
                sender,
                *upstream,
                settings,
            ))
            .await;
        }
        Role::Script(script) => {
            Box::pin(run_script(
                server.clone(),
                (id, channel),
                ws,
                &mut outbox,
                sender,
                script,
            ))
            .await;
        }
        Role::Session { broadcast } => {
            drop(sender);
            let mut sink = ServeSink {
                server: server.clone(),
                id,
                channel,
                broadcast,
                burst: Vec::new(),
                pending: Pending::default(),
            };
            session::run_server(
                ws,
                &server.session,
                &mut outbox,
                server.greetings(),
                &mut sink,
            )
            .await;
            // What the client said before it left still reaches the clients that read.
            sink.pending.deliver(&server.printer).await;
        }
    }
    server.hub.unregister(id);
}

/// Says that a client did not complete its opening handshake in time, and was dropped.
pub(super) fn stalled(server: &Server, addr: &str) {
    server.printer.warn(&format!(
        "{addr}: opening handshake not completed within {}s; dropped",
        server.config.handshake_timeout.as_secs_f64()
    ));
}

/// What a connection does, from the server's mode: decided once, when it opens.
enum Role {
    /// The session loop, with echo set in the session options (`--echo`), relaying to the
    /// other clients (`--broadcast`), or neither (the console's clients).
    Session { broadcast: bool },
    /// `--exec`: a child of its own, started once the session begins.
    Exec(Box<tokio::process::Command>),
    /// `--script`: the test file's steps, from the server's side.
    Script(Arc<crate::test::parse::Script>),
    /// `proxy`: relayed to its own upstream connection, already open.
    Proxy(
        Box<super::relay::Upstream>,
        Arc<crate::config::ProxySettings>,
    ),
}

/// A request read: upgraded, or an HTTP publish to answer.
enum Opening {
    Upgraded(Box<Opened>),
    Publish(Box<(BoxedTransport, IncomingRequest)>),
}

struct Opened {
    ws: Upgraded<BoxedTransport>,
    path: String,
    subprotocol: Option<String>,
    host: String,
    origin: Option<String>,
    role: Role,
    slot: Slot,
}

/// A place under `--max-connections`, given back when dropped (even mid-handshake).
struct Slot(Arc<Server>);

impl Slot {
    fn take(server: Arc<Server>) -> Option<Slot> {
        let active = server.active.fetch_add(1, Ordering::Relaxed);
        let slot = Slot(server);
        let full = slot
            .0
            .config
            .max_connections
            .is_some_and(|max| active >= max);
        (!full).then_some(slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Reads the request and either answers it over plain HTTP (`None`), upgrades it, or hands
/// back a publish.
async fn open(server: Arc<Server>, plain: BoxedTransport, addr: &str) -> Option<Opening> {
    let mut stream: BoxedTransport = match &server.tls {
        Some(acceptor) => match acceptor.accept(plain).await {
            Ok(tls) => Box::new(tls),
            Err(error) => {
                server.printer.warn(&format!(
                    "{addr}: TLS handshake failed: {}",
                    crate::tls::describe_server_failure(&error)
                ));
                return None;
            }
        },
        None => plain,
    };
    let request = match read_request(&mut stream).await {
        Ok(request) => request,
        Err(RequestError::Closed) => return None,
        Err(RequestError::TooLarge) => {
            let refusal = Refusal::new(431, "request head too large");
            refusal.send(&server, &mut stream, addr).await;
            return None;
        }
        Err(RequestError::Malformed(reason)) => {
            let refusal = Refusal::new(400, format!("malformed HTTP request: {reason}"));
            refusal.send(&server, &mut stream, addr).await;
            return None;
        }
    };
    server.show_request(addr, &request);
    if !request.wants_websocket() {
        if request.method() == "POST" {
            return Some(Opening::Publish(Box::new((stream, request))));
        }
        if server.config.page && request.method() == "GET" && request.path() == "/" {
            let _ = respond(
                &mut stream,
                200,
                &[("Cache-Control", "no-store")],
                "text/html; charset=utf-8",
                PAGE.as_bytes(),
            )
            .await;
            return None;
        }
        let _ = respond(
            &mut stream,
            426,
            &[("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")],
            "text/plain",
            b"this is a WebSocket endpoint: connect with a WebSocket client\n",
        )
        .await;
        return None;
    }
    if let Err(forbidden) = server
        .origin_policy
        .check(request.header("host"), request.header("origin"))
    {
        Refusal::new(403, forbidden.reason)
            .send(&server, &mut stream, addr)
            .await;
        return None;
    }
    // Reserved before upgrading so concurrent handshakes cannot overshoot the limit.
    let Some(slot) = Slot::take(server.clone()) else {
        let limit = server.config.max_connections.unwrap_or_default();
        Refusal {
            headers: vec![("Retry-After", "1".into())],
            log: Some(format!("--max-connections {limit} reached")),
            ..Refusal::new(503, "too many connections")
        }
        .send(&server, &mut stream, addr)
        .await;
        return None;
    };
    let mut subprotocol = choose_subprotocol(&server.config.subprotocols, &request);
    let path = match request.query() {
        "" => request.path().to_string(),
        query => format!("{}?{query}", request.path()),
    };
    let host = request.header("host").unwrap_or("").to_string();
    let origin = request.header("origin").map(str::to_string);
    let role = match &server.config.mode {
        ServeMode::Exec(program) => Role::Exec(Box::new(exec::command(program, addr, &request))),
        ServeMode::Script(script) => Role::Script(script.clone()),
        ServeMode::Broadcast => Role::Session { broadcast: true },
        ServeMode::Echo | ServeMode::Console => Role::Session { broadcast: false },
        ServeMode::Proxy(settings) => {
            // The upstream answers first: its subprotocol, or its refusal, is the client's.
            match super::relay::dial_upstream(&server, settings, &request).await {
                Ok(upstream) => {
                    subprotocol = upstream.connection.subprotocol.clone();
                    Role::Proxy(Box::new(upstream), settings.clone())
                }
                Err(super::relay::Refused::Answer {
                    status,
                    content_type,
                    body,
                    log,
                }) => {
                    server
                        .printer
                        .info(&format!("{addr}: refused with {status}: {log}"));
                    let content_type = content_type.unwrap_or_else(|| "text/plain".into());
                    let _ = respond(&mut stream, status, &[], &content_type, &body).await;
                    return None;
                }
                Err(super::relay::Refused::Unreachable(why)) => {
                    Refusal {
                        log: Some(format!("upstream unreachable: {why}")),
                        ..Refusal::new(502, format!("the proxy cannot reach its upstream: {why}"))
                    }
                    .send(&server, &mut stream, addr)
                    .await;
                    return None;
                }
            }
        }
    };
    match handshake::upgrade(
        stream,
        request,
        subprotocol.as_deref(),
        server.config.session.limits,
    )
    .await
    {
        Ok((ws, response_head)) => {
            if server.config.verbose {
                let prefix = format!("{addr} < ");
                server
                    .printer
                    .verbose(&prefix_lines(&prefix, &response_head));
            }
            Some(Opening::Upgraded(Box::new(Opened {
                ws,
                path,
                subprotocol,
                host,
                origin,
                role,
                slot,
            })))
        }
        Err((mut stream, refused)) => {
            let headers = if refused.status == 426 {
                vec![("Sec-WebSocket-Version", "13".to_string())]
            } else {
                Vec::new()
            };
            Refusal {
                headers,
                ..Refusal::new(refused.status, refused.reason)
            }
            .send(&server, &mut stream, addr)
            .await;
            None
        }
    }
}

/// An HTTP answer instead of the upgrade, and the line the server logs about it.
struct Refusal {
    status: u16,
    /// What the client reads (one line).
    body: String,
    headers: Vec<(&'static str, String)>,
    /// What the operator reads, when it differs from the body.
    log: Option<String>,
}

impl Refusal {
    fn new(status: u16, body: impl Into<String>) -> Refusal {
        Refusal {
            status,
            body: body.into(),
            headers: Vec::new(),
            log: None,
        }
    }

    async fn send(self, server: &Server, stream: &mut BoxedTransport, addr: &str) {
        let why = self.log.as_deref().unwrap_or(&self.body);
        server
            .printer
            .info(&format!("{addr}: refused with {}: {why}", self.status));
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let body = format!("{}\n", self.body);
        let _ = respond(stream, self.status, &headers, "text/plain", body.as_bytes()).await;
    }
}

/// The first protocol in the server's list that the client offered.
fn choose_subprotocol(accepted: &[String], request: &IncomingRequest) -> Option<String> {
    let offered = request.offered_subprotocols();
    accepted
        .iter()
        .find(|protocol| offered.contains(&protocol.as_str()))
        .cloned()
}

/// How long a script's `expect` and `await` steps wait, unless the script says otherwise.
const SCRIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `--script`: the session runs as for any client, its events go to the script as well as to
/// the log, and a failing script closes its client (only) with 1008 naming the line.
async fn run_script(
    server: Arc<Server>,
    (id, channel): (u64, String),
    ws: Upgraded<BoxedTransport>,
    outbox: &mut session::Outbox,
    sender: crate::protocol::OutboxSender,
    script: Arc<crate::test::parse::Script>,
) {
    let (events_tx, events) = tokio::sync::mpsc::unbounded_channel();
    let options = crate::test::run::RunOptions {
        timeout: SCRIPT_TIMEOUT,
        vars: Vec::new(),
    };
    let steps = {
        let server = server.clone();
        let sender = sender.clone();
        async move {
            let Some(failed) =
                crate::test::run::run_on_connection(&script, &options, sender.clone(), events)
                    .await
            else {
                return;
            };
            let outcome = crate::test::run::FileOutcome {
                path: script.path.clone(),
                steps: vec![failed.clone()],
                elapsed: failed.elapsed,
            };
            for line in crate::test::report::file_report(&outcome).lines() {
                server.printer.warn(&format!("[{id}] {line}"));
            }
            // A close reason holds at most 123 bytes (RFC 6455 §5.5).
            let mut reason = format!("script failed at line {}", failed.line);
            reason.truncate(123);
            let _ = sender.control(crate::protocol::Command::Close { code: 1008, reason });
        }
    };
    let steps = tokio::spawn(steps);
    let mut forward = crate::test::run::forwarder(events_tx);
    let mut sink = ScriptSink {
        server: server.clone(),
        id,
        channel,
        forward: &mut forward,
    };
    // A script that sends first wakes the session through the outbox.
    session::run_server(ws, &server.session, outbox, Vec::new(), &mut sink).await;
    drop(sender);
    steps.abort();
}

struct ScriptSink<'a, F: FnMut(&Event)> {
    server: Arc<Server>,
    id: u64,
    channel: String,
    forward: &'a mut F,
}

impl<F: FnMut(&Event)> EventSink for ScriptSink<'_, F> {
    fn event(&mut self, event: Event) {
        (self.forward)(&event);
        self.server.report(self.id, &self.channel, &event);
    }

    fn idle(&mut self) {
        self.server.printer.flush();
    }
}

/// Routes one client's events: to the printer, and in `--broadcast` to the other clients.
struct ServeSink {
    server: Arc<Server>,
    id: u64,
    /// Relay every message to the other clients.
    broadcast: bool,
    /// The client's channel, for `--redis`.
    channel: String,
    /// Messages received since the session last went idle, passed on together: one queue
    /// entry per client for the lot instead of one per message.
    burst: Vec<Payload>,
    /// Broadcasts waiting for room in other clients' queues.
    pending: Pending,
}

/// The most messages a burst holds before it is passed on: the session loop's own batch.
pub(super) const BURST: usize = 256;

impl ServeSink {
    fn pass_on(&mut self) {
        let Some(command) = Command::send_all(std::mem::take(&mut self.burst)) else {
            return;
        };
        self.server
            .hub
            .broadcast(self.id, command, &mut self.pending);
    }
}

impl EventSink for ServeSink {
    fn event(&mut self, event: Event) {
        if let Event::Message(payload) = &event
            && self.broadcast
        {
            self.burst.push(payload.clone());
            if self.burst.len() == BURST {
                self.pass_on();
            }
            self.server.share(&self.channel, payload);
        }
        self.server.report(self.id, &self.channel, &event);
    }

    fn idle(&mut self) {
        self.pass_on();
        self.server.printer.flush();
    }

    fn blocked(&self) -> bool {
        !self.pending.is_empty()
    }

    async fn ready(&mut self) {
        self.pending.deliver(&self.server.printer).await;
    }
}
