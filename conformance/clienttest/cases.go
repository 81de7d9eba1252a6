package clienttest

import (
	"fmt"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Prerequisites most cases share: a run that never connects, or whose requests the server
// cannot read, reaches nothing else.
var (
	reached    = []string{"run/connects", "request/op-codes"}
	restoreRun = []string{"run/connects", "request/op-codes", "run/script-order", "user/one-per-run", "backup/exact-bytes"}
)

// catalog is every case, in report order; a case's prerequisites come before it.
var catalog = []*Case{
	{Head: casebook.Head{ID: "run/connects", Reqs: spec.IDStrings(spec.R7_4), Level: report.Must,
		Desc: "reads server.info, connects to the server it names and sends a request"},
		Scenarios: []string{scCanonical},
		judge:     judgeConnects},
	{Head: casebook.Head{ID: "request/op-codes", Reqs: spec.IDStrings(spec.R7_2), Level: report.Must,
		Desc: "every request carries an op code of §2: 100, 200, 201 or 202"},
		Scenarios: []string{scCanonical},
		needs:     []string{"run/connects"}, judge: judgeOpCodes},
	{Head: casebook.Head{ID: "request/version", Reqs: spec.IDStrings(spec.R7_2), Level: report.Must,
		Desc: "every request carries version 1"},
		Scenarios: []string{scCanonical},
		needs:     []string{"run/connects"}, judge: judgeVersion},
	{Head: casebook.Head{ID: "request/layout", Reqs: spec.IDStrings(spec.R7_1), Level: report.Must,
		Desc: "every request is exactly its op's fields (LIST 6 bytes), with nothing after it before its response"},
		Scenarios: []string{scCanonical},
		needs:     reached, judge: judgeLayout},
	{Head: casebook.Head{ID: "user/one-per-run", Reqs: spec.IDStrings(spec.R7_3), Level: report.Must,
		Desc: "every request of a run carries the same user id"},
		Scenarios: []string{scCanonical, scKeepAlive},
		needs:     []string{"run/connects"}, judge: judgeOneUser},
	{Head: casebook.Head{ID: "user/random-per-run", Reqs: spec.IDStrings(spec.R7_3), Level: report.Must,
		Desc: "two runs carry different user ids"},
		Scenarios: []string{scCanonical, scKeepAlive},
		needs:     []string{"run/connects"}, judge: judgeRandomUser},
	{Head: casebook.Head{ID: "connection/server-closes", Reqs: spec.IDStrings(spec.R7_6), Level: report.Must,
		Desc: "against a server that closes after each response, no request is lost on a closed connection"},
		Scenarios: []string{scCanonical},
		needs:     []string{"run/connects"}, judge: judgeServerCloses},
	{Head: casebook.Head{ID: "run/script-order", Reqs: spec.IDStrings(spec.R7_4), Level: report.Must,
		Desc: "the requests of §6 in order: LIST, BACKUP 1, BACKUP 2, LIST, RESTORE 1, DELETE 1, RESTORE 1"},
		Scenarios: []string{scCanonical},
		after:     []string{"request/op-codes", "connection/server-closes"}, needs: []string{"run/connects"}, judge: judgeScriptOrder},
	{Head: casebook.Head{ID: "backup/exact-bytes", Reqs: spec.IDStrings(spec.R7_7), Level: report.Must,
		Desc: "each BACKUP sends its file's base name, size and exact bytes (one over 1 MiB, one empty)"},
		Scenarios: []string{scCanonical}, Process: true,
		needs: []string{"run/connects", "request/op-codes", "run/script-order"}, judge: judgeBackupBytes},
	{Head: casebook.Head{ID: "backup/partial-sends", Reqs: spec.IDStrings(spec.R7_7), Level: report.Must,
		Desc: "a server that reads a BACKUP's payload slowly, so that a send takes only part of it: every byte still arrives"},
		Scenarios: []string{scSlowReader}, Process: true,
		after: []string{"backup/exact-bytes"}, needs: []string{"run/connects", "request/op-codes"}, judge: judgeBackupBytes},
	{Head: casebook.Head{ID: "backup/base-name", Reqs: spec.IDStrings(spec.R7_7), Level: report.Must,
		Desc: "backup.info naming its files by paths (files/…, an absolute one): each BACKUP sends the file's base name"},
		Scenarios: []string{scPaths}, Process: true,
		after: []string{"backup/exact-bytes"}, needs: []string{"run/connects", "request/op-codes"}, judge: judgeBackupBytes},
	{Head: casebook.Head{ID: "restore/exact-file", Reqs: spec.IDStrings(spec.R7_8, spec.R5_6), Level: report.Must,
		Desc: "tmp holds the 210's payload exactly, is kept through the 1001 that follows, and is the only file written"},
		Scenarios: []string{scCanonical}, Process: true,
		needs: restoreRun, judge: judgeRestoreExact},
	{Head: casebook.Head{ID: "restore/every-run", Reqs: spec.IDStrings(spec.R7_8), Level: report.Must,
		Desc: "in the other scenarios too, tmp is the last whole 210's payload, or absent when none came, and no other file holds it"},
		Scenarios: filesLeftRuns, Process: true,
		after: []string{"restore/exact-file"}, needs: restoreRun, judge: judgeFilesLeft},
	{Head: casebook.Head{ID: "restore/server-name-dotdot", Reqs: spec.IDStrings(spec.R5_6, spec.R7_8), Level: report.Must,
		Desc: "a 210 naming ../conform-escape-… writes nothing outside the client's folder, nothing under that name"},
		Scenarios: []string{scNameDotDot}, Process: true,
		needs: restoreRun, judge: judgeServerName},
	{Head: casebook.Head{ID: "restore/server-name-absolute", Reqs: spec.IDStrings(spec.R5_6, spec.R7_8), Level: report.Must,
		Desc: "a 210 naming an absolute path writes nothing there, nothing under that name"},
		Scenarios: []string{scNameAbsolute}, Process: true,
		needs: restoreRun, judge: judgeServerName},
	{Head: casebook.Head{ID: "restore/short-payload", Reqs: spec.IDStrings(spec.R7_9), Level: report.Must,
		Desc: "a 210 whose payload is cut short by a close (1 MiB short; claims of 2^31 - 1, 2^31 and 2^32 - 1 bytes) leaves no tmp holding part of it"},
		Scenarios: slices.Concat(lyingSizes, []string{scCanonical}), Process: true,
		needs: restoreRun, judge: judgeShortPayload},
	{Head: casebook.Head{ID: "memory/huge-claim", Reqs: spec.IDStrings(spec.R7_9), Level: report.Must,
		Desc: "a 210 claiming 4 GiB (64 MiB sent) does not grow the client's peak memory by half of what was sent"},
		Scenarios: []string{scHugeClaim, scCanonical}, Process: true,
		needs: restoreRun, judge: judgeHugeClaim},
	{Head: casebook.Head{ID: "response/read-whole", Reqs: spec.IDStrings(spec.R7_5), Level: report.Must,
		Desc: "every 210, 211 and 212 is read to its end before the client closes: a listing past 4096 bytes and 64 names included"},
		Scenarios: []string{scCanonical, scLargeList},
		needs:     []string{"run/connects", "request/op-codes"}, judge: judgeReadWhole},
	{Head: casebook.Head{ID: "response/no-wait-for-close", Reqs: spec.IDStrings(spec.R7_5, spec.R7_6), Level: report.Must,
		Desc: "on a connection the server keeps, the client goes on after a whole 210, 211 or 212 without waiting for a close"},
		Scenarios: []string{scKeepAlive},
		needs:     []string{"run/connects", "request/op-codes", "run/script-order"}, judge: judgeNoWaitForClose},
	{Head: casebook.Head{ID: "status/short-responses", Reqs: spec.IDStrings(spec.R7_10), Level: report.Must,
		Desc: "a 1002 or 1003 is read as 3 bytes, a 1001 as ending after its name: the client waits for nothing more, and leaves nothing unread"},
		Scenarios: []string{scKeepAlive, scAll1003, scCanonical},
		after:     []string{"response/no-wait-for-close"}, needs: reached, judge: judgeShortResponses},
	{Head: casebook.Head{ID: "status/server-error", Reqs: spec.IDStrings(spec.R7_10), Level: report.Must,
		Desc: "1003 to every request: the client ends by itself, does not crash, and writes no tmp"},
		Scenarios: []string{scAll1003}, Process: true,
		needs: reached, judge: judgeServerError},
	{Head: casebook.Head{ID: "response/split-reads", Reqs: spec.IDStrings(spec.R7_5), Level: report.Must,
		Desc: "responses cut into 1-byte writes: the run goes as the canonical one (requests, end, tmp)"},
		Scenarios: []string{scOneByte, scCanonical},
		needs:     []string{"run/connects"}, judge: func(j *judgment) { judgeSameRun(j, scOneByte, spec.OneByteWrites) }},
	{Head: casebook.Head{ID: "response/slow-drip", Reqs: spec.IDStrings(spec.R7_12), Level: report.Should,
		Desc: "responses dripped over -drip: the run goes as the canonical one (requests, end, tmp)"},
		Scenarios: []string{scSlowDrip, scCanonical},
		needs:     []string{"run/connects"}, judge: func(j *judgment) { judgeSameRun(j, scSlowDrip, spec.SlowDrip) }},
	{Head: casebook.Head{ID: "robust/close-without-answer", Reqs: spec.IDStrings(spec.R7_11), Level: report.Must,
		Desc: "a server that closes without answering: the client ends by itself, without crashing"},
		Scenarios: []string{scCloseNoAns}, Process: true,
		needs: []string{"run/connects"}, judge: judgeCloseNoAnswer},
	{Head: casebook.Head{ID: "robust/cut-response", Reqs: spec.IDStrings(spec.R7_11), Level: report.Must,
		Desc: "a payload cut short by a close (short, or of a claim of 2^31 - 1, 2^31 or 2^32 - 1 bytes): the client ends by itself, without crashing"},
		Scenarios: lyingSizes, Process: true,
		needs: restoreRun, judge: judgeCutResponse},
	{Head: casebook.Head{ID: "robust/stalled-server", Reqs: spec.IDStrings(spec.R7_12), Level: report.Should,
		Desc: "a server that never answers: the client gives up within -stall-limit"},
		Scenarios: []string{scStall},
		needs:     []string{"run/connects"}, judge: judgeStalled},
	{Head: casebook.Head{ID: "robust/stalled-server-ends", Reqs: spec.IDStrings(spec.R7_11), Level: report.Must,
		Desc: "a server that never answers: the client that gives up on it ends without crashing (an uncaught timeout is a crash)"},
		Scenarios: []string{scStall}, Process: true,
		after: []string{"robust/stalled-server"}, needs: []string{"run/connects"}, judge: judgeStalledEnds},
	{Head: casebook.Head{ID: "robust/hostile-listing", Reqs: spec.IDStrings(spec.R7_11), Level: report.Must,
		Desc: "a listing with ../ names, escape sequences, names neither ASCII nor UTF-8 and a 100 000-byte line: the client ends by itself, without crashing"},
		Scenarios: []string{scHostileList}, Process: true,
		needs: reached, judge: judgeHostileListing},
	{Head: casebook.Head{ID: "output/server-names-escaped", Reqs: spec.IDStrings(spec.R7_13), Level: report.Should,
		Desc: "escape sequences in names from the server do not reach the client's output raw"},
		Scenarios: []string{scHostileList}, Process: true,
		needs: reached, judge: judgeEchoedControls},
	{Head: casebook.Head{ID: "run/exit-status", Reqs: spec.IDStrings(spec.R7_14), Level: report.Must,
		Desc: "the client exits non-zero when a step could not finish: 1003s, no answer, a cut or lying payload, a stall"},
		Process:   true,
		Scenarios: append([]string{scAll1003, scCloseNoAns, scStall}, lyingSizes...),
		needs:     []string{"run/connects", "status/server-error", "robust/close-without-answer", "robust/cut-response", "robust/stalled-server-ends"},
		judge:     judgeExitStatus},
	// A client that misread an answer rightly exits non-zero, and the misreading is the fault to
	// show: the cases that see a client's own misreadings come first.
	{Head: casebook.Head{ID: "run/exit-zero", Reqs: spec.IDStrings(spec.R7_14), Level: report.Should,
		Desc: "the client exits 0 when every step got the answer it expects, whole"},
		Process:   true,
		Scenarios: []string{scCanonical, scKeepAlive, scLargeList, scSlowReader, scPaths},
		after:     []string{"response/read-whole", "response/no-wait-for-close", "status/short-responses"},
		needs:     []string{"run/connects", "run/script-order", "user/one-per-run", "backup/exact-bytes", "restore/exact-file"}, judge: judgeExitStatus},
}

// filesLeftRuns are the scenarios whose files no case of their own judges.
var filesLeftRuns = []string{scKeepAlive, scOneByte, scSlowDrip, scCloseNoAns, scStall, scHostileList, scLargeList, scSlowReader, scPaths}

// lyingSizes are the scenarios whose first 210 states more than it sends, then closes.
var lyingSizes = []string{scShortPayload, scClaimInt31, scClaimInt32, scHugeClaim}

// runsInOrder lists the runs there are, the canonical one first.
func (j *judgment) runsInOrder() []*runEvidence {
	var out []*runEvidence
	for _, sc := range scenarios {
		if r := j.runs[sc.Name]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

func judgeConnects(j *judgment) {
	r := j.run(scCanonical)
	if len(r.exchanges) > 0 {
		return
	}
	actual := "no request in the run"
	if r.proc != nil {
		actual += "; the client " + r.proc.exit
	}
	j.fail(&spec.Violation{Req: spec.R7_4, Check: spec.CheckRequestMissing,
		Expected: "a connection to the address in server.info, and a request on it", Actual: actual}, scCanonical, nil)
}

// judgeEachRequest runs check on every request whose 6-byte prefix arrived (and whose op §2
// defines, with knownOp), in every run, the canonical one first, and fails the case once for
// each distinct problem key returns. due is the script's step a request stands for, in the
// canonical run.
func judgeEachRequest(j *judgment, knownOp bool, check func(ex *exchange, due *spec.ScriptStep) (*spec.Violation, string)) {
	seen := map[string]bool{}
	judged := false
	for _, r := range j.runsInOrder() {
		for i, ex := range r.requests() {
			if ex.req.Got < wire.RequestPrefixLen || knownOp && !wire.Op(ex.req.Op).Known() {
				continue
			}
			judged = true
			var due *spec.ScriptStep
			if r.sc.Name == scCanonical && i < len(spec.Script) {
				due = &spec.Script[i]
			}
			if v, key := check(ex, due); v != nil && !seen[key] {
				seen[key] = true
				j.fail(v, r.sc.Name, ex)
			}
		}
	}
	if !judged {
		j.lack(spec.ID(j.c.Reqs[0]), scCanonical, "a request", "no request the server could read")
	}
}

func judgeOpCodes(j *judgment) {
	judgeEachRequest(j, false, func(ex *exchange, due *spec.ScriptStep) (*spec.Violation, string) {
		return spec.JudgeClientOp(ex.req.Op, due), fmt.Sprint(ex.req.Op)
	})
}

func judgeVersion(j *judgment) {
	judgeEachRequest(j, false, func(ex *exchange, _ *spec.ScriptStep) (*spec.Violation, string) {
		return spec.JudgeClientVersion(ex.req.Version), fmt.Sprint(ex.req.Version)
	})
}

func judgeLayout(j *judgment) {
	judgeEachRequest(j, true, func(ex *exchange, _ *spec.ScriptStep) (*spec.Violation, string) {
		return spec.JudgeRequestLayout(&ex.req), fmt.Sprint(ex.req.Op)
	})
}

func judgeOneUser(j *judgment) {
	judged := false
	defer func() {
		if !judged {
			j.lack(spec.R7_3, scCanonical, "requests, to compare their user ids", "none")
		}
	}()
	for _, r := range j.runsInOrder() {
		judged = judged || len(r.requests()) > 0
		var ids []uint32
		var shown []*exchange
		for _, ex := range r.requests() {
			if ex.req.Got >= 4 {
				ids, shown = append(ids, ex.req.UserID), append(shown, ex)
			}
		}
		if v := spec.JudgeOneUser(ids); v != nil {
			for _, ex := range shown {
				if ex.req.UserID != ids[0] {
					j.fail(v, r.sc.Name, ex)
					return
				}
			}
		}
	}
}

func judgeRandomUser(j *judgment) {
	var ids []uint32
	var names []string
	for _, r := range j.runsInOrder() {
		for _, ex := range r.requests() {
			if ex.req.Got >= 4 {
				ids, names = append(ids, ex.req.UserID), append(names, r.sc.Name)
				break
			}
		}
	}
	if len(ids) < 2 {
		j.lack(spec.R7_3, scKeepAlive, "requests in two runs", fmt.Sprintf("requests in %d run", len(ids)))
		return
	}
	if v := spec.JudgeRunsDiffer(ids, names); v != nil {
		j.fail(v, "", nil)
	}
}

func judgeServerCloses(j *judgment) {
	r := j.run(scCanonical)
	if !slices.ContainsFunc(r.requests(), func(ex *exchange) bool { return ex.status != 0 }) {
		j.lack(spec.R7_6, scCanonical, "a request answered, after which the server closed", "none")
		return
	}
	for i, ex := range r.exchanges {
		if !ex.onClosed {
			continue
		}
		resent := false
		for _, later := range r.exchanges[i+1:] {
			if !later.onClosed && later.conn != ex.conn && later.req.Op == ex.req.Op && string(later.req.Name) == string(ex.req.Name) {
				resent = true
				break
			}
		}
		if v := spec.JudgeLostOnClosed(&ex.req, ex.conn, resent); v != nil {
			j.fail(v, scCanonical, ex)
			return
		}
	}
}

// scriptCalls are a run's requests as the script compares them; with generic, the names of the
// scenario's files are written "<file 1>" and "<file 2>", so that runs with other files compare.
func scriptCalls(r *runEvidence, generic bool) []spec.ScriptCall {
	var out []spec.ScriptCall
	for _, ex := range r.requests() {
		c := spec.ScriptCall{Op: ex.req.Op, Name: string(ex.req.Name)}
		if generic {
			for i, f := range r.sc.Files {
				if c.Name == f.Name {
					c.Name = fmt.Sprintf("<file %d>", i+1)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func judgeScriptOrder(j *judgment) {
	r := j.run(scCanonical)
	files := [2]string{r.sc.Files[0].Name, r.sc.Files[1].Name}
	if j.cfg.Listen != "" {
		// The client backs up its own files.
		files = [2]string{}
	}
	if v := spec.JudgeScript(scriptCalls(r, false), files); v != nil {
		j.fail(v, scCanonical, nil)
	}
}

func judgeBackupBytes(j *judgment) {
	sc := j.c.Scenarios[0]
	r := j.run(sc)
	judged := 0
	for _, ex := range r.requests() {
		if ex.upload == nil {
			continue
		}
		judged++
		if v := spec.JudgeUpload(*ex.upload); v != nil {
			j.fail(v, sc, ex)
		}
	}
	if judged == 0 {
		j.lack(spec.R7_7, sc, "a BACKUP of a file backup.info lists", "none")
	}
}

// answered210 returns the run's first 210 the scenario twisted, or with twisted false its
// first 210 untwisted, whole or not; nil when there is none.
func answered210(r *runEvidence, twisted bool) *exchange {
	for _, ex := range r.requests() {
		if ex.status == uint16(wire.StatusRestored) && (ex.twist != "") == twisted {
			return ex
		}
	}
	return nil
}

func judgeRestoreExact(j *judgment) {
	r := j.run(scCanonical)
	ex := answered210(r, false)
	if ex == nil || r.tmpAtEnd == nil {
		j.lack(spec.R7_8, scCanonical, "a RESTORE answered 210", "none")
		return
	}
	if c := r.tmpAtDelete; c != nil {
		if c.err != nil {
			j.notef("tmp could not be read when the DELETE that follows arrived: %v", c.err)
		} else if v := spec.JudgeRestoredFile("when the DELETE that follows arrived", c.RestoredFile); v != nil {
			j.failRestored(v, ex)
		}
	}
	switch c := r.tmpAtEnd; {
	case len(j.failures) > 0:
		// tmp was wrong already when the DELETE arrived: that is the fault to show.
	case c.err != nil:
		j.lack(spec.R7_8, scCanonical, "tmp, to compare with the 210's payload at the end of the run", "it could not be read: "+c.err.Error())
	default:
		if v := spec.JudgeRestoredFile("at the end of the run, after the RESTORE answered 1001", c.RestoredFile); v != nil {
			j.failRestored(v, ex)
		}
	}
	if v := spec.JudgeWrittenElsewhere(r.elsewhere, "besides tmp, wrote"); v != nil {
		j.fail(v, scCanonical, ex)
	}
}

// oneReadProblem is the problem of a client that reads a response with one read: R-7.5's
// unread check's fault.
var oneReadProblem = spec.ProblemID(&spec.Violation{Req: spec.R7_5, Check: spec.CheckUnread})

// failRestored records a wrong tmp after the canonical run's 210 ex. When the client left
// that 210 unread, what it wrote follows from how it reads a response: the fault of R-7.5's
// unread check, whose problem it joins.
func (j *judgment) failRestored(v *spec.Violation, ex *exchange) {
	if ex.unread != "" {
		j.failFrom(oneReadProblem, v, scCanonical, ex)
		return
	}
	j.fail(v, scCanonical, ex)
}

func judgeServerName(j *judgment) {
	sc := j.c.Scenarios[0]
	r := j.run(sc)
	ex := answered210(r, true)
	if ex == nil {
		j.lack(spec.R5_6, sc, "a RESTORE, to answer with a 210 naming another path", "none")
		return
	}
	if v := spec.JudgeWrittenElsewhere(r.elsewhere, "wrote"); v != nil {
		j.fail(v, sc, ex)
	}
}

func judgeShortPayload(j *judgment) {
	oneRead := keepsPartRead(j.run(scCanonical))
	// first is the first partial tmp met, when it follows from reading a response in one read.
	var first func()
	for _, sc := range lyingSizes {
		r := j.run(sc)
		ex := answered210(r, true)
		if ex == nil {
			j.lack(spec.R7_9, sc, "a RESTORE, to answer with a cut payload", "none")
			continue
		}
		if r.tmp == nil {
			continue
		}
		f := spec.RestoredFile{Exists: true, Size: r.tmp.size, Mismatch: -1, Payload: int64(ex.statedSize)}
		v := spec.JudgePartialFile(f, ex.sentBody)
		if v == nil {
			continue
		}
		// A client that closed on the 210 before the cut, or that keeps as tmp the part of a
		// whole payload it read before closing on the rest, wrote what its read brought: the
		// fault of reading a response in one read, not of keeping a cut payload. A run in which
		// it read what came and kept it shows that fault of its own: it is the one to show.
		if !oneRead && ex.unread == "" {
			// One lying size shows the fault; the others would repeat it.
			j.fail(v, sc, ex)
			return
		}
		if first == nil {
			first = func() { j.failFrom(oneReadProblem, v, sc, ex) }
		}
	}
	if first != nil {
		first()
	}
}

// keepsPartRead reports whether the canonical run r shows a client that keeps as tmp the part
// of a 210's payload it read before it closed on the rest: what a client that reads a response
// in one read writes.
func keepsPartRead(r *runEvidence) bool {
	ex, c := answered210(r, false), r.tmpAtDelete
	if c == nil {
		c = r.tmpAtEnd
	}
	return ex != nil && ex.unread != "" && c != nil && c.err == nil && c.Exists && c.Size < c.Payload && c.Mismatch == c.Size
}

func judgeHugeClaim(j *judgment) {
	r := j.run(scHugeClaim)
	ex := answered210(r, true)
	if ex == nil {
		j.lack(spec.R7_9, scHugeClaim, "a RESTORE, to answer with a 4 GiB claim", "none")
		return
	}
	base, peak := j.run(scCanonical).proc.peakRSS, r.proc.peakRSS
	if base == 0 || peak == 0 {
		j.skipped = "the system does not report the client's peak memory"
		return
	}
	j.notef("peak memory %.1f MiB against the 4 GiB claim, %.1f MiB in the canonical run", float64(peak)/(1<<20), float64(base)/(1<<20))
	if v := spec.JudgeMemory(peak, base, ex.sentBody); v != nil {
		j.fail(v, scHugeClaim, ex)
	}
}

// judgeWaits fails the case on the first wait after a response whose status short selects:
// the statuses without a size (1001, 1002, 1003), or the others.
func judgeWaits(j *judgment, short bool, runs ...string) (judged bool) {
	failed := map[uint16]bool{}
	for _, sc := range runs {
		r := j.run(sc)
		for _, ex := range r.requests() {
			if short && ex.mustRead && spec.ShortStatus(ex.status) && ex.unread != "" && !failed[ex.status] {
				judged = true
				failed[ex.status] = true
				j.fail(spec.JudgeReadWhole(ex.status, ex.unread), sc, ex)
			}
			if !ex.kept || spec.ShortStatus(ex.status) != short {
				continue
			}
			judged = true
			if ex.waited && !failed[ex.status] {
				failed[ex.status] = true
				j.fail(spec.JudgeWaitAfter(ex.status, j.cfg.Wait), sc, ex)
			}
		}
	}
	return judged
}

func judgeNoWaitForClose(j *judgment) {
	if !judgeWaits(j, false, scKeepAlive) {
		j.lack(spec.R7_5, scKeepAlive, "a whole 210, 211 or 212 on a kept connection", "none")
	}
}

func judgeShortResponses(j *judgment) {
	if !judgeWaits(j, true, scKeepAlive, scAll1003, scCanonical) {
		j.lack(spec.R7_10, scKeepAlive, "a whole 1001, 1002 or 1003 on a kept connection", "none")
	}
}

func judgeReadWhole(j *judgment) {
	for _, sc := range j.c.Scenarios {
		judged := false
		for _, ex := range j.run(sc).requests() {
			if !ex.mustRead || ex.status == 0 || spec.ShortStatus(ex.status) {
				continue
			}
			judged = judged || sc != scLargeList || ex.status == uint16(wire.StatusListed)
			if v := spec.JudgeReadWhole(ex.status, ex.unread); v != nil {
				j.fail(v, sc, ex)
				return
			}
		}
		if !judged {
			j.lack(spec.R7_5, sc, "a 210, 211 or 212 true to its length", "none")
		}
	}
}

// end is how the run's client ended, as the spec judges it.
func end(r *runEvidence) spec.ClientEnd {
	return spec.ClientEnd{Killed: r.proc.killed, Limit: r.proc.limit, Crash: r.proc.crash}
}

func judgeServerError(j *judgment) {
	r := j.run(scAll1003)
	if len(r.requests()) == 0 {
		j.lack(spec.R7_10, scAll1003, "a request, to answer 1003", "none")
		return
	}
	if v := spec.JudgeClientEnd(spec.R7_10, end(r)); v != nil {
		j.fail(v, scAll1003, nil)
	}
	if r.tmp != nil {
		if v := spec.JudgeNoFileOnError(spec.RestoredFile{Exists: true, Size: r.tmp.size}); v != nil {
			j.fail(v, scAll1003, nil)
		}
	}
}

// summary is what a run comes to, for comparing it with the canonical one.
func summary(r *runEvidence) spec.RunSummary {
	s := spec.RunSummary{Calls: scriptCalls(r, true)}
	if r.proc != nil {
		s.Exit = r.proc.exit
	}
	if c := r.tmpAtEnd; c != nil && c.err == nil {
		exact := c.Exists && c.Size == c.Payload && c.Mismatch < 0
		s.TmpExact = &exact
	}
	return s
}

func judgeSameRun(j *judgment, sc string, p spec.Pacing) {
	r := j.run(sc)
	if !slices.ContainsFunc(r.requests(), func(ex *exchange) bool { return ex.status != 0 }) {
		j.lack(spec.R7_5, sc, "a request answered in pieces", "none")
		if p == spec.SlowDrip {
			j.lacking.Req = spec.R7_12
		}
		return
	}
	// A response the client closed on before its end is the fault itself, whatever the
	// canonical run did.
	if p == spec.OneByteWrites {
		for _, ex := range r.requests() {
			if !ex.mustRead || spec.ShortStatus(ex.status) {
				continue
			}
			if v := spec.JudgeReadWhole(ex.status, ex.unread); v != nil {
				j.fail(v, sc, ex)
				return
			}
		}
	}
	if v := spec.JudgeSameRun(p, summary(j.run(scCanonical)), summary(r)); v != nil {
		canonical := j.run(scCanonical)
		if p == spec.SlowDrip && slices.ContainsFunc(r.requests(), func(ex *exchange) bool {
			return ex.mustRead && ex.unread != "" && (!spec.ShortStatus(ex.status) || readWholeIn(canonical, ex))
		}) {
			// A response left unread in the drip is what a client that reads a response with
			// one read does to any response in pieces: when the run shows that fault, this is
			// it met again (a timeout of the client's cannot be seen behind it). A 1001, 1002
			// or 1003 counts when the canonical run read it whole: one left unread at any pace
			// is misread (status/short-responses), not read in one read.
			j.failFrom(oneReadProblem, v, sc, nil)
		} else {
			j.fail(v, sc, nil)
		}
		j.describe(scCanonical)
	}
}

// readWholeIn reports whether run r read whole the answer to the request of ex's place in
// another run, and it had ex's status.
func readWholeIn(r *runEvidence, ex *exchange) bool {
	reqs := r.requests()
	return slices.ContainsFunc(reqs, func(c *exchange) bool {
		return c.n == ex.n && c.req.Op == ex.req.Op && c.status == ex.status && c.whole && c.unread == ""
	})
}

func judgeCloseNoAnswer(j *judgment) {
	r := j.run(scCloseNoAns)
	if len(r.requests()) == 0 {
		j.lack(spec.R7_11, scCloseNoAns, "a request, to leave unanswered", "none")
		return
	}
	if v := spec.JudgeClientEnd(spec.R7_11, end(r)); v != nil {
		j.fail(v, scCloseNoAns, nil)
	}
}

func judgeCutResponse(j *judgment) {
	judged := false
	for _, sc := range j.c.Scenarios {
		r := j.run(sc)
		ex := answered210(r, true)
		if ex == nil {
			continue
		}
		judged = true
		if v := spec.JudgeClientEnd(spec.R7_11, end(r)); v != nil {
			j.fail(v, sc, ex)
			return
		}
	}
	if !judged {
		j.lack(spec.R7_11, scShortPayload, "a RESTORE, to answer with a cut payload", "none")
	}
}

func judgeStalled(j *judgment) {
	r := j.run(scStall)
	if r.stall == nil {
		j.lack(spec.R7_12, scStall, "a request, to leave unanswered", "none")
		return
	}
	j.notef("the client let go of the stalled connection after %v", r.stall.held.Round(10*time.Millisecond))
	if v := spec.JudgeStall(r.stall.gaveUp, r.stall.held, j.cfg.StallLimit); v != nil {
		j.fail(v, scStall, nil)
	}
}

func judgeStalledEnds(j *judgment) {
	r := j.run(scStall)
	if r.stall == nil {
		j.lack(spec.R7_11, scStall, "a request, to leave unanswered", "none")
		return
	}
	if v := spec.JudgeClientEnd(spec.R7_11, end(r)); v != nil {
		j.fail(v, scStall, nil)
	}
}

// stepFailure says why a step of the run could not finish, as the scenario made it fail; ""
// when the scenario fails none and every request of the run got its scripted answer whole; "-"
// when it fails none and the run went otherwise: the client's own faults made it, and its exit
// status tells nothing then.
func stepFailure(r *runEvidence) string {
	switch r.sc.Name {
	case scAll1003:
		return "every request was answered 1003"
	case scCloseNoAns:
		return "every request met a close without an answer"
	case scStall:
		return "the server never answered the first request"
	}
	if r.sc.twist.of210() {
		ex := answered210(r, true)
		if ex == nil || r.tmp != nil {
			// Without the lie there is no failed step; with a tmp left, the client took the cut
			// payload for a whole file: its exit 0 follows from that fault, which
			// restore/short-payload judges.
			return "-"
		}
		return fmt.Sprintf("the RESTORE's 210 stated %d bytes and the server closed after %d", ex.statedSize, ex.sentBody)
	}
	reqs := r.requests()
	if spec.JudgeScript(scriptCalls(r, false), [2]string{r.sc.Files[0].Name, r.sc.Files[1].Name}) != nil {
		return "-"
	}
	for i, ex := range reqs {
		if !ex.whole || ex.unread != "" || !spec.ScriptAnswered(i, ex.status) {
			return "-"
		}
	}
	return ""
}

func judgeFilesLeft(j *judgment) {
	for _, sc := range j.c.Scenarios {
		r := j.run(sc)
		if len(r.requests()) == 0 {
			j.lack(spec.R7_8, sc, "a run with requests, to look at the files it left", "none")
			continue
		}
		cut := slices.ContainsFunc(r.requests(), func(ex *exchange) bool { return ex.status == uint16(wire.StatusRestored) && !ex.whole })
		var v *spec.Violation
		switch c := r.tmpAtEnd; {
		case cut:
			// A 210 the client closed on is another case's fault; what it left tells nothing more.
		case c != nil && c.err == nil:
			v = spec.JudgeRestoredFile("at the end of the run", c.RestoredFile)
		case c == nil && r.tmp != nil:
			v = spec.JudgeFileWithoutPayload(spec.RestoredFile{Exists: true, Size: r.tmp.size})
		}
		if v == nil {
			v = spec.JudgeWrittenElsewhere(r.elsewhere, "besides tmp, wrote")
		}
		if v != nil {
			j.fail(v, sc, answered210(r, false))
			return
		}
	}
}

func judgeExitStatus(j *judgment) {
	judged := false
	for _, sc := range j.c.Scenarios {
		r := j.run(sc)
		failed := stepFailure(r)
		if failed == "-" || len(r.requests()) == 0 || r.proc.killed || r.proc.crash != "" || r.proc.code < 0 {
			// A hang or a crash is a fault of its own, judged by the robust/ cases.
			continue
		}
		judged = true
		if v := spec.JudgeExitStatus(failed, r.proc.code); v != nil {
			j.fail(v, sc, nil)
			return
		}
	}
	if !judged {
		what := "a run whose steps the server failed, ended by the client itself"
		if j.c.Level == report.Should {
			what = "a run whose every step got the answer it expects, whole"
		}
		j.lack(spec.R7_14, j.c.Scenarios[0], what, "none")
	}
}

// hostileAnswer returns the run's first LIST answered with the hostile listing, or nil.
func hostileAnswer(r *runEvidence) *exchange {
	for _, ex := range r.requests() {
		if ex.status == uint16(wire.StatusListed) && ex.twist != "" {
			return ex
		}
	}
	return nil
}

func judgeHostileListing(j *judgment) {
	r := j.run(scHostileList)
	ex := hostileAnswer(r)
	if ex == nil {
		j.lack(spec.R7_11, scHostileList, "a LIST, to answer with hostile names", "none")
		return
	}
	if v := spec.JudgeClientEnd(spec.R7_11, end(r)); v != nil {
		j.fail(v, scHostileList, ex)
	}
}

func judgeEchoedControls(j *judgment) {
	r := j.run(scHostileList)
	ex := hostileAnswer(r)
	if ex == nil {
		j.lack(spec.R7_13, scHostileList, "a LIST, to answer with hostile names", "none")
		return
	}
	var found [][]byte
	for _, p := range planted {
		if r.proc.stdout.saw(p) || r.proc.stderr.saw(p) {
			found = append(found, p)
		}
	}
	if v := spec.JudgeEchoedControls(found); v != nil {
		j.fail(v, scHostileList, ex)
	}
}
