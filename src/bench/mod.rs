//! `wsx bench`: drive an echo endpoint with `-c` connections, `-W` messages in flight on
//! each, check every echo byte for byte and in order, and report throughput and round-trip
//! latency. Each connection runs the same session loop as `connect`, so the client side is
//! as fast as wsx itself; one runtime thread leaves the other core to the server.

mod report;

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::BenchConfig;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::output::format::describe_close;
use crate::protocol::message::byte_count;
use crate::protocol::session::{self, outbox};
use crate::protocol::{Command, Ending, Event, EventSink, OutboxSender, Payload};
use report::Summary;

/// Distinct payloads cycled through: an echo that comes back out of order, or altered,
/// fails the byte-for-byte check. Sending shares these buffers instead of copying.
fn payload_ring(size: usize, binary: bool, count: usize) -> Vec<Payload> {
    (0..count)
        .map(|index| {
            let mut bytes: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
            let tag = format!("{index:08x}");
            let tagged = tag.len().min(size);
            bytes[..tagged].copy_from_slice(&tag.as_bytes()[..tagged]);
            if binary {
                Payload::binary(bytes)
            } else {
                Payload::text(String::from_utf8(bytes).unwrap_or_default())
            }
        })
        .collect()
}

pub fn run(config: BenchConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    let runtime = crate::single_thread_runtime()?;
    runtime.block_on(bench(config, printer))
}

/// What one connection measured.
struct ConnectionResult {
    latency: Histogram<u64>,
    measured: u64,
    first_send: Option<Instant>,
    last_echo: Option<Instant>,
    mismatches: u64,
    /// How the first mismatch differed, for the error line.
    first_mismatch: Option<String>,
    /// Why the connection ended before its last echo, if it did.
    dropped: Option<String>,
}

async fn bench(config: BenchConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    let config = Arc::new(config);
    let mut connections = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        connections.push(config.client.dial(&printer).await?);
    }
    let ring = Arc::new(payload_ring(
        config.size,
        config.binary,
        (config.window * 2).max(16),
    ));
    if !config.jsonl {
        // What is measured, before the wait: a long run shows what it is doing.
        printer.write_summary(&report::header(&report::Workload::of(&config)));
    }
    let progress = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(&config);
    let per_connection = config.messages / config.connections as u64;
    let mut tasks = JoinSet::new();
    for (index, connection) in connections.into_iter().enumerate() {
        // The remainder of an uneven split goes to the first connection.
        let extra = if index == 0 {
            config.messages % config.connections as u64
        } else {
            0
        };
        tasks.spawn(drive(
            connection.ws,
            config.clone(),
            ring.clone(),
            per_connection + extra,
            progress.clone(),
            printer.clone(),
        ));
    }
    let ticker = bar.clone().map(|bar| {
        let progress = progress.clone();
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        results.push(
            result.map_err(|error| Error::ConnectionLost(format!("bench task failed: {error}")))?,
        );
    }
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = summarize(&config, results);
    let output = if config.jsonl {
        format!("{}\n", report::jsonl(&summary))
    } else {
        report::text(&summary)
    };
    printer.write_summary(&output);
    if summary.has_errors() {
        return Err(Error::ConnectionLost(format!(
            "bench failed: {}",
            report::errors(&summary)
        )));
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(config: &BenchConfig) -> Option<ProgressBar> {
    if config.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(config.messages);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} echoes ({rate}, eta {eta})",
    ) {
        // indicatif's own {per_sec} shows four decimals.
        let style = style.with_key(
            "rate",
            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0}/s", state.per_sec());
            },
        );
        bar.set_style(style);
    }
    Some(bar)
}

fn summarize(config: &BenchConfig, results: Vec<ConnectionResult>) -> Summary {
    let mut latency = Histogram::new(3).expect("3 significant figures is valid");
    let mut measured = 0;
    let mut mismatches = 0;
    let mut first_mismatch = None;
    let mut dropped = 0;
    let mut first_drop = None;
    let mut first_send: Option<Instant> = None;
    let mut last_echo: Option<Instant> = None;
    for result in results {
        let _ = latency.add(&result.latency);
        measured += result.measured;
        mismatches += result.mismatches;
        first_mismatch = first_mismatch.or(result.first_mismatch);
        dropped += u64::from(result.dropped.is_some());
        first_drop = first_drop.or(result.dropped);
        first_send = match (first_send, result.first_send) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        last_echo = last_echo.max(result.last_echo);
    }
    let elapsed = match (first_send, last_echo) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    };
    Summary {
        workload: report::Workload::of(config),
        messages: measured,
        elapsed,
        latency,
        mismatches,
        first_mismatch,
        dropped,
        first_drop,
    }
}

/// Runs one connection: `window` messages go out first, then each echo, once checked against
/// what was sent in that position, releases the next message. With `--rate`, a paced producer
/// sends instead, still never more than `window` ahead.
async fn drive<S>(
    ws: crate::protocol::WebSocket<S>,
    config: Arc<BenchConfig>,
    ring: Arc<Vec<Payload>>,
    total: u64,
    progress: Arc<AtomicU64>,
    printer: Arc<Printer>,
) -> ConnectionResult
where
    S: crate::protocol::Transport,
{
    let (sender, mut outbox) = outbox(config.window + 1, usize::MAX);
    let window = Arc::new(Semaphore::new(0));
    let sent_at = Arc::new(Mutex::new(VecDeque::with_capacity(config.window)));
    let mut first = Vec::new();
    let producer = if config.rate.is_some() {
        window.add_permits(config.window);
        Some(tokio::spawn(produce(
            sender.clone(),
            config.clone(),
            ring.clone(),
            total,
            window.clone(),
            sent_at.clone(),
        )))
    } else {
        let now = Instant::now();
        for sequence in 0..total.min(config.window as u64) {
            lock(&sent_at).push_back(now);
            first.push(Command::Send(ring_payload(&ring, sequence)));
        }
        None
    };
    let mut sink = EchoChecker {
        echoes: Arc::new(AtomicU64::new(0)),
        paced: producer.is_some(),
        sent: first.len() as u64,
        sender,
        ring,
        sent_at,
        window,
        progress,
        total,
        warmup: config.warmup.min(total.saturating_sub(1)),
        received: 0,
        batch_read_at: None,
        result: ConnectionResult {
            latency: Histogram::new(3).expect("3 significant figures is valid"),
            measured: 0,
            first_send: None,
            last_echo: None,
            mismatches: 0,
            first_mismatch: None,
            dropped: None,
        },
    };
    let limit = stall_limit(&config);
    let watchdog = tokio::spawn(close_when_stalled(
        sink.sender.clone(),
        sink.echoes.clone(),
        limit,
        printer,
    ));
    let ending = session::run(ws, &config.session, &mut outbox, first, &mut sink).await;
    let stalled = watchdog.is_finished();
    watchdog.abort();
    if let Some(producer) = producer {
        producer.abort();
    }
    let mut result = sink.result;
    if !matches!(ending, Ending::Local { .. }) || sink.received < total {
        let how = match &ending {
            Ending::Local { .. } if stalled => format!(
                "closed by wsx bench: no echo within {:.0}s, the limit for a server that does not echo",
                limit.as_secs_f64()
            ),
            Ending::Local { .. } => "closed by wsx bench".to_string(),
            Ending::Peer { code, reason } => {
                format!(
                    "closed by the server with {}",
                    describe_close(*code, reason)
                )
            }
            Ending::Lost(detail) => detail.clone(),
            Ending::Failed(violation) => crate::error::describe_violation(violation),
        };
        result.dropped = Some(format!("{how} after {} of {total} echoes", sink.received));
    }
    result
}

/// How long a connection may go without an echo before it counts as dropped: a server that
/// does not echo must not leave `wsx bench` waiting forever.
fn stall_limit(config: &BenchConfig) -> Duration {
    let base = Duration::from_secs(10);
    match config.rate {
        // A slow --rate spaces the messages out: allow a few of those gaps on top.
        Some(rate) => base + Duration::from_secs_f64(3.0 * config.connections as f64 / rate),
        None => base,
    }
}

async fn close_when_stalled(
    sender: OutboxSender,
    echoes: Arc<AtomicU64>,
    limit: Duration,
    printer: Arc<Printer>,
) {
    let mut seen = echoes.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(limit).await;
        let now = echoes.load(Ordering::Relaxed);
        if now == seen {
            printer.warn(&format!(
                "no echo for {}s (the limit for a server that does not echo) after {now} echoes; \
                 closing the connection",
                limit.as_secs()
            ));
            let _ = sender.control(Command::normal_close());
            return;
        }
        seen = now;
    }
}

async fn produce(
    sender: OutboxSender,
    config: Arc<BenchConfig>,
    ring: Arc<Vec<Payload>>,
    total: u64,
    window: Arc<Semaphore>,
    sent_at: Arc<Mutex<VecDeque<Instant>>>,
) {
    let mut pacer = config.rate.map(|rate| {
        let per_connection = rate / config.connections as f64;
        tokio::time::interval(Duration::from_secs_f64(1.0 / per_connection))
    });
    for sequence in 0..total {
        let Ok(permit) = window.acquire().await else {
            return;
        };
        permit.forget();
        if let Some(pacer) = pacer.as_mut() {
            pacer.tick().await;
        }
        let payload = ring_payload(&ring, sequence);
        lock(&sent_at).push_back(Instant::now());
        if sender.send(Command::Send(payload)).await.is_err() {
            return;
        }
    }
}

fn ring_payload(ring: &[Payload], sequence: u64) -> Payload {
    ring[(sequence % ring.len() as u64) as usize].clone()
}

struct EchoChecker {
    /// Echoes on this connection, watched for stalls.
    echoes: Arc<AtomicU64>,
    /// A producer task sends (`--rate`); otherwise each echo sends the next message.
    paced: bool,
    sent: u64,
    sender: OutboxSender,
    ring: Arc<Vec<Payload>>,
    sent_at: Arc<Mutex<VecDeque<Instant>>>,
    window: Arc<Semaphore>,
    progress: Arc<AtomicU64>,
    total: u64,
    warmup: u64,
    received: u64,
    /// When the echoes being handled were read: one clock reading per batch of echoes that
    /// arrived together, not one per message.
    batch_read_at: Option<Instant>,
    result: ConnectionResult,
}

impl EventSink for EchoChecker {
    fn event(&mut self, event: Event) {
        let Event::Message(payload) = event else {
            return;
        };
        let now = *self.batch_read_at.get_or_insert_with(Instant::now);
        let sent = lock(&self.sent_at).pop_front();
        let expected = &self.ring[(self.received % self.ring.len() as u64) as usize];
        if payload != *expected {
            self.result.mismatches += 1;
            self.result
                .first_mismatch
                .get_or_insert_with(|| mismatch(self.received, &payload, expected));
        }
        if self.received >= self.warmup
            && let Some(sent) = sent
        {
            if self.received == self.warmup {
                self.result.first_send = Some(sent);
            }
            let micros = now.saturating_duration_since(sent).as_micros() as u64;
            let _ = self.result.latency.record(micros.max(1));
            self.result.measured += 1;
            self.result.last_echo = Some(now);
        }
        self.received += 1;
        self.echoes.store(self.received, Ordering::Relaxed);
        self.progress.fetch_add(1, Ordering::Relaxed);
        if self.paced {
            self.window.add_permits(1);
        }
        if self.received == self.total {
            let _ = self.sender.control(Command::normal_close());
        }
    }

    /// Unpaced, each echo releases the next message.
    fn answer(&mut self) -> Option<Payload> {
        if self.paced || self.sent >= self.total {
            return None;
        }
        let now = *self.batch_read_at.get_or_insert_with(Instant::now);
        lock(&self.sent_at).push_back(now);
        let payload = ring_payload(&self.ring, self.sent);
        self.sent += 1;
        Some(payload)
    }

    fn idle(&mut self) {
        self.batch_read_at = None;
    }
}

/// How an echo differs from what was sent: "echo 3 came back as text (sent binary)".
fn mismatch(index: u64, echo: &Payload, sent: &Payload) -> String {
    let kind = |payload: &Payload| match payload {
        Payload::Text(_) => "text",
        Payload::Binary(_) => "binary",
    };
    if kind(echo) != kind(sent) {
        return format!(
            "echo {index} came back as {} (sent {})",
            kind(echo),
            kind(sent)
        );
    }
    if echo.len() != sent.len() {
        return format!(
            "echo {index} came back with {} (sent {})",
            byte_count(echo.len()),
            byte_count(sent.len())
        );
    }
    format!("echo {index} came back with other bytes (or out of order)")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_payloads_differ_and_have_the_size() {
        let ring = payload_ring(32, false, 16);
        assert!(ring.iter().all(|payload| payload.len() == 32));
        assert_ne!(ring[0], ring[1]);
        assert_eq!(&ring[1].as_bytes()[..8], b"00000001");
        let tiny = payload_ring(3, true, 2);
        assert_eq!(tiny[1].as_bytes(), b"000");
    }
}
