package interop

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/wsactor/wsactor/internal/testpeer"
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

func TestChromiumAgainstWsactorServer(t *testing.T) {
	bin := testpeer.Chromium(t)
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
	b := testpeer.StartChromium(t, bin, srv.URL+"/?cases="+url.QueryEscape(string(query)))

	var rep browserReport
	select {
	case rep = <-reports:
	case <-b.Exited():
		t.Fatalf("chromium exited before the page reported: %v; output:\n%s", b.Err(), b.Output())
	case <-time.After(time.Duration(len(run)) * exchangeTimeout):
		t.Fatalf("the page did not report within %v; chromium output:\n%s", time.Duration(len(run))*exchangeTimeout, b.Output())
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
