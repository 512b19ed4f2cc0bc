"""A Python `websockets` peer for wsactor's interoperability tests.

Run it with Debian's interpreter, which sees Debian's python3-websockets:

Server role:
    /usr/bin/python3 websockets_peer.py server --protocols chat.v2,chat.v3
listens on 127.0.0.1 (a free port), prints {"port": N} as its first line,
echoes every message with its own type, chooses the first of its protocols
that the client offered, and closes with a code and reason when it receives
the text message "interop:close CODE REASON". When a connection ends it
prints one line describing what it saw:
    {"event": "closed", "path": ..., "protocol": ...,
     "received": [{type, size, sha256}], "close": {"code": ..., "reason": ...}}
It exits when its standard input is closed.

Both roles take --deflate off|on|nocontext (default off): permessage-deflate
disabled, enabled with websockets' defaults (which limit the server's window
to 4 KiB), or enabled asking both sides not to take over their compression
context. The server's closed event and the client's report carry
"extensions", the Sec-WebSocket-Extensions field of the handshake's response
("" for none).

Client role:
    /usr/bin/python3 websockets_peer.py client --url URL --protocols a,b \
        --sizes 0,1,125 --close wait|CODE:REASON
connects, sends a text and then a binary message of each size, checks that
each echo matches what it sent, then either waits for the server to close
("wait") or closes with the given code and reason, and prints one JSON line:
    {"protocol": ..., "messages": [{type, size, ok, detail}],
     "close": {"code": ..., "reason": ...}, "error": ...}

Payloads are the same in every peer: a text message of n bytes is the
10-byte unit "ü€😀-" repeated n // 10 times followed by n % 10 letters "a";
a binary message of n bytes has byte i equal to i % 251.
"""

import asyncio
import hashlib
import json
import sys
import threading

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

MAX_SIZE = 64 << 20
TEXT_UNIT = "ü€😀-"
TEXT_UNIT_BYTES = len(TEXT_UNIT.encode("utf-8"))
BINARY_PERIOD = bytes(range(251))
CLOSE_COMMAND = "interop:close "


def text_payload(n):
    return TEXT_UNIT * (n // TEXT_UNIT_BYTES) + "a" * (n % TEXT_UNIT_BYTES)


def binary_payload(n):
    return (BINARY_PERIOD * (n // len(BINARY_PERIOD) + 1))[:n]


def deflate_options(mode, server):
    """The keyword arguments of serve or connect for a --deflate mode."""
    mode = mode or "off"
    if mode == "off":
        return {"compression": None}
    if mode == "on":
        return {"compression": "deflate"}
    if mode == "nocontext":
        factory = ServerPerMessageDeflateFactory if server else ClientPerMessageDeflateFactory
        return {
            "compression": None,
            "extensions": [factory(server_no_context_takeover=True, client_no_context_takeover=True)],
        }
    raise SystemExit(f"bad --deflate {mode}")


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def parse_args(argv):
    if not argv:
        raise SystemExit("usage: websockets_peer.py server|client [--flag value]...")
    args = {"role": argv[0]}
    rest = argv[1:]
    if len(rest) % 2 or any(not k.startswith("--") for k in rest[::2]):
        raise SystemExit(f"bad arguments: {rest}")
    for key, value in zip(rest[::2], rest[1::2]):
        args[key[2:]] = value
    return args


def split_list(s):
    return [x for x in (s or "").split(",") if x]


def first_of_mine(mine):
    def select(client_protocols, _server_protocols):
        for p in mine:
            if p in client_protocols:
                return p
        return None

    return select


async def serve_connection(ws):
    received = []
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith(CLOSE_COMMAND):
                code, _, reason = msg[len(CLOSE_COMMAND):].partition(" ")
                await ws.close(int(code), reason)
                break
            data = msg.encode("utf-8") if isinstance(msg, str) else msg
            received.append({
                "type": "text" if isinstance(msg, str) else "binary",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit({
        "event": "closed",
        "path": ws.path,
        "protocol": ws.subprotocol or "",
        "extensions": ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        "received": received,
        "close": {"code": ws.close_code, "reason": ws.close_reason or ""},
    })


async def run_server(args):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def wait_stdin():
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

    threading.Thread(target=wait_stdin, daemon=True).start()
    mine = split_list(args.get("protocols"))
    async with websockets.serve(
        serve_connection,
        "127.0.0.1",
        0,
        subprotocols=mine,
        select_subprotocol=first_of_mine(mine),
        max_size=MAX_SIZE,
        **deflate_options(args.get("deflate"), server=True),
    ) as server:
        port = server.sockets[0].getsockname()[1]
        emit({"port": port})
        await stop


async def run_client(args):
    script = []
    for n in (int(s) for s in split_list(args.get("sizes"))):
        script.append(("text", n, text_payload(n)))
        script.append(("binary", n, binary_payload(n)))
    report = {"protocol": "", "extensions": "", "messages": [], "close": None, "error": ""}
    try:
        ws = await websockets.connect(
            args["url"],
            subprotocols=split_list(args.get("protocols")) or None,
            max_size=MAX_SIZE,
            **deflate_options(args.get("deflate"), server=False),
        )
    except Exception as e:  # report any failure to connect to the Go test
        report["error"] = f"connect: {e!r}"
        emit(report)
        return
    report["protocol"] = ws.subprotocol or ""
    report["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
    try:
        for kind, size, data in script:
            await ws.send(data)
            echo = await ws.recv()
            entry = {"type": kind, "size": size, "ok": True, "detail": ""}
            if echo != data:
                got = "text" if isinstance(echo, str) else "binary"
                entry["ok"] = False
                entry["detail"] = f"echo was {got} of {len(echo)} units"
            report["messages"].append(entry)
        if args.get("close") == "wait":
            try:
                msg = await ws.recv()
                report["error"] = f"unexpected message of {len(msg)} units after the script"
            except websockets.ConnectionClosed:
                pass
        else:
            code, _, reason = args["close"].partition(":")
            await ws.close(int(code), reason)
    except websockets.ConnectionClosed as e:
        report["error"] = f"connection closed during the script: {e!r}"
    await ws.wait_closed()
    report["close"] = {"code": ws.close_code, "reason": ws.close_reason or ""}
    emit(report)


def main():
    args = parse_args(sys.argv[1:])
    if args["role"] == "server":
        asyncio.run(run_server(args))
    elif args["role"] == "client":
        asyncio.run(run_client(args))
    else:
        raise SystemExit("usage: websockets_peer.py server|client [--flag value]...")


if __name__ == "__main__":
    main()
