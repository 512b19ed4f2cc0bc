//go:build !race

package conn

// raceEnabled says the race detector is on: sync.Pool then drops some of
// what it is given, so tests of reuse cannot count on it.
const raceEnabled = false
