package interop

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// browserPage is the page that runs the exchanges in the browser.
//
//go:embed peers/browser.html
var browserPage []byte

// browserCase is one exchange as the page takes it in its query.
type browserCase struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Protocols []string `json:"protocols"`
	Sizes     []int    `json:"sizes"`
	Close     string   `json:"close"`
}

// browserReport is what the page POSTs to /report.
type browserReport struct {
	Reports []struct {
		Name string `json:"name"`
		clientReport
	} `json:"reports"`
	Error string `json:"error"`
}

// chromiumFlags run Chromium headless, as root, without touching the
// network beyond the test server or any profile but a fresh one.
var chromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
}

// chromium returns the path of Debian's chromium, or skips (fails under
// CI=true) when it is not installed.
func chromium(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	requirePeer(t, "chromium", err, "apt-get install chromium")
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		t.Log(strings.TrimSpace(string(out)))
	}
	return bin
}

func TestChromiumAgainstWsactorServer(t *testing.T) {
	bin := chromium(t)
	reports := make(chan browserReport, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(browserPage)
	})
	mux.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		var rep browserReport
		if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
			rep.Error = "the test could not decode the report: " + err.Error()
		}
		select {
		case reports <- rep:
		default:
			t.Errorf("the page reported twice")
		}
	})
	srv := newScriptServer(t, mux)

	var run []exchange
	var cases []browserCase
	for _, ex := range exchanges {
		if !ex.inBrowser() {
			continue
		}
		c := browserCase{Name: ex.name, Path: ex.path, Protocols: ex.offer, Sizes: ex.sizes, Close: ex.peerCloseArg()}
		if c.Protocols == nil {
			c.Protocols = []string{}
		}
		run, cases = append(run, ex), append(cases, c)
	}
	query, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	b := startBrowser(t, bin, srv.URL+"/?cases="+url.QueryEscape(string(query)))

	var rep browserReport
	select {
	case rep = <-reports:
	case <-b.exited:
		t.Fatalf("chromium exited before the page reported: %v; output:\n%s", b.waitErr, b.output)
	case <-time.After(time.Duration(len(run)) * exchangeTimeout):
		t.Fatalf("the page did not report within %v; chromium output:\n%s", time.Duration(len(run))*exchangeTimeout, b.output)
	}
	if rep.Error != "" {
		t.Fatalf("the page failed: %s", rep.Error)
	}
	if len(rep.Reports) != len(run) {
		t.Fatalf("the page reported %d exchanges, want %d", len(rep.Reports), len(run))
	}
	for i, ex := range run {
		if got := rep.Reports[i]; got.Name != ex.name {
			t.Errorf("report %d is of exchange %q, want %q", i, got.Name, ex.name)
		} else if err := got.check(ex); err != nil {
			t.Errorf("chromium, %s exchange: %v", ex.name, err)
		}
		if res := srv.result(t, ex.path); res.err != nil {
			t.Errorf("wsactor server, %s exchange: %v", ex.name, res.err)
		} else {
			t.Logf("chromium client, wsactor server, %s exchange: %v on the server", ex.name, res.elapsed.Round(time.Millisecond))
		}
	}
	t.Logf("chromium: page loaded, %d exchanges run and reported in %v", len(run), time.Since(start).Round(time.Millisecond))
}

// browser is a running Chromium.
type browser struct {
	cmd     *exec.Cmd
	output  *syncBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // how it exited, once exited is closed
}

// startBrowser starts headless Chromium on pageURL with a fresh profile.
// When the test ends it is stopped: SIGTERM to the process group it leads
// (the browser and the helpers it started), SIGKILL if it lingers.
func startBrowser(t *testing.T, bin, pageURL string) *browser {
	t.Helper()
	profile := t.TempDir() // removed after the browser is stopped
	args := slices.Concat(chromiumFlags, []string{"--user-data-dir=" + profile, pageURL})
	b := &browser{cmd: exec.Command(bin, args...), output: new(syncBuffer), exited: make(chan struct{})}
	b.cmd.Stdout, b.cmd.Stderr = b.output, b.output
	b.cmd.WaitDelay = 5 * time.Second // helpers may hold the output pipe
	ownProcessGroup(b.cmd)
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	go func() {
		b.waitErr = b.cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() { b.stop(t) })
	return b
}

func (b *browser) stop(t *testing.T) {
	signalGroup(b.cmd, false)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		t.Logf("chromium ignored SIGTERM for 10s: killing it")
	}
	signalGroup(b.cmd, true) // also ends helpers that outlived the browser
	<-b.exited
}
