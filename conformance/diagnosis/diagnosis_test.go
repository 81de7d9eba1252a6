package diagnosis

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
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

// zooFindings is what the diagnosis must find of each mutant of the zoo: its own faults' root
// causes, and nothing of a mutant not listed (its fault is the cases' business).
var zooFindings = map[string][]string{
	"ok-trailing-size":            {"trailing-212"},
	"no-files-extra-fields":       {"trailing-1002"},
	"status-big-endian":           {"status-byte-order"},
	"version-zero":                {"version-byte"},
	"list-hangs":                  {"list-needs-name-len"},
	"late-answer":                 {"no-answer"}, // slower than the timeout
	"seed-003-status-map":         {"status-map-seed003"},
	"list-trailing-nul":           {"trailing-211"},
	"payload-with-header-dropped": {"backup-payload-dropped"},
	"length-prefixed-responses":   {"length-prefix"},
	"frames-1024":                 {"fixed-frames"},
	"size-before-name":            {"size-before-name"},
	"silent":                      {"no-answer"},
	"http":                        {"not-fbp"},
	"drip":                        {"drips"},
	"not-found-name-missing":      {"cut-1001"},
	"not-found-name-stalls":       {"cut-1001"},
	"ok-name-missing":             {"cut-212"},
	"real-cut-unchecked-names":    {"cut-212", "cut-1001"},
	"refused-payload-unread":      {"refused-payload-read-as-request"},
	"serves-one-at-a-time":        {"serves-one-at-a-time"},
	"dies-on-connect-close":       {"dies-on-connect-and-close"},
	"dies-on-reset":               {"dies-on-reset"},
	"dies-on-truncated-header":    {"dies-on-truncated-request"},
	"real-list-name-len":          {"list-needs-name-len", "trailing-212", "dies-on-connect-and-close"},
	"real-split-payload":          {"backup-payload-dropped"},
	"real-one-read":               {"list-needs-name-len", "backup-payload-dropped", "serves-one-at-a-time"},
	"real-framing":                {"length-prefix", "status-byte-order"},
	"real-framing-serial":         {"length-prefix", "serves-one-at-a-time"},
	"fixed-header-responses":      {"size-before-name"},
	"real-seed-003":               {"list-needs-name-len", "status-map-seed003", "size-before-name"},
	"second-per-request":          {"slow-answers"},
	"real-quoted-paths":           {"dies-on-connect-and-close"},
	"real-one-read-cut":           {"backup-payload-dropped", "cut-212", "cut-1001"},
	"real-slow-serial":            {"list-needs-name-len", "slow-answers", "trailing-212", "serves-one-at-a-time"},
	"real-lax-statuses":           {"refused-payload-read-as-request"},
	"name-len-every-op":           {"list-needs-name-len"},
	"real-eight-byte-header":      {"list-needs-name-len"},
}

// Each mutant's diagnosis names its fault, and no other: every mutant of the zoo is diagnosed,
// with the probes that may kill a server, and must give exactly its findings.
func TestZooIsDiagnosed(t *testing.T) {
	// The probes mostly wait on the network: many mutants at once, more than the test's
	// parallelism (the number of cores) would allow.
	sem := make(chan struct{}, 12)
	var wg sync.WaitGroup
	for _, m := range mutants.All() {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// A drip of 1s over a 3-byte answer, twice the 500ms that makes one; answers owed
			// within 2s, as twelve diagnoses at once on a loaded machine may take a second; a
			// read deadline the stalled-client probe's wait does not reach.
			addr, stop, err := mutants.StartWithOptions(m.Name, mutants.Options{DripInterval: 500 * time.Millisecond, ReadTimeout: 4 * time.Second})
			if err != nil {
				t.Error(err) // not Fatal: this is not the test's goroutine
				return
			}
			defer stop()
			d, err := Run(context.Background(), Config{Addr: addr, Timeout: 2 * time.Second, Quiet: 50 * time.Millisecond, CrashProbes: true})
			if err != nil {
				t.Error(err)
				return
			}
			if got, want := ids(d), zooFindings[m.Name]; !slices.Equal(got, want) {
				t.Errorf("%s: findings %q, want %q", m.Name, got, want)
			}
		})
	}
	wg.Wait()
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

// A diagnosis cut short keeps what the phases that ran whole found, and nothing of the phase it
// was cut in, whose probes would blame the server for the cut.
func TestCutDiagnosisKeepsTheWholePhases(t *testing.T) {
	addr := mutants.StartTB(t, "list-hangs,ok-trailing-size", mutants.Options{ReadTimeout: 2 * time.Second})
	whole := diagnose(t, addr, false)
	if whole.Finding("list-needs-name-len") == nil || whole.Finding("trailing-212") == nil || whole.Cut != "" {
		t.Fatalf("uncut: findings %q, cut %q", ids(whole), whole.Cut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Run(ctx, Config{Addr: addr, Timeout: time.Second, Log: func(s string) {
		t.Log(s)
		// The last probe of the phase that finds the trailing size: the phase does not end whole.
		if strings.HasPrefix(s, "DELETE of the file stored") {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Finding("list-needs-name-len") == nil || d.Finding("trailing-212") != nil || !strings.Contains(d.Cut, "a BACKUP, RESTOREs and a LIST") {
		t.Fatalf("cut: findings %q, cut %q", ids(d), d.Cut)
	}
	if len(d.Profile.ListSuffix) == 0 {
		t.Errorf("the workaround of the phase that ran whole is gone: %+v", d.Profile)
	}
}

// A diagnosis cut during the probes that may kill the server proves no death: the check after
// a probe is cut short, not unanswered, and the server is not restarted (a restart stops it
// first, and one cut short would leave a live server stopped, for the run to blame on a case).
func TestCutCrashProbesDoNotRestart(t *testing.T) {
	addr := mutants.StartTB(t, "none", mutants.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var restarts atomic.Int32
	d, err := Run(ctx, Config{Addr: addr, Timeout: 2 * time.Second, Log: func(s string) {
		t.Log(s)
		if strings.HasPrefix(s, "phase: clients that leave mid-request") {
			cancel()
		}
	}, Restart: func(context.Context) (string, error) {
		restarts.Add(1)
		return addr, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Cut, "clients that leave mid-request") || len(d.Findings) != 0 || restarts.Load() != 0 {
		t.Fatalf("cut %q, findings %q, restarts %d", d.Cut, ids(d), restarts.Load())
	}
}

// A server that puts a length of its own before each response is asked whether it reads the
// next request on a connection only after an acknowledgement: the one that does gets its
// responses acknowledged, in the length-prefix finding's words; the one that reads on as
// SPEC.md has it does not, and its next request is never preceded by a stray byte.
func TestLengthPrefixAcknowledgement(t *testing.T) {
	t.Parallel()
	t.Run("acknowledged", func(t *testing.T) {
		t.Parallel()
		d := diagnose(t, mutants.StartTB(t, "length-prefixed-responses", mutants.Options{}), false)
		f := d.Finding("length-prefix")
		if !d.Profile.AckResponses || d.Profile.ResponsePrefix != 8 || f == nil || !strings.Contains(f.Workaround, "acknowledged") {
			t.Fatalf("profile %+v, finding %+v: want responses acknowledged, said so in the length-prefix finding", d.Profile, f)
		}
	})
	t.Run("reads on", func(t *testing.T) {
		t.Parallel()
		prefixed := fakepeer.Start(t, fakepeer.Serve(func(*wire.RequestHeader) []byte {
			return []byte{3, 0, 0, 0, 0, 0, 0, 0, 1, 0xea, 0x03}
		}))
		d := diagnose(t, prefixed.Addr, false)
		f := d.Finding("length-prefix")
		if d.Profile.AckResponses || d.Profile.ResponsePrefix != 8 || f == nil || strings.Contains(f.Workaround, "acknowledged") {
			t.Fatalf("profile %+v, finding %+v: want the prefix dropped and no acknowledgement", d.Profile, f)
		}
	})
}
