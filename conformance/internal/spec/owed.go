package spec

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Checks that JudgeOwed reports.
const (
	// CheckStatusOwed: the answer's status is not one the request is owed, for what the
	// server holds.
	CheckStatusOwed = "status-owed"
	// CheckValidNameRefused: a BACKUP refused for its name, one allows.
	CheckValidNameRefused = "valid-name-refused"
)

// JudgeNameRefused judges a BACKUP q that was refused with 1003 while the same payload, sent at
// once after under the name plain, was stored: what the server refused is q's name, which
// allows, so the BACKUP is owed its 212. It returns nil when has q's name refused
// (a BadName), or q is no whole BACKUP.
func JudgeNameRefused(q Request, plain []byte) *Violation {
	if q.Op != wire.OpBackup || q.Form != Whole || bytes.Equal(q.Name, plain) {
		return nil
	}
	return &Violation{Req: R4_1, Check: CheckValidNameRefused, Expected: "212 for " + Quote(q.Name) + ", a name R-5.1 allows",
		Actual: "1003, where the same payload under " + Quote(plain) + " is stored"}
}

// Named is a whole request of op for name, as a tester that holds a server to the reference's
// limit on names (255 bytes) sees it: a name or that limit refuses makes it a BadName.
func Named(op wire.Op, name []byte) Request {
	q := Request{Op: op, Name: name}
	if op != wire.OpList && wire.CheckName(name, wire.DefaultMaxName) != nil {
		q.Form = BadName
	}
	return q
}

// Owing is what a request is owed by a server whose state the tester set up: the rule that
// says so and the meanings its answer may have.
type Owing struct {
	Req      ID
	Meanings []Meaning
}

// Owes is what q is owed by a server that holds h of its file (for a LIST, of the user's
// files: HoldingStored when the user has some, HoldingMissing when none). It is stricter than
// JudgeAnswer: a tester that set up a plain request, inside the server's limits, is owed
// success or the answer the state calls for, not a 1003. A request the spec
// has refused is owed its refusal: a BadName, an unknown op, an oversize
// . A truncated request is owed nothing: Owes returns no meanings.
func Owes(q Request, h Holding) Owing {
	switch q.Form {
	case Truncated:
		return Owing{}
	case UnknownOp:
		return Owing{R5_2, []Meaning{ServerError}}
	case Oversize:
		return Owing{R5_4, []Meaning{ServerError}}
	case BadName:
		switch q.Op {
		case wire.OpRestore:
			return Owing{R5_1, []Meaning{NotFound, ServerError}}
		case wire.OpDelete:
			return Owing{R5_1, []Meaning{DeleteNotFound, ServerError}}
		}
		return Owing{R5_1, []Meaning{ServerError}}
	}
	req := OpRequirement(q.Op)
	var success, missing Meaning
	switch q.Op {
	case wire.OpBackup:
		return Owing{req, []Meaning{BackupOK}}
	case wire.OpRestore:
		success, missing = RestoreOK, NotFound
	case wire.OpDelete:
		success, missing = DeleteOK, DeleteNotFound
	case wire.OpList:
		success, missing = ListOK, NoFiles
	}
	switch h {
	case HoldingStored:
		return Owing{req, []Meaning{success}}
	case HoldingMissing:
		return Owing{req, []Meaning{missing}}
	}
	return Owing{req, []Meaning{success, missing}}
}

// In is o's meanings as d says them: a dialect that answers a user with no files with an
// empty listing says no-files with list-ok.
func (o Owing) In(d *Dialect) []Meaning {
	if !d.EmptyListing || !slices.Contains(o.Meanings, NoFiles) {
		return o.Meanings
	}
	var out []Meaning
	for _, m := range o.Meanings {
		if m == NoFiles {
			m = ListOK
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// namesRequest reports whether an answer of meaning m names the file of the request it answers
// (SPEC §3: 210, 212 and 1001 do; a listing's name is its own).
func namesRequest(m Meaning) bool {
	switch m {
	case BackupOK, DeleteOK, RestoreOK, NotFound, DeleteNotFound:
		return true
	}
	return false
}

// Answer is a response's status and filename, as a tester read them.
type Answer struct {
	Code uint16
	Name []byte
	// Named: the filename arrived whole. False for a code whose layout carries none, and for
	// a response cut short inside its filename.
	Named bool
}

// Expected says what q is owed under d for h, e.g. `1001 (not-found) or 1003 (server-error)
// with name "a"`.
func (d *Dialect) Expected(q Request, h Holding) string {
	ms := Owes(q, h).In(d)
	want := d.DescribeCodes(ms...)
	for _, m := range ms {
		if f, _ := d.Layout(d.Code(m)); namesRequest(m) && f.Has(wire.HasName) {
			return want + " with name " + Quote(q.Name)
		}
	}
	return want
}

// JudgeOwed checks the answer a server speaking d gave to q against what q is owed for h
// (Owes): its code carries one of the meanings owed, and where that meaning names the
// request's file and the code's layout carries a filename, it is q's. It returns nil when
// the answer is owed. Expected says what was owed; Actual the code (and name) that came.
func (d *Dialect) JudgeOwed(q Request, h Holding, a Answer) *Violation {
	o := Owes(q, h)
	ms := o.In(d)
	actual := "status " + d.DescribeCode(a.Code)
	if a.Named {
		actual += " name " + Quote(a.Name)
	}
	i := slices.IndexFunc(ms, func(m Meaning) bool { return d.Means(a.Code, m) })
	if i < 0 {
		return &Violation{Req: o.Req, Check: CheckStatusOwed, Expected: d.Expected(q, h), Actual: actual}
	}
	if f, _ := d.Layout(a.Code); a.Named && namesRequest(ms[i]) && f.Has(wire.HasName) && !bytes.Equal(a.Name, q.Name) {
		// Whichever rule made the request, the name an answer carries is its op's.
		return &Violation{Req: OpRequirement(q.Op), Check: CheckNameMismatch, Expected: d.Expected(q, h), Actual: actual}
	}
	return nil
}

// Checks of what a RESTORE gives back of a file that an upload replaced, or failed to.
const (
	// CheckOldTailKept: a shorter new version came back with the old version's tail after it.
	CheckOldTailKept = "old-tail-kept"
	// CheckOldVersionLost: an upload cut short over a file left the old version changed or gone.
	CheckOldVersionLost = "old-version-lost"
	// CheckVersionsMixed: a RESTORE during uploads of one file at once gave no one version whole.
	CheckVersionsMixed = "versions-mixed"
)

// JudgeOverwrite judges what a RESTORE gave back (got) after a BACKUP of next replaced prev: next
// followed by what is past it of prev is next written over prev without truncating it.
// It returns nil for any other content, whose difference the content checks judge.
func JudgeOverwrite(prev, next, got []byte) *Violation {
	if len(next) >= len(prev) || len(got) != len(prev) || !bytes.HasPrefix(got, next) || !bytes.Equal(got[len(next):], prev[len(next):]) {
		return nil
	}
	return &Violation{Req: R4_1, Check: CheckOldTailKept, Expected: fmt.Sprintf("the %d bytes of the new version", len(next)),
		Actual: fmt.Sprintf("%d bytes: the new version, then the old version's last %d bytes", len(got), len(prev)-len(next))}
}

// JudgeOldVersion judges what a RESTORE gave back of a file after an upload over it was cut
// short: the previous version, whole. found is false when the file is gone (1001); got
// is the payload of the 210 otherwise. It returns nil when prev came back.
func JudgeOldVersion(prev []byte, found bool, got []byte) *Violation {
	v := &Violation{Req: R5_5, Check: CheckOldVersionLost, Expected: fmt.Sprintf("the previous version, whole: %d bytes", len(prev))}
	switch {
	case !found:
		v.Actual = "the file is gone"
	case bytes.Equal(got, prev):
		return nil
	case len(got) != len(prev):
		v.Actual = fmt.Sprintf("%d bytes of another content", len(got))
	default:
		v.Actual = fmt.Sprintf("%d bytes, changed from byte %d on", len(got), content.FirstDiff(prev, got))
	}
	return v
}
