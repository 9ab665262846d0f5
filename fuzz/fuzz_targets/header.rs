//! `-H 'Name: value'`: no panic; a parsed name is never empty and has no white space.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok((name, value)) = wsx::client::parse_header(text) {
        assert!(!name.is_empty() && !name.contains(char::is_whitespace));
        assert_eq!(value, value.trim());
    }
});
