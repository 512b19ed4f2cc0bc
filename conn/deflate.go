package conn

import (
	"compress/flate"
	"context"
	"io"
	"slices"
	"sync"

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// pmDeflate is a connection's permessage-deflate (RFC 7692), once the
// handshake negotiated it. It is set before the actors start and its
// configuration never changes; own is used only under the mailbox's lock
// and in only by the reader.
type pmDeflate struct {
	level     int
	threshold int  // messages shorter than this go uncompressed
	takeover  bool // this side keeps its compression context
	own       *compressor
	in        inflater
}

// deflateOffer returns the extensions a client offers: permessage-deflate
// when WithCompression is given.
func (c *Conn) deflateOffer() []handshake.Extension {
	if c.opts.compression == nil {
		return nil
	}
	return []handshake.Extension{handshake.DeflateOffer(!c.opts.compression.ContextTakeover)}
}

// agreeDeflate sets the client up as the server's accepted extensions say,
// or fails with an error wrapping handshake.ErrBadDeflate.
func (c *Conn) agreeDeflate(accepted []handshake.Extension) error {
	if c.opts.compression == nil {
		return nil
	}
	p, ok, err := handshake.VerifyDeflate(accepted)
	if ok {
		c.useDeflate(!p.ClientNoContextTakeover, !p.ServerNoContextTakeover)
	}
	return err
}

// acceptDeflate chooses, for a server, whether and how to accept the
// client's permessage-deflate offers, sets the connection up accordingly
// and returns the extensions to answer with.
func (c *Conn) acceptDeflate() []handshake.Extension {
	if c.opts.compression == nil {
		return nil
	}
	resp, p, ok := handshake.AcceptDeflate(c.hsReq.Extensions, !c.opts.compression.ContextTakeover)
	if !ok {
		return nil
	}
	c.useDeflate(!p.ServerNoContextTakeover, !p.ClientNoContextTakeover)
	return []handshake.Extension{resp}
}

// useDeflate turns compression on: ours says whether this side may keep
// its compression context, theirs whether the peer keeps its own.
func (c *Conn) useDeflate(ours, theirs bool) {
	o := c.opts.compression
	c.pmd = &pmDeflate{
		level:     o.Level,
		threshold: o.Threshold,
		takeover:  o.ContextTakeover && ours,
		in:        inflater{takeover: theirs},
	}
}

// wants reports whether a message of type op and n bytes is to be
// compressed.
func (d *pmDeflate) wants(op frames.Opcode, n int) bool {
	return (op == frames.OpText || op == frames.OpBinary) && n >= d.threshold
}

// putMessage queues a whole message of type op. On a connection that
// negotiated permessage-deflate, a text or binary message of at least the
// threshold is compressed; the uncompressed path is the mailbox's own.
func (c *Conn) putMessage(ctx context.Context, op frames.Opcode, data []byte, kind frameKind, wait bool) error {
	if d := c.pmd; d != nil && d.wants(op, len(data)) {
		return c.putCompressed(ctx, op, data, kind, wait)
	}
	return c.mb.putFrame(ctx, frames.Header{Fin: true, Opcode: op}, data, kind, wait)
}

// putCompressed queues data compressed as one frame with RSV1 set, or
// uncompressed if compressing does not make it shorter.
//
// Without context takeover it compresses with a pooled compressor before
// it queues, so senders compress in parallel. With context takeover the
// order in which messages are compressed must be the order in which they
// leave, so it compresses with the connection's compressor inside the
// mailbox's critical section, once the message is sure to be queued: a
// Send whose context ends while it waits for room leaves the compression
// context untouched.
func (c *Conn) putCompressed(ctx context.Context, op frames.Opcode, data []byte, kind frameKind, wait bool) error {
	d := c.pmd
	if !d.takeover {
		z := getCompressor(d.level)
		defer putCompressor(d.level, z)
		if p, ok := z.compress(data); ok {
			return c.mb.putFrame(ctx, frames.Header{Fin: true, RSV1: true, Opcode: op}, p, kind, wait)
		}
		return c.mb.putFrame(ctx, frames.Header{Fin: true, Opcode: op}, data, kind, wait)
	}
	// The frame is never longer than the uncompressed one.
	need := frames.HeaderSize(int64(len(data)), c.client) + len(data)
	return c.mb.enqueue(ctx, need, kind, wait, func(dst []byte) []byte {
		if d.own == nil {
			d.own = newCompressor(d.level)
		}
		h := frames.Header{Fin: true, Opcode: op}
		p, ok := d.own.compress(data)
		if ok {
			h.RSV1 = true
		} else {
			// The peer will not see these bytes in its window: forget them.
			p = data
			d.own.fw.Reset(d.own)
		}
		h.Length = int64(len(p))
		dst = c.mb.encode(dst, h, p)
		d.own.trim()
		return dst
	})
}

// sendPreparedDeflate sends pm on a connection that negotiated
// permessage-deflate. A connection without context takeover sends the
// message's compressed form, made once per compression level for every
// connection that shares it; a connection with context takeover
// compresses the message with its own context, as Send does. A message
// under the threshold, or that does not compress, goes uncompressed.
func (c *Conn) sendPreparedDeflate(ctx context.Context, pm *PreparedMessage, wait bool) error {
	d := c.pmd
	if d.takeover && d.wants(pm.op, len(pm.data)) {
		return c.putCompressed(ctx, pm.op, pm.data, dataFrame, wait)
	}
	if d.wants(pm.op, len(pm.data)) {
		if z := pm.z.get(pm, d.level); z.payload != nil {
			if c.client {
				return c.mb.putFrame(ctx, frames.Header{Fin: true, RSV1: true, Opcode: pm.op}, z.payload, dataFrame, wait)
			}
			return c.mb.putEncoded(ctx, z.server, wait)
		}
	}
	if c.client {
		return c.mb.putFrame(ctx, frames.Header{Fin: true, Opcode: pm.op}, pm.data, dataFrame, wait)
	}
	return c.mb.putEncoded(ctx, pm.server, wait)
}

// preparedDeflate holds a prepared message's compressed forms, one per
// compression level, each made the first time a connection needs it.
type preparedDeflate struct {
	mu     sync.Mutex
	levels map[int]*preparedLevel
}

// preparedLevel is a prepared message compressed at one level.
type preparedLevel struct {
	payload []byte // the compressed payload; nil if it does not compress
	server  []byte // the unmasked frame a server sends
}

func (z *preparedDeflate) get(pm *PreparedMessage, level int) *preparedLevel {
	z.mu.Lock()
	defer z.mu.Unlock()
	if pl, ok := z.levels[level]; ok {
		return pl
	}
	if z.levels == nil {
		z.levels = make(map[int]*preparedLevel)
	}
	pl := &preparedLevel{}
	c := getCompressor(level)
	if p, ok := c.compress(pm.data); ok {
		h := frames.Header{Fin: true, RSV1: true, Opcode: pm.op, Length: int64(len(p))}
		pl.payload = slices.Clone(p)
		pl.server = append(frames.AppendHeader(make([]byte, 0, frames.HeaderSize(h.Length, false)+len(p)), h), p...)
	}
	putCompressor(level, c)
	z.levels[level] = pl
	return pl
}

// compressor is a flate.Writer and the buffer it writes into.
type compressor struct {
	fw  *flate.Writer
	out []byte
}

func newCompressor(level int) *compressor {
	z := &compressor{}
	z.fw, _ = flate.NewWriter(z, level) // WithCompression keeps level in range
	return z
}

// Write collects the compressed stream.
func (z *compressor) Write(p []byte) (int, error) {
	z.out = append(z.out, p...)
	return len(p), nil
}

// emptyBlockTail ends the output of every flush: the empty stored block
// that RFC 7692 section 7.2.1 removes from a message and section 7.2.2
// puts back.
const emptyBlockTail = "\x00\x00\xff\xff"

// compress compresses data as the payload of one message (RFC 7692
// section 7.2.1): DEFLATE, flushed so that the output ends on a byte
// boundary with an empty stored block, which is then removed. It reports
// false when the result is no shorter than data. The result is only valid
// until the next use of z.
func (z *compressor) compress(data []byte) ([]byte, bool) {
	z.out = z.out[:0]
	// The compressor writes only into z.out, which never fails.
	_, _ = z.fw.Write(data)
	_ = z.fw.Flush()
	p := z.out[:len(z.out)-len(emptyBlockTail)]
	return p, len(p) < len(data)
}

// maxKeptOutput is the largest output buffer a compressor keeps between
// messages; a larger one, grown by a large message, is dropped.
const maxKeptOutput = 256 << 10

// trim drops an output buffer grown large by a large message, so that an
// idle connection or pool does not keep it.
func (z *compressor) trim() {
	if cap(z.out) > maxKeptOutput {
		z.out = nil
	}
}

// compressors pools compressors by level, flate.HuffmanOnly (-2) to
// flate.BestCompression (9).
var compressors [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

func getCompressor(level int) *compressor {
	if z, ok := compressors[level-flate.HuffmanOnly].Get().(*compressor); ok {
		z.fw.Reset(z)
		return z
	}
	return newCompressor(level)
}

func putCompressor(level int, z *compressor) {
	z.trim()
	compressors[level-flate.HuffmanOnly].Put(z)
}

// inflater inflates the compressed messages a connection receives. Only
// the reader actor uses it.
type inflater struct {
	takeover bool   // the peer keeps its context: so must we
	dict     []byte // with takeover: the last 32 KiB inflated
}

// windowSize is DEFLATE's largest window, the most a compressed message
// can refer back to.
const windowSize = 32 << 10

// decompressor is a pooled flate reader and the source it reads from.
type decompressor struct {
	fr  io.ReadCloser
	src deflateSource
}

// decompressors pools decompressors, about 40 KiB each.
var decompressors sync.Pool

// inflate returns the message whose compressed payload is p (RFC 7692
// section 7.2.2), failing with 1009 as soon as it grows past limit bytes
// (when limit > 0), so a small payload that inflates to far more costs no
// more memory than the limit allows: the output grows by doubling up to
// limit+1 bytes, and the buffers it takes add up to at most twice that.
// Data that is not valid DEFLATE fails with 1007.
func (f *inflater) inflate(p []byte, limit int64) ([]byte, error) {
	d, _ := decompressors.Get().(*decompressor)
	if d == nil {
		d = &decompressor{src: deflateSource{b: p}}
		d.fr = flate.NewReaderDict(&d.src, f.dict)
	} else {
		d.src = deflateSource{b: p}
		// Reset cannot fail for compress/flate's reader.
		_ = d.fr.(flate.Resetter).Reset(&d.src, f.dict)
	}
	defer func() {
		d.src = deflateSource{} // let go of p while pooled
		decompressors.Put(d)
	}()
	size := max(4*len(p), 512)
	if limit > 0 {
		size = int(min(int64(size), limit+1))
	}
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			size := 2 * cap(out)
			if limit > 0 && int64(2*size) > limit+1 {
				// The step after would pass the limit: go there now,
				// so the buffers allocated add up to at most twice it.
				size = int(limit + 1)
			}
			out = append(make([]byte, 0, size), out...)
		}
		n, err := d.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if limit > 0 && int64(len(out)) > limit {
			return nil, violation(frames.CloseMessageTooBig, "compressed message inflates past the limit of %d bytes", limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, violation(frames.CloseInvalidPayload, "compressed message is not valid DEFLATE data: %v", err)
		}
	}
	if f.takeover {
		f.remember(out)
	}
	return out, nil
}

// remember keeps the last windowSize bytes of what was inflated, the
// dictionary the peer's next message may refer to.
func (f *inflater) remember(out []byte) {
	if f.dict == nil {
		f.dict = make([]byte, 0, windowSize)
	}
	if len(out) >= windowSize {
		f.dict = append(f.dict[:0], out[len(out)-windowSize:]...)
		return
	}
	if keep := windowSize - len(out); len(f.dict) > keep {
		f.dict = f.dict[:copy(f.dict, f.dict[len(f.dict)-keep:])]
	}
	f.dict = append(f.dict, out...)
}

// inflateTail follows a message's payload into the decompressor: the empty
// stored block the sender removed (RFC 7692 section 7.2.2), then an empty
// final block, so that the decompressor ends with io.EOF instead of asking
// for more.
const inflateTail = emptyBlockTail + "\x01\x00\x00\xff\xff"

// deflateSource is a message's compressed payload followed by
// inflateTail. It is an io.ByteReader, so compress/flate reads it
// directly, without a bufio.Reader of its own.
type deflateSource struct {
	b    []byte
	tail int // how much of inflateTail has been read
}

func (s *deflateSource) Read(p []byte) (int, error) {
	if len(s.b) > 0 {
		n := copy(p, s.b)
		s.b = s.b[n:]
		return n, nil
	}
	if s.tail == len(inflateTail) {
		return 0, io.EOF
	}
	n := copy(p, inflateTail[s.tail:])
	s.tail += n
	return n, nil
}

func (s *deflateSource) ReadByte() (byte, error) {
	if len(s.b) > 0 {
		c := s.b[0]
		s.b = s.b[1:]
		return c, nil
	}
	if s.tail == len(inflateTail) {
		return 0, io.EOF
	}
	c := inflateTail[s.tail]
	s.tail++
	return c, nil
}

// checkRSV enforces the reserved bits of a frame header that has one set.
// With permessage-deflate negotiated, RSV1 marks the first frame of a
// compressed text or binary message (RFC 7692 section 6); any other
// reserved bit, or RSV1 anywhere else, fails the connection with 1002.
func (r *reader) checkRSV(h frames.Header) error {
	const pe = frames.CloseProtocolError
	switch {
	case h.RSV2 || h.RSV3 || r.c.pmd == nil:
		return violation(pe, "reserved bit set without a negotiated extension")
	case h.Opcode.IsControl():
		return violation(pe, "RSV1 set on a %s frame: control frames are never compressed", h.Opcode)
	case h.Opcode == frames.OpContinuation:
		return violation(pe, "RSV1 set on a continuation frame")
	}
	return nil
}

// inflateMessage inflates a compressed message that the reader assembled,
// bounded by the read limit, and checks the UTF-8 of a text message.
func (r *reader) inflateMessage(op frames.Opcode, p []byte) ([]byte, error) {
	msg, err := r.c.pmd.in.inflate(p, r.limit)
	if err != nil {
		return nil, err
	}
	if op == frames.OpText && !frames.ValidUTF8(msg) {
		return nil, violation(frames.CloseInvalidPayload, "text is not valid UTF-8")
	}
	return msg, nil
}
