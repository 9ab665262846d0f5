//! The engine boundary. Only this module speaks tungstenite; `connect` and `serve` use the
//! wsx types re-exported here: messages and close codes, the opening handshake for both ends,
//! and the session loop.

pub mod handshake;
pub mod message;
pub mod session;

use std::task::{Context, Poll};

pub use handshake::{Limits, Upgraded};
pub use message::{Event, Limit, Payload, Side, Violation};
pub use session::{Command, Ending, EventSink, OutboxSender, SessionOptions};

/// tungstenite's default frame limit; the Autobahn 9.x cases need it (16 MiB frames).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;

/// An open WebSocket over `S`, as the session loop takes it.
pub type WebSocket<S> = tokio_tungstenite::WebSocketStream<S>;

/// Any byte stream a WebSocket can run over: TCP, TLS, a proxy tunnel. `Any`, so that a
/// server can take a plain socket back out of its box and hand it to another runtime.
pub trait Transport:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + ReadReady + Unpin + Send + std::any::Any
{
}
impl<T> Transport for T where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + ReadReady + Unpin + Send + std::any::Any
{
}

/// A transport whose concrete type is chosen at run time (plain or TLS, direct or proxied).
pub type BoxedTransport = Box<dyn Transport>;

/// Asks whether a read may find data, without reading. tungstenite zeroes up to its whole
/// read buffer before every read attempt, found data or not; a session whose last read came
/// back empty asks this first, so a connection woken to send (a broadcast, a publish) does
/// not pay a 16 KiB memset each time.
pub trait ReadReady {
    /// Ready once a read may find data (or fail). The default cannot tell: always ready.
    fn poll_read_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

impl ReadReady for tokio::net::TcpStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        // An error is left for the read to report.
        tokio::net::TcpStream::poll_read_ready(self, cx).map(|_| ())
    }
}

impl ReadReady for tokio::net::UnixStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        tokio::net::UnixStream::poll_read_ready(self, cx).map(|_| ())
    }
}

impl ReadReady for BoxedTransport {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        (**self).poll_read_ready(cx)
    }
}

// TLS may hold decrypted bytes that the socket's readiness knows nothing of.
impl<S> ReadReady for tokio_rustls::client::TlsStream<S> {}
impl<S> ReadReady for tokio_rustls::server::TlsStream<S> {}
// The session tests run over an in-memory pipe.
#[cfg(test)]
impl ReadReady for tokio::io::DuplexStream {}
