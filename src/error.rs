//! Typed errors for everything that ends a run, and the exit code each one maps to.

use std::process::ExitCode;

/// A failure that ends `wsx`. Its `Display` is the one line the user sees after `wsx: `.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line parsed but does not make sense (bad header, bad URL, …): exit 2.
    #[error("{0}")]
    Usage(String),

    /// A usage error that is a report of several lines (a test file's parse error, with its
    /// line and a caret): printed as it is, exit 2.
    #[error("{0}")]
    Report(String),

    /// The host name did not resolve.
    #[error("could not resolve {host}: {reason}")]
    Resolve { host: String, reason: String },

    /// TCP connect failed (refused, unreachable, …).
    #[error("could not connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },

    /// `--connect-timeout` (or `--handshake-timeout`) ran out.
    #[error("{what} timed out after {secs}s")]
    Timeout { what: String, secs: f64 },

    /// The TLS handshake failed; the text names the cause and a remedy.
    #[error("{0}")]
    Tls(String),

    /// The server answered the upgrade with something other than 101.
    #[error("server answered {status} instead of 101 Switching Protocols{body}")]
    HandshakeStatus {
        status: String,
        body: String,
        /// The answer as it came, for `proxy` to pass on: code, content type, body.
        answer: Box<(u16, Option<String>, Vec<u8>)>,
    },

    /// The opening handshake failed for another reason (bad accept key, wrong subprotocol, …).
    #[error("handshake with {url} failed: {reason}")]
    Handshake { url: String, reason: String },

    /// The peer closed with a code that is not a normal ending.
    #[error("{0}")]
    PeerClosed(String),

    /// The connection dropped without a Close frame (1006), or failed on a protocol error.
    #[error("{0}")]
    ConnectionLost(String),

    /// A local I/O failure (binding a port, reading stdin, …).
    #[error("{context}: {}", io_reason(source))]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Report(_) => ExitCode::from(2),
            _ => ExitCode::from(1),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// An I/O error as a short phrase: "connection refused", without "(os error 111)". Only the
/// first letter is lowered, so names inside (`UnknownIssuer`) stay readable.
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    lower_first(text)
}

/// Library messages start with a capital ("Received an unmasked frame…"); wsx's lines read on
/// from a prefix, so only the first letter is lowered and names inside stay as they are.
pub fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A protocol violation as people read it: what happened, and the flag that sets the limit
/// when a limit was hit.
pub fn describe_violation(violation: &crate::protocol::Violation) -> String {
    use crate::protocol::{Limit, Violation};
    match violation {
        Violation::TooLarge { what, .. } => {
            let flag = match what {
                Limit::Message => "--max-message-size",
                Limit::Frame => "--max-frame-size",
            };
            format!("{violation} ({flag})")
        }
        other => other.to_string(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
