//! Pipe-mode framing: each input line becomes one message without its line ending; binary
//! keeps the bytes exactly, text accepts exactly the UTF-8 lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::input::{line_to_payload, strip_line_ending};

fuzz_target!(|data: &[u8]| {
    for raw in data.split_inclusive(|&byte| byte == b'\n') {
        let mut line = raw.to_vec();
        strip_line_ending(&mut line);
        assert!(!line.ends_with(b"\n"));
        if raw.ends_with(b"\r\n") {
            assert_eq!(line.len(), raw.len() - 2);
        }
        let binary = line_to_payload(line.clone(), true).expect("binary always works");
        assert_eq!(binary.as_bytes(), &line[..]);
        let text = line_to_payload(line.clone(), false);
        assert_eq!(text.is_ok(), std::str::from_utf8(&line).is_ok());
    }
});
