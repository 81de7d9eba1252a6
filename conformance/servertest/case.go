package servertest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Case is one conformance check.
type Case struct {
	casebook.Head
	// Hostile marks a case that sends bad input: it runs alone, and a health probe follows it.
	Hostile bool
	run     func(t *caseRun)
	// owns lists the narrow problem keys (narrowKeys) this case judges.
	owns []string
	// layoutOf lists the meanings whose statuses' layout the case checks: bytes after a
	// response of one of them fail it, and no other case.
	layoutOf []spec.Meaning
	// stepsAreItsRule: the case's requests are what it tests (sent a byte at a time, beside
	// stalled clients, from many clients at once), so any of them failing is its own failure.
	stepsAreItsRule bool
	// concurrent: the case runs clients at once. What they are left without is not taken as
	// an op the server does not answer: a server that serves one at a time may leave one
	// waiting while it serves another.
	concurrent bool
	// aimedAt lists the keys of faults the diagnosis finds that the case is aimed at, beyond
	// those runner.aims knows by the case's layout and ID.
	aimedAt []string
	// cutsRequests: the case leaves requests cut short (a close mid-request, a stall, a size
	// or name_len it never sends): a server that dies of it dies of the one cause, whatever
	// case showed it.
	cutsRequests bool
}

// caseRun is the state of one running case: its fresh users, its connections, what it stored and
// what it found. A case's helpers stop the case on a broken expectation that later steps
// depend on (Fatalf); Errorf records one and goes on.
type caseRun struct {
	ctx     context.Context
	run     *runner
	c       *Case
	dialect *spec.Dialect

	mu sync.Mutex
	// failures are the broken expectations of the case's own rules, with their problem keys.
	failures    []report.Failure
	failureKeys []string
	// evidence is what the case met of other rules' problems.
	evidence []caseEvidence
	// blockedBy is the key of the problem that ended the case before its own rules were judged.
	blockedBy      string
	blockedFailure report.Failure
	notes          []string
	// noAnswerAs, when set, is the problem a request left unanswered counts as.
	noAnswerAs problemAs
	// opNameLen: the case has shown that an unknown op waits for a name_len, as the
	// diagnosis found LIST does; its later unknown ops are sent with one.
	opNameLen bool
	skipped   string
	// unjudged is what the case could not check for want of a flag, when it skipped so.
	unjudged  *report.Unjudged
	exchanges []*record
	conns     int
	open      []interface{ Close() error }
	tails     sync.WaitGroup

	users     []uint32
	stored    map[uint32]map[string]bool // what the case believes each user has stored
	listNames map[uint32]map[string]bool // listing names the server gave, which it may keep
	// uploads are the names the case sent BACKUPs of, stored those that one was answered 212.
	uploads, everStored map[string]bool
	canaries            []string // tokens of names that must never appear outside their folder
}

// cloneLocked returns a copy of *s taken under mu, so that a loop over it need not hold mu
// while it judges or closes.
func cloneLocked[T any](mu *sync.Mutex, s *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(*s)
}

// newUser returns a user id no other case of the run uses, chosen at random.
func (t *caseRun) newUser() uint32 {
	u := t.run.newUser()
	t.mu.Lock()
	t.users = append(t.users, u)
	t.mu.Unlock()
	return u
}

// newPrefixedUsers returns two fresh users, the first's id a decimal prefix of the second's:
// the victim's folder name starts with the attacker's.
func (t *caseRun) newPrefixedUsers() (attacker, victim uint32) {
	a, b := t.run.newPrefixedUsers()
	t.mu.Lock()
	t.users = append(t.users, a, b)
	t.mu.Unlock()
	return a, b
}

// token returns a random string of n letters and digits, for names unique to the case.
func token(n int) string { return spec.RandomName(n) }

// canary returns a name unique to the case whose appearance anywhere but where the case put it
// shows a file that escaped its folder (checked with -root).
func (t *caseRun) canary() string {
	tok := "canary" + token(12)
	t.mu.Lock()
	t.canaries = append(t.canaries, tok)
	t.mu.Unlock()
	return tok
}

// A case judges only its own rules. A broken expectation carries a problem key (the rule
// broken and a few words that tell the fault apart): when the case owns the key's rule, it is a
// failure of the case; when it belongs to another rule (a helper step's BACKUP went wrong in a
// LIST case), it is evidence for that rule's own case, and the case goes on, or, when the step
// was one it cannot do without, ends as blocked by that problem.

// owns reports whether a broken expectation of req, with problem key, fails this case.
func (t *caseRun) owns(req spec.ID, key string) bool {
	if slices.Contains(narrowKeys, key) {
		return slices.Contains(t.c.owns, key)
	}
	// Bytes after a response, or a response cut short, are the business of the case that
	// checks that status's layout, not of every case whose steps got such a response.
	for _, m := range t.c.layoutOf {
		if code := t.dialect.Code(m); key == diagnosis.KeyTrailing(code) || key == diagnosis.KeyCut(code) {
			return true
		}
	}
	if isLayoutKey(key) {
		return false
	}
	if t.c.stepsAreItsRule {
		return true
	}
	return slices.Contains(t.c.Reqs, string(req))
}

// isLayoutKey reports whether key is bytes after a response or a response cut short, of any
// status.
func isLayoutKey(key string) bool {
	for _, k := range []string{diagnosis.KeyTrailing(0), diagnosis.KeyCut(0)} {
		if strings.HasPrefix(key, strings.TrimSuffix(k, "0")) {
			return true
		}
	}
	return false
}

// narrowKeys are checks of a broad rule that only the cases naming them judge: the shape of a
// listing's name is R-4.4's, as is every listing's content, and only list/name-format fails for
// the name.
var narrowKeys = []string{diagnosis.KeyCheck(&spec.Violation{Req: spec.R4_4, Check: spec.CheckListingName})}

// judge records a broken expectation of req: a failure of the case if the case owns req,
// evidence of another rule's problem if not. key names the problem: failures that share it are
// one problem in the report ("" makes one of req and the case: a key names checks, never the
// words of a message, for a problem's ID is made of it). fatal ends the case: failed if it owns
// req or failed before, blocked by key's problem otherwise.
func (t *caseRun) judge(req spec.ID, key string, r *reply, expected, actual string, fatal bool) (own bool) {
	if key == "" {
		key = string(req) + "|" + t.c.ID
	}
	f := report.Failure{Requirement: string(req), Sentence: req.Sentence(), Expected: expected, Actual: actual, Exchange: -1}
	if r != nil {
		f.Exchange = r.index
	}
	blocked := r != nil && r.Outcome == endBlocked
	t.mu.Lock()
	switch {
	case !blocked && t.owns(req, key):
		t.failures = append(t.failures, f)
		t.failureKeys = append(t.failureKeys, key)
		own = true
	case fatal && len(t.failures) == 0:
		t.blockedBy, t.blockedFailure = key, f
	default:
		t.evidence = append(t.evidence, caseEvidence{key: key, failure: f})
	}
	t.mu.Unlock()
	if fatal {
		runtime.Goexit()
	}
	return own
}

// servesOneAtATime records, when the diagnosis found that the server serves one connection at
// a time, what the case would otherwise wait the timeout to see again: a client left waiting
// while another holds the server. fatal ends the case (blocked, when is not its rule).
// It reports whether the server is so.
func (t *caseRun) servesOneAtATime(fatal bool) bool {
	if !t.run.profile.Serial {
		return false
	}
	t.judge(spec.R5_3, diagnosis.KeyStalledClients, nil, "other clients served while one stalls",
		"the diagnosis found that the server serves one connection at a time", fatal)
	return true
}

// problemAs names a problem: its rule and its key.
type problemAs struct {
	req spec.ID
	key string
}

// caseEvidence is a broken expectation of another rule a case met on its way.
type caseEvidence struct {
	key     string
	failure report.Failure
}

// errorf records a broken expectation of req: what was expected and what came back. r, if not
// nil, is the reply that showed it; its bytes go into the report.
func (t *caseRun) errorf(req spec.ID, r *reply, expected, actualFormat string, args ...any) {
	t.judge(req, "", r, expected, fmt.Sprintf(actualFormat, args...), false)
}

// violation records what the spec oracle found wrong with r, and reports whether it fails
// the case (it may be another rule's evidence).
func (t *caseRun) violation(v *spec.Violation, r *reply) (own bool) {
	return t.judge(v.Req, diagnosis.KeyCheck(v), r, v.Expected, v.Actual, false)
}

// fatalf records a broken expectation as errorf does and ends the case.
func (t *caseRun) fatalf(req spec.ID, r *reply, expected, actualFormat string, args ...any) {
	t.judge(req, "", r, expected, fmt.Sprintf(actualFormat, args...), true)
}

// failNow ends the case; what it recorded stands. A case that ends for a step of another rule
// (the last thing it recorded is evidence, and it has no failure of its own) is blocked by that
// step's problem.
func (t *caseRun) failNow() {
	t.mu.Lock()
	if len(t.failures) == 0 && t.blockedBy == "" && len(t.evidence) > 0 {
		e := t.evidence[len(t.evidence)-1]
		t.blockedBy, t.blockedFailure = e.key, e.failure
		t.evidence = t.evidence[:len(t.evidence)-1]
	}
	t.mu.Unlock()
	runtime.Goexit()
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

// needFlag ends the case without a verdict for want of a flag: what names the check left out,
// flag the flag, arg its argument's placeholder and value what it tells. The report lists the
// case's rules among those not judged.
func (t *caseRun) needFlag(flag, arg, value, what string) {
	t.mu.Lock()
	t.unjudged = &report.Unjudged{Requirements: t.c.Reqs, Level: t.c.Level, What: what, Flag: flag,
		Hint: fmt.Sprintf("give %s %s, %s", flag, arg, value), Cases: []string{t.c.ID}}
	t.mu.Unlock()
	t.skipf("give %s, %s, to run it", flag, value)
}

// stored records that user holds name (present) or not.
func (t *caseRun) setStored(user uint32, name string, present bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if present {
		userNames(&t.stored, user)[name] = true
		setName(&t.everStored, name)
	} else {
		delete(userNames(&t.stored, user), name)
	}
}

// noteSent records the filename of a request whose bytes head starts with, as far as they
// hold it, before they go out: a cut request's too.
func (t *caseRun) noteSent(head []byte) {
	if len(head) < wire.RequestPrefixLen+2 || wire.Op(head[5]) == wire.OpList || !wire.Op(head[5]).Known() {
		return
	}
	n := int(binary.LittleEndian.Uint16(head[wire.RequestPrefixLen:]))
	if len(head) < wire.RequestPrefixLen+2+n {
		return
	}
	name := string(head[wire.RequestPrefixLen+2 : wire.RequestPrefixLen+2+n])
	t.run.sentMu.Lock()
	setName(&t.run.sent, name)
	t.run.sentMu.Unlock()
	if wire.Op(head[5]) == wire.OpBackup {
		t.mu.Lock()
		setName(&t.uploads, name)
		t.mu.Unlock()
	}
}

// wasSent reports whether a request of the run carried name.
func (r *runner) wasSent(name string) bool {
	r.sentMu.Lock()
	defer r.sentMu.Unlock()
	return r.sent[name]
}

// unfinished reports whether the case sent name only in BACKUPs that no 212 answered.
func (t *caseRun) unfinished(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.uploads[name] && !t.everStored[name]
}

// setName adds name to *m, made on first use.
func setName(m *map[string]bool, name string) {
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[name] = true
}

func (t *caseRun) addListName(user uint32, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	userNames(&t.listNames, user)[name] = true
}

// userNames is user's set of names in *m, both made on first use.
func userNames(m *map[uint32]map[string]bool, user uint32) map[string]bool {
	if *m == nil {
		*m = map[uint32]map[string]bool{}
	}
	if (*m)[user] == nil {
		(*m)[user] = map[string]bool{}
	}
	return (*m)[user]
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
