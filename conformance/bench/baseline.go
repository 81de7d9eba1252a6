package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// The baselines are the machine's limits at the same concurrency, measured in the same run:
// loopback TCP carrying the bytes of each request and answer to a server that does nothing
// else, and the same operations done on the local disk with no network, a BACKUP as durably
// and atomically as a careful server must (create, write, fsync, rename, fsync the folder).
// A server's figure reads as a fraction of what the machine allows.

// Labels of the baselines in reports.
const (
	LoopbackLabel = "loopback"
	DiskLabel     = "disk"
	// CombinedLabel is the bound of a server that does the loopback's work and the disk's in
	// turn at the same concurrency: 1/(1/loopback + 1/disk), round by round. The two share
	// the machine's cores, so on one machine a server cannot beat it by overlapping them.
	CombinedLabel = "loopback+disk"
)

// zeros are the header bytes of the loopback's requests: only their number matters.
var zeros [12 + wire.MaxNameField]byte

// patternLen is the length of the block the loopback server answers with, over and over.
const patternLen = 64 << 10

// shape is the bytes one request and its answer put on the wire.
type shape struct{ in, out int64 }

// listedLen is the length of a listing of names.
func listedLen(names [][]byte, present func(int) bool) int64 {
	var n int64
	for i, name := range names {
		if present(i) {
			n += int64(len(name)) + 1
		}
	}
	return n
}

// loopback is an in-process server on 127.0.0.1 that reads what a request would send and
// answers as many bytes as the answer would carry, from memory.
type loopback struct {
	cfg     *Config
	ln      net.Listener
	pattern []byte
	actors  []*loopClient
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
}

func startLoopback(cfg *Config, rng *rand.Rand) (*loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &loopback{cfg: cfg, ln: ln, pattern: make([]byte, patternLen), conns: map[net.Conn]struct{}{}}
	for i := range l.pattern {
		l.pattern[i] = byte(rng.Uint32())
	}
	names := make([][]byte, cfg.Names)
	for i := range names {
		names[i] = fileName(i)
	}
	for i := range cfg.maxClients() {
		l.actors = append(l.actors, &loopClient{l: l, names: names, sizes: make([]int64, cfg.Names),
			pick: picker{rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i))), mix: cfg.Mix, sizes: cfg.Sizes, names: cfg.Names}})
	}
	l.wg.Go(l.serve)
	return l, nil
}

func (l *loopback) label() string     { return LoopbackLabel }
func (l *loopback) actor(i int) actor { return l.actors[i] }

func (l *loopback) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Go(func() {
			defer func() {
				l.mu.Lock()
				delete(l.conns, c)
				l.mu.Unlock()
				_ = c.Close()
			}()
			answerRequests(c, func(out int64) error {
				for out > 0 {
					n, err := c.Write(l.pattern[:min(out, patternLen)])
					if err != nil {
						return err
					}
					out -= int64(n)
				}
				return nil
			})
		})
	}
}

// answerRequests reads the loopback's requests on c, each the length of what it sends and of
// what it wants back, then what it sends, and answers each with answer(the length wanted),
// until c fails.
func answerRequests(c net.Conn, answer func(out int64) error) {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		in, out := int64(binary.LittleEndian.Uint32(hdr[:])), int64(binary.LittleEndian.Uint32(hdr[4:]))
		if _, err := io.CopyN(io.Discard, c, in); err != nil {
			return
		}
		if answer(out) != nil {
			return
		}
	}
}

func (l *loopback) stop() {
	_ = l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// loopClient sends the bytes of the requests an FBP client would, with their payloads drawn
// as the FBP client draws them, and checks the answers' bytes.
type loopClient struct {
	l     *loopback
	names [][]byte
	sizes []int64 // of each name's file, 0 when there is none
	pick  picker
	conn  net.Conn
	buf   []byte
	rbuf  []byte
	n     uint32
}

func (c *loopClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

func (c *loopClient) prepare(ctx context.Context) []outcome {
	var outs []outcome
	for i := range c.names {
		outs = append(outs, c.do(ctx, wire.OpBackup, i))
	}
	return outs
}

func (c *loopClient) cleanup(context.Context) {}

func (c *loopClient) step(ctx context.Context) outcome {
	op := c.pick.mix.pick(c.pick.rng)
	name := 0
	if op != wire.OpList {
		name = c.pick.name(func(i int) bool { return op != wire.OpBackup && c.sizes[i] > 0 })
	}
	return c.do(ctx, op, name)
}

func (c *loopClient) do(ctx context.Context, op wire.Op, name int) outcome {
	nameLen := int64(len(c.names[name]))
	var sh shape
	var payload io.Reader
	var size int64
	switch op {
	case wire.OpBackup:
		c.n++
		v := version{name: uint32(name), n: c.n, size: c.pick.sizes.draw(c.pick.rng)}
		size, payload = v.size, v.reader(c.l.cfg.Seed)
		sh = shape{12 + nameLen + size, 5 + nameLen}
		c.sizes[name] = size
	case wire.OpRestore:
		sh = shape{8 + nameLen, 5 + nameLen}
		if c.sizes[name] > 0 {
			size = c.sizes[name]
			sh.out += 4 + size
		}
	case wire.OpDelete:
		sh = shape{8 + nameLen, 5 + nameLen}
		c.sizes[name] = 0
	default:
		size = listedLen(c.names, func(i int) bool { return c.sizes[i] > 0 })
		sh = shape{6, 3}
		if size > 0 {
			sh.out = 9 + 32 + size
		}
	}
	out := c.exchange(ctx, sh, payload, size)
	out.op, out.bytes = op, size
	return out
}

func (c *loopClient) exchange(ctx context.Context, sh shape, payload io.Reader, size int64) outcome {
	var o outcome
	if c.conn == nil {
		start := time.Now()
		d := net.Dialer{Timeout: c.l.cfg.Timeout}
		nc, err := d.DialContext(ctx, "tcp", c.l.ln.Addr().String())
		if err != nil {
			return failed(ioKind(err), "connect: %v", err)
		}
		o.connect, o.dialed = time.Since(start), true
		c.conn = &deadline.Conn{Conn: nc, Idle: c.l.cfg.Timeout}
	}
	head := sh.in
	if payload != nil {
		head -= size
	}
	c.buf = binary.LittleEndian.AppendUint32(c.buf[:0], uint32(sh.in))
	c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(sh.out))
	c.buf = append(c.buf, zeros[:head]...)
	err := c.send(payload, size)
	if err == nil {
		err = c.receive(sh.out)
	}
	if err != nil {
		c.close()
		k := ioKind(err)
		if errors.Is(err, errPattern) {
			k = WrongContent
		}
		return failed(k, "%v", err)
	}
	if !c.l.cfg.KeepConns {
		c.close()
	}
	o.ok = true
	return o
}

// send writes the request: in one write when it is small, as wire.Writer does.
func (c *loopClient) send(payload io.Reader, size int64) error {
	if payload != nil && size <= 32<<10 {
		head := len(c.buf)
		c.buf = append(c.buf, make([]byte, size)...)
		if _, err := io.ReadFull(payload, c.buf[head:]); err != nil {
			return err
		}
		payload = nil
	}
	if _, err := c.conn.Write(c.buf); err != nil {
		return err
	}
	if payload != nil {
		_, err := io.CopyN(c.conn, payload, size)
		return err
	}
	return nil
}

var errPattern = errors.New("loopback: the answer's bytes differ from what was sent")

// receive reads n bytes of answer and checks them against the pattern.
func (c *loopClient) receive(n int64) error {
	if c.rbuf == nil {
		c.rbuf = make([]byte, 32<<10)
	}
	buf := c.rbuf
	var off int64
	for off < n {
		k, err := c.conn.Read(buf[:min(int64(len(buf)), n-off)])
		// A segment at a time, where the pattern wraps: checking must cost the tester less
		// than carrying the bytes costs the network it measures.
		for got := buf[:k]; len(got) > 0; {
			at := (off + int64(k-len(got))) % patternLen
			seg := min(len(got), int(patternLen-at))
			if !bytes.Equal(got[:seg], c.l.pattern[at:at+int64(seg)]) {
				return errPattern
			}
			got = got[seg:]
		}
		off += int64(k)
		if err != nil && off < n {
			return err
		}
	}
	return nil
}

// disk does the ops on the local disk: a BACKUP writes a temporary file, fsyncs it, renames it
// over the name and fsyncs the folder; a RESTORE reads the file and checks its bytes; a
// DELETE removes it and fsyncs the folder; a LIST reads the folder.
type disk struct {
	cfg    *Config
	dir    string
	actors []*diskClient
}

func newDisk(cfg *Config, rng *rand.Rand) (*disk, error) {
	dir, err := os.MkdirTemp(cfg.BaselineDir, "fbp-bench-disk-")
	if err != nil {
		return nil, err
	}
	d := &disk{cfg: cfg, dir: dir}
	for i := range cfg.maxClients() {
		folder := filepath.Join(dir, fmt.Sprint(i))
		if cfg.Shared {
			folder = filepath.Join(dir, "shared")
		}
		d.actors = append(d.actors, &diskClient{d: d, idx: uint32(i), folder: folder, present: make([]bool, cfg.Names),
			pick:    picker{rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i))), mix: cfg.Mix, sizes: cfg.Sizes, names: cfg.Names},
			checker: content.NewChecker(content.Bytes(nil))})
	}
	return d, nil
}

func (d *disk) label() string     { return DiskLabel }
func (d *disk) actor(i int) actor { return d.actors[i] }

func (d *disk) remove() {
	for _, c := range d.actors {
		c.cleanup(context.Background())
	}
	_ = os.RemoveAll(d.dir)
}

type diskClient struct {
	d       *disk
	idx     uint32
	folder  string
	dirf    *os.File // the folder, open for its fsyncs
	present []bool
	pick    picker
	n       uint32
	checker *content.Checker
}

func (c *diskClient) close() {}

func (c *diskClient) cleanup(context.Context) {
	if c.dirf != nil {
		_ = c.dirf.Close()
		c.dirf = nil
	}
}

func (c *diskClient) prepare(ctx context.Context) []outcome {
	if err := os.MkdirAll(c.folder, 0o700); err != nil {
		return []outcome{{op: wire.OpBackup, kind: ServerError, what: err.Error()}}
	}
	f, err := os.Open(c.folder)
	if err != nil {
		return []outcome{{op: wire.OpBackup, kind: ServerError, what: err.Error()}}
	}
	c.dirf = f
	if c.d.cfg.Shared && c.idx != 0 {
		return nil
	}
	var outs []outcome
	for i := range c.present {
		outs = append(outs, c.do(wire.OpBackup, i))
	}
	return outs
}

func (c *diskClient) step(context.Context) outcome {
	op := c.pick.mix.pick(c.pick.rng)
	name := 0
	if op != wire.OpList {
		name = c.pick.name(func(i int) bool { return op != wire.OpBackup && !c.d.cfg.Shared && c.present[i] })
	}
	return c.do(op, name)
}

func (c *diskClient) do(op wire.Op, name int) outcome {
	out, err := c.op(op, name)
	if err != nil {
		k := ServerError
		if errors.Is(err, errTorn) {
			k = WrongContent
		}
		out = failed(k, "%v", err)
	} else {
		out.ok = true
	}
	out.op = op
	return out
}

var errTorn = errors.New("the file's bytes are not the version its header names")

func (c *diskClient) op(op wire.Op, name int) (outcome, error) {
	path := filepath.Join(c.folder, string(fileName(name)))
	switch op {
	case wire.OpBackup:
		c.n++
		v := version{name: uint32(name), client: c.idx, n: c.n, size: c.pick.sizes.draw(c.pick.rng)}
		f, err := os.CreateTemp(c.folder, ".upload-")
		if err != nil {
			return outcome{}, err
		}
		_, err = io.Copy(f, v.reader(c.d.cfg.Seed))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			_ = os.Remove(f.Name())
			return outcome{}, err
		}
		c.present[name] = true
		return outcome{bytes: v.size}, c.dirf.Sync()
	case wire.OpRestore:
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return outcome{}, nil
		}
		if err != nil {
			return outcome{}, err
		}
		defer f.Close()
		var hdr [HeaderLen]byte
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			return outcome{}, err
		}
		v, ok := parseHeader(hdr[:])
		if !ok {
			return outcome{}, errTorn
		}
		c.checker.Reset(v.body(c.d.cfg.Seed))
		n, err := io.Copy(c.checker, f)
		if err != nil {
			return outcome{}, err
		}
		if c.checker.Mismatch() >= 0 || n != v.size-HeaderLen {
			return outcome{}, errTorn
		}
		return outcome{bytes: v.size}, nil
	case wire.OpDelete:
		err := os.Remove(path)
		c.present[name] = false
		if errors.Is(err, fs.ErrNotExist) {
			return outcome{}, nil
		}
		if err != nil {
			return outcome{}, err
		}
		return outcome{}, c.dirf.Sync()
	default:
		entries, err := os.ReadDir(c.folder)
		if err != nil {
			return outcome{}, err
		}
		var n int64
		for _, e := range entries {
			if !bytes.HasPrefix([]byte(e.Name()), []byte(".upload-")) {
				n += int64(len(e.Name())) + 1
			}
		}
		return outcome{bytes: n}, nil
	}
}
