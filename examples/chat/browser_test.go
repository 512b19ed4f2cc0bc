package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/wsactor/wsactor/internal/testpeer"
)

var screenshot = flag.String("screenshot", "", "write a PNG of the chat page with two users chatting to this file")

func TestBrowserPagesSeeEachOthersMessagesAndDepartures(t *testing.T) {
	bin := testpeer.Chromium(t)
	srv := httptest.NewServer(handler(newRoom(slog.Default())))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	b := testpeer.StartChromium(t, bin, "")
	url, err := b.DevToolsURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dialDevtools(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()

	alice, err := d.openTab(ctx, srv.URL+"/", 1000, 700)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.waitFor(ctx, `!document.getElementById("join").hidden`); err != nil {
		t.Fatal(err)
	}
	if err := alice.eval(ctx, `document.getElementById("name").value = ""`, nil); err != nil {
		t.Fatal(err)
	}
	if err := alice.typeInto(ctx, "name", "Alice"); err != nil {
		t.Fatal(err)
	}
	bob, err := d.openTab(ctx, srv.URL+"/?name=Bob", 1000, 700)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*tab{alice, bob} {
		if err := p.waitFor(ctx, `document.querySelectorAll("#users li").length == 2`); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.typeInto(ctx, "text", "Hi Bob! 👋"); err != nil {
		t.Fatal(err)
	}
	if err := bob.waitFor(ctx, `[...document.querySelectorAll(".message .text")].some(e => e.textContent == "Hi Bob! 👋")`); err != nil {
		t.Fatal(err)
	}
	if err := bob.typeInto(ctx, "text", "Hello Alice, the chat works."); err != nil {
		t.Fatal(err)
	}
	if err := alice.waitFor(ctx, `[...document.querySelectorAll(".message .text")].some(e => e.textContent == "Hello Alice, the chat works.")`); err != nil {
		t.Fatal(err)
	}
	if *screenshot != "" {
		png, err := alice.screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := bob.close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := alice.waitFor(ctx, `[...document.querySelectorAll(".notice")].some(e => e.textContent.startsWith("Bob left"))`); err != nil {
		t.Fatal(err)
	}
}
