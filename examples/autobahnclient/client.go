package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// config is what the command line sets.
type config struct {
	url         string        // the fuzzingserver, ws://host:port
	agent       string        // the name the reports file the results under
	caseTimeout time.Duration // the longest one case may take
}

// maxMessage is the read limit for the cases: the suite's largest message
// is 16 MiB.
const maxMessage = 16 << 20

// run asks the server how many cases it has, runs each, and has the
// reports written. A case that fails on the wire is not an error of run:
// judging it is the suite's job.
func run(ctx context.Context, out io.Writer, cfg config) error {
	base, err := url.Parse(strings.TrimSuffix(cfg.url, "/"))
	if err != nil {
		return err
	}
	n, err := caseCount(ctx, base)
	if err != nil {
		return fmt.Errorf("getCaseCount: %w", err)
	}
	fmt.Fprintf(out, "%d cases\n", n)
	for i := 1; i <= n; i++ {
		cctx, cancel := context.WithTimeout(ctx, cfg.caseTimeout)
		err := runCase(cctx, endpoint(base, "runCase", "case", strconv.Itoa(i), "agent", cfg.agent))
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(out, "case %d/%d: %v\n", i, n, err)
	}
	if err := updateReports(ctx, endpoint(base, "updateReports", "agent", cfg.agent)); err != nil {
		return fmt.Errorf("updateReports: %w", err)
	}
	fmt.Fprintln(out, "reports updated")
	return nil
}

// endpoint returns base with path /name and the query given as key, value
// pairs.
func endpoint(base *url.URL, name string, query ...string) string {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + name
	q := url.Values{}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// caseCount reads the number of cases that /getCaseCount sends.
func caseCount(ctx context.Context, base *url.URL) (int, error) {
	c, err := conn.Dial(ctx, endpoint(base, "getCaseCount"))
	if err != nil {
		return 0, err
	}
	defer c.Close(frames.CloseNormal, "")
	msg, err := c.Receive(ctx)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(msg.String()))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("case count %q is not a number", msg.Data)
	}
	return n, nil
}

// runCase connects to u and echoes every message until the connection
// ends, and returns how it ended: a *conn.CloseError, or why it did not
// connect.
func runCase(ctx context.Context, u string) error {
	c, err := conn.Dial(ctx, u, conn.WithReadLimit(maxMessage))
	if err != nil {
		return err
	}
	defer c.Close(frames.CloseNormal, "")
	for msg, err := range c.Each(ctx) {
		if err != nil {
			return err
		}
		if err := c.Send(ctx, msg.Data, msg.Opcode); err != nil {
			break // the connection is ending; Done and Err tell how
		}
	}
	select {
	case <-c.Done():
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// updateReports asks the server to write its reports and waits for it to
// close the connection, as it does when done.
func updateReports(ctx context.Context, u string) error {
	c, err := conn.Dial(ctx, u)
	if err != nil {
		return err
	}
	defer c.Close(frames.CloseNormal, "")
	_, err = c.Receive(ctx)
	if errors.Is(err, conn.ErrClosed) {
		return nil
	}
	return err
}
