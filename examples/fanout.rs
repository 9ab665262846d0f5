//! The load generator of `bench/fanout.sh`: one publisher, many subscribers, every
//! subscriber checking that it got every message once and in order.
//!
//! `fanout SUBSCRIBE_URLS PUBLISH SUBSCRIBERS MESSAGES SIZE`
//! - SUBSCRIBE_URLS: `ws://…` URLs, comma-separated; subscribers are spread over them;
//! - PUBLISH: `ws:URL` (one WebSocket client that sends), `http:URL` (one `POST` a message
//!   over a connection of its own, as `curl` makes it, from 8 publishers at once), or
//!   `pool:URL` (the same over 8 kept-alive connections, as a backend's pooled HTTP client
//!   makes them); `FANOUT_PUBLISHERS=N` sets how many HTTP publishers (default 8).
//!
//! Prints one JSON object: deliveries per second (subscribers × messages over the time from
//! the first publish to the last delivery) and how many subscribers saw a gap or a duplicate.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Reads one HTTP answer: its head, then a body of its Content-Length. Nothing follows it,
/// since the next request waits for it.
fn read_answer(stream: &mut std::net::TcpStream) {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(read) => answer.extend_from_slice(&chunk[..read]),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [urls, publish, subscribers, messages, size] = args.as_slice() else {
        eprintln!(
            "usage: fanout SUBSCRIBE_URLS ws:URL|http:URL|pool:URL SUBSCRIBERS MESSAGES SIZE"
        );
        std::process::exit(2);
    };
    let urls: Vec<String> = urls.split(',').map(String::from).collect();
    let subscribers: usize = subscribers.parse().expect("SUBSCRIBERS");
    let messages: u64 = messages.parse().expect("MESSAGES");
    let size: usize = size.parse().expect("SIZE");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(urls, publish.clone(), subscribers, messages, size));
}

/// A plain ws:// connection (no TLS, no proxy: the servers are local).
async fn dial(
    url: &str,
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, Box<dyn std::error::Error>> {
    let parsed = url::Url::parse(url)?;
    let addr = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port_or_known_default().unwrap_or(80)
    );
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let _ = stream.set_nodelay(true);
    // tungstenite zeroes its read buffer before every read: the 128 KiB default would make
    // the load generator, not the server under test, the bound.
    let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    Ok(ws)
}

/// HTTP publishers at once (`FANOUT_PUBLISHERS`, 1 to 99, default 8); each one's messages
/// must arrive in its order.
fn http_publishers() -> u64 {
    std::env::var("FANOUT_PUBLISHERS")
        .ok()
        .and_then(|count| count.parse().ok())
        .filter(|count| (1..=99).contains(count))
        .unwrap_or(8)
}

/// Message `seq` of `publisher` as text: 2 digits, 10 digits, padded to `size` bytes.
fn message(publisher: u64, seq: u64, size: usize) -> String {
    let mut text = format!("{publisher:02}{seq:010}");
    text.extend(std::iter::repeat_n('x', size.saturating_sub(12)));
    text
}

async fn run(urls: Vec<String>, publish: String, subscribers: usize, messages: u64, size: usize) {
    let done = Arc::new(AtomicU64::new(0));
    let broken = Arc::new(AtomicU64::new(0));
    let all_done = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    for index in 0..subscribers {
        let url = urls[index % urls.len()].clone();
        let mut ws = dial(&url)
            .await
            .unwrap_or_else(|error| panic!("subscriber {index} to {url}: {error}"));
        let (done, broken, all_done) = (done.clone(), broken.clone(), all_done.clone());
        tasks.push(tokio::spawn(async move {
            // The next sequence number expected from each publisher.
            let mut expected = vec![1u64; 100];
            let mut received = 0;
            while received < messages {
                let Some(Ok(message)) = ws.next().await else {
                    broken.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let number = |range: std::ops::Range<usize>| -> Option<u64> {
                    text.get(range).and_then(|digits| digits.parse().ok())
                };
                let (publisher, seq) = (number(0..2).unwrap_or(99) as usize, number(2..12));
                let in_order = expected
                    .get(publisher)
                    .is_some_and(|next| Some(*next) == seq);
                if !in_order || text.len() != size.max(12) {
                    broken.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                expected[publisher] += 1;
                received += 1;
            }
            if done.fetch_add(1, Ordering::Relaxed) + 1 == subscribers as u64 {
                all_done.notify_one();
            }
            let _ = ws.close(None).await;
        }));
    }
    // The server registers a client once its upgrade is answered: a moment for the last ones.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let finished = all_done.notified();
    tokio::pin!(finished);
    let publishing = async {
        if let Some(url) = publish.strip_prefix("ws:") {
            let ws = dial(url).await.expect("publisher");
            let (mut write, mut read) = ws.split();
            // What a broadcast server echoes back to its publisher is read and dropped.
            tokio::spawn(async move { while read.next().await.is_some() {} });
            for seq in 1..=messages {
                write
                    .feed(Message::text(message(0, seq, size)))
                    .await
                    .expect("publish");
            }
            write.flush().await.expect("publish");
            std::future::pending::<()>().await;
        } else if let Some((pooled, url)) = publish
            .strip_prefix("http:")
            .map(|url| (false, url))
            .or_else(|| publish.strip_prefix("pool:").map(|url| (true, url)))
        {
            let target = url::Url::parse(url).expect("publish URL");
            let addr = format!(
                "{}:{}",
                target.host_str().unwrap_or("127.0.0.1"),
                target.port_or_known_default().unwrap_or(80)
            );
            let path = target.path().to_string();
            let count = http_publishers();
            let publishers: Vec<_> = (0..count)
                .map(|publisher| {
                    let (addr, path) = (addr.clone(), path.clone());
                    // An even share; the first publisher takes what does not divide.
                    let share =
                        messages / count + if publisher == 0 { messages % count } else { 0 };
                    tokio::task::spawn_blocking(move || {
                        let mut kept = None;
                        for seq in 1..=share {
                            let body = message(publisher, seq, size);
                            let connection = if pooled { "keep-alive" } else { "close" };
                            // One write, as an HTTP client library makes it: small writes in
                            // a row would wait on delayed ACKs.
                            let request = format!(
                                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: {connection}\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            let stream = kept.get_or_insert_with(|| {
                                std::net::TcpStream::connect(&addr).expect("POST")
                            });
                            stream.write_all(request.as_bytes()).expect("POST");
                            read_answer(stream);
                            if !pooled {
                                kept = None;
                            }
                        }
                    })
                })
                .collect();
            for publisher in publishers {
                publisher.await.expect("publisher");
            }
            std::future::pending::<()>().await;
        } else {
            panic!("PUBLISH is ws:URL, http:URL or pool:URL");
        }
    };
    tokio::select! {
        () = publishing => {}
        () = &mut finished => {}
        () = tokio::time::sleep(Duration::from_secs(120)) => {
            eprintln!("fanout: not every subscriber got every message within 120 s");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = done.load(Ordering::Relaxed) - broken.load(Ordering::Relaxed);
    println!(
        "{{\"deliveries_per_s\":{:.0},\"subscribers\":{subscribers},\"messages\":{messages},\"complete\":{delivered},\"broken\":{}}}",
        (delivered * messages) as f64 / elapsed,
        broken.load(Ordering::Relaxed)
    );
    for task in tasks {
        task.abort();
    }
}
