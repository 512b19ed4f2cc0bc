package handshake

import (
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// clientOwn are the request fields ClientRequest.Write writes itself and
// never takes from the extra headers.
var clientOwn = fieldSet("Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
	"Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions")

// serverOwn are the response fields WriteResponse writes itself and never
// takes from the prototype header.
var serverOwn = fieldSet("Upgrade", "Connection", "Sec-WebSocket-Accept",
	"Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions")

// fieldSet returns the canonical forms of names as a set.
func fieldSet(names ...string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[textproto.CanonicalMIMEHeaderKey(n)] = true
	}
	return set
}

// appendField appends the header line "key: value\r\n" to b.
func appendField(b []byte, key, value string) []byte {
	b = append(b, key...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// appendExtra appends the fields of h, in key order, to b, leaving out those
// whose canonical name is in own. A name that is not a token or a value
// with a control character (which could end the line and forge another
// field) is an error wrapping ErrInvalidHeader.
func appendExtra(b []byte, h http.Header, own map[string]bool) ([]byte, error) {
	if len(h) == 0 {
		return b, nil
	}
	for _, key := range slices.Sorted(maps.Keys(h)) {
		if own[textproto.CanonicalMIMEHeaderKey(key)] {
			continue
		}
		if !isToken(key) {
			return nil, fmt.Errorf("%w: name %q", ErrInvalidHeader, key)
		}
		for _, v := range h[key] {
			if !validFieldValue(v) {
				return nil, fmt.Errorf("%w: %s: value %q", ErrInvalidHeader, key, v)
			}
			b = appendField(b, key, v)
		}
	}
	return b, nil
}

// hasField reports whether h has the field name, in any case.
func hasField(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// validFieldValue reports whether v may be written as a field value: no
// control characters other than horizontal tab (RFC 7230 section 3.2).
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
