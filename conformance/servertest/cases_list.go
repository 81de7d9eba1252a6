package servertest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.4 (LIST) and.

func listCases() []*Case {
	return []*Case{
		must("list/empty-user-1002", rules(spec.R4_4, spec.R3_1), "LIST of a new user: 1002 in exactly 3 bytes", listEmptyUser1002).with(checksLayout(spec.NoFiles)),
		must("list/six-bytes-no-wait", rules(spec.R2_1), "the 6-byte LIST is answered without more bytes or a half-close", listSixBytesNoWait),
		must("list/after-backups", rules(spec.R4_4), "LIST after backups shows exactly the stored names", listAfterBackups),
		must("list/after-delete", rules(spec.R4_4, spec.R4_3), "LIST after a DELETE no longer shows the deleted name", listAfterDelete),
		must("list/after-overwrite", rules(spec.R4_4, spec.R4_1), "LIST after overwriting a file shows its name once", listAfterOverwrite),
		must("list/empty-after-delete-all", rules(spec.R4_4), "a user whose files were all deleted gets 1002 again", listEmptyAfterDeleteAll),
		must("list/many-files", rules(spec.R4_4), fmt.Sprintf("LIST of a user with %d files of long names (a listing over 8 KiB) shows every one", manyFiles), listManyFiles),
		must("list/name-format", rules(spec.R4_4), "the listing's name is 32 characters of [A-Za-z0-9], fresh at every LIST", listNameFormat).with(judgesKeys(narrowKeys...)),
		must("list/no-listing-files", rules(spec.R4_4), "listing files the server made never show up in later lists", listNoListingFiles),
		must("list/other-users-hidden", rules(spec.R4_4, spec.R4_5), "LIST shows nothing of another user, even one with the same names or whose id starts with the lister's", listOtherUsersHidden),
		must("list/no-temp-files", rules(spec.R4_4, spec.R5_3), "an upload in progress, then abandoned, never shows in LIST", listNoTempFiles).with(hostile, cutting),
	}
}

// listEmptyUser1002 is case list/empty-user-1002.
func listEmptyUser1002(t *caseRun) {
	r := t.list(t.newUser())
	t.checkList(r, spec.R4_4)
}

// listSixBytesNoWait is case list/six-bytes-no-wait.
func listSixBytesNoWait(t *caseRun) {
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
}

// listAfterBackups is case list/after-backups.
func listAfterBackups(t *caseRun) {
	u := t.newUser()
	names := []string{"alpha.txt", "beta.bin", "gamma"}
	for _, n := range names {
		t.mustBackup(u, n, content.Bytes([]byte(n)))
	}
	t.mustList(u, names...)
}

// listAfterDelete is case list/after-delete.
func listAfterDelete(t *caseRun) {
	u := t.newUser()
	for _, n := range []string{"one", "two", "three"} {
		t.mustBackup(u, n, content.Bytes([]byte(n)))
	}
	t.mustDelete(u, "two")
	t.mustList(u, "one", "three")
}

// listAfterOverwrite is case list/after-overwrite.
func listAfterOverwrite(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "same.txt", content.Bytes([]byte("v1")))
	t.mustBackup(u, "same.txt", content.Bytes([]byte("version 2")))
	t.mustBackup(u, "other.txt", content.Bytes([]byte("o")))
	t.mustList(u, "same.txt", "other.txt")
}

// listEmptyAfterDeleteAll is case list/empty-after-delete-all.
func listEmptyAfterDeleteAll(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "a", content.Bytes([]byte("a")))
	t.mustBackup(u, "b", content.Bytes([]byte("b")))
	t.mustList(u, "a", "b")
	t.mustDelete(u, "a")
	t.mustDelete(u, "b")
	t.mustList(u)
}

// listManyFiles is case list/many-files.
func listManyFiles(t *caseRun) {
	u := t.newUser()
	// Past the caps of servers that list into a fixed buffer (1, 4 or 8 KiB) or keep
	// a fixed number of names (64, 100, 128).
	names := make([]string, manyFiles)
	for i := range names {
		names[i] = fmt.Sprintf("%03d-%s", i, strings.Repeat("m", 68))
	}
	// The case removes its files itself, each DELETE read to its end, whatever ends
	// it: the cleanup waits a grace period after each of its own.
	defer t.inParallel(len(names), func(i int) {
		if t.hasStored(u, names[i]) {
			t.delete(u, names[i])
		}
	})
	var failed, refused atomic.Int32
	t.inParallel(len(names), func(i int) {
		r := t.backup(u, names[i], content.Bytes([]byte{byte(i)}))
		switch {
		case r.is(spec.ServerError):
			// A file limit (R-5.5's reference policy): the listing is judged on
			// what the server took.
			refused.Add(1)
		case !t.owed(r, "", spec.HoldingUnknown):
			failed.Add(1)
		}
	})
	if failed.Load() > 0 {
		t.failNow() // a BACKUP failed: its problem blocks the case
	}
	held := t.storedNames(u)
	if n := refused.Load(); n > 0 {
		t.notef("the server refused %d of %d files with 1003, as over a file limit: the LIST is judged on the %d it took", n, len(names), len(held))
	}
	t.mustList(u, held...)
}

// listNameFormat is case list/name-format.
func listNameFormat(t *caseRun) {
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
}

// listNoListingFiles is case list/no-listing-files.
func listNoListingFiles(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "data.txt", content.Bytes([]byte("d")))
	for range 3 {
		t.mustList(u, "data.txt")
	}
	t.mustDelete(u, "data.txt")
	t.mustList(u)
}

// listOtherUsersHidden is case list/other-users-hidden.
func listOtherUsersHidden(t *caseRun) {
	// b's id is a prefix of a's: a server that finds b's folder by a pattern or a
	// prefix (<root>/<b>*) lists a's files too.
	b, a := t.newPrefixedUsers()
	t.mustBackup(a, "shared-name", content.Bytes([]byte("a")))
	t.mustBackup(a, "only-a", content.Bytes([]byte("a")))
	t.mustBackup(b, "shared-name", content.Bytes([]byte("b")))
	t.mustList(a, "shared-name", "only-a")
	t.mustList(b, "shared-name")
	t.mustList(t.newUser())
}

// listNoTempFiles is case list/no-temp-files.
func listNoTempFiles(t *caseRun) {
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
	// A server may store what came only once it has seen the close, after the
	// RESTORE above: the cut upload in a LIST is that partial upload kept.
	if r := t.list(u); r.is(spec.ListOK) && r.PayloadRead {
		if got, err := spec.ParseListing(r.Payload); err == nil && slices.Contains(got, "uploading") {
			t.judge(spec.R5_3, partialUploadKept, r, "no file kept of the cut upload", r.String()+`, "uploading" listed`, true)
		}
	}
	t.mustList(u, "kept")
}

// inParallel runs f(0) to f(n-1), a few at a time, or one at a time when the server serves one
// connection at a time. A step that ends the case ends its own goroutine only: the caller
// checks what it needs.
func (t *caseRun) inParallel(n int, f func(i int)) {
	workers := 4
	if t.run.profile.Serial {
		workers = 1
	}
	// A goroutine per step, so that a step's Goexit leaves the others to run.
	slots := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			f(i)
		})
	}
	wg.Wait()
}

// manyFiles is how many files list/many-files stores: more than the common caps on a
// listing's names, and, with its names of 72 characters, more than 8 KiB of listing.
const manyFiles = 130

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
			t.judge(spec.R5_3, partialUploadKept, r, "no file kept of the cut upload", r.String(), true)
		case r.answered():
			return
		}
		key, owed := r.noAnswer()
		t.judge(owed, key, r, "an answer showing the file absent", r.String(), true)
	}
}
