package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/ref/wire"
)

// Request builders. They use the codec to write what the spec allows and RawRequest for what
// it forbids, so a case can break any field.

func backupHead(user uint32, name []byte, size int64) []byte {
	h := wire.RawRequest{UserID: user, Version: wire.Version, Op: uint8(wire.OpBackup),
		Fields: wire.HasName | wire.HasPayload, Name: name, Size: new(uint32(size))}
	return h.Append(nil)
}

func nameRequest(user uint32, op wire.Op, name []byte) []byte {
	h := wire.RawRequest{UserID: user, Version: wire.Version, Op: uint8(op), Fields: wire.HasName, Name: name}
	return h.Append(nil)
}

func listRequest(user uint32) []byte {
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpList}
	return h.Append(nil)
}

// smallPayload is the size up to which a backup's payload is sent in the same buffer as its header.
const smallPayload = 64 << 10

// Backup sends a BACKUP of c as name on a fresh connection and returns the reply unchecked;
// a backup-ok reply updates what the case believes the user holds.
func (t *T) Backup(user uint32, name string, c Content) *Reply {
	s := send{label: fmt.Sprintf("BACKUP user %d %s (%d bytes)", user, quoteName([]byte(name)), c.Len())}
	s.head = backupHead(user, []byte(name), c.Len())
	if c.Len() <= smallPayload {
		var buf bytes.Buffer
		buf.ReadFrom(c.Reader())
		s.head = append(s.head, buf.Bytes()...)
	} else {
		s.body, s.bodyN = c.Reader(), c.Len()
	}
	r := t.roundtrip(s, readSpec{})
	if r.is(BackupOK) {
		t.setStored(user, name, true)
	}
	return r
}

// Restore sends a RESTORE of name. With want, the payload is compared with it as it arrives;
// without, a payload up to the run's list bound is kept.
func (t *T) Restore(user uint32, name string, want *Content) *Reply {
	label := fmt.Sprintf("RESTORE user %d %s", user, quoteName([]byte(name)))
	return t.roundtrip(send{label: label, head: nameRequest(user, wire.OpRestore, []byte(name))},
		readSpec{expect: want, maxPayload: t.run.cfg.MaxList})
}

// Delete sends a DELETE of name; a delete-ok reply updates the case's belief.
func (t *T) Delete(user uint32, name string) *Reply {
	label := fmt.Sprintf("DELETE user %d %s", user, quoteName([]byte(name)))
	r := t.roundtrip(send{label: label, head: nameRequest(user, wire.OpDelete, []byte(name))}, readSpec{})
	if r.is(DeleteOK) {
		t.setStored(user, name, false)
	}
	return r
}

// List sends a LIST and keeps a listing up to the run's bound.
func (t *T) List(user uint32) *Reply {
	r := t.roundtrip(send{label: fmt.Sprintf("LIST user %d", user), head: listRequest(user)},
		readSpec{maxPayload: t.run.cfg.MaxList})
	if r.is(ListOK) {
		t.addListName(user, string(r.Name))
	}
	return r
}

// Expect checks that r carries one of ms and, if name is not nil, that it names it. It
// records a failure of req otherwise and reports whether r passed.
func (t *T) Expect(r *Reply, req string, name []byte, ms ...Meaning) bool {
	want := t.dialect.describeCodes(ms...)
	if name != nil {
		want += " with name " + quoteName(name)
	}
	if !r.is(ms...) {
		t.Errorf(req, r, want, "%s", r)
		return false
	}
	if name != nil && r.Fields.Has(wire.HasName) && !bytes.Equal(r.Name, name) {
		t.Errorf(req, r, want, "%s", r)
		return false
	}
	return true
}

// MustBackup backs up c as name and ends the case unless the server answers backup-ok with the name.
func (t *T) MustBackup(user uint32, name string, c Content) {
	if r := t.Backup(user, name, c); !t.Expect(r, "R-4.1", []byte(name), BackupOK) {
		t.FailNow()
	}
}

// CheckContent checks that r is a restore-ok of name with exactly want.
func (t *T) CheckContent(r *Reply, req, name string, want Content) bool {
	if !t.Expect(r, req, []byte(name), RestoreOK) {
		return false
	}
	switch {
	case int64(r.Size) != want.Len():
		t.Errorf(req, r, fmt.Sprintf("size %d", want.Len()), "size %d", r.Size)
		return false
	case r.Mismatch >= 0:
		t.Errorf(req, r, fmt.Sprintf("the %d bytes stored", want.Len()), "content differs from byte %d on", r.Mismatch)
		return false
	}
	return true
}

// MustRestore restores name and ends the case unless it gets exactly want back.
func (t *T) MustRestore(user uint32, name string, want Content) {
	if r := t.Restore(user, name, &want); !t.CheckContent(r, "R-4.2", name, want) {
		t.FailNow()
	}
}

// MustRestoreMissing ends the case unless a RESTORE of name answers not-found with the name.
func (t *T) MustRestoreMissing(user uint32, name, req string) {
	if r := t.Restore(user, name, nil); !t.Expect(r, req, []byte(name), NotFound) {
		t.FailNow()
	}
}

// MustRestoreRefused ends the case unless a RESTORE of name is refused. It judges isolation,
// not status codes: 1001 and 1003 both keep the file from user, so a server that answers 1003
// where owes 1001 fails restore/missing-1001 once, not every isolation case after it.
func (t *T) MustRestoreRefused(user uint32, name, req string) {
	if r := t.Restore(user, name, nil); !t.Expect(r, req, []byte(name), NotFound, ServerError) {
		t.FailNow()
	}
}

// MustDelete ends the case unless a DELETE of name answers delete-ok with the name.
func (t *T) MustDelete(user uint32, name string) {
	if r := t.Delete(user, name); !t.Expect(r, "R-4.3", []byte(name), DeleteOK) {
		t.FailNow()
	}
}

// listing splits a listing payload into names: lines end in \n or \r\n, the last may lack one.
func listing(p []byte) []string {
	if len(p) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(p), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// CheckList checks that r lists exactly names (no-files when there are none) and that its
// name is 32 letters and digits. It returns the listing's name.
func (t *T) CheckList(r *Reply, req string, names ...string) (string, bool) {
	if len(names) == 0 && !t.dialect.EmptyListing {
		return "", t.Expect(r, req, nil, NoFiles)
	}
	if !t.Expect(r, req, nil, ListOK) {
		return "", false
	}
	ok := t.checkListName(r)
	if !r.PayloadRead {
		t.Errorf(req, r, fmt.Sprintf("a listing of %d names", len(names)), "size %d, over the runner's bound of %d bytes", r.Size, t.run.cfg.MaxList)
		return string(r.Name), false
	}
	got := listing(r.Payload)
	if d := diffNames(names, got); d != "" {
		want := "exactly " + quoteList(names)
		if len(names) == 0 {
			want = "an empty listing: the user has no files"
		}
		t.Errorf(req, r, want, "%s (%s)", quoteList(got), d)
		ok = false
	}
	return string(r.Name), ok
}

// checkListName checks R-4.4's listing name: 32 characters of [A-Za-z0-9].
func (t *T) checkListName(r *Reply) bool {
	if len(r.Name) != 32 {
		t.Errorf("R-4.4", r, "a listing name of 32 characters [A-Za-z0-9]", "%s of %d bytes", quoteName(r.Name), len(r.Name))
		return false
	}
	for i, c := range r.Name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			t.Errorf("R-4.4", r, "a listing name of 32 characters [A-Za-z0-9]", "%s with %q at byte %d", quoteName(r.Name), c, i)
			return false
		}
	}
	return true
}

// MustList ends the case unless LIST shows exactly names. It returns the listing's name.
func (t *T) MustList(user uint32, names ...string) string {
	n, ok := t.CheckList(t.List(user), "R-4.4", names...)
	if !ok {
		t.FailNow()
	}
	return n
}

// diffNames says how got differs from want as multisets: missing, unexpected and repeated names.
func diffNames(want, got []string) string {
	count := map[string]int{}
	for _, n := range got {
		count[n]++
	}
	var missing, extra, dup []string
	for _, n := range want {
		if count[n] == 0 {
			missing = append(missing, n)
		}
	}
	seen := map[string]bool{}
	for _, n := range got {
		switch {
		case !slices.Contains(want, n) && !seen[n]:
			extra = append(extra, n)
		case slices.Contains(want, n) && count[n] > 1 && !seen[n]:
			dup = append(dup, n)
		}
		seen[n] = true
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+quoteList(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+quoteList(extra))
	}
	if len(dup) > 0 {
		parts = append(parts, "repeated "+quoteList(dup))
	}
	return strings.Join(parts, ", ")
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteName([]byte(n))
	}
	if len(q) > 8 {
		q = append(q[:8], fmt.Sprintf("… %d more", len(names)-8))
	}
	return "[" + strings.Join(q, " ") + "]"
}

// checkTails turns bytes found after a response's end into failures: every status has an
// exact layout (SPEC §3), so a size field after 212 or 1001, or anything after 1002 or 1003,
// shows up here.
func (t *T) checkTails() {
	t.mu.Lock()
	exs := slices.Clone(t.exchanges)
	t.mu.Unlock()
	for _, ex := range exs {
		r := ex.reply
		if r == nil || len(r.Trailing) == 0 {
			continue
		}
		var want string
		switch {
		case r.Outcome == Undefined:
			want = "a status the dialect defines"
			t.Errorf("R-3.1", r, want, "status %d followed by % x", r.Status, r.Trailing)
			continue
		case r.Fields == 0:
			want = fmt.Sprintf("status %d to end the response: 3 bytes in all", r.Status)
		case !r.Fields.Has(wire.HasPayload):
			want = fmt.Sprintf("status %d to end after the filename, with no size field", r.Status)
		default:
			want = fmt.Sprintf("status %d to end after its %d-byte payload", r.Status, r.Size)
		}
		t.Errorf("R-3.1", r, want, "%d more bytes followed the response: % x", len(r.Trailing), r.Trailing)
	}
}
