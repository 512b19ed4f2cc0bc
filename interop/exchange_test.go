package interop

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// The sizes every full exchange sends, each as a text and a binary message:
// the edges of the three payload length encodings, and two large messages.
var allSizes = []int{0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20}

// The close codes of the two directions.
const (
	wsactorCloseCode   frames.CloseCode = 4001
	wsactorCloseReason                  = "bye"
	peerCloseCode      frames.CloseCode = 4002
	peerCloseReason                     = "peer bye"
)

// serverProtocols are the subprotocols every server in these tests speaks,
// wsactor's and the peers' alike.
var serverProtocols = []string{"chat.v2", "chat.v3"}

// closer says which side ends an exchange.
type closer int

const (
	wsactorCloses closer = iota // wsactor closes with 4001 "bye"
	peerCloses                  // the peer closes with 4002 "peer bye"
)

// exchange is one scripted conversation over one connection.
type exchange struct {
	name     string
	path     string   // the request path, which tells the server the script
	offer    []string // the subprotocols the client offers
	protocol string   // the subprotocol the handshake must choose
	sizes    []int
	closedBy closer
	// deflate is wsactor's permessage-deflate configuration, nil for none.
	deflate *conn.CompressionOptions
	// peerDeflate is the peers' --deflate mode: "" (off), "on" or
	// "nocontext". Chromium always offers compression and cannot be told
	// otherwise: it runs only the exchanges whose mode is "on" or whose
	// wsactor end does not compress.
	peerDeflate string
}

// Peer modes of permessage-deflate (the peers' --deflate flag).
const (
	peerDeflateOn        = "on"        // enabled, the peer library's defaults
	peerDeflateNoContext = "nocontext" // enabled, no context takeover either way
)

// exchanges are the conversations every peer has with wsactor: a full one
// where the client's second choice of subprotocol wins and wsactor closes,
// and a short one without subprotocols where the peer closes. (Offering
// subprotocols of which the server speaks none is no exchange: Node's ws
// fails a handshake whose response names no subprotocol when it offered
// some, though RFC 6455 allows the server to choose none.)
var exchanges = []exchange{
	{
		name:     "full",
		path:     "/full",
		offer:    []string{"chat.v1", "chat.v2"},
		protocol: "chat.v2",
		sizes:    allSizes,
		closedBy: wsactorCloses,
	},
	{
		name:     "short",
		path:     "/short",
		offer:    nil,
		protocol: "",
		sizes:    []int{0, 1, 125, 126},
		closedBy: peerCloses,
	},
	{
		// Compression as both ends have it by default once enabled:
		// wsactor without context takeover, the peer with.
		name:        "deflate",
		path:        "/deflate",
		offer:       []string{"chat.v2"},
		protocol:    "chat.v2",
		sizes:       allSizes,
		closedBy:    wsactorCloses,
		deflate:     &conn.CompressionOptions{},
		peerDeflate: peerDeflateOn,
	},
	{
		// Context takeover on both ends, every message compressed.
		name:        "deflate-takeover",
		path:        "/deflate-takeover",
		sizes:       []int{0, 1, 125, 126, 1000, 4096, 65535, 65536, 1 << 20},
		closedBy:    peerCloses,
		deflate:     &conn.CompressionOptions{ContextTakeover: true, Threshold: -1},
		peerDeflate: peerDeflateOn,
	},
	{
		// wsactor would take over its context, the peer asks it not to.
		name:        "deflate-peer-no-context",
		path:        "/deflate-peer-no-context",
		sizes:       []int{0, 1, 126, 4096, 65536, 1 << 20},
		closedBy:    wsactorCloses,
		deflate:     &conn.CompressionOptions{ContextTakeover: true},
		peerDeflate: peerDeflateNoContext,
	},
	{
		// Only wsactor wants compression: the exchange runs without.
		name:     "deflate-wsactor-only",
		path:     "/deflate-wsactor-only",
		sizes:    []int{0, 1, 126, 65536},
		closedBy: wsactorCloses,
		deflate:  &conn.CompressionOptions{},
	},
}

// compressed reports whether ex's handshake must agree on
// permessage-deflate.
func (ex exchange) compressed() bool { return ex.deflate != nil && ex.peerDeflate != "" }

// inBrowser reports whether Chromium, which always offers compression, can
// run ex.
func (ex exchange) inBrowser() bool { return ex.deflate == nil || ex.peerDeflate == peerDeflateOn }

// wsactorOptions are the options of ex's wsactor end.
func (ex exchange) wsactorOptions() []conn.Option {
	if ex.deflate == nil {
		return nil
	}
	return []conn.Option{conn.WithCompression(*ex.deflate)}
}

// peerDeflateArg is the peers' --deflate flag.
func (ex exchange) peerDeflateArg() string { return cmp.Or(ex.peerDeflate, "off") }

// checkExtensions says what is wrong with the Sec-WebSocket-Extensions
// field of ex's handshake response, as one end saw it.
func (ex exchange) checkExtensions(got string) error {
	switch {
	case !ex.compressed() && got != "":
		return fmt.Errorf("extensions %q negotiated, want none", got)
	case !ex.compressed():
		return nil
	case !strings.HasPrefix(got, "permessage-deflate"):
		return fmt.Errorf("extensions %q negotiated, want permessage-deflate", got)
	case ex.peerDeflate == peerDeflateNoContext &&
		!(strings.Contains(got, "server_no_context_takeover") && strings.Contains(got, "client_no_context_takeover")):
		return fmt.Errorf("extensions %q negotiated, want no context takeover either way", got)
	}
	return nil
}

// payloadBytes is how many payload bytes ex's script sends each way.
func (ex exchange) payloadBytes() int64 {
	var n int64
	for _, m := range ex.script() {
		n += int64(len(m.Data))
	}
	return n
}

// checkWire says what is wrong with the bytes wsactor's end of ex read and
// wrote: a compressed exchange of more than a MiB, whose payloads compress
// very well, must take less than a quarter of its payload each way, so
// both ends must really have compressed.
func (ex exchange) checkWire(read, written int64) error {
	payload := ex.payloadBytes()
	if !ex.compressed() || payload < 1<<20 {
		return nil
	}
	if read > payload/4 || written > payload/4 {
		return fmt.Errorf("wsactor read %d and wrote %d bytes on the wire for %d bytes of payload each way: not compressed", read, written, payload)
	}
	return nil
}

// exchangeFor returns the exchange whose path is path.
func exchangeFor(path string) (exchange, bool) {
	for _, ex := range exchanges {
		if ex.path == path {
			return ex, true
		}
	}
	return exchange{}, false
}

// peerCloseArg is how the peers' --close flag names the exchange's end.
func (ex exchange) peerCloseArg() string {
	if ex.closedBy == wsactorCloses {
		return "wait"
	}
	return fmt.Sprintf("%d:%s", peerCloseCode, peerCloseReason)
}

// sizesArg is the peers' --sizes flag.
func (ex exchange) sizesArg() string {
	s := make([]string, len(ex.sizes))
	for i, n := range ex.sizes {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

// script returns the messages of the exchange, in order: for each size a
// text message, then a binary one.
func (ex exchange) script() []conn.Message {
	msgs := make([]conn.Message, 0, 2*len(ex.sizes))
	for _, n := range ex.sizes {
		msgs = append(msgs,
			conn.Message{Opcode: frames.OpText, Data: textPayload(n)},
			conn.Message{Opcode: frames.OpBinary, Data: binaryPayload(n)})
	}
	return msgs
}

// textUnit is the 10-byte unit that text payloads repeat: two-, three- and
// four-byte UTF-8 sequences and one ASCII byte, so that large messages
// cross frame and buffer boundaries in the middle of characters.
const textUnit = "ü€😀-"

// textPayload returns n bytes of valid UTF-8, exactly as every peer builds
// them: textUnit repeated n/10 times, then n%10 letters 'a'.
func textPayload(n int) []byte {
	b := bytes.Repeat([]byte(textUnit), n/len(textUnit))
	return append(b, bytes.Repeat([]byte("a"), n%len(textUnit))...)
}

// binaryPayload returns n bytes, byte i being i % 251, exactly as every
// peer builds them (a prime period, so shifted data does not line up).
func binaryPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// kind is a message's type as the peers' reports name it.
func kind(op frames.Opcode) string {
	if op == frames.OpBinary {
		return "binary"
	}
	return "text"
}

// digest describes a message as the peer servers report what they received.
type digest struct {
	Type   string `json:"type"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func digestOf(m conn.Message) digest {
	sum := sha256.Sum256(m.Data)
	return digest{Type: kind(m.Opcode), Size: len(m.Data), SHA256: hex.EncodeToString(sum[:])}
}

// closeSeen is a close code and reason as a peer saw them.
type closeSeen struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

// clientReport is what a peer client (or the browser page) reports about
// one exchange with a wsactor server.
type clientReport struct {
	Protocol   string `json:"protocol"`
	Extensions string `json:"extensions"`
	Messages   []struct {
		Type   string `json:"type"`
		Size   int    `json:"size"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"messages"`
	Close *closeSeen `json:"close"`
	Error string     `json:"error"`
}

// check returns what is wrong with a peer client's report of ex, or nil.
func (r clientReport) check(ex exchange) error {
	var errs []string
	if r.Error != "" {
		errs = append(errs, "peer error: "+r.Error)
	}
	if r.Protocol != ex.protocol {
		errs = append(errs, fmt.Sprintf("peer got subprotocol %q, want %q", r.Protocol, ex.protocol))
	}
	if err := ex.checkExtensions(r.Extensions); err != nil {
		errs = append(errs, "peer: "+err.Error())
	}
	if want := 2 * len(ex.sizes); len(r.Messages) != want {
		errs = append(errs, fmt.Sprintf("peer checked %d echoes, want %d", len(r.Messages), want))
	}
	for _, m := range r.Messages {
		if !m.OK {
			errs = append(errs, fmt.Sprintf("echo of %s message of %d bytes differs: %s", m.Type, m.Size, m.Detail))
		}
	}
	if err := checkPeerClose(ex, r.Close); err != nil {
		errs = append(errs, err.Error())
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// checkPeerClose checks the close a peer saw at the end of ex: wsactor's
// 4001 "bye", or wsactor's answer to the peer's 4002, which must echo the
// code (the reason of an answer is the answering side's choice).
func checkPeerClose(ex exchange, got *closeSeen) error {
	if got == nil {
		return fmt.Errorf("peer saw no close")
	}
	switch ex.closedBy {
	case wsactorCloses:
		if got.Code != int(wsactorCloseCode) || got.Reason != wsactorCloseReason {
			return fmt.Errorf("peer saw close %d %q, want %d %q", got.Code, got.Reason, wsactorCloseCode, wsactorCloseReason)
		}
	case peerCloses:
		if got.Code != int(peerCloseCode) {
			return fmt.Errorf("peer saw wsactor answer its close with %d %q, want code %d", got.Code, got.Reason, peerCloseCode)
		}
	}
	return nil
}

// peerClosed is the event a peer server prints when a connection ends.
type peerClosed struct {
	Event      string     `json:"event"`
	Path       string     `json:"path"`
	Protocol   string     `json:"protocol"`
	Extensions string     `json:"extensions"`
	Received   []digest   `json:"received"`
	Close      *closeSeen `json:"close"`
	Error      string     `json:"error"`
}

// check returns what is wrong with a peer server's account of ex, or nil.
func (e peerClosed) check(ex exchange) error {
	var errs []string
	if e.Event != "closed" {
		errs = append(errs, fmt.Sprintf("peer reported %q (%s), want a closed connection", e.Event, e.Error))
	}
	if e.Path != ex.path {
		errs = append(errs, fmt.Sprintf("peer served path %q, want %q", e.Path, ex.path))
	}
	if e.Protocol != ex.protocol {
		errs = append(errs, fmt.Sprintf("peer chose subprotocol %q, want %q", e.Protocol, ex.protocol))
	}
	if err := ex.checkExtensions(e.Extensions); err != nil {
		errs = append(errs, "peer: "+err.Error())
	}
	script := ex.script()
	if len(e.Received) != len(script) {
		errs = append(errs, fmt.Sprintf("peer received %d messages, want %d", len(e.Received), len(script)))
	}
	for i, m := range script {
		if i < len(e.Received) && e.Received[i] != digestOf(m) {
			errs = append(errs, fmt.Sprintf("message %d: peer received %+v, want %+v", i, e.Received[i], digestOf(m)))
		}
	}
	if err := checkPeerClose(ex, e.Close); err != nil {
		errs = append(errs, err.Error())
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// describe names a message for test failures without printing megabytes.
func describe(m conn.Message) string {
	return fmt.Sprintf("%s message of %d bytes", kind(m.Opcode), len(m.Data))
}
