package fuzz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
	"github.com/fbpkit/fbp/vectors/schema"
)

// serverLimits keep the work of one input small: a declared size over 1 MiB is refused before
// any of it is read, and names have the reference limit.
var serverLimits = wire.Limits{MaxName: wire.DefaultMaxName, MaxPayload: 1 << 20}

const (
	// serverTimeout is the server's ReadTimeout, IdleTimeout and WriteTimeout. No input waits
	// for it, since the client's side ends in EOF (halfClosedConn) and its answers are drained
	// as they come; it only cuts short a server that waits for bytes that will never come.
	serverTimeout = 200 * time.Millisecond
	// serveBound is how long one connection may take before the test calls it a hang. Its
	// work is at most maxServerRequests requests, each with a file and a folder sync, so a
	// healthy server ends far sooner even under the race detector on a slow disk.
	serveBound = 30 * time.Second
	// maxServerRequests is how many requests of an input are served: every BACKUP syncs a file
	// and a folder to disk, and the fuzzer would otherwise spend its time in fsync on inputs
	// that repeat one request thousands of times.
	maxServerRequests = 64
	// The bytes the test's side of one connection and the server may allocate together:
	// serverAllocBase, plus serverAllocPerByte for every byte sent or answered. The per-byte
	// share pays for the fixed cost of a request (paths, an os.File and the user folder's root,
	// folder syncs and the response; about 5 KiB for a BACKUP, whose smallest form with its 212
	// is 19 bytes), for the scan of the user's folder a BACKUP's quota check makes (a few
	// hundred bytes per file already stored: up to 20 KiB for the last of 64 backups) and for
	// the growth of the buffer the answers are read into. The base pays for the connection's
	// own state, one 32 KiB copy buffer and the pools the race detector empties at random.
	// A server that set aside memory for a declared length, 1 MiB for a size or 64 KiB
	// for a name_len, on an input of a few bytes, is over it.
	serverAllocBase    = 48 << 10
	serverAllocPerByte = 1024
)

// FuzzServerConn feeds arbitrary bytes to the reference server's connection handler, in memory
// over net.Pipe, as a client that sends them and then closes its write side. Invariants
// (checkServerConn): ServeConn returns; the answers are well-formed responses of known statuses,
// exactly the ones the requests are owed, with nothing after them; nothing is written outside
// the storage root, every stored file is a valid name in its user's decimal folder, holds what
// the requests stored, and no temporary file remains; a fresh connection is still served; and
// the memory allocated stays in proportion to the bytes exchanged, not to lengths declared.
func FuzzServerConn(f *testing.F) {
	for _, s := range serverSeeds(f) {
		f.Add(s.input)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		checkServerConn(t, input)
	})
}

// a client that stalls, before a request, inside one or after a whole one, is cut off
// at the server's deadline; the same checks hold, a cut upload leaves no file behind, and the
// server keeps serving. The fuzz target's client always closes its side, for speed.
func TestServerConnStall(t *testing.T) {
	backup := (&wire.Request{UserID: 4, Version: 1, Op: wire.OpBackup, Name: []byte("f"), Payload: []byte("content")}).Append(nil)
	for _, tc := range []struct {
		id    string
		input []byte
	}{
		{"nothing-sent", nil},
		{"in-prefix", backup[:3]},
		{"in-name", backup[:8]},
		{"in-payload", backup[:len(backup)-2]},
		{"after-a-backup", backup},
	} {
		t.Run(tc.id, func(t *testing.T) {
			serveChecked(t, tc.input, false)
		})
	}
}

// The checks must be able to fail: a wrong, missing or extra answer, a stray or missing file,
// a temporary file left behind, and an allocation from a declared length are each reported.
func TestServerConnChecksFail(t *testing.T) {
	backup := (&wire.Request{UserID: 7, Version: 1, Op: wire.OpBackup, Name: []byte("a"), Payload: []byte("xy")}).Append(nil)
	m := serverModel{}
	owed, _, _ := m.plan(backup)
	ok := (&wire.Response{Version: 1, Status: wire.StatusOK, Name: []byte("a")}).Append(nil)
	if err := checkResponses(ok, owed); err != nil {
		t.Fatalf("the right answer: %v", err)
	}
	for id, got := range map[string][]byte{
		"none":             nil,
		"wrong status":     (&wire.Response{Version: 1, Status: wire.StatusServerError}).Append(nil),
		"wrong name":       (&wire.Response{Version: 1, Status: wire.StatusOK, Name: []byte("b")}).Append(nil),
		"trailing byte":    append(slices.Clip(ok), 0),
		"a second answer":  append(slices.Clip(ok), ok...),
		"unknown status":   {1, 0xff, 0xff},
		"truncated answer": ok[:len(ok)-1],
	} {
		if err := checkResponses(got, owed); err == nil {
			t.Errorf("answer %s %q accepted", id, got)
		}
	}

	// plant lays out a parent folder with the canary and the given files.
	plant := func(t *testing.T, files map[string]string) string {
		parent := t.TempDir()
		if err := plantCanary(parent); err != nil {
			t.Fatal(err)
		}
		for rel, content := range files {
			p := filepath.Join(parent, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return parent
	}
	stored := map[string]string{"root/7/a": "xy"}
	if err := checkTree(plant(t, stored), m); err != nil {
		t.Fatalf("the right tree: %v", err)
	}
	if err := checkTree(plant(t, stored), serverModel{7: {"a": []byte("xy"), "b": nil}}); err == nil {
		t.Fatal("a stored file missing from the tree accepted")
	}
	for _, tc := range []struct{ id, rel, content string }{
		{"outside-root", "x", ""},
		{"canary-changed", canaryFile, "changed"},
		{"beside-the-canary", "canary/y", ""},
		{"in-root-itself", "root/x", ""},
		{"user-folder-not-decimal", "root/07/a", ""},
		{"folder-in-a-user-folder", "root/7/d/a", ""},
		{"temporary-file", "root/7/\x7ffbp-upload-0", ""},
		{"file-not-stored", "root/7/b", ""},
		{"other-content", "root/7/a", "xz"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			files := maps.Clone(stored)
			files[tc.rel] = tc.content
			if err := checkTree(plant(t, files), m); err == nil {
				t.Fatalf("%q accepted", tc.rel)
			}
		})
	}

	// The bound must sit below what a server that set aside the 1 MiB a BACKUP header declares,
	// with no byte of it sent, would allocate for that header alone.
	header := (&wire.RawRequest{UserID: 7, Version: 1, Op: uint8(wire.OpBackup), Fields: wire.HasName | wire.HasPayload,
		Name: []byte("a"), Size: new(serverLimits.MaxPayload)}).Append(nil)
	var sink []byte
	if alloc := allocOf(func() { sink = make([]byte, serverLimits.MaxPayload) }); alloc <= allocBoundFor(len(header)) {
		t.Fatalf("allocating %d bytes for a %d-byte input is within the bound of %d", len(sink), len(header), allocBoundFor(len(header)))
	}
}

// checkServerConn serves input on a fresh server and checks every invariant of FuzzServerConn.
// Memory is measured once; only if it is over the bound is the input served twice more, on
// fresh servers, and the least of the three kept, so that an allocation the runtime or the
// test framework made during the exchange does not fail an input.
func checkServerConn(t testing.TB, input []byte) {
	alloc, bound := serveChecked(t, input, true)
	for retry := 0; alloc > bound && retry < 2; retry++ {
		again, _ := serveChecked(t, input, true)
		alloc = min(alloc, again)
	}
	if alloc > bound {
		t.Fatalf("serving %d bytes %q allocated %d bytes, over the bound of %d: memory in proportion to a declared length (R-5.4)?",
			len(input), clipBytes(input), alloc, bound)
	}
}

// serveChecked serves input on a fresh server over a root beside a canary folder, as exchange
// does, checks the answers and the files, checks that a fresh connection still gets a LIST
// answered, and returns the bytes allocated during the first connection and the bound they
// must stay under.
func serveChecked(t testing.TB, input []byte, halfClose bool) (alloc, bound uint64) {
	parent := t.TempDir()
	if err := plantCanary(parent); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{
		Root:         filepath.Join(parent, "root"),
		Limits:       serverLimits,
		ReadTimeout:  serverTimeout,
		IdleTimeout:  serverTimeout,
		WriteTimeout: serverTimeout,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), serveBound)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()

	m := serverModel{}
	owed, sent, user := m.plan(input)
	answers, alloc, err := exchange(srv, sent, halfClose)
	if err != nil {
		t.Fatalf("input %q: %v", clipBytes(sent), err)
	}
	if err := checkResponses(answers, owed); err != nil {
		t.Fatalf("input %q: %v", clipBytes(sent), err)
	}
	if err := checkTree(parent, m); err != nil {
		t.Fatalf("after input %q: %v", clipBytes(sent), err)
	}

	// whatever the connection did, the server keeps serving.
	list := (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpList}).Append(nil)
	owedList, _, _ := m.plan(list)
	listAnswer, _, err := exchange(srv, list, true)
	if err != nil {
		t.Fatalf("LIST of user %d on a fresh connection after input %q: %v", user, clipBytes(sent), err)
	}
	if err := checkResponses(listAnswer, owedList); err != nil {
		t.Fatalf("LIST of user %d on a fresh connection after input %q: %v", user, clipBytes(sent), err)
	}
	return alloc, allocBoundFor(len(sent) + len(answers))
}

func allocBoundFor(exchanged int) uint64 {
	return serverAllocBase + serverAllocPerByte*uint64(exchanged)
}

// halfClosedConn is the server's end of a net.Pipe whose client closed its write side after
// sending input: once the server has read the input's last byte, its next read gets io.EOF, as
// from a TCP peer after CloseWrite, while its answers still reach the client. net.Pipe has no
// half-close of its own; without one every input would end only at the server's read deadline.
type halfClosedConn struct {
	net.Conn
	left int // input bytes the server has not read yet
}

func (c *halfClosedConn) Read(b []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(b[:min(len(b), c.left)])
	c.left -= n
	return n, err
}

// exchange serves one connection that sends input and reads every answer as it comes, so that
// the server never blocks on a write. With halfClose the client then closes its write side;
// without, it stalls and the connection ends only at the server's deadline. It returns the
// answers and the bytes allocated meanwhile (by the server and the test's side of the pipe),
// or an error if ServeConn or the client's side did not end within serveBound.
func exchange(srv *server.Server, input []byte, halfClose bool) (answers []byte, alloc uint64, err error) {
	client, end := net.Pipe()
	defer client.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	var serverSide net.Conn = end
	if halfClose {
		serverSide = &halfClosedConn{Conn: end, left: len(input)}
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(serverSide)
	}()
	read := make(chan []byte, 1)
	go func() {
		var got bytes.Buffer
		// The server closing its end is the only way this ends: the error is always io.EOF
		// or the pipe closed by the deferred Close after a timeout.
		got.ReadFrom(client)
		read <- got.Bytes()
	}()
	wrote := make(chan error, 1)
	go func() {
		_, err := client.Write(input)
		wrote <- err
	}()

	timer := time.NewTimer(serveBound)
	defer timer.Stop()
	select {
	case <-served:
	case <-timer.C:
		return nil, 0, fmt.Errorf("ServeConn has not returned %v after it was handed %d bytes (then EOF: %t)", serveBound, len(input), halfClose)
	}
	// The server closed its end: the write ended, early with io.ErrClosedPipe if the server
	// closed before reading it all, and the reader met EOF.
	var werr error
	select {
	case werr = <-wrote:
	case <-timer.C:
		return nil, 0, errors.New("the client's write did not end after ServeConn returned")
	}
	select {
	case answers = <-read:
	case <-timer.C:
		return nil, 0, errors.New("the client's read did not end after ServeConn returned")
	}
	runtime.ReadMemStats(&after)
	if werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
		return nil, 0, fmt.Errorf("writing the input: %w", werr)
	}
	return answers, after.TotalAlloc - before.TotalAlloc, nil
}

// serverModel is what the server's store must hold after the requests it served: each user's
// files, by name.
type serverModel map[uint32]map[string][]byte

// owedResponse is a response the server owes. A LIST answer's name is random: listing marks it,
// and the name is then checked for its form only.
type owedResponse struct {
	resp    wire.Response
	listing bool
}

// plan decodes input as the server must, request by request under serverLimits, and applies
// each request to m. It returns the responses the requests are owed, in order, the part of
// input to send (cut after maxServerRequests requests) and the user of the last whole request.
// The server stops where decoding stops: at a limit or an unknown op after a 1003 (R-5.4,
// ), at a truncated request with no answer.
func (m serverModel) plan(input []byte) (owed []owedResponse, sent []byte, lastUser uint32) {
	src := bytes.NewReader(input)
	r := wire.NewReader(src, serverLimits)
	var h wire.RequestHeader
	for range maxServerRequests {
		if err := r.ReadRequestHeader(&h); err != nil {
			var le *wire.LimitError
			if errors.As(err, &le) || errors.Is(err, wire.ErrUnknownOp) {
				owed = append(owed, owedResponse{resp: wire.Response{Version: wire.Version, Status: wire.StatusServerError}})
			}
			return owed, input, lastUser
		}
		if len(owed) > 0 && h.UserID != lastUser {
			// The reference server's policy: a connection belongs to the user of its
			// first request; another user's request gets 1003, and the connection closes.
			owed = append(owed, owedResponse{resp: wire.Response{Version: wire.Version, Status: wire.StatusServerError}})
			return owed, input, lastUser
		}
		lastUser = h.UserID
		name := bytes.Clone(h.Name)
		safe := wire.CheckName(name, serverLimits.MaxName) == nil
		files := m[h.UserID]
		resp := wire.Response{Version: wire.Version}
		switch h.Op {
		case wire.OpBackup:
			payload, err := io.ReadAll(r.Payload())
			if err != nil {
				// a truncated upload is owed no answer and stores nothing.
				return owed, input, lastUser
			}
			if !safe {
				resp.Status = wire.StatusServerError
				break
			}
			if files == nil {
				files = map[string][]byte{}
				m[h.UserID] = files
			}
			files[string(name)] = payload
			resp.Status, resp.Name = wire.StatusOK, name
		case wire.OpRestore:
			content, ok := files[string(name)]
			resp.Status, resp.Name = wire.StatusNotExist, name
			if safe && ok {
				resp.Status, resp.Payload = wire.StatusRestored, content
			}
		case wire.OpDelete:
			_, ok := files[string(name)]
			resp.Status, resp.Name = wire.StatusNotExist, name
			if safe && ok {
				delete(files, string(name))
				resp.Status = wire.StatusOK
			}
		case wire.OpList:
			if len(files) == 0 {
				resp.Status = wire.StatusNoFiles
				break
			}
			var listing []byte
			for _, n := range slices.Sorted(maps.Keys(files)) {
				listing = append(append(listing, n...), '\n')
			}
			resp.Status, resp.Payload = wire.StatusListed, listing
		}
		owed = append(owed, owedResponse{resp: resp, listing: h.Op == wire.OpList && resp.Status == wire.StatusListed})
	}
	return owed, input[:taken(src)], lastUser
}

// checkResponses checks that answers decode as a sequence of well-formed responses of known
// statuses with nothing after the last, and that they are the owed ones, in order.
func checkResponses(answers []byte, owed []owedResponse) error {
	i := 0
	for ; len(answers) > 0; i++ {
		resp, n, err := wire.ParseResponse(answers, hugeLimits)
		if err != nil {
			return fmt.Errorf("answer %d does not decode: %w (%d bytes left: %q)", i, err, len(answers), clipBytes(answers))
		}
		if i >= len(owed) {
			return fmt.Errorf("answer %d %q is one more than the %d owed", i, clipBytes(answers[:n]), len(owed))
		}
		want := owed[i]
		if want.listing {
			// The order of the names is the server's own; the model's is sorted.
			if resp.Status != wire.StatusListed || resp.Version != wire.Version || !isListingName(resp.Name) || !bytes.Equal(sortedListing(resp.Payload), want.resp.Payload) {
				return fmt.Errorf("answer %d: %q, want list-ok with a fresh 32-character name and the listing %q in any order", i, clipBytes(answers[:n]), clipBytes(want.resp.Payload))
			}
		} else if !resp.Equal(&want.resp) {
			return fmt.Errorf("answer %d: %q, want %q", i, clipBytes(answers[:n]), clipBytes(want.resp.Append(nil)))
		}
		answers = answers[n:]
	}
	if i < len(owed) {
		return fmt.Errorf("%d answers, %d owed: the next is %q", i, len(owed), clipBytes(owed[i].resp.Append(nil)))
	}
	return nil
}

// sortedListing sorts the lines of a listing whose every name ends in "\n"; one that does not
// is returned as it is, and so differs from every listing the model makes.
func sortedListing(b []byte) []byte {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return b
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	slices.SortFunc(lines, bytes.Compare)
	return bytes.Join(lines, nil)
}

func isListingName(name []byte) bool {
	if len(name) != server.ListingNameLen {
		return false
	}
	for _, c := range name {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// The canary folder lies beside the root, where a request that escaped it would write.
const (
	canaryFile    = "canary/x"
	canaryContent = "canary: nothing may change this folder"
)

func plantCanary(parent string) error {
	p := filepath.Join(parent, filepath.FromSlash(canaryFile))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(canaryContent), 0o600)
}

// checkTree walks parent and checks that it holds only the root and the untouched canary; that
// the root holds only folders named by a user id in decimal; that these hold only
// regular files with names wire.CheckName accepts, so no temporary file; and that the
// files are exactly those m says the requests stored, with their content.
func checkTree(parent string, m serverModel) error {
	seen := map[string]bool{}
	canarySeen := false
	err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(parent, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		switch {
		case rel == "." || rel == "root" && d.IsDir() || rel == "canary" && d.IsDir():
			return nil
		case rel == canaryFile:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() || string(b) != canaryContent {
				return fmt.Errorf("the canary %s beside the root changed: %q", rel, clipBytes(b))
			}
			canarySeen = true
			return nil
		case parts[0] != "root":
			return fmt.Errorf("%s (%v) is outside the storage root", rel, d.Type())
		case len(parts) == 2:
			u, err := strconv.ParseUint(parts[1], 10, 32)
			if !d.IsDir() || err != nil || strconv.FormatUint(u, 10) != parts[1] {
				return fmt.Errorf("%s (%v) in the root is not a user folder named in decimal", rel, d.Type())
			}
			return nil
		case len(parts) == 3:
			if err := wire.CheckName([]byte(parts[2]), serverLimits.MaxName); err != nil {
				return fmt.Errorf("%s in a user folder: not a stored file's name (a temporary file left behind?): %w", rel, err)
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s (%v) is not a regular file", rel, d.Type())
			}
			u, _ := strconv.ParseUint(parts[1], 10, 32)
			want, ok := m[uint32(u)][parts[2]]
			if !ok {
				return fmt.Errorf("%s: no request stored it", rel)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Equal(b, want) {
				return fmt.Errorf("%s holds %d bytes %q, the requests stored %d bytes %q", rel, len(b), clipBytes(b), len(want), clipBytes(want))
			}
			seen[rel] = true
			return nil
		}
		return fmt.Errorf("%s (%v) is deeper than a user's folder", rel, d.Type())
	})
	if err != nil {
		return err
	}
	if !canarySeen {
		return fmt.Errorf("the canary %s beside the root is gone", canaryFile)
	}
	for u, files := range m {
		for name := range files {
			if rel := "root/" + strconv.FormatUint(uint64(u), 10) + "/" + name; !seen[rel] {
				return fmt.Errorf("%s: stored by a request, missing from the root", rel)
			}
		}
	}
	return nil
}

// allocOf is how many bytes f allocates.
func allocOf(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func clipBytes(b []byte) []byte {
	if len(b) > 200 {
		return append(slices.Clip(b[:200]), "..."...)
	}
	return b
}

// truncatedBase is the ID of the vector a "…/truncated-at-N" vector cuts.
func truncatedBase(id string) string {
	if i := strings.LastIndex(id, "/truncated-at-"); i >= 0 {
		return id[:i]
	}
	return id
}

// A serverSeed is an input to the server and a stable name for it.
type serverSeed struct {
	id    string
	input []byte
}

// serverSeeds are every request vector (valid, truncated, over a limit, of an unknown op),
// valid vectors served several to a connection, whole and cut short, the scripted run of the
// reference client, unsafe names of names.json in every op, and hostile headers.
func serverSeeds(tb testing.TB) []serverSeed {
	tb.Helper()
	set, err := vectors.Load()
	if err != nil {
		tb.Fatalf("loading the golden vectors: %v", err)
	}
	var seeds []serverSeed
	var valid []*schema.Vector
	// The vectors cut every request at every offset; the server takes the same path for every
	// cut inside one field, so one cut per field of each request is kept: the longest.
	longestCut := map[string]*schema.Vector{}
	for _, v := range set.Requests() {
		if v.Error != nil && v.Error.Class == schema.ClassTruncated {
			longestCut[truncatedBase(v.ID)+" "+v.Error.Field] = v
		}
	}
	for _, v := range set.Requests() {
		if v.Error != nil && v.Error.Class == schema.ClassTruncated && longestCut[truncatedBase(v.ID)+" "+v.Error.Field] != v {
			continue
		}
		seeds = append(seeds, serverSeed{"vector/" + v.ID, v.Bytes})
		if v.Valid() && !v.HeaderOnly() {
			valid = append(valid, v)
		}
	}
	if len(valid) < 3 {
		tb.Fatalf("the golden vectors hold %d whole valid requests", len(valid))
	}
	// Three valid requests to a connection, each vector in three positions.
	for i := range valid {
		var ids []string
		var input []byte
		for k := range 3 {
			v := valid[(i+k)%len(valid)]
			ids = append(ids, v.ID)
			input = append(input, v.Bytes[:v.Consumed]...)
		}
		id := "concat/" + strings.Join(ids, "+")
		seeds = append(seeds, serverSeed{id, input}, serverSeed{id + "/cut", input[:len(input)-1]})
	}

	req := func(user uint32, op wire.Op, name string, payload string) []byte {
		return (&wire.Request{UserID: user, Version: wire.Version, Op: op, Name: []byte(name), Payload: []byte(payload)}).Append(nil)
	}
	// SPEC §6: LIST, two BACKUPs, LIST, RESTORE, DELETE, RESTORE again.
	script := slices.Concat(req(1234, wire.OpList, "", ""), req(1234, wire.OpBackup, "mmn14.pdf", "%PDF-1.6"),
		req(1234, wire.OpBackup, "notes.txt", "notes\n"), req(1234, wire.OpList, "", ""), req(1234, wire.OpRestore, "mmn14.pdf", ""),
		req(1234, wire.OpDelete, "mmn14.pdf", ""), req(1234, wire.OpRestore, "mmn14.pdf", ""))
	seeds = append(seeds, serverSeed{"script/reference-client", script})
	var samples []byte
	for _, m := range sampleRequests() {
		samples = m.Append(samples)
	}
	seeds = append(seeds, serverSeed{"samples", samples})
	// Two users, one name, on one connection: the second user's request is refused, and closes
	// the connection (the reference server's policy under ).
	seeds = append(seeds, serverSeed{"users/isolated", slices.Concat(req(1, wire.OpBackup, "f", "one"),
		req(2, wire.OpRestore, "f", ""), req(2, wire.OpList, "", ""), req(2, wire.OpDelete, "f", ""), req(1, wire.OpRestore, "f", ""))})
	// More requests than an input is served: the rest is cut.
	seeds = append(seeds, serverSeed{"many-lists", bytes.Repeat(req(5, wire.OpList, "", ""), maxServerRequests+2)})
	// The smallest requests of each op, as many as are served: their fixed costs add up.
	var backups, restores, deletes []byte
	for i := range maxServerRequests {
		name := string(rune('!' + i))
		backups = append(backups, req(5, wire.OpBackup, name, "")...)
		restores = append(restores, req(5, wire.OpRestore, name, "")...)
		deletes = append(deletes, req(5, wire.OpDelete, name, "")...)
	}
	seeds = append(seeds, serverSeed{"many-backups", backups}, serverSeed{"many-restores-missing", restores},
		serverSeed{"many-deletes-missing", deletes})

	// names.json tries every byte as a name of one: one name per verdict and length is kept.
	kept := map[string]bool{}
	for _, n := range set.Names() {
		verdict := fmt.Sprint(n.Result, n.Reason, len(n.Name))
		if len(n.Name) > wire.MaxNameField || kept[verdict] {
			continue
		}
		kept[verdict] = true
		seeds = append(seeds, serverSeed{"names/" + n.ID, slices.Concat(req(9, wire.OpBackup, string(n.Name), "evil"),
			req(9, wire.OpRestore, string(n.Name), ""), req(9, wire.OpDelete, string(n.Name), ""), req(9, wire.OpList, "", ""))})
	}

	// A BACKUP whose size field states size, whatever payload follows.
	backup := func(name string, size uint32, payload string) []byte {
		return (&wire.RawRequest{UserID: 3, Version: wire.Version, Op: uint8(wire.OpBackup), Fields: wire.HasName | wire.HasPayload,
			Name: []byte(name), Size: &size, Payload: []byte(payload)}).Append(nil)
	}
	nameOnly := func(op wire.Op) []byte {
		r := wire.RawRequest{UserID: 3, Version: wire.Version, Op: uint8(op), Fields: wire.HasName, NameLen: new(uint16(math.MaxUint16))}
		return r.Append(nil)
	}
	seeds = append(seeds,
		serverSeed{"hostile/backup-name_len-65535-nothing", nameOnly(wire.OpBackup)},
		serverSeed{"hostile/restore-name_len-65535-nothing", nameOnly(wire.OpRestore)},
		serverSeed{"hostile/backup-size-4GiB-nothing", backup("f", math.MaxUint32, "")},
		serverSeed{"hostile/backup-size-over-limit", backup("f", serverLimits.MaxPayload+1, "x")},
		serverSeed{"hostile/backup-size-at-limit-cut", backup("f", serverLimits.MaxPayload, "only this")},
		serverSeed{"hostile/backup-name_len-256", backup(strings.Repeat("n", wire.DefaultMaxName+1), 1, "x")},
		serverSeed{"hostile/backup-name_len-255", backup(strings.Repeat("n", wire.DefaultMaxName), 1, "x")},
		serverSeed{"hostile/unknown-op-then-list", slices.Concat([]byte{3, 0, 0, 0, 1, 7}, req(3, wire.OpList, "", ""))},
		serverSeed{"hostile/overwrite-then-cut", slices.Concat(req(3, wire.OpBackup, "f", "first"),
			backup("f", 100, "second, cut"))},
	)
	return seeds
}
