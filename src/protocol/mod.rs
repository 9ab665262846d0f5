//! The engine boundary. Only this module speaks tungstenite; `connect` and `serve` use the
//! wsx types re-exported here: messages and close codes, the opening handshake for both ends,
//! and the session loop.

pub mod handshake;
pub mod message;
pub mod session;

pub use handshake::{Limits, Upgraded};
pub use message::{Event, Limit, Payload, Side, Violation};
pub use session::{Command, Ending, EventSink, OutboxSender, SessionOptions};

/// tungstenite's default frame limit; the Autobahn 9.x cases need it (16 MiB frames).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;

/// An open WebSocket over `S`, as the session loop takes it.
pub type WebSocket<S> = tokio_tungstenite::WebSocketStream<S>;

/// Any byte stream a WebSocket can run over: TCP, TLS, a proxy tunnel.
pub trait Transport: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Transport for T {}

/// A transport whose concrete type is chosen at run time (plain or TLS, direct or proxied).
pub type BoxedTransport = Box<dyn Transport>;
