//! Proxy URLs (`--proxy`, `*_PROXY`) and `NO_PROXY` lists: no panic, and what is shown of a
//! parsed proxy never carries its credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::client::proxy::{Proxy, no_proxy_matches};

fuzz_target!(|input: (&str, &str, &str)| {
    let (url, no_proxy, host) = input;
    if let Ok(proxy) = Proxy::parse(url) {
        // scheme://host:port only: credentials never reach a message.
        assert!(!proxy.display().contains('@'));
    }
    let _ = no_proxy_matches(no_proxy, host);
});
