package actor

import (
	"context"
	"fmt"
	"runtime/debug"
)

// PanicError is the error a recovered panic becomes.
type PanicError struct {
	// Value is the value the function panicked with.
	Value any
	// Stack is the stack trace of the panicking goroutine, as formatted by
	// runtime/debug.Stack at the time of the recovery.
	Stack []byte
}

// Error returns "panic: " followed by the panic value. The stack is not part
// of the message; it is in the Stack field.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v", e.Value)
}

// Unwrap returns Value if it is an error, so that errors.Is and errors.As see
// through a panic with an error value; otherwise it returns nil.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Run calls fn(ctx) and returns its error. If fn panics, Run recovers and
// returns a *PanicError holding the panic value and the stack of the panic.
// A nil fn is reported the same way, as the panic calling it causes.
func Run(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}
