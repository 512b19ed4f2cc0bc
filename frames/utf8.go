package frames

import "encoding/binary"

// UTF-8 validation (RFC 3629) as a deterministic finite automaton over byte
// classes. Each byte moves the automaton from one state to the next through
// two small tables; the state says how much of a sequence is still owed and
// which range the next continuation byte must fall in, which is how
// overlong forms (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
// points above U+10FFFF (F4 90..BF, F5..FF) are refused at the first byte
// that makes them so.
//
// The automaton is only needed where a sequence is cut between two pieces
// of text. Within a piece, runs of ASCII are skipped a word at a time and
// whole sequences are checked directly against the same ranges
// (utf8Lead), which is several times faster than a byte at a time.

// Byte classes: which bytes behave alike in every state.
const (
	clASCII   = iota // 00..7F
	clCont8          // 80..8F, a continuation byte
	clCont9          // 90..9F, a continuation byte
	clContA          // A0..BF, a continuation byte
	clInvalid        // C0, C1 (only overlong forms) and F5..FF
	clLead2          // C2..DF, the lead of a 2-byte sequence
	clE0             // E0, a 3-byte lead whose next byte is A0..BF
	clLead3          // E1..EC, EE, EF, the lead of a 3-byte sequence
	clED             // ED, a 3-byte lead whose next byte is 80..9F
	clF0             // F0, a 4-byte lead whose next byte is 90..BF
	clLead4          // F1..F3, the lead of a 4-byte sequence
	clF4             // F4, a 4-byte lead whose next byte is 80..8F
	numClasses
)

// States, each multiplied by numClasses so that a state plus a class
// indexes the transition table directly.
const (
	stAccept      = iota * numClasses // between sequences
	stReject                          // invalid, for good
	stNeed1                           // one continuation byte 80..BF owed
	stNeed2                           // two continuation bytes owed
	stNeed3                           // three continuation bytes owed
	stE0                              // after E0: A0..BF, then one more
	stED                              // after ED: 80..9F, then one more
	stF0                              // after F0: 90..BF, then two more
	stF4                              // after F4: 80..8F, then two more
	utf8TableSize                     // the number of states times numClasses
)

// utf8Class maps each byte to its class.
var utf8Class = func() (t [256]uint8) {
	for b := range t {
		switch {
		case b < 0x80:
			t[b] = clASCII
		case b < 0x90:
			t[b] = clCont8
		case b < 0xA0:
			t[b] = clCont9
		case b < 0xC0:
			t[b] = clContA
		case b < 0xC2:
			t[b] = clInvalid
		case b < 0xE0:
			t[b] = clLead2
		case b == 0xE0:
			t[b] = clE0
		case b == 0xED:
			t[b] = clED
		case b < 0xF0:
			t[b] = clLead3
		case b == 0xF0:
			t[b] = clF0
		case b < 0xF4:
			t[b] = clLead4
		case b == 0xF4:
			t[b] = clF4
		default:
			t[b] = clInvalid
		}
	}
	return t
}()

// utf8Next maps a state plus a class to the next state. Every transition
// not listed goes to stReject, which has no way out.
var utf8Next = func() (t [utf8TableSize]uint8) {
	for i := range t {
		t[i] = stReject
	}
	anyCont := []int{clCont8, clCont9, clContA}
	t[stAccept+clASCII] = stAccept
	t[stAccept+clLead2] = stNeed1
	t[stAccept+clE0] = stE0
	t[stAccept+clLead3] = stNeed2
	t[stAccept+clED] = stED
	t[stAccept+clF0] = stF0
	t[stAccept+clLead4] = stNeed3
	t[stAccept+clF4] = stF4
	for _, c := range anyCont {
		t[stNeed1+c] = stAccept
		t[stNeed2+c] = stNeed1
		t[stNeed3+c] = stNeed2
	}
	t[stE0+clContA] = stNeed1
	t[stED+clCont8] = stNeed1
	t[stED+clCont9] = stNeed1
	t[stF0+clCont9] = stNeed2
	t[stF0+clContA] = stNeed2
	t[stF4+clCont8] = stNeed2
	return t
}()

// asciiMask selects the high bit of each byte of a word: a word of ASCII
// has none set.
const asciiMask = 0x8080808080808080

// utf8Lead gives, for a lead byte, the length of its sequence and the
// range its second byte must fall in; the bytes after the second may be
// any continuation byte. Bytes that cannot start a multi-byte sequence have
// n 0. It holds what utf8Next encodes, in the form a whole sequence can be
// checked with.
var utf8Lead = func() (t [256]struct{ n, lo, hi uint8 }) {
	seq := [numClasses]struct{ n, lo, hi uint8 }{
		clLead2: {2, 0x80, 0xBF},
		clE0:    {3, 0xA0, 0xBF},
		clLead3: {3, 0x80, 0xBF},
		clED:    {3, 0x80, 0x9F},
		clF0:    {4, 0x90, 0xBF},
		clLead4: {4, 0x80, 0xBF},
		clF4:    {4, 0x80, 0x8F},
	}
	for b := range t {
		t[b] = seq[utf8Class[b]]
	}
	return t
}()

// UTF8Validator checks that text is valid UTF-8 as RFC 3629 defines it,
// fed in pieces, such as the fragments of a text message. It rejects
// overlong forms, the surrogates U+D800 to U+DFFF and code points above
// U+10FFFF, each as soon as the byte that rules the text out arrives. A
// sequence cut at the end of one piece may be completed by the next.
//
// The zero value is ready to use. A UTF8Validator is one byte of state, so
// it is cheap to keep one per connection.
type UTF8Validator struct {
	state uint8
}

// Write feeds p to the validator and reports whether the text seen so far
// can still be valid. Once it has returned false it always does, until
// [UTF8Validator.Reset]. A true result says nothing about a sequence left
// open at the end: call [UTF8Validator.Complete] at the end of the text.
func (v *UTF8Validator) Write(p []byte) bool {
	s := v.state
	// Finish, through the automaton, a sequence that an earlier piece
	// left open.
	for s != stAccept {
		if s == stReject {
			return false
		}
		if len(p) == 0 {
			return true
		}
		s = utf8Next[int(s)+int(utf8Class[p[0]])]
		v.state = s
		p = p[1:]
	}

	// Between sequences: check whole sequences directly, and after an
	// ASCII byte, skip any run of ASCII that follows a word at a time.
	// Only a sequence cut at the end of p goes to the automaton, which
	// remembers it for the next piece.
	p = p[:len(p):len(p)]
	for len(p) > 0 {
		c := p[0]
		if c < 0x80 {
			p = p[1:]
			if len(p) >= 8 && binary.LittleEndian.Uint64(p)&asciiMask == 0 {
				p = p[8:]
				for len(p) >= 32 && (binary.LittleEndian.Uint64(p)|binary.LittleEndian.Uint64(p[8:])|
					binary.LittleEndian.Uint64(p[16:])|binary.LittleEndian.Uint64(p[24:]))&asciiMask == 0 {
					p = p[32:]
				}
				for len(p) >= 8 && binary.LittleEndian.Uint64(p)&asciiMask == 0 {
					p = p[8:]
				}
			}
			continue
		}
		// Each case advances p by a constant, so that the processor
		// can run ahead on a predicted branch instead of waiting for
		// the table load to know where the next sequence starts.
		seq := utf8Lead[c]
		switch seq.n {
		case 2:
			if len(p) < 2 {
				return v.writeCut(p)
			}
			if p[1] < seq.lo || p[1] > seq.hi {
				return v.reject()
			}
			p = p[2:]
		case 3:
			if len(p) < 3 {
				return v.writeCut(p)
			}
			if p[1] < seq.lo || p[1] > seq.hi || p[2]&0xC0 != 0x80 {
				return v.reject()
			}
			p = p[3:]
		case 4:
			if len(p) < 4 {
				return v.writeCut(p)
			}
			if p[1] < seq.lo || p[1] > seq.hi || p[2]&0xC0 != 0x80 || p[3]&0xC0 != 0x80 {
				return v.reject()
			}
			p = p[4:]
		default:
			return v.reject()
		}
	}
	return true
}

// writeCut runs the automaton over p, the start of a sequence cut at the
// end of a piece, from between sequences, and keeps the state it ends in.
func (v *UTF8Validator) writeCut(p []byte) bool {
	s := uint8(stAccept)
	for _, b := range p {
		s = utf8Next[int(s)+int(utf8Class[b])]
	}
	v.state = s
	return s != stReject
}

// reject records that the text is invalid.
func (v *UTF8Validator) reject() bool {
	v.state = stReject
	return false
}

// Complete reports whether the text seen so far is valid and ends on a
// whole character: what a text message must be when its last fragment has
// been fed.
func (v *UTF8Validator) Complete() bool { return v.state == stAccept }

// Reset makes v ready for a new text, as the zero value is.
func (v *UTF8Validator) Reset() { v.state = stAccept }

// ValidUTF8 reports whether p is entirely valid UTF-8 as RFC 3629 defines
// it. It agrees with [unicode/utf8.Valid].
func ValidUTF8(p []byte) bool {
	var v UTF8Validator
	return v.Write(p) && v.Complete()
}
