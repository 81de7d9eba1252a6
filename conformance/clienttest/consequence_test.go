package clienttest

import (
	"slices"
	"strings"
	"testing"
)

// A client that reads a response with one read leaves the rest of a large 210 unread and
// writes what it read as tmp: the wrong tmp follows from the one read and is attached to its
// problem, not a problem of its own, as is a dripped response it leaves unread. A client that
// reads whole and writes tmp wrong keeps restored-file as its fault, and one that gives up on a
// slow response its own.
func TestRestoredFileFollowsFromOneRead(t *testing.T) {
	cases := []string{"restore/exact-file", "response/read-whole", "response/split-reads", "response/slow-drip"}
	for _, tc := range []struct {
		name    string
		command func(t *testing.T) []string
		dir     string
		want    []string
		// exact: the problem restore/exact-file fails under.
		exact string
		// leave out a case whose outcome hangs on the machine's pace for that client.
		leave string
	}{
		{"one-recv", func(t *testing.T) []string { return []string{python(t), "faulty_client.py", "one-recv", "3"} }, "testdata",
			[]string{"reads-response-in-one-read"}, "reads-response-in-one-read", ""},
		{"truncates-tmp", func(t *testing.T) []string { return badclient(t, "truncates-tmp", "-timeout", "10s") }, "",
			[]string{"restored-file"}, "restored-file", ""},
		// A whole-response timeout leaves the drip unread too, and reads whole what comes at
		// once: its own fault. Whether a response cut into 1-byte writes comes whole within
		// its 300ms depends on how busy the machine is, so split-reads says nothing of it.
		{"whole-response-timeout", func(t *testing.T) []string { return badclient(t, "whole-response-timeout", "-timeout", "10s") }, "",
			[]string{"gives-up-on-slow-responses"}, "", "response/split-reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := zooConfig(tc.command(t))
			cfg.Dir = tc.dir
			cfg.Run = exactly(slices.DeleteFunc(slices.Clone(cases), func(id string) bool { return id == tc.leave })...)
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
			if tc.exact == "reads-response-in-one-read" && !slices.ContainsFunc(p.Consequences, func(c string) bool { return strings.HasPrefix(c, "R-7.8:") }) {
				t.Errorf("the wrong tmp is not among %s's consequences: %q", p.ID, p.Consequences)
			}
		})
	}
}
