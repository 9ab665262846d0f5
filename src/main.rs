//! wsx: a WebSocket client and server for testing, from the command line.

mod bench;
mod cli;
mod config;
mod connect;
mod error;
mod generate;
mod output;
mod protocol;
mod repl;
mod serve;
mod tls;

use std::io::Write;
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
    let Some(command) = cli.command else {
        eprint!("{}", cli::SHORT_USAGE);
        return Ok(ExitCode::from(2));
    };
    match command {
        Command::Completions(args) => print_generated(&generate::completions(args.shell)),
        Command::Man(args) => {
            let page = generate::man_page(args.command.as_deref())
                .map_err(|error| Error::io("cannot render the man page", error))?;
            print_generated(&page)
        }
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

/// Writes a completion script or man page on stdout; a reader that stops early
/// (`wsx man | head`) is no error.
fn print_generated(text: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to stdout", error))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn printer(options: OutputOptions) -> Result<Arc<Printer>> {
    Printer::new(options)
        .map(Arc::new)
        .map_err(|error| Error::io("cannot set up output", error))
}
