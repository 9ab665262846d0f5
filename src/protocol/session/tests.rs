//! The session loop driven over an in-memory duplex pipe, with a tungstenite peer on the other
//! end: close ordering, batching, pings, `-n` and the EOF linger, without sockets or timing
//! luck.

use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::*;
use crate::protocol::{DEFAULT_MAX_FRAME_SIZE, Limit, Violation};

/// Records every event.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
}

impl EventSink for Recorder {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
}

impl Recorder {
    fn messages(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Message(payload) => {
                    Some(String::from_utf8_lossy(payload.as_bytes()).into_owned())
                }
                _ => None,
            })
            .collect()
    }
}

fn options() -> SessionOptions {
    SessionOptions {
        echo: false,
        count: None,
        ping_interval: None,
        close_timeout: Duration::from_secs(2),
        limits: Limits::new(64 << 20, DEFAULT_MAX_FRAME_SIZE),
    }
}

/// A session end (as `role`) and its peer, connected by a pipe smaller than what the tests
/// send, so writes do wait on the other side.
async fn pair(role: Role) -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
    pair_with(role, options().limits).await
}

async fn pair_with(
    role: Role,
    limits: Limits,
) -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (ours, theirs) = tokio::io::duplex(4096);
    let peer_role = match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let ours = WebSocketStream::from_raw_socket(ours, role, Some(limits.config())).await;
    let theirs = WebSocketStream::from_raw_socket(theirs, peer_role, None).await;
    (ours, theirs)
}

fn text(message: &str) -> Message {
    Message::Text(Utf8Bytes::from(message.to_string()))
}

/// Reads the peer's side until the session's Close, answering it; returns the texts seen.
async fn read_until_close(peer: &mut WebSocketStream<DuplexStream>) -> (Vec<String>, Option<u16>) {
    let mut texts = Vec::new();
    while let Some(Ok(message)) = peer.next().await {
        match message {
            Message::Text(text) => texts.push(text.to_string()),
            Message::Close(frame) => {
                let code = frame.map(|frame| u16::from(frame.code));
                // tungstenite answers the Close itself on the next write or flush.
                let _ = peer.flush().await;
                return (texts, code);
            }
            _ => {}
        }
    }
    (texts, None)
}

#[tokio::test]
async fn an_echo_goes_out_before_the_answer_to_a_close_behind_it() {
    let (ours, mut peer) = pair(Role::Server).await;
    let options = SessionOptions {
        echo: true,
        ..options()
    };
    let (_sender, mut outbox) = outbox(16, 1 << 20);
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        let ending = run(ours, &options, &mut outbox, Vec::new(), &mut sink).await;
        (ending, sink)
    });
    // Both messages and the Close in one write, as a client at EOF sends them.
    peer.feed(text("one")).await.unwrap();
    peer.feed(text("two")).await.unwrap();
    peer.feed(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    })))
    .await
    .unwrap();
    peer.flush().await.unwrap();
    let mut echoed = Vec::new();
    while let Some(Ok(message)) = peer.next().await {
        match message {
            Message::Text(text) => echoed.push(text.to_string()),
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert_eq!(echoed, ["one", "two"]);
    drop(peer);
    let (ending, sink) = session.await.unwrap();
    assert_eq!(
        ending,
        Ending::Peer {
            code: Some(1000),
            reason: String::new()
        }
    );
    assert_eq!(sink.messages(), ["one", "two"]);
}

#[tokio::test]
async fn a_burst_larger_than_the_pipe_is_echoed_whole_and_in_order() {
    let (ours, peer) = pair(Role::Server).await;
    let options = SessionOptions {
        echo: true,
        ..options()
    };
    let (_sender, mut outbox) = outbox(16, 1 << 20);
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        run(ours, &options, &mut outbox, Vec::new(), &mut sink).await
    });
    let (mut write, mut read) = peer.split();
    let count = 2000;
    let writer = tokio::spawn(async move {
        for index in 0..count {
            write.feed(text(&format!("message {index}"))).await.unwrap();
        }
        write.flush().await.unwrap();
        write
    });
    for index in 0..count {
        let message = read.next().await.unwrap().unwrap();
        assert_eq!(message, text(&format!("message {index}")));
    }
    let mut write = writer.await.unwrap();
    write.send(Message::Close(None)).await.unwrap();
    assert!(matches!(read.next().await, Some(Ok(Message::Close(_)))));
    drop((write, read));
    assert!(matches!(session.await.unwrap(), Ending::Peer { .. }));
}

#[tokio::test]
async fn count_closes_after_n_messages_and_ignores_the_rest() {
    let (ours, mut peer) = pair(Role::Client).await;
    let options = SessionOptions {
        count: Some(2),
        ..options()
    };
    let (_sender, mut outbox) = outbox(16, 1 << 20);
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        let ending = run(ours, &options, &mut outbox, Vec::new(), &mut sink).await;
        (ending, sink)
    });
    for message in ["a", "b", "c"] {
        peer.feed(text(message)).await.unwrap();
    }
    peer.flush().await.unwrap();
    let (_, code) = read_until_close(&mut peer).await;
    assert_eq!(code, Some(1000));
    drop(peer);
    let (ending, sink) = session.await.unwrap();
    assert_eq!(ending, Ending::Local { unanswered: false });
    assert_eq!(sink.messages(), ["a", "b"]);
}

#[tokio::test]
async fn close_when_quiet_waits_for_a_talking_peer() {
    let (ours, mut peer) = pair(Role::Client).await;
    let options = options();
    let (sender, mut outbox) = outbox(16, 1 << 20);
    sender
        .send(Command::Send(Payload::text("go")))
        .await
        .unwrap();
    sender
        .send(Command::CloseWhenQuiet(Duration::from_millis(400)))
        .await
        .unwrap();
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        let ending = run(ours, &options, &mut outbox, Vec::new(), &mut sink).await;
        (ending, sink)
    });
    assert_eq!(peer.next().await.unwrap().unwrap(), text("go"));
    // Replies 50 ms apart, each well within the quiet time of the one before.
    for index in 0..5 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        peer.send(text(&format!("reply {index}"))).await.unwrap();
    }
    let (_, code) = read_until_close(&mut peer).await;
    assert_eq!(code, Some(1000));
    drop(peer);
    let (ending, sink) = session.await.unwrap();
    assert_eq!(ending, Ending::Local { unanswered: false });
    assert_eq!(sink.messages().len(), 5);
}

#[tokio::test]
async fn a_close_that_crosses_an_unanswered_message_is_reported() {
    let (ours, mut peer) = pair(Role::Client).await;
    let options = options();
    let (sender, mut outbox) = outbox(16, 1 << 20);
    sender
        .send(Command::Send(Payload::text("hello?")))
        .await
        .unwrap();
    sender
        .send(Command::CloseWhenQuiet(Duration::ZERO))
        .await
        .unwrap();
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        run(ours, &options, &mut outbox, Vec::new(), &mut sink).await
    });
    let (texts, code) = read_until_close(&mut peer).await;
    assert_eq!((texts, code), (vec!["hello?".to_string()], Some(1000)));
    drop(peer);
    assert_eq!(session.await.unwrap(), Ending::Local { unanswered: true });
}

#[tokio::test]
async fn a_missing_pong_is_reported_and_a_silent_peer_times_out_the_close() {
    let (ours, peer) = pair(Role::Client).await;
    let options = SessionOptions {
        ping_interval: Some(Duration::from_millis(30)),
        close_timeout: Duration::from_millis(100),
        ..options()
    };
    let (sender, mut outbox) = outbox(16, 1 << 20);
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        let ending = run(ours, &options, &mut outbox, Vec::new(), &mut sink).await;
        (ending, sink)
    });
    // The peer never reads, so it never answers a ping, nor the Close.
    tokio::time::sleep(Duration::from_millis(120)).await;
    sender.control(Command::normal_close()).unwrap();
    let (ending, sink) = session.await.unwrap();
    drop(peer);
    assert_eq!(ending, Ending::Local { unanswered: false });
    assert!(
        sink.events
            .iter()
            .any(|event| matches!(event, Event::MissedPong(_))),
        "{:?}",
        sink.events
    );
    assert!(
        sink.events
            .iter()
            .any(|event| matches!(event, Event::CloseUnanswered(_)))
    );
}

#[tokio::test]
async fn a_message_over_the_limit_fails_the_connection_with_1009() {
    let options = SessionOptions {
        limits: Limits::new(100, 10),
        ..options()
    };
    let (ours, mut peer) = pair_with(Role::Server, options.limits).await;
    let (_sender, mut outbox) = outbox(16, 1 << 20);
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        run(ours, &options, &mut outbox, Vec::new(), &mut sink).await
    });
    peer.send(text("more than ten bytes")).await.unwrap();
    let (_, code) = read_until_close(&mut peer).await;
    assert_eq!(code, Some(1009));
    drop(peer);
    match session.await.unwrap() {
        Ending::Failed(Violation::TooLarge { what, size, max }) => {
            assert_eq!((what, size, max), (Limit::Frame, 19, 10));
        }
        other => panic!("{other:?}"),
    }
}

/// A duplex end that counts the writes made on it.
struct CountingWrites {
    inner: DuplexStream,
    writes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl ReadReady for CountingWrites {}

impl tokio::io::AsyncRead for CountingWrites {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CountingWrites {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn messages_queued_one_per_turn_go_out_in_one_write() {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let writes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ours = CountingWrites {
        inner: ours,
        writes: writes.clone(),
    };
    let ours = WebSocketStream::from_raw_socket(ours, Role::Server, None).await;
    let mut peer = WebSocketStream::from_raw_socket(theirs, Role::Client, None).await;
    let (sender, mut outbox) = outbox(16, 1 << 20);
    outbox.gather();
    let session = tokio::spawn(async move {
        let mut sink = Recorder::default();
        run(ours, &options(), &mut outbox, Vec::new(), &mut sink).await
    });
    // As HTTP publishes arrive: one message per turn of the runtime.
    for index in 0..3 {
        let message = Command::Send(Payload::Text(format!("publish {index}").into()));
        sender.try_send(message).unwrap();
        tokio::task::yield_now().await;
    }
    for index in 0..3 {
        let message = peer.next().await.unwrap().unwrap();
        assert_eq!(message, text(&format!("publish {index}")));
    }
    assert_eq!(writes.load(std::sync::atomic::Ordering::Relaxed), 1);
    // A session whose reads went idle still hears its peer.
    peer.send(Message::Close(None)).await.unwrap();
    assert!(matches!(peer.next().await, Some(Ok(Message::Close(_)))));
    assert!(matches!(session.await.unwrap(), Ending::Peer { .. }));
}
