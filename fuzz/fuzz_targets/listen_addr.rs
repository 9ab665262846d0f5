//! `serve`'s ADDR argument (PORT, HOST:PORT, [V6]:PORT): no panic on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok((host, _port)) = wsx::config::parse_listen_addr(text) {
        assert!(!host.is_empty());
    }
});
