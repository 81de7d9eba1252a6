package spec

import (
	"strings"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

func TestJudgeAnswer(t *testing.T) {
	backup := Request{Op: wire.OpBackup, Name: []byte("a")}
	restore := Request{Op: wire.OpRestore, Name: []byte("a")}
	list := Request{Op: wire.OpList}
	good := []byte("Abcdefghijklmnopqrstuvwxyz012345")
	for _, tc := range []struct {
		q     Request
		st    wire.Status
		name  string
		req   ID
		check string
	}{
		{backup, wire.StatusOK, "a", "", ""},
		{backup, wire.StatusServerError, "", "", ""},
		{backup, wire.StatusRestored, "a", R4_1, CheckStatusForbidden},
		{backup, wire.StatusOK, "b", R4_1, CheckNameMismatch},
		{restore, wire.StatusNotExist, "a", "", ""},
		{restore, wire.StatusListed, string(good), R4_2, CheckStatusForbidden},
		{Request{Op: wire.OpDelete, Name: []byte("..")}, wire.StatusOK, "..", R5_1, CheckUnsafeNameServed},
		{Request{Op: wire.OpDelete, Name: []byte("..")}, wire.StatusNotExist, "..", "", ""},
		{list, wire.StatusListed, string(good), "", ""},
		{list, wire.StatusListed, "short", R4_4, CheckListingName},
		{list, wire.StatusNoFiles, "", "", ""},
		{Request{Op: 7, Form: UnknownOp}, wire.StatusNoFiles, "", R5_2, CheckStatusForbidden},
		{Request{Op: 7, Form: UnknownOp}, wire.StatusServerError, "", "", ""},
		{Request{Op: wire.OpBackup, Form: Oversize}, wire.StatusOK, "a", R5_4, CheckStatusForbidden},
		{Request{Op: wire.OpBackup, Form: Truncated}, wire.StatusOK, "a", R5_3, CheckStatusForbidden},
	} {
		v := JudgeAnswer(tc.q, tc.st, []byte(tc.name))
		switch {
		case tc.req == "" && v != nil:
			t.Errorf("%v answered %v: %v, want allowed", tc.q, tc.st, v)
		case tc.req != "" && (v == nil || v.Req != tc.req || v.Check != tc.check):
			t.Errorf("%v answered %v: %+v, want %s %s", tc.q, tc.st, v, tc.req, tc.check)
		}
	}
}

func TestOwedAndOpRequirement(t *testing.T) {
	for q, want := range map[*Request]ID{
		{Op: wire.OpList}:                    R2_1,
		{Op: wire.OpRestore}:                 R1_3,
		{Op: 7, Form: UnknownOp}:             R5_2,
		{Op: wire.OpBackup, Form: Oversize}:  R5_4,
		{Op: wire.OpBackup, Form: Truncated}: "",
	} {
		if got := q.Owed(); got != want {
			t.Errorf("%v owed under %q, want %q", *q, got, want)
		}
	}
	for op, want := range map[wire.Op]ID{wire.OpBackup: R4_1, wire.OpRestore: R4_2, wire.OpDelete: R4_3, wire.OpList: R4_4, 0: R5_2, 99: R5_2} {
		if got := OpRequirement(op); got != want {
			t.Errorf("op %d: %s, want %s", op, got, want)
		}
	}
}

func TestJudgeStatusCode(t *testing.T) {
	if v := JudgeStatusCode(1001); v != nil {
		t.Errorf("1001: %v", v)
	}
	// 1001 is e9 03 little-endian; sent big-endian it arrives as 03 e9, read as 59651.
	v := JudgeStatusCode(0xe903)
	if v == nil || v.Req != R1_1 || v.Check != CheckStatusByteOrder || !strings.Contains(v.Actual, "1001 big-endian") {
		t.Errorf("swapped 1001: %+v", v)
	}
	v = JudgeStatusCode(0)
	if v == nil || v.Req != R3_1 || v.Check != CheckUnknownStatus {
		t.Errorf("status 0: %+v", v)
	}
}

func TestTrailingBytes(t *testing.T) {
	for _, tc := range []struct {
		code    uint16
		fields  wire.Fields
		defined bool
		want    string
	}{
		{1002, 0, true, "status 1002 to end the response: 3 bytes in all"},
		{212, wire.HasName, true, "status 212 to end after the filename, with no size field"},
		{210, wire.HasName | wire.HasPayload, true, "status 210 to end after its 5-byte payload"},
		{7, 0, false, "a status the dialect defines"},
	} {
		v := TrailingBytes(tc.code, tc.fields, 5, tc.defined, []byte{0, 0})
		if v.Req != R3_1 || v.Expected != tc.want || !strings.Contains(v.Actual, "00 00") {
			t.Errorf("%d: %+v", tc.code, v)
		}
	}
}

func TestUnsafeName(t *testing.T) {
	for name, want := range map[string]bool{"": true, ".": true, "..": true, "a/b": true, `a\b`: true, "a\x00": true,
		"a\x1b[2J": true, "ok.txt": false, strings.Repeat("x", 300): false, "caf\xc3\xa9": false} {
		if got := UnsafeName([]byte(name)); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}
