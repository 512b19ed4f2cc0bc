// Package proc runs a library's echo server in a process of its own and
// talks to it over its standard input and output, so that the load
// generator and the server under test never share a runtime: one garbage
// collector, scheduler and heap per side, and a resident memory figure
// that is the server's alone.
//
// The protocol is line based. The server prints a Ready line (JSON) with
// its address, then answers each command on its standard input with one
// JSON line:
//
//	stats                 collect garbage, then report Stats
//	broadcast N           broadcast N bytes to every connection, report how many
//	heapprofile PATH      write a heap profile to PATH
//	quit                  stop (also on end of input)
package proc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/wsactor/wsactor/bench/internal/libs"
)

// Ready is the server's first line.
type Ready struct {
	Addr string `json:"addr"`
}

// Stats is what the server reports about itself, after a full garbage
// collection that returns free memory to the operating system.
type Stats struct {
	RSS        int64 `json:"rss"`        // resident memory (VmRSS), bytes
	HeapInuse  int64 `json:"heapInuse"`  // bytes in in-use heap spans
	StackInuse int64 `json:"stackInuse"` // bytes of goroutine stacks
	Goroutines int   `json:"goroutines"`
}

// reply is the server's answer to a command.
type reply struct {
	Stats *Stats `json:"stats,omitempty"`
	Sent  int    `json:"sent,omitempty"`
	Err   string `json:"err,omitempty"`
}

// Options configure the server role.
type Options struct {
	Lib        string
	Hub        bool
	CPUProfile string // file to write a CPU profile of the whole life to
}

// Serve is the server role: it serves opts.Lib on a loopback port, prints
// Ready on out and answers commands from in until "quit" or the end of in.
func Serve(opts Options, in io.Reader, out io.Writer) error {
	srv, err := libs.NewServer(opts.Lib, opts.Hub)
	if err != nil {
		return err
	}
	if opts.CPUProfile != "" {
		f, err := os.Create(opts.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	enc := json.NewEncoder(out)
	if err := enc.Encode(Ready{Addr: l.Addr().String()}); err != nil {
		srv.Close()
		return err
	}
	err = commands(srv, bufio.NewScanner(in), enc)
	srv.Close()
	return errors.Join(err, <-served)
}

func commands(srv libs.Server, sc *bufio.Scanner, enc *json.Encoder) error {
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		var r reply
		switch cmd {
		case "quit":
			return nil
		case "stats":
			st, err := ReadStats()
			if err != nil {
				r.Err = err.Error()
			}
			r.Stats = &st
		case "broadcast":
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				r.Err = fmt.Sprintf("bad size %q", arg)
				break
			}
			r.Sent = srv.Broadcast(make([]byte, n))
		case "heapprofile":
			if err := writeHeapProfile(arg); err != nil {
				r.Err = err.Error()
			}
		default:
			r.Err = fmt.Sprintf("unknown command %q", cmd)
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return sc.Err()
}

// ReadStats collects garbage, returns free memory to the system and
// reports this process's memory and goroutines.
func ReadStats() (Stats, error) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := Stats{
		HeapInuse:  int64(ms.HeapInuse),
		StackInuse: int64(ms.StackInuse),
		Goroutines: runtime.NumGoroutine(),
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return st, err
	}
	st.RSS, err = vmRSS(status)
	return st, err
}

// vmRSS finds the VmRSS line of a /proc/PID/status file, in bytes.
func vmRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("proc: odd VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		return kb << 10, err
	}
	return 0, errors.New("proc: no VmRSS in status")
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
