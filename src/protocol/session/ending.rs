//! How a session ends: the peer's Close, a Close of ours that times out, a violation that
//! wsx answers with a close code, or the connection simply gone (1006).

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::{EventSink, Flow, Session, Stashed};
use crate::protocol::ReadReady;
use crate::protocol::message::{
    Event, Limit, Side, Violation, close_frame, from_close_frame, sent_code,
};

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
            Ending::Peer { code, .. } => crate::protocol::message::is_normal_close(*code),
            Ending::Lost(_) | Ending::Failed(_) => false,
        }
    }
}

impl<S, K> Session<'_, S, K>
where
    S: AsyncRead + AsyncWrite + ReadReady + Unpin,
    K: EventSink,
{
    /// A Close, an error or the end of the stream: how the session ends.
    pub(super) async fn finish(&mut self, last: Stashed) -> Flow {
        match last {
            Stashed::Close(frame) => self.peer_closed(frame.as_ref()).await,
            Stashed::Error(error) => self.failure(error).await,
            Stashed::End => self.connection_gone("connection closed".into()),
        }
    }

    async fn peer_closed(&mut self, frame: Option<&CloseFrame>) -> Flow {
        let (code, reason) = from_close_frame(frame);
        let ending = match self.closing.take() {
            // The peer's Close crossed ours, with an error code of its own (it had refused
            // what we sent, say): its reason is the one that matters.
            Some((sent, _, _))
                if code != Some(sent) && !crate::protocol::message::is_normal_close(code) =>
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
                    code: sent_code(code),
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

    pub(super) fn close_timed_out(&mut self) -> Flow {
        self.sink
            .event(Event::CloseUnanswered(self.options.close_timeout));
        let (code, reason) = self
            .closing
            .take()
            .map(|(code, reason, _)| (code, reason))
            .unzip();
        self.sink.event(Event::Close {
            code: code.and_then(sent_code),
            reason: reason.unwrap_or_default(),
            by: Side::Local,
        });
        Flow::End(Ending::Local { unanswered: false })
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
        let reason = crate::protocol::message::close_code_name(code);
        let _ = tokio::time::timeout(
            self.options.close_timeout,
            self.ws.close(close_frame(code, reason)),
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
                code: sent_code(code),
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
