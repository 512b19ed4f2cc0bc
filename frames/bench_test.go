package frames

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

var frameSizes = []struct {
	name string
	n    int
}{
	{"16B", 16},
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
}

var maskSizes = append(frameSizes[:len(frameSizes):len(frameSizes)], struct {
	name string
	n    int
}{"1MiB", 1 << 20})

func BenchmarkAppendFrame(b *testing.B) {
	for _, size := range frameSizes {
		for _, masked := range []bool{false, true} {
			b.Run(size.name+maskedName(masked), func(b *testing.B) {
				f := Frame{Fin: true, Opcode: OpBinary, Masked: masked, Key: rfcKey, Payload: pattern(size.n)}
				buf := make([]byte, 0, maxHeaderSize+size.n)
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					buf, _ = AppendFrame(buf[:0], f)
				}
			})
		}
	}
}

func BenchmarkWriteFrame(b *testing.B) {
	for _, size := range frameSizes {
		for _, masked := range []bool{false, true} {
			b.Run(size.name+maskedName(masked), func(b *testing.B) {
				f := Frame{Fin: true, Opcode: OpBinary, Masked: masked, Key: rfcKey, Payload: pattern(size.n)}
				w := bufio.NewWriterSize(&copySink{}, 4096)
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if err := WriteFrame(w, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// copySink stands in for a socket: it copies what it is given, as a write
// to the kernel does, where io.Discard would make a large unbuffered write
// cost nothing.
type copySink struct{ buf [64 << 10]byte }

func (s *copySink) Write(p []byte) (int, error) {
	for n := 0; n < len(p); {
		n += copy(s.buf[:], p[n:])
	}
	return len(p), nil
}

func BenchmarkReadFrame(b *testing.B) {
	for _, size := range frameSizes {
		for _, masked := range []bool{false, true} {
			b.Run(size.name+maskedName(masked), func(b *testing.B) {
				f := Frame{Fin: true, Opcode: OpBinary, Masked: masked, Key: rfcKey, Payload: pattern(size.n)}
				wire, err := AppendFrame(nil, f)
				if err != nil {
					b.Fatal(err)
				}
				br := bytes.NewReader(wire)
				r := bufio.NewReaderSize(br, 4096)
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					br.Reset(wire)
					r.Reset(br)
					if _, err := ReadFrame(r, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkHeader shows that encoding and decoding a header allocate
// nothing.
func BenchmarkHeader(b *testing.B) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000}
	b.Run("Append", func(b *testing.B) {
		buf := make([]byte, 0, maxHeaderSize)
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendHeader(buf[:0], h)
		}
	})
	b.Run("Read", func(b *testing.B) {
		wire := AppendHeader(nil, h)
		br := bytes.NewReader(wire)
		r := bufio.NewReader(br)
		b.ReportAllocs()
		for b.Loop() {
			br.Reset(wire)
			r.Reset(br)
			if _, err := ReadHeader(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMask(b *testing.B) {
	for _, size := range maskSizes {
		b.Run(size.name, func(b *testing.B) {
			buf := pattern(size.n)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			for b.Loop() {
				Mask(rfcKey, 1, buf)
			}
		})
	}
}

func BenchmarkMaskBytewise(b *testing.B) {
	for _, size := range maskSizes {
		b.Run(size.name, func(b *testing.B) {
			buf := pattern(size.n)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			for b.Loop() {
				maskBytewise(rfcKey, 1, buf)
			}
		})
	}
}

// utf8Inputs are ASCII and mixed text (ASCII with two-, three- and
// four-byte characters, as in multilingual chat) of 1 KiB and 64 KiB.
func utf8Inputs() []struct {
	name string
	text []byte
} {
	ascii := "The quick brown fox jumps over the lazy dog. "
	mixed := "The quick brown fox — Der schnelle Fuchs — 敏捷的狐狸 — Быстрая лиса 🦊. "
	var out []struct {
		name string
		text []byte
	}
	for _, kind := range []struct{ name, unit string }{{"ASCII", ascii}, {"Mixed", mixed}} {
		for _, size := range []struct {
			name string
			n    int
		}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}} {
			s := strings.Repeat(kind.unit, size.n/len(kind.unit)+1)
			s = strings.ToValidUTF8(s[:size.n], "")
			for len(s) < size.n {
				s += "."
			}
			out = append(out, struct {
				name string
				text []byte
			}{kind.name + size.name, []byte(s)})
		}
	}
	return out
}

func BenchmarkUTF8(b *testing.B) {
	for _, in := range utf8Inputs() {
		if !utf8.Valid(in.text) {
			b.Fatalf("%s input is not valid UTF-8", in.name)
		}
		b.Run("Validator/"+in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.text)))
			for b.Loop() {
				var v UTF8Validator
				if !v.Write(in.text) || !v.Complete() {
					b.Fatal("invalid")
				}
			}
		})
		b.Run("ValidUTF8/"+in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.text)))
			for b.Loop() {
				if !ValidUTF8(in.text) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run("StdlibValid/"+in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.text)))
			for b.Loop() {
				if !utf8.Valid(in.text) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func maskedName(masked bool) string {
	if masked {
		return "/masked"
	}
	return "/unmasked"
}
