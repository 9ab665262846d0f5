//! The options of `bench` and `test`.

use clap::Args;

use super::{ClientArgs, parse_duration, parse_size};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Connections to open
    #[arg(short = 'c', long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Messages to send in all, shared among the connections
    #[arg(short = 'n', long, default_value_t = 100_000, value_name = "N")]
    pub messages: u64,

    /// Payload size of each message
    #[arg(long, default_value = "32", value_name = "BYTES", value_parser = parse_size)]
    pub size: usize,

    /// Send binary messages instead of text
    #[arg(short, long)]
    pub binary: bool,

    /// Messages in flight per connection
    #[arg(short = 'W', long, default_value_t = 64, value_name = "W")]
    pub window: usize,

    /// Send at most this many messages per second in all
    #[arg(long, value_name = "MSGS_PER_SEC")]
    pub rate: Option<f64>,

    /// Messages per connection sent first and left out of the figures
    #[arg(long, value_name = "N")]
    pub warmup: Option<u64>,

    /// Print the summary as one JSON object
    #[arg(long)]
    pub jsonl: bool,

    /// No progress bar or diagnostics on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files to run, in order
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,

    /// Set a variable for {{NAME}} (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// How long expect and await wait (a file's timeout steps change it)
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Files to run at once (the report keeps their order)
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 1)]
    pub jobs: usize,

    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,

    /// One JSON object per step and per file on stdout (the report goes to stderr)
    #[arg(long)]
    pub jsonl: bool,

    /// Print every step and every message as it happens
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print only failures and the summary
    #[arg(short, long)]
    pub quiet: bool,
}
