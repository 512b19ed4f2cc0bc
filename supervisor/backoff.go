package supervisor

import (
	"math"
	"math/rand/v2"
	"time"
)

// DefaultBackoff is the Backoff a supervisor uses when Options.Backoff is the
// zero Backoff: 100 ms doubling up to 10 s, ±20 % jitter, reset after 30 s of
// healthy running.
var DefaultBackoff = Backoff{
	Min:        100 * time.Millisecond,
	Max:        10 * time.Second,
	Multiplier: 2,
	Jitter:     0.2,
	ResetAfter: 30 * time.Second,
}

// Backoff is an exponential backoff with jitter: the delay before a child's
// restart grows by Multiplier with each consecutive restart, from Min up to
// Max, and is spread by Jitter so that children failing together do not
// restart in lockstep. A child that ran for at least ResetAfter before it
// exited is considered to have been healthy, and its next delay starts from
// Min again.
type Backoff struct {
	// Min is the delay before the first restart, and the floor of every
	// delay. Zero means an immediate first restart.
	Min time.Duration
	// Max is the ceiling of every delay. A Max below Min means Min: a
	// constant delay.
	Max time.Duration
	// Multiplier is the growth factor from one restart to the next. Values
	// below 1 (including zero) mean 2; use 1 for a constant delay.
	Multiplier float64
	// Jitter spreads each delay uniformly over ±Jitter of its value, within
	// [Min, Max]. It is clamped to [0, 1]; zero means no jitter.
	Jitter float64
	// ResetAfter is how long a child must have run for its next restart to
	// count as the first again. Zero means Max.
	ResetAfter time.Duration
}

// Next returns the delay before restart number attempt+1 of a run of
// consecutive restarts: attempt 0 is the first restart. Without jitter it is
// Min·Multiplier^attempt, capped at Max; with jitter it is drawn uniformly
// from ±Jitter around that value and then clamped to [Min, Max]. A negative
// attempt counts as 0.
func (b Backoff) Next(attempt int) time.Duration {
	lo, hi := b.bounds()
	mult := b.Multiplier
	if mult < 1 {
		mult = 2
	}
	if attempt < 0 {
		attempt = 0
	}
	d := float64(lo) * math.Pow(mult, float64(attempt))
	if math.IsNaN(d) || d > float64(hi) {
		d = float64(hi)
	}
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		d *= 1 + j*(2*rand.Float64()-1)
	}
	switch {
	case d <= float64(lo):
		return lo
	case d >= float64(hi):
		return hi
	}
	return time.Duration(d)
}

// bounds returns the effective floor and ceiling.
func (b Backoff) bounds() (lo, hi time.Duration) {
	lo, hi = max(b.Min, 0), b.Max
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// resetAfter returns the effective ResetAfter.
func (b Backoff) resetAfter() time.Duration {
	if b.ResetAfter > 0 {
		return b.ResetAfter
	}
	_, hi := b.bounds()
	return hi
}
