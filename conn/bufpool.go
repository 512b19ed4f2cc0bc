package conn

import (
	"math/bits"
	"runtime"
	"sync"
)

// A buffer is a byte slice that a connection borrows from the pool while
// it has bytes to hold (received and not yet consumed, or queued and not
// yet written) and gives back once it has none, so that an idle
// connection holds no buffer at all. b's length is the borrower's to use.
//
// The pool keeps buffers in size classes from 512 B to 64 MiB, four to
// each power of two (512, 640, 768, 896, 1024, 1280...), so that a buffer
// is at most a quarter larger than what it was taken for. Class k holds
// buffers with a capacity of at least classSize(k); a request for n bytes
// is served from the smallest class of at least n. Memory from the pool is
// reused warm, where a fresh allocation of the same size would have the
// garbage collector clear it or the kernel fault it in page by page, which
// costs more than the bytes' trip through the socket.
type buffer struct{ b []byte }

const (
	minBufferShift = 9
	maxBufferShift = 26
	classesPerStep = 4 // classes per power of two
	numClasses     = (maxBufferShift-minBufferShift)*classesPerStep + 1
)

var (
	bufferPools [numClasses]sync.Pool // of *buffer
	// boxes are empty *buffer, to put a bare []byte into a pool without
	// an allocation.
	boxes sync.Pool
)

// classSize returns the capacity of the buffers class k makes.
func classSize(k int) int {
	return 1 << (minBufferShift + k/classesPerStep) * (classesPerStep + k%classesPerStep) / classesPerStep
}

// classFor returns the smallest class whose buffers hold n bytes, or -1 if
// n is over the largest.
func classFor(n int) int {
	if n <= 1<<minBufferShift {
		return 0
	}
	e := bits.Len(uint(n-1)) - 1 // 2^e < n <= 2^(e+1)
	if e >= maxBufferShift {
		return -1
	}
	step := 1 << e / classesPerStep
	return (e-minBufferShift)*classesPerStep + (n-1<<e+step-1)/step
}

// classOf returns the largest class that a buffer of capacity c can serve,
// or -1 if it is under the smallest or at least twice the largest.
func classOf(c int) int {
	e := bits.Len(uint(c)) - 1 // 2^e <= c < 2^(e+1)
	if e < minBufferShift || e > maxBufferShift {
		return -1
	}
	k := (e - minBufferShift) * classesPerStep
	if e < maxBufferShift {
		k += (c - 1<<e) / (1 << e / classesPerStep)
	}
	return k
}

// getBuffer returns an empty buffer with room for at least n bytes.
func getBuffer(n int) *buffer {
	c := classFor(n)
	if c < 0 {
		return &buffer{b: make([]byte, 0, n)}
	}
	if buf := takeRecent(c); buf != nil {
		return buf
	}
	if buf, ok := bufferPools[c].Get().(*buffer); ok {
		return buf
	}
	return &buffer{b: make([]byte, 0, classSize(c))}
}

// putBuffer gives buf back to the pool; nil is ignored. The caller must
// not use buf afterwards.
func putBuffer(buf *buffer) {
	if buf == nil {
		return
	}
	c := classOf(cap(buf.b))
	if c < 0 {
		return
	}
	buf.b = buf.b[:0]
	if buf = swapRecent(c, buf); buf != nil {
		bufferPools[c].Put(buf)
	}
}

// getBytes returns a slice of n bytes for a received message: from the
// pool if it has one, else new with the capacity of n's class, so that it
// can serve a message of the same size once released. Under 256 bytes it
// is allocated at exactly n.
func getBytes(n int) []byte {
	c := classFor(n)
	if c < 0 || n < 1<<minBufferShift/2 {
		return make([]byte, n)
	}
	buf := takeRecent(c)
	if buf == nil {
		var ok bool
		if buf, ok = bufferPools[c].Get().(*buffer); !ok {
			return make([]byte, n, classSize(c))
		}
	}
	p := buf.b[:n]
	buf.b = nil
	boxes.Put(buf)
	return p
}

// putBytes gives p's memory to the pool. The caller must not use p, or
// anything that shares its memory, afterwards.
func putBytes(p []byte) {
	if classOf(cap(p)) < 0 {
		return
	}
	buf, ok := boxes.Get().(*buffer)
	if !ok {
		buf = new(buffer)
	}
	buf.b = p
	putBuffer(buf)
}

// recent holds, for each class of recentMin bytes and more, the buffer put
// back last, in front of the class's sync.Pool, so that the next get takes
// it whichever processor put it. A sync.Pool keeps the last buffer that
// each processor puts in a slot that only that processor takes from, and
// the two ends of a large message often run on different processors (a
// Receive or the reader takes the buffer, a Release or the writer puts it
// back): the next message then took an older buffer, or new memory, while
// the one just released, still in the cache, waited. For buffers this
// large a mutex costs nothing next to copying their bytes. After each
// garbage collection the buffers held here move into the pools (see
// drainRecent), so none is kept longer than the pools would keep it.
var recent [numClasses]struct {
	mu  sync.Mutex
	buf *buffer
}

// recentMin is the smallest buffer that recent holds: the size from which
// a server writes a message from the sender's slice (directMin).
const recentMin = directMin

// recentClass is the first class that recent holds.
var recentClass = classFor(recentMin)

// takeRecent returns class c's most recently put buffer, or nil.
func takeRecent(c int) *buffer {
	if c < recentClass {
		return nil
	}
	r := &recent[c]
	r.mu.Lock()
	buf := r.buf
	r.buf = nil
	r.mu.Unlock()
	return buf
}

// swapRecent makes buf class c's most recently put buffer and returns the
// one it replaces, for the pool; below recentClass it returns buf.
func swapRecent(c int, buf *buffer) *buffer {
	if c < recentClass {
		return buf
	}
	r := &recent[c]
	r.mu.Lock()
	buf, r.buf = r.buf, buf
	r.mu.Unlock()
	return buf
}

// gcMark is an object that nothing refers to: its cleanup runs once a
// garbage collection has found it unreachable. It holds a pointer so that
// it is not a tiny allocation, whose cleanup might never run.
type gcMark struct{ _ *byte }

func init() { drainRecentAfterGC() }

// drainRecentAfterGC moves the buffers in recent into their pools after
// the next garbage collection, and again after each one that follows.
func drainRecentAfterGC() {
	runtime.AddCleanup(new(gcMark), func(struct{}) {
		drainRecent()
		drainRecentAfterGC()
	}, struct{}{})
}

// drainRecent moves the buffers in recent into their pools.
func drainRecent() {
	for c := recentClass; c < numClasses; c++ {
		if buf := takeRecent(c); buf != nil {
			bufferPools[c].Put(buf)
		}
	}
}

// minAppendBuffer is the smallest buffer appendBuffer starts: room for a
// few small frames, which a busy connection queues in bursts.
const minAppendBuffer = 4 << 10

// len returns the number of bytes in buf; a nil buf holds none.
func (buf *buffer) len() int {
	if buf == nil {
		return 0
	}
	return len(buf.b)
}

// appendBuffer returns a buffer holding buf's bytes with room for need
// more: buf itself when it has the room, else one at least twice as large
// from the pool (buf goes back), so that a burst of small frames queued
// one by one is copied into larger buffers a few times, not once every few
// frames. A nil buf starts an empty one of at least minAppendBuffer bytes.
func appendBuffer(buf *buffer, need int) *buffer {
	if buf == nil {
		return getBuffer(max(need, minAppendBuffer))
	}
	if cap(buf.b)-len(buf.b) >= need {
		return buf
	}
	bigger := getBuffer(max(len(buf.b)+need, 2*cap(buf.b)))
	bigger.b = append(bigger.b, buf.b...)
	putBuffer(buf)
	return bigger
}
