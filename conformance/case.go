package conformance

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// Case is one conformance check.
type Case struct {
	// ID is stable: reports, baselines and -run name it, whatever the catalog's order.
	ID string
	// Reqs are the requirement IDs of SPEC.md the case checks.
	Reqs  []string
	Level report.Level
	Desc  string
	// Hostile marks a case that sends bad input: it runs alone, and a health probe follows it.
	Hostile bool
	run     func(t *caseRun)
}

// Section is the part of the ID before its slash: the spec section's file it belongs to.
func (c *Case) Section() string {
	s, _, _ := strings.Cut(c.ID, "/")
	return s
}

// caseRun is the state of one running case: its fresh users, its connections, what it stored and
// what it found. A case's helpers stop the case on a broken expectation that later steps
// depend on (Fatalf); Errorf records one and goes on.
type caseRun struct {
	ctx     context.Context
	run     *runner
	c       *Case
	dialect *spec.Dialect

	mu        sync.Mutex
	failures  []report.Failure
	notes     []string
	skipped   string
	exchanges []*record
	conns     int
	open      []interface{ Close() error }
	tails     sync.WaitGroup

	users     []uint32
	stored    map[uint32]map[string]bool // what the case believes each user has stored
	listNames map[uint32]map[string]bool // listing names the server gave, which it may keep
	canaries  []string                   // tokens of names that must never appear outside their folder
}

// newUser returns a user id no other case of the run uses, chosen at random.
func (t *caseRun) newUser() uint32 {
	u := t.run.newUser()
	t.mu.Lock()
	t.users = append(t.users, u)
	t.mu.Unlock()
	return u
}

// token returns a random string of n letters and digits, for names unique to the case.
func token(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// canary returns a name unique to the case whose appearance anywhere but where the case put it
// shows a file that escaped its folder (checked with -root).
func (t *caseRun) canary() string {
	tok := "canary" + token(12)
	t.mu.Lock()
	t.canaries = append(t.canaries, tok)
	t.mu.Unlock()
	return tok
}

// errorf records a failure of requirement req: what was expected and what came back.
// r, if not nil, is the reply that showed it; its bytes go into the report.
func (t *caseRun) errorf(req spec.ID, r *reply, expected, actualFormat string, args ...any) {
	f := report.Failure{Requirement: string(req), Sentence: req.Sentence(), Expected: expected,
		Actual: fmt.Sprintf(actualFormat, args...), Exchange: -1}
	if r != nil {
		f.Exchange = r.index
	}
	t.mu.Lock()
	t.failures = append(t.failures, f)
	t.mu.Unlock()
}

// violation records v, shown by r if not nil.
func (t *caseRun) violation(v *spec.Violation, r *reply) {
	t.errorf(v.Req, r, v.Expected, "%s", v.Actual)
}

// fatalf records a failure as Errorf does and ends the case.
func (t *caseRun) fatalf(req spec.ID, r *reply, expected, actualFormat string, args ...any) {
	t.errorf(req, r, expected, actualFormat, args...)
	runtime.Goexit()
}

// failNow ends the case; the failures recorded so far stand.
func (t *caseRun) failNow() { runtime.Goexit() }

// failed reports whether the case has a failure so far.
func (t *caseRun) failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.failures) > 0
}

// notef records an observation: what an INFO case found, or a detail of a pass.
func (t *caseRun) notef(format string, args ...any) {
	t.mu.Lock()
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// skipf ends the case without a verdict, saying why.
func (t *caseRun) skipf(format string, args ...any) {
	t.mu.Lock()
	t.skipped = fmt.Sprintf(format, args...)
	t.mu.Unlock()
	runtime.Goexit()
}

// stored records that user holds name (present) or not.
func (t *caseRun) setStored(user uint32, name string, present bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stored == nil {
		t.stored = map[uint32]map[string]bool{}
	}
	if t.stored[user] == nil {
		t.stored[user] = map[string]bool{}
	}
	if present {
		t.stored[user][name] = true
	} else {
		delete(t.stored[user], name)
	}
}

func (t *caseRun) addListName(user uint32, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.listNames == nil {
		t.listNames = map[uint32]map[string]bool{}
	}
	if t.listNames[user] == nil {
		t.listNames[user] = map[string]bool{}
	}
	t.listNames[user][name] = true
}

// storedNames lists what the case believes user holds, sorted.
func (t *caseRun) storedNames(user uint32) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for n := range t.stored[user] {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// runFunc runs f in its own goroutine, so that Fatalf can end it with runtime.Goexit, turns
// a panic into a failure of the runner rather than a crash of the run, and returns once f and
// the tail checks of its replies are done.
func (t *caseRun) runFunc(f func(*caseRun)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				t.errorf("", nil, "the case to run to its end", "the runner panicked: %v", p)
			}
		}()
		f(t)
	}()
	<-done
	t.tails.Wait()
}

// newUserID returns a random non-zero id.
func newUserID() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		if u := binary.LittleEndian.Uint32(b[:]); u != 0 {
			return u
		}
	}
}
