package actor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wsactor/wsactor/actor"
)

// A reader fails; the writer sees the cancellation and its cause; the group's
// error is the reader's.
func ExampleStart() {
	errPeerGone := errors.New("peer gone")
	g := actor.Start(context.Background(),
		func(ctx context.Context) error { // reader
			return errPeerGone
		},
		func(ctx context.Context) error { // writer
			<-ctx.Done()
			fmt.Println("writer stopped:", context.Cause(ctx))
			return nil
		},
	)
	fmt.Println("group:", g.Wait())
	// Output:
	// writer stopped: peer gone
	// group: peer gone
}

func ExampleGroup_Cancel() {
	errClosing := errors.New("closing")
	g := actor.Start(context.Background(), func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	g.Cancel(errClosing)
	fmt.Println(g.Wait())
	// Output:
	// closing
}

func ExampleRun() {
	err := actor.Run(context.Background(), func(context.Context) error {
		var m map[string]int
		m["x"] = 1 // a bug: assignment to a nil map
		return nil
	})
	var pe *actor.PanicError
	fmt.Println(errors.As(err, &pe), err)
	// Output:
	// true panic: assignment to entry in nil map
}
