//! wsx: a WebSocket client and server for testing, from the command line.

use std::process::ExitCode;

use clap::Parser;
use wsx::cli::{self, Cli};

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap's "unrecognized subcommand" for `wsx localhost` helps nobody.
            if error.kind() == clap::error::ErrorKind::InvalidSubcommand
                && let Some(hint) = cli::bare_host_hint(&args)
            {
                eprintln!("wsx: {hint}");
                return ExitCode::from(2);
            }
            error.exit()
        }
    };
    wsx::memcpy_tuning::apply(cli.command.as_ref());
    match wsx::run(cli) {
        Ok(code) => code,
        Err(wsx::error::Error::Report(report)) => {
            eprint!("{report}");
            ExitCode::from(2)
        }
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
