package proc

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// serverEnv, when set, makes the test binary act as a server process for
// TestStartRunsAServerInAChildProcess.
const serverEnv = "WSBENCH_PROC_TEST_SERVER"

func TestMain(m *testing.M) {
	if lib := os.Getenv(serverEnv); lib != "" {
		if err := Serve(Options{Lib: lib, Hub: true}, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
