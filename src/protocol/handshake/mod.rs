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

/// The most [`Limits::reading_echoes`] reads at once (the raw TCP echo's buffer in
/// `bench/compare.sh`): tungstenite allocates the read buffer up front, so `bench -c 64` with
/// large messages still holds only 16 MiB of them.
const LARGEST_READ_BUFFER: usize = 256 * 1024;

/// The least it reads at once: still a few frames whatever the peer sends besides.
const SMALLEST_READ_BUFFER: usize = 4 * 1024;

/// The longest frame header (RFC 6455 §5.2): 2 bytes, 8 of extended length, 4 of mask
/// (tungstenite's own constant is private).
const LONGEST_FRAME_HEADER: usize = 14;

impl Limits {
    pub fn new(max_message_size: usize, max_frame_size: usize) -> Limits {
        Limits {
            max_message_size,
            max_frame_size,
            read_buffer: READ_BUFFER,
        }
    }

    /// Sizes reads for `bench`, which knows its traffic: `window` echoes of `size` bytes.
    /// A large echo is read in one call (the default took 4 for 64 KiB), and small ones get
    /// no more buffer than can be in flight, since tungstenite zeroes all of it before every
    /// read.
    pub fn reading_echoes(self, size: usize, window: usize) -> Limits {
        let frame = size.saturating_add(LONGEST_FRAME_HEADER);
        let read_buffer = frame
            .saturating_mul(window)
            .min(frame.max(READ_BUFFER))
            .clamp(SMALLEST_READ_BUFFER, LARGEST_READ_BUFFER);
        Limits {
            read_buffer,
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

    #[test]
    fn bench_reads_what_can_be_in_flight_and_large_echoes_whole() {
        let read = |size, window| {
            Limits::new(64 << 20, 16 << 20)
                .reading_echoes(size, window)
                .read_buffer
        };
        // 16 echoes of 32 bytes are 736 bytes at most: the smallest buffer.
        assert_eq!(read(32, 16), SMALLEST_READ_BUFFER);
        // Many echoes of 4 KiB: the default, as for any end.
        assert_eq!(read(4096, 64), READ_BUFFER);
        // A 64 KiB echo and its header in one read, however many are in flight.
        assert_eq!(read(65536, 8), 65536 + 14);
        assert_eq!(read(1 << 20, 4), LARGEST_READ_BUFFER);
        assert_eq!(Limits::new(1, 1).read_buffer, READ_BUFFER);
    }
}
