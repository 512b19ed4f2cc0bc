// Package interop proves that wsactor talks to real WebSocket peers. It holds
// no library code, only tests: they start Node.js's ws (pinned in
// package.json and installed with `npm ci`), Debian's Python websockets and
// Debian's headless Chromium, and run the same scripted exchanges against
// wsactor as a server and, for ws and websockets, as a client.
//
// An exchange sends a text and then a binary message of each of the sizes 0,
// 1, 125, 126, 65535, 65536 bytes, 1 MiB and 16 MiB, checks every echo byte
// for byte on both sides, checks the negotiated subprotocol, and ends with a
// close code in one direction: wsactor closes with 4001 "bye" and the peer
// must see it, or the peer closes with 4002 "peer bye" and wsactor must
// report a *conn.CloseError carrying it. The peer programs live in peers/
// and describe their command line and their JSON reports at their top.
//
// Further exchanges run with permessage-deflate (RFC 7692): wsactor with
// and without context takeover, the peers with their library's defaults
// (Python's server limits its own window to 4 KiB) or asking for no context
// takeover, and wsactor alone wanting compression. Both ends report the
// extensions their handshake agreed on, and wsactor's end counts the bytes
// it reads and writes: a compressed exchange of more than a MiB must move
// less than a quarter of its payload each way, so both sides must really
// have compressed. Chromium, which always offers compression, runs the
// exchanges that fit what it offers.
//
// A test whose peer is not installed skips with a message naming what to
// install, except under CI=true, where it fails instead: CI installs every
// peer (see .ci/run) and must never pass by skipping.
//
// The package needs no Go module beyond the library's own, so it lives in
// the root module, where `go test ./...` runs it.
package interop
