//! What a client URL may look like: ws:// and wss://, with http(s):// and bare `host:port`
//! read as WebSocket URLs, and the credentials a URL carries.

use percent_encoding::percent_decode_str;
use url::Url;

use crate::error::{Error, Result};

/// Accepts ws:// and wss:// URLs, maps http(s):// to ws(s)://, and reads a bare
/// `host[:port][/path]` as ws://.
pub fn parse_ws_url(text: &str) -> Result<Url> {
    // A bare number would be read as an IPv4 address (9000 is 0.0.35.40): it was meant as
    // a port, or an ADDR with the URL forgotten.
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Usage(format!(
            "'{text}' is not a URL; for port {text} on this machine write ws://127.0.0.1:{text}"
        )));
    }
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("ws://{text}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|error| Error::Usage(format!("invalid URL '{text}': {error}")))?;
    let scheme = match url.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(Error::Usage(format!(
                "unsupported URL scheme '{other}' (use ws:// or wss://)"
            )));
        }
    };
    if url.scheme() != scheme {
        // Url::set_scheme refuses special-to-special changes such as http → ws.
        let rest = &url.as_str()[url.scheme().len()..];
        url = Url::parse(&format!("{scheme}{rest}"))
            .map_err(|error| Error::Usage(format!("invalid URL '{text}': {error}")))?;
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("URL '{text}' has no host")));
    }
    Ok(url)
}

/// `user:pass@` of a URL, percent-decoded (for `connect` and for proxy URLs). Plain
/// percent-decoding, not form decoding: a `+` in a password stays a `+`.
pub fn credentials(url: &Url) -> Option<(String, String)> {
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    (!url.username().is_empty())
        .then(|| (decode(url.username()), decode(url.password().unwrap_or(""))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_ws_url("ws://h:1/p?q").unwrap().as_str(),
            "ws://h:1/p?q"
        );
        assert_eq!(
            parse_ws_url("localhost:9000").unwrap().as_str(),
            "ws://localhost:9000/"
        );
        assert_eq!(parse_ws_url("http://h/x").unwrap().as_str(), "ws://h/x");
        assert!(parse_ws_url("ftp://h").is_err());
        // Found by the ws_url fuzz target: a mixed-case scheme, and "http" again later on.
        assert_eq!(
            parse_ws_url("httP://http.test/http").unwrap().as_str(),
            "ws://http.test/http"
        );
        assert!(parse_ws_url("ws://").is_err());
        assert!(parse_ws_url("9000").is_err());
    }

    #[test]
    fn credentials_keep_plus_and_decode_escapes() {
        let url = Url::parse("ws://al%40ice:a+b%3Ac@h/").unwrap();
        assert_eq!(credentials(&url), Some(("al@ice".into(), "a+b:c".into())));
        assert_eq!(credentials(&Url::parse("ws://h/").unwrap()), None);
    }
}
