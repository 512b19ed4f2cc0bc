package handshake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

// parseOne parses a Sec-WebSocket-Extensions value.
func parseOne(t testing.TB, value string) []handshake.Extension {
	t.Helper()
	exts, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {value}})
	if err != nil {
		t.Fatalf("ParseExtensions(%q): %v", value, err)
	}
	return exts
}

func TestDeflateOffer(t *testing.T) {
	for _, tt := range []struct {
		noContextTakeover bool
		want              string
	}{
		{false, "permessage-deflate"},
		{true, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
	} {
		got := handshake.FormatExtensions([]handshake.Extension{handshake.DeflateOffer(tt.noContextTakeover)})
		if got != tt.want {
			t.Errorf("DeflateOffer(%v) = %q, want %q", tt.noContextTakeover, got, tt.want)
		}
	}
}

// The server's side of RFC 7692 section 7.1: which offer it accepts, what
// it answers and what it agrees to, with and without its own wish for no
// context takeover.
func TestAcceptDeflate(t *testing.T) {
	p := func(snct, cnct bool, sbits, cbits int) handshake.DeflateParams {
		return handshake.DeflateParams{ServerNoContextTakeover: snct, ClientNoContextTakeover: cnct, ServerMaxWindowBits: sbits, ClientMaxWindowBits: cbits}
	}
	tests := []struct {
		name     string
		offers   string
		noCtx    bool   // the server's configuration
		response string // "" when declined
		agreed   handshake.DeflateParams
	}{
		{"plain offer", "permessage-deflate", false, "permessage-deflate", p(false, false, 15, 15)},
		{"plain offer, server wants no context takeover", "permessage-deflate", true,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover", p(true, true, 15, 15)},
		{"browser offer", "permessage-deflate; client_max_window_bits", false, "permessage-deflate", p(false, false, 15, 15)},
		{"client asks server for no context takeover", "permessage-deflate; server_no_context_takeover", false,
			"permessage-deflate; server_no_context_takeover", p(true, false, 15, 15)},
		{"client promises no context takeover", "permessage-deflate; client_no_context_takeover", false,
			"permessage-deflate; client_no_context_takeover", p(false, true, 15, 15)},
		{"client window hint", "permessage-deflate; client_max_window_bits=10", false, "permessage-deflate", p(false, false, 15, 10)},
		{"quoted window", `permessage-deflate; client_max_window_bits="12"`, false, "permessage-deflate", p(false, false, 15, 12)},
		{"server window 15 is answered", "permessage-deflate; server_max_window_bits=15", false,
			"permessage-deflate; server_max_window_bits=15", p(false, false, 15, 15)},
		{"case-insensitive names", "PerMessage-Deflate; Server_No_Context_Takeover", false,
			"permessage-deflate; server_no_context_takeover", p(true, false, 15, 15)},
		{"all parameters", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=8", false,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15", p(true, true, 15, 8)},
		{"other extensions pass by", "x-webkit-deflate-frame, permessage-deflate", false, "permessage-deflate", p(false, false, 15, 15)},
		{"first acceptable offer wins", "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover", false,
			"permessage-deflate; client_no_context_takeover", p(false, true, 15, 15)},

		// Declined (RFC 7692 section 7.1): every offer is unacceptable.
		{"no offer", "", false, "", p(false, false, 0, 0)},
		{"other extension only", "x-webkit-deflate-frame", false, "", p(false, false, 0, 0)},
		{"server window below 15", "permessage-deflate; server_max_window_bits=10", false, "", p(false, false, 0, 0)},
		{"server window without value", "permessage-deflate; server_max_window_bits", false, "", p(false, false, 0, 0)},
		{"window out of range", "permessage-deflate; client_max_window_bits=16", false, "", p(false, false, 0, 0)},
		{"window too small", "permessage-deflate; client_max_window_bits=7", false, "", p(false, false, 0, 0)},
		{"window with leading zero", "permessage-deflate; client_max_window_bits=09", false, "", p(false, false, 0, 0)},
		{"window not a number", "permessage-deflate; server_max_window_bits=x", false, "", p(false, false, 0, 0)},
		{"no context takeover with value", "permessage-deflate; client_no_context_takeover=1", false, "", p(false, false, 0, 0)},
		{"unknown parameter", "permessage-deflate; mystery", false, "", p(false, false, 0, 0)},
		{"duplicate parameter", "permessage-deflate; client_no_context_takeover; client_no_context_takeover", false, "", p(false, false, 0, 0)},
		{"duplicate in other case", "permessage-deflate; client_max_window_bits; Client_Max_Window_Bits=10", false, "", p(false, false, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offers []handshake.Extension
			if tt.offers != "" {
				offers = parseOne(t, tt.offers)
			}
			resp, agreed, ok := handshake.AcceptDeflate(offers, tt.noCtx)
			if ok != (tt.response != "") {
				t.Fatalf("AcceptDeflate(%q) ok = %v, want %v", tt.offers, ok, !ok)
			}
			if !ok {
				return
			}
			if got := handshake.FormatExtensions([]handshake.Extension{resp}); got != tt.response {
				t.Errorf("response = %q, want %q", got, tt.response)
			}
			if agreed != tt.agreed {
				t.Errorf("agreed = %+v, want %+v", agreed, tt.agreed)
			}
			// The client's check accepts every answer the server gives.
			back, ok, err := handshake.VerifyDeflate([]handshake.Extension{resp})
			if err != nil || !ok {
				t.Fatalf("VerifyDeflate of the server's own response: %v, %v", ok, err)
			}
			if back.ServerNoContextTakeover != agreed.ServerNoContextTakeover || back.ClientNoContextTakeover != agreed.ClientNoContextTakeover {
				t.Errorf("client reads %+v from the response, server agreed %+v", back, agreed)
			}
		})
	}
}

// The client's side of RFC 7692 section 7.1: which responses it accepts,
// and the ones on which it must fail the connection.
func TestVerifyDeflate(t *testing.T) {
	tests := []struct {
		name     string
		response string
		ok       bool
		agreed   handshake.DeflateParams
		bad      bool // ErrBadDeflate
	}{
		{"declined", "", false, handshake.DeflateParams{}, false},
		{"other extension", "x-other", false, handshake.DeflateParams{}, false},
		{"plain", "permessage-deflate", true, handshake.DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, false},
		{"both no context takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", true,
			handshake.DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, false},
		{"server limits its own window", "permessage-deflate; server_max_window_bits=12", true,
			handshake.DeflateParams{ServerMaxWindowBits: 12, ClientMaxWindowBits: 15}, false},
		{"smallest server window", "permessage-deflate; server_max_window_bits=8", true,
			handshake.DeflateParams{ServerMaxWindowBits: 8, ClientMaxWindowBits: 15}, false},
		{"client window 15 is no limit", "permessage-deflate; client_max_window_bits=15", true,
			handshake.DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, false},

		{"client window below 15", "permessage-deflate; client_max_window_bits=10", false, handshake.DeflateParams{}, true},
		{"client window without value", "permessage-deflate; client_max_window_bits", false, handshake.DeflateParams{}, true},
		{"server window without value", "permessage-deflate; server_max_window_bits", false, handshake.DeflateParams{}, true},
		{"server window out of range", "permessage-deflate; server_max_window_bits=16", false, handshake.DeflateParams{}, true},
		{"server window with leading zero", "permessage-deflate; server_max_window_bits=010", false, handshake.DeflateParams{}, true},
		{"no context takeover with value", "permessage-deflate; server_no_context_takeover=true", false, handshake.DeflateParams{}, true},
		{"unknown parameter", "permessage-deflate; mystery=1", false, handshake.DeflateParams{}, true},
		{"duplicate parameter", "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", false, handshake.DeflateParams{}, true},
		{"accepted twice", "permessage-deflate, permessage-deflate", false, handshake.DeflateParams{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var accepted []handshake.Extension
			if tt.response != "" {
				accepted = parseOne(t, tt.response)
			}
			agreed, ok, err := handshake.VerifyDeflate(accepted)
			if tt.bad {
				if !errors.Is(err, handshake.ErrBadDeflate) || ok {
					t.Fatalf("VerifyDeflate(%q) = %v, %v; want ErrBadDeflate", tt.response, ok, err)
				}
				return
			}
			if err != nil || ok != tt.ok || agreed != tt.agreed {
				t.Fatalf("VerifyDeflate(%q) = %+v, %v, %v; want %+v, %v, nil", tt.response, agreed, ok, err, tt.agreed, tt.ok)
			}
		})
	}
}

func FuzzDeflateNegotiation(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=8",
		"permessage-deflate; server_max_window_bits=10, permessage-deflate",
		`permessage-deflate; client_max_window_bits="09"; x=y`,
		"permessage-deflate, permessage-deflate; server_max_window_bits=08",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, value string, noCtx bool) {
		exts, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {value}})
		if err != nil {
			return
		}
		resp, agreed, ok := handshake.AcceptDeflate(exts, noCtx)
		if ok {
			// Whatever a server answers, a client accepts, and reads the
			// same agreement from it.
			back, ok2, err := handshake.VerifyDeflate([]handshake.Extension{resp})
			if err != nil || !ok2 {
				t.Fatalf("VerifyDeflate(%q) of the answer to %q: %v, %v", handshake.FormatExtensions([]handshake.Extension{resp}), value, ok2, err)
			}
			if back.ServerNoContextTakeover != agreed.ServerNoContextTakeover || back.ClientNoContextTakeover != agreed.ClientNoContextTakeover {
				t.Fatalf("client reads %+v, server agreed %+v", back, agreed)
			}
			if noCtx && !(agreed.ServerNoContextTakeover && agreed.ClientNoContextTakeover) {
				t.Fatalf("server wanting no context takeover agreed to %+v", agreed)
			}
			if agreed.ServerMaxWindowBits != 15 {
				t.Fatalf("server agreed to compress with a window of %d bits", agreed.ServerMaxWindowBits)
			}
		}
		agreed, ok, err = handshake.VerifyDeflate(exts)
		if err != nil && !errors.Is(err, handshake.ErrBadDeflate) {
			t.Fatalf("VerifyDeflate error %v does not wrap ErrBadDeflate", err)
		}
		if ok && (agreed.ClientMaxWindowBits != 15 || agreed.ServerMaxWindowBits < 8 || agreed.ServerMaxWindowBits > 15) {
			t.Fatalf("VerifyDeflate(%q) agreed to %+v", value, agreed)
		}
	})
}
