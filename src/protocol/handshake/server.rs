//! The server's side: the request head read by wsx (bounded), plain HTTP answers, bodies
//! for publish, and the upgrade handed to tungstenite with what was read past the head.

use std::fmt::Write as _;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{create_response, write_response};
use tokio_tungstenite::tungstenite::http::{self, HeaderValue, Request};
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Limits, format_request_head, format_response_head};

/// A connection that has answered 101 but whose WebSocket state is not built yet: `serve`
/// builds it (read buffer and all) only once the client sends or the server has something
/// to send, so an idle connection costs a few hundred bytes instead of a read buffer.
pub struct Upgraded<S> {
    stream: S,
    /// Bytes that came after the request head.
    leftover: Vec<u8>,
    limits: Limits,
}

impl<S> Upgraded<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Waits until the client sends its first byte; `false` when it closes the TCP
    /// connection first (or it fails).
    pub(crate) async fn client_spoke(&mut self) -> bool {
        if !self.leftover.is_empty() {
            return true;
        }
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte).await {
            Ok(1) => {
                self.leftover.push(byte[0]);
                true
            }
            _ => false,
        }
    }

    /// Builds the WebSocket, handing it the bytes already read.
    pub(crate) async fn into_websocket(self) -> WebSocketStream<S> {
        let config = self.limits.config();
        WebSocketStream::from_partially_read(self.stream, self.leftover, Role::Server, Some(config))
            .await
    }
}

/// Largest request head `serve` reads before answering 431.
const MAX_HEAD: usize = 16 * 1024;

/// An HTTP request read by `serve`, before it decides what to answer.
#[derive(Debug)]
pub struct IncomingRequest {
    request: Request<()>,
    /// Bytes that arrived after the head (a client may send frames right behind it).
    leftover: Vec<u8>,
}

/// Why a request head could not be read.
#[derive(Debug)]
pub enum RequestError {
    /// Not HTTP, or broken HTTP: answer 400.
    Malformed(String),
    /// Head larger than [`MAX_HEAD`]: answer 431.
    TooLarge,
    /// The client went away (or sent nothing) before finishing its head.
    Closed,
}

impl IncomingRequest {
    pub fn method(&self) -> &str {
        self.request.method().as_str()
    }

    pub fn path(&self) -> &str {
        self.request.uri().path()
    }

    pub fn query(&self) -> &str {
        self.request.uri().query().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.headers().get(name)?.to_str().ok()
    }

    /// Every header as (lower-case name, raw value); a repeated header comes once per line.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
    }

    /// Reads the body that follows the head: `Content-Length` bytes (what curl sends), or a
    /// chunked body. `None` when it is longer than `limit`; an error when it is cut short.
    pub async fn read_body<S>(
        &mut self,
        stream: &mut S,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, RequestError>
    where
        S: AsyncRead + Unpin,
    {
        let chunked = self
            .header("transfer-encoding")
            .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
        if chunked {
            return read_chunked(stream, std::mem::take(&mut self.leftover), limit).await;
        }
        let length: usize = match self.header("content-length") {
            None => 0,
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| RequestError::Malformed("bad Content-Length".into()))?,
        };
        if length > limit {
            return Ok(None);
        }
        let mut body = std::mem::take(&mut self.leftover);
        while body.len() < length {
            fill(stream, &mut body).await?;
        }
        // What came after the body is the start of the next request (a client that sends it
        // without waiting for the answer).
        self.leftover = body.split_off(length);
        Ok(Some(body))
    }

    /// HTTP/1.1 keep-alive (RFC 9112 §9.3): the client did not ask to close, and the body
    /// was read to its end. Chunked bodies end the connection: their reader may have read
    /// past them.
    pub fn keeps_alive(&self) -> bool {
        let asks_close = self
            .header("connection")
            .is_some_and(|value| value.to_ascii_lowercase().contains("close"));
        let chunked = self.header("transfer-encoding").is_some();
        self.request.version() == http::Version::HTTP_11 && !asks_close && !chunked
    }

    /// What was read past this request: the start of the next one on the connection.
    pub fn into_leftover(self) -> Vec<u8> {
        self.leftover
    }

    /// The request head as `-v` shows it, credentials masked.
    pub fn head(&self) -> String {
        format_request_head(&self.request)
    }

    /// True when the client asks for a WebSocket (an `Upgrade: websocket` header).
    pub fn wants_websocket(&self) -> bool {
        self.header("upgrade")
            .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
    }

    /// The subprotocols the client offers, in its order.
    pub fn offered_subprotocols(&self) -> Vec<&str> {
        self.request
            .headers()
            .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|protocol| !protocol.is_empty())
            .collect()
    }
}

/// Reads one HTTP request head. The caller bounds the time it may take.
pub async fn read_request<S>(stream: &mut S) -> Result<IncomingRequest, RequestError>
where
    S: AsyncRead + Unpin,
{
    // Read straight into the heap buffer: a stack array here would live in every
    // connection's task for as long as the connection does.
    read_next_request(stream, Vec::with_capacity(1024)).await
}

/// As [`read_request`], for a kept-alive connection: `buffer` holds what was already read
/// past the last request.
pub async fn read_next_request<S>(
    stream: &mut S,
    mut buffer: Vec<u8>,
) -> Result<IncomingRequest, RequestError>
where
    S: AsyncRead + Unpin,
{
    loop {
        if let Some(request) = parse_request(&buffer)? {
            if buffer.len() - request.leftover.len() > MAX_HEAD {
                return Err(RequestError::TooLarge);
            }
            return Ok(request);
        }
        if buffer.len() > MAX_HEAD {
            return Err(RequestError::TooLarge);
        }
        if buffer.capacity() == buffer.len() {
            buffer.reserve(1024);
        }
        let read = stream
            .read_buf(&mut buffer)
            .await
            .map_err(|_| RequestError::Closed)?;
        if read == 0 {
            return Err(RequestError::Closed);
        }
    }
}

/// A `Transfer-Encoding: chunked` body (RFC 9112 §7.1), trailers ignored.
async fn read_chunked<S>(
    stream: &mut S,
    mut buffered: Vec<u8>,
    limit: usize,
) -> Result<Option<Vec<u8>>, RequestError>
where
    S: AsyncRead + Unpin,
{
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        // A size line (httparse reads it), then that many bytes and a CRLF.
        let (size, line_length) = loop {
            match httparse::parse_chunk_size(&buffered[at..]) {
                Ok(httparse::Status::Complete((length, size))) => break (size, length),
                Ok(httparse::Status::Partial) if buffered.len() - at <= 1024 => {
                    fill(stream, &mut buffered).await?;
                }
                _ => return Err(RequestError::Malformed("bad chunk size line".into())),
            }
        };
        let size =
            usize::try_from(size).map_err(|_| RequestError::Malformed("chunk too large".into()))?;
        at += line_length;
        if size == 0 {
            return Ok(Some(body));
        }
        if body.len() + size > limit {
            return Ok(None);
        }
        while buffered.len() < at + size + 2 {
            fill(stream, &mut buffered).await?;
        }
        body.extend_from_slice(&buffered[at..at + size]);
        at += size + 2;
    }
}

async fn fill<S>(stream: &mut S, buffered: &mut Vec<u8>) -> Result<(), RequestError>
where
    S: AsyncRead + Unpin,
{
    let mut chunk = [0u8; 8192];
    let read = stream
        .read(&mut chunk)
        .await
        .map_err(|_| RequestError::Closed)?;
    if read == 0 {
        return Err(RequestError::Closed);
    }
    buffered.extend_from_slice(&chunk[..read]);
    Ok(())
}

/// Parses a complete head from `buffer`; `Ok(None)` means more bytes are needed.
pub fn parse_request(buffer: &[u8]) -> Result<Option<IncomingRequest>, RequestError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(buffer) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooLarge),
        Err(error) => return Err(RequestError::Malformed(error.to_string())),
    };
    let version = match parsed.version {
        Some(0) => http::Version::HTTP_10,
        _ => http::Version::HTTP_11,
    };
    let mut builder = Request::builder()
        .method(parsed.method.unwrap_or("GET"))
        .uri(parsed.path.unwrap_or("/"))
        .version(version);
    for header in parsed.headers.iter() {
        builder = builder.header(header.name, header.value);
    }
    let request = builder
        .body(())
        .map_err(|error| RequestError::Malformed(error.to_string()))?;
    Ok(Some(IncomingRequest {
        request,
        leftover: buffer[head_len..].to_vec(),
    }))
}

/// Writes a complete plain HTTP response and shuts the write side.
pub async fn respond<S>(
    stream: &mut S,
    status: u16,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    write_plain_response(stream, status, extra_headers, content_type, body, false).await?;
    stream.shutdown().await
}

/// As [`respond`], leaving the connection open for the client's next request.
pub async fn respond_and_keep_alive<S>(
    stream: &mut S,
    status: u16,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    write_plain_response(stream, status, extra_headers, content_type, body, true).await
}

async fn write_plain_response<S>(
    stream: &mut S,
    status: u16,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("");
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n",
        body.len()
    );
    for (name, value) in extra_headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    // One write: a WebSocket client that stops reading after the head (tungstenite does)
    // still has the body, the reason for a refusal, in what it read.
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    stream.write_all(&response).await?;
    stream.flush().await
}

/// Why an upgrade was refused; `serve` answers with the status.
#[derive(Debug)]
pub struct UpgradeRefused {
    pub status: u16,
    pub reason: String,
}

/// Completes the handshake for a request that asked for a WebSocket: checks it as RFC 6455
/// §4.2.1 requires, answers 101 (with the chosen subprotocol), and hands back the connection
/// with the response head as `-v` shows it.
pub async fn upgrade<S>(
    mut stream: S,
    request: IncomingRequest,
    subprotocol: Option<&str>,
    limits: Limits,
) -> Result<(Upgraded<S>, String), (S, UpgradeRefused)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // RFC 6455 §4.2.1: the opening handshake must name the host.
    if request.header("host").is_none() {
        return Err((
            stream,
            UpgradeRefused {
                status: 400,
                reason: "the request has no Host header".into(),
            },
        ));
    }
    if request.header("sec-websocket-version") != Some("13") {
        return Err((
            stream,
            UpgradeRefused {
                status: 426,
                reason: "only WebSocket version 13 is supported".into(),
            },
        ));
    }
    let mut response = match create_response(&request.request) {
        Ok(response) => response,
        Err(error) => {
            return Err((
                stream,
                UpgradeRefused {
                    status: 400,
                    reason: error.to_string(),
                },
            ));
        }
    };
    if let Some(protocol) = subprotocol
        && let Ok(value) = HeaderValue::from_str(protocol)
    {
        response
            .headers_mut()
            .insert(http::header::SEC_WEBSOCKET_PROTOCOL, value);
    }
    let mut head = Vec::with_capacity(256);
    if write_response(&mut head, &response).is_err() || stream.write_all(&head).await.is_err() {
        return Err((
            stream,
            UpgradeRefused {
                status: 500,
                reason: "could not write the handshake response".into(),
            },
        ));
    }
    let upgraded = Upgraded {
        stream,
        leftover: request.leftover,
        limits,
    };
    Ok((upgraded, format_response_head(&response)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head_and_keeps_what_follows() {
        let raw = b"GET /chat?room=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: a, b\r\n\r\n\x81\x00";
        let request = parse_request(raw).unwrap().unwrap();
        assert_eq!(request.path(), "/chat");
        assert_eq!(request.query(), "room=1");
        assert!(request.wants_websocket());
        assert_eq!(request.offered_subprotocols(), vec!["a", "b"]);
        assert_eq!(request.leftover, b"\x81\x00");
    }

    #[test]
    fn partial_and_garbage_heads() {
        assert!(matches!(parse_request(b"GET / HTTP/1.1\r\nHo"), Ok(None)));
        assert!(matches!(
            parse_request(b"\x16\x03\x01garbage\r\n\r\n"),
            Err(RequestError::Malformed(_))
        ));
    }
}
