package suite

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func names(ss []Scenario) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func TestAllHasEveryScenarioTheIssueAsksFor(t *testing.T) {
	got := names(All(&Config{Idle: 10000}))
	want := []string{
		"server/ping-pong",
		"server/pipelined-1x16B", "server/pipelined-1x1KiB", "server/pipelined-64x16B", "server/pipelined-64x1KiB",
		"server/large-1MiB", "server/large-16MiB",
		"server/idle", "server/broadcast",
		"client/ping-pong",
		"client/pipelined-1x16B", "client/pipelined-1x1KiB", "client/pipelined-64x16B", "client/pipelined-64x1KiB",
	}
	if !slices.Equal(got, want) {
		t.Errorf("scenarios:\n%q\nwant\n%q", got, want)
	}
	for _, s := range All(&Config{Idle: 10000}) {
		for _, lib := range []string{"wsactor", "gorilla", "coder", "gws", "gobwas", "raw"} {
			if !slices.Contains(s.Libs, lib) {
				t.Errorf("%s does not measure %s", s.Name, lib)
			}
		}
		if len(s.Metrics) == 0 || (s.measure == nil) == (s.measureAll == nil) {
			t.Errorf("%s has no metric, or not exactly one way to measure", s.Name)
		}
		if want := strings.HasSuffix(s.Name, "/ping-pong") || strings.HasPrefix(s.Name, "server/large-"); s.Interleaved() != want {
			t.Errorf("%s: interleaved %v, want %v (one in flight is, to share the machine's state)", s.Name, s.Interleaved(), want)
		}
	}
}

func TestSelectFiltersScenariosAndLibraries(t *testing.T) {
	all := All(&Config{Idle: 100})
	got, err := Select(all, "^server/(ping|large)", "^(wsactor|raw)$")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"server/ping-pong", "server/large-1MiB", "server/large-16MiB"}; !slices.Equal(names(got), want) {
		t.Errorf("selected %q, want %q", names(got), want)
	}
	for _, s := range got {
		if !slices.Equal(s.Libs, []string{"wsactor", "raw"}) {
			t.Errorf("%s keeps %q, want wsactor and raw", s.Name, s.Libs)
		}
	}
	// Selecting must not change the scenarios it was given.
	if !slices.Contains(all[0].Libs, "gorilla") {
		t.Error("Select removed a library from its input")
	}
	// A scenario left without any library is dropped.
	got, err = Select(all, "", "^wsactor-chan$")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.Name == "server/idle" || s.Name == "server/broadcast" {
			t.Errorf("%s has no wsactor-chan server but was selected", s.Name)
		}
	}
}

func TestSelectRefusesBadPatterns(t *testing.T) {
	for _, p := range [][2]string{{"(", ""}, {"", "["}} {
		if _, err := Select(All(&Config{}), p[0], p[1]); err == nil || !strings.HasPrefix(err.Error(), "suite: ") {
			t.Errorf("Select(%q, %q) = %v, want an error", p[0], p[1], err)
		}
	}
}
