// Command loadgen measures an FBP server for scripts/bench-server.sh: a large BACKUP and
// RESTORE against a plain TCP copy of the same bytes on the same disk, then many small files
// from concurrent clients. It prints one line per figure.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

const patternLen = 1 << 20

func main() {
	var (
		addr     = flag.String("addr", "", "server `host:port`")
		dir      = flag.String("dir", "", "folder on the server's disk for the baseline's file")
		mode     = flag.String("mode", "all", "large, small or all")
		size     = flag.Int64("size", 1<<30, "bytes of the large file")
		clients  = flag.Int("clients", 64, "concurrent clients for small files")
		small    = flag.Int("small", 4096, "bytes of each small file")
		duration = flag.Duration("duration", 5*time.Second, "length of each small-file phase")
		rounds   = flag.Int("rounds", 3, "large-file rounds; each runs the baseline and the server in turn")
		sink     = flag.String("sink", "", "run as the baseline's receiving process, on this `file`")
	)
	flag.Parse()
	if *sink != "" {
		if err := serveSink(*sink); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen sink:", err)
			os.Exit(1)
		}
		return
	}
	if *addr == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -addr is required")
		os.Exit(2)
	}
	pattern := make([]byte, patternLen)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(pattern)
	var err error
	if *mode == "large" || *mode == "all" {
		if *dir == "" || *size > 1<<32-1 {
			fmt.Fprintln(os.Stderr, "loadgen: large needs -dir and -size below 4 GiB")
			os.Exit(2)
		}
		err = large(*addr, *dir, *size, *rounds, pattern)
	}
	if err == nil && (*mode == "small" || *mode == "all") {
		err = smallFiles(*addr, *clients, *small, *duration, pattern)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// patternReader yields n bytes of the repeating pattern.
type patternReader struct {
	pattern []byte
	off     int64
	n       int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	i := int(p.off % int64(len(p.pattern)))
	m := copy(b[:min(int64(len(b)), p.n-p.off)], p.pattern[i:])
	p.off += int64(m)
	return m, nil
}

// patternChecker checks that what is written to it is the repeating pattern.
type patternChecker struct {
	pattern []byte
	off     int64
}

func (c *patternChecker) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := int(c.off % int64(len(c.pattern)))
		m := min(len(b), len(c.pattern)-i)
		if !bytes.Equal(b[:m], c.pattern[i:i+m]) {
			return 0, fmt.Errorf("content differs near byte %d", c.off)
		}
		b, c.off = b[m:], c.off+int64(m)
	}
	return n, nil
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / (1 << 20) }

func large(addr, dir string, size int64, rounds int, pattern []byte) error {
	baseFile := filepath.Join(dir, "baseline.bin")
	defer os.Remove(baseFile)
	sinkAddr, stopSink, err := startSink(baseFile)
	if err != nil {
		return err
	}
	defer stopSink()
	const user, name = 0xbe1c, "large.bin"
	var up, backups, down, restores []time.Duration
	// Rounds alternate which of baseline and server goes first, and every measure starts with
	// a sync, so that neither pays for the other's writeback.
	measure := func(f func() (time.Duration, error)) (time.Duration, error) {
		syscall.Sync()
		return f()
	}
	for round := range rounds {
		pairs := []func() error{
			func() error {
				d, err := measure(func() (time.Duration, error) { return baselineUpload(sinkAddr, size, pattern) })
				up = append(up, d)
				return wrap("baseline upload", err)
			},
			func() error {
				d, err := measure(func() (time.Duration, error) { return backup(addr, user, name, size, pattern) })
				backups = append(backups, d)
				return wrap("backup", err)
			},
			func() error {
				d, err := measure(func() (time.Duration, error) { return baselineDownload(sinkAddr, size, pattern) })
				down = append(down, d)
				return wrap("baseline download", err)
			},
			func() error {
				d, err := measure(func() (time.Duration, error) { return restore(addr, user, name, size, pattern) })
				restores = append(restores, d)
				return wrap("restore", err)
			},
		}
		order := []int{0, 1, 2, 3}
		if round%2 == 1 {
			order = []int{1, 0, 3, 2}
		}
		for _, i := range order {
			if err := pairs[i](); err != nil {
				return err
			}
		}
	}
	fmt.Printf("large file: %d bytes, %d rounds; median (min-max) of each\n", size, rounds)
	report := func(what string, ds []time.Duration, base []time.Duration) {
		slices.Sort(ds)
		med := ds[len(ds)/2]
		fmt.Printf("%-38s %7.1f MiB/s  (%.1f-%.1f)", what, mbps(size, med), mbps(size, ds[len(ds)-1]), mbps(size, ds[0]))
		if base != nil {
			fmt.Printf("  %.2fx baseline", base[len(base)/2].Seconds()/med.Seconds())
		}
		fmt.Println()
	}
	report("baseline upload (TCP -> file, fsync):", up, nil)
	report("server BACKUP:", backups, up)
	report("baseline download (file -> TCP):", down, nil)
	report("server RESTORE:", restores, down)
	return do(addr, wire.Request{UserID: user, Version: wire.Version, Op: wire.OpDelete, Name: []byte(name)}, wire.StatusOK)
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// The baseline runs in its own process, as the server does, so that both pay the same for
// crossing processes: serveSink is that process. It listens on loopback, prints its address,
// and serves connections one at a time: a first byte 'U' receives the bytes that follow into
// the file, syncs it and answers one byte; 'D' sends the file. It is the plainest TCP copy Go
// offers: io.Copy from the socket into the file splices, from the file into the socket uses
// sendfile.
func serveSink(path string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	// The parent closes our stdin to stop us.
	go func() { io.Copy(io.Discard, os.Stdin); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		if err := sinkOne(c, path); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen sink:", err)
		}
	}
}

func sinkOne(c net.Conn, path string) error {
	defer c.Close()
	var cmd [1]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil {
		return err
	}
	switch cmd[0] {
	case 'U':
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, c)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		_, err = c.Write([]byte{1})
		return err
	case 'D':
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(c, f)
		return err
	}
	return fmt.Errorf("unknown command %q", cmd[0])
}

// startSink runs serveSink in a child process and returns its address and a stop function.
func startSink(path string) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-sink", path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { stdin.Close(); cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("sink did not start: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

// baselineUpload copies size bytes over a loopback TCP connection into the sink's file, which
// the sink syncs.
func baselineUpload(sinkAddr string, size int64, pattern []byte) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", sinkAddr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Write([]byte{'U'}); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(c, &patternReader{pattern: pattern, n: size}, size); err != nil {
		return 0, err
	}
	c.(*net.TCPConn).CloseWrite()
	var ack [1]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return 0, fmt.Errorf("no acknowledgement: %w", err)
	}
	return time.Since(start), nil
}

// baselineDownload has the sink send its file to a reader that checks it.
func baselineDownload(sinkAddr string, size int64, pattern []byte) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", sinkAddr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Write([]byte{'D'}); err != nil {
		return 0, err
	}
	n, err := io.Copy(&patternChecker{pattern: pattern}, c)
	if err != nil {
		return 0, err
	}
	if n != size {
		return 0, fmt.Errorf("got %d of %d bytes", n, size)
	}
	return time.Since(start), nil
}

func backup(addr string, user uint32, name string, size int64, pattern []byte) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Size: uint32(size)}
	if err := wire.NewWriter(c).WriteRequest(&h, &patternReader{pattern: pattern, n: size}); err != nil {
		return 0, err
	}
	if err := expect(c, wire.StatusOK); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func restore(addr string, user uint32, name string, size int64, pattern []byte) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpRestore, Name: []byte(name)}
	if err := wire.NewWriter(c).WriteRequest(&h, nil); err != nil {
		return 0, err
	}
	r := wire.NewReader(c, wire.Limits{})
	var rh wire.ResponseHeader
	if err := r.ReadResponseHeader(&rh); err != nil {
		return 0, err
	}
	if rh.Status != wire.StatusRestored || int64(rh.Size) != size {
		return 0, fmt.Errorf("status %v size %d", rh.Status, rh.Size)
	}
	if _, err := io.Copy(&patternChecker{pattern: pattern}, r.Payload()); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// do sends req on a fresh connection and checks the response's status.
func do(addr string, req wire.Request, want wire.Status) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write(req.Append(nil)); err != nil {
		return err
	}
	return expect(c, want)
}

func expect(c net.Conn, want wire.Status) error {
	r := wire.NewReader(c, wire.Limits{})
	var rh wire.ResponseHeader
	if err := r.ReadResponseHeader(&rh); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, r.Payload()); err != nil {
		return err
	}
	if rh.Status != want {
		return fmt.Errorf("status %v, want %v", rh.Status, want)
	}
	return nil
}

// smallFiles runs a BACKUP phase then a RESTORE phase, each for d, with n clients on distinct
// users, one connection per request as the exercise's clients do.
func smallFiles(addr string, n, size int, d time.Duration, pattern []byte) error {
	payload := pattern[:size]
	for _, phase := range []struct {
		name   string
		status wire.Status
		req    func(user uint32) wire.Request
	}{
		{"BACKUP", wire.StatusOK, func(u uint32) wire.Request {
			return wire.Request{UserID: u, Version: wire.Version, Op: wire.OpBackup, Name: []byte("small.bin"), Payload: payload}
		}},
		{"RESTORE", wire.StatusRestored, func(u uint32) wire.Request {
			return wire.Request{UserID: u, Version: wire.Version, Op: wire.OpRestore, Name: []byte("small.bin")}
		}},
	} {
		var (
			mu        sync.Mutex
			latencies []time.Duration
			wg        sync.WaitGroup
			firstErr  error
		)
		end := time.Now().Add(d)
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				req := phase.req(uint32(0x5000 + i))
				var mine []time.Duration
				for time.Now().Before(end) {
					t0 := time.Now()
					if err := do(addr, req, phase.status); err != nil {
						mu.Lock()
						firstErr = errors.Join(firstErr, err)
						mu.Unlock()
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if firstErr != nil {
			return fmt.Errorf("small %s: %w", phase.name, firstErr)
		}
		slices.Sort(latencies)
		q := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
		fmt.Printf("small %-7s %d B x %d clients: %7.0f ops/s  p50 %v  p99 %v  (%d ops in %v)\n",
			phase.name, size, n, float64(len(latencies))/elapsed.Seconds(),
			q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond), len(latencies), elapsed.Round(time.Millisecond))
	}
	return nil
}
