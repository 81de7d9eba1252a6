package server_test

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

const parallelClients = 64

// Each of 64 clients works on its own user at the same time: every answer is its own.
func TestParallelDistinctUsers(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, parallelClients)
	for i := range parallelClients {
		wg.Go(func() {
			user := uint32(1000 + i)
			content := bytes.Repeat([]byte(fmt.Sprintf("user %d;", user)), 100+i)
			steps := []struct {
				req  wire.Request
				want []byte
			}{
				{backupReq(user, "own", content), respBytes(wire.StatusOK, "own", nil)},
				{restoreReq(user, "own"), respBytes(wire.StatusRestored, "own", content)},
				{deleteReq(user, "own"), respBytes(wire.StatusOK, "own", nil)},
				{restoreReq(user, "own"), respBytes(wire.StatusNotExist, "own", nil)},
				{listReq(user), respBytes(wire.StatusNoFiles, "", nil)},
			}
			c, err := dialErr(srv.Addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for _, s := range steps {
				if _, err := c.Write(enc(s.req)); err != nil {
					errs <- err
					return
				}
				got, err := readResponseErr(c)
				if err != nil {
					errs <- fmt.Errorf("user %d %v: %w", user, s.req.Op, err)
					return
				}
				if !bytes.Equal(got, s.want) {
					errs <- fmt.Errorf("user %d %v: got %q, want %q", user, s.req.Op, clip(got), clip(s.want))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantTree(t, "after all", srv.Root, func() map[string]string {
		m := map[string]string{}
		for i := range parallelClients {
			m[userDir(uint32(1000+i))] = "<dir>"
		}
		return m
	}())
}

// 64 clients back up, restore and list one shared file of one user at the same time: every
// restore returns one complete version, and every list shows the file once committed.
func TestParallelSharedFile(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	const user = 77
	version := func(i int) []byte {
		// Versions differ in length and content, so that a mix of two is never a version.
		return bytes.Repeat([]byte{byte(i), byte(i >> 8), 0xa5}, 4000+97*i)
	}
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(user, "shared", version(0))), wire.StatusOK, "shared", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 3*parallelClients)
	for i := 1; i <= parallelClients; i++ {
		wg.Go(func() {
			c, err := dialErr(srv.Addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for round := range 2 {
				var req wire.Request
				switch (i + round) % 3 {
				case 0:
					req = backupReq(user, "shared", version(i))
				case 1:
					req = restoreReq(user, "shared")
				case 2:
					req = listReq(user)
				}
				if _, err := c.Write(enc(req)); err != nil {
					errs <- err
					return
				}
				got, err := readResponseErr(c)
				if err != nil {
					errs <- fmt.Errorf("client %d %v: %w", i, req.Op, err)
					return
				}
				resp, _, err := wire.ParseResponse(got, wire.Limits{})
				if err != nil {
					errs <- fmt.Errorf("client %d %v: %w", i, req.Op, err)
					return
				}
				switch {
				case req.Op == wire.OpBackup && resp.Status != wire.StatusOK,
					req.Op == wire.OpList && (resp.Status != wire.StatusListed || string(resp.Payload) != "shared\n"):
					errs <- fmt.Errorf("client %d %v: %+v", i, req.Op, resp)
				case req.Op == wire.OpRestore:
					if resp.Status != wire.StatusRestored || !isVersion(resp.Payload, version) {
						errs <- fmt.Errorf("client %d RESTORE: status %v, %d bytes that are no version", i, resp.Status, len(resp.Payload))
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := tree(t, srv.Root)
	if len(got) != 2 || !isVersion([]byte(got[userDir(user)+"/shared"]), version) {
		t.Fatalf("root after: %d entries, shared file is no version", len(got))
	}
}

func isVersion(b []byte, version func(int) []byte) bool {
	if len(b) < 12000 || (len(b)-12000)%291 != 0 {
		return false
	}
	return bytes.Equal(b, version((len(b)-12000)/291))
}

// Edge cases of content and naming, and several requests on one connection.
func TestEdgeCases(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	const user = 12
	allBytes := make([]byte, 256*4)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	longName := string(bytes.Repeat([]byte("L"), wire.DefaultMaxName))
	files := []struct{ id, name, content string }{
		{"zero-length", "empty", ""},
		{"all-byte-values", "bytes", string(allBytes)},
		{"name-255", longName, "long name"},
		{"printable-punctuation", "~!@#$%^&*()_+ -=[]{};':\",.<>?`|", "punct"},
		{"leading-dot", ".hidden", "dot"},
	}
	c := dial(t, srv.Addr) // all on one connection
	want := map[string]string{userDir(user): "<dir>"}
	var names []string
	for _, f := range files {
		send(t, c, enc(backupReq(user, f.name, []byte(f.content))))
		wantResp(t, f.id+" BACKUP", readResponse(t, c), wire.StatusOK, f.name, nil)
		send(t, c, enc(restoreReq(user, f.name)))
		wantResp(t, f.id+" RESTORE", readResponse(t, c), wire.StatusRestored, f.name, []byte(f.content))
		want[userDir(user)+"/"+f.name] = f.content
		names = append(names, f.name)
	}
	wantTree(t, "after backups", srv.Root, want)
	slices.Sort(names)
	send(t, c, enc(listReq(user)))
	resp, _, err := wire.ParseResponse(readResponse(t, c), wire.Limits{})
	if err != nil || resp.Status != wire.StatusListed || !slices.Equal(listedNames(t, resp.Payload), names) {
		t.Fatalf("LIST: %+v, %v", resp, err)
	}
	// Two lists never share a name.
	send(t, c, enc(listReq(user)))
	resp2, _, _ := wire.ParseResponse(readResponse(t, c), wire.Limits{})
	if bytes.Equal(resp.Name, resp2.Name) {
		t.Fatalf("two LISTs gave the same name %q", resp.Name)
	}
	for _, f := range files {
		send(t, c, enc(deleteReq(user, f.name)))
		wantResp(t, f.id+" DELETE", readResponse(t, c), wire.StatusOK, f.name, nil)
	}
	send(t, c, enc(listReq(user)))
	wantResp(t, "LIST after deletes", readResponse(t, c), wire.StatusNoFiles, "", nil)
	wantTree(t, "after deletes", srv.Root, map[string]string{userDir(user): "<dir>"})
}

// Two requests in one write are served in order: the first's payload does not leak into the
// second.
func TestPipelinedRequests(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	c := dial(t, srv.Addr)
	send(t, c, append(enc(backupReq(8, "p", []byte("pipelined"))), enc(restoreReq(8, "p"))...))
	wantResp(t, "BACKUP", readResponse(t, c), wire.StatusOK, "p", nil)
	wantResp(t, "RESTORE", readResponse(t, c), wire.StatusRestored, "p", []byte("pipelined"))

	// A header is read with what follows it: a payload's first bytes, the rest of it read from
	// the connection, and several requests read at once, each served whole and in order.
	big := make([]byte, 100<<10)
	for i := range big {
		big[i] = byte(i * 7 / 3)
	}
	var reqs []byte
	reqs = append(reqs, enc(backupReq(8, "big", big))...)
	for range 4 {
		reqs = append(reqs, enc(restoreReq(8, "p"))...)
	}
	reqs = append(reqs, enc(restoreReq(8, "big"))...)
	send(t, c, reqs)
	wantResp(t, "BACKUP big", readResponse(t, c), wire.StatusOK, "big", nil)
	for i := range 4 {
		wantResp(t, fmt.Sprintf("RESTORE %d", i), readResponse(t, c), wire.StatusRestored, "p", []byte("pipelined"))
	}
	wantResp(t, "RESTORE big", readResponse(t, c), wire.StatusRestored, "big", big)
}
