//! The raw TCP reference for `bench/compare.sh`: what loopback echo costs with no WebSocket
//! framing at all, so wsx's bulk throughput can be read as a fraction of it.
//!
//! `tcp_echo serve` prints `listening on tcp://127.0.0.1:PORT` and echoes every connection.
//! `tcp_echo bench ADDR CONNECTIONS WINDOW SIZE BLOCKS` sends BLOCKS blocks of SIZE bytes in
//! all, WINDOW in flight per connection, and prints the echoed MB/s.

use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match args.first().map(String::as_str) {
        Some("serve") => runtime.block_on(serve()),
        Some("bench") if args.len() == 6 => {
            let number = |i: usize| args[i].parse::<usize>().expect("a number");
            runtime.block_on(bench(&args[1], number(2), number(3), number(4), number(5)));
        }
        _ => {
            eprintln!("usage: tcp_echo serve | tcp_echo bench ADDR CONNECTIONS WINDOW SIZE BLOCKS");
            std::process::exit(2);
        }
    }
}

async fn serve() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    eprintln!(
        "listening on tcp://{}",
        listener.local_addr().expect("address")
    );
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            // A large buffer, as a fair ceiling: each read takes whatever has arrived.
            let mut buffer = vec![0u8; 256 * 1024];
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => {
                        if stream.write_all(&buffer[..read]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

async fn bench(addr: &str, connections: usize, window: usize, size: usize, blocks: usize) {
    let per_connection = blocks / connections;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let _ = stream.set_nodelay(true);
        tasks.push(tokio::spawn(run_connection(
            stream,
            window,
            size,
            per_connection,
        )));
    }
    for task in tasks {
        task.await.expect("connection task");
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = (per_connection * connections * size) as f64;
    println!("{:.2} MB/s", bytes / seconds / 1e6);
}

async fn run_connection(stream: TcpStream, window: usize, size: usize, blocks: usize) {
    let (mut reader, mut writer) = stream.into_split();
    let in_flight = Arc::new(Semaphore::new(window));
    let permits = in_flight.clone();
    let sender = tokio::spawn(async move {
        let block = vec![7u8; size];
        for _ in 0..blocks {
            permits.acquire().await.expect("semaphore").forget();
            writer.write_all(&block).await.expect("write");
        }
    });
    let mut buffer = vec![0u8; size];
    for _ in 0..blocks {
        reader.read_exact(&mut buffer).await.expect("read");
        in_flight.add_permits(1);
    }
    sender.await.expect("sender");
}
