package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

const listingName = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

func u32(v uint32) *uint32 { return &v }

// wantProtocol, wantStatus, wantDeadline and wantStall check the class of a failure.
func wantProtocol(t *testing.T, err error) {
	t.Helper()
	var pe *client.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ProtocolError", err)
	}
	if client.IsStatus(err) {
		t.Fatalf("protocol error %v counts as a status answer", err)
	}
}

func wantStatus(status wire.Status) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var se *client.StatusError
		if !errors.As(err, &se) || se.Status != status || !client.IsStatus(err) {
			t.Fatalf("err = %v, want a *StatusError with status %d", err, status)
		}
	}
}

func wantDeadline(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func wantStall(t *testing.T, err error) {
	t.Helper()
	var se *client.StallError
	if !errors.As(err, &se) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a *StallError", err)
	}
}

// A hostile or broken server answers a RESTORE: the client must fail clearly and leave the
// folder as it was, the target's previous content included.
func TestRestoreFromHostileServer(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "evil")
	for _, tc := range []struct {
		id      string
		answer  func(p *peer) answerFunc
		opt     client.Options
		timeout time.Duration // the context's; 0: none
		want    func(*testing.T, error)
	}{
		{id: "traversal-name", answer: fixed(raw(wire.StatusRestored, "../evil", "pwned")), want: wantProtocol},
		{id: "absolute-name", answer: fixed(raw(wire.StatusRestored, outside, "pwned")), want: wantProtocol},
		{id: "size-over-sent-then-close", answer: fixed(sizeLie("a.txt", 1000, "only ten b")), want: func(t *testing.T, err error) {
			wantProtocol(t, err)
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "10 of 1000 bytes") {
				t.Fatalf("err = %v, want a truncation after 10 of 1000 bytes", err)
			}
		}},
		{id: "size-over-sent-then-silence", answer: stallAfter(sizeLie("a.txt", 1000, "only ten b")), timeout: 300 * time.Millisecond, want: wantDeadline},
		{id: "truncated-payload", answer: fixed(cut(raw(wire.StatusRestored, "a.txt", strings.Repeat("x", 100)), 60)), want: wantProtocol},
		{id: "truncated-header", answer: fixed(cut(raw(wire.StatusRestored, "a.txt", "x"), 6)), want: wantProtocol},
		{id: "closed-without-answer", answer: func(*peer) answerFunc {
			return func(net.Conn, *wire.RequestHeader, io.Reader) bool { return false }
		}, want: func(t *testing.T, err error) {
			wantProtocol(t, err)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("err = %v, want io.EOF inside", err)
			}
		}},
		{id: "wrong-status-listed", answer: fixed(raw(wire.StatusListed, listingName, "a.txt\n")), want: wantStatus(wire.StatusListed)},
		{id: "wrong-status-ok", answer: fixed(raw(wire.StatusOK, "a.txt", "")), want: wantStatus(wire.StatusOK)},
		{id: "undefined-status", answer: fixed(wire.RawResponse{Version: 1, Status: 999}), want: wantProtocol},
		{id: "garbage", answer: fixed(wire.RawResponse{Version: 0xde, Status: 0xefad, Trailer: []byte("\xbe\xef garbage")}), want: wantProtocolSaying("version 222")},
		{id: "version-2", answer: fixed(func() wire.RawResponse { r := raw(wire.StatusRestored, "a.txt", "v2"); r.Version = 2; return r }()), want: wantProtocolSaying("version 2")},
		{id: "size-over-default-limit", answer: stallAfter(sizeLie("a.txt", 1<<32-1, "x")), want: func(t *testing.T, err error) {
			wantProtocol(t, err)
			if !errors.Is(err, wire.ErrPayloadTooLarge) || !strings.Contains(err.Error(), "4294967295") {
				t.Fatalf("err = %v, want the 4 GiB size refused", err)
			}
		}},
		// One byte every 10 ms keeps the 100 ms stall timeout from firing, which would end a
		// silent server's answer at 100 ms: only the 400 ms bound on the whole request ends it.
		{id: "trickled-payload", answer: trickled("a.txt", 1<<20, 10*time.Millisecond), opt: client.Options{StallTimeout: 100 * time.Millisecond, MaxTime: 400 * time.Millisecond}, want: func(t *testing.T, err error) {
			var tl *client.TimeLimitError
			if !errors.As(err, &tl) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want a *TimeLimitError", err)
			}
		}},
		{id: "server-error", answer: fixed(raw(wire.StatusServerError, "", "")), want: wantStatus(wire.StatusServerError)},
		{id: "not-exist-for-another-name", answer: fixed(raw(wire.StatusNotExist, "b.txt", "")), want: wantProtocol},
		{id: "size-over-client-limit", answer: stallAfter(sizeLie("a.txt", 1001, "x")), opt: client.Options{MaxRestore: 1000}, want: func(t *testing.T, err error) {
			wantProtocol(t, err)
			if !errors.Is(err, wire.ErrPayloadTooLarge) {
				t.Fatalf("err = %v, want wire.ErrPayloadTooLarge inside", err)
			}
		}},
		{id: "silence", answer: silent, timeout: 300 * time.Millisecond, want: wantDeadline},
		{id: "silence-without-deadline", answer: silent, opt: client.Options{StallTimeout: 300 * time.Millisecond}, want: wantStall},
	} {
		t.Run(tc.id, func(t *testing.T) {
			dir := filepath.Join(base, tc.id)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(dir, "restored")
			if err := os.WriteFile(target, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}
			p := &peer{}
			p = startPeer(t, func(c net.Conn, h *wire.RequestHeader, r io.Reader) bool { return tc.answer(p)(c, h, r) })
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			n, err := client.New(p.addr, tc.opt).RestoreFile(ctx, 7, "a.txt", target)
			if err == nil {
				t.Fatalf("restored %d bytes from a hostile server", n)
			}
			t.Logf("error: %v", err)
			tc.want(t, err)
			for _, part := range []string{"restore", `"a.txt"`, p.addr} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %s", err, part)
				}
			}
			if got := servertest.Entries(t, dir); !slices.Equal(got, []string{"restored"}) {
				t.Errorf("folder holds %q, want only the previous target", got)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "previous" {
				t.Errorf("target now %q, %v; want it untouched", b, err)
			}
			if exists(outside) || exists(filepath.Join(dir, "evil")) {
				t.Error("a file was written under the name the server sent")
			}
		})
	}
}

// A hostile LIST answer is refused without reading a payload the client did not agree to.
func TestListFromHostileServer(t *testing.T) {
	for _, tc := range []struct {
		id     string
		answer func(p *peer) answerFunc
		want   func(*testing.T, error)
	}{
		{id: "size-1GiB", answer: stallAfter(sizeLie(listingName, 1<<30, "a\nb\n")), want: func(t *testing.T, err error) {
			wantProtocol(t, err)
			if !errors.Is(err, wire.ErrPayloadTooLarge) || !strings.Contains(err.Error(), "1073741824") {
				t.Fatalf("err = %v, want the 1 GiB size refused", err)
			}
		}},
		{id: "listing-name-short", answer: fixed(raw(wire.StatusListed, "abc", "a\n")), want: wantProtocol},
		{id: "listing-name-not-alphanumeric", answer: fixed(raw(wire.StatusListed, "../"+listingName[3:], "a\n")), want: wantProtocol},
		{id: "entry-traversal", answer: fixed(raw(wire.StatusListed, listingName, "a\n../../etc/passwd\n")), want: wantProtocol},
		{id: "entry-terminal-escape", answer: fixed(raw(wire.StatusListed, listingName, "a\n\x1b]0;owned\x07\n")), want: wantProtocol},
		{id: "truncated", answer: fixed(sizeLie(listingName, 100, "a\nb\n")), want: wantProtocol},
		{id: "wrong-status", answer: fixed(raw(wire.StatusOK, "a", "")), want: wantStatus(wire.StatusOK)},
		{id: "not-exist-to-list", answer: fixed(raw(wire.StatusNotExist, "a", "")), want: wantStatus(wire.StatusNotExist)},
		{id: "silence", answer: silent, want: wantDeadline},
		{id: "garbage", answer: fixed(wire.RawResponse{Version: 0xde, Status: 0xefad, Trailer: []byte("\xbe\xef")}), want: wantProtocolSaying("version 222")},
		{id: "undefined-status", answer: fixed(wire.RawResponse{Version: 1, Status: 48813}), want: wantProtocolSaying("48813")},
		// A name longer than a filename can be, and one 16 MiB line of 0xff: refused, and the
		// error quotes a few dozen bytes of it, not the whole.
		{id: "line-over-name-limit", answer: fixed(raw(wire.StatusListed, listingName, "a\n"+strings.Repeat("n", 256)+"\n")), want: wantShortProtocol},
		{id: "line-16MiB", answer: fixed(raw(wire.StatusListed, listingName, strings.Repeat("\xff", 16<<20-1))), want: wantShortProtocol},
		{id: "bad-name-quoted-short", answer: fixed(raw(wire.StatusListed, listingName, strings.Repeat("\x1b[31m", 36)+"\n")), want: wantShortProtocol},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p := &peer{}
			p = startPeer(t, func(c net.Conn, h *wire.RequestHeader, r io.Reader) bool { return tc.answer(p)(c, h, r) })
			// Only silence waits for the deadline: every other answer is refused at once.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			names, err := client.New(p.addr, client.Options{}).List(ctx, 7)
			if err == nil {
				t.Fatalf("listed %q from a hostile server", names)
			}
			if !strings.Contains(err.Error(), "list on "+p.addr) {
				t.Errorf("error %q does not say what failed", err)
			}
			t.Logf("error: %v", err)
			tc.want(t, err)
		})
	}
}

// BACKUP and DELETE answers that are not about the request are refused.
func TestBackupDeleteFromHostileServer(t *testing.T) {
	for _, tc := range []struct {
		id     string
		op     wire.Op
		size   int64
		answer func(p *peer) answerFunc
		opt    client.Options
		want   func(*testing.T, error)
	}{
		{id: "backup/wrong-name", op: wire.OpBackup, size: 5, answer: fixed(raw(wire.StatusOK, "other", "")), want: wantProtocol},
		{id: "backup/wrong-status-restored", op: wire.OpBackup, size: 5, answer: fixed(raw(wire.StatusRestored, "a.txt", "hello")), want: wantStatus(wire.StatusRestored)},
		{id: "backup/not-exist", op: wire.OpBackup, size: 5, answer: fixed(raw(wire.StatusNotExist, "a.txt", "")), want: wantStatus(wire.StatusNotExist)},
		{id: "backup/server-error", op: wire.OpBackup, size: 5, answer: fixed(raw(wire.StatusServerError, "", "")), want: wantStatus(wire.StatusServerError)},
		// The server reads the header, then nothing more: the upload fills the socket buffers and stalls.
		{id: "backup/silence-during-upload", op: wire.OpBackup, size: 64 << 20, answer: silent, opt: client.Options{StallTimeout: 300 * time.Millisecond}, want: wantStall},
		{id: "delete/wrong-name", op: wire.OpDelete, answer: fixed(raw(wire.StatusOK, "A.TXT", "")), want: wantProtocol},
		{id: "delete/no-files", op: wire.OpDelete, answer: fixed(raw(wire.StatusNoFiles, "", "")), want: wantStatus(wire.StatusNoFiles)},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p := &peer{}
			p = startPeer(t, func(c net.Conn, h *wire.RequestHeader, r io.Reader) bool { return tc.answer(p)(c, h, r) })
			c := client.New(p.addr, tc.opt)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			if tc.op == wire.OpBackup {
				err = c.Backup(ctx, 7, "a.txt", content.Drawn(tc.size, 1).Reader(), tc.size)
			} else {
				err = c.Delete(ctx, 7, "a.txt")
			}
			if err == nil {
				t.Fatal("a hostile answer was taken for success")
			}
			t.Logf("error: %v", err)
			tc.want(t, err)
		})
	}
}

// lets a server answer 1003 to a BACKUP before reading its payload, then close: the
// client reports the server's answer, not the failed upload.
func TestBackupAnsweredBeforePayload(t *testing.T) {
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		send(c, raw(wire.StatusServerError, "", ""))
		return false
	})
	const size = 64 << 20
	err := client.New(p.addr, client.Options{}).Backup(context.Background(), 7, "big", content.Drawn(size, 1).Reader(), size)
	wantStatus(wire.StatusServerError)(t, err)
}

// wantProtocolSaying checks for a *ProtocolError whose text holds part.
func wantProtocolSaying(part string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		wantProtocol(t, err)
		if !strings.Contains(err.Error(), part) {
			t.Fatalf("err = %v, want it to say %q", err, part)
		}
	}
}

// wantShortProtocol checks for a *ProtocolError whose text quotes little of what the server
// sent: a person reads it on a terminal.
func wantShortProtocol(t *testing.T, err error) {
	t.Helper()
	wantProtocol(t, err)
	if n := len(err.Error()); n > 300 {
		t.Fatalf("error of %d bytes: %.400q", n, err.Error())
	}
}

// trickled answers 210 for name with a payload of size bytes, sent one byte per pause until
// the test ends.
func trickled(name string, size uint32, pause time.Duration) func(*peer) answerFunc {
	return func(p *peer) answerFunc {
		return func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
			h := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte(name), Size: size}
			if _, err := c.Write(h.Append(nil)); err != nil {
				return false
			}
			for range size {
				select {
				case <-p.done:
					return false
				case <-time.After(pause):
				}
				if _, err := c.Write([]byte{'x'}); err != nil {
					return false
				}
			}
			return false
		}
	}
}

func fixed(r wire.RawResponse) func(*peer) answerFunc {
	b := r.Append(nil)
	return func(*peer) answerFunc {
		return func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
			c.Write(b)
			return false
		}
	}
}

func stallAfter(r wire.RawResponse) func(*peer) answerFunc {
	b := r.Append(nil)
	return func(p *peer) answerFunc {
		return func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
			c.Write(b)
			p.stall()
			return false
		}
	}
}

func silent(p *peer) answerFunc {
	return func(net.Conn, *wire.RequestHeader, io.Reader) bool {
		p.stall()
		return false
	}
}

// sizeLie is a response that states size but carries payload, shorter or longer.
func sizeLie(name string, size uint32, payload string) wire.RawResponse {
	status := wire.StatusRestored
	if name == listingName {
		status = wire.StatusListed
	}
	r := raw(status, name, payload)
	r.Size = u32(size)
	return r
}

// cut keeps the first n bytes of r's encoding.
func cut(r wire.RawResponse, n int) wire.RawResponse {
	b := r.Append(nil)[:n]
	return wire.RawResponse{Version: b[0], Status: uint16(b[1]) | uint16(b[2])<<8, Trailer: b[3:]}
}
