// Node `ws` client for wsx's interop tests (tests/interop.rs): a third-party peer.
// Usage: node ws_client.js [--protocol P]... URL N [MSG]...
// On open prints `open <subprotocol|->`, sends each MSG, then each stdin line as text.
// MSG forms: `text`, `bin:<hex>`, `big:<bytes>` / `bigbin:<bytes>` (generated payloads),
// `frag:a|b|c` (one text message sent as three frames), `ping:<text>`.
// Prints each received message as `text <data>` / `binary <hex>` (over 1 KiB:
// `<type> <len> bytes, same as sent` or `..., unlike anything sent`), and `pong <text>`.
// Once it has N messages, every pong, and stdin has ended, it closes with 1000, prints
// `close <code> <reason>` for the peer's Close it observed (or the peer's own Close), exits 0.
'use strict';
const WebSocket = require('ws');
const readline = require('readline');

const args = process.argv.slice(2);
const protocols = [];
while (args[0] === '--protocol') protocols.push(args.splice(0, 2)[1]);
const [url, count, ...messages] = args;
const wanted = Number(count);
const out = (line) => process.stdout.write(line + '\n');
setTimeout(() => { out('timeout'); process.exit(3); }, 30000).unref();

const pattern = (n, binary) => Buffer.from(Array.from({ length: n }, (_, i) => (binary ? i % 251 : 97 + (i % 26))));
const sent = [];
let received = 0;
let pings = 0;
let inputEnded = false;

const ws = new WebSocket(url, protocols, { maxPayload: 64 * 1024 * 1024 });
const maybeClose = () => {
  if (received >= wanted && pings === 0 && inputEnded && ws.readyState === WebSocket.OPEN) ws.close(1000, 'done');
};
const send = (message) => {
  let m;
  if ((m = /^bin:(.*)$/s.exec(message))) ws.send(remember(Buffer.from(m[1], 'hex')), { binary: true });
  else if ((m = /^big:(\d+)$/.exec(message))) ws.send(remember(pattern(Number(m[1]), false)), { binary: false });
  else if ((m = /^bigbin:(\d+)$/.exec(message))) ws.send(remember(pattern(Number(m[1]), true)), { binary: true });
  else if ((m = /^ping:(.*)$/s.exec(message))) { pings++; ws.ping(m[1]); }
  else if ((m = /^frag:(.*)$/s.exec(message))) {
    const parts = m[1].split('|');
    remember(Buffer.from(parts.join('')));
    parts.forEach((part, i) => ws.send(part, { binary: false, fin: i === parts.length - 1 }));
  } else ws.send(remember(Buffer.from(message)), { binary: false });
};
const remember = (buffer) => { sent.push(buffer); return buffer; };

ws.on('open', () => {
  out(`open ${ws.protocol || '-'}`);
  messages.forEach(send);
  readline
    .createInterface({ input: process.stdin })
    .on('line', (line) => ws.readyState === WebSocket.OPEN && send(line))
    .on('close', () => { inputEnded = true; maybeClose(); });
});
ws.on('message', (data, isBinary) => {
  const type = isBinary ? 'binary' : 'text';
  if (data.length > 1024) {
    const same = sent.some((s) => s.equals(data));
    out(`${type} ${data.length} bytes, ${same ? 'same as sent' : 'unlike anything sent'}`);
  } else out(`${type} ${isBinary ? data.toString('hex') : data.toString()}`);
  received++;
  maybeClose();
});
ws.on('pong', (data) => { out(`pong ${data.toString()}`); pings--; maybeClose(); });
ws.on('close', (code, reason) => { out(`close ${code} ${reason.toString()}`); process.exit(0); });
ws.on('error', (error) => { out(`error ${error.message}`); process.exit(1); });
