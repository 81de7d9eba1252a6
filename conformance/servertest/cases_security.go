package servertest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Cases of SPEC R-4.5 (isolation) and §5 (bad input). Every case that sends bad input is
// Hostile: it runs alone and a health probe follows it.

// unsafeNames are the filenames forbids, by stable kind. A case sends them as a user
// who has stored a file already: a server that opens the path as sent reaches through a folder
// that exists ("./x", "../<user>/x"), where a new user's missing folder would fail in the
// kernel and hide the unchecked name.
var unsafeNames = []unsafeName{
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
	{"dot-slash", []byte("./x")},
	{"own-folder", nil},
}

type unsafeName struct {
	kind string
	name []byte
}

// of is the name as user u sends it: own-folder goes up and back into u's own folder.
func (n unsafeName) of(u uint32) []byte {
	if n.kind == "own-folder" {
		return []byte("../" + userDir(u) + "/x")
	}
	return n.name
}

// ownFile is the file the unsafe-name cases store first, so that the user's folder exists.
const ownFile = "own"

// reachingNames are names that reach user u's own file ownFile from inside u's folder or by
// the storage folder's absolute path (known with -root): a server that joins RESTORE's or
// DELETE's name unchecked finds the file there.
func (t *caseRun) reachingNames(u uint32) []string {
	out := []string{"./" + ownFile, "../" + userDir(u) + "/" + ownFile}
	if p, ok := t.rootPath(u, ownFile); ok {
		out = append(out, p)
	}
	return out
}

// rootPath is the absolute path of user u's file name in the storage folder, when -root gives it.
func (t *caseRun) rootPath(u uint32, name string) (string, bool) {
	if t.run.cfg.Root == "" {
		return "", false
	}
	abs, err := filepath.Abs(t.run.cfg.Root)
	if err != nil {
		return "", false
	}
	return abs + "/" + userDir(u) + "/" + name, true
}

// traversals are the names by which another user reaches file in victim's folder: the plain
// forms, the forms that survive one removal of "../" or `..\` ("....//" and "..././" are
// "../" again after it), one that does not start with "..", and, with -root, the absolute path.
func (t *caseRun) traversals(victim uint32, file string) []string {
	d := userDir(victim)
	out := []string{
		"../" + d + "/" + file,
		"./../" + d + "/" + file,
		`..\` + d + `\` + file,
		"....//" + d + "/" + file,
		"..././" + d + "/" + file,
		`....\\` + d + `\` + file,
	}
	if p, ok := t.rootPath(victim, file); ok {
		out = append(out, p)
	}
	return out
}

func securityCases() []*Case {
	cases := []*Case{
		must("security/isolation-restore", rules(spec.R4_5), "user B cannot restore user A's file by its name", securityIsolationRestore),
		must("security/isolation-delete", rules(spec.R4_5), "user B cannot delete user A's file; A's file stays intact", securityIsolationDelete),
		must("security/isolation-overwrite", rules(spec.R4_5), "user B's backup of the same name leaves user A's file intact", securityIsolationOverwrite),
		must("security/traversal-cross-user-write", rules(spec.R5_1, spec.R4_5), "user A, who has files, backs up ../<B>/canary and its filtered forms (B's id starts with A's): 1003, and B's LIST does not show it", securityTraversalCrossUserWrite).with(hostile),
		must("security/traversal-cross-user-read", rules(spec.R5_1, spec.R4_5), "user A, who has files, restores ../<B>/<B's file> and its filtered forms (B's id starts with A's): no 210, and never B's bytes", securityTraversalCrossUserRead).with(hostile),
		must("security/traversal-cross-user-delete", rules(spec.R5_1, spec.R4_5), "user A, who has files, deletes ../<B>/<B's file> and its filtered forms (B's id starts with A's): refused, and B's file stays intact", securityTraversalCrossUserDelete).with(hostile),
		must("security/unsafe-name-restore", rules(spec.R5_1), "RESTORE of every unsafe filename, and of names that reach the user's file by ./, ../ or an absolute path, answers 1001 or 1003", securityUnsafeNameRestore).with(hostile),
		must("security/unsafe-name-delete", rules(spec.R5_1), "DELETE of every unsafe filename, and of names that reach the user's file by ./, ../ or an absolute path, answers 1001 or 1003 and removes nothing", securityUnsafeNameDelete).with(hostile),
		must("security/unknown-op", rules(spec.R5_2), "ops the spec does not define answer 1003", securityUnknownOp).with(hostile),
		info("security/unsupported-version", rules(spec.R5_2), "what the server does with versions other than 1 (1003 or served)", securityUnsupportedVersion).with(hostile),
		must("security/connect-and-close", rules(spec.R5_3), "a bare connect and close, and a connect and reset, leave the server serving", securityConnectAndClose).with(hostile),
		must("security/huge-size", rules(spec.R5_4, spec.R5_3, spec.R2_3), "BACKUP stating size 4 GiB-1, whose first payload bytes spell a BACKUP of its own, then a close: no file of either, server alive", securityHugeSize).with(hostile, cutting),
		must("security/stated-size-memory", rules(spec.R5_4, spec.R5_3), "BACKUP stating 48 MiB, a size servers accept, then 1 KiB and a close: the server's memory does not grow with the size stated (watched with -exec, or -root for a server on this machine)", securityStatedSizeMemory).with(hostile, cutting),
		must("security/size-over-limit", rules(spec.R5_4), "BACKUP stating one byte over the server's limit (-max-size) gets 1003 before any payload byte is sent", securitySizeOverLimit).with(hostile, ownSteps),
		must("security/huge-name-len", rules(spec.R5_4, spec.R5_3), "RESTORE stating name_len 65535, then a few bytes and a close: server alive", securityHugeNameLen).with(hostile, cutting),
	}
	for _, n := range unsafeNames {
		cases = append(cases, must("security/backup-name-"+n.kind, rules(spec.R5_1),
			fmt.Sprintf("BACKUP of the unsafe filename %s, by a user who has a file, answers 1003 and stores nothing", describeUnsafe(n)), func(t *caseRun) {
				u := t.newUser()
				t.mustBackup(u, ownFile, content.Bytes([]byte("own")))
				r := t.backup(u, string(n.of(u)), content.Bytes([]byte("must not be stored")))
				t.owed(r, "", spec.HoldingUnknown)
				t.mustListAs(spec.R5_1, u, ownFile)
			}).with(hostile))
	}
	return append(cases, truncationCases()...)
}

// securityIsolationRestore is case security/isolation-restore.
func securityIsolationRestore(t *caseRun) {
	a, b := t.newUser(), t.newUser()
	t.mustBackup(a, "private.txt", content.Bytes([]byte("A's secret")))
	t.mustRestoreRefused(b, "private.txt", spec.R4_5)
}

// securityIsolationDelete is case security/isolation-delete.
func securityIsolationDelete(t *caseRun) {
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
}

// securityIsolationOverwrite is case security/isolation-overwrite.
func securityIsolationOverwrite(t *caseRun) {
	a, b := t.newUser(), t.newUser()
	ca, cb := content.Bytes([]byte("A's version")), content.Bytes([]byte("B's version, longer"))
	t.mustBackup(a, "same.txt", ca)
	t.mustBackup(b, "same.txt", cb)
	t.mustRestoreAs(spec.R4_5, a, "same.txt", ca)
	t.mustRestoreAs(spec.R4_5, b, "same.txt", cb)
}

// securityTraversalCrossUserWrite is case security/traversal-cross-user-write.
func securityTraversalCrossUserWrite(t *caseRun) {
	a, b := t.newPrefixedUsers()
	t.mustBackup(a, "mine.txt", content.Bytes([]byte("A")))
	t.mustBackup(b, "own.txt", content.Bytes([]byte("B")))
	canary := t.canary()
	for _, p := range t.traversals(b, canary) {
		r := t.backup(a, p, content.Bytes([]byte("planted by A")))
		t.owed(r, "", spec.HoldingUnknown)
	}
	t.mustListAs(spec.R4_5, b, "own.txt")
	t.mustRestoreRefused(b, canary, spec.R4_5)
}

// securityTraversalCrossUserRead is case security/traversal-cross-user-read.
func securityTraversalCrossUserRead(t *caseRun) {
	a, b := t.newPrefixedUsers()
	// A's folder exists, so that A/../B resolves in the kernel of a server that opens
	// the name as sent.
	t.mustBackup(a, "mine.txt", content.Bytes([]byte("A")))
	secret := []byte("B's secret " + token(16))
	t.mustBackup(b, "secret.txt", content.Bytes(secret))
	for _, p := range t.traversals(b, "secret.txt") {
		r := t.restore(a, p, nil)
		if r.PayloadRead && bytes.Contains(r.Payload, secret) {
			t.judge(spec.R4_5, string(spec.R5_1)+"|granted", r, "nothing of user B", "B's file content", false)
			continue
		}
		t.owed(r, spec.R5_1, spec.HoldingUnknown)
	}
}

// securityTraversalCrossUserDelete is case security/traversal-cross-user-delete.
func securityTraversalCrossUserDelete(t *caseRun) {
	a, b := t.newPrefixedUsers()
	t.mustBackup(a, "mine.txt", content.Bytes([]byte("A")))
	c := content.Bytes([]byte("B keeps this"))
	t.mustBackup(b, "keep.txt", c)
	for _, p := range t.traversals(b, "keep.txt") {
		r := t.delete(a, p)
		t.owed(r, spec.R5_1, spec.HoldingUnknown)
	}
	t.mustRestoreAs(spec.R4_5, b, "keep.txt", c)
}

// securityUnsafeNameRestore is case security/unsafe-name-restore.
func securityUnsafeNameRestore(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, ownFile, content.Bytes([]byte("b")))
	names := t.reachingNames(u)
	// A file every Unix server has, for a server that opens an absolute name as sent:
	// read-only, so harmless to ask for.
	names = append(names, "/etc/passwd")
	for _, n := range unsafeNames {
		names = append(names, string(n.of(u)))
	}
	for _, n := range names {
		r := t.restore(u, n, nil)
		t.owed(r, spec.R5_1, spec.HoldingUnknown)
	}
}

// securityUnsafeNameDelete is case security/unsafe-name-delete.
func securityUnsafeNameDelete(t *caseRun) {
	u := t.newUser()
	c := content.Bytes([]byte("b"))
	t.mustBackup(u, ownFile, c)
	names := t.reachingNames(u)
	for _, n := range unsafeNames {
		names = append(names, string(n.of(u)))
	}
	for _, n := range names {
		r := t.delete(u, n)
		t.owed(r, spec.R5_1, spec.HoldingUnknown)
	}
	t.mustRestoreAs(spec.R5_1, u, ownFile, c)
	t.mustListAs(spec.R5_1, u, ownFile)
}

// securityUnknownOp is case security/unknown-op.
func securityUnknownOp(t *caseRun) {
	u := t.newUser()
	for _, op := range []uint8{0, 1, 99, 101, 199, 203, 255} {
		t.unknownOp(u, op)
	}
}

// securityUnsupportedVersion is case security/unsupported-version.
func securityUnsupportedVersion(t *caseRun) {
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
}

// securityConnectAndClose is case security/connect-and-close.
func securityConnectAndClose(t *caseRun) {
	c := t.mustDial()
	c.close()
	c = t.mustDial()
	if tc, ok := c.c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with a reset
	}
	c.close()
	t.mustListAs(spec.R5_3, t.newUser())
}

// securityHugeSize is case security/huge-size.
func securityHugeSize(t *caseRun) {
	u := t.newUser()
	// A server that refuses the size and reads on, without closing or draining,
	// takes the payload for a request and stores what it smuggles.
	smuggled := []byte("inside")
	head := append(backupHead(u, []byte("huge"), 1<<32-1), backupHead(u, []byte("smuggled"), int64(len(smuggled)))...)
	head = append(head, smuggled...)
	t.watchMemory(1<<32-1, func() {
		t.cutRequest(fmt.Sprintf("BACKUP user %d size 4294967295, a BACKUP of \"smuggled\" as payload, then close", u), head)
	})
	waitMissing(t, u, "huge")
	if r := t.restore(u, "smuggled", nil); r.is(spec.RestoreOK) {
		t.judge(spec.R2_3, string(spec.R2_3)+"|payload-served", r, "the refused BACKUP's payload never read as a request",
			"the BACKUP of \"smuggled\" inside it was stored", false)
		t.delete(u, "smuggled")
	}
	t.mustListAs(spec.R5_3, u)
}

// securityStatedSizeMemory is case security/stated-size-memory.
func securityStatedSizeMemory(t *caseRun) {
	if _, why := t.run.serverProcs(); why != "" {
		t.skipf("%s", why)
	}
	size := int64(statedSize)
	if m := t.run.cfg.MaxSize; m > 0 && m < size {
		size = m
	}
	if size < statedSize/8 {
		t.skipf("the size limit %d is too small for its memory to tell from noise", size)
	}
	u := t.newUser()
	head := append(backupHead(u, []byte("stated"), size), make([]byte, 1024)...)
	if !t.watchMemory(size, func() {
		t.cutRequest(fmt.Sprintf("BACKUP user %d size %d, 1024 bytes sent, then close", u, size), head)
	}) {
		t.skipf("the server's memory could not be read")
	}
	waitMissing(t, u, "stated")
	t.mustListAs(spec.R5_3, u)
}

// securitySizeOverLimit is case security/size-over-limit.
func securitySizeOverLimit(t *caseRun) {
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
	// The case knows the server's limit, which the request's bytes do not tell.
	r.req.Form = spec.Oversize
	t.owed(r, "", spec.HoldingUnknown)
	t.mustListAs(spec.R5_4, u)
}

// securityHugeNameLen is case security/huge-name-len.
func securityHugeNameLen(t *caseRun) {
	u := t.newUser()
	h := wire.RawRequest{UserID: u, Version: wire.Version, Op: uint8(wire.OpRestore), Fields: wire.HasName,
		NameLen: new(uint16(65535)), Name: []byte("short")}
	t.roundtrip(send{label: fmt.Sprintf("RESTORE user %d name_len 65535, then close", u), head: h.Append(nil), closeAfter: true}, readSpec{})
	t.mustListAs(spec.R5_3, u)
}

func describeUnsafe(n unsafeName) string {
	if n.name == nil {
		return spec.Quote([]byte("../<user>/x"))
	}
	return spec.Quote(n.name)
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
	t.noteSent(b)
	i := t.record(label, c.num)
	ex := t.ex(i)
	r := &reply{Outcome: endSentOnly, Mismatch: -1, index: i, dialect: t.dialect}
	defer t.finishRecord(i, r)
	w := &pacedWriter{w: &deadline.Conn{Conn: c.c, Idle: t.run.cfg.Timeout}, rec: &ex.sent}
	// The cut request goes out as the run's profile sends a request (a BACKUP's payload apart
	// from its header, say), so that what the server does with a cut is seen past its framing;
	// a fixed frame is not padded, as that would make the cut a whole request.
	writes, err := t.run.profile.CutWrites(b, requestOf(b).Op, headerLen(b))
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

// statedSize is the size security/stated-size-memory states: under the size limits servers
// commonly set, so that the server takes the request and shows what it allocates for it, and
// large enough to stand out of the noise of a process's memory.
const statedSize = 48 << 20

// watchMemory runs step, which states size bytes that it does not send, and fails when
// the server's peak resident memory grew meanwhile by half of size (at most 64 MiB) or more: the
// server allocated for bytes it had not received. step waits for the server to be done with
// the request (cutRequest waits for its close), so that the peak is read after the fact. It
// reports whether the server's memory could be watched.
func (t *caseRun) watchMemory(size int64, step func()) bool {
	procs, why := t.run.serverProcs()
	if why != "" {
		step()
		return false
	}
	before := procs.ResetPeaks()
	step()
	grew, ok := procs.Growth(before)
	if !ok {
		return false
	}
	if limit := min(size/2, 64<<20); grew >= limit {
		t.judge(spec.R5_4, string(spec.R5_4)+"|allocates-stated-size", nil,
			fmt.Sprintf("memory bounded by what arrived, whatever size a request states (%d stated)", size),
			fmt.Sprintf("the server's peak resident memory grew by %d MiB", grew>>20), false)
	}
	return true
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
		out = append(out, must("security/truncated-backup-"+c.where, rules(spec.R5_3),
			fmt.Sprintf("a BACKUP cut after %d bytes (%s), then closed: no file kept, server alive", c.at, c.where), func(t *caseRun) {
				u := t.newUser()
				t.cutRequest(fmt.Sprintf("BACKUP user %d cut after %d bytes", u, c.at), full(u)[:c.at])
				waitMissing(t, u, string(name))
				t.mustListAs(spec.R5_3, u)
			}).with(hostile, cutting))
	}
	out = append(out, must("security/truncated-overwrite-keeps-old", rules(spec.R5_5, spec.R5_3),
		"a BACKUP over an existing file, cut in its payload, then closed: the previous version stays whole", func(t *caseRun) {
			u := t.newUser()
			old := content.Bytes([]byte("the previous version, which a cut upload must leave whole"))
			t.mustBackup(u, string(name), old)
			at := 8 + nl + 4 + len(payload)/2
			t.cutRequest(fmt.Sprintf("BACKUP user %d over %s, cut after %d bytes", u, spec.Quote(name), at), full(u)[:at])
			// What came of the cut upload, kept in the old version's place, is the partial
			// upload the truncation cases look for: that fault, not one of its own.
			r := t.restore(u, string(name), nil)
			if r.statusIs(spec.RestoreOK) && r.PayloadRead &&
				len(r.Payload) <= len(payload)/2 && bytes.HasPrefix(payload, r.Payload) {
				t.judge(spec.R5_3, partialUploadKept, r, "the previous version, and no file kept of the cut upload", r.String()+": what came of the cut upload", true)
			}
			// Any other content, or none where the file was, is the old version lost.
			if found := r.is(spec.RestoreOK); (found && r.PayloadRead) || r.is(spec.NotFound) {
				if v := spec.JudgeOldVersion(old.Literal, found, r.Payload); v != nil {
					t.judge(v.Req, spec.ProblemKey(v), r, v.Expected, v.Actual, true)
				}
			}
			t.mustRestoreAs(spec.R5_5, u, string(name), old)
			t.mustListAs(spec.R5_5, u, string(name))
		}).with(hostile, cutting))
	for _, op := range []wire.Op{wire.OpRestore, wire.OpDelete} {
		out = append(out, must("security/truncated-"+strings.ToLower(op.String())+"-in-filename", rules(spec.R5_3),
			fmt.Sprintf("a %v whose filename is cut short, then closed: the server keeps serving and the file stays", op), func(t *caseRun) {
				u := t.newUser()
				c := content.Bytes([]byte("stays"))
				t.mustBackup(u, "cut.bin", c)
				req := nameRequest(u, op, name)
				t.cutRequest(fmt.Sprintf("%v user %d cut in the filename", op, u), req[:len(req)-2])
				t.mustRestoreAs(spec.R5_3, u, "cut.bin", c)
			}).with(hostile, cutting))
	}
	return out
}
