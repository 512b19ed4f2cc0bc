package handshake

import (
	"fmt"
	"net/http"
	"strings"
)

// CheckProtocols reports whether protocols is a valid list of subprotocols
// to offer: each a non-empty RFC 2616 token (no control characters, no
// spaces, no separators such as "@", "," or "/"), none listed twice
// (compared case-sensitively). The error wraps [ErrInvalidProtocol] or
// [ErrDuplicateProtocol] and quotes the culprit.
func CheckProtocols(protocols []string) error {
	for i, p := range protocols {
		if !isToken(p) {
			return fmt.Errorf("%w: %q", ErrInvalidProtocol, p)
		}
		// Lists are short; a quadratic scan beats building a set.
		for _, q := range protocols[:i] {
			if p == q {
				return fmt.Errorf("%w: %q", ErrDuplicateProtocol, p)
			}
		}
	}
	return nil
}

// ParseProtocols returns the subprotocols listed in the
// Sec-WebSocket-Protocol field of h, across all its lines, split at commas
// with surrounding whitespace trimmed, and checks them with
// [CheckProtocols]. A missing field, or one that lists nothing, gives
// nil, nil.
func ParseProtocols(h http.Header) ([]string, error) {
	protocols := headerList(h, "Sec-WebSocket-Protocol")
	if len(protocols) == 0 {
		return nil, nil
	}
	if err := CheckProtocols(protocols); err != nil {
		return nil, err
	}
	return protocols, nil
}

// SelectProtocol returns the first of supported that the client offered,
// or "" if there is none. The order of supported is the server's
// preference. Strings are compared exactly; nothing is validated, so a
// supported entry that is not a token simply never matches a valid offer.
func SelectProtocol(offered, supported []string) string {
	for _, s := range supported {
		for _, o := range offered {
			if s == o {
				return s
			}
		}
	}
	return ""
}

// headerList returns the elements of the comma-separated list in all lines
// of the field key, with optional whitespace trimmed and empty elements
// dropped (RFC 7230 section 7).
func headerList(h http.Header, key string) []string {
	var list []string
	for _, line := range h.Values(key) {
		for elem := range strings.SplitSeq(line, ",") {
			if elem = strings.Trim(elem, " \t"); elem != "" {
				list = append(list, elem)
			}
		}
	}
	return list
}

// headerHasToken reports whether the list in field key of h holds token,
// compared case-insensitively.
func headerHasToken(h http.Header, key, token string) bool {
	for _, line := range h.Values(key) {
		for elem := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.Trim(elem, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// isToken reports whether s is a token as RFC 2616 section 2.2 defines it:
// one or more US-ASCII characters other than controls and separators.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

// isTokenByte reports whether c may appear in a token.
func isTokenByte(c byte) bool { return tokenBytes[c] }

// tokenBytes marks the bytes that may appear in a token.
var tokenBytes = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?={}`, c)
	}
	return t
}()
