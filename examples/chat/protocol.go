package main

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a page may send.
const (
	maxNameRunes = 24
	maxTextRunes = 1000
	// maxMessageBytes bounds one incoming WebSocket message: a text of
	// maxTextRunes runes of up to 4 bytes each, JSON-escaped, with room
	// to spare. A larger message fails the connection with 1009.
	maxMessageBytes = 8 << 10
)

// event is every message the server sends, as JSON; the page tells them
// apart by Type.
type event struct {
	Type  string    `json:"type"`            // "welcome", "join", "leave" or "message"
	Name  string    `json:"name"`            // who: the page's own name for "welcome"
	Text  string    `json:"text,omitempty"`  // the message, for "message"
	Users []string  `json:"users,omitempty"` // who is connected, for the others
	Time  time.Time `json:"time"`
}

// said is what a page sends: one chat message.
type said struct {
	Text string `json:"text"`
}

// parseSaid decodes a page's message and returns its text, cleaned, and
// whether there is anything to say.
func parseSaid(data []byte) (string, bool) {
	var s said
	if err := json.Unmarshal(data, &s); err != nil {
		return "", false
	}
	text := strings.TrimSpace(s.Text)
	return truncate(text, maxTextRunes), text != ""
}

// cleanName makes a name fit to show: control characters and surrounding
// spaces removed, at most maxNameRunes runes, "anonymous" if nothing is left.
func cleanName(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if name == "" {
		return "anonymous"
	}
	return truncate(name, maxNameRunes)
}

// truncate returns s cut to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
