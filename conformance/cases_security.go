package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Cases of SPEC R-4.5 (isolation) and §5 (bad input). Every case that sends bad input is
// Hostile: it runs alone and a health probe follows it.

// unsafeNames are the filenames forbids, by stable kind.
var unsafeNames = []struct {
	kind string
	name []byte
}{
	{"empty", []byte{}},
	{"slash", []byte("a/b")},
	{"absolute", []byte("/tmp/fbp-escape")},
	{"backslash", []byte(`a\b`)},
	{"nul", []byte("a\x00b")},
	{"control", []byte("a\x01b")},
	{"newline", []byte("a\nb")},
	{"dot", []byte(".")},
	{"dotdot", []byte("..")},
	{"too-long", bytes.Repeat([]byte("L"), 256)},
}

func securityCases() []*Case {
	cases := []*Case{
		{
			ID: "security/isolation-restore", Reqs: spec.IDStrings(spec.R4_5), Level: report.Must,
			Desc: "user B cannot restore user A's file by its name",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				t.mustBackup(a, "private.txt", content.Bytes([]byte("A's secret")))
				t.mustRestoreRefused(b, "private.txt", spec.R4_5)
			},
		},
		{
			ID: "security/isolation-delete", Reqs: spec.IDStrings(spec.R4_5), Level: report.Must,
			Desc: "user B cannot delete user A's file; A's file stays intact",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				c := content.Bytes([]byte("A's file"))
				t.mustBackup(a, "mine.txt", c)
				// What isolation asks is that A's file survives; which refusal B gets is R-4.3's
				// business (delete/missing-1001).
				if r := t.delete(b, "mine.txt"); !r.answered() {
					key, owed := r.noAnswer()
					t.judge(owed, key, r, "an answer to the DELETE", r.String(), true)
				}
				t.mustRestoreAs(spec.R4_5, a, "mine.txt", c)
			},
		},
		{
			ID: "security/isolation-overwrite", Reqs: spec.IDStrings(spec.R4_5), Level: report.Must,
			Desc: "user B's backup of the same name leaves user A's file intact",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				ca, cb := content.Bytes([]byte("A's version")), content.Bytes([]byte("B's version, longer"))
				t.mustBackup(a, "same.txt", ca)
				t.mustBackup(b, "same.txt", cb)
				t.mustRestoreAs(spec.R4_5, a, "same.txt", ca)
				t.mustRestoreAs(spec.R4_5, b, "same.txt", cb)
			},
		},
		{
			ID: "security/traversal-cross-user-write", Reqs: spec.IDStrings(spec.R5_1, spec.R4_5), Level: report.Must, Hostile: true,
			Desc: "user A backs up ../<B>/canary: 1003, and B's LIST does not show it",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				t.mustBackup(b, "own.txt", content.Bytes([]byte("B")))
				canary := t.canary()
				for _, p := range []string{"../" + userDir(b) + "/" + canary, `..\` + userDir(b) + `\` + canary} {
					r := t.backup(a, p, content.Bytes([]byte("planted by A")))
					t.expect(r, spec.R5_1, nil, spec.ServerError)
				}
				t.mustListAs(spec.R4_5, b, "own.txt")
				t.mustRestoreRefused(b, canary, spec.R4_5)
			},
		},
		{
			ID: "security/traversal-cross-user-read", Reqs: spec.IDStrings(spec.R5_1, spec.R4_5), Level: report.Must, Hostile: true,
			Desc: "user A restores ../<B>/<B's file>: no 210, and never B's bytes",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				secret := []byte("B's secret " + token(16))
				t.mustBackup(b, "secret.txt", content.Bytes(secret))
				for _, p := range []string{"../" + userDir(b) + "/secret.txt", `..\` + userDir(b) + `\secret.txt`} {
					r := t.restore(a, p, nil)
					if r.PayloadRead && bytes.Contains(r.Payload, secret) {
						t.judge(spec.R4_5, string(spec.R5_1)+"|granted", r, "nothing of user B", "B's file content", false)
						continue
					}
					t.expect(r, spec.R5_1, []byte(p), spec.NotFound, spec.ServerError)
				}
			},
		},
		{
			ID: "security/traversal-cross-user-delete", Reqs: spec.IDStrings(spec.R5_1, spec.R4_5), Level: report.Must, Hostile: true,
			Desc: "user A deletes ../<B>/<B's file>: refused, and B's file stays intact",
			run: func(t *caseRun) {
				a, b := t.newUser(), t.newUser()
				c := content.Bytes([]byte("B keeps this"))
				t.mustBackup(b, "keep.txt", c)
				r := t.delete(a, "../"+userDir(b)+"/keep.txt")
				t.expect(r, spec.R5_1, []byte("../"+userDir(b)+"/keep.txt"), spec.DeleteNotFound, spec.ServerError)
				t.mustRestoreAs(spec.R4_5, b, "keep.txt", c)
			},
		},
		{
			ID: "security/unsafe-name-restore", Reqs: spec.IDStrings(spec.R5_1), Level: report.Must, Hostile: true,
			Desc: "RESTORE of every unsafe filename answers 1001 or 1003",
			run: func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, "b", content.Bytes([]byte("b")))
				for _, n := range unsafeNames {
					r := t.restore(u, string(n.name), nil)
					t.expect(r, spec.R5_1, nil, spec.NotFound, spec.ServerError)
				}
			},
		},
		{
			ID: "security/unsafe-name-delete", Reqs: spec.IDStrings(spec.R5_1), Level: report.Must, Hostile: true,
			Desc: "DELETE of every unsafe filename answers 1001 or 1003 and removes nothing",
			run: func(t *caseRun) {
				u := t.newUser()
				c := content.Bytes([]byte("b"))
				t.mustBackup(u, "b", c)
				for _, n := range unsafeNames {
					r := t.delete(u, string(n.name))
					t.expect(r, spec.R5_1, nil, spec.DeleteNotFound, spec.ServerError)
				}
				t.mustRestoreAs(spec.R5_1, u, "b", c)
				t.mustListAs(spec.R5_1, u, "b")
			},
		},
		{
			ID: "security/unknown-op", Reqs: spec.IDStrings(spec.R5_2), Level: report.Must, Hostile: true,
			Desc: "ops the spec does not define answer 1003",
			run: func(t *caseRun) {
				u := t.newUser()
				for _, op := range []uint8{0, 1, 99, 101, 199, 203, 255} {
					r := t.roundtripBytes(fmt.Sprintf("op %d, user %d", op, u), opRequest(u, wire.Version, op))
					t.expect(r, spec.R5_2, nil, spec.ServerError)
				}
			},
		},
		{
			ID: "security/unsupported-version", Reqs: spec.IDStrings(spec.R5_2), Level: report.Info, Hostile: true,
			Desc: "what the server does with versions other than 1 (1003 or served)",
			run: func(t *caseRun) {
				u := t.newUser()
				var seen []string
				for _, v := range []uint8{0, 2, 255} {
					r := t.roundtripBytes(fmt.Sprintf("LIST version %d, user %d", v, u), opRequest(u, v, uint8(wire.OpList)))
					seen = append(seen, fmt.Sprintf("version %d: %s", v, r))
					if !r.is(spec.ServerError, spec.NoFiles) {
						t.errorf(spec.R5_2, r, t.dialect.DescribeCodes(spec.ServerError, spec.NoFiles), "%s", r)
					}
				}
				t.notef("%s", strings.Join(seen, "; "))
			},
		},
		{
			ID: "security/connect-and-close", Reqs: spec.IDStrings(spec.R5_3), Level: report.Must, Hostile: true,
			Desc: "a bare connect and close, and a connect and reset, leave the server serving",
			run: func(t *caseRun) {
				c := t.mustDial()
				c.close()
				c = t.mustDial()
				if tc, ok := c.c.(*net.TCPConn); ok {
					tc.SetLinger(0) // close with a reset
				}
				c.close()
				t.mustListAs(spec.R5_3, t.newUser())
			},
		},
		{
			ID: "security/huge-size", Reqs: spec.IDStrings(spec.R5_4, spec.R5_3), Level: report.Must, Hostile: true, cutsRequests: true,
			Desc: "BACKUP stating size 4 GiB-1, then a few bytes and a close: no file, server alive",
			run: func(t *caseRun) {
				u := t.newUser()
				head := append(backupHead(u, []byte("huge"), 1<<32-1), "only this"...)
				t.cutRequest(fmt.Sprintf("BACKUP user %d size 4294967295, then close", u), head)
				waitMissing(t, u, "huge")
				t.mustListAs(spec.R5_3, u)
			},
		},
		{
			ID: "security/size-over-limit", Reqs: spec.IDStrings(spec.R5_4), Level: report.Must, Hostile: true, stepsAreItsRule: true,
			Desc: "BACKUP stating one byte over the server's limit (-max-size) gets 1003 before any payload byte is sent",
			run: func(t *caseRun) {
				limit := t.run.cfg.MaxSize
				if limit == 0 {
					t.needFlag("-max-size", "SIZE", "the server's size limit",
						"a BACKUP stating a size over the server's limit is answered 1003 before any payload byte")
				}
				if limit == 1<<32-1 {
					t.skipf("no size the 4-byte field can state is over a limit of %d", limit)
				}
				u := t.newUser()
				// The payload is never sent: a server that waits for it before refusing the size
				// has read (or would read) what tells it to refuse, and hits the timeout.
				r := t.roundtrip(send{label: fmt.Sprintf("BACKUP user %d size %d over the limit %d, no payload", u, limit+1, limit),
					head: backupHead(u, []byte("over"), limit+1)}, readSpec{})
				t.expect(r, spec.R5_4, nil, spec.ServerError)
				t.mustListAs(spec.R5_4, u)
			},
		},
		{
			ID: "security/huge-name-len", Reqs: spec.IDStrings(spec.R5_4, spec.R5_3), Level: report.Must, Hostile: true, cutsRequests: true,
			Desc: "RESTORE stating name_len 65535, then a few bytes and a close: server alive",
			run: func(t *caseRun) {
				u := t.newUser()
				h := wire.RawRequest{UserID: u, Version: wire.Version, Op: uint8(wire.OpRestore), Fields: wire.HasName,
					NameLen: new(uint16(65535)), Name: []byte("short")}
				t.roundtrip(send{label: fmt.Sprintf("RESTORE user %d name_len 65535, then close", u), head: h.Append(nil), closeAfter: true}, readSpec{})
				t.mustListAs(spec.R5_3, u)
			},
		},
	}
	for _, n := range unsafeNames {
		cases = append(cases, &Case{
			ID: "security/backup-name-" + n.kind, Reqs: spec.IDStrings(spec.R5_1), Level: report.Must, Hostile: true,
			Desc: fmt.Sprintf("BACKUP of the unsafe filename %s answers 1003 and stores nothing", spec.Quote(n.name)),
			run: func(t *caseRun) {
				u := t.newUser()
				r := t.backup(u, string(n.name), content.Bytes([]byte("must not be stored")))
				t.expect(r, spec.R5_1, nil, spec.ServerError)
				t.mustListAs(spec.R5_1, u)
			},
		})
	}
	return append(cases, truncationCases()...)
}

// cutRequest sends the first bytes of a request, closes the connection's sending side and
// waits, up to the timeout, for the server to close its own: a server that has closed is done
// with the request, so that what it kept of it is checked after, not while, it handles the
// cut (a partial file stored at the end of stream would otherwise be looked for too early).
// No response is owed; whatever arrives is recorded.
func (t *caseRun) cutRequest(label string, b []byte) {
	c, err := t.dial()
	if err != nil {
		// As roundtrip records it: the checks that follow say what it means.
		i := t.record(label, 0)
		t.finishRecord(i, &reply{Outcome: endRefused, Err: err, Mismatch: -1, index: i, dialect: t.dialect})
		return
	}
	defer c.close()
	i := t.record(label, c.num)
	ex := t.ex(i)
	r := &reply{Outcome: endSentOnly, Mismatch: -1, index: i, dialect: t.dialect}
	defer t.finishRecord(i, r)
	w := &pacedWriter{w: &deadline.Conn{Conn: c.c, Idle: t.run.cfg.Timeout}, rec: &ex.sent}
	// The cut request goes out as the run's profile sends a request (a BACKUP's payload apart
	// from its header, say), so that what the server does with a cut is seen past its framing.
	writes, err := t.run.profile.Writes(b, requestOf(b).Op, headerLen(b))
	if err != nil {
		writes = [][]byte{b}
	}
	if r.WriteErr = t.writeApart(w, writes); r.WriteErr != nil {
		return
	}
	if cw, ok := c.c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.c.SetReadDeadline(time.Now().Add(t.run.cfg.Timeout))
	// Bounded: a server that keeps sending must not hold the case.
	r.Got, _ = io.Copy(&ex.recv, io.LimitReader(c.c, 64<<10))
}

// userDir is a user's folder name as the reference layout <root>/<user_id> spells it.
func userDir(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

// truncationCases cut requests at each field boundary and close: the server owes no
// answer, must not crash, and must not keep a partial file.
func truncationCases() []*Case {
	name := []byte("cut.bin")
	payload := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	full := func(u uint32) []byte { return append(backupHead(u, name, int64(len(payload))), payload...) }
	nl := len(name)
	cuts := []struct {
		where string
		at    int
	}{
		{"in-user-id", 2},
		{"after-user-id", 4},
		{"after-version", 5},
		{"after-op", 6},
		{"in-name-len", 7},
		{"after-name-len", 8},
		{"in-filename", 8 + nl/2},
		{"after-filename", 8 + nl},
		{"in-size", 8 + nl + 2},
		{"after-size", 8 + nl + 4},
		{"in-payload", 8 + nl + 4 + len(payload)/2},
		{"before-last-byte", 8 + nl + 4 + len(payload) - 1},
	}
	var out []*Case
	for _, c := range cuts {
		out = append(out, &Case{
			ID: "security/truncated-backup-" + c.where, Reqs: spec.IDStrings(spec.R5_3), Level: report.Must, Hostile: true, cutsRequests: true,
			Desc: fmt.Sprintf("a BACKUP cut after %d bytes (%s), then closed: no file kept, server alive", c.at, c.where),
			run: func(t *caseRun) {
				u := t.newUser()
				t.cutRequest(fmt.Sprintf("BACKUP user %d cut after %d bytes", u, c.at), full(u)[:c.at])
				waitMissing(t, u, string(name))
				t.mustListAs(spec.R5_3, u)
			},
		})
	}
	for _, op := range []wire.Op{wire.OpRestore, wire.OpDelete} {
		out = append(out, &Case{
			ID: "security/truncated-" + strings.ToLower(op.String()) + "-in-filename", Reqs: spec.IDStrings(spec.R5_3), Level: report.Must, Hostile: true, cutsRequests: true,
			Desc: fmt.Sprintf("a %v whose filename is cut short, then closed: the server keeps serving and the file stays", op),
			run: func(t *caseRun) {
				u := t.newUser()
				c := content.Bytes([]byte("stays"))
				t.mustBackup(u, "cut.bin", c)
				req := nameRequest(u, op, name)
				t.cutRequest(fmt.Sprintf("%v user %d cut in the filename", op, u), req[:len(req)-2])
				t.mustRestoreAs(spec.R5_3, u, "cut.bin", c)
			},
		})
	}
	return out
}
