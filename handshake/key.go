package handshake

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

// Version is the only WebSocket protocol version this package speaks, as it
// appears in the Sec-WebSocket-Version field (RFC 6455 section 4.1).
const Version = "13"

// acceptGUID is the fixed suffix RFC 6455 section 1.3 appends to the key
// before hashing it.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// keyLen is the length of a Sec-WebSocket-Key: 16 bytes in base64.
const keyLen = 24

// NewKey returns a fresh Sec-WebSocket-Key: 16 bytes from crypto/rand,
// base64-encoded (RFC 6455 section 4.1).
func NewKey() string {
	var nonce [16]byte
	// crypto/rand.Read never returns an error: it crashes the program
	// when the system has no randomness to give.
	_, _ = rand.Read(nonce[:])
	return base64.StdEncoding.EncodeToString(nonce[:])
}

// AcceptKey returns the Sec-WebSocket-Accept value that answers key: the
// base64 encoding of the SHA-1 hash of key followed by the GUID
// "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" (RFC 6455 section 1.3).
func AcceptKey(key string) string {
	var buf [keyLen + len(acceptGUID)]byte // a valid key needs no more
	sum := sha1.Sum(append(append(buf[:0], key...), acceptGUID...))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// validKey reports whether key is the base64 encoding of exactly 16 bytes,
// as RFC 6455 section 4.1 requires of a Sec-WebSocket-Key.
func validKey(key string) bool {
	if len(key) != keyLen || strings.ContainsAny(key, "\r\n") {
		return false // the decoder would skip line breaks
	}
	var nonce [18]byte // room for what 24 characters decode to
	n, err := base64.StdEncoding.Decode(nonce[:], []byte(key))
	return err == nil && n == 16
}
