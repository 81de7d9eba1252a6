package server_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// hostileSetup lays out a parent folder holding the server's root and, beside it, a canary
// tree; the root holds a file of user 7, a file of user 99 and a file in the root itself, each
// a target a traversal could reach. It returns the server and both trees as they must stay.
func hostileSetup(t *testing.T, cfg server.Config) (srv *servertest.Running, parent string, wantRoot, wantParent map[string]string) {
	t.Helper()
	parent = t.TempDir()
	cfg.Root = filepath.Join(parent, "root")
	for p, content := range map[string]string{
		"canary/x":     "canary",
		"canary/abs":   "canary abs",
		"x":            "beside root",
		"root/x":       "in root",
		"root/99/x":    "other user",
		"root/7/x":     "user seven",
		"root/7/a/b":   "never reachable: a user folder holds no folders",
		"root/7/keep1": "",
	} {
		full := filepath.Join(parent, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv = servertest.Start(t, cfg)
	return srv, parent, tree(t, cfg.Root), tree(t, parent)
}

func unsafeNames(parent string) []struct{ id, name string } {
	return []struct{ id, name string }{
		{"parent", "../x"},
		{"grandparent", "../../x"},
		{"cross-user", "../99/x"},
		{"absolute", "/abs"},
		{"absolute-canary", filepath.Join(parent, "canary", "x")},
		{"subfolder", "a/b"},
		{"backslash", `a\b`},
		{"backslash-parent", `..\x`},
		{"dotdot", ".."},
		{"dot", "."},
		{"empty", ""},
		{"nul", "x\x00"},
		{"nul-truncating", "x\x00/../../x"},
		{"control", "x\x01"},
		{"newline", "x\ny"},
		{"del", "x\x7f"},
		{"non-ascii", "caf\xc3\xa9"},
		{"temporary-prefix", storage.TempPrefix + "x"},
	}
}

// every unsafe name form, for BACKUP, RESTORE and DELETE, on a connection that stays
// usable; nothing inside or outside the root changes and nothing outside the user folder is read.
func TestUnsafeNames(t *testing.T) {
	srv, parent, wantRoot, wantParent := hostileSetup(t, server.Config{})
	const user = 7
	for _, tc := range unsafeNames(parent) {
		t.Run(tc.id, func(t *testing.T) {
			c := dial(t, srv.Addr)
			send(t, c, enc(backupReq(user, tc.name, []byte("evil"))))
			wantResp(t, "BACKUP", readResponse(t, c), wire.StatusServerError, "", nil)
			send(t, c, enc(restoreReq(user, tc.name)))
			wantResp(t, "RESTORE", readResponse(t, c), wire.StatusNotExist, tc.name, nil)
			send(t, c, enc(deleteReq(user, tc.name)))
			wantResp(t, "DELETE", readResponse(t, c), wire.StatusNotExist, tc.name, nil)
			// The connection still serves, and the user's files are as they were.
			send(t, c, enc(restoreReq(user, "x")))
			wantResp(t, "RESTORE after", readResponse(t, c), wire.StatusRestored, "x", []byte("user seven"))
			wantTree(t, "root", srv.Root, wantRoot)
			wantTree(t, "parent", parent, wantParent)
		})
	}
}

// A name over the limit is refused at name_len: 1003 for every op, then close.
func TestNameOverLimit(t *testing.T) {
	srv, parent, wantRoot, wantParent := hostileSetup(t, server.Config{})
	long := strings.Repeat("n", wire.DefaultMaxName+1)
	for _, req := range []wire.Request{backupReq(7, long, []byte("evil")), restoreReq(7, long), deleteReq(7, long)} {
		t.Run(req.Op.String(), func(t *testing.T) {
			c := dial(t, srv.Addr)
			send(t, c, req.Append(nil))
			wantClosed(t, "over-limit name", c, respBytes(wire.StatusServerError, "", nil))
			wantTree(t, "root", srv.Root, wantRoot)
			wantTree(t, "parent", parent, wantParent)
		})
	}
	// A lower configured limit is the one enforced.
	low := servertest.Start(t, server.Config{Limits: wire.Limits{MaxName: 8}})
	c := dial(t, low.Addr)
	send(t, c, enc(backupReq(7, "123456789", nil)))
	wantClosed(t, "name over a limit of 8", c, respBytes(wire.StatusServerError, "", nil))
	wantResp(t, "name at a limit of 8", roundTrip(t, low.Addr, backupReq(7, "12345678", nil)), wire.StatusOK, "12345678", nil)
}

// a size over the limit is answered 1003 before any payload byte is read, then close.
func TestSizeOverLimit(t *testing.T) {
	srv := servertest.Start(t, server.Config{Limits: wire.Limits{MaxPayload: 1024}})
	head := func(size uint32) []byte {
		h := wire.RequestHeader{UserID: 1, Version: wire.Version, Op: wire.OpBackup, Name: []byte("big"), Size: size}
		return h.Append(nil)
	}
	// No payload byte is sent: the answer cannot wait for any.
	c := dial(t, srv.Addr)
	send(t, c, head(1025))
	wantClosed(t, "header only", c, respBytes(wire.StatusServerError, "", nil))

	// A client that sends the payload anyway still gets the answer.
	c = dial(t, srv.Addr)
	send(t, c, append(head(1<<20), make([]byte, 1<<20)...))
	wantClosed(t, "header and payload", c, respBytes(wire.StatusServerError, "", nil))

	c = dial(t, srv.Addr)
	send(t, c, head(0xffffffff))
	wantClosed(t, "largest size", c, respBytes(wire.StatusServerError, "", nil))

	wantTree(t, "after oversize backups", srv.Root, map[string]string{})
	wantResp(t, "size at the limit", roundTrip(t, srv.Addr, backupReq(1, "big", make([]byte, 1024))), wire.StatusOK, "big", nil)
}

// an unknown op is answered 1003, then the connection closes (its layout is unknown).
func TestUnknownOp(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	for _, op := range []uint8{0, 1, 99, 101, 203, 255} {
		c := dial(t, srv.Addr)
		raw := wire.RawRequest{UserID: 1, Version: 1, Op: op, Fields: wire.HasName, Name: []byte("x")}
		send(t, c, raw.Append(nil))
		wantClosed(t, fmt.Sprintf("op %d", op), c, respBytes(wire.StatusServerError, "", nil))
	}
	wantTree(t, "after unknown ops", srv.Root, map[string]string{})
}

// the reference server serves any version byte, and answers with version 1.
func TestOtherVersionServed(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	for _, v := range []uint8{0, 2, 255} {
		req := backupReq(3, "v", []byte{v})
		req.Version = v
		wantResp(t, fmt.Sprintf("BACKUP version %d", v), roundTrip(t, srv.Addr, req), wire.StatusOK, "v", nil)
		req = restoreReq(3, "v")
		req.Version = v
		wantResp(t, fmt.Sprintf("RESTORE version %d", v), roundTrip(t, srv.Addr, req), wire.StatusRestored, "v", []byte{v})
	}
}

// a request cut at every byte boundary, by a client that closes and by one that stalls,
// stores nothing and leaves the previous version intact, while other clients are served.
func TestTruncatedRequests(t *testing.T) {
	srv := servertest.Start(t, server.Config{ReadTimeout: 300 * time.Millisecond})
	const user = 3
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(user, "f", []byte("previous"))), wire.StatusOK, "f", nil)
	want := map[string]string{userDir(user): "<dir>", userDir(user) + "/f": "previous"}
	reqs := map[string][]byte{
		"BACKUP":  enc(backupReq(user, "f", []byte("the new version"))),
		"RESTORE": enc(restoreReq(user, "f")),
		"DELETE":  enc(deleteReq(user, "f")),
		"LIST":    enc(listReq(user)),
	}
	for op, full := range reqs {
		t.Run(op+"/closed", func(t *testing.T) {
			for cut := range len(full) {
				c := dial(t, srv.Addr)
				send(t, c, full[:cut])
				c.(*net.TCPConn).CloseWrite()
				wantClosed(t, fmt.Sprintf("cut at %d of %d", cut, len(full)), c, nil)
				c.Close()
			}
			wantTree(t, "after truncated requests", srv.Root, want)
		})
		t.Run(op+"/stalled", func(t *testing.T) {
			// Every prefix stalls at once; the read deadline ends them all.
			var wg sync.WaitGroup
			errs := make(chan error, len(full))
			for cut := range len(full) {
				c := dial(t, srv.Addr)
				send(t, c, full[:cut])
				wg.Go(func() {
					c.SetReadDeadline(time.Now().Add(testTimeout))
					var b [64]byte
					n, err := c.Read(b[:])
					if n != 0 || err == nil {
						errs <- fmt.Errorf("cut at %d: server sent %q instead of closing", cut, b[:n])
					} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
						errs <- fmt.Errorf("cut at %d: server never closed the stalled connection", cut)
					}
				})
			}
			// Served while the others stall.
			wantResp(t, "RESTORE during stalls", roundTrip(t, srv.Addr, restoreReq(user, "f")), wire.StatusRestored, "f", []byte("previous"))
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			wantTree(t, "after stalled requests", srv.Root, want)
		})
	}
}

// A client gone in the middle of a large upload, by a reset or a plain close, leaves the
// previous version intact and no temporary file.
func TestClientGoneMidUpload(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	const user = 4
	previous := bytes.Repeat([]byte("old "), 1000)
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(user, "big", previous)), wire.StatusOK, "big", nil)
	want := map[string]string{userDir(user): "<dir>", userDir(user) + "/big": string(previous)}
	for _, reset := range []bool{true, false} {
		c := dial(t, srv.Addr)
		h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte("big"), Size: 64 << 20}
		send(t, c, h.Append(nil))
		chunk := bytes.Repeat([]byte("new!"), 64<<10)
		for range 8 {
			send(t, c, chunk)
		}
		if reset {
			c.(*net.TCPConn).SetLinger(0) // close with a reset, as a killed process with unread input
		}
		c.Close()
		eventually(t, func() error {
			if got := tree(t, srv.Root); len(got) != len(want) || got[userDir(user)+"/big"] != string(previous) {
				return fmt.Errorf("reset=%v: root holds %d entries", reset, len(got))
			}
			return nil
		})
		wantTree(t, fmt.Sprintf("reset=%v", reset), srv.Root, want)
		wantResp(t, "RESTORE after", roundTrip(t, srv.Addr, restoreReq(user, "big")), wire.StatusRestored, "big", previous)
	}
}

// Requests sent one byte per write, two on one connection, are served as if sent whole.
func TestOneBytePerWrite(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	c := dial(t, srv.Addr)
	payload := []byte("slow but whole")
	for _, b := range enc(backupReq(5, "slow", payload)) {
		send(t, c, []byte{b})
	}
	wantResp(t, "BACKUP a byte at a time", readResponse(t, c), wire.StatusOK, "slow", nil)
	for _, b := range enc(restoreReq(5, "slow")) {
		send(t, c, []byte{b})
	}
	wantResp(t, "RESTORE a byte at a time", readResponse(t, c), wire.StatusRestored, "slow", payload)
}

// a LIST is answered as soon as its 6 bytes arrive, while the connection stays open.
func TestListAnsweredAtOnce(t *testing.T) {
	srv := servertest.Start(t, server.Config{ReadTimeout: time.Minute})
	c := dial(t, srv.Addr)
	req := enc(listReq(6))
	if len(req) != 6 {
		t.Fatalf("LIST is %d bytes", len(req))
	}
	send(t, c, req)
	wantResp(t, "LIST", readResponse(t, c), wire.StatusNoFiles, "", nil)
}

func TestRequestsShareNothingAcrossUsers(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	wantResp(t, "BACKUP by A", roundTrip(t, srv.Addr, backupReq(1, "shared-name", []byte("A's"))), wire.StatusOK, "shared-name", nil)
	wantResp(t, "LIST by B", roundTrip(t, srv.Addr, listReq(2)), wire.StatusNoFiles, "", nil)
	wantResp(t, "RESTORE by B", roundTrip(t, srv.Addr, restoreReq(2, "shared-name")), wire.StatusNotExist, "shared-name", nil)
	wantResp(t, "DELETE by B", roundTrip(t, srv.Addr, deleteReq(2, "shared-name")), wire.StatusNotExist, "shared-name", nil)
	wantResp(t, "RESTORE by A", roundTrip(t, srv.Addr, restoreReq(1, "shared-name")), wire.StatusRestored, "shared-name", []byte("A's"))
}
