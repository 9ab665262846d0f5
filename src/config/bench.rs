//! `bench`: how to reach the endpoint (the same client as `connect`), and the workload.

use std::io::IsTerminal;

use crate::cli::BenchArgs;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::output::{OutputOptions, color_wanted};
use crate::protocol::{DEFAULT_MAX_FRAME_SIZE, Limits, SessionOptions};

use super::CLOSE_TIMEOUT;

/// `wsx bench`: how to connect, and the workload.
#[derive(Debug)]
pub struct BenchConfig {
    pub client: Client,
    pub session: SessionOptions,
    pub output: OutputOptions,
    pub connections: usize,
    pub messages: u64,
    pub size: usize,
    pub binary: bool,
    pub window: usize,
    pub rate: Option<f64>,
    /// Per connection, left out of the figures.
    pub warmup: u64,
    pub jsonl: bool,
    pub quiet: bool,
}

impl TryFrom<BenchArgs> for BenchConfig {
    type Error = Error;

    fn try_from(args: BenchArgs) -> Result<Self> {
        if args.connections == 0 || args.window == 0 {
            return Err(Error::Usage("-c and -W must be at least 1".into()));
        }
        if (args.messages as usize) < args.connections {
            return Err(Error::Usage(format!(
                "-n {} is fewer messages than -c {} connections",
                args.messages, args.connections
            )));
        }
        if args
            .rate
            .is_some_and(|rate| !(rate.is_finite() && rate > 0.0))
        {
            return Err(Error::Usage("--rate must be a positive number".into()));
        }
        let per_connection = args.messages / args.connections as u64;
        let limits = Limits::new(args.size.max(64 << 20), DEFAULT_MAX_FRAME_SIZE)
            .reading_echoes(args.size, args.window);
        if let Some(warmup) = args.warmup
            && warmup >= per_connection
        {
            return Err(Error::Usage(format!(
                "--warmup {warmup} leaves nothing to measure: each connection sends {per_connection} \
                 messages (-n / -c)"
            )));
        }
        Ok(BenchConfig {
            client: Client::new(&args.client, limits, false)?,
            session: SessionOptions {
                echo: false,
                count: None,
                ping_interval: None,
                close_timeout: CLOSE_TIMEOUT,
                limits,
            },
            output: OutputOptions {
                color: color_wanted(false, std::io::stderr().is_terminal()),
                quiet: args.quiet,
                jsonl: args.jsonl,
                ..OutputOptions::plain()
            },
            connections: args.connections,
            messages: args.messages,
            size: args.size,
            binary: args.binary,
            window: args.window,
            rate: args.rate,
            warmup: args.warmup.unwrap_or((per_connection / 20).min(1000)),
            jsonl: args.jsonl,
            quiet: args.quiet,
        })
    }
}
