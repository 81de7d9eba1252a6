package servertest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Cases of SPEC §1-3: the status mapping, the exact field layout of every status, the byte
// stream (split writes, several requests on one connection) and concurrent clients.

func transportCases() []*Case {
	return []*Case{
		must("transport/status-mapping", rules(spec.R4_1, spec.R4_2, spec.R4_4), "the server uses the canonical status codes (else: which dialect it speaks)", transportStatusMapping),
		fieldsCase("transport/fields-212-backup", "212 after BACKUP carries name_len and filename, no size", wire.OpBackup, spec.HoldingUnknown,
			func(t *caseRun, u uint32) *reply { return t.backup(u, "f212", content.Bytes([]byte("x"))) }),
		fieldsCase("transport/fields-212-delete", "212 after DELETE carries name_len and filename, no size", wire.OpDelete, spec.HoldingStored,
			func(t *caseRun, u uint32) *reply {
				t.mustBackup(u, "d212", content.Bytes([]byte("x")))
				return t.delete(u, "d212")
			}),
		fieldsCase("transport/fields-210", "210 carries name_len, filename, size and payload, nothing after", wire.OpRestore, spec.HoldingStored,
			func(t *caseRun, u uint32) *reply {
				c := content.Bytes([]byte("payload"))
				t.mustBackup(u, "f210", c)
				return t.restore(u, "f210", &c)
			}),
		fieldsCase("transport/fields-211", "211 carries name_len, filename, size and the listing, nothing after", wire.OpList, spec.HoldingStored,
			func(t *caseRun, u uint32) *reply {
				t.mustBackup(u, "f211", content.Bytes([]byte("x")))
				return t.list(u)
			}),
		fieldsCase("transport/fields-1001", "1001 carries name_len and filename, no size", wire.OpRestore, spec.HoldingMissing,
			func(t *caseRun, u uint32) *reply { return t.restore(u, "f1001", nil) }),
		must("transport/fields-1002", rules(spec.R3_1, spec.R4_4), "1002 is 3 bytes in all", transportFields1002).with(checksLayout(spec.NoFiles)),
		must("transport/fields-1003", rules(spec.R3_1, spec.R5_2), "1003 is 3 bytes in all", transportFields1003).with(hostile, checksLayout(spec.ServerError)),
		info("transport/version-byte", rules(spec.R3_1), "the version byte of responses (the reference sends 1)", transportVersionByte),
		must("transport/split-writes", rules(spec.R1_1), "requests sent one byte per write are served as whole ones", transportSplitWrites).with(ownSteps),
		info("transport/keep-alive", rules(spec.R1_3), "several requests on one connection: served, or closed after the first", transportKeepAlive).with(ownSteps),
		must("transport/no-session", rules(spec.R1_3, spec.R4_5), "on a connection that served user A, user B's LIST and RESTORE are B's (1002, 1001, or 1003 and a close), never A's files", transportNoSession),
		must("transport/parallel-clients", rules(spec.R1_3, spec.R4_5), "clients running at once with distinct users all get correct answers", transportParallelClients).with(ownSteps, concurrently),
		must("transport/stalled-client", rules(spec.R5_3), "clients that stall mid-request do not keep others from being served", transportStalledClient).with(hostile, ownSteps, cutting),
		should("transport/stall-cut-off", rules(spec.R5_3), "a client stalled mid-request is disconnected by the server's read deadline (within -stall-cutoff)", transportStallCutOff).with(hostile),
		should("transport/concurrent-overwrite", rules(spec.R4_1, spec.R5_5), "concurrent overwrites of one file never yield a torn restore", transportConcurrentOverwrite).with(concurrently),
	}
}

// transportStatusMapping is case transport/status-mapping.
func transportStatusMapping(t *caseRun) {
	fp, failed := t.fingerprint()
	if failed != nil {
		key, owed := failed.noAnswer()
		t.judge(owed, key, failed, "answers to BACKUP, RESTORE and LIST", failed.String(), true)
	}
	want := spec.CanonicalFingerprint
	switch d := fp.Match(); {
	case d == spec.Canonical:
	case d != nil:
		t.judge(spec.R4_1, diagnosis.KeyStatusMap, nil, "the canonical mapping "+want.String(),
			fmt.Sprintf("dialect: %s (deviates from %v): %s", d.Name, d.Deviates, fp), false)
	default:
		t.judge(spec.R4_1, diagnosis.KeyFingerprint(fp), nil, "the canonical mapping "+want.String(), "an unknown mapping: "+fp.String(), false)
	}
}

// transportFields1002 is case transport/fields-1002.
func transportFields1002(t *caseRun) {
	r := t.list(t.newUser())
	t.checkList(r, spec.R3_1)
}

// transportFields1003 is case transport/fields-1003.
func transportFields1003(t *caseRun) {
	u := t.newUser()
	t.unknownOp(u, 7)
}

// unknownOp sends a request of op, which the spec does not define, as the spec writes it (6
// bytes), and judges its answer. A server the diagnosis found reading a name_len for every op
// that leaves it unanswered is sent it again with two zero bytes after it: answered 1003 then,
// the missing answer is that fault's, which LIST showed, not one of its own. Once shown, the
// case's later unknown ops carry the two bytes from the start: each would only wait out the
// timeout again, and with them what the server does with the op itself is tested.
func (t *caseRun) unknownOp(u uint32, op uint8) {
	label := fmt.Sprintf("unknown op %d, user %d", op, u)
	req := opRequest(u, wire.Version, op)
	if t.opNameLen {
		t.owed(t.roundtripBytes(label+", with two zero bytes after it (worked around)", append(req, 0, 0)), "", spec.HoldingUnknown)
		return
	}
	r := t.roundtripBytes(label, req)
	if !r.answered() && t.run.nameLenKey != "" {
		if again := t.roundtripBytes(label+", then two zero bytes", append(req, 0, 0)); again.is(spec.ServerError) {
			t.noAnswerAs = problemAs{spec.R5_2, t.run.nameLenKey}
			t.opNameLen = true
			defer func() { t.noAnswerAs = problemAs{} }()
		}
	}
	t.owed(r, "", spec.HoldingUnknown)
}

// transportVersionByte is case transport/version-byte.
func transportVersionByte(t *caseRun) {
	u := t.newUser()
	r := t.list(u)
	if r.Outcome != endAnswered {
		t.notef("LIST: %s", r)
		return
	}
	t.notef("responses carry version %d", r.Version)
}

// transportSplitWrites is case transport/split-writes.
func transportSplitWrites(t *caseRun) {
	u := t.newUser()
	body := []byte("sent one byte at a time")
	s := send{label: fmt.Sprintf("BACKUP user %d, one byte per write", u),
		head: append(backupHead(u, []byte("split"), int64(len(body))), body...), chunk: 1, pause: splitPause}
	if r := t.roundtrip(s, readSpec{}); !t.owed(r, spec.R1_1, spec.HoldingUnknown) {
		return
	}
	t.setStored(u, "split", true)
	c := content.Bytes(body)
	s = send{label: fmt.Sprintf("RESTORE user %d, one byte per write", u),
		head: nameRequest(u, wire.OpRestore, []byte("split")), chunk: 1, pause: splitPause}
	if r := t.roundtrip(s, readSpec{expect: &c}); !t.checkContent(r, spec.R1_1, "split", c) {
		return
	}
	s = send{label: fmt.Sprintf("LIST user %d, one byte per write", u), head: listRequest(u), chunk: 1, pause: splitPause}
	t.checkList(t.roundtrip(s, readSpec{maxPayload: t.run.cfg.MaxList}), spec.R1_1, "split")
}

// transportKeepAlive is case transport/keep-alive.
func transportKeepAlive(t *caseRun) {
	u := t.newUser()
	body := []byte("kept alive")
	reqs := []struct {
		label string
		req   []byte
	}{
		{"BACKUP", append(backupHead(u, []byte("ka"), int64(len(body))), body...)},
		{"LIST", listRequest(u)},
		{"RESTORE", nameRequest(u, wire.OpRestore, []byte("ka"))},
		{"DELETE", nameRequest(u, wire.OpDelete, []byte("ka"))},
	}
	c := t.mustDial()
	defer t.setStored(u, "ka", true) // cleanup deletes it if the DELETE was not served
	for i, q := range reqs {
		r := c.do(q.label+" on the shared connection", q.req)
		if r.Outcome != endAnswered {
			t.notef("served %d of %d requests on one connection, then: %s", i, len(reqs), r)
			return
		}
	}
	t.notef("served all %d requests on one connection", len(reqs))
}

// transportNoSession is case transport/no-session.
func transportNoSession(t *caseRun) {
	a, b := t.newUser(), t.newUser()
	t.mustBackup(a, "session.txt", content.Bytes([]byte("A's file")))
	c := t.mustDial()
	defer c.close()
	if _, ok := t.checkList(c.do(fmt.Sprintf("LIST user %d", a), listRequest(a)), spec.R4_4, "session.txt"); !ok {
		t.failNow()
	}
	// A server that reads the user of a connection's first request only serves B
	// as A: the state of one request shows in the next.
	r := c.do(fmt.Sprintf("LIST user %d on the connection of user %d", b, a), listRequest(b))
	switch {
	case r.Outcome != endAnswered && r.Outcome != endUndefined:
		t.notef("the server serves one request per connection (the second: %s): no request follows another's on it", r)
		return
	case r.is(spec.ServerError):
		t.notef("the server holds a connection to the user of its first request (1003 to another user's)")
		return
	case r.is(spec.ListOK) && r.PayloadRead:
		if got, err := spec.ParseListing(r.Payload); err == nil && slices.Contains(got, "session.txt") {
			// Shown on a connection of B's own too, it is no session but users not
			// kept apart: list/other-users-hidden's problem.
			if _, ok := t.checkList(t.list(b), spec.R4_4); !ok {
				t.failNow()
			}
			t.judge(spec.R1_3, sessionKey, r, "user B's own answer: "+t.dialect.DescribeCodes(spec.NoFiles, spec.ServerError),
				"user A's files: "+spec.QuoteNames(got), false)
			return
		}
	}
	t.checkList(r, spec.R4_4)
	r = c.do(fmt.Sprintf("RESTORE user %d of user %d's file on user %d's connection", b, a, a), nameRequest(b, wire.OpRestore, []byte("session.txt")))
	if r.is(spec.RestoreOK) {
		t.judge(spec.R1_3, sessionKey, r, "a refusal: user B has no such file", "user A's file", false)
	}
}

// transportParallelClients is case transport/parallel-clients.
func transportParallelClients(t *caseRun) {
	var wg sync.WaitGroup
	for i := range t.run.cfg.Clients {
		u := t.newUser()
		wg.Go(func() {
			a := content.Drawn(int64(10000+i), uint64(u))
			b := content.Bytes([]byte(fmt.Sprintf("client %d", i)))
			t.mustBackup(u, "a.bin", a)
			t.mustBackup(u, "b.txt", b)
			t.mustList(u, "a.bin", "b.txt")
			t.mustRestore(u, "a.bin", a)
			t.mustDelete(u, "b.txt")
			t.mustRestore(u, "a.bin", a)
			t.mustList(u, "a.bin")
		})
	}
	wg.Wait()
}

// transportStalledClient is case transport/stalled-client.
func transportStalledClient(t *caseRun) {
	if t.servesOneAtATime(false) {
		return
	}
	stalledUser := t.newUser()
	start := time.Now()
	// One stalls inside the header, one inside a payload.
	c1 := t.mustDial()
	c1.write(backupHead(stalledUser, []byte("stalled"), 100)[:3])
	c2 := t.mustDial()
	c2.write(append(backupHead(stalledUser, []byte("stalled"), 100), 1, 2, 3))
	u := t.newUser()
	c := content.Bytes([]byte("served while others stall"))
	// A request that gets no answer here is this case's rule broken, whatever
	// the request.
	t.noAnswerAs = problemAs{spec.R5_3, diagnosis.KeyStalledClients}
	t.mustBackup(u, "served", c)
	t.mustList(u, "served")
	t.mustRestore(u, "served", c)
	if rest := t.run.cfg.Stall - time.Since(start); rest > 0 {
		time.Sleep(rest)
	}
	c1.close()
	c2.close()
	waitMissing(t, stalledUser, "stalled")
}

// transportStallCutOff is case transport/stall-cut-off.
func transportStallCutOff(t *caseRun) {
	limit := t.run.cfg.StallCutoff
	if limit <= 0 {
		t.needFlag("-stall-cutoff", "DURATION", "the longest read deadline to accept",
			"a client stalled mid-request is dropped at the server's read deadline")
	}
	u := t.newUser()
	c := t.mustDial()
	head := backupHead(u, []byte("stalled"), 100)[:7]
	if err := c.write(head); err != nil {
		t.fatalf(spec.R5_3, nil, "the first bytes of a request to be accepted", "write failed: %v", err)
	}
	start := time.Now()
	c.c.SetReadDeadline(start.Add(limit))
	var b [64]byte
	n, err := c.c.Read(b[:])
	switch o := classify(err); {
	case n > 0:
		t.notef("the server answered the cut request with % x before closing", b[:n])
	case o == endTimeout:
		t.errorf(spec.R5_3, nil, fmt.Sprintf("the server to close a stalled connection within %v", limit),
			"the connection was still open after %v", time.Since(start).Round(time.Millisecond))
	default:
		t.notef("the server cut the stalled connection after %v (%s)", time.Since(start).Round(time.Millisecond), o)
	}
}

// transportConcurrentOverwrite is case transport/concurrent-overwrite.
func transportConcurrentOverwrite(t *caseRun) {
	// Overwrites at once cannot be had of a server that serves one at a time.
	t.servesOneAtATime(true)
	u := t.newUser()
	const size = 256 << 10
	versions := []content.Content{content.Bytes(bytes.Repeat([]byte{'A'}, size)), content.Bytes(bytes.Repeat([]byte{'B'}, size))}
	t.mustBackup(u, "contended", versions[0])
	var wg sync.WaitGroup
	done := make(chan struct{})
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for range 10 {
				t.mustBackup(u, "contended", versions[w])
			}
		})
	}
	go func() { writers.Wait(); close(done) }()
	var short atomic.Pointer[reply]
	for range 2 {
		wg.Go(func() {
			for range 400 {
				select {
				case <-done:
					return
				default:
				}
				r := t.restore(u, "contended", nil)
				if !t.owed(r, spec.R4_1, spec.HoldingStored) || r.cut() {
					return
				}
				if r.PayloadRead && len(r.Payload) != size {
					// Judged once the uploads are done: see shortDuringUploads.
					short.CompareAndSwap(nil, r)
					return
				}
				if !r.PayloadRead || (!bytes.Equal(r.Payload, versions[0].Literal) && !bytes.Equal(r.Payload, versions[1].Literal)) {
					t.judge(spec.R5_5, versionsMixed, r, fmt.Sprintf("one whole version of %d bytes, all A or all B", size),
						"a mix: "+describeMix(r.Payload), false)
					return
				}
			}
		})
	}
	wg.Wait()
	writers.Wait()
	if r := short.Load(); r != nil {
		t.shortDuringUploads(r, u, "contended", size, versions)
	}
}

// shortDuringUploads judges a RESTORE that, during uploads of one file at once, gave a payload
// of another size than every version's: a restore after the uploads tells a file stored wrong
// (the same size again: the content's fault, as every sequential restore shows it) from an
// upload that showed as the file before it had arrived whole (a whole version now: what came
// was the upload's first bytes, or an empty file it made before its payload came).
func (t *caseRun) shortDuringUploads(r *reply, u uint32, name string, size int, versions []content.Content) {
	got := fmt.Sprintf("size %d", len(r.Payload))
	after := t.restore(u, name, nil)
	if !after.is(spec.RestoreOK) || !after.PayloadRead || len(after.Payload) != size {
		t.judge(spec.R4_1, "content|size", r, fmt.Sprintf("size %d", size), got, false)
		return
	}
	for _, v := range versions {
		if bytes.HasPrefix(v.Literal, r.Payload) {
			t.judge(spec.R5_5, partialUploadKept, r, fmt.Sprintf("one whole version of %d bytes, as a restore after the uploads gives", size),
				got+": an upload not yet whole, shown as the file", false)
			return
		}
	}
	t.judge(spec.R5_5, versionsMixed, r, fmt.Sprintf("one whole version of %d bytes, all A or all B", size), "a mix: "+describeMix(r.Payload), false)
}

// versionsMixed is the key of a RESTORE that, during uploads of one file at once, gave no one
// version whole.
var versionsMixed = spec.ProblemKey(&spec.Violation{Req: spec.R5_5, Check: spec.CheckVersionsMixed})

// sessionKey is the problem of a server that serves a connection's later requests as the user
// of its first.
const sessionKey = string(spec.R1_3) + "|session"

// describeMix says where a restored payload switches between byte values, e.g.
// "A at 0-4095, B at 4096-262143".
func describeMix(p []byte) string {
	var parts []string
	for i := 0; i < len(p) && len(parts) < 6; {
		j := i
		for j < len(p) && p[j] == p[i] {
			j++
		}
		parts = append(parts, fmt.Sprintf("%q at %d-%d", p[i], i, j-1))
		i = j
	}
	return strings.Join(parts, ", ")
}

// fieldsCase builds a case that provokes the answer to an op, for a server that holds h of its
// file, and checks its layout byte for byte: the runner reads exactly the fields the status
// carries, then waits for anything more.
func fieldsCase(id, desc string, op wire.Op, h spec.Holding, provoke func(t *caseRun, u uint32) *reply) *Case {
	return must(id, rules(spec.R3_1), desc, func(t *caseRun) {
		r := provoke(t, t.newUser())
		// The status is its own rule's business: a wrong one blocks this case, which checks
		// only the layout.
		if !t.owed(r, "", h) {
			t.failNow()
		}
		if r.Fields.Has(wire.HasPayload) && !r.PayloadRead && !r.cut() {
			t.judge(spec.R3_1, "content|size", r, "a payload the size field states", fmt.Sprintf("size %d", r.Size), false)
		}
	}).with(checksLayout(spec.Owes(spec.Request{Op: op}, h).Meanings...))
}

// splitPause separates the one-byte writes of transport/split-writes, so that the bytes
// arrive in separate segments and the server's reads see them apart.
const splitPause = 2 * time.Millisecond

// opRequest is a 6-byte request prefix with any op and version.
func opRequest(user uint32, version, op uint8) []byte {
	h := wire.RawRequest{UserID: user, Version: version, Op: op}
	return h.Append(nil)
}
