package model

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// fileState is what the model says one stored file holds.
type fileState struct {
	content content.Content
	sum     [sha256.Size]byte
	// replaced: the BACKUP that stored this version replaced an earlier one, so a wrong
	// content breaks rather than.
	replaced bool
}

// userState is one user's files, and the names a DELETE removed since their last BACKUP (a
// file that comes back after it breaks ).
type userState struct {
	files   map[string]fileState
	deleted map[string]bool
}

// store is the model: what the server must hold for each of a run's users. A store is never
// changed once made: apply returns a new one that shares what the step left alone, because
// gopter replays a sequence's states from the same initial value.
type store struct {
	users []userState
}

func newStore(users int) *store {
	return &store{users: make([]userState, users)}
}

// expectation is the one response the model accepts for a step.
type expectation struct {
	status wire.Status
	name   string
	// restore-ok: the file's content.
	content content.Content
	sum     [sha256.Size]byte
	// list-ok: the user's files, sorted; foreign are names only other users of the run hold.
	names   []string
	foreign map[string]bool
	// requirement is the SPEC.md rule a different response breaks.
	requirement spec.ID
	// op is the request's; held is what the server holds of its file (of a LIST's user's files).
	op   wire.Op
	held spec.Holding
}

func (e *expectation) String() string {
	s := strconv.Itoa(int(e.status))
	switch e.status {
	case wire.StatusListed:
		return s + " " + spec.QuoteNames(e.names)
	case wire.StatusRestored:
		return fmt.Sprintf("%s %s (%v)", s, spec.Quote(e.name), e.content)
	case wire.StatusOK, wire.StatusNotExist:
		return s + " " + spec.Quote(e.name)
	}
	return s
}

// apply is the model's step: the response step must get from a server holding s, and what
// the server holds after it.
func (s *store) apply(step Step) (*expectation, *store) {
	e, next := s.expect(step)
	e.op = step.Op
	return e, next
}

func (s *store) expect(step Step) (*expectation, *store) {
	u := s.users[step.User]
	f, stored := u.files[step.Name]
	if step.Op == wire.OpList {
		stored = len(u.files) > 0
	}
	held := spec.HoldingMissing
	if stored {
		held = spec.HoldingStored
	}
	// The model knows what the server holds, so the oracle owes the step one answer.
	owed := spec.Owes(spec.Named(step.Op, []byte(step.Name)), held)
	e := &expectation{status: wire.Status(spec.Canonical.Code(owed.Meanings[0])), name: step.Name, requirement: owed.Req, held: held}
	if e.status == wire.StatusServerError {
		return e, s
	}
	switch step.Op {
	case wire.OpBackup:
		nu := userState{files: maps.Clone(u.files), deleted: maps.Clone(u.deleted)}
		if nu.files == nil {
			nu.files = map[string]fileState{}
		}
		nu.files[step.Name] = fileState{content: step.Content, sum: step.Content.Sum(), replaced: stored}
		delete(nu.deleted, step.Name)
		return e, s.with(step.User, nu)
	case wire.OpRestore:
		// A wrong answer breaks the rule of the step that made the file what it is: the
		// overwrite's or the DELETE's, else RESTORE's own.
		switch {
		case stored:
			e.content, e.sum = f.content, f.sum
			if f.replaced {
				e.requirement = spec.R4_1
			}
		case u.deleted[step.Name]:
			e.requirement = spec.R4_3
		}
		return e, s
	case wire.OpDelete:
		if !stored {
			return e, s
		}
		nu := userState{files: maps.Clone(u.files), deleted: maps.Clone(u.deleted)}
		delete(nu.files, step.Name)
		if nu.deleted == nil {
			nu.deleted = map[string]bool{}
		}
		nu.deleted[step.Name] = true
		return e, s.with(step.User, nu)
	case wire.OpList:
		e.name, e.foreign = "", s.foreign(step.User)
		if stored {
			e.names = slices.Sorted(maps.Keys(u.files))
		}
		return e, s
	}
	panic(fmt.Sprintf("model: step with op %v", step.Op))
}

func (s *store) with(user int, u userState) *store {
	n := &store{users: slices.Clone(s.users)}
	n.users[user] = u
	return n
}

// foreign returns the names other users hold and user does not.
func (s *store) foreign(user int) map[string]bool {
	var out map[string]bool
	for i, u := range s.users {
		if i == user {
			continue
		}
		for n := range u.files {
			if _, own := s.users[user].files[n]; own {
				continue
			}
			if out == nil {
				out = map[string]bool{}
			}
			out[n] = true
		}
	}
	return out
}

// Checks the model reports besides the oracle's: what differs from the one response the model
// accepts.
const (
	checkNoResponse = "no-response"    // no complete response
	checkStatus     = "status"         // another status than the model's
	checkContent    = "content"        // a restored file that is not the one stored
	checkFresh      = "list-not-fresh" // a LIST name an earlier LIST had
	checkListing    = "listing"        // a listing that is not the user's files
)

// check compares a response with the expectation. It returns "" when they agree and
// otherwise what is wrong, the check that caught it and the requirement broken. A status the
// spec forbids for the request, or that contradicts what the model knows the server holds, is
// judged by the oracle; the model judges the rest. seenLists holds the LIST names the
// sequence has seen so far; check adds r's.
func (e *expectation) check(r *response, seenLists map[string]bool) (reason, check string, requirement spec.ID) {
	requirement = e.requirement
	if r.Err != nil {
		return "no response: " + r.Err.Error(), checkNoResponse, requirement
	}
	if r.Status != e.status {
		check = checkStatus
		if v := e.judge(r); v != nil {
			check = v.Check
		}
		return fmt.Sprintf("status %d, want %d", int(r.Status), int(e.status)), check, requirement
	}
	switch e.status {
	case wire.StatusOK, wire.StatusNotExist, wire.StatusRestored:
		if string(r.Name) != e.name {
			return fmt.Sprintf("names %s, want %s", spec.Quote(r.Name), spec.Quote(e.name)), spec.CheckNameMismatch, requirement
		}
	}
	switch e.status {
	case wire.StatusRestored:
		want := e.content.Len()
		switch {
		case r.Size != want:
			return fmt.Sprintf("content of %d bytes, want %d", r.Size, want), checkContent, requirement
		case !r.Read:
			return "content not read", checkContent, requirement
		case r.Sum != e.sum:
			return fmt.Sprintf("content differs (%d bytes): starts % x, want % x", want, r.Preview, e.content.Prefix(previewLen)), checkContent, requirement
		}
	case wire.StatusListed:
		return e.checkListing(r, seenLists)
	}
	return "", "", requirement
}

// judge is the oracle's word on a status other than the model's: forbidden for the request
// whatever the server holds, or contradicting what the model knows it holds.
func (e *expectation) judge(r *response) *spec.Violation {
	q := spec.Request{Op: e.op, Name: []byte(e.name)}
	if v := spec.JudgeAnswer(q, r.Status, r.Name); v != nil {
		return v
	}
	return spec.JudgeHeld(q, r.Status, e.held)
}

func (e *expectation) checkListing(r *response, seenLists map[string]bool) (reason, check string, requirement spec.ID) {
	requirement = e.requirement
	if v := spec.JudgeListingName(r.Name); v != nil {
		return "LIST name " + v.Actual + ", want " + v.Expected, v.Check, v.Req
	}
	if seenLists[string(r.Name)] {
		return fmt.Sprintf("LIST name %q is not fresh: an earlier LIST had it", r.Name), checkFresh, requirement
	}
	seenLists[string(r.Name)] = true
	if !r.Read {
		return fmt.Sprintf("listing of %d bytes, longer than any correct one", r.Size), checkListing, requirement
	}
	got, err := spec.ParseListing(r.Listing)
	if err != nil {
		return fmt.Sprintf("%v: %q", err, r.Listing), checkListing, requirement
	}
	d := spec.DiffListing(e.names, got)
	if d.Empty() {
		return "", "", requirement
	}
	if slices.ContainsFunc(d.Unexpected, func(n string) bool { return e.foreign[n] }) {
		// A name only another user holds: the listing crossed users.
		requirement = spec.R4_5
	}
	return "listing " + d.String(), checkListing, requirement
}
