package model

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/fbpkit/fbp/ref/wire"
)

// fileState is what the model says one stored file holds.
type fileState struct {
	content Content
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
	// RESTORED: the file's content.
	content Content
	sum     [sha256.Size]byte
	// LISTED: the user's files, sorted; foreign are names only other users of the run hold.
	names   []string
	foreign map[string]bool
	// requirement is the SPEC.md rule a different response breaks.
	requirement string
}

func (e *expectation) String() string {
	s := strconv.Itoa(int(e.status))
	switch e.status {
	case wire.StatusListed:
		return s + " " + formatNames(e.names)
	case wire.StatusRestored:
		return fmt.Sprintf("%s %s (%v)", s, quoteName(e.name), e.content)
	case wire.StatusOK, wire.StatusNotExist:
		return s + " " + quoteName(e.name)
	}
	return s
}

// apply is the model's step: the response step must get from a server holding s, and what
// the server holds after it.
func (s *store) apply(step Step) (*expectation, *store) {
	u := s.users[step.User]
	switch step.Op {
	case wire.OpBackup:
		_, replaced := u.files[step.Name]
		nu := userState{files: maps.Clone(u.files), deleted: maps.Clone(u.deleted)}
		if nu.files == nil {
			nu.files = map[string]fileState{}
		}
		nu.files[step.Name] = fileState{content: step.Content, sum: step.Content.Sum(), replaced: replaced}
		delete(nu.deleted, step.Name)
		return &expectation{status: wire.StatusOK, name: step.Name, requirement: "R-4.1"}, s.with(step.User, nu)
	case wire.OpRestore:
		f, ok := u.files[step.Name]
		switch {
		case ok && f.replaced:
			return &expectation{status: wire.StatusRestored, name: step.Name, content: f.content, sum: f.sum, requirement: "R-4.1"}, s
		case ok:
			return &expectation{status: wire.StatusRestored, name: step.Name, content: f.content, sum: f.sum, requirement: "R-4.2"}, s
		case u.deleted[step.Name]:
			return &expectation{status: wire.StatusNotExist, name: step.Name, requirement: "R-4.3"}, s
		}
		return &expectation{status: wire.StatusNotExist, name: step.Name, requirement: "R-4.2"}, s
	case wire.OpDelete:
		if _, ok := u.files[step.Name]; !ok {
			return &expectation{status: wire.StatusNotExist, name: step.Name, requirement: "R-4.3"}, s
		}
		nu := userState{files: maps.Clone(u.files), deleted: maps.Clone(u.deleted)}
		delete(nu.files, step.Name)
		if nu.deleted == nil {
			nu.deleted = map[string]bool{}
		}
		nu.deleted[step.Name] = true
		return &expectation{status: wire.StatusOK, name: step.Name, requirement: "R-4.3"}, s.with(step.User, nu)
	case wire.OpList:
		if len(u.files) == 0 {
			return &expectation{status: wire.StatusNoFiles, foreign: s.foreign(step.User), requirement: "R-4.4"}, s
		}
		names := slices.Sorted(maps.Keys(u.files))
		return &expectation{status: wire.StatusListed, names: names, foreign: s.foreign(step.User), requirement: "R-4.4"}, s
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

// check compares a response with the expectation. It returns "" when they agree and
// otherwise what is wrong, with the requirement broken. seenLists holds the LIST names the
// sequence has seen so far; check adds r's.
func (e *expectation) check(r *response, seenLists map[string]bool) (reason, requirement string) {
	requirement = e.requirement
	if r.Err != nil {
		return "no response: " + r.Err.Error(), requirement
	}
	if r.Status != e.status {
		return fmt.Sprintf("status %d, want %d", int(r.Status), int(e.status)), requirement
	}
	switch e.status {
	case wire.StatusOK, wire.StatusNotExist, wire.StatusRestored:
		if string(r.Name) != e.name {
			return fmt.Sprintf("names %s, want %s", quoteName(string(r.Name)), quoteName(e.name)), requirement
		}
	}
	switch e.status {
	case wire.StatusRestored:
		want := int64(e.content.Size())
		switch {
		case r.Size != want:
			return fmt.Sprintf("content of %d bytes, want %d", r.Size, want), requirement
		case !r.Read:
			return "content not read", requirement
		case r.Sum != e.sum:
			return fmt.Sprintf("content differs (%d bytes): starts % x, want % x", want, r.Preview, e.content.Prefix(previewLen)), requirement
		}
	case wire.StatusListed:
		return e.checkListing(r, seenLists)
	}
	return "", requirement
}

func (e *expectation) checkListing(r *response, seenLists map[string]bool) (reason, requirement string) {
	requirement = e.requirement
	if !listName(r.Name) {
		return fmt.Sprintf("LIST name %q is not 32 characters [A-Za-z0-9]", r.Name), requirement
	}
	if seenLists[string(r.Name)] {
		return fmt.Sprintf("LIST name %q is not fresh: an earlier LIST had it", r.Name), requirement
	}
	seenLists[string(r.Name)] = true
	if !r.Read {
		return fmt.Sprintf("listing of %d bytes, longer than any correct one", r.Size), requirement
	}
	got, err := parseListing(r.Listing)
	if err != nil {
		return fmt.Sprintf("%v: %q", err, r.Listing), requirement
	}
	slices.Sort(got)
	if i := firstDup(got); i >= 0 {
		return fmt.Sprintf("lists %s twice", quoteName(got[i])), requirement
	}
	if slices.Equal(got, e.names) {
		return "", requirement
	}
	var extra, missing []string
	for _, n := range got {
		if !slices.Contains(e.names, n) {
			extra = append(extra, n)
			if e.foreign[n] {
				requirement = "R-4.5"
			}
		}
	}
	for _, n := range e.names {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	reason = "listing"
	if extra != nil {
		reason += " has extra " + formatNames(extra)
	}
	if missing != nil {
		if extra != nil {
			reason += ","
		}
		reason += " misses " + formatNames(missing)
	}
	return reason, requirement
}

func firstDup(sorted []string) int {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return i
		}
	}
	return -1
}

// listName reports whether name has the shape SPEC §3 gives a LIST response's filename.
func listName(name []byte) bool {
	if len(name) != listNameLen {
		return false
	}
	return bytes.IndexFunc(name, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
	}) < 0
}
