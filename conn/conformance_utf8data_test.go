package conn_test

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// utf8Sample is a sequence of Markus Kuhn's UTF-8 decoder stress test
// (https://www.cl.cam.ac.uk/~mgk25/ucs/examples/UTF-8-test.txt), numbered
// as there, or one of the Autobahn TestSuite's additions.
type utf8Sample struct {
	name string
	text string
}

// validUTF8 are texts a receiver must accept (RFC 3629: the noncharacters
// U+FFFE, U+FFFF and U+FDD0.. are valid UTF-8).
var validUTF8 = []utf8Sample{
	{"1 kosme", "κόσμε"},
	{"Autobahn 6.2 hello", "Hello-µ@ßöäüàá-UTF-8!!"},
	{"2.1.1 U+0000", "\x00"},
	{"2.1.2 U+0080", "\xc2\x80"},
	{"2.1.3 U+0800", "\xe0\xa0\x80"},
	{"2.1.4 U+10000", "\xf0\x90\x80\x80"},
	{"2.2.1 U+007F", "\x7f"},
	{"2.2.2 U+07FF", "\xdf\xbf"},
	{"2.2.3 U+FFFF", "\xef\xbf\xbf"},
	{"2.2.4 U+10FFFF", "\xf4\x8f\xbf\xbf"},
	{"2.3.1 U+D7FF", "\xed\x9f\xbf"},
	{"2.3.2 U+E000", "\xee\x80\x80"},
	{"2.3.3 U+FFFD", "\xef\xbf\xbd"},
	{"5.3.1 U+FFFE", "\xef\xbf\xbe"},
	{"5.3.3 U+FDD0 to U+FDEF", "\xef\xb7\x90\xef\xb7\xaf"},
	{"5.3.4 U+1FFFE U+10FFFE", "\xf0\x9f\xbf\xbe\xf4\x8f\xbf\xbe"},
	{"every length in turn", "a\xc3\x9f\xe2\x82\xac\xf0\x9d\x84\x9e"},
	{"BOM", "\xef\xbb\xbfbom"},
}

// invalidUTF8 are texts a receiver must refuse with 1007 (RFC 6455 section
// 8.1): overlong forms, surrogates, code points over U+10FFFF, bytes that
// never occur, continuation bytes out of place, truncated sequences.
var invalidUTF8 = []utf8Sample{
	{"3.1.1 first continuation byte", "\x80"},
	{"3.1.2 last continuation byte", "\xbf"},
	{"3.1.3 2 continuation bytes", "\x80\xbf"},
	{"3.1.4 3 continuation bytes", "\x80\xbf\x80"},
	{"3.1.7 6 continuation bytes", "\x80\xbf\x80\xbf\x80\xbf"},
	{"3.1.9 all 64 continuation bytes", byteRange(0x80, 0xbf, "")},
	{"3.2.1 lonely 2-byte starts", byteRange(0xc0, 0xdf, " ")},
	{"3.2.2 lonely 3-byte starts", byteRange(0xe0, 0xef, " ")},
	{"3.2.3 lonely 4-byte starts", byteRange(0xf0, 0xf7, " ")},
	{"3.2.4 lonely 5-byte starts", byteRange(0xf8, 0xfb, " ")},
	{"3.2.5 lonely 6-byte starts", byteRange(0xfc, 0xfd, " ")},
	{"3.3.1 2-byte U+0000 missing its last byte", "\xc0"},
	{"3.3.2 3-byte U+0000 missing its last byte", "\xe0\x80"},
	{"3.3.3 4-byte U+0000 missing its last byte", "\xf0\x80\x80"},
	{"3.3.4 5-byte U+0000 missing its last byte", "\xf8\x80\x80\x80"},
	{"3.3.5 6-byte U+0000 missing its last byte", "\xfc\x80\x80\x80\x80"},
	{"3.3.6 U+07FF missing its last byte", "\xdf"},
	{"3.3.7 U+FFFF missing its last byte", "\xef\xbf"},
	{"3.3.8 4-byte U+1FFFFF missing its last byte", "\xf7\xbf\xbf"},
	{"3.3.9 5-byte U+3FFFFFF missing its last byte", "\xfb\xbf\xbf\xbf"},
	{"3.3.10 6-byte U+7FFFFFFF missing its last byte", "\xfd\xbf\xbf\xbf\xbf"},
	{"3.4 the truncated sequences of 3.3 in a row", "\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf"},
	{"3.5.1 byte FE", "\xfe"},
	{"3.5.2 byte FF", "\xff"},
	{"3.5.3 FE FE FF FF", "\xfe\xfe\xff\xff"},
	{"4.1.1 overlong 2-byte slash", "\xc0\xaf"},
	{"4.1.2 overlong 3-byte slash", "\xe0\x80\xaf"},
	{"4.1.3 overlong 4-byte slash", "\xf0\x80\x80\xaf"},
	{"4.1.4 overlong 5-byte slash", "\xf8\x80\x80\x80\xaf"},
	{"4.1.5 overlong 6-byte slash", "\xfc\x80\x80\x80\x80\xaf"},
	{"4.2.1 largest overlong 2-byte U+007F", "\xc1\xbf"},
	{"4.2.2 largest overlong 3-byte U+07FF", "\xe0\x9f\xbf"},
	{"4.2.3 largest overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf"},
	{"4.2.4 largest overlong 5-byte U+1FFFFF", "\xf8\x87\xbf\xbf\xbf"},
	{"4.2.5 largest overlong 6-byte U+3FFFFFF", "\xfc\x83\xbf\xbf\xbf\xbf"},
	{"4.3.1 overlong 2-byte NUL", "\xc0\x80"},
	{"4.3.2 overlong 3-byte NUL", "\xe0\x80\x80"},
	{"4.3.3 overlong 4-byte NUL", "\xf0\x80\x80\x80"},
	{"4.3.4 overlong 5-byte NUL", "\xf8\x80\x80\x80\x80"},
	{"4.3.5 overlong 6-byte NUL", "\xfc\x80\x80\x80\x80\x80"},
	{"5.1.1 surrogate U+D800", "\xed\xa0\x80"},
	{"5.1.2 surrogate U+DB7F", "\xed\xad\xbf"},
	{"5.1.3 surrogate U+DB80", "\xed\xae\x80"},
	{"5.1.4 surrogate U+DBFF", "\xed\xaf\xbf"},
	{"5.1.5 surrogate U+DC00", "\xed\xb0\x80"},
	{"5.1.6 surrogate U+DF80", "\xed\xbe\x80"},
	{"5.1.7 surrogate U+DFFF", "\xed\xbf\xbf"},
	{"5.2.1 surrogate pair U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80"},
	{"5.2.4 surrogate pair U+DB7F U+DFFF", "\xed\xad\xbf\xed\xbf\xbf"},
	{"5.2.8 surrogate pair U+DBFF U+DFFF", "\xed\xaf\xbf\xed\xbf\xbf"},
	{"U+110000, over the last code point", "\xf4\x90\x80\x80"},
	{"U+13FFFF", "\xf4\xbf\xbf\xbf"},
	{"4-byte start F5", "\xf5\x80\x80\x80"},
	{"Autobahn 6.3 surrogate inside kosme", "κόσμε\xed\xa0\x80edited"},
	{"Autobahn 6.4 over U+10FFFF inside kosme", "κόσμε\xf4\x90\x80\x80edited"},
	{"overlong slash inside text", "Hello \xc0\xaf world"},
	{"kosme missing its last byte", "κόσμ\xce"},
	{"valid text, then a lone continuation byte", "ascii then \x80 then more"},
}

// byteRange returns the bytes from to to (inclusive), each followed by sep.
func byteRange(from, to byte, sep string) string {
	var b strings.Builder
	for c := int(from); c <= int(to); c++ {
		b.WriteByte(byte(c))
		b.WriteString(sep)
	}
	return b.String()
}

// unfinished is the set of proper prefixes of the UTF-8 encodings of all
// Unicode scalar values: the byte strings that one more byte or more can
// still make into a character. It is built from unicode/utf8, so the
// table's expectations do not come from the validator under test.
var unfinished = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool)
	var buf [4]byte
	for r := rune(0x80); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		for k := 1; k < n; k++ {
			set[string(buf[:k])] = true
		}
	}
	return set
})

// canStillBeValid reports whether some continuation can make p valid UTF-8.
func canStillBeValid(p []byte) bool {
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size <= 1 {
			return unfinished()[string(p)]
		}
		p = p[size:]
	}
	return true
}

// failsAt returns the length of the shortest prefix of s that can no
// longer be valid UTF-8: the byte at which a receiver that checks as the
// bytes arrive must fail. It returns 0 when every prefix can still be
// valid, that is when s is valid or merely ends inside a character.
func failsAt(s []byte) int {
	for n := 1; n <= len(s); n++ {
		if !canStillBeValid(s[:n]) {
			return n
		}
	}
	return 0
}
