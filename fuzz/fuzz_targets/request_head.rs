//! `serve` parses request heads itself before any upgrade: no panic on any bytes, and what
//! follows a complete head is kept for the WebSocket.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsx::protocol::handshake::parse_request;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(request)) = parse_request(data) {
        let _ = (request.path(), request.query(), request.wants_websocket());
        let _ = request.offered_subprotocols();
    }
});
