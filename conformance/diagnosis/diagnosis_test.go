package diagnosis

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

func diagnose(t *testing.T, addr string, crash bool) *Diagnosis {
	t.Helper()
	d, err := Run(context.Background(), Config{Addr: addr, Timeout: time.Second, CrashProbes: crash, Log: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ids(d *Diagnosis) []string {
	var out []string
	for _, f := range d.Findings {
		out = append(out, f.ID)
	}
	return out
}

func TestReferenceServerHasNoFindings(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	d := diagnose(t, srv.Addr, true)
	if len(d.Findings) != 0 || d.Profile.Framed() || d.Served != 0 {
		t.Fatalf("findings %q, profile %+v, served %d", ids(d), d.Profile, d.Served)
	}
	if d.Fingerprint.String() != "backup→212 restore→210 missing→1001 list→211" {
		t.Fatalf("fingerprint %s", d.Fingerprint)
	}
}

// Each mutant's diagnosis names its fault, and no other.
func TestMutantsAreDiagnosed(t *testing.T) {
	for _, tc := range []struct {
		mutant string
		want   []string
	}{
		{"none", nil},
		{"list-hangs", []string{"list-needs-name-len"}},
		{"status-big-endian", []string{"status-byte-order"}},
		{"ok-trailing-size", []string{"trailing-212"}},
		{"no-files-extra-fields", []string{"trailing-1002"}},
		{"seed-003-status-map", []string{"status-map-seed003"}},
		{"version-zero", []string{"version-byte"}},
		{"missing-file-1003", nil},
		{"split-header-closes", nil},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			addr, stop, err := mutants.Start(tc.mutant)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if got := ids(diagnose(t, addr, false)); !slices.Equal(got, tc.want) {
				t.Fatalf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNothingListens(t *testing.T) {
	d := diagnose(t, fakepeer.ClosedAddr(t), false)
	if f := d.Fatal(); f == nil || f.ID != "nothing-listens" {
		t.Fatalf("findings %q", ids(d))
	}
}

func TestSilentAndHTTPServersAreFatal(t *testing.T) {
	silent := fakepeer.Start(t, fakepeer.Hold())
	if f := diagnose(t, silent.Addr, false).Fatal(); f == nil || f.ID != "no-answer" {
		t.Fatalf("silent: %+v", f)
	}
	http := fakepeer.Start(t, fakepeer.ReadPrefix(), fakepeer.Send([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")))
	f := diagnose(t, http.Addr, false).Fatal()
	if f == nil || f.ID != "not-fbp" || !contains(f.Summary, "HTTP/1.1 400 Bad Request") {
		t.Fatalf("http: %+v", f)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}
