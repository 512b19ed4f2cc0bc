package handshake

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
)

const (
	// defaultMaxHeaderBytes is ReadResponse's header limit when none is
	// given.
	defaultMaxHeaderBytes = 8 << 10
	// maxBody is how much of a refusal's body ReadResponse keeps.
	maxBody = 1 << 10
)

// ReadResponse reads the server's answer to an opening handshake from br:
// the status line and the header fields, at most maxHeaderBytes bytes of
// them (8 KiB if maxHeaderBytes <= 0), else an error wrapping
// [ErrHeaderTooLarge].
//
// For a 101 response ReadResponse consumes nothing after the blank line
// that ends the header, so frames the server sent right behind it stay in
// br for the connection to read, and the response's Body is empty. For any
// other status it reads at most 1 KiB of the body into the response, as far
// as Content-Length, chunked encoding or the end of the stream bound it, so
// that [ClientRequest.Verify] can report why the server refused; the rest
// of the body, if any, is left in br.
//
// A stream that ends or fails before the header is complete gives an error
// wrapping the reader's error (io.EOF if it ended at once,
// io.ErrUnexpectedEOF if it ended in the middle).
func ReadResponse(br *bufio.Reader, maxHeaderBytes int) (*http.Response, error) {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = defaultMaxHeaderBytes
	}
	block, err := readHeaderBlock(br, maxHeaderBytes)
	if err != nil {
		return nil, err
	}
	// The block ends at the blank line, so net/http parses it without ever
	// seeing a byte that belongs to what follows.
	resp, err := http.ReadResponse(bufio.NewReaderSize(bytes.NewReader(block), len(block)), nil)
	if err != nil {
		return nil, fmt.Errorf("websocket: malformed handshake response: %w", err)
	}
	resp.Body = http.NoBody
	if resp.StatusCode != http.StatusSwitchingProtocols {
		if body := readBodyStart(br, resp); len(body) > 0 {
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	return resp, nil
}

// readHeaderBlock reads from br up to and including the blank line that
// ends a header block, holding at most max bytes.
func readHeaderBlock(br *bufio.Reader, max int) ([]byte, error) {
	var block []byte
	lineStart := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if len(block)+len(chunk) > max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrHeaderTooLarge, max)
		}
		block = append(block, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue // the same line goes on
		case err == io.EOF && len(block) > 0:
			return nil, fmt.Errorf("websocket: reading handshake response: %w", io.ErrUnexpectedEOF)
		case err != nil:
			return nil, fmt.Errorf("websocket: reading handshake response: %w", err)
		}
		line := block[lineStart:]
		if lineStart > 0 && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
			return block, nil
		}
		lineStart = len(block)
	}
}

// readBodyStart reads at most maxBody bytes of resp's body from br, as
// resp's framing allows. Errors end the read quietly: the body only
// explains a refusal.
func readBodyStart(br *bufio.Reader, resp *http.Response) []byte {
	var r io.Reader
	switch {
	case !bodyAllowed(resp.StatusCode):
		return nil
	case slices.ContainsFunc(resp.TransferEncoding, func(s string) bool { return strings.EqualFold(s, "chunked") }):
		r = httputil.NewChunkedReader(br)
	case resp.ContentLength >= 0:
		r = io.LimitReader(br, resp.ContentLength)
	default:
		r = br // delimited by the end of the stream
	}
	body, _ := io.ReadAll(io.LimitReader(r, maxBody))
	return body
}

// bodyAllowed reports whether a response with status code may have a body
// (RFC 7230 section 3.3.3).
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}
