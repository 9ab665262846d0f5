// Node `ws` echo server for wsx's interop tests (tests/interop.rs): a third-party peer.
// Listens on 127.0.0.1, port 0, and prints `listening on ws://127.0.0.1:PORT` on stdout.
// Echoes every message with its type (text/binary); picks the first subprotocol the client
// offers; the text `close-with <code> <reason>` makes it close with that code and reason,
// a bare `close-with` with a Close that has no code.
// Logs each connection (path, headers, subprotocol) and each close as a JSON line on stdout.
'use strict';
const { WebSocketServer } = require('ws');

const log = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (protocols) => (protocols.size > 0 ? protocols.values().next().value : false),
});

server.on('listening', () => {
  process.stdout.write(`listening on ws://127.0.0.1:${server.address().port}\n`);
});

server.on('connection', (ws, request) => {
  log({ event: 'connection', path: request.url, headers: request.headers, subprotocol: ws.protocol || null });
  ws.on('message', (data, isBinary) => {
    const command = isBinary ? null : /^close-with(?: (\d+) ?(.*))?$/s.exec(data.toString());
    if (command) {
      if (command[1] === undefined) ws.close();
      else ws.close(Number(command[1]), command[2]);
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
  ws.on('close', (code, reason) => log({ event: 'close', code, reason: reason.toString() }));
  ws.on('error', (error) => log({ event: 'error', message: error.message }));
});
