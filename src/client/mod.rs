//! The client side of a connection, validated once and dialled any number of times: the URL,
//! a checked header map, the TLS configuration (built once, and only for wss://), the proxy
//! choice and the timeout. `connect` dials it (again on `--reconnect`), `bench` once per
//! connection.

pub mod address;
mod dial;
pub mod proxy;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use rustls::ClientConfig;

use crate::cli::{ClientArgs, ReachArgs};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::protocol::handshake::{ClientConnection, ClientRequest, HeaderMap};
use crate::protocol::{BoxedTransport, Limits};
use crate::tls::ClientTlsOptions;
use proxy::Proxy;

/// Where the proxy for a connection comes from.
#[derive(Debug, Clone)]
pub enum ProxySetting {
    /// `--no-proxy`
    Off,
    /// `--proxy URL`
    Explicit(Proxy),
    /// The `*_PROXY` variables, looked up for each host dialled.
    FromEnvironment,
}

#[derive(Debug)]
pub struct Client {
    pub request: ClientRequest,
    tls_options: ClientTlsOptions,
    /// Built on the first wss:// dial (at once for a wss:// URL): ws:// never loads roots.
    tls: OnceLock<Arc<ClientConfig>>,
    proxy: ProxySetting,
    /// `--unix-socket`: dial this socket instead of the URL's host.
    unix_socket: Option<std::path::PathBuf>,
    follow_redirects: bool,
    pub connect_timeout: Duration,
    /// What the server may send, set up with the handshake.
    pub limits: Limits,
    /// `-v`: print proxy exchanges and the handshake heads.
    pub verbose: bool,
}

impl Client {
    /// Validates the client options; every error here is a usage error (exit 2).
    pub fn new(args: &ClientArgs, limits: Limits, verbose: bool) -> Result<Client> {
        let identity = args.cert.clone().zip(args.key.clone());
        Client::reaching(&args.url, &args.reach, identity, limits, verbose)
    }

    /// As [`Client::new`], from the parts: `proxy` dials its upstream this way.
    pub fn reaching(
        url: &str,
        reach: &ReachArgs,
        identity: Option<(String, String)>,
        limits: Limits,
        verbose: bool,
    ) -> Result<Client> {
        let args = Parts { reach };
        let mut url = address::parse_ws_url(url)?;
        let mut auth = args.reach.auth.clone();
        if let Some((user, pass)) = address::credentials(&url) {
            auth.get_or_insert(format!("{user}:{pass}"));
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        if let Some(auth) = &auth
            && !auth.contains(':')
        {
            return Err(Error::Usage("--auth takes USER:PASS".into()));
        }
        check_subprotocols(&args.reach.subprotocols)?;
        let headers = headers(&args, auth.as_deref())?;
        let connect_timeout =
            crate::config::positive_seconds("--connect-timeout", args.reach.connect_timeout)?;
        let client = Client {
            request: ClientRequest {
                url,
                headers,
                subprotocols: args.reach.subprotocols.clone(),
            },
            tls_options: ClientTlsOptions {
                insecure: args.reach.insecure,
                ca_file: args.reach.cacert.clone(),
                identity,
            },
            tls: OnceLock::new(),
            proxy: match (&args.reach.proxy, args.reach.no_proxy) {
                (Some(proxy), _) => ProxySetting::Explicit(Proxy::parse(proxy)?),
                (None, true) => ProxySetting::Off,
                (None, false) => ProxySetting::FromEnvironment,
            },
            unix_socket: args.reach.unix_socket.clone(),
            follow_redirects: args.reach.location,
            connect_timeout,
            limits,
            verbose,
        };
        if client.request.url.scheme() == "wss" {
            client.tls_config()?;
        }
        Ok(client)
    }

    /// Opens a connection: TCP or a proxy tunnel, TLS for wss://, the upgrade, redirects
    /// with `-L`; all within `--connect-timeout`.
    pub async fn dial(&self, printer: &Printer) -> Result<ClientConnection<BoxedTransport>> {
        dial::dial(self, &self.request, printer).await
    }

    /// Dials another request with this client's TLS, proxy and timeout (`proxy` sends each
    /// of its clients' requests upstream this way).
    pub async fn dial_request(
        &self,
        request: &ClientRequest,
        printer: &Printer,
    ) -> Result<ClientConnection<BoxedTransport>> {
        dial::dial(self, request, printer).await
    }

    fn tls_config(&self) -> Result<Arc<ClientConfig>> {
        if let Some(config) = self.tls.get() {
            return Ok(config.clone());
        }
        let config = crate::tls::client_config(&self.tls_options)?;
        Ok(self.tls.get_or_init(|| config).clone())
    }
}

/// A subprotocol name is an HTTP token (RFC 6455 §4.1, RFC 9110 §5.6.2).
pub fn check_subprotocols(protocols: &[String]) -> Result<()> {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    match protocols
        .iter()
        .find(|protocol| protocol.is_empty() || !protocol.chars().all(is_token_char))
    {
        Some(bad) => Err(Error::Usage(format!(
            "'{bad}' is not a valid subprotocol name (letters, digits and !#$%&'*+-.^_`|~)"
        ))),
        None => Ok(()),
    }
}

/// The request headers wsx adds to the upgrade: `-o`, `-s`, `--auth`, then every `-H`. An
/// explicit `-H Origin|Authorization|Sec-WebSocket-Protocol` replaces what those options set;
/// other names may repeat.
/// The options `reaching` reads, under the names `ClientArgs` gives them.
struct Parts<'a> {
    reach: &'a ReachArgs,
}

fn headers(args: &Parts<'_>, auth: Option<&str>) -> Result<HeaderMap> {
    use crate::protocol::handshake::header;
    let mut headers = HeaderMap::new();
    let value = |what: &str, value: &str| {
        header::HeaderValue::from_str(value)
            .map_err(|_| Error::Usage(format!("invalid {what} value '{value}'")))
    };
    if let Some(origin) = &args.reach.origin {
        headers.insert(header::ORIGIN, value("Origin", origin)?);
    }
    if !args.reach.subprotocols.is_empty() {
        let list = args.reach.subprotocols.join(", ");
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value("subprotocol", &list)?);
    }
    if let Some(auth) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(auth);
        headers.insert(
            header::AUTHORIZATION,
            value("Authorization", &format!("Basic {token}"))?,
        );
    }
    for text in &args.reach.headers {
        let (name, raw_value) = parse_header(text)?;
        let name = header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Usage(format!("invalid header name '{name}'")))?;
        let header_value = value("header", &raw_value)?;
        if name == header::AUTHORIZATION
            || name == header::ORIGIN
            || name == header::SEC_WEBSOCKET_PROTOCOL
        {
            headers.insert(name, header_value);
        } else {
            headers.append(name, header_value);
        }
    }
    Ok(headers)
}

/// `Name: value` → (`Name`, `value`).
pub fn parse_header(text: &str) -> Result<(String, String)> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| Error::Usage(format!("header '{text}' is not 'Name: value'")))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(Error::Usage(format!("header '{text}' has no valid name")));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        client: ClientArgs,
    }

    fn client(args: &[&str]) -> Result<Client> {
        let args = Args::try_parse_from(std::iter::once("wsx").chain(args.iter().copied()))
            .map_err(|error| Error::Usage(error.to_string()))?;
        Client::new(&args.client, Limits::new(1 << 20, 1 << 20), false)
    }

    #[test]
    fn headers_parse() {
        let (name, value) = parse_header("X-Token:  abc: d ").unwrap();
        assert_eq!((name.as_str(), value.as_str()), ("X-Token", "abc: d"));
        assert!(parse_header("novalue").is_err());
        assert!(parse_header(": v").is_err());
    }

    #[test]
    fn options_become_checked_headers_once() {
        let built = client(&[
            "ws://al:pw@h/",
            "-o",
            "http://o.test",
            "-s",
            "chat",
            "-H",
            "X-A: 1",
            "-H",
            "X-A: 2",
            "-H",
            "Origin: http://other.test",
        ])
        .unwrap();
        let headers = &built.request.headers;
        assert_eq!(headers.get_all("x-a").iter().count(), 2);
        assert_eq!(headers["origin"], "http://other.test");
        assert_eq!(headers["sec-websocket-protocol"], "chat");
        // The URL's credentials became Basic auth and left the URL.
        assert_eq!(headers["authorization"], "Basic YWw6cHc=");
        assert_eq!(built.request.url.as_str(), "ws://h/");
        assert!(client(&["ws://h/", "-H", "X-Bad: a\u{7f}b"]).is_err());
        assert!(client(&["ws://h/", "--auth", "nopassword"]).is_err());
        assert!(client(&["ws://h/", "-s", "two words"]).is_err());
    }

    #[test]
    fn ws_urls_do_not_load_tls_material() {
        let client = client(&["ws://h/", "--cacert", "/nonexistent.pem"]).unwrap();
        assert!(client.tls.get().is_none());
        // For wss:// the file is read at once, and its problem is a usage error.
        assert!(matches!(
            super::Client::new(
                &Args::try_parse_from(["wsx", "wss://h/", "--cacert", "/nonexistent.pem"])
                    .unwrap()
                    .client,
                client.limits,
                false
            ),
            Err(Error::Usage(_))
        ));
    }
}
