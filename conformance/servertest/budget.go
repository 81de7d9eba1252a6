package servertest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
)

// typicalRequests is how many requests a case of the catalog makes, on average, before any
// has run: 397 requests for 82 cases against the reference server. The run's own cases
// replace it with what they made.
const typicalRequests = 5

// latencyTimes is how many times over the measured latency an answer is waited for before it
// is taken as missing: a slow server is not a dead one.
const latencyTimes = 4

// protectRank orders cases by what they protect, for a run that cannot reach them all: the
// security cases that keep one user's files from another and names inside their folders
// first, then the MUSTs that send nothing hostile, then the MUSTs that send bad input (a server
// that dies of it has had the others tested first), the SHOULDs and the INFO cases.
func protectRank(c *Case) int {
	switch {
	case c.Level == report.Must && c.Section() == "security" && (slices.Contains(c.Reqs, string(spec.R5_1)) || slices.Contains(c.Reqs, string(spec.R4_5))):
		return 0
	case c.Level == report.Must && !c.Hostile:
		return 1
	case c.Level == report.Must:
		return 2
	case c.Level == report.Should:
		return 3
	}
	return 4
}

// protectOrder sorts the indexes of cases by protectRank; within a rank, the cases that run
// many clients at once, the costliest, come last.
func protectOrder(cases []*Case, order []int) {
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(protectRank(cases[a]), protectRank(cases[b])); c != 0 {
			return c
		}
		return cmp.Compare(boolInt(cases[a].concurrent), boolInt(cases[b].concurrent))
	})
}

// perRequest is how long a request takes the server, as the diagnosis measured it: the
// longest wait for the first byte of an answer.
func (r *runner) perRequest() time.Duration {
	if r.diag == nil {
		return 0
	}
	return r.diag.Latency
}

// width is how many cases run at once against this server: one at a time when the diagnosis
// did not get to see how many connections it serves at once, as a slow server that serves one
// at a time would leave the cases waiting on each other, and look dead.
func (r *runner) width() int {
	if r.diag != nil && r.diag.Cut != "" && !r.diag.ConcurrencyProbed {
		return 1
	}
	if r.profile.Serial {
		return max(1, min(r.cfg.Parallel, r.diag.Served-1))
	}
	return max(1, r.cfg.Parallel)
}

// estimate is how long n cases making perCase requests each should take this server.
func (r *runner) estimate(n int, perCase float64) time.Duration {
	return time.Duration(float64(n) * perCase * float64(r.perRequest()) / float64(r.width()))
}

// fits reports whether n cases should end within what is left of the run, with room to spare:
// the estimate knows the catalog's requests only on average, and the cases that would not fit
// in the catalog's order are the security cases, which send bad input and run last.
func (r *runner) fits(n int, left time.Duration) bool {
	return 2*r.estimate(n, typicalRequests) < left
}

// slowTimeout makes every wait for an answer last several times the measured latency, however
// short -timeout is: an answer that takes 2s is late, not missing, under -timeout 5s.
func (r *runner) slowTimeout() string {
	want := latencyTimes * r.perRequest()
	if want <= r.cfg.Timeout {
		return ""
	}
	old := r.cfg.Timeout
	r.cfg.Timeout = want.Round(100 * time.Millisecond)
	return fmt.Sprintf("answers take up to %v to begin: each is waited for %v (%d times that), not -timeout %v, before it counts as missing",
		r.perRequest().Round(10*time.Millisecond), r.cfg.Timeout, latencyTimes, old)
}

// caseTally is what the cases that ran measured: how many ran, the requests they made and how
// long the phase took.
type caseTally struct {
	ran, requests int
	elapsed       time.Duration
}

// notReached says, for a run whose deadline passed, how many cases it did not reach, why, and
// the -deadline that would reach them all, from the measured latency and the requests per
// case. It returns the warning, the next step and that deadline; "" when every case ran.
func (r *runner) notReached(rep *report.Report, tally caseTally, reordered bool) (warning, step string, need time.Duration) {
	n := 0
	for i := range rep.Results {
		if rep.Results[i].Status == report.VerdictNotRun {
			n++
		}
	}
	if n == 0 {
		return "", "", 0
	}
	perCase := float64(typicalRequests)
	if tally.ran > 0 && tally.requests > 0 {
		perCase = float64(tally.requests) / float64(tally.ran)
	}
	left := r.estimate(n, perCase)
	if tally.ran > 0 {
		// What the cases took is the truest measure: cleanups, health probes and pauses
		// are requests and waits too.
		left = max(left, time.Duration(float64(tally.elapsed)/float64(tally.ran)*float64(n)))
	}
	if left == 0 {
		// Nothing measured: no case ran, and the diagnosis saw no answer.
		warning = fmt.Sprintf("%s of %d not reached: the run's deadline of %v passed before anything was measured to estimate how long they take",
			words.Count(n, "case"), len(rep.Results), r.cfg.Deadline)
		step = fmt.Sprintf("%s not reached within the deadline of %v: give a longer -deadline", words.Count(n, "case"), r.cfg.Deadline)
		return warning, step, 0
	}
	need = roundUp(rep.Duration + left + left/4)
	var how []string
	if l := r.perRequest(); l > 0 {
		how = append(how, fmt.Sprintf("answers take up to %v", l.Round(10*time.Millisecond)))
	}
	if r.width() == 1 {
		how = append(how, "one case runs at a time")
	}
	why := ""
	if len(how) > 0 {
		why = " (" + strings.Join(how, ", ") + fmt.Sprintf(", about %.0f requests a case)", perCase)
	}
	warning = fmt.Sprintf("%s of %d not reached: the run's deadline of %v passed%s; -deadline %v would run them all",
		words.Count(n, "case"), len(rep.Results), r.cfg.Deadline, why, need)
	if reordered && tally.ran > 0 {
		warning += "; as the catalog could not fit, the cases that protect the most ran first: the security cases that guard users' files, then the other MUSTs, those that send bad input last, then the SHOULDs and the INFO cases"
	}
	step = fmt.Sprintf("%s not reached within the deadline of %v: -deadline %v runs them all (or -run a few cases, by ID or requirement, a shorter run)",
		words.Count(n, "case"), r.cfg.Deadline, need)
	return warning, step, need
}

// roundUp rounds d up to a deadline a person would type: whole 10 seconds under two minutes,
// whole minutes after.
func roundUp(d time.Duration) time.Duration {
	unit := time.Minute
	if d < 2*time.Minute {
		unit = 10 * time.Second
	}
	return (d + unit - 1) / unit * unit
}

// requests is how many requests the case made.
func (t *caseRun) requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.exchanges)
}
