//! The session's I/O: feeding frames (fragmenting large messages), flushing, the close's
//! last steps, and reading a frame without paying for a read that finds nothing. A write
//! that waits for the socket may keep reading meanwhile, as the session's [`WhileWriting`]
//! policy says.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::{Sink, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{EventSink, Received, Session, WhileWriting};
use crate::protocol::ReadReady;
use crate::protocol::message::{FRAGMENT_SIZE, Payload};

/// After the close handshake, how long a client waits for the server to close TCP.
const TCP_CLOSE_WAIT: Duration = Duration::from_secs(1);

impl<S, K> Session<'_, S, K>
where
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
    K: EventSink,
{
    /// Feeds a data message: one frame, or fragments for one larger than a receiver's
    /// usual frame limit (RFC 6455 §5.4). False when the transport is gone.
    pub(super) async fn feed_payload(&mut self, payload: Payload) -> bool {
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
    pub(super) async fn feed(&mut self, message: Message) -> Result<(), WsError> {
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

    pub(super) async fn flush(&mut self) {
        if std::mem::take(&mut self.unflushed) {
            // A failed flush means the peer is gone; the next read reports it.
            let _ = self.write(|ws, cx| ws.poll_flush(cx)).await;
        }
    }

    /// Drives a write to completion, reading meanwhile under [`WhileWriting::KeepReading`]
    /// until something ends the session (then kept in `stash`) or the sink is blocked.
    async fn write<T>(
        &mut self,
        mut step: impl FnMut(Pin<&mut WebSocketStream<S>>, &mut Context<'_>) -> Poll<T>,
    ) -> T {
        poll_fn(|cx| {
            if let Poll::Ready(done) = step(Pin::new(&mut self.ws), cx) {
                return Poll::Ready(done);
            }
            while self.while_writing == WhileWriting::KeepReading
                && self.stash.is_none()
                && !self.sink.blocked()
            {
                match poll_frame(&mut self.ws, &mut self.read_idle, cx) {
                    Poll::Ready(item) => {
                        if let Received::Final(last) = self.receive(item) {
                            self.stash = Some(last);
                        }
                    }
                    Poll::Pending => break,
                }
            }
            Poll::Pending
        })
        .await
    }

    /// After a Close went both ways: let tungstenite send its reply and see the TCP end.
    pub(super) async fn finish_close(&mut self) {
        let _ = tokio::time::timeout(self.options.close_timeout, self.ws.flush()).await;
        // Both Close frames have gone by; the server closes TCP first (RFC 6455 §7.1.1), and a
        // client that waits for it longer than a moment gains nothing.
        let _ = tokio::time::timeout(TCP_CLOSE_WAIT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}

/// The next frame. Once a read found nothing, the next waits until the transport says data
/// may be there: tungstenite zeroes its read buffer before every read (see [`ReadReady`]).
/// A frame read whole leaves the flag clear, since more may be buffered behind it.
pub(super) fn poll_frame<S>(
    ws: &mut WebSocketStream<S>,
    read_idle: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, WsError>>>
where
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
{
    if *read_idle {
        ready!(ws.get_ref().poll_read_ready(cx));
    }
    let polled = ws.poll_next_unpin(cx);
    *read_idle = polled.is_pending();
    polled
}

/// Lets the other futures of this task run, then goes on: woken at once, without the trip
/// through the I/O driver that `tokio::task::yield_now` makes.
pub(super) async fn give_turn() {
    let mut given = false;
    poll_fn(|cx| {
        if given {
            return Poll::Ready(());
        }
        given = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}
