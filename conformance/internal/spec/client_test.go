package spec

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

func TestJudgeRequestLayout(t *testing.T) {
	list := func(after []byte, n int64) *ClientRequest {
		return &ClientRequest{UserID: 7, Version: 1, Op: uint8(wire.OpList), Got: 6, Want: 6, After: after, AfterLen: n}
	}
	if v := JudgeRequestLayout(list(nil, 0)); v != nil {
		t.Errorf("a 6-byte LIST: %v", v)
	}
	for _, c := range []struct {
		name  string
		q     *ClientRequest
		check string
		want  string
	}{
		{"LIST with a name_len", list([]byte{0, 0}, 2), CheckBytesAfter, "a name_len, which a LIST does not carry"},
		{"LIST padded to 1024", list(make([]byte, 64), 1018), CheckBytesAfter, "1018 bytes more after it: 00 00 00 00 00 00 00 00 00 00 00 00 …: zero padding"},
		{"LIST with a BACKUP's fields", list([]byte{0, 0, 0, 0, 0, 0}, 6), CheckBytesAfter, "name_len, filename, size and payload, none of which a LIST carries"},
		{"RESTORE with a size and the file", &ClientRequest{Op: uint8(wire.OpRestore), Name: []byte("a"), Got: 9, Want: 9,
			After: []byte{3, 0, 0, 0, 'x', 'y', 'z'}, AfterLen: 7}, CheckBytesAfter, "a size and a payload, which a RESTORE does not carry"},
		{"DELETE cut in its name", &ClientRequest{Op: uint8(wire.OpDelete), Name: []byte("abcd"), Got: 9, Want: 12}, CheckRequestCut, "9 bytes, then nothing"},
	} {
		v := JudgeRequestLayout(c.q)
		if v == nil || v.Req != R7_1 || v.Check != c.check || !strings.Contains(v.Actual, c.want) {
			t.Errorf("%s: %+v, want R-7.1 %s with %q", c.name, v, c.check, c.want)
		}
	}
	// A payload cut short is R-7.7's; an unknown op is R-7.2's.
	if v := JudgeRequestLayout(&ClientRequest{Op: uint8(wire.OpBackup), Name: []byte("a"), Size: 10, Got: 13, Want: 23}); v != nil {
		t.Errorf("a BACKUP with its payload cut: %v", v)
	}
	if v := JudgeRequestLayout(&ClientRequest{Op: 4, Got: 6, AfterLen: 3}); v != nil {
		t.Errorf("op 4: %v", v)
	}
}

// A request's header is as long as the fields its op carries; an unknown op's layout is unknown.
func TestClientRequestHeaderLen(t *testing.T) {
	for _, c := range []struct {
		q    ClientRequest
		want int64
	}{
		{ClientRequest{Op: uint8(wire.OpList)}, 6},
		{ClientRequest{Op: uint8(wire.OpRestore), Name: []byte("abc")}, 6 + 2 + 3},
		{ClientRequest{Op: uint8(wire.OpDelete), Name: []byte("abc")}, 6 + 2 + 3},
		{ClientRequest{Op: uint8(wire.OpBackup), Name: []byte("abc"), Size: 99}, 6 + 2 + 3 + 4},
		{ClientRequest{Op: 4, Name: []byte("abc")}, 0},
	} {
		if got := c.q.HeaderLen(); got != c.want {
			t.Errorf("op %d: %d, want %d", c.q.Op, got, c.want)
		}
	}
}

func TestIDStrings(t *testing.T) {
	if got := IDStrings(R7_8, R5_6); len(got) != 2 || got[0] != "R-7.8" || got[1] != "R-5.6" {
		t.Errorf("%q", got)
	}
	if got := IDStrings(); got == nil || len(got) != 0 {
		t.Errorf("no ids: %#v, want an empty list", got)
	}
}

func TestJudgeClientOpNamesWhatWasDue(t *testing.T) {
	if JudgeClientOp(202, &Script[0]) != nil || JudgeClientVersion(1) != nil {
		t.Fatal("canonical op or version refused")
	}
	v := JudgeClientOp(4, &Script[0])
	if v == nil || v.Req != R7_2 || v.Actual != "op 4 where the script's LIST (202) is due" {
		t.Errorf("%+v", v)
	}
	if v := JudgeClientVersion(4); v == nil || v.Req != R7_2 || v.Actual != "version 4" {
		t.Errorf("%+v", v)
	}
}

func TestJudgeScript(t *testing.T) {
	files := [2]string{"a.bin", "b.bin"}
	good := []ScriptCall{{202, ""}, {100, "a.bin"}, {100, "b.bin"}, {202, ""}, {200, "a.bin"}, {201, "a.bin"}, {200, "a.bin"}}
	if v := JudgeScript(good, files); v != nil {
		t.Fatalf("the script itself: %v", v)
	}
	if v := JudgeScript(good, [2]string{}); v != nil {
		t.Fatalf("the script with names learnt from its BACKUPs: %v", v)
	}
	for name, c := range map[string]struct {
		calls []ScriptCall
		want  string
	}{
		"swapped":   {append([]ScriptCall{good[1], good[0]}, good[2:]...), `step 1 of 7: LIST`},
		"short":     {good[:4], "the run ended after 4 requests"},
		"one more":  {append(append([]ScriptCall{}, good...), ScriptCall{202, ""}), "request 8: LIST"},
		"restore 2": {append(append([]ScriptCall{}, good[:4]...), ScriptCall{200, "b.bin"}, good[5], good[6]), `step 5 of 7: RESTORE "a.bin"`},
	} {
		v := JudgeScript(c.calls, files)
		if v == nil || v.Req != R7_4 || !strings.Contains(v.Expected+" "+v.Actual, c.want) {
			t.Errorf("%s: %+v, want %q", name, v, c.want)
		}
	}
}

func TestJudgeUsers(t *testing.T) {
	if JudgeOneUser([]uint32{5, 5, 5}) != nil || JudgeRunsDiffer([]uint32{1, 2, 3}, []string{"a", "b", "c"}) != nil {
		t.Fatal("good ids refused")
	}
	if v := JudgeOneUser([]uint32{5, 5, 6}); v == nil || v.Req != R7_3 || !strings.Contains(v.Actual, "request 3") {
		t.Errorf("%+v", v)
	}
	if v := JudgeRunsDiffer([]uint32{1234, 9, 1234}, []string{"a", "b", "c"}); v == nil || v.Actual != "user 1234 in the runs a and c" {
		t.Errorf("%+v", v)
	}
}

func TestJudgeUpload(t *testing.T) {
	ok := Upload{Name: []byte("f"), Size: 3, Got: 3, Mismatch: -1, FileName: "f", FileLen: 3}
	if v := JudgeUpload(ok); v != nil {
		t.Fatal(v)
	}
	for name, c := range map[string]struct {
		u    func(u *Upload)
		want string
	}{
		"name":     {func(u *Upload) { u.Name = []byte("g") }, `the name "g"`},
		"path":     {func(u *Upload) { u.Name = []byte("dir/f") }, `the name "dir/f"`},
		"size":     {func(u *Upload) { u.Size = 4 }, "size 4"},
		"short":    {func(u *Upload) { u.Got = 1 }, "1, then nothing"},
		"mismatch": {func(u *Upload) { u.Mismatch = 2 }, "differs from byte 2 on"},
	} {
		u := ok
		c.u(&u)
		v := JudgeUpload(u)
		if v == nil || v.Req != R7_7 || !strings.Contains(v.Actual, c.want) {
			t.Errorf("%s: %+v", name, v)
		} else if (v.Check == CheckUploadPath) != (name == "path") {
			// A path is its own fault; another wrong name, size or payload is the upload's.
			t.Errorf("%s: check %s", name, v.Check)
		}
	}
}

// A wait after a status with no size field is a misread layout; after any other it is
// a wait for the close.
func TestJudgeWaitAfter(t *testing.T) {
	for status, want := range map[uint16]ID{1001: R7_10, 1002: R7_10, 1003: R7_10, 210: R7_5, 211: R7_5, 212: R7_5} {
		if v := JudgeWaitAfter(status, time.Second); v.Req != want {
			t.Errorf("%d: %s, want %s", status, v.Req, want)
		}
		if ShortStatus(status) != (want == R7_10) {
			t.Errorf("ShortStatus(%d) = %v", status, ShortStatus(status))
		}
	}
}

func TestJudgeMemory(t *testing.T) {
	const mib = 1 << 20
	if v := JudgeMemory(40*mib, 10*mib, 64*mib); v != nil {
		t.Errorf("30 MiB over a 64 MiB send: %v", v)
	}
	if v := JudgeMemory(80*mib, 10*mib, 64*mib); v == nil || v.Req != R7_9 {
		t.Errorf("70 MiB over a 64 MiB send: %v", v)
	}
	// A send cut short by the client says nothing about memory under a runtime's noise.
	if v := JudgeMemory(12*mib, 10*mib, mib); v != nil {
		t.Errorf("2 MiB over a 1 MiB send: %v", v)
	}
}

func TestJudgeSameRun(t *testing.T) {
	yes, no := true, false
	base := RunSummary{Calls: []ScriptCall{{202, ""}}, Exit: "exit status 0", TmpExact: &yes}
	if v := JudgeSameRun(OneByteWrites, base, base); v != nil {
		t.Fatal(v)
	}
	exit := base
	exit.Exit = "exit status 1"
	if v := JudgeSameRun(OneByteWrites, base, exit); v == nil || v.Req != R7_5 || v.Actual != "exit status 1" {
		t.Errorf("%+v", v)
	}
	tmp := base
	tmp.TmpExact = &no
	if v := JudgeSameRun(SlowDrip, base, tmp); v == nil || v.Req != R7_12 {
		t.Errorf("%+v", v)
	}
	calls := base
	calls.Calls = nil
	if v := JudgeSameRun(OneByteWrites, base, calls); v == nil || !strings.Contains(v.Actual, "ended after 0 requests") {
		t.Errorf("%+v", v)
	}
}

func TestClientEndAndFiles(t *testing.T) {
	if JudgeClientEnd(R7_11, ClientEnd{}) != nil || JudgeStall(true, time.Second, 2*time.Second) != nil {
		t.Fatal("a clean end refused")
	}
	if v := JudgeClientEnd(R7_10, ClientEnd{Crash: "a Go panic"}); v == nil || v.Req != R7_10 || v.Check != CheckClientCrash || v.Actual != "a crash: a Go panic" {
		t.Errorf("%+v", v)
	}
	if v := JudgeClientEnd(R7_11, ClientEnd{Killed: true, Limit: time.Second}); v == nil || v.Check != CheckClientHang || !strings.Contains(v.Actual, "killed") {
		t.Errorf("%+v", v)
	}
	if v := JudgeStall(false, 3*time.Second, 2*time.Second); v == nil || v.Req != R7_12 {
		t.Errorf("%+v", v)
	}
	f := RestoredFile{Exists: true, Size: 3, Mismatch: -1, Payload: 3}
	if JudgeRestoredFile("at the end", f) != nil {
		t.Fatal("an exact tmp refused")
	}
	f.Mismatch = 1
	if v := JudgeRestoredFile("at the end", f); v == nil || v.Req != R7_8 {
		t.Errorf("%+v", v)
	}
	if v := JudgePartialFile(RestoredFile{Exists: true, Size: 5, Payload: 10}, 5); v == nil || v.Req != R7_9 {
		t.Errorf("%+v", v)
	}
	if v := JudgeWrittenElsewhere([]string{"../x"}, "wrote"); v == nil || v.Req != R5_6 {
		t.Errorf("%+v", v)
	}
	if v := JudgeEchoedControls([][]byte{[]byte("\x1b[2J")}); v == nil || !strings.Contains(v.Actual, `"\x1b[2J"`) {
		t.Errorf("%+v", v)
	}
}

// A response closed on before its end is R-7.10's for the statuses without a size, R-7.5's
// for the others.
func TestJudgeReadWhole(t *testing.T) {
	if JudgeReadWhole(211, "") != nil {
		t.Fatal("a response read whole refused")
	}
	for status, req := range map[uint16]ID{210: R7_5, 211: R7_5, 212: R7_5, 1001: R7_10, 1002: R7_10, 1003: R7_10} {
		v := JudgeReadWhole(status, "reset")
		if v == nil || v.Req != req || v.Check != CheckUnread || v.Actual != "reset" {
			t.Errorf("%d: %+v, want %s", status, v, req)
		}
	}
	if v := JudgeReadWhole(1001, "reset"); !strings.Contains(v.Expected, "filename") {
		t.Errorf("a 1001's layout unnamed: %q", v.Expected)
	}
}

// The answers a canonical server gives the scripted run's steps.
func TestScriptAnswered(t *testing.T) {
	want := [][]uint16{{211, 1002}, {212}, {212}, {211}, {210}, {212}, {1001}}
	for i, ok := range want {
		for _, st := range []uint16{210, 211, 212, 1001, 1002, 1003} {
			if got := ScriptAnswered(i, st); got != slices.Contains(ok, st) {
				t.Errorf("step %d (%v), status %d: %v", i, Script[i], st, got)
			}
		}
	}
	if ScriptAnswered(len(Script), 212) || ScriptAnswered(-1, 212) {
		t.Error("a step past the script answered")
	}
}

// both ways: non-zero after a failed step, 0 after a run that finished; two faults.
func TestJudgeExitStatus(t *testing.T) {
	if JudgeExitStatus("", 0) != nil || JudgeExitStatus("1003 to everything", 1) != nil || JudgeExitStatus("no answer", 3) != nil {
		t.Fatal("a right exit status refused")
	}
	failed, succeeded := JudgeExitStatus("1003 to everything", 0), JudgeExitStatus("", 1)
	if failed == nil || failed.Req != R7_14 || !strings.Contains(failed.Expected, "1003 to everything") || failed.Actual != "exit status 0" {
		t.Errorf("%+v", failed)
	}
	if succeeded == nil || succeeded.Req != R7_14 || succeeded.Actual != "exit status 1" {
		t.Errorf("%+v", succeeded)
	}
	if ProblemKey(failed) == ProblemKey(succeeded) {
		t.Error("exit 0 after a failure and non-zero after a success are one problem")
	}
	if JudgeFileWithoutPayload(RestoredFile{}) != nil {
		t.Error("no tmp refused")
	}
	if v := JudgeFileWithoutPayload(RestoredFile{Exists: true, Size: 0}); v == nil || v.Req != R7_8 || v.Check != CheckFileNoPayload {
		t.Errorf("%+v", v)
	}
}

// Every client check names its fault in plain words, and a crash is another problem than a
// hang of the same rule.
func TestClientProblems(t *testing.T) {
	for _, check := range []string{CheckClientOp, CheckClientVersion, CheckBytesAfter, CheckRequestCut, CheckScriptOrder,
		CheckUserChanges, CheckUserRepeats, CheckUpload, CheckUploadPath, CheckWaited, CheckClientCrash, CheckClientHang, CheckRestoredFile, CheckWroteElsewhere,
		CheckPartialFile, CheckMemory, CheckStall, CheckDiffers, CheckEchoedControls, CheckRequestMissing, CheckResentOnClosed,
		CheckUnread, CheckFileNoPayload, CheckExitOnFailure, CheckExitOnSuccess} {
		if ClientProblem(&Violation{Req: R7_1, Check: check}) == "" {
			t.Errorf("%s: no words", check)
		}
	}
	if ClientProblem(&Violation{Req: R7_1, Check: CheckNoEvidence}) != "" {
		t.Error("a case that found nothing to judge has no fault to name")
	}
	crash := ProblemKey(JudgeClientEnd(R7_11, ClientEnd{Crash: "a Go panic"}))
	hang := ProblemKey(JudgeClientEnd(R7_11, ClientEnd{Killed: true}))
	if crash == hang || crash != ProblemKey(JudgeClientEnd(R7_11, ClientEnd{Crash: "an uncaught Python exception"})) {
		t.Errorf("keys %q %q", crash, hang)
	}
	// The check tells a crash from a hang, whatever the words of Actual.
	for _, c := range []struct {
		req   ID
		check string
		want  string
	}{
		{R7_10, CheckClientCrash, "the client crashes on an error status"},
		{R7_10, CheckClientHang, "the client hangs on an error status"},
		{R7_11, CheckClientCrash, "the client crashes when the server fails or lies"},
		{R7_11, CheckClientHang, "the client hangs when the server fails or lies"},
	} {
		if got := ClientProblem(&Violation{Req: c.req, Check: c.check, Actual: "a crash"}); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.req, c.check, got, c.want)
		}
	}
	if JudgeWaitAfter(1002, time.Second).Req == JudgeWaitAfter(212, time.Second).Req ||
		ClientProblem(JudgeWaitAfter(1002, time.Second)) == ClientProblem(JudgeWaitAfter(212, time.Second)) {
		t.Error("a wait after 1002 and one after 212 are one problem")
	}
}
