package frames

import (
	"testing"
	"unicode/utf8"
)

// utf8Cases follow Markus Kuhn's UTF-8 decoder stress test. failAt is the
// index of the byte at which a validator fed one byte at a time must first
// return false, or -1 if Write never does (the text is valid, or it is cut
// short and only Complete can tell).
var utf8Cases = []struct {
	name   string
	in     string
	valid  bool
	failAt int
}{
	{"empty", "", true, -1},
	{"ASCII", "Hello, world", true, -1},
	{"NUL", "\x00", true, -1},
	{"Greek kosme", "κόσμε", true, -1},
	{"euro sign", "\xe2\x82\xac", true, -1},
	{"emoji", "\xf0\x9f\x98\x80", true, -1},
	{"first 2-byte U+0080", "\xc2\x80", true, -1},
	{"first 3-byte U+0800", "\xe0\xa0\x80", true, -1},
	{"first 4-byte U+10000", "\xf0\x90\x80\x80", true, -1},
	{"last 1-byte U+007F", "\x7f", true, -1},
	{"last 2-byte U+07FF", "\xdf\xbf", true, -1},
	{"last 3-byte U+FFFF", "\xef\xbf\xbf", true, -1},
	{"U+D7FF before the surrogates", "\xed\x9f\xbf", true, -1},
	{"U+E000 after the surrogates", "\xee\x80\x80", true, -1},
	{"U+FFFE noncharacter", "\xef\xbf\xbe", true, -1},
	{"U+10FFFF", "\xf4\x8f\xbf\xbf", true, -1},
	{"long mixed text", "The quick brown fox — Fuchs — 狐狸 — 🦊 jumps over the lazy dog, 0123456789", true, -1},

	{"U+110000", "\xf4\x90\x80\x80", false, 1},
	{"4-byte form of U+13FFFF", "\xf4\xbf\xbf\xbf", false, 1},
	{"lead F5", "\xf5\x80\x80\x80", false, 0},
	{"lead F7", "\xf7\xbf\xbf\xbf", false, 0},
	{"5-byte form", "\xf8\x88\x80\x80\x80", false, 0},
	{"6-byte form", "\xfc\x84\x80\x80\x80\x80", false, 0},
	{"byte FE", "\xfe", false, 0},
	{"byte FF", "\xff", false, 0},
	{"FF after ASCII", "abcdefghij\xff", false, 10},

	{"overlong 2-byte slash", "\xc0\xaf", false, 0},
	{"overlong 2-byte U+007F", "\xc1\xbf", false, 0},
	{"overlong 2-byte NUL", "\xc0\x80", false, 0},
	{"overlong 3-byte slash", "\xe0\x80\xaf", false, 1},
	{"overlong 3-byte U+07FF", "\xe0\x9f\xbf", false, 1},
	{"overlong 4-byte slash", "\xf0\x80\x80\xaf", false, 1},
	{"overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf", false, 1},

	{"U+D800", "\xed\xa0\x80", false, 1},
	{"U+DB7F", "\xed\xad\xbf", false, 1},
	{"U+DC00", "\xed\xb0\x80", false, 1},
	{"U+DFFF", "\xed\xbf\xbf", false, 1},
	{"surrogate pair U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80", false, 1},
	{"surrogate after text", "κόσμε\xed\xa0\x80", false, 11},

	{"lone continuation 80", "\x80", false, 0},
	{"lone continuation BF", "\xbf", false, 0},
	{"continuation after ASCII", "a\x80b", false, 1},
	{"extra continuation after a character", "\xc2\x80\x80", false, 2},
	{"lead then ASCII", "\xc3A", false, 1},
	{"3-byte cut short by a new lead", "\xe2\x82\xe2\x82\xac", false, 2},
	{"4-byte cut short by ASCII", "\xf0\x9f\x98 ", false, 3},

	{"truncated 2-byte at the end", "ab\xc3", false, -1},
	{"truncated 3-byte at the end", "\xe2\x82", false, -1},
	{"truncated 3-byte lead at the end", "\xe2", false, -1},
	{"truncated 4-byte at the end", "\xf0\x9f\x98", false, -1},
	{"truncated F4 at the end", "\xf4\x8f", false, -1},
}

func TestUTF8CasesAgreeWithStandardLibrary(t *testing.T) {
	for _, tt := range utf8Cases {
		if got := utf8.ValidString(tt.in); got != tt.valid {
			t.Errorf("%s: the case says valid=%v but utf8.ValidString says %v", tt.name, tt.valid, got)
		}
	}
}

func TestValidUTF8(t *testing.T) {
	for _, tt := range utf8Cases {
		if got := ValidUTF8([]byte(tt.in)); got != tt.valid {
			t.Errorf("%s: ValidUTF8(% x) = %v, want %v", tt.name, tt.in, got, tt.valid)
		}
	}
}

func TestUTF8ValidatorSplitAtEveryByte(t *testing.T) {
	for _, tt := range utf8Cases {
		in := []byte(tt.in)
		for i := 0; i <= len(in); i++ {
			var v UTF8Validator
			ok := v.Write(in[:i])
			ok = v.Write(in[i:]) && ok
			if got := ok && v.Complete(); got != tt.valid {
				t.Errorf("%s split at %d: valid = %v, want %v", tt.name, i, got, tt.valid)
			}
			if ok != (tt.failAt < 0) {
				t.Errorf("%s split at %d: Write returned %v, want %v", tt.name, i, ok, tt.failAt < 0)
			}
		}
	}
}

func TestUTF8ValidatorFailsAtTheFirstImpossibleByte(t *testing.T) {
	for _, tt := range utf8Cases {
		var v UTF8Validator
		failedAt := -1
		for i := range len(tt.in) {
			if !v.Write([]byte{tt.in[i]}) {
				failedAt = i
				break
			}
		}
		if failedAt != tt.failAt {
			t.Errorf("%s: Write first returned false at byte %d, want %d", tt.name, failedAt, tt.failAt)
		}
	}
}

func TestUTF8ValidatorFailureIsSticky(t *testing.T) {
	var v UTF8Validator
	if v.Write([]byte("\xff")) {
		t.Fatal("Write(ff) = true")
	}
	for _, more := range []string{"", "a", "\xc2\x80"} {
		if v.Write([]byte(more)) || v.Complete() {
			t.Fatalf("after a failure, Write(%q) or Complete reported valid text", more)
		}
	}
	v.Reset()
	if !v.Write([]byte("ok")) || !v.Complete() {
		t.Fatal("Reset did not make the validator ready for new text")
	}
}

func TestUTF8ValidatorResetForgetsPendingSequence(t *testing.T) {
	var v UTF8Validator
	v.Write([]byte("\xe2\x82"))
	v.Reset()
	if !v.Write([]byte("a")) || !v.Complete() {
		t.Fatal("Reset kept a sequence pending")
	}
}

// canComplete reports, by brute force over the continuation bytes at the
// edges of every range the rules use, whether some suffix of at most three
// bytes makes p valid UTF-8.
func canComplete(p []byte) bool {
	conts := []byte{0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf}
	var try func(q []byte, depth int) bool
	try = func(q []byte, depth int) bool {
		if utf8.Valid(q) {
			return true
		}
		if depth == 0 {
			return false
		}
		for _, c := range conts {
			if try(append(q, c), depth-1) {
				return true
			}
		}
		return false
	}
	return try(append([]byte(nil), p...), 3)
}

// Every one- and two-byte input: Write must return false exactly when no
// continuation can make the text valid, so a connection fails a bad text
// fragment at once and never a good one.
func TestUTF8ValidatorFailsFastOnEveryShortPrefix(t *testing.T) {
	for a := range 256 {
		var v UTF8Validator
		if got, want := v.Write([]byte{byte(a)}), canComplete([]byte{byte(a)}); got != want {
			t.Errorf("Write(% x) = %v, want %v", a, got, want)
		}
		for b := range 256 {
			p := []byte{byte(a), byte(b)}
			var v UTF8Validator
			if got, want := v.Write(p), canComplete(p); got != want {
				t.Errorf("Write(% x) = %v, want %v", p, got, want)
			}
		}
	}
}

func TestUTF8ValidatorAcceptsEveryScalarValueAndNoSurrogate(t *testing.T) {
	var buf []byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			// The encoding the 3-byte form would give a surrogate.
			s := []byte{0xE0 | byte(r>>12), 0x80 | byte(r>>6)&0x3F, 0x80 | byte(r)&0x3F}
			if ValidUTF8(s) {
				t.Fatalf("ValidUTF8 accepted the surrogate U+%04X (% x)", r, s)
			}
			var v UTF8Validator
			if v.Write(s[:1]) && v.Write(s[1:]) {
				t.Fatalf("the validator accepted the surrogate U+%04X (% x) fed in two pieces", r, s)
			}
			continue
		}
		buf = utf8.AppendRune(buf[:0], r)
		if !ValidUTF8(buf) {
			t.Fatalf("ValidUTF8 refused U+%04X (% x)", r, buf)
		}
		var v UTF8Validator
		if !v.Write(buf[:1]) || !v.Write(buf[1:]) || !v.Complete() {
			t.Fatalf("the validator refused U+%04X (% x) fed in two pieces", r, buf)
		}
	}
}

func TestUTF8ValidatorAcceptsASCIIWordsAtAnyAlignment(t *testing.T) {
	text := []byte("0123456789abcdefghijklmnopqrstuvwxyz€0123456789abcdefghijklmnopqrstuvwxyz\xff")
	for start := range 9 {
		in := text[start:]
		if ValidUTF8(in) {
			t.Errorf("ValidUTF8 missed the FF at the end of text[%d:]", start)
		}
		if !ValidUTF8(in[:len(in)-1]) {
			t.Errorf("ValidUTF8 refused text[%d:] without the FF", start)
		}
	}
}

// Whole sequences within one piece take a faster path than the automaton:
// it must agree with the standard library on every two- and three-byte
// input, and on every four-byte input whose last byte is at the edge of
// the continuation range.
func TestValidUTF8AgreesWithStandardLibraryOnShortInputs(t *testing.T) {
	p := make([]byte, 4)
	for a := range 256 {
		for b := range 256 {
			p[0], p[1] = byte(a), byte(b)
			if got, want := ValidUTF8(p[:2]), utf8.Valid(p[:2]); got != want {
				t.Fatalf("ValidUTF8(% x) = %v, want %v", p[:2], got, want)
			}
			for c := range 256 {
				p[2] = byte(c)
				if got, want := ValidUTF8(p[:3]), utf8.Valid(p[:3]); got != want {
					t.Fatalf("ValidUTF8(% x) = %v, want %v", p[:3], got, want)
				}
				if a < 0xF0 || a > 0xF4 {
					continue
				}
				for _, d := range []byte{0x7F, 0x80, 0xBF, 0xC0} {
					p[3] = d
					if got, want := ValidUTF8(p), utf8.Valid(p); got != want {
						t.Fatalf("ValidUTF8(% x) = %v, want %v", p, got, want)
					}
				}
			}
		}
	}
}
