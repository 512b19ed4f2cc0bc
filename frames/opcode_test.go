package frames

import "testing"

func TestOpcodeClassesCoverEveryValue(t *testing.T) {
	for v := 0; v <= 255; v++ {
		op := Opcode(v)
		wantControl := v >= 8 && v <= 15
		wantData := v <= 2
		wantReserved := (v >= 3 && v <= 7) || v >= 11
		if got := op.IsControl(); got != wantControl {
			t.Errorf("Opcode(%d).IsControl() = %v, want %v", v, got, wantControl)
		}
		if got := op.IsData(); got != wantData {
			t.Errorf("Opcode(%d).IsData() = %v, want %v", v, got, wantData)
		}
		if got := op.IsReserved(); got != wantReserved {
			t.Errorf("Opcode(%d).IsReserved() = %v, want %v", v, got, wantReserved)
		}
	}
}

func TestOpcodeString(t *testing.T) {
	tests := []struct {
		op   Opcode
		want string
	}{
		{OpContinuation, "continuation"},
		{OpText, "text"},
		{OpBinary, "binary"},
		{OpClose, "close"},
		{OpPing, "ping"},
		{OpPong, "pong"},
		{3, "opcode(3)"},
		{0xB, "opcode(11)"},
		{0xF, "opcode(15)"},
		{16, "opcode(16)"},
		{255, "opcode(255)"},
	}
	for _, tt := range tests {
		if got := tt.op.String(); got != tt.want {
			t.Errorf("Opcode(%d).String() = %q, want %q", uint8(tt.op), got, tt.want)
		}
	}
}
