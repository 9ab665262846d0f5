//! The REPL's slash-command parser: any typed line gives a command or an error, never a
//! panic; a line without a leading `/` is always sent as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::repl::command::{ReplCommand, parse};

fuzz_target!(|line: &str| {
    let parsed = parse(line);
    if !line.starts_with('/') {
        assert_eq!(parsed, Ok(ReplCommand::Text(line.to_string())));
    }
});
