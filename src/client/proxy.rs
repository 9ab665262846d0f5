//! Reaching the server through a proxy: HTTP CONNECT or SOCKS5 (the proxy resolves the host,
//! as socks5h does), chosen by `--proxy` or by the usual environment variables.

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::error::{Error, Result, io_reason};
use crate::output::Printer;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyKind {
    Http,
    Socks5,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
}

impl Proxy {
    /// `http://[user:pass@]host:port` or `socks5://…` (`socks5h://` means the same here).
    pub fn parse(text: &str) -> Result<Proxy> {
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let url = Url::parse(&with_scheme).map_err(|error| {
            Error::Usage(format!("invalid proxy URL '{}': {error}", redacted(text)))
        })?;
        let (kind, default_port) = match url.scheme() {
            "http" => (ProxyKind::Http, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            other => {
                return Err(Error::Usage(format!(
                    "unsupported proxy scheme '{other}' (use http:// or socks5://)"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| Error::Usage(format!("proxy URL '{}' has no host", redacted(text))))?
            .trim_matches(['[', ']'])
            .to_string();
        let credentials = super::address::credentials(&url);
        Ok(Proxy {
            kind,
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }

    /// The proxy as shown to people: scheme, host and port, never the password.
    pub fn display(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks5 => "socks5",
        };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// A proxy URL for an error message: a password may sit in it (from `*_PROXY` too).
fn redacted(text: &str) -> String {
    let Some(at) = text.rfind('@') else {
        return text.to_string();
    };
    let start = text.find("://").map_or(0, |scheme| scheme + 3).min(at);
    format!("{}***{}", &text[..start], &text[at..])
}

/// The proxy the environment asks for: `ws://` uses `HTTP_PROXY`, `wss://` `HTTPS_PROXY`,
/// both fall back to `ALL_PROXY`; lower-case names win, as in curl. `NO_PROXY` exempts hosts
/// (loopback is not exempt unless listed).
pub fn from_env(
    secure: bool,
    host: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>> {
    let get = |name: &str| {
        lookup(&name.to_ascii_lowercase())
            .or_else(|| lookup(name))
            .filter(|value| !value.trim().is_empty())
    };
    let chosen = if secure {
        get("HTTPS_PROXY")
    } else {
        get("HTTP_PROXY")
    }
    .or_else(|| get("ALL_PROXY"));
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    if get("NO_PROXY").is_some_and(|list| no_proxy_matches(&list, host)) {
        return Ok(None);
    }
    Proxy::parse(chosen.trim()).map(Some)
}

/// `NO_PROXY` entries: `*`, a host name (which also covers its subdomains), `.domain`, or an
/// IP address; a `:port` suffix is ignored.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_matches(['[', ']']);
            let entry = match entry.rsplit_once(':') {
                Some((name, port))
                    if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) =>
                {
                    name
                }
                _ => entry,
            };
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

/// Opens a tunnel through `proxy` to `host:port`. With `verbose`, the HTTP CONNECT exchange
/// is shown like the upgrade's, credentials masked.
pub async fn connect(
    proxy: &Proxy,
    host: &str,
    port: u16,
    verbose: Option<&Printer>,
) -> Result<TcpStream> {
    let hop = proxy.display();
    let stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|error| Error::Connect {
            addr: format!("proxy {hop}"),
            reason: io_reason(&error),
        })?;
    match proxy.kind {
        ProxyKind::Http => http_connect(stream, proxy, host, port, verbose).await,
        ProxyKind::Socks5 => socks5_connect(stream, proxy, host, port).await,
    }
}

async fn http_connect(
    mut stream: TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
    verbose: Option<&Printer>,
) -> Result<TcpStream> {
    let hop = proxy.display();
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(printer) = verbose {
        let mut shown = request.clone();
        if proxy.credentials.is_some() {
            shown.push_str("Proxy-Authorization: Basic ********\r\n");
        }
        printer.verbose(&crate::output::format::prefix_lines("> ", &shown));
    }
    if let Some((user, pass)) = &proxy.credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    let failed = |reason: String| Error::Connect {
        addr: format!("{authority} through proxy {hop}"),
        reason,
    };
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| failed(io_reason(&error)))?;
    // Read the reply head byte by byte: anything after it already belongs to the tunnel.
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(failed("the proxy's reply is too long".into()));
        }
        let read = stream
            .read(&mut byte)
            .await
            .map_err(|error| failed(io_reason(&error)))?;
        if read == 0 {
            return Err(failed("the proxy closed the connection".into()));
        }
        head.push(byte[0]);
    }
    if let Some(printer) = verbose {
        printer.verbose(&crate::output::format::prefix_lines(
            "< ",
            String::from_utf8_lossy(&head).trim_end(),
        ));
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    response
        .parse(&head)
        .map_err(|error| failed(format!("the proxy sent a malformed reply: {error}")))?;
    let Some(code) = response.code else {
        return Err(failed("the proxy sent no status".into()));
    };
    let status = format!("{code} {}", response.reason.unwrap_or(""))
        .trim_end()
        .to_string();
    match (code, &proxy.credentials) {
        (200..=299, _) => Ok(stream),
        // 407 is the proxy's own "who are you"; tinyproxy answers wrong credentials with 401.
        (401 | 407, None) => Err(failed(format!(
            "the proxy requires authentication ({status}); put user:pass in the proxy URL"
        ))),
        (401 | 407, Some(_)) => Err(failed(format!(
            "the proxy rejected the credentials ({status})"
        ))),
        _ => Err(failed(format!("the proxy refused the tunnel: {status}"))),
    }
}

async fn socks5_connect(
    stream: TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<TcpStream> {
    let target = (host, port);
    let result = match &proxy.credentials {
        Some((user, pass)) => {
            tokio_socks::tcp::Socks5Stream::connect_with_password_and_socket(
                stream, target, user, pass,
            )
            .await
        }
        None => tokio_socks::tcp::Socks5Stream::connect_with_socket(stream, target).await,
    };
    result
        .map(|tunnel| tunnel.into_inner())
        .map_err(|error| Error::Connect {
            addr: format!("{host}:{port} through proxy {}", proxy.display()),
            reason: socks_reason(&error, proxy.credentials.is_some()),
        })
}

/// tokio-socks' errors, in the words of the rest of wsx.
fn socks_reason(error: &tokio_socks::Error, sent_credentials: bool) -> String {
    use tokio_socks::Error as Socks;
    match error {
        Socks::PasswordAuthFailure(_) => "the SOCKS5 proxy rejected the credentials".into(),
        Socks::NoAcceptableAuthMethods if !sent_credentials => {
            "the SOCKS5 proxy requires authentication; put user:pass in the proxy URL".into()
        }
        Socks::Io(error) => io_reason(error),
        other => format!(
            "the SOCKS5 proxy failed: {}",
            other.to_string().to_lowercase()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls() {
        let proxy = Proxy::parse("http://u:p%40ss@127.0.0.1:3128").unwrap();
        assert_eq!(proxy.kind, ProxyKind::Http);
        assert_eq!(proxy.port, 3128);
        assert_eq!(proxy.credentials, Some(("u".into(), "p@ss".into())));
        assert_eq!(proxy.display(), "http://127.0.0.1:3128");
        assert_eq!(Proxy::parse("socks5h://h").unwrap().port, 1080);
        assert_eq!(Proxy::parse("proxy:8080").unwrap().kind, ProxyKind::Http);
        assert!(Proxy::parse("ftp://h").is_err());
    }

    #[test]
    fn errors_never_show_the_password() {
        for bad in [
            "http://u:secret@host:99999",
            "http://u:secret@:1",
            "u:secret@[::1",
        ] {
            let error = Proxy::parse(bad).unwrap_err().to_string();
            assert!(!error.contains("secret"), "{error}");
            assert!(error.contains("***@"), "{error}");
        }
    }

    #[test]
    fn no_proxy_lists() {
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("example.com", "api.example.com"));
        assert!(no_proxy_matches(".example.com", "example.com"));
        assert!(no_proxy_matches("a, 127.0.0.1:8080", "127.0.0.1"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(!no_proxy_matches("", "127.0.0.1"));
    }

    #[test]
    fn environment_choice() {
        fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
            move |name| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        }
        const SPLIT: &[(&str, &str)] = &[
            ("HTTP_PROXY", "http://plain:1"),
            ("https_proxy", "http://secure:2"),
        ];
        assert_eq!(
            from_env(false, "h", env(SPLIT)).unwrap().unwrap().host,
            "plain"
        );
        assert_eq!(
            from_env(true, "h", env(SPLIT)).unwrap().unwrap().host,
            "secure"
        );
        const ALL: &[(&str, &str)] = &[("ALL_PROXY", "socks5://all:3"), ("NO_PROXY", "h")];
        assert_eq!(from_env(false, "h", env(ALL)).unwrap(), None);
        assert_eq!(
            from_env(false, "other", env(ALL)).unwrap().unwrap().kind,
            ProxyKind::Socks5
        );
    }
}
