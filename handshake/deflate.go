package handshake

import (
	"errors"
	"fmt"
	"strings"
)

// PerMessageDeflate is the name of the compression extension of RFC 7692,
// section 7.
const PerMessageDeflate = "permessage-deflate"

// The parameters of permessage-deflate (RFC 7692 section 7.1).
const (
	serverNoContextTakeover = "server_no_context_takeover"
	clientNoContextTakeover = "client_no_context_takeover"
	serverMaxWindowBits     = "server_max_window_bits"
	clientMaxWindowBits     = "client_max_window_bits"
)

// maxWindowBits is the only LZ77 window compress/flate compresses with:
// 32 KiB. It inflates with any window up to that.
const maxWindowBits = 15

// ErrBadDeflate reports a permessage-deflate response that a client cannot
// accept (RFC 7692 section 7.1): a parameter that a response may not carry
// or carries twice, a value out of range, or a window the client cannot
// compress with. The client must fail the connection (RFC 7692 section 5).
var ErrBadDeflate = errors.New("websocket: unacceptable permessage-deflate response")

// DeflateParams are what a permessage-deflate negotiation agreed on: for
// each direction, whether the sender starts every message with an empty
// LZ77 window (no context takeover) and the largest window it compresses
// with, as a base-2 logarithm from 8 to 15.
type DeflateParams struct {
	// ServerNoContextTakeover: the server compresses every message on its
	// own, so the client keeps nothing from one message to the next.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client compresses every message on its
	// own, so the server keeps nothing from one message to the next.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits is the largest window the server compresses
	// with, 15 unless the response said less.
	ServerMaxWindowBits int
	// ClientMaxWindowBits is the largest window the client compresses
	// with, 15 unless the client's offer or the server's response said
	// less.
	ClientMaxWindowBits int
}

// DeflateOffer returns the permessage-deflate offer of a client, for
// [ClientRequest.Extensions]. With noContextTakeover it asks both sides to
// compress every message on its own (server_no_context_takeover and
// client_no_context_takeover), so that neither keeps compression state
// between messages. It never offers client_max_window_bits: Go's
// compress/flate always compresses with a 32 KiB window, so the client
// could not honour a smaller one.
func DeflateOffer(noContextTakeover bool) Extension {
	e := Extension{Name: PerMessageDeflate}
	if noContextTakeover {
		e.Params = []Param{{Name: serverNoContextTakeover}, {Name: clientNoContextTakeover}}
	}
	return e
}

// AcceptDeflate chooses, for a server, the first of the client's
// permessage-deflate offers (in offers, as [Request.Extensions] holds them)
// that it can accept, and returns the extension element to answer with
// and the parameters agreed. It returns ok false when no offer is
// acceptable; the server then declines compression, which is not an error.
//
// As RFC 7692 section 7.1 requires, an offer is declined when it carries
// a parameter not defined for an offer, a parameter twice, or a value out
// of range (window bits are a decimal 8 to 15 without leading zeros;
// the no_context_takeover parameters take no value). An offer with
// server_max_window_bits below 15 is declined too: compress/flate cannot
// compress with a window under 32 KiB, and a server that accepted the
// parameter would have to. client_max_window_bits, with or without a
// value, is accepted and not answered: the server inflates any window.
//
// With noContextTakeover the server answers with both
// server_no_context_takeover and client_no_context_takeover, so that
// neither side keeps compression state between messages; otherwise it
// takes over its own context unless the client asked it not to, and echoes
// client_no_context_takeover when the client offered it.
func AcceptDeflate(offers []Extension, noContextTakeover bool) (response Extension, agreed DeflateParams, ok bool) {
	for _, offer := range offers {
		if !strings.EqualFold(offer.Name, PerMessageDeflate) {
			continue
		}
		p, err := parseDeflate(offer.Params, true)
		if err != nil || p.ServerMaxWindowBits < maxWindowBits {
			continue
		}
		response = Extension{Name: PerMessageDeflate}
		if noContextTakeover || p.ServerNoContextTakeover {
			p.ServerNoContextTakeover = true
			response.Params = append(response.Params, Param{Name: serverNoContextTakeover})
		}
		if noContextTakeover || p.ClientNoContextTakeover {
			p.ClientNoContextTakeover = true
			response.Params = append(response.Params, Param{Name: clientNoContextTakeover})
		}
		if hasParam(offer.Params, serverMaxWindowBits) {
			// RFC 7692 section 7.1.2.1: an accepted server_max_window_bits
			// is answered, with a value no larger than the offer's.
			response.Params = append(response.Params, Param{Name: serverMaxWindowBits, Value: "15"})
		}
		return response, p, true
	}
	return Extension{}, DeflateParams{}, false
}

// VerifyDeflate checks, for a client that offered [DeflateOffer], the
// extensions the server accepted ([Result.Extensions]) and returns the
// parameters agreed; ok is false when the server did not accept
// permessage-deflate. A response the client cannot accept (RFC 7692
// section 7.1) is an error wrapping [ErrBadDeflate], and the client must
// fail the connection: permessage-deflate accepted twice, a parameter not
// defined for a response or given twice, a value out of range, or
// client_max_window_bits below 15, which the client did not offer and
// could not honour. Any server_max_window_bits is accepted, since the
// client inflates any window, and so is a response that lets the server
// take over its context where the client asked it not to: the client
// supports both.
func VerifyDeflate(accepted []Extension) (agreed DeflateParams, ok bool, err error) {
	for _, e := range accepted {
		if !strings.EqualFold(e.Name, PerMessageDeflate) {
			continue
		}
		if ok {
			return DeflateParams{}, false, fmt.Errorf("%w: accepted twice", ErrBadDeflate)
		}
		if agreed, err = parseDeflate(e.Params, false); err != nil {
			return DeflateParams{}, false, err
		}
		if agreed.ClientMaxWindowBits < maxWindowBits {
			return DeflateParams{}, false, fmt.Errorf("%w: client_max_window_bits=%d was not offered and compress/flate cannot honour it",
				ErrBadDeflate, agreed.ClientMaxWindowBits)
		}
		ok = true
	}
	return agreed, ok, nil
}

// parseDeflate reads the parameters of one permessage-deflate element, an
// offer or a response, and checks them against RFC 7692 section 7.1.
// Window bits that are not given are 15. Errors wrap ErrBadDeflate.
func parseDeflate(params []Param, offer bool) (DeflateParams, error) {
	p := DeflateParams{ServerMaxWindowBits: maxWindowBits, ClientMaxWindowBits: maxWindowBits}
	for i, param := range params {
		name := strings.ToLower(param.Name)
		for _, earlier := range params[:i] {
			if strings.EqualFold(earlier.Name, name) {
				return DeflateParams{}, fmt.Errorf("%w: %s given twice", ErrBadDeflate, name)
			}
		}
		var err error
		switch name {
		case serverNoContextTakeover, clientNoContextTakeover:
			if param.Value != "" {
				return DeflateParams{}, fmt.Errorf("%w: %s takes no value, got %q", ErrBadDeflate, name, param.Value)
			}
			if name == serverNoContextTakeover {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case serverMaxWindowBits:
			p.ServerMaxWindowBits, err = windowBits(name, param.Value)
		case clientMaxWindowBits:
			if offer && param.Value == "" {
				continue // "the client supports any window": nothing asked of the server
			}
			p.ClientMaxWindowBits, err = windowBits(name, param.Value)
		default:
			return DeflateParams{}, fmt.Errorf("%w: unknown parameter %q", ErrBadDeflate, param.Name)
		}
		if err != nil {
			return DeflateParams{}, err
		}
	}
	return p, nil
}

// windowBits parses a window size parameter: a decimal integer from 8 to
// 15 without leading zeros.
func windowBits(name, v string) (int, error) {
	switch {
	case len(v) == 1 && v[0] >= '8' && v[0] <= '9':
		return int(v[0] - '0'), nil
	case len(v) == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5':
		return 10 + int(v[1]-'0'), nil
	}
	return 0, fmt.Errorf("%w: %s=%q is not an integer from 8 to 15", ErrBadDeflate, name, v)
}

// hasParam reports whether params holds a parameter called name, compared
// case-insensitively.
func hasParam(params []Param, name string) bool {
	for _, p := range params {
		if strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}
