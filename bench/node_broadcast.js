// A Node `ws` broadcast server for bench/fanout.sh: every message goes to every other client.
// Prints `listening on ws://127.0.0.1:PORT`.
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () => {
  process.stdout.write(`listening on ws://127.0.0.1:${server.address().port}\n`);
});
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of server.clients) {
      if (client !== ws && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
});
