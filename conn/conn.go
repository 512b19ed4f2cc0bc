package conn

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/wsactor/wsactor/actor"
	"github.com/wsactor/wsactor/handshake"
)

// State is a connection's place in its life, as RFC 6455 names it (and as
// the WebSocket API's readyState numbers it).
type State int32

const (
	Connecting State = iota // created, handshake not done
	Open                    // handshake done, messages flow
	Closing                 // a close frame was sent or received
	Closed                  // every goroutine of the connection has ended
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Open:
		return "open"
	case Closing:
		return "closing"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Conn is a WebSocket connection, client or server. Its methods and
// channels are safe for concurrent use by any number of goroutines.
type Conn struct {
	opts   *options
	client bool

	// Client side: what NewFromURI was given.
	uri       *url.URL
	protocols []string
	// Server side: what NewFromRequest was given, until Accept is done
	// with it, and the client's address.
	w      http.ResponseWriter
	hsReq  *handshake.Request
	remote string

	startMu    sync.Mutex // serialises Connect, Accept and Close on an unconnected Conn
	started    bool
	state      atomic.Int32
	protocol   string
	respHeader http.Header      // a client's: what the server answered
	accepted   acceptedResponse // a server's: what ResponseHeader rebuilds its answer from
	netConn    net.Conn
	pmd        *pmDeflate // permessage-deflate, if negotiated

	// Channels between the user and the actors.
	in      chan Message                 // reader -> user: data messages
	out     atomic.Pointer[chan Message] // user -> writer: messages to encode (made by the first Out)
	outOnce sync.Once
	streams chan *readStream           // reader -> NextReader: a message as a stream
	reading atomic.Pointer[readStream] // the stream the reader passes a message to, if any: Close abandons it
	drained chan struct{}              // user -> reader: look at c.in again, Receive took a message or Close began (cap 1)
	closing atomic.Bool                // Close was called: the reader no longer waits for room in c.in
	events  chan *event                // reader, writer, closers -> controller
	lend    lender                     // the reader lends the socket to Receive
	rd      *reader                    // the reader's state, for a Receive it lends the socket to; set once Open
	unread  atomic.Bool                // the reader holds bytes of frames not yet decoded

	mb            mailbox
	rawW          *rawWriter    // writes a TCP or Unix socket's descriptor (nil: through netConn)
	activity      atomic.Uint64 // frames received, for keep-alive
	streamWaiters atomic.Int32  // NextReader calls waiting for a stream

	actors sync.WaitGroup // the reader and the writer, which teardown waits for
	done   chan struct{}
	mu     sync.Mutex // guards err, and group from start on
	err    error
	group  *actor.Group // the actors: teardown cancels it
}

func newConn(client bool, opts []Option) *Conn {
	o := newOptions(opts)
	c := &Conn{
		opts:    o,
		client:  client,
		in:      make(chan Message, o.recvMessages),
		streams: make(chan *readStream),
		drained: make(chan struct{}, 1),
		events:  make(chan *event, 4),
		done:    make(chan struct{}),
	}
	c.mb.init(client, o.sendBuffer)
	c.lend.init()
	return c
}

// start runs the three actors on an established connection. early holds
// any bytes the peer sent right behind its handshake.
func (c *Conn) start(nc net.Conn, early []byte, protocol string) {
	c.netConn = nc
	c.rawW = newRawWriter(nc)
	c.mb.raw, c.mb.inbox, c.mb.unread = c.rawW, c.in, &c.unread
	c.protocol = protocol
	r := newReader(c, newInbuf(nc, early, c.opts.readBufferSize))
	c.rd = r
	c.lend.prepare()
	c.state.Store(int32(Open)) // publishes the above to Receive
	c.actors.Add(2)
	// teardown, which may run before Start returns, takes mu (in setErr)
	// before it reads group.
	c.mu.Lock()
	c.group = actor.Start(context.Background(), r.run, c.writeLoop, newController(c).run)
	c.mu.Unlock()
}

// State returns the connection's current state.
func (c *Conn) State() State { return State(c.state.Load()) }

// String describes the connection, like lua-http's __tostring: its side,
// its state and, for a client, its URI.
func (c *Conn) String() string {
	side, where := "server", ""
	if c.client {
		side, where = "client", " "+c.uri.String()
	} else if c.remote != "" {
		where = " " + c.remote
	}
	return fmt.Sprintf("websocket{%s %s%s}", side, c.State(), where)
}

// Protocol returns the subprotocol the handshake chose, "" if none.
func (c *Conn) Protocol() string { return c.protocol }

// ResponseHeader returns the headers of the server's handshake response:
// for a client, what the server sent; for a server, what it answered with.
func (c *Conn) ResponseHeader() http.Header {
	if c.client {
		return c.respHeader
	}
	return c.accepted.header()
}

// LocalAddr returns the local network address, nil before the handshake.
func (c *Conn) LocalAddr() net.Addr {
	if c.netConn == nil {
		return nil
	}
	return c.netConn.LocalAddr()
}

// RemoteAddr returns the peer's network address, nil before the handshake.
func (c *Conn) RemoteAddr() net.Addr {
	if c.netConn == nil {
		return nil
	}
	return c.netConn.RemoteAddr()
}

// Done returns a channel that is closed once every goroutine of the
// connection has ended and its socket is closed. Err then tells why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection is open and, once Done is closed,
// how it ended: a *CloseError.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Conn) setErr(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// finishUnconnected ends a Conn whose handshake never completed.
func (c *Conn) finishUnconnected(err error) {
	c.setErr(err)
	c.state.Store(int32(Closed))
	close(c.done)
}
