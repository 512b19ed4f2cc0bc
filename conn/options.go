package conn

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultCloseTimeout is how long Close waits, after sending its close
// frame, for the peer's close frame and then for the peer to close TCP,
// before closing TCP itself. It is lua-http's websocket.close_timeout.
var DefaultCloseTimeout = 3 * time.Second

// Defaults for the options below.
const (
	DefaultReadLimit        = 32 << 20 // 32 MiB
	DefaultReceiveMessages  = 16
	DefaultReceiveBytes     = 4 << 20 // 4 MiB
	DefaultSendBuffer       = 1 << 20 // 1 MiB
	DefaultReadBufferSize   = 64 << 10
	DefaultMaxHeaderBytes   = 8 << 10
	defaultOutQueueMessages = 16
)

// An Option configures a connection. Options apply to clients and servers
// alike unless their doc says otherwise.
type Option func(*options)

type options struct {
	header         http.Header
	protocols      []string
	tlsConfig      *tls.Config
	proxy          func(*http.Request) (*url.URL, error)
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	readLimit      int64
	closeTimeout   time.Duration
	pingInterval   time.Duration
	pongTimeout    time.Duration
	ctx            context.Context
	recvMessages   int
	recvBytes      int64
	sendBuffer     int
	readBufferSize int
	maxHeaderBytes int
	originPatterns []string
	insecureOrigin bool
	compression    *CompressionOptions // nil: no permessage-deflate
}

func newOptions(opts []Option) *options {
	o := &options{
		proxy:          http.ProxyFromEnvironment,
		readLimit:      DefaultReadLimit,
		closeTimeout:   DefaultCloseTimeout,
		ctx:            context.Background(),
		recvMessages:   DefaultReceiveMessages,
		recvBytes:      DefaultReceiveBytes,
		sendBuffer:     DefaultSendBuffer,
		readBufferSize: DefaultReadBufferSize,
		maxHeaderBytes: DefaultMaxHeaderBytes,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// WithHeader adds h to a client's handshake request: Origin, Authorization,
// Cookie, User-Agent and the like. The handshake's own headers cannot be
// overridden.
func WithHeader(h http.Header) Option {
	return func(o *options) { o.header = h.Clone() }
}

// WithTLSConfig sets the TLS configuration of a wss client. Its ServerName
// defaults to the URI's host.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) { o.tlsConfig = cfg }
}

// WithProxy sets how a client finds its HTTP proxy, which it then asks to
// CONNECT to the server. The default is http.ProxyFromEnvironment; nil means
// no proxy.
func WithProxy(proxy func(*http.Request) (*url.URL, error)) Option {
	return func(o *options) { o.proxy = proxy }
}

// WithDialer sets the function a client opens its TCP connection with,
// to the server or to the proxy. The default is a net.Dialer's DialContext.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithReadLimit sets the largest message the connection accepts, in bytes
// (default 32 MiB). A larger message fails the connection with 1009 as soon
// as a frame header announces it, and a compressed message as soon as it
// inflates past it. n <= 0 means no limit.
func WithReadLimit(n int64) Option {
	return func(o *options) { o.readLimit = n }
}

// WithCloseTimeout overrides DefaultCloseTimeout for one connection.
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) { o.closeTimeout = d }
}

// WithKeepAlive enables keep-alive: after interval without anything
// received, the controller sends a ping, and if nothing at all arrives within
// timeout after that ping it fails the connection (ErrPeerUnresponsive). A
// zero interval, the default, disables keep-alive.
func WithKeepAlive(interval, timeout time.Duration) Option {
	return func(o *options) { o.pingInterval, o.pongTimeout = interval, timeout }
}

// WithContext sets a context for the connection's whole life: when it is
// cancelled the connection closes with 1001 Going Away. It does not bound
// the handshake (Connect and Accept take their own context).
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}

// WithReceiveQueue bounds what the reader holds for a user who does not
// receive: at most messages messages and (beyond the first) bytes bytes. Past
// either bound the reader stops reading the socket.
func WithReceiveQueue(messages int, bytes int64) Option {
	return func(o *options) { o.recvMessages, o.recvBytes = max(messages, 1), bytes }
}

// WithSendBuffer bounds the bytes queued in the writer's mailbox. A Send
// that would go past it waits until the writer has drained the mailbox (a
// message larger than the bound is queued alone).
func WithSendBuffer(n int) Option {
	return func(o *options) { o.sendBuffer = max(n, 1) }
}

// WithReadBufferSize sets the size of the reader's buffer (default 64
// KiB): the most one read from the socket brings in, where a burst of
// small messages waits to be decoded. The reader borrows the buffer from a
// pool when bytes arrive and gives it back once it has decoded them all,
// so an idle connection holds none.
func WithReadBufferSize(n int) Option {
	return func(o *options) { o.readBufferSize = max(n, 16) }
}

// WithOriginPatterns lets a server accept browser requests whose Origin host
// matches one of patterns (path.Match syntax, such as "*.example.com"), in
// addition to same-origin requests, which are always accepted. Requests
// without an Origin header (non-browser clients) are always accepted.
func WithOriginPatterns(patterns ...string) Option {
	return func(o *options) { o.originPatterns = append(o.originPatterns, patterns...) }
}

// WithInsecureSkipOriginCheck makes a server accept requests from any
// origin. Only use it when something else protects against cross-site
// WebSocket hijacking.
func WithInsecureSkipOriginCheck() Option {
	return func(o *options) { o.insecureOrigin = true }
}

// WithProtocols sets the subprotocols a client offers (for Dial; NewFromURI
// takes them as an argument and adds them to these).
func WithProtocols(protocols ...string) Option {
	return func(o *options) { o.protocols = append(o.protocols, protocols...) }
}
