package conformance

import (
	"fmt"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.4 (LIST) and.

func listCases() []*Case {
	return []*Case{
		{
			ID: "list/empty-user-1002", Reqs: spec.IDStrings(spec.R4_4, spec.R3_1), Level: report.Must, layoutOf: []spec.Meaning{spec.NoFiles},
			Desc: "LIST of a new user: 1002 in exactly 3 bytes",
			run: func(t *caseRun) {
				r := t.list(t.newUser())
				t.checkList(r, spec.R4_4)
			},
		},
		{
			ID: "list/six-bytes-no-wait", Reqs: spec.IDStrings(spec.R2_1), Level: report.Must,
			Desc: "the 6-byte LIST is answered without more bytes or a half-close",
			run: func(t *caseRun) {
				u := t.newUser()
				// The LISTs go out as the spec writes them, whatever workaround the run uses:
				// this case checks the very rule a workaround would speak around. A LIST left
				// unanswered, by a timeout or a close, is the problem the diagnosis found.
				if t.run.listKey != "" {
					t.noAnswerAs = problemAs{spec.R2_1, t.run.listKey}
				}
				c := t.mustDial()
				r := c.doRaw(fmt.Sprintf("LIST user %d, 6 bytes, connection left open", u), listRequest(u))
				if _, ok := t.checkList(r, spec.R2_1); !ok {
					t.failNow()
				}
				c.close()
				t.mustBackup(u, "one", content.Bytes([]byte("1")))
				c = t.mustDial()
				r = c.doRaw(fmt.Sprintf("LIST user %d, 6 bytes, connection left open", u), listRequest(u))
				t.checkList(r, spec.R2_1, "one")
			},
		},
		{
			ID: "list/after-backups", Reqs: spec.IDStrings(spec.R4_4), Level: report.Must,
			Desc: "LIST after backups shows exactly the stored names",
			run: func(t *caseRun) {
				u := t.newUser()
				names := []string{"alpha.txt", "beta.bin", "gamma"}
				for _, n := range names {
					t.mustBackup(u, n, content.Bytes([]byte(n)))
				}
				t.mustList(u, names...)
			},
		},
		{
			ID: "list/after-delete", Reqs: spec.IDStrings(spec.R4_4, spec.R4_3), Level: report.Must,
			Desc: "LIST after a DELETE no longer shows the deleted name",
			run: func(t *caseRun) {
				u := t.newUser()
				for _, n := range []string{"one", "two", "three"} {
					t.mustBackup(u, n, content.Bytes([]byte(n)))
				}
				t.mustDelete(u, "two")
				t.mustList(u, "one", "three")
			},
		},
		{
			ID: "list/after-overwrite", Reqs: spec.IDStrings(spec.R4_4, spec.R4_1), Level: report.Must,
			Desc: "LIST after overwriting a file shows its name once",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "same.txt", content.Bytes([]byte("v1")))
				t.mustBackup(u, "same.txt", content.Bytes([]byte("version 2")))
				t.mustBackup(u, "other.txt", content.Bytes([]byte("o")))
				t.mustList(u, "same.txt", "other.txt")
			},
		},
		{
			ID: "list/empty-after-delete-all", Reqs: spec.IDStrings(spec.R4_4), Level: report.Must,
			Desc: "a user whose files were all deleted gets 1002 again",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "a", content.Bytes([]byte("a")))
				t.mustBackup(u, "b", content.Bytes([]byte("b")))
				t.mustList(u, "a", "b")
				t.mustDelete(u, "a")
				t.mustDelete(u, "b")
				t.mustList(u)
			},
		},
		{
			ID: "list/name-format", Reqs: spec.IDStrings(spec.R4_4), Level: report.Must, owns: narrowKeys,
			Desc: "the listing's name is 32 characters of [A-Za-z0-9], fresh at every LIST",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "f", content.Bytes([]byte("f")))
				seen := map[string]bool{}
				for range 3 {
					r := t.list(u)
					n, ok := t.checkList(r, spec.R4_4, "f")
					if !ok {
						return
					}
					if seen[n] {
						t.errorf(spec.R4_4, r, "a fresh random name at every LIST", "the name %q again", n)
						return
					}
					seen[n] = true
				}
			},
		},
		{
			ID: "list/no-listing-files", Reqs: spec.IDStrings(spec.R4_4), Level: report.Must,
			Desc: "listing files the server made never show up in later lists",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "data.txt", content.Bytes([]byte("d")))
				for range 3 {
					t.mustList(u, "data.txt")
				}
				t.mustDelete(u, "data.txt")
				t.mustList(u)
			},
		},
		{
			ID: "list/other-users-hidden", Reqs: spec.IDStrings(spec.R4_4, spec.R4_5), Level: report.Must,
			Desc: "LIST shows nothing of another user, even one with the same names",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				t.mustBackup(a, "shared-name", content.Bytes([]byte("a")))
				t.mustBackup(a, "only-a", content.Bytes([]byte("a")))
				t.mustBackup(b, "shared-name", content.Bytes([]byte("b")))
				t.mustList(a, "shared-name", "only-a")
				t.mustList(b, "shared-name")
				t.mustList(t.newUser())
			},
		},
		{
			ID: "list/no-temp-files", Reqs: spec.IDStrings(spec.R4_4, spec.R5_3), Level: report.Must, Hostile: true, cutsRequests: true,
			Desc: "an upload in progress, then abandoned, never shows in LIST",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "kept", content.Bytes([]byte("kept")))
				c := t.mustDial()
				head := backupHead(u, []byte("uploading"), 4096)
				if err := c.write(append(head, make([]byte, 1000)...)); err != nil {
					t.fatalf(spec.R5_3, nil, "the upload's first bytes to be accepted", "write failed: %v", err)
				}
				// Give the server time to create whatever it writes into.
				time.Sleep(50 * time.Millisecond)
				// A LIST unanswered while the upload waits is the server serving one client at
				// a time: transport/stalled-client's problem, met here too. When the diagnosis
				// found it, the LIST is not waited for.
				if !t.servesOneAtATime(false) {
					t.noAnswerAs = problemAs{spec.R5_3, diagnosis.KeyStalledClients}
					t.mustList(u, "kept")
					t.noAnswerAs = problemAs{}
				}
				c.close()
				waitMissing(t, u, "uploading")
				t.mustList(u, "kept")
			},
		},
	}
}

// waitMissing waits until RESTORE of name answers without the file: after an abandoned upload
// the server may take a moment to notice the closed connection. Any answer that is not the file
// shows it absent (1001, 1002, 1003, a status of the server's own): which status a missing file
// gets is the restore cases' business. It fails the case if the file is still there after a
// second; when no answer comes at all, the case cannot tell, and is blocked by that.
func waitMissing(t *caseRun, u uint32, name string) {
	deadline := time.Now().Add(time.Second)
	for {
		r := t.restore(u, name, nil)
		switch {
		case r.statusIs(spec.RestoreOK) && time.Now().Before(deadline):
			time.Sleep(50 * time.Millisecond)
			continue
		case r.statusIs(spec.RestoreOK):
			t.judge(spec.R5_3, string(spec.R5_3)+"|partial-upload-kept", r, "no file kept of the cut upload", r.String(), true)
		case r.answered():
			return
		}
		key, owed := r.noAnswer()
		t.judge(owed, key, r, "an answer showing the file absent", r.String(), true)
	}
}
