//! The client's side: the upgrade request from wsx's options, tungstenite's run of it, and
//! its failures as a typed [`HandshakeError`] that the caller words for people.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::{self, HeaderMap, HeaderValue, Request};
use url::Url;

use super::{Limits, format_request_head, format_response_head};

/// What a client asks for.
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// The URL without credentials.
    pub url: Url,
    /// Checked headers added to the upgrade request (Origin, subprotocols, credentials, -H).
    pub headers: HeaderMap,
    /// Offered subprotocols, in order (also in `headers`), for error messages.
    pub subprotocols: Vec<String>,
}

/// An open client connection and what the handshake said.
pub struct ClientConnection<S> {
    pub ws: WebSocketStream<S>,
    /// The URL finally connected to (after any redirects).
    pub url: Url,
    pub subprotocol: Option<String>,
    /// Request and response heads as text, for `-v`.
    pub request_head: String,
    pub response_head: String,
}

/// Why a client handshake failed, in the protocol's terms; the caller words it for people
/// (and adds hints: `-L` for a redirect, credentials for a 401).
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The server answered something other than 101.
    #[error("the server answered {status}")]
    Status {
        code: u16,
        /// `404 Not Found`.
        status: String,
        /// What the body says, for one line: `: <title or first line>`, or empty.
        excerpt: String,
        content_type: Option<String>,
        body: Vec<u8>,
        /// Where a 3xx answer pointed.
        location: Option<String>,
    },
    #[error("the server closed the connection before answering")]
    ClosedEarly,
    #[error(
        "the server's Sec-WebSocket-Accept does not match the key sent: not a conforming \
         WebSocket server, or something in between changed its answer"
    )]
    AcceptMismatch,
    /// RFC 6455 §4.1: like browsers' strict peers (Node ws, tungstenite), a client fails when
    /// none of its subprotocols is chosen, and must fail on one it did not offer.
    #[error("the server accepted none of the offered subprotocols ({0})")]
    NoSubprotocol(String),
    #[error("the server chose a subprotocol that was not offered")]
    UnofferedSubprotocol,
    /// WebSocket needs HTTP/1.1; an HTTP/1.0 answer comes from a plain web server.
    #[error(
        "the server answered in HTTP/1.0, so it cannot upgrade to WebSocket: is it a plain web \
         server?"
    )]
    Http10,
    /// The answer is not HTTP at all (the caller, who saw the bytes, may know why).
    #[error("malformed HTTP response")]
    Unparsable,
    #[error("{0}")]
    Other(String),
}

/// A failed client handshake, with the heads exchanged so far (for `-v`).
#[derive(Debug)]
pub struct ClientHandshakeError {
    pub error: HandshakeError,
    pub request_head: String,
    pub response_head: Option<String>,
}

impl ClientRequest {
    fn to_http(&self) -> Result<Request<()>, HandshakeError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| HandshakeError::Other(error.to_string()))?;
        let headers = request.headers_mut();
        for name in self.headers.keys() {
            headers.remove(name);
        }
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        Ok(request)
    }
}

/// Runs the client side of the opening handshake over an established stream.
pub async fn client_handshake<S>(
    stream: S,
    request: &ClientRequest,
    limits: Limits,
) -> Result<ClientConnection<S>, ClientHandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let fail = |error, request_head: &str, response_head| ClientHandshakeError {
        error,
        request_head: request_head.to_string(),
        response_head,
    };
    let http_request = request.to_http().map_err(|error| fail(error, "", None))?;
    let request_head = format_request_head(&http_request);
    match tokio_tungstenite::client_async_with_config(http_request, stream, Some(limits.config()))
        .await
    {
        Ok((ws, response)) => {
            let subprotocol = response
                .headers()
                .get(http::header::SEC_WEBSOCKET_PROTOCOL)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            Ok(ClientConnection {
                ws,
                url: request.url.clone(),
                subprotocol,
                response_head: format_response_head(&response),
                request_head,
            })
        }
        Err(WsError::Http(response)) => {
            let header = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|value: &HeaderValue| value.to_str().ok())
                    .map(str::to_string)
            };
            let status = response.status();
            let error = HandshakeError::Status {
                code: status.as_u16(),
                status: format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
                .trim_end()
                .to_string(),
                excerpt: response
                    .body()
                    .as_deref()
                    .map(body_excerpt)
                    .unwrap_or_default(),
                content_type: header(http::header::CONTENT_TYPE),
                body: response.body().clone().unwrap_or_default(),
                location: status
                    .is_redirection()
                    .then(|| header(http::header::LOCATION))
                    .flatten(),
            };
            Err(fail(
                error,
                &request_head,
                Some(format_response_head(&response)),
            ))
        }
        Err(error) => {
            let error = match error {
                WsError::Io(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                    HandshakeError::ClosedEarly
                }
                WsError::Protocol(ProtocolError::SecWebSocketAcceptKeyMismatch) => {
                    HandshakeError::AcceptMismatch
                }
                WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(
                    SubProtocolError::NoSubProtocol,
                )) => HandshakeError::NoSubprotocol(request.subprotocols.join(", ")),
                WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(_)) => {
                    HandshakeError::UnofferedSubprotocol
                }
                WsError::Protocol(ProtocolError::WrongHttpVersion) => HandshakeError::Http10,
                WsError::HttpFormat(_) | WsError::Protocol(ProtocolError::HttparseError(_)) => {
                    HandshakeError::Unparsable
                }
                other => HandshakeError::Other(other.to_string()),
            };
            Err(fail(error, &request_head, None))
        }
    }
}

/// How much of a refusal's body the error line shows: enough for a sentence and its remedy
/// (wsx's own 403s name the flag to use).
const BODY_SHOWN: usize = 300;

/// ": <what the body says>" for a failed upgrade, shortened and made printable: an HTML
/// page's `<title>` (or its first text), otherwise the body's first line.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let line = html_summary(&text).unwrap_or_else(|| {
        text.split(['\r', '\n'])
            .find(|line| !line.trim().is_empty())
            .unwrap_or("")
            .to_string()
    });
    let printable: Vec<char> = line.chars().filter(|c| !c.is_control()).collect();
    let mut line: String = printable.iter().take(BODY_SHOWN).collect();
    if printable.len() > BODY_SHOWN {
        line = format!("{}…", line.trim_end());
    }
    if line.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", line.trim())
    }
}

/// The title of an HTML page, or the first text between its tags: `404 Not Found` rather
/// than `<html>`.
fn html_summary(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if !lower.trim_start().starts_with('<') {
        return None;
    }
    if let Some(start) = lower.find("<title>") {
        let rest = &text[start + "<title>".len()..];
        let end = rest
            .to_ascii_lowercase()
            .find("</title>")
            .unwrap_or(rest.len());
        let title = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        if !title.is_empty() {
            return Some(title);
        }
    }
    // Text outside the tags, skipping the head's scripts and styles is not attempted: the
    // first run of text is what error pages lead with.
    let mut inside_tag = false;
    let mut run = String::new();
    for c in text.chars() {
        match c {
            '<' => {
                inside_tag = true;
                if !run.trim().is_empty() {
                    break;
                }
                run.clear();
            }
            '>' => inside_tag = false,
            c if !inside_tag => run.push(c),
            _ => {}
        }
    }
    let run = run.split_whitespace().collect::<Vec<_>>().join(" ");
    (!run.is_empty()).then_some(run)
}
