//! wsx as a library: the command-line tool's modules, exposed so that fuzz targets and
//! benchmarks can reach the parsers and formatters. The binary (`src/main.rs`) only parses
//! the command line and reports the outcome.

pub mod bench;
pub mod cli;
pub mod client;
pub mod config;
pub mod connect;
pub mod error;
pub mod generate;
pub mod input;
pub mod memcpy_tuning;
pub mod output;
pub mod protocol;
pub mod queue;
pub mod reference;
pub mod repl;
pub mod serve;
pub mod test;
pub mod tls;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use cli::{Cli, Command};
use error::{Error, Result};
use output::{OutputOptions, Printer};

/// Runs one parsed command line to its exit code.
pub fn run(cli: Cli) -> Result<ExitCode> {
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
            let printer = printer(config.output.clone())?;
            bench::run(config, printer)
        }
        Command::Test(args) => test::run(test::TestConfig::try_from(args)?),
        Command::Proxy(args) => {
            let config = config::ServeConfig::try_from(args)?;
            let printer = printer(config.output.clone())?;
            serve::run(config, printer)
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

/// The runtimes wsx runs on: one thread each (a connection, the accept loop and console,
/// each serve worker), which starts fastest and never wakes idle threads.
pub(crate) fn single_thread_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("cannot start the runtime", error))
}

fn printer(options: OutputOptions) -> Result<Arc<Printer>> {
    Printer::new(options)
        .map(Arc::new)
        .map_err(|error| Error::io("cannot set up output", error))
}
