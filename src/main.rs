//! wsx: a WebSocket client and server for testing, from the command line.

mod bench;
mod cli;
mod config;
mod connect;
mod error;
mod output;
mod protocol;
mod repl;
mod serve;
mod tls;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use cli::{Cli, Command};
use error::{Error, Result};
use output::{OutputOptions, Printer};

fn main() -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(std::env::args_os().collect()));
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            // The one fatal line: printed even with -q.
            eprintln!("wsx: {error}");
            error.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Connect(args) => {
            let config = config::ConnectConfig::try_from(args)?;
            let printer = printer(config.output.clone())?;
            connect::run(config, printer)
        }
        Command::Bench(args) => {
            let config = config::BenchConfig::try_from(args)?;
            let printer = printer(config.connect.output.clone())?;
            bench::run(config, printer)
        }
        Command::Serve(args) => {
            let config = config::ServeConfig::try_from(args)?;
            let printer = printer(config.output.clone())?;
            serve::run(config, printer)
        }
    }
}

fn printer(options: OutputOptions) -> Result<Arc<Printer>> {
    Printer::new(options)
        .map(Arc::new)
        .map_err(|error| Error::io("cannot set up output", error))
}
