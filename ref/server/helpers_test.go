package server_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// testTimeout bounds every wait of a test client, so that a server that never answers fails
// the test instead of hanging it.
const testTimeout = 10 * time.Second

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	return c
}

func send(t testing.TB, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write request: %v", err)
	}
}

// readResponse reads one whole response, payload included.
func readResponse(t testing.TB, c net.Conn) []byte {
	t.Helper()
	var got bytes.Buffer
	r := wire.NewReader(io.TeeReader(c, &got), wire.Limits{})
	var h wire.ResponseHeader
	if err := r.ReadResponseHeader(&h); err != nil {
		t.Fatalf("read response: %v (got %q)", err, got.Bytes())
	}
	if _, err := io.Copy(io.Discard, r.Payload()); err != nil {
		t.Fatalf("read response payload: %v", err)
	}
	return got.Bytes()
}

// roundTrip sends req on a fresh connection and returns the response's bytes.
func roundTrip(t testing.TB, addr string, req wire.Request) []byte {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	send(t, c, req.Append(nil))
	return readResponse(t, c)
}

func respBytes(status wire.Status, name string, payload []byte) []byte {
	r := wire.Response{Version: wire.Version, Status: status, Name: []byte(name), Payload: payload}
	return r.Append(nil)
}

func wantResp(t testing.TB, step string, got []byte, status wire.Status, name string, payload []byte) {
	t.Helper()
	if want := respBytes(status, name, payload); !bytes.Equal(got, want) {
		t.Fatalf("%s: response\n got %q\nwant %q", step, clip(got), clip(want))
	}
}

func clip(b []byte) []byte {
	if len(b) > 200 {
		return append(slices.Clip(b[:200]), "..."...)
	}
	return b
}

func backupReq(user uint32, name string, payload []byte) wire.Request {
	return wire.Request{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Payload: payload}
}

func restoreReq(user uint32, name string) wire.Request {
	return wire.Request{UserID: user, Version: wire.Version, Op: wire.OpRestore, Name: []byte(name)}
}

func deleteReq(user uint32, name string) wire.Request {
	return wire.Request{UserID: user, Version: wire.Version, Op: wire.OpDelete, Name: []byte(name)}
}

func listReq(user uint32) wire.Request {
	return wire.Request{UserID: user, Version: wire.Version, Op: wire.OpList}
}

// tree lists every entry under dir, as slash paths relative to it, with the content of files:
// a directory maps to "<dir>". An entry that vanishes during the walk (a temporary file the
// server is removing) is left out.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p != dir {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			out[filepath.ToSlash(rel)] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func wantTree(t testing.TB, step, dir string, want map[string]string) {
	t.Helper()
	got := tree(t, dir)
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing", step, k)
		} else if g != v {
			t.Errorf("%s: %s holds %d bytes %q, want %d bytes %q", step, k, len(g), clip([]byte(g)), len(v), clip([]byte(v)))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %q", step, k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func userDir(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

// wantClosed reads c to its end and fails unless the server closed it after sending exactly
// want (nothing, for a request that is owed no answer).
func wantClosed(t testing.TB, step string, c net.Conn, want []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	got, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("%s: connection not closed: %v (got %q)", step, err, clip(got))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: before closing the server sent %q, want %q", step, clip(got), clip(want))
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && errors.Is(err, syscall.ECONNRESET)
}

// eventually polls check until it returns nil, for at most testTimeout.
func eventually(t testing.TB, check func() error) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func enc(req wire.Request) []byte { return req.Append(nil) }

// readResponseErr is readResponse for goroutines other than the test's.
func readResponseErr(c net.Conn) ([]byte, error) {
	var got bytes.Buffer
	r := wire.NewReader(io.TeeReader(c, &got), wire.Limits{})
	var h wire.ResponseHeader
	if err := r.ReadResponseHeader(&h); err != nil {
		return got.Bytes(), err
	}
	_, err := io.Copy(io.Discard, r.Payload())
	return got.Bytes(), err
}

// dialErr is dial for goroutines other than the test's.
func dialErr(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	return c, nil
}

// listedNames splits a listing whose every name ends in "\n", in the server's order, and
// sorts the names.
func listedNames(t testing.TB, payload []byte) []string {
	t.Helper()
	if len(payload) == 0 || payload[len(payload)-1] != '\n' {
		t.Fatalf("listing %q does not end in a newline", clip(payload))
	}
	names := strings.Split(string(payload[:len(payload)-1]), "\n")
	slices.Sort(names)
	return names
}
