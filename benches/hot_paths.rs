//! `cargo bench`: the pure hot spots that wsx optimises, measured alone. Whole-system speed
//! (wsx against websocat and others) is `bench/compare.sh`'s job.

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wsx::input::{line_to_payload, strip_line_ending};
use wsx::output::format;
use wsx::output::format::{BinaryFormat, StdoutFormat};
use wsx::protocol::session::{Command, outbox};
use wsx::protocol::{Event, Payload};

/// Pipe input framing: 10,000 stdin lines, some with `\r\n`, into text messages.
fn pipe_input(c: &mut Criterion) {
    let lines: Vec<Vec<u8>> = (0..10_000)
        .map(|i| {
            format!(
                "{{\"seq\":{i},\"op\":\"tick\"}}{}",
                if i % 2 == 0 { "\n" } else { "\r\n" }
            )
            .into_bytes()
        })
        .collect();
    let mut group = c.benchmark_group("pipe_input");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("10k lines to text messages", |b| {
        b.iter(|| {
            for line in &lines {
                let mut line = line.clone();
                strip_line_ending(&mut line);
                black_box(line_to_payload(line, false).ok());
            }
        })
    });
    group.finish();
}

/// What every received message costs on the way out: raw payload, JSONL, and the REPL line.
fn output_formatting(c: &mut Criterion) {
    let text = Event::Message(Payload::text(
        "{\"seq\":42,\"op\":\"tick\",\"data\":\"héllo wörld\"}",
    ));
    let binary = Event::Message(Payload::binary((0..=255u8).collect::<Vec<_>>()));
    let now = SystemTime::now();
    let mut group = c.benchmark_group("output");
    group.bench_function("pipe payload (binary as hex)", |b| {
        let Event::Message(payload) = &binary else {
            unreachable!()
        };
        let hex = StdoutFormat {
            binary: BinaryFormat::Hex,
            ..StdoutFormat::default()
        };
        b.iter(|| black_box(format::stdout_bytes(payload, hex)))
    });
    group.bench_function("jsonl text message", |b| {
        b.iter(|| black_box(format::jsonl(&text, now, Some(7))))
    });
    group.bench_function("jsonl binary message", |b| {
        b.iter(|| black_box(format::jsonl(&binary, now, None)))
    });
    group.finish();
}

/// Broadcast fan-out: one received message queued for 64 other clients. The payload is
/// shared, so this is 64 reference-count increments and queue pushes, not 64 copies.
fn broadcast_fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let mut clients: Vec<_> = (0..64).map(|_| outbox(1024, 16 << 20)).collect();
    let payload = Payload::binary(vec![7u8; 4096]);
    let mut group = c.benchmark_group("broadcast");
    group.throughput(Throughput::Elements(clients.len() as u64));
    group.bench_function("4 KiB message to 64 clients", |b| {
        b.iter(|| {
            for (sender, _) in &clients {
                let _ = sender.try_send(Command::Send(payload.clone()));
            }
            for (_, queue) in &mut clients {
                while let Some(command) = queue.try_recv() {
                    black_box(command);
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, pipe_input, output_formatting, broadcast_fan_out);
criterion_main!(benches);
