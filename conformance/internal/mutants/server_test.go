package mutants

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

// readExactly reads len(want) bytes and compares them.
func readExactly(t *testing.T, p *peer, step string, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
	if n, err := io.ReadFull(p.c, got); err != nil {
		t.Fatalf("%s: read %x: %v", step, got[:n], err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %x\nwant %x", step, got, want)
	}
}

var listNamePattern = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// readList reads a 211 response byte by byte and returns its name and payload.
func readList(t *testing.T, p *peer, step string) (name, payload []byte) {
	t.Helper()
	readExactly(t, p, step+" head", fakepeer.Hex(t, "01 d300 2000"))
	name = make([]byte, 32)
	size := make([]byte, 4)
	_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
	if _, err := io.ReadFull(p.c, name); err != nil {
		t.Fatalf("%s name: %v", step, err)
	}
	if !listNamePattern.Match(name) {
		t.Fatalf("%s: list name %q is not 32 characters [A-Za-z0-9]", step, name)
	}
	if _, err := io.ReadFull(p.c, size); err != nil {
		t.Fatalf("%s size: %v", step, err)
	}
	payload = make([]byte, binary.LittleEndian.Uint32(size))
	if _, err := io.ReadFull(p.c, payload); err != nil {
		t.Fatalf("%s payload: %v", step, err)
	}
	return name, payload
}

// expectClose checks that the server sends nothing more and closes.
func expectClose(t *testing.T, p *peer) {
	t.Helper()
	_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
	rest, err := io.ReadAll(p.c)
	if err != nil || len(rest) > 0 {
		t.Fatalf("after the last response: %x, %v; want a clean close", rest, err)
	}
}

// The exercise's scripted flow and then some, on one connection, byte for byte.
func TestNoneScriptedFlow(t *testing.T) {
	addr := startMutant(t, "none")
	p := dial(t, addr)
	const u = 1234
	steps := []struct {
		name string
		req  []byte
		want string
	}{
		{"list new user", listReq(u), "01 ea03"},
		{"backup a", backupReq(u, "a", []byte("hello")), "01 d400 0100 61"},
		{"backup empty", backupReq(u, "empty", nil), "01 d400 0500 656d707479"},
		{"restore a", restoreReq(u, "a"), "01 d200 0100 61 05000000 68656c6c6f"},
		{"restore empty", restoreReq(u, "empty"), "01 d200 0500 656d707479 00000000"},
		{"overwrite a", backupReq(u, "a", []byte("bye")), "01 d400 0100 61"},
		{"restore overwritten a", restoreReq(u, "a"), "01 d200 0100 61 03000000 627965"},
	}
	for _, s := range steps {
		p.send(s.req)
		readExactly(t, p, s.name, fakepeer.Hex(t, s.want))
	}
	p.send(listReq(u))
	name1, listing := readList(t, p, "list")
	if string(listing) != "a\nempty\n" {
		t.Fatalf("listing %q, want %q", listing, "a\nempty\n")
	}
	p.send(listReq(u))
	name2, _ := readList(t, p, "second list")
	if bytes.Equal(name1, name2) {
		t.Fatalf("two LISTs answered the same name %q", name1)
	}
	for _, s := range []struct {
		name string
		req  []byte
		want string
	}{
		{"delete a", deleteReq(u, "a"), "01 d400 0100 61"},
		{"restore deleted a", restoreReq(u, "a"), "01 e903 0100 61"},
		{"delete deleted a", deleteReq(u, "a"), "01 e903 0100 61"},
		{"delete empty", deleteReq(u, "empty"), "01 d400 0500 656d707479"},
		{"list emptied user", listReq(u), "01 ea03"},
	} {
		p.send(s.req)
		readExactly(t, p, s.name, fakepeer.Hex(t, s.want))
	}
	// an unknown op is answered 1003; its layout is unknown, so the server closes.
	p.send(unknownOpReq(u))
	readExactly(t, p, "unknown op", fakepeer.Hex(t, "01 eb03"))
	expectClose(t, p)
}

func TestNoneIsolatesUsers(t *testing.T) {
	addr := startMutant(t, "none")
	got := exchange(t, addr,
		backupReq(userA, "secret", []byte("a's")),
		listReq(userB), restoreReq(userB, "secret"), deleteReq(userB, "secret"),
		restoreReq(userA, "secret"))
	want := `212 "secret" | 1002 | 1001 "secret" | 1001 "secret" | 210 "secret" "a's" | closed`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestNoneRefusesBadNames(t *testing.T) {
	addr := startMutant(t, "none")
	p := dial(t, addr)
	for _, bad := range []string{"", ".", "..", "../x", "../8/x", "a/b", `a\b`, "/abs", "a\x00b", "a\nb", "\x7f", "caf\xc3\xa9", strings.Repeat("n", 256)} {
		p.send(backupReq(userA, bad, []byte("x")))
		readExactly(t, p, "backup "+bad, fakepeer.Hex(t, "01 eb03"))
		want := (&wire.Response{Version: 1, Status: wire.StatusNotExist, Name: []byte(bad)}).Append(nil)
		p.send(restoreReq(userA, bad))
		readExactly(t, p, "restore "+bad, want)
		p.send(deleteReq(userA, bad))
		readExactly(t, p, "delete "+bad, want)
	}
	// Nothing was stored, and the longest legal name is fine.
	p.send(listReq(userA))
	readExactly(t, p, "list after bad names", fakepeer.Hex(t, "01 ea03"))
	long := strings.Repeat("n", 255)
	p.send(backupReq(userA, long, []byte("x")))
	readExactly(t, p, "backup 255", (&wire.Response{Version: 1, Status: wire.StatusOK, Name: []byte(long)}).Append(nil))
}

// 1003 before the payload is read, then close.
func TestNoneRefusesOversize(t *testing.T) {
	addr := startMutant(t, "none")
	h := wire.RequestHeader{UserID: userA, Version: 1, Op: wire.OpBackup, Name: []byte("big"), Size: testOptions.MaxFileSize + 1}
	p := dial(t, addr)
	p.send(h.Append(nil))
	readExactly(t, p, "oversize", fakepeer.Hex(t, "01 eb03"))
	expectClose(t, p)
}

// a truncated upload stores nothing and the server goes on serving.
func TestNoneDropsTruncatedUpload(t *testing.T) {
	addr := startMutant(t, "none")
	full := backupReq(userA, "p", []byte("0123456789"))
	p := dial(t, addr)
	p.send(full[:len(full)-4])
	if got := p.finish(); got != "closed" {
		t.Fatalf("truncated upload: %s", got)
	}
	if got, want := exchange(t, addr, listReq(userA), restoreReq(userA, "p")), `1002 | 1001 "p" | closed`; got != want {
		t.Fatalf("after a truncated upload: %s, want %s", got, want)
	}
}

// a stalled request ends at the server's read deadline.
func TestNoneClosesStalledConnection(t *testing.T) {
	addr := startMutantWith(t, "none", quickDeadline)
	p := dial(t, addr)
	p.send(listReq(userA)[:3])
	if got := p.recv(1, clientWait); got != "closed" {
		t.Fatalf("stalled request: %s, want the server to close", got)
	}
}

// a version the server does not know is served (the informational choice).
func TestNoneServesOtherVersions(t *testing.T) {
	addr := startMutant(t, "none")
	req := wire.Request{UserID: userA, Version: 7, Op: wire.OpBackup, Name: []byte("v"), Payload: []byte("x")}
	if got, want := exchange(t, addr, req.Append(nil), listReq(userA)), `212 "v" | 211 <32 alnum> "v\n" | closed`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestAllListsEveryMutantOnce(t *testing.T) {
	all := All()
	if len(all) == 0 || all[0].Name != "none" || all[0].Allowed {
		t.Fatalf("All()[0] = %+v, want the fault-free none", all[0])
	}
	id := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, m := range all {
		if !id.MatchString(m.Name) || seen[m.Name] || m.Desc == "" {
			t.Errorf("mutant %+v: want a unique lower-case-with-dashes name and a description", m)
		}
		seen[m.Name] = true
		if m.Allowed != strings.HasPrefix(m.Desc, "allowed variation") {
			t.Errorf("%s: Allowed is %v but Desc says %q", m.Name, m.Allowed, m.Desc)
		}
	}
	all[0].Name = "changed"
	all[1].Faults[0] = "changed"
	if again := All(); again[0].Name != "none" || again[1].Faults[0] != again[1].Name {
		t.Fatal("All returns the registry itself, not a copy")
	}
}

// A mutant of one fault is named after it; a combination names single-fault mutants only, each
// once, and says in its Desc which it combines.
func TestEveryMutantNamesItsFaults(t *testing.T) {
	byName := map[string]Mutant{}
	for _, m := range All() {
		byName[m.Name] = m
	}
	if f := byName["none"].Faults; len(f) != 0 {
		t.Errorf("none switches on %q", f)
	}
	for _, m := range All()[1:] {
		switch {
		case len(m.Faults) == 1 && m.Faults[0] == m.Name:
		case len(m.Faults) > 1:
			seen := map[string]bool{}
			for _, f := range m.Faults {
				if single := byName[f]; seen[f] || len(single.Faults) != 1 || single.Faults[0] != f {
					t.Errorf("%s: fault %q is not a single-fault mutant, or is named twice", m.Name, f)
				}
				seen[f] = true
				if !strings.Contains(m.Desc, f) {
					t.Errorf("%s: Desc does not name the fault %s it combines", m.Name, f)
				}
			}
		default:
			t.Errorf("%s: Faults %q, want its own name or a combination of two or more", m.Name, m.Faults)
		}
	}
}

// Names separated by commas switch on every fault of each, each as it would alone.
func TestNewCombinesFaults(t *testing.T) {
	const both = `v0 212 "a" | !00000000 | closed`
	for name, want := range map[string]string{
		"version-zero":                                    `v0 212 "a" | closed`,
		"ok-trailing-size":                                `212 "a" | !00000000 | closed`,
		"version-zero,ok-trailing-size":                   both,
		"ok-trailing-size,version-zero,none,version-zero": both,
	} {
		if got := exchange(t, startMutant(t, name), backupReq(userA, "a", []byte("x"))); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	for _, bad := range []string{"", "none,", "version-zero,,ok-trailing-size", "version-zero,no-such-mutant"} {
		if _, err := New(bad); !errors.Is(err, ErrUnknownMutant) {
			t.Errorf("New(%q): %v, want ErrUnknownMutant", bad, err)
		}
	}
}

func TestNewRefusesUnknownName(t *testing.T) {
	if _, err := New("no-such-mutant"); !errors.Is(err, ErrUnknownMutant) {
		t.Fatalf("New: %v, want ErrUnknownMutant", err)
	}
	if _, _, err := Start("no-such-mutant"); !errors.Is(err, ErrUnknownMutant) {
		t.Fatalf("Start: %v, want ErrUnknownMutant", err)
	}
}

// stop closes the listener and every open connection, and Serve says why it returned.
func TestCloseEndsEverything(t *testing.T) {
	s, err := New("none")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	p := dial(t, ln.Addr().String())
	p.send(listReq(userA))
	if got := p.recv(1, clientWait); got != "1002" {
		t.Fatalf("before close: %s", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := p.recv(1, clientWait); got != "closed" {
		t.Fatalf("open connection after Close: %s", got)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v, want ErrServerClosed", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), clientWait); err == nil {
		_ = c.Close()
		t.Fatal("the listener still accepts after Close")
	}
}

func TestStartServesUntilStop(t *testing.T) {
	addr, stop, err := Start("none")
	if err != nil {
		t.Fatal(err)
	}
	p := dial(t, addr)
	p.send(listReq(userA))
	if got := p.recv(1, clientWait); got != "1002" {
		t.Fatalf("LIST: %s", got)
	}
	stop()
	if got := p.recv(1, clientWait); got != "closed" {
		t.Fatalf("open connection after stop: %s", got)
	}
	if c, err := net.DialTimeout("tcp", addr, clientWait); err == nil {
		_ = c.Close()
		t.Fatal("still accepting after stop")
	}
}

// The dying mutant's Serve says it died, so that a command can exit as a crashed server would.
func TestDyingServeReturnsErrDied(t *testing.T) {
	s, err := NewWithOptions("dies-on-unknown-op", testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	if got := exchange(t, ln.Addr().String(), unknownOpReq(userA)); got != "closed" {
		t.Fatalf("unknown op: %s", got)
	}
	select {
	case err := <-served:
		if !errors.Is(err, ErrDied) {
			t.Fatalf("Serve returned %v, want ErrDied", err)
		}
	case <-time.After(clientWait):
		t.Fatal("Serve still running after the server died")
	}
}
