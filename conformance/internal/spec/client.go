package spec

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// Checks the client judgments report, stable and short as Violation.Check.
const (
	CheckClientOp       = "client-op"            // an op code §2 does not define
	CheckClientVersion  = "client-version"       // a version other than 1
	CheckBytesAfter     = "bytes-after"          // bytes after a whole request, before its response
	CheckRequestCut     = "request-cut"          // a request that stopped before its last field
	CheckScriptOrder    = "script-order"         // the scripted run's requests out of order or missing
	CheckUserChanges    = "user-changes"         // two user ids in one run
	CheckUserRepeats    = "user-repeats"         // one user id in two runs
	CheckUpload         = "upload"               // a BACKUP's name, size or bytes differ from the file's
	CheckUploadPath     = "upload-path"          // a BACKUP names the file by the path it was given, not its base name
	CheckWaited         = "waited"               // nothing after a whole response until the server closed
	CheckClientCrash    = "client-crash"         // a crash: a signal, an uncaught exception
	CheckClientHang     = "client-hang"          // still running when its time was up
	CheckRestoredFile   = "restored-file"        // tmp missing, different or clobbered
	CheckWroteElsewhere = "wrote-elsewhere"      // a file written under a name from a response
	CheckPartialFile    = "partial-file"         // tmp holds part of a payload
	CheckMemory         = "memory"               // peak memory grew with a lying size
	CheckStall          = "stall"                // held a stalled connection past the limit
	CheckDiffers        = "differs"              // a run that went otherwise than the canonical one
	CheckEchoedControls = "echoed-controls"      // the server's control bytes reached the output
	CheckRequestMissing = "no-request"           // no request at all
	CheckResentOnClosed = "lost-on-closed"       // a request sent on a closed connection and never again
	CheckNoEvidence     = "no-evidence"          // the run never reached what the case judges
	CheckUnread         = "unread"               // a connection closed with bytes of a response unread
	CheckFileNoPayload  = "file-without-payload" // tmp written though no whole payload came
	CheckExitOnFailure  = "exit-0-on-failure"    // exit status 0 after a step of the run failed
	CheckExitOnSuccess  = "exit-on-success"      // a non-zero exit after a run whose every step finished
)

// ScriptStep is one request of the scripted run (SPEC §6).
type ScriptStep struct {
	Op wire.Op
	// File is the line of backup.info whose file the request names: 1 or 2, 0 for a LIST.
	File int
}

// Script is the scripted run of SPEC §6, in order.
var Script = []ScriptStep{
	{wire.OpList, 0}, {wire.OpBackup, 1}, {wire.OpBackup, 2}, {wire.OpList, 0},
	{wire.OpRestore, 1}, {wire.OpDelete, 1}, {wire.OpRestore, 1},
}

// ScriptAnswered reports whether status is the answer a canonical server gives step i of the
// scripted run (R-7.14's "the answer it expects"): a LIST 211, or 1002 before any BACKUP; a
// BACKUP or a DELETE 212; the first RESTORE 210, the one after the DELETE 1001.
func ScriptAnswered(i int, status uint16) bool {
	if i < 0 || i >= len(Script) {
		return false
	}
	st := wire.Status(status)
	switch Script[i].Op {
	case wire.OpList:
		return st == wire.StatusListed || i == 0 && st == wire.StatusNoFiles
	case wire.OpBackup, wire.OpDelete:
		return st == wire.StatusOK
	case wire.OpRestore:
		if slices.ContainsFunc(Script[:i], func(s ScriptStep) bool { return s.Op == wire.OpDelete && s.File == Script[i].File }) {
			return st == wire.StatusNotExist
		}
		return st == wire.StatusRestored
	}
	return false
}

func (s ScriptStep) String() string {
	if s.File == 0 {
		return s.Op.String()
	}
	return fmt.Sprintf("%v file %d", s.Op, s.File)
}

// ClientRequest is a request as a tester's server read it from a client.
type ClientRequest struct {
	UserID  uint32
	Version uint8
	Op      uint8
	Name    []byte
	Size    uint32
	// Got counts the bytes of the request that arrived; Want is the length its fields state,
	// 0 when the op is one §2 does not define, so that its layout is unknown.
	Got, Want int64
	// After holds the first bytes that arrived after the whole request and before its response
	// was sent; AfterLen counts them all.
	After    []byte
	AfterLen int64
}

// HeaderLen is the length of the request's fields before its payload, 0 for an unknown op.
func (q *ClientRequest) HeaderLen() int64 {
	op := wire.Op(q.Op)
	if !op.Known() {
		return 0
	}
	h := wire.RequestHeader{Op: op, Name: q.Name}
	return int64(h.Len())
}

func (q *ClientRequest) String() string {
	op := wire.Op(q.Op)
	switch {
	case !op.Known():
		return fmt.Sprintf("a request with op %d", q.Op)
	case op == wire.OpList:
		return "a LIST"
	case op == wire.OpBackup:
		return fmt.Sprintf("a BACKUP of %s (%d bytes)", Quote(q.Name), q.Size)
	}
	return fmt.Sprintf("a %v of %s", op, Quote(q.Name))
}

// JudgeClientOp checks R-7.2's op codes. due, when not nil, is the step of the script the
// request stands for, so that an op of another numbering is named by what it meant.
func JudgeClientOp(op uint8, due *ScriptStep) *Violation {
	if wire.Op(op).Known() {
		return nil
	}
	v := &Violation{Req: R7_2, Check: CheckClientOp, Expected: "an op code of §2: 100 (BACKUP), 200 (RESTORE), 201 (DELETE) or 202 (LIST)",
		Actual: fmt.Sprintf("op %d", op)}
	if due != nil {
		v.Actual += fmt.Sprintf(" where the script's %v (%d) is due", due.Op, uint8(due.Op))
	}
	return v
}

// JudgeClientVersion checks R-7.2's version byte.
func JudgeClientVersion(version uint8) *Violation {
	if version == wire.Version {
		return nil
	}
	return &Violation{Req: R7_2, Check: CheckClientVersion, Expected: "version 1", Actual: fmt.Sprintf("version %d", version)}
}

// JudgeRequestLayout checks on a request of a known op: its header arrived whole, and
// nothing followed it before its response. A payload cut short is R-7.7's (JudgeUpload).
func JudgeRequestLayout(q *ClientRequest) *Violation {
	op := wire.Op(q.Op)
	if !op.Known() {
		return nil
	}
	if h := q.HeaderLen(); q.Got < h {
		return &Violation{Req: R7_1, Check: CheckRequestCut, Expected: fmt.Sprintf("%s of %d bytes before the payload", q, h),
			Actual: fmt.Sprintf("%d bytes, then nothing", q.Got)}
	}
	if q.AfterLen == 0 {
		return nil
	}
	return &Violation{Req: R7_1, Check: CheckBytesAfter, Expected: fmt.Sprintf("%s of exactly %d bytes, then nothing until its response", q, q.Want),
		Actual: fmt.Sprintf("%d bytes more after it: %s", q.AfterLen, DescribeBytesAfter(op, q.After, q.AfterLen))}
}

// DescribeBytesAfter says what the bytes a client sent after a whole request of op look like:
// a field the op does not carry, zero padding, or neither. after holds their first bytes, n
// counts them all.
func DescribeBytesAfter(op wire.Op, after []byte, n int64) string {
	shown := fmt.Sprintf("% x", after[:min(len(after), 12)])
	if int64(len(after)) > 12 {
		shown += " …"
	}
	u16 := func(b []byte) int64 { return int64(binary.LittleEndian.Uint16(b)) }
	u32 := func(b []byte) int64 { return int64(binary.LittleEndian.Uint32(b)) }
	switch {
	case op == wire.OpList && n == 2:
		return shown + ": a name_len, which a LIST does not carry"
	case op == wire.OpList && len(after) >= 2 && int64(len(after)) >= 6+u16(after) && 6+u16(after)+u32(after[2+u16(after):]) == n:
		return shown + ": name_len, filename, size and payload, none of which a LIST carries"
	case (op == wire.OpRestore || op == wire.OpDelete) && len(after) >= 4 && 4+u32(after) == n:
		return fmt.Sprintf("%s: a size and a payload, which a %v does not carry", shown, op)
	case !slices.ContainsFunc(after, func(b byte) bool { return b != 0 }):
		return shown + ": zero padding"
	}
	return shown
}

// ScriptCall is a request of a run as the script compares it: its op and name.
type ScriptCall struct {
	Op   uint8
	Name string
}

func (c ScriptCall) String() string {
	op := wire.Op(c.Op)
	switch {
	case !op.Known():
		return fmt.Sprintf("op %d", c.Op)
	case op == wire.OpList:
		return "LIST"
	}
	return fmt.Sprintf("%v %s", op, Quote(c.Name))
}

// JudgeScript checks R-7.4's order: calls are a run's requests in the order they arrived, files
// the names of backup.info's two files ("" when unknown: the run's BACKUPs then name them).
func JudgeScript(calls []ScriptCall, files [2]string) *Violation {
	for i, c := range calls {
		if i < len(Script) && Script[i].Op == wire.OpBackup && files[Script[i].File-1] == "" && wire.Op(c.Op) == wire.OpBackup {
			files[Script[i].File-1] = c.Name
		}
	}
	want := make([]ScriptCall, len(Script))
	for i, s := range Script {
		want[i] = ScriptCall{Op: uint8(s.Op)}
		if s.File > 0 {
			want[i].Name = files[s.File-1]
		}
	}
	v := &Violation{Req: R7_4, Check: CheckScriptOrder}
	for i := range max(len(want), len(calls)) {
		switch {
		case i >= len(calls):
			v.Expected = fmt.Sprintf("step %d of %d: %v", i+1, len(want), want[i])
			v.Actual = fmt.Sprintf("the run ended after %d requests%s", len(calls), describeCalls(calls))
			return v
		case i >= len(want):
			v.Expected = fmt.Sprintf("the %d requests of §6, then nothing", len(want))
			v.Actual = fmt.Sprintf("request %d: %v", i+1, calls[i])
			return v
		case calls[i] != want[i]:
			v.Expected = fmt.Sprintf("step %d of %d: %v", i+1, len(want), want[i])
			v.Actual = fmt.Sprintf("%v%s", calls[i], describeCalls(calls))
			return v
		}
	}
	return nil
}

func describeCalls(calls []ScriptCall) string {
	if len(calls) == 0 {
		return ""
	}
	s := make([]string, len(calls))
	for i, c := range calls {
		s[i] = c.String()
	}
	return " (" + strings.Join(s, ", ") + ")"
}

// JudgeOneUser checks that a run's requests carry one user id.
func JudgeOneUser(ids []uint32) *Violation {
	for i, id := range ids {
		if id != ids[0] {
			return &Violation{Req: R7_3, Check: CheckUserChanges, Expected: fmt.Sprintf("user %d, the run's first, on every request", ids[0]),
				Actual: fmt.Sprintf("user %d on request %d", id, i+1)}
		}
	}
	return nil
}

// JudgeRunsDiffer checks that runs drew their user ids anew: ids[i] is run i's first
// id, runs[i] its name.
func JudgeRunsDiffer(ids []uint32, runs []string) *Violation {
	seen := map[uint32]int{}
	for i, id := range ids {
		if j, ok := seen[id]; ok {
			return &Violation{Req: R7_3, Check: CheckUserRepeats, Expected: "a user id drawn at random for every run",
				Actual: fmt.Sprintf("user %d in the runs %s and %s", id, runs[j], runs[i])}
		}
		seen[id] = i
	}
	return nil
}

// Upload is a BACKUP as the server received it, against the file it stands for.
type Upload struct {
	Name     []byte
	Size     uint32 // the size field
	Got      int64  // payload bytes that arrived
	Mismatch int64  // offset of the first byte that differs from the file, -1 if none
	// The file: its base name and length.
	FileName string
	FileLen  int64
}

// JudgeUpload checks: the file's base name, its exact size, exactly its bytes.
func JudgeUpload(u Upload) *Violation {
	v := &Violation{Req: R7_7, Check: CheckUpload}
	switch {
	case string(u.Name) != u.FileName:
		v.Expected, v.Actual = fmt.Sprintf("the name %s", Quote(u.FileName)), fmt.Sprintf("the name %s", Quote(u.Name))
		if base := u.FileName; strings.HasSuffix(string(u.Name), "/"+base) || strings.HasSuffix(string(u.Name), "\\"+base) {
			v.Check = CheckUploadPath
		}
	case int64(u.Size) != u.FileLen:
		v.Expected, v.Actual = fmt.Sprintf("size %d, the file's length", u.FileLen), fmt.Sprintf("size %d", u.Size)
	case u.Got < int64(u.Size):
		v.Expected, v.Actual = fmt.Sprintf("%d payload bytes", u.Size), fmt.Sprintf("%d, then nothing", u.Got)
	case u.Mismatch >= 0:
		v.Expected = fmt.Sprintf("the %d bytes of %s", u.FileLen, Quote(u.FileName))
		v.Actual = fmt.Sprintf("a payload that differs from byte %d on", u.Mismatch)
	default:
		return nil
	}
	return v
}

// JudgeWaitAfter judges a client that did nothing after a whole response of status on a kept
// connection until the server closed it: for a 1001, 1002 or 1003 it waits for bytes the
// status does not carry, after any other status for the close.
func JudgeWaitAfter(status uint16, wait time.Duration) *Violation {
	st := wire.Status(status)
	v := &Violation{Check: CheckWaited, Actual: fmt.Sprintf("nothing for %v after the whole %d response, until the server closed the connection", wait, status)}
	switch st {
	case wire.StatusNotExist, wire.StatusNoFiles, wire.StatusServerError:
		v.Req = R7_10
		layout := "3 bytes in all"
		if st == wire.StatusNotExist {
			layout = "ending after its filename"
		}
		v.Expected = fmt.Sprintf("the %d read as %s, then the next request, a close or the end", status, layout)
	default:
		v.Req = R7_5
		v.Expected = fmt.Sprintf("the %d read to its length, then the next request, a close or the end, without waiting for the server to close", status)
	}
	return v
}

// ShortStatus reports whether a response of status carries no size field: a client that waits
// after one is misreading its layout, not only waiting for the close.
func ShortStatus(status uint16) bool {
	f, ok := wire.Status(status).Fields()
	return ok && !f.Has(wire.HasPayload) && wire.Status(status) != wire.StatusOK
}

// ClientEnd is how a client's run ended.
type ClientEnd struct {
	// Killed: it still ran when its time (Limit) was up.
	Killed bool
	Limit  time.Duration
	// Crash names a crash: a signal, an uncaught exception; "" when none.
	Crash string
}

// JudgeClientEnd checks that a client provoked by req's kind of answer ended by itself without
// crashing: req is for error statuses, R-7.11 for a failing or hostile server. A crash
// and a hang are checks of their own: two faults, fixed apart.
func JudgeClientEnd(req ID, e ClientEnd) *Violation {
	v := &Violation{Req: req, Expected: "the client to end by itself, without crashing"}
	switch {
	case e.Killed:
		v.Check, v.Actual = CheckClientHang, fmt.Sprintf("still running after %v: killed", e.Limit)
	case e.Crash != "":
		v.Check, v.Actual = CheckClientCrash, "a crash: "+e.Crash
	default:
		return nil
	}
	return v
}

// RestoredFile is what became of a restore's target, tmp.
type RestoredFile struct {
	Exists   bool
	Size     int64
	Mismatch int64 // offset of its first byte that differs from the payload, -1 if none
	Payload  int64 // the payload's length
}

// JudgeRestoredFile checks R-7.8 on a whole 210: when is says when tmp was looked at ("when the
// DELETE arrived", "at the end of the run").
func JudgeRestoredFile(when string, f RestoredFile) *Violation {
	v := &Violation{Req: R7_8, Check: CheckRestoredFile, Expected: fmt.Sprintf("tmp holding the %d bytes of the 210's payload %s", f.Payload, when)}
	switch {
	case !f.Exists:
		v.Actual = "no file tmp"
	case f.Size != f.Payload:
		v.Actual = fmt.Sprintf("tmp of %d bytes", f.Size)
	case f.Mismatch >= 0:
		v.Actual = fmt.Sprintf("tmp differs from the payload from byte %d on", f.Mismatch)
	default:
		return nil
	}
	return v
}

// JudgeWrittenElsewhere checks: paths are files the run created or changed
// outside tmp that hold a payload or carry a name from a response (a 210's, a 211's).
func JudgeWrittenElsewhere(paths []string, why string) *Violation {
	if len(paths) == 0 {
		return nil
	}
	return &Violation{Req: R5_6, Check: CheckWroteElsewhere, Expected: "the restored file written as tmp only, and nothing written under a name from a response",
		Actual: fmt.Sprintf("%s %s", why, QuoteNames(paths))}
}

// JudgeNoFileOnError checks after a run whose every answer was an error status: no
// restore succeeded, so there must be no tmp.
func JudgeNoFileOnError(f RestoredFile) *Violation {
	if !f.Exists {
		return nil
	}
	return &Violation{Req: R7_10, Check: CheckRestoredFile, Expected: "no tmp: every RESTORE was answered 1003",
		Actual: fmt.Sprintf("tmp of %d bytes", f.Size)}
}

// JudgeFileWithoutPayload checks after a run in which no RESTORE got a whole payload:
// there must be no tmp, which the run's folder did not hold before.
func JudgeFileWithoutPayload(f RestoredFile) *Violation {
	if !f.Exists {
		return nil
	}
	return &Violation{Req: R7_8, Check: CheckFileNoPayload, Expected: "no tmp: no RESTORE of the run got a whole payload",
		Actual: fmt.Sprintf("tmp of %d bytes", f.Size)}
}

// JudgeLostOnClosed checks: q was sent on connection conn after the server had closed it
// following its response; resent says whether the client sent it again on a new connection.
func JudgeLostOnClosed(q *ClientRequest, conn int, resent bool) *Violation {
	if resent {
		return nil
	}
	return &Violation{Req: R7_6, Check: CheckResentOnClosed, Expected: "a request that meets a connection the server closed sent again on a new one",
		Actual: fmt.Sprintf("%s sent on connection %d after the server had closed it, and never again", q, conn)}
}

// JudgePartialFile checks after a payload cut short: tmp must not hold part of it, as if
// it were the file.
func JudgePartialFile(f RestoredFile, sent int64) *Violation {
	if !f.Exists {
		return nil
	}
	return &Violation{Req: R7_9, Check: CheckPartialFile, Expected: fmt.Sprintf("no tmp: the 210 stated %d bytes and %d arrived", f.Payload, sent),
		Actual: fmt.Sprintf("tmp of %d bytes left behind, as if it were the file", f.Size)}
}

// memoryNoise is growth of a client's peak memory that says nothing: a runtime's heap and
// buffers vary that much from run to run.
const memoryNoise = 16 << 20

// MemoryBound is how far a client's peak memory may grow over its canonical run when a
// server sends sent bytes of a payload it claims is 4 GiB: half of them, or the noise of a
// runtime when that is more.
func MemoryBound(base, sent int64) int64 { return base + max(sent/2, memoryNoise) }

// JudgeMemory checks R-7.9's bounded memory: peak is the client's peak resident set against a
// lying size, base its peak in the canonical run, sent what the server sent of the payload.
func JudgeMemory(peak, base, sent int64) *Violation {
	if peak <= MemoryBound(base, sent) {
		return nil
	}
	return &Violation{Req: R7_9, Check: CheckMemory,
		Expected: fmt.Sprintf("peak memory at most %s (%s in the canonical run + half of the %s sent, or %s)", mib(MemoryBound(base, sent)), mib(base), mib(sent), mib(memoryNoise)),
		Actual:   fmt.Sprintf("peak memory %s: the payload is held in memory", mib(peak))}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// JudgeStall checks R-7.12's stall timeout: held is how long the client kept a connection on
// which the server sent nothing, gaveUp whether it let go (closed it, or ended) before limit.
func JudgeStall(gaveUp bool, held, limit time.Duration) *Violation {
	if gaveUp && held <= limit {
		return nil
	}
	return &Violation{Req: R7_12, Check: CheckStall, Expected: fmt.Sprintf("the client to give up on a silent server within %v", limit),
		Actual: fmt.Sprintf("still waiting after %v", held.Round(time.Millisecond))}
}

// RunSummary is what a run of the scripted client comes to, for comparing two runs.
type RunSummary struct {
	Calls []ScriptCall
	Exit  string // how the process ended: "exit status 0"; "" when unknown
	// TmpExact: tmp held the restored payload at the end; nil when unknown.
	TmpExact *bool
}

// Pacing is how a scenario's server spreads its responses in time.
type Pacing int

const (
	// OneByteWrites: every header byte in a write of its own (R-7.5: one read is not a response).
	OneByteWrites Pacing = iota + 1
	// SlowDrip: every response spread over seconds, data always moving.
	SlowDrip
)

// JudgeSameRun checks that a run against a server that paces its responses went as the run
// against the canonical server: same requests, same end, same tmp.
func JudgeSameRun(p Pacing, canonical, got RunSummary) *Violation {
	v := &Violation{Req: R7_5, Check: CheckDiffers}
	how := "responses cut into 1-byte writes"
	if p == SlowDrip {
		v.Req, how = R7_12, "responses dripped slowly"
	}
	switch {
	case !slices.Equal(canonical.Calls, got.Calls):
		i := 0
		for i < len(canonical.Calls) && i < len(got.Calls) && canonical.Calls[i] == got.Calls[i] {
			i++
		}
		v.Expected = fmt.Sprintf("with %s, the requests of the canonical run%s", how, describeCalls(canonical.Calls))
		if i < len(got.Calls) {
			v.Actual = fmt.Sprintf("request %d: %v%s", i+1, got.Calls[i], describeCalls(got.Calls))
		} else {
			v.Actual = fmt.Sprintf("the run ended after %d requests%s", len(got.Calls), describeCalls(got.Calls))
		}
	case canonical.Exit != "" && got.Exit != "" && canonical.Exit != got.Exit:
		v.Expected = fmt.Sprintf("with %s, the canonical run's %s", how, canonical.Exit)
		v.Actual = got.Exit
	case canonical.TmpExact != nil && got.TmpExact != nil && *canonical.TmpExact && !*got.TmpExact:
		v.Expected = fmt.Sprintf("with %s, tmp restored exactly, as in the canonical run", how)
		v.Actual = "tmp missing or different"
	default:
		return nil
	}
	return v
}

// JudgeEchoedControls checks: found lists the control sequences, planted in names the
// server sent, that reached the client's output raw.
func JudgeEchoedControls(found [][]byte) *Violation {
	if len(found) == 0 {
		return nil
	}
	q := make([]string, len(found))
	for i, f := range found {
		q[i] = Quote(f)
	}
	return &Violation{Req: R7_13, Check: CheckEchoedControls, Expected: "names from the server shown with their control bytes escaped or left out",
		Actual: "the output holds the server's raw " + strings.Join(q, ", ")}
}

// JudgeReadWhole checks that a client read a response true to its length to its end before it
// closed the connection: how says how it did not, "" when it did. A 1001, 1002 or 1003 read
// short is R-7.10's; any other status R-7.5's.
func JudgeReadWhole(status uint16, how string) *Violation {
	if how == "" {
		return nil
	}
	v := &Violation{Req: R7_5, Check: CheckUnread, Actual: how,
		Expected: fmt.Sprintf("the %d read to the length its status and fields give, then the connection closed", status)}
	if ShortStatus(status) {
		v.Req = R7_10
		layout := "3 bytes in all"
		if wire.Status(status) == wire.StatusNotExist {
			layout = "its name_len and filename after the status"
		}
		v.Expected = fmt.Sprintf("the %d read whole (%s), then the connection closed", status, layout)
	}
	return v
}

// JudgeExitStatus checks: code is the exit status of a client that ended by itself;
// failed says why a step of its run could not finish, "" when every step got the answer it
// expects.
func JudgeExitStatus(failed string, code int) *Violation {
	switch {
	case failed != "" && code == 0:
		return &Violation{Req: R7_14, Check: CheckExitOnFailure, Expected: "a non-zero exit status: " + failed, Actual: "exit status 0"}
	case failed == "" && code != 0:
		return &Violation{Req: R7_14, Check: CheckExitOnSuccess, Expected: "exit status 0: every step got the answer it expects",
			Actual: fmt.Sprintf("exit status %d", code)}
	}
	return nil
}

// ClientProblem says in plain words, in a line, the fault of a client that v shows, so that a
// report names the root cause once; "" when v's check has no such words.
func ClientProblem(v *Violation) string {
	switch v.Check {
	case CheckRequestMissing:
		return "the client never sends a request to the server server.info names"
	case CheckClientOp:
		return "the client sends op codes §2 does not define"
	case CheckClientVersion:
		return "the client sends a version other than 1"
	case CheckBytesAfter:
		return "the client sends bytes after a whole request: padding, or fields its op does not carry"
	case CheckRequestCut:
		return "the client stops a request before its last field"
	case CheckScriptOrder:
		return "the client's requests are not the scripted run of §6"
	case CheckUserChanges:
		return "the client changes its user id within a run"
	case CheckUserRepeats:
		return "the client uses the same user id in every run"
	case CheckUpload:
		return "the client's BACKUP does not send the file as it is"
	case CheckUploadPath:
		return "the client's BACKUP names the file by the path it was given (a line of backup.info), not by its base name"
	case CheckWaited:
		if v.Req == R7_10 {
			return "the client waits for bytes a 1001, 1002 or 1003 does not carry"
		}
		return "the client reads a response until the server closes the connection, not by its length"
	case CheckResentOnClosed:
		return "the client loses a request it sent on a connection the server had closed"
	case CheckClientCrash:
		if v.Req == R7_10 {
			return "the client crashes on an error status"
		}
		return "the client crashes when the server fails or lies"
	case CheckClientHang:
		if v.Req == R7_10 {
			return "the client hangs on an error status"
		}
		return "the client hangs when the server fails or lies"
	case CheckRestoredFile:
		if v.Req == R7_10 {
			return "the client leaves a tmp behind when every RESTORE is refused"
		}
		return "the restored file tmp is missing, or is not the payload the server sent"
	case CheckWroteElsewhere:
		return "the client writes files where the user did not ask: a restored payload twice, or under a name from a response"
	case CheckPartialFile:
		return "the client leaves part of a cut payload as tmp, as if it were the file"
	case CheckMemory:
		return "the client holds a payload in memory: a server that claims 4 GiB makes it grow"
	case CheckStall:
		return "the client waits forever for a server that sends nothing"
	case CheckDiffers:
		if v.Req == R7_12 {
			return "the client gives up on a slow server that keeps data moving"
		}
		return "the client misreads a response that arrives in pieces: it assumes one read holds it"
	case CheckEchoedControls:
		return "the client prints the server's terminal escape sequences raw"
	case CheckUnread:
		if v.Req == R7_10 {
			return "the client reads a 1001, 1002 or 1003 short of its layout and closes on the rest"
		}
		return "the client stops reading a response before its end and closes on the rest: one read, or a cap"
	case CheckFileNoPayload:
		return "the client writes tmp though no RESTORE got a whole payload: a failed restore leaves a file behind"
	case CheckExitOnFailure:
		return "the client exits 0 after a step failed: a script running it takes the run for a success"
	case CheckExitOnSuccess:
		return "the client exits non-zero after a run whose every step finished"
	}
	return ""
}

// ProblemKey tells apart the faults a client's violations show: two violations of one key are
// one problem, however many cases and scenarios meet it.
func ProblemKey(v *Violation) string { return string(v.Req) + "|" + v.Check }
