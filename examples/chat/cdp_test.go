package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wsactor/wsactor/conn"
)

// devtools is a minimal client of the Chrome DevTools Protocol, which is
// JSON-RPC over a WebSocket, so wsactor itself speaks it. It talks to the
// browser target and reaches pages through flattened sessions: one
// connection for the whole browser. Calls are sequential (one test
// goroutine), so a call simply reads until its own reply, skipping the
// events in between.
type devtools struct {
	c    *conn.Conn
	next int64 // the id of the last call
}

// cdpError is an error the browser answered a call with.
type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *cdpError) Error() string { return fmt.Sprintf("devtools: %s (%d)", e.Message, e.Code) }

// dialDevtools connects to the browser's DevTools endpoint, a ws:// URL.
func dialDevtools(ctx context.Context, url string) (*devtools, error) {
	c, err := conn.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &devtools{c: c}, nil
}

// call sends method with params to the session (the browser itself when
// session is "") and decodes the reply's result into result, if not nil.
func (d *devtools) call(ctx context.Context, session, method string, params, result any) error {
	d.next++
	req, err := json.Marshal(struct {
		ID        int64  `json:"id"`
		Method    string `json:"method"`
		Params    any    `json:"params,omitempty"`
		SessionID string `json:"sessionId,omitempty"`
	}{d.next, method, params, session})
	if err != nil {
		return err
	}
	if err := d.c.Send(ctx, req, 0); err != nil {
		return fmt.Errorf("devtools %s: %w", method, err)
	}
	for {
		msg, err := d.c.Receive(ctx)
		if err != nil {
			return fmt.Errorf("devtools %s: %w", method, err)
		}
		var reply struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *cdpError       `json:"error"`
		}
		if err := json.Unmarshal(msg.Data, &reply); err != nil {
			return fmt.Errorf("devtools %s: %w", method, err)
		}
		if reply.ID != d.next {
			continue // an event
		}
		if reply.Error != nil {
			return fmt.Errorf("%s: %w", method, reply.Error)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(reply.Result, result)
	}
}

func (d *devtools) close() error { return d.c.Close(0, "") }

// tab is one page of the browser.
type tab struct {
	d       *devtools
	target  string
	session string
}

// openTab opens url in a new page of size width × height CSS pixels.
func (d *devtools) openTab(ctx context.Context, url string, width, height int) (*tab, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := d.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := d.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	t := &tab{d: d, target: created.TargetID, session: attached.SessionID}
	metrics := map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}
	if err := d.call(ctx, t.session, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		return nil, err
	}
	if err := d.call(ctx, t.session, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// eval evaluates a JavaScript expression in the page and decodes its value
// into out, if not nil.
func (t *tab) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	params := map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}
	if err := t.d.call(ctx, t.session, "Runtime.evaluate", params, &res); err != nil {
		return err
	}
	if ex := res.ExceptionDetails; ex != nil {
		return &pageError{expr: expr, text: ex.Text, description: ex.Exception.Description}
	}
	if out == nil || res.Result.Value == nil {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// pageError is an exception the page threw while evaluating an expression.
type pageError struct {
	expr, text, description string
}

func (e *pageError) Error() string {
	return fmt.Sprintf("page threw evaluating %q: %s %s", e.expr, e.text, e.description)
}

// waitFor evaluates a boolean expression every 50ms until it is true; it
// gives up when ctx ends, returning the expression in its error. An
// exception in the page (the document may still be loading) counts as
// false; the last one is reported if the wait times out.
func (t *tab) waitFor(ctx context.Context, expr string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		var ok bool
		err := t.eval(ctx, expr, &ok)
		var pe *pageError
		switch {
		case errors.As(err, &pe):
			last = err
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last page error: %v)", expr, ctx.Err(), last)
		}
	}
}

// typeInto focuses the element with the given id, types text into it as
// keyboard input does, and presses Enter.
func (t *tab) typeInto(ctx context.Context, id, text string) error {
	if err := t.eval(ctx, fmt.Sprintf("document.getElementById(%q).focus()", id), nil); err != nil {
		return err
	}
	if err := t.d.call(ctx, t.session, "Input.insertText", map[string]any{"text": text}, nil); err != nil {
		return err
	}
	for _, typ := range []string{"keyDown", "keyUp"} {
		key := map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
		if typ == "keyDown" {
			key["text"] = "\r"
		}
		if err := t.d.call(ctx, t.session, "Input.dispatchKeyEvent", key, nil); err != nil {
			return err
		}
	}
	return nil
}

// screenshot returns a PNG of the page.
func (t *tab) screenshot(ctx context.Context) ([]byte, error) {
	var shot struct {
		Data string `json:"data"`
	}
	if err := t.d.call(ctx, t.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// close closes the page, as closing its browser tab does.
func (t *tab) close(ctx context.Context) error {
	return t.d.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": t.target}, nil)
}
