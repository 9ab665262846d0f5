//! The opening handshake (RFC 6455 §4), both ends: `client.rs` builds the upgrade request,
//! lets tungstenite run it and types its failures; `server.rs` reads the request head itself,
//! so that `serve` can answer plain HTTP (the page, 400, 403, 426, 503, a publish) before
//! deciding to upgrade, then hands the socket and any bytes read past the head to tungstenite.
//! Here: the limits both ends set up, and the heads as `-v` shows them.

mod client;
mod server;

use std::fmt::Write as _;

use tokio_tungstenite::tungstenite::http::{self, Request};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub use client::{
    ClientConnection, ClientHandshakeError, ClientRequest, HandshakeError, client_handshake,
};
pub use http::HeaderMap;
pub use http::header;
pub use server::{
    IncomingRequest, RequestError, UpgradeRefused, Upgraded, parse_request, read_next_request,
    read_request, respond, respond_and_keep_alive, upgrade,
};

/// Limits that tungstenite enforces on incoming data, in wsx's terms, and how much one
/// read takes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_message_size: usize,
    pub max_frame_size: usize,
    read_buffer: usize,
}

/// The read buffer of each active connection. tungstenite allocates it up front, zeroes up
/// to this much before every read and reads at most this much per call: 16 KiB keeps bulk
/// transfers within a few percent of 64 KiB, while a busy connection costs an eighth of the
/// 128 KiB default and small reads stop paying for a 128 KiB memset.
const READ_BUFFER: usize = 16 * 1024;

/// How much output tungstenite gathers before it writes on its own (flushes write too). The
/// buffer keeps the largest size it reached, so 128 KiB by default would stay with every
/// client a broadcast burst once filled; 16 KiB is already several messages per write.
const WRITE_BUFFER: usize = 16 * 1024;

/// The most [`Limits::reading_whole`] reads at once (the raw TCP echo's buffer in
/// `bench/compare.sh`): tungstenite allocates the read buffer up front, so `bench -c 64` with
/// large messages still holds only 16 MiB of them.
const LARGEST_READ_BUFFER: usize = 256 * 1024;

/// The longest frame header (RFC 6455 §5.2): 2 bytes, 8 of extended length, 4 of mask.
const LONGEST_FRAME_HEADER: usize = 14;

impl Limits {
    pub fn new(max_message_size: usize, max_frame_size: usize) -> Limits {
        Limits {
            max_message_size,
            max_frame_size,
            read_buffer: READ_BUFFER,
        }
    }

    /// Reads a message of `size` bytes in one call where it can (up to 256 KiB), for an end
    /// that knows its traffic is that large, as `bench` does: each read fewer is a system
    /// call, a wake-up and a memset saved (a 64 KiB echo took 4 reads with the default).
    /// Ends with small or unknown traffic keep the default, since every read zeroes the
    /// whole read buffer first.
    pub fn reading_whole(self, size: usize) -> Limits {
        Limits {
            read_buffer: (size + LONGEST_FRAME_HEADER).clamp(READ_BUFFER, LARGEST_READ_BUFFER),
            ..self
        }
    }

    pub(crate) fn config(self) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(self.read_buffer)
            .write_buffer_size(WRITE_BUFFER)
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size.min(self.max_message_size)))
    }
}

pub(crate) fn format_request_head<T>(request: &Request<T>) -> String {
    let mut head = format!(
        "{} {} {:?}\n",
        request.method(),
        request.uri().path_and_query().map_or("/", |pq| pq.as_str()),
        request.version()
    );
    write_headers(&mut head, request.headers());
    head
}

pub(crate) fn format_response_head<T>(response: &http::Response<T>) -> String {
    let mut head = format!("{:?} {}\n", response.version(), response.status());
    write_headers(&mut head, response.headers());
    head
}

/// Header lines for `-v`, with credentials masked.
fn write_headers(out: &mut String, headers: &http::HeaderMap) {
    for (name, value) in headers {
        let value = value.to_str().unwrap_or("<binary>");
        let shown =
            if name == http::header::AUTHORIZATION || name == http::header::PROXY_AUTHORIZATION {
                let scheme = value.split(' ').next().unwrap_or("");
                format!("{scheme} ********")
            } else if name == http::header::COOKIE || name == http::header::SET_COOKIE {
                // Session cookies are credentials too.
                "********".to_string()
            } else {
                value.to_string()
            };
        let _ = writeln!(out, "{name}: {shown}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    #[test]
    fn credentials_are_masked() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        );
        let mut out = String::new();
        write_headers(&mut out, &headers);
        assert_eq!(out, "authorization: Basic ********\n");
    }
}
