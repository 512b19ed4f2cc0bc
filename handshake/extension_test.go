package handshake_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

// ext builds an Extension from a name and name, value pairs.
func ext(name string, kv ...string) handshake.Extension {
	e := handshake.Extension{Name: name}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Params = append(e.Params, handshake.Param{Name: kv[i], Value: kv[i+1]})
	}
	return e
}

func TestParseExtensions(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []handshake.Extension
	}{
		{"absent", nil, nil},
		{"bare", []string{"x"}, []handshake.Extension{ext("x")}},
		{"params", []string{"permessage-deflate; client_max_window_bits=10; server_no_context_takeover"},
			[]handshake.Extension{ext("permessage-deflate", "client_max_window_bits", "10", "server_no_context_takeover", "")}},
		{"quoted value", []string{`permessage-deflate; client_max_window_bits="10"`},
			[]handshake.Extension{ext("permessage-deflate", "client_max_window_bits", "10")}},
		{"escaped quoted value", []string{`x; a="b\c"`}, []handshake.Extension{ext("x", "a", "bc")}},
		{"whitespace everywhere", []string{" a ;\tb = 1 ; c , d "}, []handshake.Extension{ext("a", "b", "1", "c", ""), ext("d")}},
		{"list and lines", []string{"a, b; x=y", "c"}, []handshake.Extension{ext("a"), ext("b", "x", "y"), ext("c")}},
		{"empty elements", []string{", a,, b ,"}, []handshake.Extension{ext("a"), ext("b")}},
		{"same name twice", []string{"permessage-deflate; client_max_window_bits, permessage-deflate"},
			[]handshake.Extension{ext("permessage-deflate", "client_max_window_bits", ""), ext("permessage-deflate")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.lines {
				h.Add("Sec-WebSocket-Extensions", l)
			}
			got, err := handshake.ParseExtensions(h)
			if err != nil {
				t.Fatalf("ParseExtensions: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseExtensions = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseExtensionsMalformed(t *testing.T) {
	for _, line := range []string{
		";",
		"a;",
		"a;;b",
		"a b",
		"a; b=",
		"a; =1",
		"a; b=1 2",
		`a; b="1`,
		`a; b="1\`,
		`a; b="1 2"`,  // unquotes to a non-token
		`a; b=""`,     // unquotes to the empty string
		`a; b="x"y`,   // text after the quote
		"a@b",         // separator in a name
		"a; b=c@d",    // separator in a value
		"\"quoted\"",  // a quoted name
		"a\x00",       // control character
		"pmd; x=\xff", // not US-ASCII
	} {
		h := http.Header{"Sec-Websocket-Extensions": {line}}
		got, err := handshake.ParseExtensions(h)
		if !errors.Is(err, handshake.ErrBadExtensions) {
			t.Errorf("ParseExtensions(%q) = %+v, %v; want ErrBadExtensions", line, got, err)
		}
	}
}

func TestFormatExtensions(t *testing.T) {
	tests := []struct {
		exts []handshake.Extension
		want string
	}{
		{nil, ""},
		{[]handshake.Extension{ext("permessage-deflate", "client_max_window_bits", "10"), ext("x")},
			"permessage-deflate; client_max_window_bits=10, x"},
		{[]handshake.Extension{ext("a", "b", "", "c", "d")}, "a; b; c=d"},
		{[]handshake.Extension{ext("a", "b", `sp "q" \`)}, `a; b="sp \"q\" \\"`},
		{[]handshake.Extension{ext("a", "b", "x\r\ny")}, `a; b="xy"`},
	}
	for _, tt := range tests {
		if got := handshake.FormatExtensions(tt.exts); got != tt.want {
			t.Errorf("FormatExtensions(%+v) = %q, want %q", tt.exts, got, tt.want)
		}
	}
}

func TestExtensionsRoundTrip(t *testing.T) {
	lists := [][]handshake.Extension{
		{ext("permessage-deflate", "client_max_window_bits", "", "server_max_window_bits", "10")},
		{ext("a"), ext("b", "c", "d", "e", ""), ext("f", "g", "h")},
	}
	for _, exts := range lists {
		h := http.Header{"Sec-Websocket-Extensions": {handshake.FormatExtensions(exts)}}
		got, err := handshake.ParseExtensions(h)
		if err != nil || !reflect.DeepEqual(got, exts) {
			t.Errorf("round trip of %+v via %q = %+v, %v", exts, h.Get("Sec-WebSocket-Extensions"), got, err)
		}
	}
}
