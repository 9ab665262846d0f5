//! `wsx test`: conversations written as files, run against real servers, with a report that
//! says which step failed and what arrived instead. Every file is parsed before any runs; the
//! files then run (`-j N` at once) on the client and session loop that `connect` uses.

pub mod matcher;
pub mod parse;
pub mod record;
pub mod report;
pub mod run;
pub mod script;
pub mod vars;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use futures_util::StreamExt;

use crate::error::{Error, Result};
use crate::output::{OutputOptions, Printer};
use parse::Script;
use run::{FileOutcome, RunOptions, Trace};

/// `wsx test`, validated.
#[derive(Debug)]
pub struct TestConfig {
    pub files: Vec<std::path::PathBuf>,
    pub options: RunOptions,
    pub jobs: usize,
    pub junit: Option<std::path::PathBuf>,
    pub jsonl: bool,
    pub verbose: bool,
    pub quiet: bool,
}

impl TryFrom<crate::cli::TestArgs> for TestConfig {
    type Error = Error;

    fn try_from(args: crate::cli::TestArgs) -> Result<Self> {
        let vars = args
            .vars
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if vars::is_name(name) => {
                    Ok((name.to_string(), value.to_string()))
                }
                _ => Err(Error::Usage(format!(
                    "--var takes NAME=VALUE, not '{pair}'"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        if args.jobs == 0 {
            return Err(Error::Usage("-j must be at least 1".into()));
        }
        if args.timeout.is_zero() {
            return Err(Error::Usage("--timeout must be more than 0".into()));
        }
        // Checked before any file runs: a suite should not pass, then fail on its report.
        if let Some(path) = &args.junit {
            if path.is_dir() {
                return Err(Error::Usage(format!(
                    "--junit FILE: {} is a directory",
                    path.display()
                )));
            }
            let parent = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty());
            if let Some(missing) = parent.filter(|parent| !parent.is_dir()) {
                return Err(Error::Usage(format!(
                    "--junit FILE: {} does not exist",
                    missing.display()
                )));
            }
        }
        Ok(TestConfig {
            files: args.files,
            options: RunOptions {
                timeout: args.timeout,
                vars,
            },
            jobs: args.jobs,
            junit: args.junit,
            jsonl: args.jsonl,
            verbose: args.verbose,
            quiet: args.quiet,
        })
    }
}

pub fn run(config: TestConfig) -> Result<ExitCode> {
    let scripts = match parse_all(&config.files) {
        Ok(scripts) => scripts,
        Err(report) => {
            eprint!("{report}");
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = crate::single_thread_runtime()?;
    let outcomes = runtime.block_on(run_all(&config, &scripts))?;
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.failed_step().is_some())
        .count();
    if let Some(path) = &config.junit {
        let xml = report::junit(&outcomes)
            .map_err(|error| Error::io("cannot write the JUnit report", error))?;
        std::fs::write(path, xml)
            .map_err(|error| Error::io(format!("cannot write {}", path.display()), error))?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every file, or every parse error (all of them, each with its line), as one report.
fn parse_all(files: &[std::path::PathBuf]) -> std::result::Result<Vec<Script>, String> {
    let mut scripts = Vec::new();
    let mut errors = String::new();
    for file in files {
        let path = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => match parse::parse(&path, &text) {
                Ok(script) => scripts.push(script),
                Err(error) => errors.push_str(&error.render()),
            },
            Err(error) => errors.push_str(&format!(
                "wsx: cannot read {path}: {}\n",
                crate::error::io_reason(&error)
            )),
        }
    }
    if errors.is_empty() {
        Ok(scripts)
    } else {
        Err(errors)
    }
}

async fn run_all(config: &TestConfig, scripts: &[Script]) -> Result<Vec<FileOutcome>> {
    // Dialling reports nothing of its own here: failures become the steps' reports.
    let printer = Printer::new(OutputOptions {
        quiet: true,
        ..OutputOptions::plain()
    })
    .map_err(|error| Error::io("cannot set up output", error))?;
    // The human report goes to stdout, or to stderr when stdout carries --jsonl.
    let human = move |text: &str| {
        if config.jsonl {
            let _ = std::io::stderr().write_all(text.as_bytes());
        } else {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        }
    };
    let trace: Option<Trace> = config.verbose.then(|| {
        let jsonl = config.jsonl;
        Arc::new(move |line: &str| {
            let line = format!("{line}\n");
            if jsonl {
                let _ = std::io::stderr().write_all(line.as_bytes());
            } else {
                let _ = std::io::stdout().write_all(line.as_bytes());
            }
        }) as Trace
    });
    let printer = Arc::new(printer);
    // Each file on a task of its own: a task woken by its connection runs at once, where
    // the runtime's main future would first poll the network again (an extra system call
    // per message).
    let mut running = futures_util::stream::iter(scripts.iter().cloned())
        .map(|script| {
            let (options, printer, trace) =
                (config.options.clone(), printer.clone(), trace.clone());
            tokio::spawn(async move { run::run_file(&script, &options, &printer, trace).await })
        })
        .buffered(config.jobs);
    let mut outcomes = Vec::new();
    while let Some(outcome) = running.next().await {
        let outcome = outcome
            .map_err(|error| Error::ConnectionLost(format!("a test file's run failed: {error}")))?;
        if config.jsonl {
            let mut stdout = std::io::stdout().lock();
            for step in &outcome.steps {
                let _ = writeln!(stdout, "{}", report::step_jsonl(&outcome.path, step));
            }
            let _ = writeln!(stdout, "{}", report::file_jsonl(&outcome));
            let _ = stdout.flush();
        }
        let failed = outcome.failed_step().is_some();
        if failed || !config.quiet {
            human(&report::file_report(&outcome));
        }
        outcomes.push(outcome);
    }
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.failed_step().is_some())
        .count();
    human(&report::summary(outcomes.len() - failed, failed));
    Ok(outcomes)
}
