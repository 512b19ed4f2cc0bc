// ws_peer.mjs: a Node.js `ws` peer for wsactor's interoperability tests.
//
// Server role:
//   node ws_peer.mjs server --protocols chat.v2,chat.v3
// listens on 127.0.0.1 (a free port), prints {"port": N} as its first line,
// echoes every message with its own type, chooses the first of its
// protocols that the client offered, and closes with a code and reason when
// it receives the text message "interop:close CODE REASON". When a
// connection ends it prints one line describing what it saw:
//   {"event":"closed","path":...,"protocol":...,"received":[{type,size,sha256}],
//    "close":{"code":...,"reason":...}}
// It exits when its standard input is closed.
//
// Both roles take --deflate off|on|nocontext (default off): permessage-deflate
// disabled, enabled with ws's defaults but compressing every message, or
// enabled asking both sides not to take over their compression context. The
// server's closed event and the client's report carry "extensions", the
// Sec-WebSocket-Extensions field of the handshake's response ("" for none).
//
// Client role:
//   node ws_peer.mjs client --url URL --protocols a,b --sizes 0,1,125 --close wait
//   node ws_peer.mjs client --url URL --protocols a,b --sizes 0,1,125 --close 4002:reason
// connects, sends a text and then a binary message of each size, checks that
// each echo matches what it sent, then either waits for the server to close
// ("wait") or closes with the given code and reason, and prints one JSON line:
//   {"protocol":...,"messages":[{type,size,ok,detail}],"close":{"code","reason"},"error":...}
//
// Payloads are the same in every peer: a text message of n bytes is the
// 10-byte unit "ü€😀-" repeated n/10 times followed by n%10 letters "a"; a
// binary message of n bytes has byte i equal to i % 251.

import { createHash } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';

const MAX_PAYLOAD = 64 << 20;
const TEXT_UNIT = 'ü€😀-';
const TEXT_UNIT_BYTES = Buffer.byteLength(TEXT_UNIT);
const CLOSE_COMMAND = 'interop:close ';

function textPayload(n) {
  const k = Math.floor(n / TEXT_UNIT_BYTES);
  return Buffer.from(TEXT_UNIT.repeat(k) + 'a'.repeat(n % TEXT_UNIT_BYTES), 'utf8');
}

function binaryPayload(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function parseArgs(argv) {
  const args = { role: argv[0] };
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

function list(s) {
  return s ? s.split(',').filter((x) => x !== '') : [];
}

function deflateOption(mode) {
  switch (mode ?? 'off') {
    case 'off':
      return false;
    case 'on':
      return { threshold: 0 };
    case 'nocontext':
      return { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };
  }
  throw new Error(`bad --deflate ${mode}`);
}

function extensionsField(headers) {
  const prefix = 'sec-websocket-extensions:';
  const line = headers.find((h) => h.toLowerCase().startsWith(prefix));
  return line ? line.slice(prefix.length).trim() : '';
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function runServer(args) {
  const mine = list(args.protocols);
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: deflateOption(args.deflate),
    handleProtocols: (offered) => mine.find((p) => offered.has(p)) ?? false,
  });
  const answered = new WeakMap(); // request -> its response's extensions
  wss.on('headers', (headers, req) => answered.set(req, extensionsField(headers)));
  wss.on('listening', () => print({ port: wss.address().port }));
  wss.on('connection', (ws, req) => {
    const received = [];
    const extensions = answered.get(req) ?? '';
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const s = data.toString('utf8');
        if (s.startsWith(CLOSE_COMMAND)) {
          const rest = s.slice(CLOSE_COMMAND.length);
          const sp = rest.indexOf(' ');
          const code = Number(sp < 0 ? rest : rest.slice(0, sp));
          ws.close(code, sp < 0 ? '' : rest.slice(sp + 1));
          return;
        }
      }
      received.push({ type: isBinary ? 'binary' : 'text', size: data.length, sha256: sha256(data) });
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      print({
        event: 'closed',
        path: req.url,
        protocol: ws.protocol,
        extensions,
        received,
        close: { code, reason: reason.toString('utf8') },
      });
    });
    ws.on('error', (err) => print({ event: 'error', path: req.url, error: String(err) }));
  });
  process.stdin.on('end', () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
  });
  process.stdin.resume();
}

function runClient(args) {
  const sizes = list(args.sizes).map(Number);
  const script = [];
  for (const n of sizes) {
    script.push({ type: 'text', size: n, data: textPayload(n) });
    script.push({ type: 'binary', size: n, data: binaryPayload(n) });
  }
  const report = { protocol: '', extensions: '', messages: [], close: null, error: '' };
  const ws = new WebSocket(args.url, list(args.protocols), {
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: deflateOption(args.deflate),
  });
  ws.on('upgrade', (res) => {
    report.extensions = res.headers['sec-websocket-extensions'] ?? '';
  });
  let next = 0;
  const finish = () => {
    print(report);
    process.exit(0);
  };
  const sendNext = () => {
    if (next < script.length) {
      const m = script[next];
      ws.send(m.data, { binary: m.type === 'binary' });
      return;
    }
    if (args.close !== 'wait') {
      const colon = args.close.indexOf(':');
      ws.close(Number(args.close.slice(0, colon)), args.close.slice(colon + 1));
    }
  };
  ws.on('open', () => {
    report.protocol = ws.protocol;
    sendNext();
  });
  ws.on('message', (data, isBinary) => {
    const want = script[next];
    if (want === undefined) {
      report.error = `unexpected message of ${data.length} bytes after the script`;
      return;
    }
    const type = isBinary ? 'binary' : 'text';
    const entry = { type: want.type, size: want.size, ok: true, detail: '' };
    if (type !== want.type || !want.data.equals(data)) {
      entry.ok = false;
      entry.detail = `echo was ${type} of ${data.length} bytes`;
    }
    report.messages.push(entry);
    next++;
    sendNext();
  });
  ws.on('close', (code, reason) => {
    report.close = { code, reason: reason.toString('utf8') };
    finish();
  });
  ws.on('error', (err) => {
    report.error = String(err);
  });
}

const args = parseArgs(process.argv.slice(2));
if (args.role === 'server') {
  runServer(args);
} else if (args.role === 'client') {
  runClient(args);
} else {
  process.stderr.write('usage: ws_peer.mjs server|client [--flag value]...\n');
  process.exit(2);
}
