package clienttest

import (
	"slices"
	"strings"
	"testing"
)

// A client that reads a response with one read leaves the rest of a large 210 unread and
// writes what it read as tmp: the wrong tmp follows from the one read and is attached to its
// problem, not a problem of its own, as is a dripped response it leaves unread, the cases the
// wrong tmp blocks, and the part of a cut payload it keeps as it kept part of a whole one. A
// client that reads whole and writes tmp wrong keeps restored-file as its fault, one that keeps
// a cut payload it read whole partial-file, and one that gives up on a slow response its own.
func TestRestoredFileFollowsFromOneRead(t *testing.T) {
	cases := []string{"restore/exact-file", "restore/every-run", "response/read-whole", "response/split-reads", "response/slow-drip"}
	py := func(fault string) func(t *testing.T) []string {
		return func(t *testing.T) []string { return []string{python(t), "faulty_client.py", fault, "3"} }
	}
	for _, tc := range []struct {
		name    string
		command func(t *testing.T) []string
		dir     string
		want    []string
		// exact: the problem restore/exact-file fails under, and restore/every-run is blocked by.
		exact string
		// more: cases judged beside cases; leave: one left out, whose outcome hangs on the
		// machine's pace for that client.
		more  []string
		leave string
		// consequences: the requirements whose findings the problem exact must show as its
		// consequences.
		consequences []string
	}{
		{"one-recv", py("one-recv"), "testdata", []string{"reads-response-in-one-read"}, "reads-response-in-one-read",
			[]string{"restore/short-payload"}, "", []string{"R-7.8", "R-7.9"}},
		// It stops at the first response it misreads: in the drip, the 1002 to its first LIST,
		// which the canonical run read whole.
		{"one-recv-stops", py("one-recv-stops"), "testdata", []string{"reads-response-in-one-read"}, "reads-response-in-one-read",
			[]string{"restore/short-payload"}, "", []string{"R-7.8", "R-7.9", "R-7.12"}},
		{"truncates-tmp", func(t *testing.T) []string { return badclient(t, "truncates-tmp", "-timeout", "10s") }, "",
			[]string{"restored-file"}, "restored-file", nil, "", nil},
		{"partial-tmp", func(t *testing.T) []string { return badclient(t, "partial-tmp", "-timeout", "10s") }, "",
			[]string{"partial-file"}, "", []string{"restore/short-payload"}, "", nil},
		// A whole-response timeout leaves the drip unread too, and reads whole what comes at
		// once: its own fault. Whether a response cut into 1-byte writes comes whole within
		// its 300ms depends on how busy the machine is, so split-reads says nothing of it.
		{"whole-response-timeout", func(t *testing.T) []string { return badclient(t, "whole-response-timeout", "-timeout", "10s") }, "",
			[]string{"gives-up-on-slow-responses"}, "", nil, "response/split-reads", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := zooConfig(tc.command(t))
			cfg.Dir = tc.dir
			run := slices.Concat(cases, tc.more)
			cfg.Run = exactly(slices.DeleteFunc(run, func(id string) bool { return id == tc.leave })...)
			rep := mustRun(t, cfg)
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
				t.Log(details(rep))
			}
			if tc.exact == "" {
				return
			}
			res := rep.Result("restore/exact-file")
			if res == nil || res.Problem != tc.exact {
				t.Fatalf("restore/exact-file: %+v, want a failure under %s", res, tc.exact)
			}
			p := rep.Problem(tc.exact)
			if !slices.Contains(p.Cases, "restore/exact-file") {
				t.Errorf("%s fails %q", p.ID, p.Cases)
			}
			if every := rep.Result("restore/every-run"); every != nil && every.BlockedBy != "" && every.BlockedBy != tc.exact {
				t.Errorf("restore/every-run is blocked by %q, want %q", every.BlockedBy, tc.exact)
			}
			for _, req := range tc.consequences {
				if !slices.ContainsFunc(p.Consequences, func(c string) bool { return strings.HasPrefix(c, req+":") }) {
					t.Errorf("no finding of %s among %s's consequences: %q", req, p.ID, p.Consequences)
				}
			}
		})
	}
}
