package servertest

import (
	"bytes"
	"cmp"
	"fmt"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
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

// backup sends a BACKUP of c as name on a fresh connection and returns the reply unchecked;
// a backup-ok reply updates what the case believes the user holds.
func (t *caseRun) backup(user uint32, name string, c content.Content) *reply {
	s := send{label: fmt.Sprintf("BACKUP user %d %s (%d bytes)", user, spec.Quote([]byte(name)), c.Len())}
	s.head = backupHead(user, []byte(name), c.Len())
	if c.Len() <= smallPayload {
		var buf bytes.Buffer
		buf.ReadFrom(c.Reader())
		s.head = append(s.head, buf.Bytes()...)
	} else {
		s.body, s.bodyN = c.Reader(), c.Len()
	}
	r := t.roundtrip(s, readSpec{})
	if r.statusIs(spec.BackupOK) {
		t.setStored(user, name, true)
	}
	return r
}

// restore sends a RESTORE of name. With want, the payload is compared with it as it arrives;
// without, a payload up to the run's list bound is kept.
func (t *caseRun) restore(user uint32, name string, want *content.Content) *reply {
	label := fmt.Sprintf("RESTORE user %d %s", user, spec.Quote([]byte(name)))
	return t.roundtrip(send{label: label, head: nameRequest(user, wire.OpRestore, []byte(name))},
		readSpec{expect: want, maxPayload: t.run.cfg.MaxList})
}

// delete sends a DELETE of name; a delete-ok reply updates the case's belief.
func (t *caseRun) delete(user uint32, name string) *reply {
	label := fmt.Sprintf("DELETE user %d %s", user, spec.Quote([]byte(name)))
	r := t.roundtrip(send{label: label, head: nameRequest(user, wire.OpDelete, []byte(name))}, readSpec{})
	if r.statusIs(spec.DeleteOK) {
		t.setStored(user, name, false)
	}
	return r
}

// list sends a LIST and keeps a listing up to the run's bound.
func (t *caseRun) list(user uint32) *reply {
	r := t.roundtrip(send{label: fmt.Sprintf("LIST user %d", user), head: listRequest(user)},
		readSpec{maxPayload: t.run.cfg.MaxList})
	if r.is(spec.ListOK) {
		t.addListName(user, string(r.Name))
	}
	return r
}

// owed judges r through the oracle as the answer to the request the case sent (r.req), by a
// server that holds h of its file (spec.Owes): it records a failure otherwise and reports
// whether r passed. req, when not "", is the case's rule, which a wrong status or name fails
// in place of the oracle's: the case knows what it is about. The problem key is the oracle's
// check's, but for a wrong status, whose key (diagnosis.KeyStatus) the diagnosis's status map
// shares.
//
// Status first: a response cut short after its status is judged on that status (a 212 to an
// unsafe name accepts it, whatever follows), and the cut is the fault of the layout of that
// status, which the case checking it owns. A cut response of the right status passes here,
// as far as the fields that came allow; a caller that needs its payload checks that it came.
func (t *caseRun) owed(r *reply, req spec.ID, h spec.Holding) bool {
	a := spec.Answer{Code: r.Status, Name: r.Name, Named: r.Fields.Has(wire.HasName)}
	if r.cut() {
		layout, _ := r.dialect.Layout(r.Status)
		t.judge(spec.R3_1, diagnosis.KeyCut(r.Status), r, fmt.Sprintf("status %d with its fields whole (%s)", r.Status, layoutWords(layout)), r.String(), false)
		a.Named = len(r.Name) == len(r.req.Name)
	} else if key, owed := r.noAnswer(); key != "" {
		if t.noAnswerAs.key != "" && r.Outcome != endBlocked {
			// A request the run did not send, for a problem found before the case, says
			// nothing of what the case is about: it stays that problem's.
			key, owed = t.noAnswerAs.key, t.noAnswerAs.req
		}
		t.judge(owed, key, r, t.dialect.Expected(r.req, h), r.String(), false)
		return false
	}
	v, key := t.judgeOwed(r, h, a)
	if v == nil {
		return true
	}
	t.judge(cmp.Or(req, v.Req), key, r, v.Expected, r.String(), false)
	return false
}

// judgeOwed is the oracle's verdict on answer a of r, for a server that holds h of the
// request's file, and the problem key the catalog files it under.
func (t *caseRun) judgeOwed(r *reply, h spec.Holding, a spec.Answer) (*spec.Violation, string) {
	v := t.dialect.JudgeOwed(r.req, h, a)
	switch {
	case v == nil:
		return nil, ""
	case v.Check == spec.CheckStatusOwed:
		return v, diagnosis.KeyStatus(t.dialect.CodesOf(spec.Owes(r.req, h).In(t.dialect)...), r.Status)
	}
	return v, spec.ProblemKey(v)
}

// mustBackup backs up c as name and ends the case unless the server answers backup-ok with the name.
func (t *caseRun) mustBackup(user uint32, name string, c content.Content) {
	r := t.backup(user, name, c)
	t.checkNameRefused(r, user, c)
	if !t.owed(r, "", spec.HoldingUnknown) {
		t.failNow()
	}
}

// plainName is the name a BACKUP refused with 1003 is sent again under: no name check refuses it.
const plainName = "plain.txt"

// checkNameRefused ends the case when r, a BACKUP of c refused with 1003, was refused for its
// name: the same payload under plainName is stored. A server that refuses that too refuses the
// payload or everything, which the status says (owed).
func (t *caseRun) checkNameRefused(r *reply, user uint32, c content.Content) {
	v := spec.JudgeNameRefused(r.req, []byte(plainName))
	if v == nil || !r.is(spec.ServerError) {
		return
	}
	if plain := t.backup(user, plainName, c); plain.is(spec.BackupOK) {
		t.judge(v.Req, spec.ProblemKey(v), r, v.Expected, v.Actual, true)
	}
}

// checkContent checks that r is a restore-ok of name with exactly want.
func (t *caseRun) checkContent(r *reply, req spec.ID, name string, want content.Content) bool {
	if !t.owed(r, req, spec.HoldingStored) || r.cut() {
		// A 210 cut short is R-3.1's (owed recorded it): its content cannot be judged.
		return false
	}
	switch {
	case int64(r.Size) != want.Len():
		t.judge(req, "content|size", r, fmt.Sprintf("size %d", want.Len()), fmt.Sprintf("size %d", r.Size), false)
		return false
	case r.Mismatch >= 0:
		t.judge(req, "content|bytes", r, fmt.Sprintf("the %d bytes stored", want.Len()), fmt.Sprintf("content differs from byte %d on", r.Mismatch), false)
		return false
	}
	return true
}

// mustRestore restores name and ends the case unless it gets exactly want back.
func (t *caseRun) mustRestore(user uint32, name string, want content.Content) {
	t.mustRestoreAs(spec.R4_2, user, name, want)
}

// mustRestoreAs is mustRestore for a case whose own rule the restore checks (an overwrite
// replaced the file, a DELETE kept the others, user B left user A's file alone): a wrong
// answer fails req, not.
func (t *caseRun) mustRestoreAs(req spec.ID, user uint32, name string, want content.Content) {
	if r := t.restore(user, name, &want); !t.checkContent(r, req, name, want) {
		t.failNow()
	}
}

// mustRestoreMissing ends the case unless a RESTORE of name answers not-found with the name.
func (t *caseRun) mustRestoreMissing(user uint32, name string, req spec.ID) {
	if r := t.restore(user, name, nil); !t.owed(r, req, spec.HoldingMissing) {
		t.failNow()
	}
}

// mustRestoreRefused ends the case unless a RESTORE of name is refused. It judges isolation,
// not status codes: 1001 and 1003 both keep the file from user, so a server that answers 1003
// where owes 1001 fails restore/missing-1001 once, not every isolation case after it.
//
// Any answer but the file is a refusal here: 1001, 1002, 1003, a status of the server's own.
// No answer at all leaves the case unable to tell, blocked by that.
func (t *caseRun) mustRestoreRefused(user uint32, name string, req spec.ID) {
	r := t.restore(user, name, nil)
	t.mustBeRefusal(r, req, name)
}

// mustBeRefusal ends the case unless r is an answer that does not grant the request: a
// success fails req, no answer blocks the case.
func (t *caseRun) mustBeRefusal(r *reply, req spec.ID, name string) {
	switch {
	case r.statusIs(spec.RestoreOK, spec.DeleteOK, spec.BackupOK):
		t.judge(req, string(req)+"|granted", r, "a refusal: anything but "+t.dialect.DescribeCodes(spec.RestoreOK, spec.DeleteOK), r.String(), true)
	case r.answered():
		return
	}
	key, owed := r.noAnswer()
	t.judge(owed, key, r, "an answer refusing "+spec.Quote(name), r.String(), true)
}

// mustDelete ends the case unless a DELETE of name answers delete-ok with the name.
func (t *caseRun) mustDelete(user uint32, name string) {
	if r := t.delete(user, name); !t.owed(r, "", spec.HoldingStored) {
		t.failNow()
	}
}

// checkList checks that r lists exactly names (no-files when there are none) and that its
// name has R-4.4's shape. It returns the listing's name.
func (t *caseRun) checkList(r *reply, req spec.ID, names ...string) (string, bool) {
	if len(names) == 0 && !t.dialect.EmptyListing {
		// Which status a user with no files gets is R-4.4's, judged by the cases that own it
		// (list/empty-user-1002): a case that only asks whether anything is stored (nothing
		// of a refused name, of a cut upload) reads a listing for that, whatever its status,
		// and is blocked by an answer that shows neither.
		if !r.is(spec.ListOK) {
			return "", t.owed(r, "", spec.HoldingMissing)
		}
		if v, key := t.judgeOwed(r, spec.HoldingMissing, spec.Answer{Code: r.Status}); v != nil && r.PayloadRead && len(r.Payload) == 0 &&
			t.judge(v.Req, key, r, v.Expected, r.String()+" with an empty listing", false) {
			return string(r.Name), false
		}
	} else if !t.owed(r, req, userHolding(names)) || r.cut() {
		return "", false
	}
	ok := true
	if v := spec.JudgeListingName(r.Name); v != nil && t.violation(v, r) {
		ok = false
	}
	if !r.PayloadRead {
		t.judge(req, string(req)+"|listing", r, fmt.Sprintf("a listing of %d names", len(names)), fmt.Sprintf("size %d, over the runner's bound of %d bytes", r.Size, t.run.cfg.MaxList), false)
		return string(r.Name), false
	}
	want := "exactly " + spec.QuoteNames(names)
	if len(names) == 0 {
		want = "an empty listing: the user has no files"
	}
	got, err := spec.ParseListing(r.Payload)
	if err != nil {
		t.judge(req, string(req)+"|"+checkListingFormat, r, want, err.Error(), false)
		return string(r.Name), false
	}
	if d := spec.DiffListing(names, got); !d.Empty() {
		ok = false
		actual := fmt.Sprintf("%s (%s)", spec.QuoteNames(got), d)
		// Names no request carried are the server's own files; names only sent in uploads
		// that never finished are those uploads: each is its fault, whichever case lists.
		if origins := spec.UnexpectedOrigins(d, t.run.wasSent, t.unfinished); origins != nil {
			for _, o := range origins {
				t.judge(req, spec.ProblemKey(&spec.Violation{Req: o.Req, Check: o.Check}), r, want, actual, false)
			}
			return string(r.Name), ok
		}
		// What a listing shows is R-4.4's, whichever case lists: one fault, one problem.
		key := string(spec.R4_4) + "|listing"
		if spec.ListingFormat(d) {
			key = string(req) + "|" + checkListingFormat
		}
		t.judge(req, key, r, want, actual, false)
	}
	return string(r.Name), ok
}

// userHolding is what a server holds of a user who has stored names, as a LIST is owed by it.
func userHolding(names []string) spec.Holding {
	if len(names) == 0 {
		return spec.HoldingMissing
	}
	return spec.HoldingStored
}

// layoutWords names the fields a status carries after itself, as SPEC §3 lists them.
func layoutWords(f wire.Fields) string {
	switch {
	case f.Has(wire.HasPayload):
		return "name_len, filename, size and payload"
	case f.Has(wire.HasName):
		return "name_len and filename"
	}
	return "nothing more"
}

// mustList ends the case unless LIST shows exactly names. It returns the listing's name.
func (t *caseRun) mustList(user uint32, names ...string) string {
	return t.mustListAs(spec.R4_4, user, names...)
}

// mustListAs is mustList for a case whose own rule the listing checks (nothing of a refused
// or cut upload was kept, user B's files are B's alone): a wrong listing fails req.
func (t *caseRun) mustListAs(req spec.ID, user uint32, names ...string) string {
	n, ok := t.checkList(t.list(user), req, names...)
	if !ok {
		t.failNow()
	}
	return n
}

// checkTails turns bytes found after a response's end into failures of.
func (t *caseRun) checkTails() {
	for _, ex := range cloneLocked(&t.mu, &t.exchanges) {
		if r := ex.reply; r != nil && len(r.Trailing) > 0 {
			v := spec.TrailingBytes(r.Status, r.Fields, r.Size, r.Outcome != endUndefined, r.Trailing)
			t.judge(v.Req, diagnosis.KeyTrailing(r.Status), r, v.Expected, v.Actual, false)
		}
	}
}
