//! wsx: a WebSocket client and server for testing, from the command line.

use std::process::ExitCode;

use clap::Parser;
use wsx::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(std::env::args_os().collect()));
    match wsx::run(cli) {
        Ok(code) => code,
        Err(error) => {
            // The one fatal line: printed even with -q.
            // Escaped: it may quote what was typed, control characters included.
            eprintln!(
                "wsx: {}",
                wsx::output::sanitize::escape_line(&error.to_string())
            );
            error.exit_code()
        }
    }
}
