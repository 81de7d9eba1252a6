package conformance

import (
	"fmt"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.4 (LIST) and.

func listCases() []*Case {
	return []*Case{
		{
			ID: "list/empty-user-1002", Reqs: reqs(spec.R4_4, spec.R3_1), Level: report.Must,
			Desc: "LIST of a new user: 1002 in exactly 3 bytes",
			Run: func(t *T) {
				r := t.List(t.NewUser())
				if _, ok := t.CheckList(r, spec.R4_4); ok {
					r.waitTail()
				}
			},
		},
		{
			ID: "list/six-bytes-no-wait", Reqs: reqs(spec.R2_1), Level: report.Must,
			Desc: "the 6-byte LIST is answered without more bytes or a half-close",
			Run: func(t *T) {
				u := t.NewUser()
				c := t.Dial()
				r := c.Do(fmt.Sprintf("LIST user %d, connection left open", u), listRequest(u))
				t.CheckList(r, spec.R2_1)
				t.MustBackup(u, "one", content.Bytes([]byte("1")))
				c = t.Dial()
				r = c.Do(fmt.Sprintf("LIST user %d, connection left open", u), listRequest(u))
				t.CheckList(r, spec.R2_1, "one")
			},
		},
		{
			ID: "list/after-backups", Reqs: reqs(spec.R4_4), Level: report.Must,
			Desc: "LIST after backups shows exactly the stored names",
			Run: func(t *T) {
				u := t.NewUser()
				names := []string{"alpha.txt", "beta.bin", "gamma"}
				for _, n := range names {
					t.MustBackup(u, n, content.Bytes([]byte(n)))
				}
				t.MustList(u, names...)
			},
		},
		{
			ID: "list/after-delete", Reqs: reqs(spec.R4_4, spec.R4_3), Level: report.Must,
			Desc: "LIST after a DELETE no longer shows the deleted name",
			Run: func(t *T) {
				u := t.NewUser()
				for _, n := range []string{"one", "two", "three"} {
					t.MustBackup(u, n, content.Bytes([]byte(n)))
				}
				t.MustDelete(u, "two")
				t.MustList(u, "one", "three")
			},
		},
		{
			ID: "list/after-overwrite", Reqs: reqs(spec.R4_4, spec.R4_1), Level: report.Must,
			Desc: "LIST after overwriting a file shows its name once",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "same.txt", content.Bytes([]byte("v1")))
				t.MustBackup(u, "same.txt", content.Bytes([]byte("version 2")))
				t.MustBackup(u, "other.txt", content.Bytes([]byte("o")))
				t.MustList(u, "same.txt", "other.txt")
			},
		},
		{
			ID: "list/empty-after-delete-all", Reqs: reqs(spec.R4_4), Level: report.Must,
			Desc: "a user whose files were all deleted gets 1002 again",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "a", content.Bytes([]byte("a")))
				t.MustBackup(u, "b", content.Bytes([]byte("b")))
				t.MustList(u, "a", "b")
				t.MustDelete(u, "a")
				t.MustDelete(u, "b")
				t.MustList(u)
			},
		},
		{
			ID: "list/name-format", Reqs: reqs(spec.R4_4), Level: report.Must,
			Desc: "the listing's name is 32 characters of [A-Za-z0-9], fresh at every LIST",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "f", content.Bytes([]byte("f")))
				seen := map[string]bool{}
				for range 3 {
					r := t.List(u)
					n, ok := t.CheckList(r, spec.R4_4, "f")
					if !ok {
						return
					}
					if seen[n] {
						t.Errorf(spec.R4_4, r, "a fresh random name at every LIST", "the name %q again", n)
						return
					}
					seen[n] = true
				}
			},
		},
		{
			ID: "list/no-listing-files", Reqs: reqs(spec.R4_4), Level: report.Must,
			Desc: "listing files the server made never show up in later lists",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "data.txt", content.Bytes([]byte("d")))
				for range 3 {
					t.MustList(u, "data.txt")
				}
				t.MustDelete(u, "data.txt")
				t.MustList(u)
			},
		},
		{
			ID: "list/other-users-hidden", Reqs: reqs(spec.R4_4, spec.R4_5), Level: report.Must,
			Desc: "LIST shows nothing of another user, even one with the same names",
			Run: func(t *T) {
				a, b := t.NewUser(), t.NewUser()
				t.MustBackup(a, "shared-name", content.Bytes([]byte("a")))
				t.MustBackup(a, "only-a", content.Bytes([]byte("a")))
				t.MustBackup(b, "shared-name", content.Bytes([]byte("b")))
				t.MustList(a, "shared-name", "only-a")
				t.MustList(b, "shared-name")
				t.MustList(t.NewUser())
			},
		},
		{
			ID: "list/no-temp-files", Reqs: reqs(spec.R4_4, spec.R5_3), Level: report.Must, Hostile: true,
			Desc: "an upload in progress, then abandoned, never shows in LIST",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "kept", content.Bytes([]byte("kept")))
				c := t.Dial()
				head := backupHead(u, []byte("uploading"), 4096)
				if err := c.Write(append(head, make([]byte, 1000)...)); err != nil {
					t.Fatalf(spec.R5_3, nil, "the upload's first bytes to be accepted", "write failed: %v", err)
				}
				// Give the server time to create whatever it writes into.
				time.Sleep(50 * time.Millisecond)
				t.MustList(u, "kept")
				c.Close()
				waitMissing(t, u, "uploading")
				t.MustList(u, "kept")
			},
		},
	}
}

// waitMissing waits until RESTORE of name answers without the file: after an abandoned upload
// the server may take a moment to notice the closed connection. A server error counts as
// "no file" here: whether a missing file gets 1001 is the restore cases' business. It fails
// the case if the file is still there after a second, and at once if no answer comes.
func waitMissing(t *T, u uint32, name string) {
	deadline := time.Now().Add(time.Second)
	for {
		r := t.Restore(u, name, nil)
		switch {
		case r.is(spec.NotFound, spec.ServerError):
			return
		case r.is(spec.RestoreOK) && time.Now().Before(deadline):
			time.Sleep(50 * time.Millisecond)
			continue
		}
		t.Fatalf(spec.R5_3, r, t.dialect.DescribeCodes(spec.NotFound, spec.ServerError)+": no partial file kept", "%s", r)
	}
}
