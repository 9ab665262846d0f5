//! One connection's life after the opening handshake, shared by `connect` and `serve`:
//! receiving, sending what the outbox holds, echoing, pinging, counting for `-n`, and the
//! close handshake with its timeout.
//!
//! Writes are batched: while more input is already buffered the loop keeps feeding, and it
//! flushes once nothing more is ready. Replies are fed before the next frame is read, so an
//! echo always precedes the answer to a Close that follows it.

use std::time::Duration;

use bytes::Bytes;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_util::{FutureExt, Sink, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::handshake::{Limits, Upgraded};
use super::message::{
    Event, FRAGMENT_SIZE, Limit, Payload, Side, Violation, close_frame, from_close_frame,
};
use crate::queue::{self, QueueError, Refused, Weighed};

/// How many ready frames or queued commands are handled before the loop flushes and looks at
/// its other sources again: large enough to batch writes, small enough to stay fair.
const BATCH: usize = 256;

/// Within a batch of incoming messages, the replies already fed (echoes) go out every this
/// many messages instead of at the end: the peer starts on them while the rest of the batch
/// is processed. With one connection and 64 messages in flight this doubled echo throughput
/// (the two ends no longer take turns), for one more write per 16 messages.
const FLUSH_EVERY: usize = 16;

/// After the close handshake, how long a client waits for the server to close TCP.
const TCP_CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Something to send on the connection.
#[derive(Debug, Clone)]
pub enum Command {
    Send(Payload),
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
            _ => 0,
        }
    }
}

/// The receiving half of a connection's outgoing queue.
pub struct Outbox {
    data: queue::Receiver<Command>,
    control: mpsc::UnboundedReceiver<Command>,
}

/// The sending half: bounded in messages and in bytes, plus an unbounded lane for the few
/// control commands (kick, close on overflow) that must get through when the queue is full.
#[derive(Clone)]
pub struct OutboxSender {
    data: queue::Sender<Command>,
    control: mpsc::UnboundedSender<Command>,
}

impl Outbox {
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

/// Where a session reports what happens on its connection.
pub trait EventSink {
    fn event(&mut self, event: Event);
    /// A message to send in answer to the data message just reported, fed (like an echo)
    /// before the next frame is read. `wsx bench` sends each next message this way: no trip
    /// through the outbox, so the load generator stays cheaper than the server it measures.
    fn answer(&mut self) -> Option<Payload> {
        None
    }
    /// The session is about to wait for more input: a good moment to flush buffered output.
    fn idle(&mut self) {}
    /// True while what the sink was given cannot all be passed on yet (another client's
    /// queue is full, say): the session then reads nothing more from its peer, so TCP slows
    /// the peer down, but it still sends what is queued for it.
    fn blocked(&self) -> bool {
        false
    }
    /// Completes once the sink is no longer blocked. Cancel-safe.
    fn ready(&mut self) -> impl Future<Output = ()> {
        async {}
    }
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Send every received data message back.
    pub echo: bool,
    /// Close normally after receiving this many data messages.
    pub count: Option<u64>,
    pub ping_interval: Option<Duration>,
    /// How long to wait for the peer's Close once wsx has sent its own.
    pub close_timeout: Duration,
    /// What the peer may send (enforced by tungstenite, set up with the handshake).
    pub limits: Limits,
}

/// How a session ended; decides the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// wsx started the close handshake; it finished or timed out. `unanswered`: the peer
    /// ended it with no data message since the last one wsx sent.
    Local { unanswered: bool },
    /// The peer started the close handshake.
    Peer { code: Option<u16>, reason: String },
    /// The connection dropped without a Close (1006).
    Lost(String),
    /// wsx failed the connection because the peer broke the protocol or a limit.
    Failed(Violation),
}

impl Ending {
    /// Success for a script: we closed, or the peer closed with 1000/1001/1005.
    pub fn is_normal(&self) -> bool {
        match self {
            Ending::Local { .. } => true,
            Ending::Peer { code, .. } => super::message::is_normal_close(*code),
            Ending::Lost(_) | Ending::Failed(_) => false,
        }
    }
}

enum Flow {
    Continue,
    End(Ending),
}

struct Session<'a, S, K> {
    ws: WebSocketStream<S>,
    options: &'a SessionOptions,
    sink: &'a mut K,
    received: u64,
    /// Set once wsx has sent its Close: the code and reason sent, and when to give up waiting.
    closing: Option<(u16, String, Instant)>,
    awaiting_pong: bool,
    unflushed: bool,
    /// Left by reading while a write waited (see [`Session::write`]), for the loop to finish.
    answers: Vec<Payload>,
    count_reached: bool,
    /// A Close, an error or the end of the stream, read while a write waited: reading stops
    /// until it is handled.
    stash: Option<Option<Result<Message, WsError>>>,
    /// Set by [`Command::CloseWhenQuiet`]: how long the peer must be quiet, and until when.
    linger: Option<(Duration, Instant)>,
    /// A data message was sent and none has arrived since.
    unanswered: bool,
}

/// Runs a server connection. While the client is silent and nothing is queued for it, the
/// connection stays an [`Upgraded`] socket with no WebSocket buffers; the first byte from
/// the client, or the first command, brings the session to life.
pub async fn run_server<S, K>(
    mut upgraded: Upgraded<S>,
    options: &SessionOptions,
    outbox: &mut Outbox,
    mut first: Vec<Command>,
    sink: &mut K,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: EventSink,
{
    // Pings must go out on time, so a pinging server skips the dormant phase.
    if first.is_empty() && options.ping_interval.is_none() {
        tokio::select! {
            spoke = upgraded.client_spoke() => if !spoke {
                let detail = "client closed the connection without a Close frame".to_string();
                sink.event(Event::Error(detail.clone()));
                sink.event(Event::Close { code: Some(1006), reason: String::new(), by: Side::Peer });
                return Ending::Lost(detail);
            },
            Some(command) = outbox.control.recv() => first.push(command),
            Some(command) = outbox.data.recv() => first.push(command),
        }
    }
    let ws = upgraded.into_websocket().await;
    run(ws, options, outbox, first, sink).await
}

/// Runs the connection until it ends: first sends `first`, then the outbox's commands in
/// order. The outbox outlives the session, so a reconnecting client keeps its queue.
pub async fn run<S, K>(
    ws: WebSocketStream<S>,
    options: &SessionOptions,
    outbox: &mut Outbox,
    first: Vec<Command>,
    sink: &mut K,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: EventSink,
{
    let mut session = Session {
        ws,
        options,
        sink,
        received: 0,
        closing: None,
        awaiting_pong: false,
        unflushed: false,
        answers: Vec::new(),
        count_reached: false,
        stash: None,
        linger: None,
        unanswered: false,
    };
    let mut pinger = options
        .ping_interval
        .map(|every| tokio::time::interval_at(Instant::now() + every, every));
    let mut outbox_open = true;
    for command in first {
        if let Flow::End(ending) = session.command(command).await {
            return ending;
        }
    }
    session.flush().await;
    loop {
        if let Flow::End(ending) = session.settle().await {
            session.sink.idle();
            return ending;
        }
        let close_deadline = session.closing.as_ref().map(|(_, _, at)| *at);
        let quiet_deadline = session.linger.map(|(_, at)| at);
        let sink_blocked = session.sink.blocked();
        let flow = tokio::select! {
            biased;
            Some(command) = outbox.control.recv() => session.command(command).await,
            () = session.sink.ready(), if sink_blocked => Flow::Continue,
            incoming = session.ws.next(), if !sink_blocked && session.stash.is_none() => session.incoming_batch(incoming).await,
            command = outbox.data.recv(), if outbox_open && session.closing.is_none() => match command {
                Some(command) => session.command_batch(command, outbox).await,
                None => {
                    outbox_open = false;
                    Flow::Continue
                }
            },
            _ = tick(&mut pinger), if session.closing.is_none() => session.ping().await,
            _ = sleep_until(quiet_deadline), if session.closing.is_none() => {
                session.linger = None;
                session.command(Command::normal_close()).await
            }
            _ = sleep_until(close_deadline) => {
                session.sink.event(Event::Error(format!(
                    "the peer did not answer the Close within {}s",
                    session.options.close_timeout.as_secs_f64()
                )));
                let (code, reason) = session.closing.take().map(|(code, reason, _)| (code, reason)).unzip();
                session.sink.event(Event::Close { code, reason: reason.unwrap_or_default(), by: Side::Local });
                Flow::End(Ending::Local { unanswered: false })
            }
        };
        if let Flow::End(ending) = flow {
            session.sink.idle();
            return ending;
        }
        session.flush().await;
        session.sink.idle();
    }
}

async fn tick(pinger: &mut Option<Interval>) {
    match pinger {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl<S, K> Session<'_, S, K>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: EventSink,
{
    /// Handles one incoming item, then every further one that is already buffered.
    async fn incoming_batch(&mut self, first: Option<Result<Message, WsError>>) -> Flow {
        let mut item = first;
        for handled in 1.. {
            if let Flow::End(ending) = self.incoming(item).await {
                return Flow::End(ending);
            }
            if handled == BATCH || self.sink.blocked() || self.stash.is_some() {
                break;
            }
            if handled % FLUSH_EVERY == 0 {
                self.flush().await;
            }
            match self.ws.next().now_or_never() {
                Some(next) => item = next,
                None => break,
            }
        }
        Flow::Continue
    }

    async fn command_batch(&mut self, first: Command, outbox: &mut Outbox) -> Flow {
        let mut command = first;
        for handled in 1.. {
            if let Flow::End(ending) = self.command(command).await {
                return Flow::End(ending);
            }
            if self.closing.is_some() || handled == BATCH {
                break;
            }
            match outbox.data.try_recv() {
                Some(next) => command = next,
                None => break,
            }
        }
        Flow::Continue
    }

    async fn incoming(&mut self, item: Option<Result<Message, WsError>>) -> Flow {
        let message = match item {
            Some(Ok(message)) => message,
            Some(Err(error)) => return self.failure(error).await,
            None => return self.connection_gone("connection closed".into()),
        };
        match message {
            Message::Text(text) => self.data(Payload::Text(text)).await,
            Message::Binary(data) => self.data(Payload::Binary(data)).await,
            Message::Ping(data) => {
                // tungstenite queues the Pong itself; the flush after this batch sends it.
                self.unflushed = true;
                self.sink.event(Event::Ping(data));
                Flow::Continue
            }
            Message::Pong(data) => {
                self.awaiting_pong = false;
                self.sink.event(Event::Pong(data));
                Flow::Continue
            }
            Message::Close(frame) => {
                let (code, reason) = from_close_frame(frame.as_ref());
                let ending = match self.closing.take() {
                    // The peer's Close crossed ours, with an error code of its own (it had
                    // refused what we sent, say): its reason is the one that matters.
                    Some((sent, _, _))
                        if code != Some(sent) && !super::message::is_normal_close(code) =>
                    {
                        self.sink.event(Event::Close {
                            code,
                            reason: reason.clone(),
                            by: Side::Peer,
                        });
                        Ending::Peer { code, reason }
                    }
                    Some((code, reason, _)) => {
                        self.sink.event(Event::Close {
                            code: Some(code),
                            reason,
                            by: Side::Local,
                        });
                        Ending::Local {
                            unanswered: self.unanswered,
                        }
                    }
                    None => {
                        self.sink.event(Event::Close {
                            code,
                            reason: reason.clone(),
                            by: Side::Peer,
                        });
                        Ending::Peer { code, reason }
                    }
                };
                self.finish_close().await;
                Flow::End(ending)
            }
            Message::Frame(_) => Flow::Continue,
        }
    }

    async fn data(&mut self, payload: Payload) -> Flow {
        if self.options.echo && self.closing.is_none() && !self.past_count() {
            // Fed before the next frame is read, so it goes out ahead of any Close reply.
            if self.feed_payload(payload.clone()).await {
                self.unflushed = true;
            }
        }
        self.take_data(payload);
        self.settle_answers().await
    }

    /// Past `-n`: the close is under way; what still arrives is not counted or shown.
    fn past_count(&self) -> bool {
        self.options
            .count
            .is_some_and(|count| self.received >= count)
    }

    /// The part of receiving a data message that never waits: counting and reporting it.
    /// What needs a write (the sink's answer, the Close after `-n`) is left for
    /// [`Session::settle_answers`].
    fn take_data(&mut self, payload: Payload) {
        if self.past_count() {
            return;
        }
        self.received += 1;
        self.unanswered = false;
        if let Some((quiet, until)) = &mut self.linger {
            *until = Instant::now() + *quiet;
        }
        self.sink.event(Event::Message(payload));
        if self.closing.is_none()
            && let Some(answer) = self.sink.answer()
        {
            self.answers.push(answer);
        }
        if self.past_count() {
            self.count_reached = true;
        }
    }

    /// Reading done while a write waited, received synchronously: data and control frames
    /// are taken at once; anything else is kept for the loop and stops the reading.
    fn absorb(&mut self, item: Option<Result<Message, WsError>>) {
        match item {
            Some(Ok(Message::Text(text))) => self.take_data(Payload::Text(text)),
            Some(Ok(Message::Binary(data))) => self.take_data(Payload::Binary(data)),
            Some(Ok(Message::Ping(data))) => {
                self.unflushed = true;
                self.sink.event(Event::Ping(data));
            }
            Some(Ok(Message::Pong(data))) => {
                self.awaiting_pong = false;
                self.sink.event(Event::Pong(data));
            }
            Some(Ok(Message::Frame(_))) => {}
            other => self.stash = Some(other),
        }
    }

    /// Sends the answers left by received messages, and the Close once `-n` is reached.
    async fn settle_answers(&mut self) -> Flow {
        // Feeding may read, and so leave more answers.
        while !self.answers.is_empty() {
            for answer in std::mem::take(&mut self.answers) {
                if self.closing.is_none() && self.feed_payload(answer).await {
                    self.unflushed = true;
                }
            }
        }
        if std::mem::take(&mut self.count_reached) {
            return self.command(Command::normal_close()).await;
        }
        Flow::Continue
    }

    /// Finishes what reading during writes left: answers, the `-n` Close, a stashed item.
    async fn settle(&mut self) -> Flow {
        if let Flow::End(ending) = self.settle_answers().await {
            return Flow::End(ending);
        }
        match self.stash.take() {
            Some(item) => self.incoming(item).await,
            None => Flow::Continue,
        }
    }

    async fn command(&mut self, command: Command) -> Flow {
        let message = match command {
            Command::Send(payload) => {
                if self.closing.is_none() && self.feed_payload(payload).await {
                    self.unflushed = true;
                    self.unanswered = true;
                }
                return Flow::Continue;
            }
            Command::CloseWhenQuiet(quiet) if quiet.is_zero() => {
                return Box::pin(self.command(Command::normal_close())).await;
            }
            Command::CloseWhenQuiet(quiet) => {
                self.linger = Some((quiet, Instant::now() + quiet));
                return Flow::Continue;
            }
            Command::Ping(data) => Message::Ping(data),
            Command::Pong(data) => Message::Pong(data),
            Command::Close { code, reason } => {
                if self.closing.is_some() {
                    return Flow::Continue;
                }
                // Queued like any message and flushed by the loop, which keeps reading meanwhile.
                let sent = self
                    .feed(Message::Close(Some(close_frame(code, &reason))))
                    .await
                    .is_ok();
                self.unflushed = true;
                self.closing = Some((code, reason, Instant::now() + self.options.close_timeout));
                if !sent {
                    // The transport is gone already; let the read side report how.
                    self.closing = None;
                }
                return Flow::Continue;
            }
        };
        if self.closing.is_none() && self.feed(message).await.is_ok() {
            self.unflushed = true;
        }
        Flow::Continue
    }

    async fn ping(&mut self) -> Flow {
        if self.awaiting_pong {
            let every = self.options.ping_interval.unwrap_or_default();
            self.sink.event(Event::MissedPong(every));
        }
        self.awaiting_pong = true;
        self.command(Command::Ping(Bytes::from_static(b"wsx")))
            .await
    }

    /// Feeds a data message: one frame, or fragments for one larger than a receiver's
    /// usual frame limit (RFC 6455 §5.4). False when the transport is gone.
    async fn feed_payload(&mut self, payload: Payload) -> bool {
        if payload.len() <= FRAGMENT_SIZE {
            return self.feed(payload.into_message()).await.is_ok();
        }
        for message in payload.into_fragments() {
            if self.feed(message).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Queues a frame; waits only while earlier output is still blocked.
    async fn feed(&mut self, message: Message) -> Result<(), WsError> {
        let mut message = Some(message);
        self.write(|mut ws, cx| {
            ready!(ws.as_mut().poll_ready(cx))?;
            Poll::Ready(match message.take() {
                Some(message) => ws.start_send(message),
                None => Ok(()),
            })
        })
        .await
    }

    async fn flush(&mut self) {
        if std::mem::take(&mut self.unflushed) {
            // A failed flush means the peer is gone; the next read reports it.
            let _ = self.write(|ws, cx| ws.poll_flush(cx)).await;
        }
    }

    /// Drives a write to completion. A session that does not echo keeps reading while it
    /// waits: when both ends have written more than the socket buffers hold and the peer
    /// too waits for its writes before reading again (as an echo server does), an end that
    /// stopped reading would wait forever. An echoing session does stop reading, which is
    /// how it slows down a peer that sends faster than it reads.
    async fn write<T>(
        &mut self,
        mut step: impl FnMut(Pin<&mut WebSocketStream<S>>, &mut Context<'_>) -> Poll<T>,
    ) -> T {
        poll_fn(|cx| {
            if let Poll::Ready(done) = step(Pin::new(&mut self.ws), cx) {
                return Poll::Ready(done);
            }
            while !self.options.echo && self.stash.is_none() && !self.sink.blocked() {
                match self.ws.poll_next_unpin(cx) {
                    Poll::Ready(item) => self.absorb(item),
                    Poll::Pending => break,
                }
            }
            Poll::Pending
        })
        .await
    }

    /// After a Close went both ways: let tungstenite send its reply and see the TCP end.
    async fn finish_close(&mut self) {
        let _ = tokio::time::timeout(self.options.close_timeout, self.ws.flush()).await;
        // Both Close frames have gone by; the server closes TCP first (RFC 6455 §7.1.1), and a
        // client that waits for it longer than a moment gains nothing.
        let _ = tokio::time::timeout(TCP_CLOSE_WAIT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }

    async fn failure(&mut self, error: WsError) -> Flow {
        let violation = match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed => {
                return self.connection_gone("connection closed".into());
            }
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                return self
                    .connection_gone("peer closed the connection without a Close frame".into());
            }
            WsError::Io(error) => return self.connection_gone(crate::error::io_reason(&error)),
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                // tungstenite reports both limits this way; the frame limit is the lower.
                let what = if max_size < self.options.limits.max_message_size {
                    Limit::Frame
                } else {
                    Limit::Message
                };
                Violation::TooLarge {
                    what,
                    size,
                    max: max_size,
                }
            }
            WsError::Capacity(error) => Violation::Protocol(error.to_string()),
            WsError::Utf8(_) => Violation::InvalidUtf8,
            WsError::Protocol(error) => {
                Violation::Protocol(crate::error::lower_first(&error.to_string()))
            }
            other => return self.connection_gone(other.to_string()),
        };
        self.sink.event(Event::Violation(violation.clone()));
        let code = violation.close_code();
        let reason = super::message::close_code_name(code);
        let _ = tokio::time::timeout(
            self.options.close_timeout,
            self.ws.close(Some(close_frame(code, reason))),
        )
        .await;
        self.sink.event(Event::Close {
            code: Some(code),
            reason: reason.to_string(),
            by: Side::Local,
        });
        Flow::End(Ending::Failed(violation))
    }

    fn connection_gone(&mut self, detail: String) -> Flow {
        if let Some((code, reason, _)) = self.closing.take() {
            // We had sent our Close; a peer that drops TCP instead of answering still ends
            // the session we asked to end.
            self.sink.event(Event::Close {
                code: Some(code),
                reason,
                by: Side::Local,
            });
            return Flow::End(Ending::Local {
                unanswered: self.unanswered,
            });
        }
        // 1006 never goes on the wire (RFC 6455 §7.4.1); it is how a drop is reported, as
        // browsers do in their close event.
        self.sink.event(Event::Error(detail.clone()));
        self.sink.event(Event::Close {
            code: Some(1006),
            reason: String::new(),
            by: Side::Peer,
        });
        Flow::End(Ending::Lost(detail))
    }
}
