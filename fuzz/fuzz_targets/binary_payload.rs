//! `/binary` payloads (hex with spaces, or b64:): no panic, and hex round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::repl::command::parse_binary;

fuzz_target!(|text: &str| {
    if let Ok(bytes) = parse_binary(text)
        && !text.starts_with("b64:")
        && !text.starts_with("base64:")
    {
        let digits: String = text.split_whitespace().collect();
        let digits = digits.strip_prefix("0x").unwrap_or(&digits);
        assert_eq!(bytes.len() * 2, digits.len());
    }
});
