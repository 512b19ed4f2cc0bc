package conn

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/wsactor/wsactor/handshake"
)

// NewFromURI returns a client for uri (ws, wss, http or https) that will
// offer protocols as its subprotocols, in state Connecting: nothing is
// dialled until Connect. A malformed URI or protocol list (an empty or
// non-token name, a duplicate) is an error.
func NewFromURI(uri string, protocols []string, opts ...Option) (*Conn, error) {
	u, err := handshake.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	c := newConn(true, opts)
	c.uri = u
	c.protocols = append(slices.Clone(c.opts.protocols), protocols...)
	if err := handshake.CheckProtocols(c.protocols); err != nil {
		return nil, err
	}
	return c, nil
}

// Dial creates a client for uri and connects it: NewFromURI and Connect in
// one call. The subprotocols to offer are given with WithProtocols.
func Dial(ctx context.Context, uri string, opts ...Option) (*Conn, error) {
	c, err := NewFromURI(uri, nil, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Connect dials the server (through a proxy and TLS as configured),
// performs the opening handshake and starts the connection's actors. The
// handshake is bounded by ctx; a refusal by the server is a
// *handshake.StatusError carrying its status, headers and the start of its
// body. Connect may be called once.
func (c *Conn) Connect(ctx context.Context) error {
	if !c.client {
		return errors.New("websocket: Connect called on a server connection")
	}
	if err := c.begin(); err != nil {
		return err
	}
	nc, br, res, err := c.handshake(ctx)
	if err != nil {
		err = fmt.Errorf("websocket: connect %s: %w", c.uri.Redacted(), err)
		c.finishUnconnected(&CloseError{Code: 1006, Err: err})
		return err
	}
	early, _ := br.Peek(br.Buffered())
	c.respHeader = res.Header
	c.start(nc, early, res.Protocol)
	return nil
}

// handshakeBufferSize is the size of the buffer a client reads the
// server's handshake response with.
const handshakeBufferSize = 4 << 10

func (c *Conn) handshake(ctx context.Context) (net.Conn, *bufio.Reader, handshake.Result, error) {
	nc, err := c.dialNet(ctx)
	if err != nil {
		return nil, nil, handshake.Result{}, ctxErr(ctx, err)
	}
	stop := bindDeadline(ctx, nc)
	req := &handshake.ClientRequest{
		URL:       c.uri,
		Key:       handshake.NewKey(),
		Protocols: c.protocols,
		Header:    c.opts.header,
	}
	req.Extensions = c.deflateOffer()
	res, br, err := func() (handshake.Result, *bufio.Reader, error) {
		if err := req.Write(nc); err != nil {
			return handshake.Result{}, nil, err
		}
		br := bufio.NewReaderSize(nc, handshakeBufferSize)
		resp, err := handshake.ReadResponse(br, c.opts.maxHeaderBytes)
		if err != nil {
			return handshake.Result{}, nil, err
		}
		res, err := req.Verify(resp)
		if err == nil {
			err = c.agreeDeflate(res.Extensions)
		}
		return res, br, err
	}()
	if !stop() && err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		nc.Close()
		return nil, nil, handshake.Result{}, ctxErr(ctx, err)
	}
	return nc, br, res, nil
}

// bindDeadline makes nc's I/O fail when ctx ends, until the returned stop
// is called; stop reports whether ctx had not ended by then.
// It does not copy ctx's deadline onto nc: a socket timer firing a moment
// before ctx's own would return a bare i/o timeout, not ctx's error.
func bindDeadline(ctx context.Context, nc net.Conn) (stop func() bool) {
	cancel := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return func() bool {
		ok := cancel()
		if ok {
			nc.SetDeadline(time.Time{})
		}
		return ok
	}
}

// ctxErr prefers ctx's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
		return fmt.Errorf("%w (%w)", cause, err)
	}
	return err
}

// dialNet opens the connection to the server: directly or through an HTTP
// proxy's CONNECT, then TLS for wss.
func (c *Conn) dialNet(ctx context.Context) (net.Conn, error) {
	dial := c.opts.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	secure := c.uri.Scheme == "wss"
	addr := dialAddr(c.uri, secure)
	var proxy *url.URL
	if c.opts.proxy != nil {
		scheme := "http"
		if secure {
			scheme = "https"
		}
		var err error
		proxy, err = c.opts.proxy(&http.Request{URL: &url.URL{Scheme: scheme, Host: c.uri.Host}, Header: http.Header{}})
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
	}
	var nc net.Conn
	var err error
	if proxy != nil {
		nc, err = dialProxy(ctx, dial, proxy, addr)
	} else {
		nc, err = dial(ctx, "tcp", addr)
	}
	if err != nil || !secure {
		return nc, err
	}
	cfg := c.opts.tlsConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.uri.Hostname()
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// dialProxy opens a tunnel to addr through an HTTP proxy.
func dialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxy *url.URL, addr string) (net.Conn, error) {
	if proxy.Scheme != "http" {
		return nil, fmt.Errorf("proxy: scheme %q not supported (only http)", proxy.Scheme)
	}
	nc, err := dial(ctx, "tcp", dialAddr(proxy, false))
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	stop := bindDeadline(ctx, nc)
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	err = req.Write(nc)
	var resp *http.Response
	if err == nil {
		// The proxy says nothing after its answer until we speak, so
		// this reader buffers nothing of the tunnel.
		resp, err = http.ReadResponse(bufio.NewReaderSize(nc, 1024), req)
	}
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("proxy refused CONNECT: %s", resp.Status)
		}
	}
	if !stop() && err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return nc, nil
}

// dialAddr is the host:port to dial for u, with the scheme's default port
// when u names none.
func dialAddr(u *url.URL, secure bool) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if secure {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
