package actor

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	errFn := errors.New("fn failed")
	tests := []struct {
		name      string
		fn        func(context.Context) error
		wantErr   error // compared with errors.Is
		wantPanic any   // non-nil: a *PanicError with this Value
	}{
		{"returns nil", func(context.Context) error { return nil }, nil, nil},
		{"returns the error", func(context.Context) error { return errFn }, errFn, nil},
		{"panic with a string", func(context.Context) error { panic("boom") }, nil, "boom"},
		{"panic with an error unwraps to it", func(context.Context) error { panic(io.EOF) }, io.EOF, io.EOF},
		{"nil function", nil, nil, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), tt.fn)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want errors.Is %v", err, tt.wantErr)
			}
			var pe *PanicError
			isPanic := errors.As(err, &pe)
			switch {
			case tt.wantPanic == nil && isPanic:
				t.Fatalf("Run() = %v, want no panic", err)
			case tt.wantPanic == nil && tt.wantErr == nil && err != nil:
				t.Fatalf("Run() = %v, want nil", err)
			case tt.wantPanic != nil && !isPanic:
				t.Fatalf("Run() = %v, want *PanicError", err)
			case tt.wantPanic != nil:
				if s, ok := tt.wantPanic.(string); ok && s == "nil" {
					// Calling a nil func panics with a runtime error.
					if _, ok := pe.Value.(error); !ok {
						t.Errorf("Value = %#v, want a runtime error", pe.Value)
					}
				} else if pe.Value != tt.wantPanic {
					t.Errorf("Value = %#v, want %#v", pe.Value, tt.wantPanic)
				}
				if !strings.Contains(string(pe.Stack), "panic_test.go") {
					t.Errorf("Stack does not show the panicking function:\n%s", pe.Stack)
				}
			}
		})
	}
}

func TestPanicErrorMessageOmitsStack(t *testing.T) {
	pe := &PanicError{Value: "boom", Stack: []byte("goroutine 1 [running]:")}
	if got, want := pe.Error(), "panic: boom"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if pe.Unwrap() != nil {
		t.Fatal("Unwrap() of a non-error value is not nil")
	}
}

func TestRunPassesContext(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	err := Run(ctx, func(ctx context.Context) error {
		if ctx.Value(key{}) != "v" {
			return errors.New("context not passed through")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
