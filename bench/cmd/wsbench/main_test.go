package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseQuickSetsShortDefaultsButKeepsExplicitFlags(t *testing.T) {
	f, err := parse([]string{"-quick", "-runs", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if f.runs != 2 {
		t.Errorf("-runs 2 with -quick gave %d runs", f.runs)
	}
	if f.warmup != 50*time.Millisecond || f.duration != 150*time.Millisecond || f.idle != 1000 || f.rounds != 3 {
		t.Errorf("-quick defaults: warmup %v, duration %v, idle %d, rounds %d", f.warmup, f.duration, f.idle, f.rounds)
	}
	f, err = parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.runs != 5 || f.idle != 10000 {
		t.Errorf("defaults: %d runs, %d idle connections; want 5 and 10000", f.runs, f.idle)
	}
}

func TestParseRefusesNonPositiveCounts(t *testing.T) {
	for _, args := range [][]string{{"-runs", "0"}, {"-idle", "-1"}, {"-duration", "0s"}} {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%q) succeeded", args)
		}
	}
}

func TestRunRefusesAnUnknownRole(t *testing.T) {
	if err := run([]string{"-role", "nobody"}); err == nil {
		t.Error("an unknown role was accepted")
	}
}
