//! `wsx test` parses every file before running any: no input makes the parser panic or hang,
//! and every rejection points at a line and column that exist in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::test::parse::{parse, parse_server_script};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for result in [parse("f.wsx", text), parse_server_script("f.wsx", text)] {
        if let Err(error) = result {
            let lines: Vec<&str> = text.lines().collect();
            assert!(error.line >= 1 && error.line <= lines.len(), "{error:?}");
            assert_eq!(error.source_line, lines[error.line - 1]);
            assert!(error.column >= 1 && error.column <= error.source_line.chars().count() + 1, "{error:?}");
            let _ = error.render();
        }
    }
});
