package bench

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

// tearingServer is a server that overwrites a file in place, in two halves, without holding
// its lock in between: the mistake of a server that writes where it reads. It tears only under
// concurrency: a BACKUP that has written its first half goes on once no other request is in
// progress, or once a request for the same file has been served in between (a RESTORE then
// returns half of each version; a second BACKUP's first half is overwritten by the first's
// second). With one client it never tears. Its pauses wait for events, never for the clock:
// a BACKUP parks while another connection is open, until a request for the same file has
// been served.
type tearingServer struct {
	mu    sync.Mutex
	cond  *sync.Cond
	files map[string][]byte
	// open counts the connections open; parked, the BACKUPs at their midpoint; served[name]
	// counts the requests answered for each name.
	open, parked int
	served       map[string]int
}

func startTearing(t *testing.T) string {
	s := &tearingServer{files: map[string][]byte{}, served: map[string]int{}}
	s.cond = sync.NewCond(&s.mu)
	return listenTB(t, s.serve)
}

// listenTB serves each connection to a new listener on 127.0.0.1 with serve, on a goroutine of
// its own, until the test ends; then it closes the listener and every connection, and waits
// for the goroutines. It returns the listener's address.
func listenTB(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		conns sync.Map
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return ln.Addr().String()
}

func (s *tearingServer) serve(c net.Conn) {
	s.mu.Lock()
	s.open++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.open--
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	r := wire.NewReader(c, wire.Limits{MaxPayload: 1 << 20})
	w := wire.NewWriter(c)
	for {
		var h wire.RequestHeader
		if err := r.ReadRequestHeader(&h); err != nil {
			return
		}
		payload, err := io.ReadAll(r.Payload())
		if err != nil {
			return
		}
		name := string(h.Name)
		s.mu.Lock()
		resp := wire.ResponseHeader{Version: wire.Version, Status: wire.StatusOK, Name: h.Name}
		var body []byte
		switch h.Op {
		case wire.OpBackup:
			old, ok := s.files[name]
			if !ok || len(old) != len(payload) {
				s.files[name] = payload
				break
			}
			half := len(payload) / 2
			copy(old[:half], payload[:half])
			// Park while another connection is open, until a request for this name has
			// been served meanwhile.
			seen := s.served[name]
			s.parked++
			for s.open > s.parked && s.served[name] == seen {
				s.cond.Wait()
			}
			s.parked--
			copy(old[half:], payload[half:])
		case wire.OpRestore:
			if f, ok := s.files[name]; ok {
				resp.Status, resp.Size, body = wire.StatusRestored, uint32(len(f)), bytes.Clone(f)
			} else {
				resp.Status = wire.StatusNotExist
			}
		case wire.OpDelete:
			if _, ok := s.files[name]; ok {
				delete(s.files, name)
			} else {
				resp.Status = wire.StatusNotExist
			}
		default:
			var list []byte
			for n := range s.files {
				list = append(append(list, n...), '\n')
			}
			resp = wire.ResponseHeader{Version: wire.Version, Status: wire.StatusNoFiles}
			if len(list) > 0 {
				resp = wire.ResponseHeader{Version: wire.Version, Status: wire.StatusListed, Name: bytes.Repeat([]byte{'L'}, 32), Size: uint32(len(list))}
				body = list
			}
		}
		s.served[name]++
		s.cond.Broadcast()
		s.mu.Unlock()
		if err := w.WriteResponse(&resp, bytes.NewReader(body)); err != nil && !errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
