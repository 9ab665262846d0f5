//! Opening a client connection: TCP (direct or through a proxy), TLS for wss://, then the
//! upgrade, following redirects with `-L`. `--connect-timeout` bounds all of it.

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Url;

use super::{Client, ProxySetting, proxy};
use crate::error::{Error, Result, io_reason};
use crate::output::Printer;
use crate::protocol::BoxedTransport;
use crate::protocol::handshake::{
    ClientConnection, ClientRequest, HandshakeError, client_handshake, header,
};
use crate::tls;

const MAX_REDIRECTS: usize = 5;

pub async fn dial(
    config: &Client,
    request: &ClientRequest,
    printer: &Printer,
) -> Result<ClientConnection<BoxedTransport>> {
    tokio::time::timeout(
        config.connect_timeout,
        follow_redirects(config, request, printer),
    )
    .await
    .map_err(|_| Error::Timeout {
        what: format!("connecting to {}", request.url),
        secs: config.connect_timeout.as_secs_f64(),
    })?
}

async fn follow_redirects(
    config: &Client,
    request: &ClientRequest,
    printer: &Printer,
) -> Result<ClientConnection<BoxedTransport>> {
    let mut request = request.clone();
    let mut redirects = 0;
    loop {
        match dial_once(&request, config, printer).await {
            Ok(connection) => return Ok(connection),
            Err(Failure { error, redirect }) => {
                let Some(location) = redirect else {
                    return Err(with_status_hint(error, &request));
                };
                if !config.follow_redirects {
                    return Err(match error {
                        Error::HandshakeStatus {
                            status,
                            body,
                            answer,
                        } => Error::HandshakeStatus {
                            status,
                            body: format!("{body} (it redirects to {location}: add -L to follow)"),
                            answer,
                        },
                        other => other,
                    });
                }
                if redirects == MAX_REDIRECTS {
                    return Err(Error::Handshake {
                        url: request.url.to_string(),
                        reason: format!("more than {MAX_REDIRECTS} redirects"),
                    });
                }
                redirects += 1;
                let target = redirect_target(&request.url, &location)?;
                if target.host_str() != request.url.host_str()
                    || target.port_or_known_default() != request.url.port_or_known_default()
                {
                    // As curl does: credentials are for the server they were given for.
                    for credential in [
                        header::AUTHORIZATION,
                        header::COOKIE,
                        header::PROXY_AUTHORIZATION,
                    ] {
                        request.headers.remove(credential);
                    }
                }
                request.url = target;
                printer.info(&format!("redirected to {}", request.url));
            }
        }
    }
}

/// A 401 says what would let the request in.
fn with_status_hint(error: Error, request: &ClientRequest) -> Error {
    match error {
        Error::HandshakeStatus {
            status,
            body,
            answer,
        } if status.starts_with("401") => {
            let sent = request.headers.contains_key(header::AUTHORIZATION);
            let hint = if sent {
                "the server refused the credentials sent"
            } else {
                "the server wants credentials: --auth USER:PASS or -H 'Authorization: …'"
            };
            Error::HandshakeStatus {
                status,
                body: format!("{body} ({hint})"),
                answer,
            }
        }
        other => other,
    }
}

/// A `Location` may be relative, and http(s) means ws(s). Anything else is the server's
/// doing, so a failure here is a failed handshake (exit 1), not bad usage.
fn redirect_target(current: &Url, location: &str) -> Result<Url> {
    let refused = |reason: String| Error::Handshake {
        url: current.to_string(),
        reason,
    };
    let joined = current
        .join(location)
        .map_err(|error| refused(format!("bad redirect location '{location}': {error}")))?;
    super::address::parse_ws_url(joined.as_str())
        .map_err(|error| refused(format!("the server redirected to {joined}: {error}")))
}

struct Failure {
    error: Error,
    redirect: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            redirect: None,
        }
    }
}

async fn dial_once(
    request: &ClientRequest,
    config: &Client,
    printer: &Printer,
) -> Result<ClientConnection<BoxedTransport>, Failure> {
    let url = &request.url;
    let host = url
        .host_str()
        .ok_or_else(|| Error::Usage(format!("URL {url} has no host")))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let secure = url.scheme() == "wss";
    let proxy = match &config.proxy {
        _ if config.unix_socket.is_some() => None,
        ProxySetting::Off => None,
        ProxySetting::Explicit(proxy) => Some(proxy.clone()),
        ProxySetting::FromEnvironment => {
            proxy::from_env(secure, &host, |name| std::env::var(name).ok())?
        }
    };
    let stream: BoxedTransport = match (&config.unix_socket, &proxy) {
        // As curl's --unix-socket: the URL still gives the Host header, the path and TLS's
        // server name; only the transport differs.
        (Some(path), _) => Box::new(connect_unix(path).await?),
        (None, Some(proxy)) => {
            if config.verbose {
                printer.verbose(&format!("* via proxy {}\n", proxy.display()));
            }
            let tcp = proxy::connect(proxy, &host, port, config.verbose.then_some(printer)).await?;
            let _ = tcp.set_nodelay(true);
            Box::new(tcp)
        }
        (None, None) => {
            let tcp = connect_direct(&host, port).await?;
            let _ = tcp.set_nodelay(true);
            Box::new(tcp)
        }
    };
    let sent_client_cert = config.tls_options.identity.is_some();
    let mut late_tls_error = None;
    let stream: BoxedTransport = if secure {
        let connector = TlsConnector::from(config.tls_config()?);
        let tls_stream = connector
            .connect(tls::server_name(&host)?, stream)
            .await
            .map_err(|error| {
                Error::Tls(tls::describe_failure(
                    &error,
                    &host,
                    sent_client_cert,
                    config.tls_options.ca_file.as_deref(),
                ))
            })?;
        let probe = tls::TlsErrorProbe::new(tls_stream);
        late_tls_error = Some(probe.seen());
        Box::new(probe)
    } else {
        stream
    };
    // The answer's head, kept as it passes: on ws:// its first bytes tell a TLS server from a
    // broken HTTP one, and `-v` shows it when tungstenite refuses a 101 it read (a wrong
    // subprotocol or accept key) without handing it back.
    let (stream, answer) = AnswerHead::wrap(stream);
    let stream: BoxedTransport = Box::new(stream);
    client_handshake(stream, request, config.limits)
        .await
        .map_err(|failure| {
            if config.verbose {
                if !failure.request_head.is_empty() {
                    printer.verbose(&crate::output::format::prefix_lines(
                        "> ",
                        &failure.request_head,
                    ));
                }
                let kept = || {
                    let head = answer.lock().ok()?;
                    let head = String::from_utf8_lossy(&head).replace("\r\n", "\n");
                    Some(head.trim_end().to_string()).filter(|head| !head.is_empty())
                };
                if let Some(head) = failure.response_head.clone().or_else(kept) {
                    printer.verbose(&crate::output::format::prefix_lines("< ", &head));
                }
            }
            // A client certificate refused under TLS 1.3 shows up only now, as the upgrade's
            // first read fails: report it as the TLS failure it is.
            let late_tls_error =
                late_tls_error.and_then(|seen| seen.lock().ok().and_then(|mut seen| seen.take()));
            if let Some(tls_error) = late_tls_error {
                let error =
                    Error::Tls(tls::describe_tls_error(&tls_error, &host, sent_client_cert));
                return Failure::from(error);
            }
            let answered_http =
                secure || answer.lock().is_ok_and(|head| head.starts_with(b"HTTP/"));
            wsx_failure(failure.error, url, answered_http)
        })
}

/// The handshake's failure in wsx's words: the status (and where a redirect points, for
/// `-L`), or what went wrong, with a guess where the bytes tell one.
fn wsx_failure(error: HandshakeError, url: &Url, answered_http: bool) -> Failure {
    match error {
        HandshakeError::Status {
            code,
            status,
            excerpt,
            content_type,
            body,
            location,
        } => Failure {
            error: Error::HandshakeStatus {
                status,
                body: excerpt,
                answer: Box::new((code, content_type, body)),
            },
            redirect: location,
        },
        // An HTTP parser meeting TLS bytes: the server speaks wss://.
        HandshakeError::Unparsable if url.scheme() == "ws" && !answered_http => {
            Failure::from(Error::Handshake {
                url: url.to_string(),
                reason: "the answer is not HTTP; is it a wss:// server?".into(),
            })
        }
        other => Failure::from(Error::Handshake {
            url: url.to_string(),
            reason: other.to_string(),
        }),
    }
}

/// Keeps a copy of what is read through it up to the end of the first HTTP head (bounded),
/// then passes reads straight through.
struct AnswerHead {
    inner: BoxedTransport,
    head: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    /// Set once the head is kept: later reads pass straight through.
    kept: bool,
}

/// More than any sane response head; what a refusal's `-v` shows at most.
const HEAD_LIMIT: usize = 16 * 1024;

impl AnswerHead {
    fn wrap(inner: BoxedTransport) -> (AnswerHead, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
        let head = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        (
            AnswerHead {
                inner,
                head: head.clone(),
                kept: false,
            },
            head,
        )
    }
}

// AnswerHead keeps a copy of what passes and buffers nothing: the inner stream can tell.
impl crate::protocol::ReadReady for AnswerHead {
    fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        crate::protocol::ReadReady::poll_read_ready(&self.inner, cx)
    }
}

impl tokio::io::AsyncRead for AnswerHead {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.kept {
            let head = self.head.clone();
            if let Ok(mut head) = head.lock() {
                let fresh = &buf.filled()[before..];
                let wanted = (HEAD_LIMIT - head.len()).min(fresh.len());
                head.extend_from_slice(&fresh[..wanted]);
                if let Some(end) = head.windows(4).position(|window| window == b"\r\n\r\n") {
                    head.truncate(end);
                    self.kept = true;
                }
                self.kept |= head.len() == HEAD_LIMIT;
            }
        }
        polled
    }
}

impl tokio::io::AsyncWrite for AnswerHead {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

async fn connect_unix(path: &std::path::Path) -> Result<tokio::net::UnixStream> {
    tokio::net::UnixStream::connect(path)
        .await
        .map_err(|error| Error::Connect {
            addr: format!("unix socket {}", path.display()),
            reason: io_reason(&error),
        })
}

async fn connect_direct(host: &str, port: u16) -> Result<TcpStream> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| Error::Resolve {
            host: host.to_string(),
            reason: io_reason(&error),
        })?
        .collect();
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(Error::Connect {
        addr: target,
        reason: last_error.map_or("no address found".into(), |error| io_reason(&error)),
    })
}
