package diagnosis

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// wholeAnyFraming reports whether got needs nothing more: a whole response as any candidate
// framing reads it, or bytes that no framing makes a response of.
func wholeAnyFraming(got []byte) bool {
	truncated := false
	for _, p := range framingCandidates(got) {
		as, rest := p.parse(got)
		if len(as) > 0 {
			return true
		}
		if !rest.unknown {
			truncated = true
		}
	}
	return !truncated
}

// framingStep is one more thing the framing probe does when a LIST is not answered.
type framingStep struct {
	label      string
	bytes      []byte
	wait       time.Duration
	p          Profile
	id, why    string
	workaround string
}

// confirmFraming tries the ways of sending a LIST of steps in order, each on a connection of
// its own with the whole timeout, and returns the index of the first answered, with its
// capture, or -1.
func (d *diagnoser) confirmFraming(ctx context.Context, steps []framingStep) (int, *capture) {
	for i, st := range steps {
		writes, _ := st.p.Writes(listReq(newUser()), wire.OpList, 0)
		c := d.exchange(ctx, probe{label: "LIST, " + st.label, writes: writes, halfClose: st.p.HalfClose, whole: wholeAnyFraming})
		d.log("confirming %s: %s", c.label, c.outcome())
		if len(c.got) > 0 {
			return i, c
		}
		if ctx.Err() != nil {
			break
		}
	}
	return -1, nil
}

// framing sends a LIST as the spec writes it and, when nothing answers, goes on on the same
// connection: two zero bytes more (a server that reads a name_len for every op), zeros up to
// 1024 bytes (one that reads fixed frames), then a half-close (one that reads to the end of the
// stream). Each step waits less than the first. The connection stays open all along, so that a
// server that dies of a client leaving mid-request is not killed by the probe. An answer that
// comes after a later step may be a slow answer to an earlier one, so the steps are confirmed
// one by one on connections of their own before any is taken. It works out how
// the server reads requests and frames its answers, and reports whether the other probes can go
// on.
func (d *diagnoser) framing(ctx context.Context) bool {
	list := listReq(newUser())
	dl := net.Dialer{Timeout: d.cfg.Timeout}
	d.probes++
	nc, err := dl.DialContext(ctx, "tcp", d.addr())
	if err != nil {
		d.add(Finding{ID: "nothing-listens", Level: report.Must, Fatal: true, Key: string(spec.R1_1) + "|nothing-listens", Summary: fmt.Sprintf("nothing accepts connections on %s", d.addr()), Finding: report.Finding{Requirement: spec.R1_1, Detail: err.Error(), Expected: "a server accepting TCP connections", Actual: err.Error()}})
		return false
	}
	defer nc.Close()
	// Each connection the probe opens is cut when ctx ends; the function sees its own.
	cut := func(c net.Conn) func() bool {
		return context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	}
	stop := cut(nc)
	defer func() { stop() }()
	follow := min(d.cfg.Timeout, time.Second)
	// The two bytes are the common case, and a slow server's answer to them takes as long as
	// its answer to anything: a shorter wait would take that answer for one to the zeros that
	// follow, which a server that dies on an unknown op dies of.
	twoBytes := d.cfg.Timeout
	steps := []framingStep{
		{label: "LIST (6 bytes)", bytes: list, wait: d.cfg.Timeout},
		{label: "then two zero bytes", bytes: []byte{0, 0}, wait: twoBytes, p: Profile{ListSuffix: []byte{0, 0}}, id: "list-needs-name-len",
			why:        "LIST is answered only when two more bytes follow it: the server reads a name_len for every op, LIST included",
			workaround: "LIST is sent with two zero bytes after it"},
		{label: "then zeros up to 1024 bytes", bytes: make([]byte, 1024-len(list)-2), wait: follow, p: Profile{FrameSize: 1024}, id: "fixed-frames",
			why:        "requests are answered only once 1024 bytes have arrived: the server reads fixed 1024-byte frames, not FBP's lengths",
			workaround: "every request is padded with zeros to 1024 bytes (a BACKUP that does not fit cannot be tested)"},
		{label: "then the sending side closed", wait: follow, p: Profile{HalfClose: true}, id: "needs-half-close",
			why:        "requests are answered only once the client closes its sending side: the server reads until the end of the stream",
			workaround: "the sending side is closed after every request (keep-alive cannot be tested)"},
	}
	var tried []string
	closedBy := 0 // steps the server ended by closing, before any half-close of ours
	c := &capture{label: "LIST"}
	for k, st := range steps {
		if k > 0 && c.end != endTimeout {
			// The server closed the connection while it waited for more (its read deadline,
			// say): the rest goes on a connection of its own, all at once, as a client that
			// sends it so would.
			d.probes++
			if nc, err = dl.DialContext(ctx, "tcp", d.addr()); err != nil {
				break
			}
			defer nc.Close()
			stop()
			stop = cut(nc)
			sent := c.sent
			c = &capture{label: c.label}
			if _, err := nc.Write(sent); err != nil {
				c.err = err
			}
			c.sent = sent
		}
		_ = nc.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
		if len(st.bytes) > 0 {
			if _, err := nc.Write(st.bytes); err != nil {
				c.err = err
			}
			c.sent = append(c.sent, st.bytes...)
		}
		if st.p.HalfClose {
			if tc, ok := nc.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}
		tried = append(tried, st.label)
		c.label = strings.Join(tried, ", ")
		c.got, c.end = nil, ""
		// An answer ends the probe on this connection, whichever step it follows (a later
		// step's is confirmed on connections of their own): it is left once whole.
		d.read(nc, c, probe{whole: wholeAnyFraming, wait: st.wait, leave: true, halfClose: st.p.HalfClose})
		d.log("%s: %s", c.label, c.outcome())
		if (c.end == endClosed || c.end == endReset) && !st.p.HalfClose {
			closedBy++
		}
		if len(c.got) > 0 {
			if k == 0 {
				return d.firstAnswer(c, Profile{})
			}
			// The answer may be a slow server's late answer to an earlier step: each way of
			// sending up to this one is tried on a connection of its own, with the whole
			// timeout, and the first that is answered is taken. This connection is done with
			// first: a server that serves one connection at a time would not serve another.
			nc.Close()
			at, took := d.confirmFraming(ctx, steps[1:k+1])
			if at < 0 {
				d.log("%s: not confirmed: a late answer", st.label)
				c.end = endTimeout
				break
			}
			if at+1 != k {
				st, c = steps[at+1], took
			}
			alone := fmt.Sprintf("no answer within %v", d.cfg.Timeout)
			d.add(Finding{ID: st.id, Level: report.Must, Key: KeyNoAnswer(wire.OpList, string(endTimeout)), Summary: st.why, Workaround: st.workaround, Finding: report.Finding{Requirement: spec.R2_1, Detail: fmt.Sprintf("LIST alone (%s): %s; %s: %s", bytesLabel(list), alone, st.label, describeBytes(c.got)), Expected: "an answer to the 6-byte LIST", Actual: alone, Exchange: c.row()}})
			return d.firstAnswer(c, st.p)
		}
		if ctx.Err() != nil {
			return false
		}
	}
	id, why := "no-answer", fmt.Sprintf("the server accepts connections but answers nothing within %v, however a LIST is sent", d.cfg.Timeout)
	if closedBy == len(steps)-1 {
		// Every way of asking ended with the server closing (a close after the client's own
		// half-close is the server leaving too): closing is its answer.
		id, why = "closes-without-answer", fmt.Sprintf("the server closes the connection without answering a LIST (%s)", d.howItEnded(c))
	}
	d.add(Finding{ID: id, Level: report.Must, Fatal: true, Key: KeyNoAnswer(wire.OpList, string(c.end)), Summary: why, Finding: report.Finding{Requirement: spec.R1_3, Detail: fmt.Sprintf("sent %s: %s", c.label, d.howItEnded(c)), Expected: "an answer to a LIST", Actual: d.howItEnded(c), Exchange: c.row()}})
	return false
}

// firstAnswer reads the first answer the server gave, to a LIST of a new user sent as base
// speaks, and works out how its responses are framed. It reports whether the probes go on.
func (d *diagnoser) firstAnswer(c *capture, base Profile) bool {
	spread := c.last - c.first
	if len(c.got) > 0 && spread >= 500*time.Millisecond && float64(len(c.got))/spread.Seconds() < 1024 {
		d.add(Finding{ID: "drips", Level: report.Must, Fatal: true, Key: string(spec.R1_3) + "|drips", Summary: fmt.Sprintf("the server sends its answers a few bytes at a time: %d bytes took %v, too slow for a file of any size to be tested within the timeout",
			len(c.got), spread.Round(10*time.Millisecond)), Finding: report.Finding{Requirement: spec.R1_3, Detail: fmt.Sprintf("%s: %s", c.label, c.outcome()), Expected: "an answer at the speed of the network", Actual: fmt.Sprintf("%d bytes over %v", len(c.got), spread.Round(10*time.Millisecond)), Exchange: c.row()}})
		return false
	}
	p, as, _, ok := readAs(c.got, base, anyStatus)
	if !ok {
		what := looksLike(c.got)
		if what == "" {
			what = "bytes that are no FBP response: " + describeBytes(c.got)
		}
		d.add(Finding{ID: "not-fbp", Level: report.Must, Fatal: true, Key: string(spec.R1_1) + "|not-fbp", Summary: "the server does not speak FBP: its answer to a LIST is " + what, Finding: report.Finding{Requirement: spec.R1_1, Detail: fmt.Sprintf("%s: %s", c.label, c.outcome()), Expected: "a response: version 1, then a status of SPEC §3", Actual: describeBytes(c.got), Exchange: c.row()}})
		return false
	}
	if p.ResponsePrefix > 0 {
		d.add(Finding{ID: "length-prefix", Level: report.Must, Key: KeyLengthPrefix, Summary: fmt.Sprintf("every response starts with %s-byte length of its own before FBP's version byte", words.A(p.ResponsePrefix)), Workaround: fmt.Sprintf("the %d-byte length before each response is dropped", p.ResponsePrefix), Finding: report.Finding{Requirement: spec.R3_1, Detail: fmt.Sprintf("%s: %s; without the first %d bytes: %s", c.label, describeBytes(c.got), p.ResponsePrefix, as[0].String()), Expected: "a response starting with version 1", Actual: describeBytes(c.got), Exchange: c.row()}})
	}
	if p.StatusBigEndian {
		d.add(Finding{ID: "status-byte-order", Level: report.Must, Key: KeyByteOrder, Summary: fmt.Sprintf("the status is written big-endian: %d arrives as bytes %02x %02x; FBP's numbers are little-endian", as[0].Status, byte(as[0].Status>>8), byte(as[0].Status)), Workaround: "the status is read big-endian", Finding: report.Finding{Requirement: spec.R1_1, Detail: fmt.Sprintf("%s: %s", c.label, describeBytes(c.got)), Expected: fmt.Sprintf("status bytes %02x %02x", byte(as[0].Status), byte(as[0].Status>>8)), Actual: fmt.Sprintf("%02x %02x", byte(as[0].Status>>8), byte(as[0].Status)), Exchange: c.row()}})
	}
	if v := as[0].Version; v != wire.Version {
		d.add(Finding{ID: "version-byte", Level: report.Info, Key: string(spec.R3_1) + "|version", Summary: fmt.Sprintf("responses carry version %d (the reference sends 1)", v), Finding: report.Finding{Requirement: spec.R3_1, Detail: fmt.Sprintf("%s: %s", c.label, describeBytes(c.got)), Expected: "version 1", Actual: fmt.Sprintf("version %d", v)}})
	}
	// Bytes after the answer are judged once the status mapping is known (a 212 carries a
	// listing in one mapping and none in the other).
	d.first = c
	d.res.Profile = p
	return true
}

// trailing reports bytes after the last whole answer of c.
func (d *diagnoser) trailing(c *capture, as []answer, rest parsed) {
	if len(as) == 0 || len(rest.rest) == 0 {
		return
	}
	last := as[len(as)-1]
	if d.res.Finding(fmt.Sprintf("trailing-%d", last.Status)) != nil {
		return
	}
	what := fmt.Sprintf("%d more bytes after status %d's fields: % x", len(rest.rest), last.Status, rest.rest[:min(len(rest.rest), 16)])
	switch {
	case allZero(rest.rest) && len(c.got) >= 512:
		what = fmt.Sprintf("status %d padded with %d zero bytes (the answer is %d bytes in all)", last.Status, len(rest.rest), len(c.got))
	case len(rest.rest) == 4 && !last.Fields.Has(wire.HasPayload) && last.Fields.Has(wire.HasName):
		what = fmt.Sprintf("status %d carries a 4-byte size field (% x) after its filename, which it must not", last.Status, rest.rest)
	case len(rest.rest) == 6 && last.Fields == 0:
		what = fmt.Sprintf("status %d carries name_len and size fields (% x) after it: 9 bytes instead of 3", last.Status, rest.rest)
	}
	d.add(Finding{ID: fmt.Sprintf("trailing-%d", last.Status), Level: report.Must, Key: KeyTrailing(last.Status), Summary: what, Finding: report.Finding{Requirement: spec.R3_1, Detail: fmt.Sprintf("%s: %s", c.label, describeBytes(c.got)), Expected: fmt.Sprintf("status %d to end after its own fields", last.Status), Actual: fmt.Sprintf("%d bytes more", len(rest.rest)), Exchange: c.row()}})
}

// operations backs up, restores, restores a missing file and lists, as the profile speaks,
// and works out how a BACKUP must be sent, the status mapping, and the layout of 210 and
// 1001. It reports whether the probes go on.
func (d *diagnoser) operations(ctx context.Context) bool {
	p := d.res.Profile
	u := newUser()
	name := "fbp-doctor-" + spec.RandomName(8)
	body := []byte("fbp doctor probe: \x00\r\n\xff end\n")
	req, hl := backupReq(u, name, body)
	backup := d.run(ctx, &p, "BACKUP in one write", req, wire.OpBackup, hl, 1)
	if len(backup.got) == 0 && backup.end != endRefused {
		split := p
		split.SplitBackup = true
		apart := d.run(ctx, &split, "BACKUP, header and payload in separate writes", req, wire.OpBackup, hl, 1)
		if len(apart.got) > 0 {
			d.add(Finding{ID: "backup-payload-dropped", Level: report.Must, Key: KeySplitBackup, Summary: "a BACKUP is answered only when its payload arrives apart from its header: the server drops the payload bytes that come in the same read as the header (TCP is a stream, not messages)", Workaround: "a BACKUP's payload is sent in a write of its own, after its header", Finding: report.Finding{Requirement: spec.R1_1, Detail: fmt.Sprintf("BACKUP in one write: %s; header, then payload %v later: %s", d.howItEnded(backup), splitPause, describeBytes(apart.got)), Expected: "an answer to a BACKUP sent in one write", Actual: d.howItEnded(backup), Exchange: backup.row()}})
			p, backup = split, apart
		}
	}
	if len(backup.got) == 0 {
		d.add(Finding{ID: "backup-not-answered", Level: report.Must, Key: KeyNoAnswer(wire.OpBackup, string(backup.end)), Blocks: []wire.Op{wire.OpBackup}, Summary: "a BACKUP is not answered, however it is sent: " + d.howItEnded(backup), Finding: report.Finding{Requirement: spec.R1_3, Detail: fmt.Sprintf("%s: %s", backup.label, backup.outcome()), Expected: "an answer to a BACKUP", Actual: d.howItEnded(backup), Exchange: backup.row()}})
		d.res.Profile = p
		return true
	}
	restore := d.run(ctx, &p, "RESTORE of the file just stored", nameReq(u, wire.OpRestore, name), wire.OpRestore, 0, 1)
	missingName := "fbp-doctor-missing-" + spec.RandomName(8)
	missing := d.run(ctx, &p, "RESTORE of a name never stored", nameReq(u, wire.OpRestore, missingName), wire.OpRestore, 0, 1)
	list := d.run(ctx, &p, "LIST of a user with one file", listReq(u), wire.OpList, 0, 1)
	d.run(ctx, &p, "DELETE of the file stored", nameReq(u, wire.OpDelete, name), wire.OpDelete, 0, 1)
	for _, c := range []*capture{restore, missing, list} {
		d.latency = max(d.latency, c.first)
	}
	if d.latency > slowAnswer {
		d.add(Finding{ID: "slow-answers", Level: report.Info, Key: string(spec.R1_3) + "|slow", Summary: fmt.Sprintf("answers take up to %v to begin: cases that make many requests are slow, and a run may reach its deadline (-deadline)", d.latency.Round(10*time.Millisecond)), Finding: report.Finding{Requirement: spec.R1_3, Detail: fmt.Sprintf("first bytes of the answers to a RESTORE, a RESTORE of a missing file and a LIST after %v, %v and %v", restore.first.Round(time.Millisecond), missing.first.Round(time.Millisecond), list.first.Round(time.Millisecond)), Expected: "answers within a fraction of a second", Actual: d.latency.Round(10 * time.Millisecond).String()}})
	}

	// The status mapping first: it says how every answer is laid out.
	fp := spec.Fingerprint{Backup: firstCode(&p, backup), Restore: firstCode(&p, restore), Missing: firstCode(&p, missing), List: firstCode(&p, list)}
	d.res.Fingerprint = fp
	switch m := fp.Match(); {
	case m == spec.Canonical:
	case m != nil:
		d.add(Finding{ID: "status-map-" + m.Name, Level: report.Must, Key: KeyStatusMap, Summary: fmt.Sprintf("the server speaks the status map of %s (%s), not SPEC §3's (%s)", m.Name, fp, spec.CanonicalFingerprint), Workaround: fmt.Sprintf("answers are read by the %s mapping", m.Name), Finding: report.Finding{Requirement: m.Deviates[0], Detail: "answers to a BACKUP, a RESTORE, a RESTORE of a missing file and a LIST: " + fp.String(), Expected: spec.CanonicalFingerprint.String(), Actual: fp.String()}})
		p.Dialect = m
	case fp.Backup != 0 && fp.Backup == fp.Restore && fp.Backup == fp.Missing && fp.Backup == fp.List:
		d.add(Finding{ID: "same-status-for-everything", Level: report.Must, Key: KeyStatusMap, Summary: fmt.Sprintf("the server answers every request with status %d: a BACKUP, a RESTORE, a RESTORE of a missing file and a LIST alike", fp.Backup), Finding: report.Finding{Requirement: spec.R4_1, Detail: "answers to a BACKUP, a RESTORE, a RESTORE of a missing file and a LIST: " + fp.String(), Expected: spec.CanonicalFingerprint.String(), Actual: fp.String()}})
	case differ(fp, spec.CanonicalFingerprint) >= 2:
		// One wrong status is a case's failure; a map of its own changes several.
		d.add(Finding{ID: "status-map-unknown", Level: report.Must, Key: KeyStatusMap, Summary: fmt.Sprintf("the server answers with a status map of its own: %s, where SPEC §3 has %s", fp, spec.CanonicalFingerprint), Finding: report.Finding{Requirement: spec.R4_1, Detail: "answers to a BACKUP, a RESTORE, a RESTORE of a missing file and a LIST: " + fp.String(), Expected: spec.CanonicalFingerprint.String(), Actual: fp.String()}})
	}
	// The order of the fields next: every answer is read by it, and an answer read in the
	// wrong order shows bytes after it, or a name that is not the one asked for.
	d.responseFormat(&p, []expectation{{c: d.first}, {c: backup, name: name}, {c: restore, name: name, payload: body},
		{c: missing, name: missingName}, {c: list}})
	for _, c := range []*capture{d.first, backup, restore, missing, list} {
		as, rest := p.parse(c.got)
		d.trailing(c, as, rest)
	}
	d.cutResponse(backup, &p, name, nil)
	d.cutResponse(missing, &p, missingName, func() *capture {
		known := p
		known.Dialect = p.dialect()
		return d.run(ctx, &known, missing.label+", again", nameReq(u, wire.OpRestore, missingName), wire.OpRestore, 0, 1)
	})
	d.res.Profile = p
	return true
}

// differ counts the codes a and b do not share, of those both have.
func differ(a, b spec.Fingerprint) int {
	n := 0
	for i, x := range []uint16{a.Backup, a.Restore, a.Missing, a.List} {
		y := []uint16{b.Backup, b.Restore, b.Missing, b.List}[i]
		if x != 0 && y != 0 && x != y {
			n++
		}
	}
	return n
}

// firstCode is the status of the first answer in c, 0 if none.
func firstCode(p *Profile, c *capture) uint16 {
	h, _ := p.ReadHead(bytes.NewReader(c.got), func(uint16) (wire.Fields, bool) { return 0, false })
	return h.Status
}

// expectation is an answer of the diagnosis and what it must hold, read in the right order:
// the name asked for (of a status that carries one), the content stored.
type expectation struct {
	c       *capture
	name    string
	payload []byte
}

// readsWell reports whether p reads the answer of e as one whole response, nothing after it,
// naming what e asked for.
func (p *Profile) readsWell(e expectation) bool {
	as, rest := p.parse(e.c.got)
	if len(as) != 1 || len(rest.rest) > 0 {
		return false
	}
	a := as[0]
	if e.name != "" && a.Fields.Has(wire.HasName) && string(a.Name) != e.name {
		return false
	}
	return e.payload == nil || !p.dialect().Means(a.Status, spec.RestoreOK) || bytes.Equal(a.payload, e.payload)
}

// responseFormat finds the order in which the server writes the fields of its answers: the
// one of spec.Formats that reads the most of them well, SPEC §3's when it reads as many as any.
// A format other than SPEC §3's is a finding, and the run reads by it; when no answer came,
// nothing is seen, and the run reads by the order its dialect documents.
func (d *diagnoser) responseFormat(p *Profile, es []expectation) {
	best, bestN := spec.FormatSpec, 0
	for _, f := range spec.Formats {
		q := *p
		q.Format, q.FormatSeen = f, true
		n := 0
		for _, e := range es {
			if len(e.c.got) > 0 && q.readsWell(e) {
				n++
			}
		}
		if n > bestN {
			best, bestN = f, n
		}
	}
	if bestN == 0 {
		return
	}
	p.Format, p.FormatSeen = best, true
	if best == spec.FormatSpec {
		return
	}
	// The evidence is an answer the order moves, one that names its file if any does: the
	// name shows where the size went.
	var shown *capture
	for _, e := range es {
		if a, _ := p.parse(e.c.got); len(a) > 0 && best.Moves(a[0].Fields) && (shown == nil || e.name != "" && a[0].Fields.Has(wire.HasName)) {
			shown = e.c
			if e.name != "" && a[0].Fields.Has(wire.HasName) {
				break
			}
		}
	}
	f := Finding{ID: "size-before-name", Level: report.Must, Key: KeyFieldOrder, Finding: report.Finding{Requirement: spec.R3_1, Expected: "responses laid out " + spec.FormatSpec.String() + ", each status with its own fields only", Actual: "responses laid out " + best.String()}}
	switch best {
	case spec.FormatSizeFirst:
		f.Summary = "responses that carry a payload (210, 211 in SPEC §3) put their size right after the status, before name_len and the filename; SPEC §3 puts it after the filename"
		f.Workaround = "the size of a response with a payload is read before its filename"
	case spec.FormatFixedHeader:
		f.Summary = "every response carries a size before its filename, whatever its status: version, status, name_len, size, filename (one fixed 9-byte header); SPEC §3 puts the size after the filename, and only in 210 and 211"
		f.Workaround = "every response is read as name_len, size, filename; a size its status has no room for is dropped"
	}
	if shown != nil {
		f.Detail = fmt.Sprintf("%s: %s; read in that order, every answer of the diagnosis is whole and names its file", shown.label, describeBytes(shown.got))
		f.Exchange = shown.row()
	}
	d.add(f)
}

// cutResponse reports an answer that ends before its status's fields do, such as a 1001 with
// a name_len and no filename, whether the server then closes or sends nothing more.
//
// Before the mapping was known, an answer was whole when some mapping's layout made it so:
// seed 003's 1001 is 3 bytes, so a cut 1001 looked whole and the probe stopped reading.
// again, if set, asks once more, read by the server's mapping, to tell a cut answer from one
// whose rest had not come yet.
func (d *diagnoser) cutResponse(c *capture, p *Profile, name string, again func() *capture) {
	cut := func(c *capture) (parsed, bool) {
		as, rest := p.parse(c.got)
		return rest, len(as) == 0 && !rest.unknown && rest.cut.StatusRead
	}
	rest, ok := cut(c)
	if ok && c.end == endQuiet && again != nil {
		c = again()
		rest, ok = cut(c)
	}
	if !ok || (c.end != endClosed && c.end != endTimeout) {
		return
	}
	code := rest.cut.Status
	if d.res.Finding(fmt.Sprintf("cut-%d", code)) != nil {
		return
	}
	then := "the connection closes"
	if c.end == endTimeout {
		then = fmt.Sprintf("nothing more comes within %v", d.cfg.Timeout)
	}
	what := fmt.Sprintf("status %d ends after %d bytes, before its fields do, and %s", code, len(rest.rest), then)
	if rest.cut.Fields.Has(wire.HasName) && rest.cut.NameLen > 0 && len(rest.cut.Name) == 0 {
		what = fmt.Sprintf("status %d carries a name_len (%d) but no filename bytes, then %s", code, rest.cut.NameLen, then)
	}
	d.add(Finding{ID: fmt.Sprintf("cut-%d", code), Level: report.Must, Key: KeyCut(code), Summary: what, Finding: report.Finding{Requirement: spec.R3_1, Detail: fmt.Sprintf("%s: %s", c.label, describeBytes(c.got)), Expected: fmt.Sprintf("status %d naming %q", code, name), Actual: describeBytes(c.got), Exchange: c.row()}})
}

// smuggling sends, on one connection, a BACKUP refused for its name whose payload is itself a
// request, then a LIST: a server that does not read the refused BACKUP's payload answers the
// request inside it.
func (d *diagnoser) smuggling(ctx context.Context) {
	p := d.res.Profile
	if d.res.Blocked(wire.OpBackup) != nil || p.HalfClose || p.FrameSize > 0 {
		return
	}
	inner := "fbp-doctor-smuggled-" + spec.RandomName(8)
	outer, hl := backupReq(newUser(), "fbp/doctor", nameReq(newUser(), wire.OpRestore, inner))
	w1, err := p.Writes(outer, wire.OpBackup, hl)
	if err != nil {
		return
	}
	w2, _ := p.Writes(listReq(newUser()), wire.OpList, 0)
	d.probes++
	c := d.exchange(ctx, probe{label: "BACKUP of \"fbp/doctor\" whose payload is a RESTORE request, then a LIST, on one connection",
		writes: append(w1, w2...), pause: splitPause, whole: wholeResponses(&p, 2)})
	d.log("%s: %s", c.label, c.outcome())
	as, _ := p.parse(c.got)
	smuggled := false
	for _, a := range as {
		smuggled = smuggled || string(a.Name) == inner
	}
	if !smuggled && len(as) < 3 {
		return
	}
	var seen []string
	for _, a := range as {
		seen = append(seen, a.String())
	}
	d.add(Finding{ID: "refused-payload-read-as-request", Level: report.Must, Key: KeySmuggling, Summary: "a BACKUP refused for its name leaves its payload unread, and the server reads that payload as the next request on the connection: a client can smuggle requests in a file", Finding: report.Finding{Requirement: spec.R2_3, Detail: fmt.Sprintf("answers: %v (the payload was a RESTORE of %q)", seen, inner), Expected: "1003 for the BACKUP, then the answer to the LIST", Actual: fmt.Sprint(seen), Exchange: c.row()}})
}

// concurrency stalls clients before their LIST, 1, 2, 4 and 8 of them, and checks each time
// that another client is served: a server that serves too few connections at once is held up
// by clients that stall. A stalled client sends nothing: a server that takes whatever its
// first read returns for the header is held by a silent client, not by one that sent a few
// bytes.
//
// The verdict rests on events, not on how soon the answer comes: a loaded machine can hold an
// answer for seconds. An answer while the server still holds every stalled client open is a
// server that serves them at once; one that comes only after the server closed a stalled client
// (its read deadline) is a server that was held by it; no answer at all within the bound, which
// is never less than the run's whole timeout, is one that is held.
func (d *diagnoser) concurrency(ctx context.Context) {
	defer func() {
		if ctx.Err() == nil {
			d.res.ConcurrencyProbed = true
		}
	}()
	p := d.res.Profile
	if p.HalfClose {
		return
	}
	full, err := p.Writes(listReq(newUser()), wire.OpList, 0)
	if err != nil {
		return
	}
	// A slow server is given time to answer at its own pace: the wait its latency asks for
	// (after which a test is told of the miss), then on to the bound.
	wait := AnswerWait(d.cfg.Timeout, d.latency)
	bound := max(d.cfg.Timeout, 2*wait)
	for _, k := range []int{1, 2, 4, 8} {
		var c *capture
		held := false
		// A stalled client closed by the time its LIST is sent was closed before the answer
		// came, or just after it: one look cannot tell a server freed by its read deadline
		// from one that serves many and whose deadline fell then; a second look, with clients
		// stalled afresh, can.
		for look := 0; look < 2 && !held; look++ {
			var ok bool
			if c, held, ok = d.beside(ctx, k, full, &p, wait, bound); !ok || ctx.Err() != nil {
				return
			}
			if len(c.got) == 0 {
				break
			}
			if !held {
				d.log("%s: answered, but a stalled client was closed by then: looked at again", c.label)
			}
		}
		if held {
			if c.late {
				d.log("%s: answered after %v, with the stalled clients still held: served beside them", c.label, c.first.Round(time.Millisecond))
			}
			continue
		}
		d.res.Served = k
		f := Finding{ID: "serves-few-connections", Level: report.Info, Key: KeyStalledClients, Summary: fmt.Sprintf("the server serves at most %d connections at once: %d clients that connect and stall keep every other client waiting", k, k), Workaround: fmt.Sprintf("at most %d cases run at once", max(1, k-1)), Finding: report.Finding{Requirement: spec.R5_3, Detail: fmt.Sprintf("a LIST on a new connection while %s: %s", stallers(k), unserved(c, bound)), Expected: "an answer to a LIST while others stall", Actual: unserved(c, bound), Exchange: c.row()}}
		if k == 1 {
			f.ID, f.Level = "serves-one-at-a-time", report.Must
			f.Summary = "the server serves one connection at a time: a client that connects and stalls keeps every other client waiting"
			f.Workaround = "cases run one at a time"
		}
		d.add(f)
		d.res.Profile.Serial = true
		return
	}
}

// beside stalls k clients, sends a LIST on a connection of its own and reads its answer for up
// to bound, then finishes the stalled clients' own LISTs. held reports that the LIST was
// answered and that every stalled client was answered after it: a connection the server
// serves after the answer is one it held open when it answered. ok is false when the stalled
// clients could not connect.
func (d *diagnoser) beside(ctx context.Context, k int, full [][]byte, p *Profile, wait, bound time.Duration) (c *capture, held, ok bool) {
	stalled := make([]net.Conn, 0, k)
	defer func() {
		// The stalled clients finish their LIST before they leave: a server that dies on a
		// client leaving early is the crash probes' business.
		if !d.finishStalled(stalled, p) {
			held = false
		}
	}()
	for len(stalled) < k {
		nc, err := net.DialTimeout("tcp", d.addr(), d.cfg.Timeout)
		if err != nil {
			return nil, false, false
		}
		stalled = append(stalled, nc)
	}
	d.probes++
	probeCfg := probe{label: "LIST while " + stallers(k), writes: full, whole: wholeResponses(p, 1), wait: wait, again: bound - wait,
		missed: d.cfg.concurrencyMissed, noQuiet: true}
	if probeCfg.again <= 0 {
		probeCfg.wait, probeCfg.again = bound, 0
	}
	c = d.exchange(ctx, probeCfg)
	d.log("%s: %s", c.label, c.outcome())
	return c, len(c.got) > 0, true
}

// unserved says how the LIST beside stalled clients went unserved: no answer within the bound,
// or an answer only once the server had closed a stalled client, at both looks.
func unserved(c *capture, bound time.Duration) string {
	if len(c.got) > 0 {
		return fmt.Sprintf("an answer after %v, but only once the server had closed a stalled client's connection (twice, with clients stalled afresh)", c.first.Round(time.Millisecond))
	}
	return fmt.Sprintf("no answer within %v", bound)
}

// stallers says k clients that connected and sent nothing.
func stallers(k int) string {
	if k == 1 {
		return "another client connected and sent nothing"
	}
	return fmt.Sprintf("%d other clients connected and sent nothing", k)
}

// finishStalled sends each stalled client's LIST, reads its answer and closes, all at once (a
// server that serves many must not see the last of them wait past its read deadline for the
// others), and reports whether every one was answered. An answer is read whole, until the
// server closes or goes quiet: a close with bytes unread is a reset, and whether a server dies
// of one is the crash probes' business.
func (d *diagnoser) finishStalled(stalled []net.Conn, p *Profile) bool {
	full, _ := p.Writes(listReq(newUser()), wire.OpList, 0)
	answered := make([]bool, len(stalled))
	var wg sync.WaitGroup
	for i, c := range stalled {
		wg.Go(func() {
			defer c.Close()
			_ = c.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
			if _, err := c.Write(full[0]); err != nil {
				return
			}
			got := &capture{}
			d.read(c, got, probe{whole: wholeResponses(p, 1), leave: true})
			answered[i] = len(got.got) > 0
		})
	}
	wg.Wait()
	return !slices.Contains(answered, false)
}

// crashes does what kills careless servers: a client that connects and leaves without a
// request, one that resets its connection, one that cuts its request short. After each, a
// LIST checks that the server still answers.
func (d *diagnoser) crashes(ctx context.Context) {
	p := d.res.Profile
	req, _ := backupReq(newUser(), "fbp-doctor-cut", []byte("0123456789"))
	causes := []struct {
		cause, what string
		act         func(c *net.TCPConn)
	}{
		{CauseConnectClose, "a client connects and closes without sending a byte", func(c *net.TCPConn) {}},
		{CauseReset, "a client resets its connection without sending a byte", func(c *net.TCPConn) { _ = c.SetLinger(0) }},
		{CauseTruncated, "a client sends the first 10 bytes of a BACKUP and closes", func(c *net.TCPConn) { _, _ = c.Write(req[:10]) }},
	}
	for _, x := range causes {
		nc, err := net.DialTimeout("tcp", d.addr(), d.cfg.Timeout)
		if err != nil {
			return
		}
		x.act(nc.(*net.TCPConn))
		nc.Close()
		d.probes++
		// The server learns of the close when it next reads: give it that moment, or the
		// check is answered before the death.
		sleep(ctx, max(d.cfg.Quiet, 100*time.Millisecond))
		alive, how, _ := d.alive(ctx, &p)
		if ctx.Err() != nil {
			// The check was cut short, not unanswered: the server is no more dead than it
			// was, and restarting it would stop a live server for nothing.
			return
		}
		if !alive {
			d.add(Finding{ID: "dies-on-" + x.cause, Level: report.Must, Key: KeyCrash(x.cause), Summary: "the server stops answering when " + x.what, Finding: report.Finding{Requirement: spec.R5_3, Detail: "a LIST after it: " + how, Expected: "the server to keep serving", Actual: how}})
			if !d.restart(ctx) {
				return
			}
		}
	}
}

// alive reports whether the server answers a LIST, how it did not, and whether it refused
// the connection (a dead server, where one that does not answer may be slow).
func (d *diagnoser) alive(ctx context.Context, p *Profile) (bool, string, bool) {
	writes, _ := p.Writes(listReq(newUser()), wire.OpList, 0)
	c := d.exchange(ctx, probe{label: "LIST", writes: writes, halfClose: p.HalfClose, whole: wholeResponses(p, 1), noQuiet: true})
	if len(c.got) > 0 {
		return true, "", false
	}
	return false, d.howItEnded(c), c.end == endRefused
}

// restart starts the server again after a probe killed it; false when it cannot.
func (d *diagnoser) restart(ctx context.Context) bool {
	if ctx.Err() != nil {
		// A restart begins with a stop: cut short, it would leave stopped a server that
		// nothing showed dead.
		return false
	}
	if d.cfg.Restart == nil {
		d.log("the server is down and cannot be restarted: the remaining probes are not run")
		return false
	}
	addr, err := d.cfg.Restart(ctx)
	if err != nil {
		d.add(Finding{ID: "cannot-restart", Level: report.Must, Fatal: true, Key: string(spec.R5_3) + "|restart", Summary: "the server could not be started again after it died: " + err.Error(), Finding: report.Finding{Requirement: spec.R5_3, Expected: "the command to start the server again", Actual: err.Error()}})
		return false
	}
	d.mu.Lock()
	d.cur = addr
	d.mu.Unlock()
	return true
}

// acknowledgement asks a server that puts a length of its own before each response whether it
// reads a second request on a connection as it comes, or only once the client has acknowledged
// the first response with a byte: a framing of one's own often comes with one. A client that
// sends its next request instead loses that request's first byte to the acknowledgement and
// waits for an answer that never comes, and so would every case that sends more than one
// request on a connection, each one a timeout that reads as a fault of its own. The run
// acknowledges each response instead, and the length-prefix finding says so. Other servers are
// not asked: the keep-alive case says whether they serve more than one request on a
// connection, and one that leaves a second unanswered would cost the probe a timeout.
func (d *diagnoser) acknowledgement(ctx context.Context) {
	p := d.res.Profile
	if p.ResponsePrefix == 0 {
		return
	}
	plain := d.twoOnOne(ctx, &p, nil)
	if plain == nil || len(plain.got) > 0 || ctx.Err() != nil {
		// Served as SPEC.md has it, or not even the first LIST was: nothing to work around.
		return
	}
	acked := d.twoOnOne(ctx, &p, Ack)
	if acked == nil || !wholeResponses(&p, 1)(acked.got) {
		return
	}
	d.res.Profile.AckResponses = true
	for i := range d.res.Findings {
		if f := &d.res.Findings[i]; f.ID == "length-prefix" {
			f.Summary += ", and it reads no further request on a connection until the client has acknowledged each response with a byte of its own: a client's next request loses its first byte"
			f.Workaround += ", and each response is acknowledged with one byte before the next request on its connection"
			f.Detail += fmt.Sprintf("; a second LIST on the connection after the first answer: %s; after a byte %02x, then the LIST: %s", d.howItEnded(plain), Ack, describeBytes(acked.got))
		}
	}
}

// twoOnOne sends a LIST as p speaks on a new connection and reads its answer, then sends ack
// (none if nil) and a second LIST on the same connection, and returns the capture of the second
// answer; nil when the first went unanswered.
func (d *diagnoser) twoOnOne(ctx context.Context, p *Profile, ack []byte) *capture {
	first, err := p.Writes(listReq(newUser()), wire.OpList, 0)
	if err != nil {
		return nil
	}
	second, _ := p.Writes(listReq(newUser()), wire.OpList, 0)
	d.probes++
	nc, err := net.DialTimeout("tcp", d.addr(), d.cfg.Timeout)
	if err != nil {
		return nil
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	pr := probe{whole: wholeResponses(p, 1), noQuiet: true}
	c := &capture{label: "LIST, then another on the same connection"}
	send := func(writes ...[]byte) bool {
		for _, w := range writes {
			c.sent = append(c.sent, w...)
			_ = nc.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
			if _, err := nc.Write(w); err != nil {
				c.err = err
				return false
			}
		}
		return true
	}
	if !send(first...) {
		return nil
	}
	d.read(nc, c, pr)
	if !pr.whole(c.got) {
		return nil
	}
	c.got = nil
	if ack != nil {
		c.label = fmt.Sprintf("LIST, then a byte %02x and another LIST on the same connection", ack)
		second = append([][]byte{ack}, second...)
	}
	send(second...)
	d.read(nc, c, pr)
	d.log("%s: %s", c.label, c.outcome())
	return c
}
