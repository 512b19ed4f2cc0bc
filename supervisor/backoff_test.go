package supervisor

import (
	"testing"
	"time"
)

func TestBackoffNextWithoutJitter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"first restart is Min", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, 0, 10 * ms},
		{"grows by Multiplier", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, 1, 20 * ms},
		{"grows again", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, 3, 80 * ms},
		{"ceiling", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, 4, 100 * ms},
		{"ceiling for huge attempts", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, 1 << 20, 100 * ms},
		{"negative attempt is the first", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2}, -3, 10 * ms},
		{"multiplier 3", Backoff{Min: 1 * ms, Max: time.Second, Multiplier: 3}, 2, 9 * ms},
		{"multiplier 1 is constant", Backoff{Min: 5 * ms, Max: time.Second, Multiplier: 1}, 7, 5 * ms},
		{"zero multiplier means 2", Backoff{Min: 5 * ms, Max: time.Second}, 2, 20 * ms},
		{"Max below Min means constant Min", Backoff{Min: 5 * ms, Max: 1 * ms, Multiplier: 2}, 3, 5 * ms},
		{"zero Min restarts at once", Backoff{Max: time.Second, Multiplier: 2}, 5, 0},
		{"negative Min is zero", Backoff{Min: -ms, Max: time.Second}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Next(tt.attempt); got != tt.want {
				t.Fatalf("Next(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestBackoffJitterStaysInRangeAndSpreads(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		lo, hi  time.Duration
	}{
		{"middle: ±50% of 40ms", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2, Jitter: 0.5}, 2, 20 * ms, 60 * ms},
		{"floor holds", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2, Jitter: 0.5}, 0, 10 * ms, 15 * ms},
		{"ceiling holds", Backoff{Min: 10 * ms, Max: 100 * ms, Multiplier: 2, Jitter: 0.5}, 10, 50 * ms, 100 * ms},
		{"jitter above 1 is 1", Backoff{Min: 1 * ms, Max: time.Second, Multiplier: 2, Jitter: 7}, 5, 1 * ms, 64 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 1000 {
				d := tt.b.Next(tt.attempt)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("Next(%d) = %v, outside [%v, %v]", tt.attempt, d, tt.lo, tt.hi)
				}
				seen[d] = true
			}
			if len(seen) < 10 {
				t.Fatalf("only %d distinct delays in 1000 draws: no jitter", len(seen))
			}
		})
	}
	if d := (Backoff{Min: ms, Max: time.Second, Jitter: -1}).Next(3); d != 8*ms {
		t.Fatalf("negative jitter: Next(3) = %v, want 8ms exactly", d)
	}
}

func TestBackoffResetAfterDefaultsToMax(t *testing.T) {
	if got := (Backoff{Min: time.Millisecond, Max: time.Minute}).resetAfter(); got != time.Minute {
		t.Fatalf("resetAfter() = %v, want Max", got)
	}
	if got := (Backoff{Max: time.Minute, ResetAfter: time.Second}).resetAfter(); got != time.Second {
		t.Fatalf("resetAfter() = %v, want ResetAfter", got)
	}
}

func TestBackoffGrowsWithConsecutiveRestartsAndResetsAfterAGoodRun(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	opts.Backoff = Backoff{Min: 2 * time.Millisecond, Max: time.Second, Multiplier: 2, ResetAfter: 100 * time.Millisecond}
	quick := fail(errBoom)
	good := func() error { time.Sleep(150 * time.Millisecond); return errBoom }
	s := New("sup", opts, Spec{Name: "x", Service: script(quick, quick, quick, good, quick)})
	sv := serve(t, s)
	evs := rec.waitFor(t, "five restarts", has(ChildRestarting, "x", 5))
	sv.stop(t)

	var got []time.Duration
	for _, ev := range evs {
		if ev.Kind == ChildRestarting {
			got = append(got, ev.Backoff)
		}
	}
	want := []time.Duration{2, 4, 8, 2, 4} // ms; the fourth run lasted longer than ResetAfter
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoffs %v, want %v ms", got, want)
		}
	}
}

func TestZeroOptionsUseDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.MaxRestarts != DefaultMaxRestarts || o.Period != DefaultPeriod ||
		o.ShutdownTimeout != DefaultShutdownTimeout || o.Backoff != DefaultBackoff || o.Logger == nil {
		t.Fatalf("withDefaults() = %+v", o)
	}
	s := New("sup", Options{}, Spec{Name: "x", Service: blocker(), ShutdownTimeout: time.Second}, Spec{Name: "y", Service: blocker()})
	if d := s.shutdownTimeout(s.children[0]); d != time.Second {
		t.Errorf("child ShutdownTimeout %v, want the spec's 1s", d)
	}
	if d := s.shutdownTimeout(s.children[1]); d != DefaultShutdownTimeout {
		t.Errorf("child ShutdownTimeout %v, want the default", d)
	}
}
