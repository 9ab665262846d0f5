//! One connection's life after the opening handshake, shared by `connect` and `serve`:
//! receiving, sending what the outbox holds, echoing, pinging, counting for `-n`, and the
//! close handshake with its timeout.
//!
//! Writes are batched: while more input is already buffered the loop keeps feeding, and it
//! flushes once nothing more is ready. Replies are fed before the next frame is read, so an
//! echo always precedes the answer to a Close that follows it.
//!
//! Here: the loop and the one receive path. `outbox.rs`: the queue the loop sends from.
//! `io.rs`: reading a frame, feeding, flushing and the close's last steps. `ending.rs`: how a session ends.

mod ending;
mod io;
mod outbox;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Interval};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::ReadReady;
use super::handshake::{Limits, Upgraded};
use super::message::{Event, Payload, Side, close_frame};
use crate::queue::Weighed;
pub use ending::Ending;
pub use outbox::{Burst, Command, Outbox, OutboxSender, outbox};

/// How many ready frames or queued commands are handled before the loop flushes and looks at
/// its other sources again: large enough to batch writes, small enough to stay fair.
const BATCH: usize = 256;

/// Within a batch of incoming messages, the replies already fed (echoes) go out every this
/// many messages instead of at the end: the peer starts on them while the rest of the batch
/// is processed. With one connection and 64 messages in flight this doubled echo throughput
/// (the two ends no longer take turns), for one more write per 16 messages.
const FLUSH_EVERY: usize = 16;

/// Where a session reports what happens on its connection.
pub trait EventSink {
    fn event(&mut self, event: Event);
    /// A message to send in answer to the data message just reported, fed (like an echo)
    /// before the next frame is read. `wsx bench` sends each next message this way: no trip
    /// through the outbox, so the load generator stays cheaper than the server it measures.
    fn answer(&mut self) -> Option<Payload> {
        None
    }
    /// A command the session is about to carry out (what wsx sends, for `--record`).
    fn sent(&mut self, _command: &Command) {}
    /// The session is about to wait for more input: a good moment to flush buffered output.
    fn idle(&mut self) {}
    /// True when what the sink is given goes to another session of the same task (the
    /// proxy's other leg): a long batch then pauses every [`FLUSH_EVERY`] messages so that
    /// session can send them on, as an echo's replies go out within its batch.
    fn hands_over(&self) -> bool {
        false
    }
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

enum Flow {
    Continue,
    End(Ending),
}

/// What the session does with its reading while a write waits for the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhileWriting {
    /// Keep reading: when both ends have written more than the socket buffers hold and the
    /// peer too waits for its writes before reading again (as an echo server does), an end
    /// that stopped reading would wait forever.
    KeepReading,
    /// Stop reading: an echoing session slows down a peer that sends faster than it reads
    /// its echoes, through TCP, instead of buffering their echoes.
    StopReading,
}

/// What a frame read while a write waited left for the loop: reading stops until it is
/// handled, since it ends the session or needs writes of its own.
enum Stashed {
    Close(Option<CloseFrame>),
    Error(WsError),
    End,
}

/// How one incoming frame was taken.
enum Received {
    /// Counted and reported; any answer it needs is in `answers`.
    Taken,
    /// It ends the session (a Close, an error, the end of the stream).
    Final(Stashed),
}

struct Session<'a, S, K> {
    ws: WebSocketStream<S>,
    options: &'a SessionOptions,
    sink: &'a mut K,
    while_writing: WhileWriting,
    received: u64,
    /// Set once wsx has sent its Close: the code and reason sent, and when to give up waiting.
    closing: Option<(u16, String, Instant)>,
    awaiting_pong: bool,
    unflushed: bool,
    /// Echoes and the sink's answers to what was received, fed before the next frame is read.
    answers: VecDeque<Payload>,
    /// `-n` was just reached: the Close goes after the answers.
    count_reached: bool,
    stash: Option<Stashed>,
    /// Set by [`Command::CloseWhenQuiet`]: how long the peer must be quiet, and until when.
    linger: Option<(Duration, Instant)>,
    /// A data message was sent and none has arrived since.
    unanswered: bool,
    /// The last ping the outbox asked for, and when it went out: its pong is timed.
    asked_ping: Option<(Bytes, Instant)>,
    /// The last read found nothing: the next one waits for the socket first (`poll_frame`).
    read_idle: bool,
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
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
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
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
    K: EventSink,
{
    let mut session = Session {
        ws,
        options,
        sink,
        while_writing: if options.echo {
            WhileWriting::StopReading
        } else {
            WhileWriting::KeepReading
        },
        received: 0,
        closing: None,
        awaiting_pong: false,
        unflushed: false,
        answers: VecDeque::new(),
        count_reached: false,
        stash: None,
        linger: None,
        unanswered: false,
        asked_ping: None,
        read_idle: false,
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
            incoming = poll_fn(|cx| io::poll_frame(&mut session.ws, &mut session.read_idle, cx)), if !sink_blocked && session.stash.is_none() => session.incoming_batch(incoming).await,
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
            _ = sleep_until(close_deadline) => session.close_timed_out(),
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
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
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
                if self.sink.hands_over() {
                    io::give_turn().await;
                }
            }
            match poll_fn(|cx| io::poll_frame(&mut self.ws, &mut self.read_idle, cx)).now_or_never()
            {
                Some(next) => item = next,
                None => break,
            }
        }
        Flow::Continue
    }

    async fn command_batch(&mut self, first: Command, outbox: &mut Outbox) -> Flow {
        let mut command = first;
        let mut turns_left = outbox.gather_turns;
        // Counted in messages, bursts included: what is fed before the flush stays bounded
        // (a connection's write buffer keeps the largest size it reached).
        let mut handled = 0;
        loop {
            handled += command.messages();
            if let Flow::End(ending) = self.command(command).await {
                return Flow::End(ending);
            }
            if self.closing.is_some() || handled >= BATCH {
                break;
            }
            command = match outbox.data.try_recv() {
                Some(next) => next,
                // A gathering outbox (see `Outbox::gather`): while turns bring more, the
                // next may too.
                None if turns_left > 0 => {
                    turns_left -= 1;
                    tokio::task::yield_now().await;
                    match outbox.data.try_recv() {
                        Some(next) => next,
                        None => break,
                    }
                }
                None => break,
            };
        }
        Flow::Continue
    }

    /// One item read by the loop: taken like any frame, then its answers sent, or the end
    /// of the session handled.
    async fn incoming(&mut self, item: Option<Result<Message, WsError>>) -> Flow {
        match self.receive(item) {
            Received::Taken => self.settle_answers().await,
            Received::Final(last) => self.finish(last).await,
        }
    }

    /// The one receive path, for the loop and for reading while a write waits alike: it
    /// never waits. Data is counted, reported and answered (echo, the sink's answer) into
    /// `answers`; control frames are reported (tungstenite queues the Pong itself, and the
    /// next flush sends it); what ends the session is handed back.
    fn receive(&mut self, item: Option<Result<Message, WsError>>) -> Received {
        let payload = match item {
            Some(Ok(Message::Text(text))) => Payload::Text(text),
            Some(Ok(Message::Binary(data))) => Payload::Binary(data),
            Some(Ok(Message::Ping(data))) => {
                self.unflushed = true;
                self.sink.event(Event::Ping(data));
                return Received::Taken;
            }
            Some(Ok(Message::Pong(data))) => {
                self.awaiting_pong = false;
                let event = match self.asked_ping.take() {
                    Some((sent, at)) if sent == data => Event::PingAnswered {
                        data,
                        rtt: at.elapsed(),
                    },
                    other => {
                        self.asked_ping = other;
                        Event::Pong(data)
                    }
                };
                self.sink.event(event);
                return Received::Taken;
            }
            Some(Ok(Message::Frame(_))) => return Received::Taken,
            Some(Ok(Message::Close(frame))) => return Received::Final(Stashed::Close(frame)),
            Some(Err(error)) => return Received::Final(Stashed::Error(error)),
            None => return Received::Final(Stashed::End),
        };
        // Past `-n`: the close is under way; what still arrives is not counted or shown.
        if self.past_count() {
            return Received::Taken;
        }
        if self.options.echo && self.closing.is_none() {
            // Fed before the next frame is read, so it goes out ahead of any Close reply.
            self.answers.push_back(payload.clone());
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
            self.answers.push_back(answer);
        }
        if self.past_count() {
            self.count_reached = true;
        }
        Received::Taken
    }

    fn past_count(&self) -> bool {
        self.options
            .count
            .is_some_and(|count| self.received >= count)
    }

    /// Sends the answers left by received messages, and the Close once `-n` is reached.
    async fn settle_answers(&mut self) -> Flow {
        // Feeding may read, and so leave more answers.
        while let Some(answer) = self.answers.pop_front() {
            if self.closing.is_none() && self.feed_payload(answer).await {
                self.unflushed = true;
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
            Some(last) => self.finish(last).await,
            None => Flow::Continue,
        }
    }

    async fn command(&mut self, command: Command) -> Flow {
        if self.closing.is_none() {
            self.sink.sent(&command);
        }
        let message = match command {
            Command::Send(payload) => {
                if self.closing.is_none() && self.feed_payload(payload).await {
                    self.unflushed = true;
                    self.unanswered = true;
                }
                return Flow::Continue;
            }
            Command::SendAll(burst) => {
                for payload in &burst.payloads {
                    if self.closing.is_some() || !self.feed_payload(payload.clone()).await {
                        break;
                    }
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
            Command::Ping(data) => {
                self.asked_ping = Some((data.clone(), Instant::now()));
                Message::Ping(data)
            }
            Command::Pong(data) => Message::Pong(data),
            Command::Close { code, reason } => {
                if self.closing.is_some() {
                    return Flow::Continue;
                }
                // Queued like any message and flushed by the loop, which keeps reading meanwhile.
                let sent = self
                    .feed(Message::Close(close_frame(code, &reason)))
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
        if self.closing.is_none()
            && self
                .feed(Message::Ping(Bytes::from_static(b"wsx")))
                .await
                .is_ok()
        {
            self.unflushed = true;
        }
        Flow::Continue
    }
}
