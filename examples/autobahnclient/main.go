// Autobahnclient is wsactor's client testee for the Autobahn TestSuite: it
// runs every case of the suite's fuzzingserver and asks it to write its
// report.
//
//	wstest -m fuzzingserver -s fuzzingserver.json   # the suite, elsewhere
//	go run ./examples/autobahnclient -url ws://127.0.0.1:9001
//
// It speaks the suite's three endpoints: /getCaseCount sends the number of
// cases as a text message; /runCase?case=N&agent=A runs case N, the client
// echoing every message until the server closes; /updateReports?agent=A
// writes the reports. Each case's outcome is the suite's to judge (many
// cases end in a protocol error on purpose), so the client only prints how
// each connection ended.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "ws://127.0.0.1:9001", "the fuzzingserver's URL")
	flag.StringVar(&cfg.agent, "agent", "wsactor", "the agent name the reports use")
	flag.DurationVar(&cfg.caseTimeout, "case-timeout", time.Minute, "the longest one case may take")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "autobahnclient:", err)
		os.Exit(1)
	}
}
