package conn

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
	"unsafe"
)

func TestBufferClassesHoldWhatIsAskedFor(t *testing.T) {
	for n := range 70000 {
		c := classFor(n)
		if size := classSize(c); size < n {
			t.Fatalf("classFor(%d) = %d, whose buffers hold %d bytes", n, c, size)
		}
		if c > 0 && classSize(c-1) >= n {
			t.Fatalf("classFor(%d) = %d, but class %d holds it", n, c, c-1)
		}
		if n > 512 && classSize(c) > n+n/4 {
			t.Fatalf("classFor(%d) = %d, whose buffers hold %d bytes: over a quarter more", n, c, classSize(c))
		}
	}
	for k := range numClasses {
		if c := classFor(classSize(k)); c != k {
			t.Errorf("classFor(classSize(%d) = %d) = %d", k, classSize(k), c)
		}
		if c := classOf(classSize(k)); c != k {
			t.Errorf("classOf(classSize(%d) = %d) = %d", k, classSize(k), c)
		}
		if c := classOf(classSize(k) - 1); c != k-1 {
			t.Errorf("classOf(%d) = %d, want %d", classSize(k)-1, c, k-1)
		}
	}
	for _, n := range []int{64<<20 + 1, 1 << 30} {
		if c := classFor(n); c != -1 {
			t.Errorf("classFor(%d) = %d, want -1 (not pooled)", n, c)
		}
	}
	if c := classOf(100 << 20); c != numClasses-1 {
		t.Errorf("classOf(100 MiB) = %d, want the largest class", c)
	}
	if c := classOf(128 << 20); c != -1 {
		t.Errorf("classOf(128 MiB) = %d, want -1 (not pooled)", c)
	}
	for _, n := range []int{0, 1, 4096, 1 << 20} {
		if got := cap(getBuffer(n).b); got < n {
			t.Errorf("getBuffer(%d) has room for %d", n, got)
		}
	}
}

func TestAppendBufferKeepsTheBytesAndMakesRoom(t *testing.T) {
	buf := appendBuffer(nil, 10)
	buf.b = append(buf.b, "0123456789"...)
	buf = appendBuffer(buf, 4096)
	if string(buf.b) != "0123456789" || cap(buf.b)-len(buf.b) < 4096 {
		t.Fatalf("appendBuffer gave %q with room for %d", buf.b, cap(buf.b)-len(buf.b))
	}
	putBuffer(buf)
}

func TestAppendBufferGrowsGeometrically(t *testing.T) {
	// 1,000 frames of 1 KiB queued one by one: each larger buffer is at
	// least twice the last, so they are copied a handful of times.
	var buf *buffer
	frame := make([]byte, 1<<10)
	grew := 0
	for range 1000 {
		before := buf
		buf = appendBuffer(buf, len(frame))
		if buf != before {
			grew++
		}
		buf.b = append(buf.b, frame...)
	}
	defer putBuffer(buf)
	if grew > 10 {
		t.Fatalf("1,000 appends of 1 KiB took %d buffers, want at most 10", grew)
	}
}

func TestReleasedMessageMemoryIsReused(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m := Message{Data: getBytes(3000)}
	m.Release()
	again := getBytes(2900) // of the same size class
	if unsafe.SliceData(again) != unsafe.SliceData(m.Data) || len(again) != 2900 {
		t.Fatalf("a released message's memory was not reused for the next one")
	}
	allocs := testing.AllocsPerRun(100, func() {
		Message{Data: getBytes(3000)}.Release()
	})
	if allocs != 0 {
		t.Errorf("receiving and releasing a message allocated %v times", allocs)
	}
}

func TestSmallMessagesAreAllocatedToSize(t *testing.T) {
	// A 16-byte message must not pin a pooled 512-byte buffer.
	if p := getBytes(16); cap(p) != 16 {
		t.Errorf("getBytes(16) has capacity %d, want 16", cap(p))
	}
}

func TestLargeBuffersAreReusedMostRecentFirst(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection would drain recent
	const n = 1 << 20
	older, newer := getBytes(n), getBytes(n)
	putBytes(older)
	putBytes(newer)
	// A sync.Pool alone hands back the older: its processor's private slot.
	if got := getBytes(n); unsafe.SliceData(got) != unsafe.SliceData(newer) {
		t.Fatalf("the buffer put back last was not the first taken")
	}
	// Put back by another goroutine, which may run on another processor.
	other := getBytes(n)
	done := make(chan struct{})
	go func() {
		putBytes(other)
		close(done)
	}()
	<-done
	if got := getBuffer(n); unsafe.SliceData(got.b) != unsafe.SliceData(other) {
		t.Fatalf("a buffer put back on another goroutine was not the next one taken")
	}
}

func TestRecentBuffersMoveToThePoolsAfterAGarbageCollection(t *testing.T) {
	const n = 1 << 20
	c := classFor(n)
	putBytes(make([]byte, n))
	deadline := time.Now().Add(10 * time.Second)
	for {
		recent[c].mu.Lock()
		held := recent[c].buf != nil
		recent[c].mu.Unlock()
		if !held {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("after 10 s of garbage collections, recent still holds the buffer")
		}
		runtime.GC()
		time.Sleep(time.Millisecond) // the cleanup runs on a goroutine of its own
	}
}
