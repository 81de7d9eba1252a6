package clienttest

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// An answer's header carries the fields its status does, stating what the plan says even when
// that is a lie: a name out of the folder, a size the payload does not have.
func TestPlanHeaderStatesWhatThePlanSays(t *testing.T) {
	for _, c := range []struct {
		name string
		p    plan
		want []byte
	}{
		{"1003", plan{status: wire.StatusServerError, name: []byte("a"), size: 5}, []byte{1, 0xeb, 0x03}},
		{"1001", plan{status: wire.StatusNotExist, name: []byte("a"), size: 5}, []byte{1, 0xe9, 0x03, 1, 0, 'a'}},
		{"210 naming ../x", plan{status: wire.StatusRestored, name: []byte("../x"), size: 3},
			[]byte{1, 0xd2, 0, 4, 0, '.', '.', '/', 'x', 3, 0, 0, 0}},
		{"210 claiming 4 GiB - 1", plan{status: wire.StatusRestored, name: []byte("a"), size: 1<<32 - 1},
			[]byte{1, 0xd2, 0, 1, 0, 'a', 0xff, 0xff, 0xff, 0xff}},
		{"1002", plan{status: wire.StatusNoFiles}, []byte{1, 0xea, 0x03}},
	} {
		if got := c.p.header(); !bytes.Equal(got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, got, c.want)
		}
		if f, _ := c.p.status.Fields(); c.p.hasSize() != f.Has(wire.HasPayload) {
			t.Errorf("%s: hasSize %v", c.name, c.p.hasSize())
		}
	}
}

// Connections that ask at once still meet the scenario's twist once: the first RESTORE's 210,
// or the first request held unanswered.
func TestTwistPlaysOnce(t *testing.T) {
	for _, tw := range []twist{twistNameDotDot, twistNameAbsolute, twistShortPayload, twistClaim, twistStall} {
		root := t.TempDir()
		s, err := newSession(&Scenario{Name: "twisted", Files: small, twist: tw, claim: 1<<32 - 1}, &Config{HugeSend: 16}, root, "")
		if err != nil {
			t.Fatal(err)
		}
		stored := filepath.Join(root, "stored")
		if err := os.WriteFile(stored, []byte("abc"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.store[7] = map[string]*version{"a": {path: stored, n: 3}}
		plans := make([]plan, 8)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range plans {
			wg.Go(func() {
				<-start
				plans[i] = s.plan(&exchange{req: spec.ClientRequest{UserID: 7, Version: 1, Op: uint8(wire.OpRestore), Name: []byte("a")}})
			})
		}
		close(start)
		wg.Wait()
		twisted := 0
		for _, p := range plans {
			if p.twist != "" || p.stall {
				twisted++
			}
			closeQuiet(p.body)
		}
		if twisted != 1 {
			t.Errorf("twist %d: played %d times", tw, twisted)
		}
	}
}

// The stall scenario's client may take its stall limit on top of its time.
func TestRunLimit(t *testing.T) {
	cfg := &Config{Timeout: 3 * time.Second, StallLimit: 5 * time.Second}
	for _, sc := range scenarios {
		want := cfg.Timeout
		if sc.Name == scStall {
			want += cfg.StallLimit
		}
		if got := cfg.runLimit(sc); got != want {
			t.Errorf("%s: %v, want %v", sc.Name, got, want)
		}
	}
}

// A tmp that cannot be read is no mismatch: the case says it could not look, and fails nothing.
func TestUnreadableTmpIsNoMismatch(t *testing.T) {
	dir := t.TempDir()
	stored := filepath.Join(dir, "stored")
	if err := os.WriteFile(stored, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A socket is there to see and not to open, even for root.
	tmp := filepath.Join(dir, "tmp")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		t.Skipf("no unix socket to stand for tmp: %v", err)
	}
	defer ln.Close()
	c := checkTmp(tmp, &version{path: stored, n: 3})
	if c.err == nil {
		t.Fatalf("a tmp that cannot be opened read: %+v", c)
	}
	r := &runEvidence{sc: scenarios[0], exchanges: []*exchange{{n: 1, status: uint16(wire.StatusRestored)}}, tmpAtDelete: &c, tmpAtEnd: &c}
	j := &judgment{c: caseByID("restore/exact-file"), cfg: &Config{}, runs: map[string]*runEvidence{scCanonical: r},
		rowOf: map[*exchange]int{}, shown: map[string]bool{}}
	judgeRestoreExact(j)
	if len(j.failures) > 0 {
		t.Errorf("failed: %+v", j.failures)
	}
	if j.lacking == nil || !strings.Contains(j.lacking.Actual, "could not be read") {
		t.Errorf("lacking %+v, want tmp named unreadable", j.lacking)
	}
	if !strings.Contains(strings.Join(j.notes, "\n"), "tmp could not be read when the DELETE") {
		t.Errorf("notes %q", j.notes)
	}
	if s := summary(r); s.TmpExact != nil {
		t.Errorf("an unreadable tmp summed up as exact %v", *s.TmpExact)
	}
}
