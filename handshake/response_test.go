package handshake_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

const response101 = "HTTP/1.1 101 Switching Protocols\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Accept: " + rfcAccept + "\r\n\r\n"

// helloFrame is an unmasked text frame "Hello" (RFC 6455 section 5.7).
const helloFrame = "\x81\x05Hello"

func TestReadResponseLeavesFramesBehind101InReader(t *testing.T) {
	for _, size := range []int{16, 64, 4096} { // buffers smaller and larger than the header
		br := bufio.NewReaderSize(strings.NewReader(response101+helloFrame), size)
		resp, err := handshake.ReadResponse(br, 0)
		if err != nil {
			t.Fatalf("buffer %d: ReadResponse: %v", size, err)
		}
		if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != rfcAccept {
			t.Errorf("buffer %d: response %d %v", size, resp.StatusCode, resp.Header)
		}
		rest, err := io.ReadAll(br)
		if err != nil || string(rest) != helloFrame {
			t.Errorf("buffer %d: after the header the reader holds %q, %v; want the frame %q", size, rest, err, helloFrame)
		}
		if body, _ := io.ReadAll(resp.Body); len(body) != 0 {
			t.Errorf("buffer %d: 101 body = %q, want empty", size, body)
		}
	}
}

func TestReadResponseThenVerify(t *testing.T) {
	br := bufio.NewReader(strings.NewReader(response101))
	resp, err := handshake.ReadResponse(br, 0)
	if err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	cr := &handshake.ClientRequest{Key: rfcKey}
	if _, err := cr.Verify(resp); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestReadResponseAcceptsBareLineFeeds(t *testing.T) {
	raw := strings.ReplaceAll(response101, "\r\n", "\n") + helloFrame
	br := bufio.NewReader(strings.NewReader(raw))
	if _, err := handshake.ReadResponse(br, 0); err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != helloFrame {
		t.Errorf("reader holds %q, want the frame", rest)
	}
}

// endless is an endless header stream: a status line, then fields forever.
type endless struct {
	n    int64 // bytes produced
	sent bool
}

func (e *endless) Read(p []byte) (int, error) {
	const field = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	if !e.sent {
		e.sent = true
		return copy(p, "HTTP/1.1 101 Switching Protocols\r\n"), nil
	}
	n := 0
	for n < len(p) {
		n += copy(p[n:], field)
	}
	e.n += int64(n)
	return n, nil
}

func TestReadResponseEndlessHeaderIsTooLarge(t *testing.T) {
	for _, limit := range []int{0, 100, 64 << 10} {
		src := &endless{}
		br := bufio.NewReaderSize(src, 4096)
		_, err := handshake.ReadResponse(br, limit)
		if !errors.Is(err, handshake.ErrHeaderTooLarge) {
			t.Fatalf("limit %d: ReadResponse = %v, want ErrHeaderTooLarge", limit, err)
		}
		want := int64(limit)
		if limit <= 0 {
			want = 8 << 10
		}
		// Reading stops within one buffer of the limit.
		if src.n > want+4096 {
			t.Errorf("limit %d: read %d bytes from an endless stream, want at most %d", limit, src.n, want+4096)
		}
	}
}

func TestReadResponseLimitCountsTheWholeHeader(t *testing.T) {
	n := len(response101)
	if _, err := handshake.ReadResponse(bufio.NewReader(strings.NewReader(response101)), n); err != nil {
		t.Errorf("limit %d for a %d-byte header: %v", n, n, err)
	}
	if _, err := handshake.ReadResponse(bufio.NewReader(strings.NewReader(response101)), n-1); !errors.Is(err, handshake.ErrHeaderTooLarge) {
		t.Errorf("limit %d for a %d-byte header: %v, want ErrHeaderTooLarge", n-1, n, err)
	}
}

func TestReadResponseTruncated(t *testing.T) {
	tests := []struct {
		raw  string
		want error
	}{
		{"", io.EOF},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n", io.ErrUnexpectedEOF},
		{"HTTP/1.1 101 Swit", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		_, err := handshake.ReadResponse(bufio.NewReader(strings.NewReader(tt.raw)), 0)
		if !errors.Is(err, tt.want) {
			t.Errorf("ReadResponse(%q) = %v, want %v", tt.raw, err, tt.want)
		}
	}
}

func TestReadResponseMalformed(t *testing.T) {
	for _, raw := range []string{
		"garbage\r\n\r\n",
		"HTTP/1.1 abc Nope\r\n\r\n",
		"HTTP/1.1 403 Forbidden\r\nContent-Length: x\r\n\r\n",
	} {
		if resp, err := handshake.ReadResponse(bufio.NewReader(strings.NewReader(raw)), 0); err == nil {
			t.Errorf("ReadResponse(%q) = %d, want an error", raw, resp.StatusCode)
		}
	}
}

func TestReadResponseRefusalBody(t *testing.T) {
	tests := []struct {
		name, raw, body string
		rest            string // left in the reader; "*" for anything
	}{
		{"content-length", "HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\ngo awayNEXT", "go away", "NEXT"},
		{"content-length over 1 KiB", "HTTP/1.1 403 Forbidden\r\nContent-Length: 2000\r\n\r\n" + strings.Repeat("y", 2000),
			strings.Repeat("y", 1024), strings.Repeat("y", 976)},
		{"short body", "HTTP/1.1 403 Forbidden\r\nContent-Length: 70\r\n\r\ngo", "go", ""},
		{"chunked", "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n8\r\n request\r\n0\r\n\r\n", "bad request", "*"},
		{"until close", "HTTP/1.0 500 Internal Server Error\r\n\r\noops", "oops", ""},
		{"no body allowed", "HTTP/1.1 304 Not Modified\r\n\r\nNEXT", "", "NEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.raw))
			resp, err := handshake.ReadResponse(br, 0)
			if err != nil {
				t.Fatalf("ReadResponse: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if rest, _ := io.ReadAll(br); tt.rest != "*" && string(rest) != tt.rest {
				t.Errorf("left in the reader: %q, want %q", rest, tt.rest)
			}
		})
	}
}

func TestReadResponseRefusalThenVerifyIsStatusError(t *testing.T) {
	raw := "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\ngo away\n"
	resp, err := handshake.ReadResponse(bufio.NewReader(strings.NewReader(raw)), 0)
	if err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	_, err = (&handshake.ClientRequest{Key: rfcKey}).Verify(resp)
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != 403 {
		t.Fatalf("Verify = %v, want a 403 StatusError", err)
	}
	if !strings.Contains(err.Error(), "403 Forbidden") || !strings.Contains(err.Error(), "go away") {
		t.Errorf("Error() = %q, want the status and the body start", err)
	}
}
