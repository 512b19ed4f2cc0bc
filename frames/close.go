package frames

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// CloseCode is the status code of a close frame (RFC 6455 sections 5.5.1
// and 7.4), saying why an endpoint is closing the connection.
type CloseCode uint16

// The status codes that RFC 6455 section 7.4.1 and the IANA registry
// define. Codes 3000 to 3999 are registered by libraries, frameworks and
// applications, and 4000 to 4999 are for private use.
const (
	CloseNormal             CloseCode = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway          CloseCode = 1001 // a server going down, a browser leaving a page
	CloseProtocolError      CloseCode = 1002 // the peer broke the protocol
	CloseUnsupportedData    CloseCode = 1003 // a kind of data the endpoint cannot accept
	CloseNoStatus           CloseCode = 1005 // never on the wire: the peer sent no code
	CloseAbnormal           CloseCode = 1006 // never on the wire: the connection dropped
	CloseInvalidPayload     CloseCode = 1007 // data inconsistent with its type, such as bad UTF-8
	ClosePolicyViolation    CloseCode = 1008 // a message that violates the endpoint's policy
	CloseMessageTooBig      CloseCode = 1009 // a message too big to process
	CloseMandatoryExtension CloseCode = 1010 // the server did not negotiate a required extension
	CloseInternalError      CloseCode = 1011 // the server met an unexpected condition
	CloseServiceRestart     CloseCode = 1012 // the server is restarting
	CloseTryAgainLater      CloseCode = 1013 // the server is overloaded, try again later
	CloseBadGateway         CloseCode = 1014 // a gateway got an invalid response upstream
	CloseTLSHandshake       CloseCode = 1015 // never on the wire: the TLS handshake failed
)

// MaxCloseReason is the longest close reason in bytes: a control frame
// carries at most 125 bytes, two of which are the status code.
const MaxCloseReason = 123

var closeCodeNames = map[CloseCode]string{
	CloseNormal:             "normal closure",
	CloseGoingAway:          "going away",
	CloseProtocolError:      "protocol error",
	CloseUnsupportedData:    "unsupported data",
	CloseNoStatus:           "no status received",
	CloseAbnormal:           "abnormal closure",
	CloseInvalidPayload:     "invalid payload data",
	ClosePolicyViolation:    "policy violation",
	CloseMessageTooBig:      "message too big",
	CloseMandatoryExtension: "mandatory extension",
	CloseInternalError:      "internal error",
	CloseServiceRestart:     "service restart",
	CloseTryAgainLater:      "try again later",
	CloseBadGateway:         "bad gateway",
	CloseTLSHandshake:       "TLS handshake failure",
}

// String returns the code's name as the IANA registry gives it, in lower
// case, such as "normal closure", or "close code N" for other codes.
func (c CloseCode) String() string {
	if s, ok := closeCodeNames[c]; ok {
		return s
	}
	return "close code " + strconv.Itoa(int(c))
}

// ValidOnWire reports whether c may be sent in a close frame: the defined
// codes 1000 to 1003 and 1007 to 1014, and the registered and private
// ranges 3000 to 4999. Codes below 1000 are not used, 1004 is reserved,
// 1005, 1006 and 1015 only describe a closure locally, and 1016 to 2999 are
// reserved for future revisions of the protocol.
func (c CloseCode) ValidOnWire() bool {
	switch {
	case c >= CloseNormal && c <= CloseUnsupportedData:
		return true
	case c >= CloseInvalidPayload && c <= CloseBadGateway:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// AppendClose appends the payload of a close frame to dst and returns the
// extended slice. It is lua-http's build_close: the code in two bytes, big
// endian, then the reason. The reason must be at most [MaxCloseReason] bytes
// ([ErrCloseReasonTooLong]) of valid UTF-8 ([ErrInvalidUTF8]), and the code
// valid on the wire ([ErrInvalidCloseCode]), with one exception:
// [CloseNoStatus] with an empty reason appends nothing, which is the payload
// that says "no status", for echoing a close frame that carried no code.
// On an error dst is returned unchanged.
func AppendClose(dst []byte, code CloseCode, reason string) ([]byte, error) {
	if len(reason) > MaxCloseReason {
		return dst, fmt.Errorf("%w: %d bytes", ErrCloseReasonTooLong, len(reason))
	}
	if !utf8.ValidString(reason) {
		return dst, fmt.Errorf("%w in close reason", ErrInvalidUTF8)
	}
	if code == CloseNoStatus && reason == "" {
		return dst, nil
	}
	if !code.ValidOnWire() {
		return dst, fmt.Errorf("%w: %d", ErrInvalidCloseCode, code)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...), nil
}

// ParseClose returns the status code and reason of a close frame payload.
// It is lua-http's parse_close. An empty payload carries no status and
// yields [CloseNoStatus] and an empty reason. A payload of one byte is
// [ErrInvalidClosePayload], a code not valid on the wire
// [ErrInvalidCloseCode] and a reason that is not UTF-8 [ErrInvalidUTF8]; with
// the last two the code is returned as the payload had it, and the reason
// empty. ParseClose does not check the payload's length, which is the
// frame's business (see [Header.Validate]).
func ParseClose(payload []byte) (CloseCode, string, error) {
	switch len(payload) {
	case 0:
		return CloseNoStatus, "", nil
	case 1:
		return 0, "", ErrInvalidClosePayload
	}
	code := CloseCode(binary.BigEndian.Uint16(payload))
	if !code.ValidOnWire() {
		return code, "", fmt.Errorf("%w: %d", ErrInvalidCloseCode, code)
	}
	reason := payload[2:]
	if !ValidUTF8(reason) {
		return code, "", fmt.Errorf("%w in close reason", ErrInvalidUTF8)
	}
	return code, string(reason), nil
}
