package conn

import "compress/flate"

// Defaults for CompressionOptions.
const (
	// DefaultCompressionLevel is flate.BestSpeed: on messages of a few
	// hundred bytes to a few KiB, the higher levels cost several times the
	// CPU for a few percent fewer bytes.
	DefaultCompressionLevel = flate.BestSpeed
	// DefaultCompressionThreshold is the size under which a message is
	// sent uncompressed. Without a shared context, DEFLATE gains little or
	// nothing on shorter messages and still costs a compressor's time.
	DefaultCompressionThreshold = 512
)

// CompressionOptions configure permessage-deflate (RFC 7692), which
// [WithCompression] enables. The zero value is ready to use: level
// [DefaultCompressionLevel], threshold [DefaultCompressionThreshold], no
// context takeover.
type CompressionOptions struct {
	// Level is the compress/flate level messages are compressed at:
	// flate.BestSpeed (1) to flate.BestCompression (9),
	// flate.DefaultCompression (-1, which is 6) or flate.HuffmanOnly (-2).
	// 0, or a value outside that range, means DefaultCompressionLevel.
	Level int

	// Threshold is the size in bytes under which a text or binary message
	// is sent uncompressed. 0 means DefaultCompressionThreshold; a
	// negative value compresses every message.
	Threshold int

	// ContextTakeover lets each side compress a message with the messages
	// before it as its dictionary (the LZ77 window, 32 KiB), which shrinks
	// small, repetitive messages such as JSON much further. The peer may
	// still refuse it for either direction in the handshake.
	//
	// It costs memory for as long as the connection is open: a compressor
	// of its own from the first message the connection compresses
	// (compress/flate's: about 1.2 MB at flate.BestSpeed, 0.8 MB at
	// level 6), and a 32 KiB dictionary from the first compressed message
	// it receives; BenchmarkCompressionMemory measures about 2.5 MB for a
	// connected pair, against 40 KB without.
	// Without it, the default, both sides are asked to compress every
	// message on its own (server_no_context_takeover and
	// client_no_context_takeover) and compressors and decompressors come
	// from process-wide pools for the time of one message, so an idle
	// connection holds no compression state at all.
	ContextTakeover bool
}

// WithCompression enables permessage-deflate compression (RFC 7692) with
// the given options; compression is off unless it is given. A client
// offers the extension in its handshake; a server accepts a client's offer
// when it can, and otherwise, or when the option is absent, declines it,
// and the connection runs uncompressed.
//
// Once it is negotiated, text and binary messages sent with Send,
// SendText, Out and SendPrepared are compressed when they are at least
// Threshold bytes long and when compressing makes them shorter; otherwise
// they go out uncompressed, which RFC 7692 allows message by message.
// Messages sent with NextWriter are always sent uncompressed (each Write
// must leave as a frame at once, and a stream is usually large or already
// compressed data), and so are control frames and SendFrame's raw frames.
// Received messages are inflated whole before they are delivered, NextReader
// included, and the read limit (WithReadLimit) bounds their inflated size.
//
// A server that is asked for a window smaller than 32 KiB
// (server_max_window_bits below 15) declines that offer: Go's
// compress/flate always compresses with a 32 KiB window. A client never
// asks for one, inflates whatever window the server uses, and fails the
// handshake with handshake.ErrBadDeflate if the server asks it to compress
// with a smaller window.
func WithCompression(opts CompressionOptions) Option {
	if opts.Level == 0 || opts.Level < flate.HuffmanOnly || opts.Level > flate.BestCompression {
		opts.Level = DefaultCompressionLevel
	}
	switch {
	case opts.Threshold == 0:
		opts.Threshold = DefaultCompressionThreshold
	case opts.Threshold < 0:
		opts.Threshold = 0
	}
	return func(o *options) { o.compression = &opts }
}
