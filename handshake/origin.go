package handshake

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// CheckOrigin protects a server from cross-site WebSocket hijacking: a
// browser sends cookies with a WebSocket request from any page, so a
// server that relies on them must refuse pages of other sites. It reports
// whether r's Origin is acceptable:
//
//   - a request without Origin is accepted: it does not come from a
//     browser page;
//   - an origin whose host (with port, if any) equals r.Host, ignoring
//     case, is accepted;
//   - an origin whose host matches one of patterns is accepted; patterns
//     use the syntax of [path.Match] and are matched ignoring case, such as
//     "example.com", "*.example.com" or "localhost:*". An origin without a
//     host, such as "null", is matched as a whole, so the pattern "null"
//     accepts sandboxed pages;
//   - anything else, including more than one Origin field, is refused with
//     a *[RequestError] with status 403 wrapping [ErrOriginNotAllowed].
//
// A malformed pattern is an error wrapping [path.ErrBadPattern], whatever
// the request.
func CheckOrigin(r *http.Request, patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("websocket: origin pattern %q: %w", p, err)
		}
	}
	if r == nil {
		return nil
	}
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return nil
	}
	if len(origins) > 1 {
		return refuse(http.StatusForbidden, nil, fmt.Errorf("%w: %d Origin fields", ErrOriginNotAllowed, len(origins)))
	}
	origin := strings.Trim(origins[0], " \t")
	host := strings.ToLower(origin)
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		if strings.EqualFold(u.Host, r.Host) {
			return nil
		}
		host = strings.ToLower(u.Host)
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), host); ok {
			return nil
		}
	}
	return refuse(http.StatusForbidden, nil, fmt.Errorf("%w: %q", ErrOriginNotAllowed, origin))
}
