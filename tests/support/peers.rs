//! Small scripted peers on 127.0.0.1:0 for behaviour no well-behaved server shows on demand:
//! refusing the upgrade, closing with an error code, answering the handshake late, dropping
//! a connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

/// Accepts connections on a fresh port and runs `handler` for each on its own thread.
pub fn spawn_tcp_server<F>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) + Send + Sync + Clone + 'static,
{
    spawn_tcp_server_on(TcpListener::bind("127.0.0.1:0").unwrap(), handler)
}

/// [`spawn_tcp_server`] on a listener the test bound itself (to a name, say).
pub fn spawn_tcp_server_on<F>(listener: TcpListener, handler: F) -> SocketAddr
where
    F: Fn(TcpStream) + Send + Sync + Clone + 'static,
{
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let handler = handler.clone();
            thread::spawn(move || handler(stream));
        }
    });
    addr
}

/// A WebSocket server whose per-connection behaviour is `handler`.
pub fn spawn_ws_server<F>(handler: F) -> SocketAddr
where
    F: Fn(WebSocket<TcpStream>) + Send + Sync + Clone + 'static,
{
    spawn_tcp_server(move |stream| {
        if let Ok(ws) = tungstenite::accept(stream) {
            handler(ws);
        }
    })
}

/// Echoes every data message until the peer closes.
pub fn echo(mut ws: WebSocket<TcpStream>) {
    loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(message).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// A server that fails its first client: it reads one message, reports it, and drops the
/// TCP connection without a Close (1006 for the client). Later clients get an echo, and
/// every message they send is reported too. Reports are `(connection number, message)`,
/// numbered from 1.
pub fn spawn_dropping_once_server() -> (SocketAddr, Receiver<(usize, String)>) {
    let (sender, receiver) = mpsc::channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let addr = spawn_ws_server(move |mut ws| {
        let number = connections.fetch_add(1, Ordering::SeqCst) + 1;
        loop {
            let message = match ws.read() {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
                Ok(_) => continue,
                Err(_) => return,
            };
            let text = String::from_utf8_lossy(&message.clone().into_data()).into_owned();
            let _ = sender.send((number, text));
            if number == 1 || ws.send(message).is_err() {
                // Returning drops the socket: no Close frame.
                return;
            }
        }
    });
    (addr, receiver)
}

/// Answers any request with a plain HTTP status instead of 101.
pub fn spawn_http_status_server(status_line: &'static str, body: &'static str) -> SocketAddr {
    spawn_tcp_server(move |mut stream| {
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer);
        let response = format!(
            "HTTP/1.1 {status_line}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nX-Test: yes\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes());
    })
}

/// Reads one message, then closes with `code` and `reason`.
pub fn spawn_closing_server(code: u16, reason: &'static str) -> SocketAddr {
    spawn_ws_server(move |mut ws| {
        let _ = ws.read();
        let _ = ws.close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        }));
        // Finish the close handshake: read until the peer's Close has arrived.
        while ws.read().is_ok() {}
    })
}

/// Waits `delay` after the TCP accept before answering the upgrade, then echoes.
pub fn spawn_slow_handshake_echo(delay: Duration) -> SocketAddr {
    spawn_tcp_server(move |stream| {
        thread::sleep(delay);
        if let Ok(ws) = tungstenite::accept(stream) {
            echo(ws);
        }
    })
}

/// A tungstenite client of a wsx server, for tests that need to see frames exactly.
pub fn ws_client(url: &str) -> WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>> {
    let (ws, _) = tungstenite::connect(url).expect("connect to wsx serve");
    ws
}

/// Reads the next data message as text, skipping control frames.
pub fn read_text<S: Read + Write>(ws: &mut WebSocket<S>) -> String {
    loop {
        match ws.read().expect("read a message") {
            Message::Text(text) => return text.to_string(),
            Message::Binary(data) => return String::from_utf8_lossy(&data).into_owned(),
            _ => {}
        }
    }
}
