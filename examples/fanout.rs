//! The load generator of `bench/fanout.sh`: one publisher, many subscribers, every
//! subscriber checking that it got every message once and in order.
//!
//! `fanout SUBSCRIBE_URLS PUBLISH SUBSCRIBERS MESSAGES SIZE`
//! - SUBSCRIBE_URLS: `ws://…` URLs, comma-separated; subscribers are spread over them;
//! - PUBLISH: `ws:URL` (a WebSocket client that sends), or `http:URL` (one `POST` a message);
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [urls, publish, subscribers, messages, size] = args.as_slice() else {
        eprintln!("usage: fanout SUBSCRIBE_URLS ws:URL|http:URL SUBSCRIBERS MESSAGES SIZE");
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
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await?;
    Ok(ws)
}

/// Message `seq` as text: its number in 10 digits, padded to `size` bytes.
fn message(seq: u64, size: usize) -> String {
    let mut text = format!("{seq:010}");
    text.extend(std::iter::repeat_n('x', size.saturating_sub(10)));
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
            let mut expected = 1;
            while expected <= messages {
                let Some(Ok(message)) = ws.next().await else {
                    broken.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let seq: u64 = text
                    .get(..10)
                    .and_then(|digits| digits.parse().ok())
                    .unwrap_or(0);
                if seq != expected || text.len() != size.max(10) {
                    broken.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                expected += 1;
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
                    .feed(Message::text(message(seq, size)))
                    .await
                    .expect("publish");
            }
            write.flush().await.expect("publish");
            std::future::pending::<()>().await;
        } else if let Some(url) = publish.strip_prefix("http:") {
            let target = url::Url::parse(url).expect("publish URL");
            let addr = format!(
                "{}:{}",
                target.host_str().unwrap_or("127.0.0.1"),
                target.port_or_known_default().unwrap_or(80)
            );
            let path = target.path().to_string();
            tokio::task::spawn_blocking(move || {
                for seq in 1..=messages {
                    let body = message(seq, size);
                    let mut stream = std::net::TcpStream::connect(&addr).expect("POST");
                    write!(
                        stream,
                        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .expect("POST");
                    let mut answer = Vec::new();
                    let _ = stream.read_to_end(&mut answer);
                }
            })
            .await
            .expect("publisher");
            std::future::pending::<()>().await;
        } else {
            panic!("PUBLISH is ws:URL or http:URL");
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
