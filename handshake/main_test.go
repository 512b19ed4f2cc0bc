package handshake_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rfcKey is the sample nonce of RFC 6455 section 1.3 and rfcAccept its
// answer.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" // as printed in RFC 6455 1.3
)

// readRequest parses raw, with "\n" line ends turned into "\r\n", as a
// server would.
func readRequest(t testing.TB, raw string) *http.Request {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("http.ReadRequest: %v", err)
	}
	return r
}
