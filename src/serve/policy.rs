//! Who may open a WebSocket: the `--origin` allow-list, and the local-safety rules for the
//! modes that act for the operator (`--exec` runs a program per connection).
//!
//! Browsers do not apply the same-origin policy to WebSockets: any page the operator opens
//! may connect to `ws://127.0.0.1:PORT`. They always send `Origin`, though, and a DNS
//! rebinding attack shows up as a `Host` that is not the loopback name the server listens
//! on. Non-browser clients send no `Origin` and are allowed.

use url::Url;

/// How strict the origin check is for this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPolicy {
    /// `--origin` values; `*` allows any origin.
    pub allowed: Vec<String>,
    /// The mode acts for the operator: without `--origin`, only the server's own origin and
    /// loopback origins may connect, and on a loopback listener only loopback `Host`s.
    pub guarded: bool,
    pub listening_on_loopback: bool,
    /// The flag that sets the allow-list, for the refusals to name (`proxy` has its own).
    pub flag: &'static str,
}

/// Why a request was refused (a 403): the line the server logs, which names the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    pub reason: String,
}

impl OriginPolicy {
    /// Checks a request's `Host` and `Origin` headers.
    pub fn check(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), Forbidden> {
        if self.guarded && self.listening_on_loopback {
            let host = host.unwrap_or("");
            if !is_loopback_host(host_name(host)) {
                return Err(Forbidden {
                    reason: format!(
                        "Host '{host}' is not a loopback name on a loopback listener \
                         (a DNS rebinding attempt?); connect to 127.0.0.1 or localhost"
                    ),
                });
            }
        }
        let Some(origin) = origin else {
            return Ok(());
        };
        if self.allowed.iter().any(|allowed| allowed == "*") {
            return Ok(());
        }
        if !self.allowed.is_empty() {
            if self
                .allowed
                .iter()
                .any(|allowed| same_origin_text(allowed, origin))
            {
                return Ok(());
            }
            return Err(Forbidden {
                reason: format!("origin {origin} is not allowed ({})", self.flag),
            });
        }
        if !self.guarded
            || is_loopback_origin(origin)
            || host.is_some_and(|host| origin_matches_host(origin, host))
        {
            return Ok(());
        }
        Err(Forbidden {
            reason: format!(
                "origin {origin} is neither this server's nor a loopback origin; a page there \
                 could drive this server (allow it with {flag} {origin}, or any with {flag} '*')",
                flag = self.flag
            ),
        })
    }
}

/// `http://a.test:80` and `HTTP://A.test` name the same origin.
fn same_origin_text(allowed: &str, origin: &str) -> bool {
    match (Url::parse(allowed), Url::parse(origin)) {
        (Ok(allowed), Ok(origin)) => allowed.origin() == origin.origin(),
        _ => allowed.eq_ignore_ascii_case(origin),
    }
}

/// The name part of a `Host` header: `[::1]:80` → `::1`, `a.test:80` → `a.test`.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// `localhost`, a name under `.localhost` (RFC 6761 §6.3), or a loopback address.
fn is_loopback_host(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// An `http(s)://` origin on a loopback host, any port.
fn is_loopback_origin(origin: &str) -> bool {
    let Ok(url) = Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| {
            is_loopback_host(host.trim_start_matches('[').trim_end_matches(']'))
        })
}

/// The origin is the server itself: same host and port as the request's `Host` (a page that
/// the server's own built-in test page loaded, say).
fn origin_matches_host(origin: &str, host: &str) -> bool {
    let Ok(origin) = Url::parse(origin) else {
        return false;
    };
    let Ok(request) = Url::parse(&format!("{}://{host}/", origin.scheme())) else {
        return false;
    };
    origin.host_str().map(str::to_ascii_lowercase)
        == request.host_str().map(str::to_ascii_lowercase)
        && origin.port_or_known_default() == request.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(allowed: &[&str]) -> OriginPolicy {
        OriginPolicy {
            allowed: allowed.iter().map(|origin| origin.to_string()).collect(),
            guarded: true,
            listening_on_loopback: true,
            flag: "--origin",
        }
    }

    #[test]
    fn guarded_mode_allows_its_own_and_loopback_origins() {
        let policy = guarded(&[]);
        let host = Some("127.0.0.1:9000");
        assert!(policy.check(host, None).is_ok());
        assert!(policy.check(host, Some("http://127.0.0.1:9000")).is_ok());
        assert!(policy.check(host, Some("http://localhost:3000")).is_ok());
        assert!(policy.check(host, Some("http://[::1]:5173")).is_ok());
        assert!(
            policy
                .check(Some("[::1]:9000"), Some("http://[::1]:9000"))
                .is_ok()
        );
        let refused = policy.check(host, Some("http://evil.test")).unwrap_err();
        assert!(
            refused.reason.contains("--origin http://evil.test"),
            "{refused:?}"
        );
        assert!(policy.check(host, Some("null")).is_err());
    }

    #[test]
    fn guarded_loopback_listener_refuses_other_host_names() {
        let policy = guarded(&[]);
        // A rebound name: the page's origin matches its Host, but the Host is not loopback.
        let refused = policy
            .check(Some("evil.test:9000"), Some("http://evil.test:9000"))
            .unwrap_err();
        assert!(refused.reason.contains("DNS rebinding"), "{refused:?}");
        assert!(policy.check(Some("evil.test:9000"), None).is_err());
        assert!(policy.check(Some("localhost:9000"), None).is_ok());
        assert!(policy.check(Some("app.localhost:9000"), None).is_ok());
        // --origin '*' lifts the origin rule, not the Host rule.
        let any = guarded(&["*"]);
        assert!(
            any.check(Some("127.0.0.1:1"), Some("http://evil.test"))
                .is_ok()
        );
        assert!(
            any.check(Some("evil.test:1"), Some("http://evil.test"))
                .is_err()
        );
    }

    #[test]
    fn guarded_public_listener_checks_only_origins() {
        let policy = OriginPolicy {
            listening_on_loopback: false,
            ..guarded(&[])
        };
        assert!(
            policy
                .check(Some("box.lan:9000"), Some("http://box.lan:9000"))
                .is_ok()
        );
        assert!(
            policy
                .check(Some("box.lan:9000"), Some("http://box.lan:9001"))
                .is_err()
        );
        assert!(
            policy
                .check(Some("box.lan"), Some("http://box.lan"))
                .is_ok()
        );
    }

    #[test]
    fn the_allow_list_replaces_the_origin_rule() {
        let policy = guarded(&["http://app.test:8000"]);
        let host = Some("127.0.0.1:9000");
        assert!(policy.check(host, Some("http://APP.test:8000")).is_ok());
        assert!(policy.check(host, Some("http://localhost:3000")).is_err());
        let open = OriginPolicy {
            guarded: false,
            ..guarded(&[])
        };
        assert!(
            open.check(Some("evil.test"), Some("http://evil.test"))
                .is_ok()
        );
        let listed = OriginPolicy {
            guarded: false,
            ..guarded(&["http://a.test"])
        };
        assert!(listed.check(host, Some("http://b.test")).is_err());
        assert!(listed.check(host, None).is_ok());
    }
}
