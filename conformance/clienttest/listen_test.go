package clienttest

import (
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
)

// startOnAnnouncement starts command, as a user of -listen would, in a folder of its own whose
// server.info names the announced address, each time a run is announced.
func startOnAnnouncement(t *testing.T, command []string) (func(Announcement), *[]Announcement, func()) {
	var mu sync.Mutex
	var seen []Announcement
	var wg sync.WaitGroup
	announce := func(a Announcement) {
		mu.Lock()
		seen = append(seen, a)
		mu.Unlock()
		if a.Done {
			return
		}
		dir, err := layout(t.TempDir(), "", &a.Scenario, a.Addr)
		if err != nil {
			// Run calls Announce on its caller's goroutine, the test's: without a client the
			// run would wait for one for ever.
			t.Fatal(err)
		}
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return
		}
		wg.Go(func() { cmd.Wait() })
	}
	return announce, &seen, wg.Wait
}

func TestListenJudgesAClientItDoesNotStart(t *testing.T) {
	for _, c := range []struct {
		fault  string
		layout report.Verdict
	}{{"none", report.VerdictPass}, {"pad-1024", report.VerdictFail}} {
		t.Run(c.fault, func(t *testing.T) {
			t.Parallel()
			announce, seen, wait := startOnAnnouncement(t, badclient(t, c.fault, "-timeout", "10s"))
			defer wait()
			cfg := Config{Listen: "127.0.0.1:0", Announce: announce, Quiet: 5 * time.Second, Wait: 10 * time.Second,
				Run: regexp.MustCompile(`^(run/connects|request/layout|run/script-order|backup/exact-bytes|backup/base-name)$`)}
			rep := mustRun(t, cfg)
			want := map[string]report.Verdict{"run/connects": report.VerdictPass, "request/layout": c.layout,
				"run/script-order": report.VerdictPass, "backup/exact-bytes": report.VerdictSkip, "backup/base-name": report.VerdictSkip}
			for id, v := range want {
				if r := rep.Result(id); r.Status != v {
					t.Errorf("%s: %s %q, want %s", id, r.Status, r.Reason, v)
				}
			}
			if r := rep.Result("backup/exact-bytes"); !strings.Contains(r.Reason, "-listen") {
				t.Errorf("the skip does not say why: %q", r.Reason)
			}
			// One scenario is needed (canonical): announced, then over. backup-info-paths, which only
			// the skipped backup/base-name judges, is not served.
			if len(*seen) != 2 || (*seen)[0].Scenario.Name != scCanonical || (*seen)[0].Done || !(*seen)[1].Done {
				t.Errorf("announcements: %+v", *seen)
			}
		})
	}
}
