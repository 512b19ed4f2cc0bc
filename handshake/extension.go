package handshake

import (
	"fmt"
	"net/http"
	"strings"
)

// Param is one parameter of an extension, as in
// "client_max_window_bits=10".
type Param struct {
	// Name is the parameter's name, a token.
	Name string
	// Value is the parameter's value, unquoted; "" for a bare parameter
	// such as "server_no_context_takeover".
	Value string
}

// Extension is one element of a Sec-WebSocket-Extensions list: an extension
// name and its parameters, in order (RFC 6455 section 9.1).
type Extension struct {
	// Name is the extension's name, a token such as "permessage-deflate".
	Name string
	// Params are the extension's parameters in the order they were given.
	Params []Param
}

// ParseExtensions returns the extensions listed in the
// Sec-WebSocket-Extensions field of h, across all its lines, in order.
// Quoted parameter values are unquoted; a value must be a token, quoted or
// not. Empty list elements are ignored. A missing field gives nil, nil;
// anything that does not follow the grammar of RFC 6455 section 9.1 is an
// error wrapping [ErrBadExtensions].
func ParseExtensions(h http.Header) ([]Extension, error) {
	var exts []Extension
	for _, line := range h.Values("Sec-WebSocket-Extensions") {
		p := extParser{s: line}
		var err error
		if exts, err = p.list(exts); err != nil {
			return nil, fmt.Errorf("%w: %q: %s", ErrBadExtensions, line, err.Error())
		}
	}
	return exts, nil
}

// FormatExtensions returns exts as a Sec-WebSocket-Extensions value, such as
// "permessage-deflate; client_max_window_bits=10, x". A value that is not a
// token is written as a quoted string, leaving out any control character
// that a quoted string cannot hold. FormatExtensions does not check names;
// [ClientRequest.Write] and [WriteResponse] do before they use it.
func FormatExtensions(exts []Extension) string {
	return string(appendExtensions(nil, exts))
}

// appendExtensions appends the formatted list exts to b.
func appendExtensions(b []byte, exts []Extension) []byte {
	for i, e := range exts {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, e.Name...)
		for _, p := range e.Params {
			b = append(b, "; "...)
			b = append(b, p.Name...)
			if p.Value == "" {
				continue
			}
			b = append(b, '=')
			if isToken(p.Value) {
				b = append(b, p.Value...)
			} else {
				b = appendQuoted(b, p.Value)
			}
		}
	}
	return b
}

// appendQuoted appends s to b as an RFC 7230 quoted-string.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case (c < ' ' && c != '\t') || c == 0x7f:
			// A quoted string cannot carry it, even escaped.
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// checkExtensions reports whether exts can be written in a
// Sec-WebSocket-Extensions field and read back unchanged: every name a
// token, every value empty or a token.
func checkExtensions(exts []Extension) error {
	for _, e := range exts {
		if !isToken(e.Name) {
			return fmt.Errorf("%w: extension name %q is not a token", ErrBadExtensions, e.Name)
		}
		for _, p := range e.Params {
			if !isToken(p.Name) {
				return fmt.Errorf("%w: %s: parameter name %q is not a token", ErrBadExtensions, e.Name, p.Name)
			}
			if p.Value != "" && !isToken(p.Value) {
				return fmt.Errorf("%w: %s: value %q of %s is not a token", ErrBadExtensions, e.Name, p.Value, p.Name)
			}
		}
	}
	return nil
}

// extParser reads one line of a Sec-WebSocket-Extensions field:
//
//	extension-list  = 1#extension
//	extension       = extension-token *( ";" extension-param )
//	extension-param = token [ "=" (token | quoted-string) ]
//
// with optional whitespace around every separator.
type extParser struct {
	s string
	i int
}

// list appends the extensions of the line to exts.
func (p *extParser) list(exts []Extension) ([]Extension, error) {
	for {
		p.skipSpace()
		if p.done() {
			return exts, nil
		}
		if p.s[p.i] == ',' { // an empty element
			p.i++
			continue
		}
		e, err := p.extension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
}

// extension reads one extension and its parameters, stopping before the
// comma that ends it.
func (p *extParser) extension() (Extension, error) {
	name := p.token()
	if name == "" {
		return Extension{}, p.unexpected("an extension name")
	}
	e := Extension{Name: name}
	for {
		p.skipSpace()
		if p.done() || p.s[p.i] == ',' {
			return e, nil
		}
		if p.s[p.i] != ';' {
			return Extension{}, p.unexpected(`";" or ","`)
		}
		p.i++
		p.skipSpace()
		param := Param{Name: p.token()}
		if param.Name == "" {
			return Extension{}, p.unexpected("a parameter name")
		}
		p.skipSpace()
		if !p.done() && p.s[p.i] == '=' {
			p.i++
			p.skipSpace()
			v, err := p.value()
			if err != nil {
				return Extension{}, err
			}
			param.Value = v
		}
		e.Params = append(e.Params, param)
	}
}

// value reads a parameter value, a token or a quoted string that unquotes
// to a token.
func (p *extParser) value() (string, error) {
	if p.done() || p.s[p.i] != '"' {
		v := p.token()
		if v == "" {
			return "", p.unexpected("a parameter value")
		}
		return v, nil
	}
	start := p.i
	p.i++ // the opening quote
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			v := b.String()
			if !isToken(v) {
				return "", fmt.Errorf("quoted value %s at offset %d is not a token", p.s[start:p.i], start)
			}
			return v, nil
		case c == '\\':
			if p.done() {
				return "", fmt.Errorf("unterminated quoted value at offset %d", start)
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quoted value at offset %d", start)
}

// token reads the longest run of token bytes, possibly empty.
func (p *extParser) token() string {
	start := p.i
	for !p.done() && isTokenByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// skipSpace skips optional whitespace.
func (p *extParser) skipSpace() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// done reports whether the whole line has been read.
func (p *extParser) done() bool { return p.i >= len(p.s) }

// unexpected describes what was found where want was expected.
func (p *extParser) unexpected(want string) error {
	if p.done() {
		return fmt.Errorf("expected %s at end", want)
	}
	return fmt.Errorf("expected %s at offset %d, found %q", want, p.i, p.s[p.i])
}
