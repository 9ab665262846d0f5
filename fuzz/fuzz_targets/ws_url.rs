//! The URL argument of `connect`: no panic; what parses is ws:// or wss:// with a host.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(url) = wsx::client::address::parse_ws_url(text) {
        assert!(matches!(url.scheme(), "ws" | "wss"));
        assert!(url.host_str().is_some_and(|host| !host.is_empty()));
    }
});
