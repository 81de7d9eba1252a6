package spec

import (
	"slices"
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

func TestOwes(t *testing.T) {
	restore := Request{Op: wire.OpRestore, Name: []byte("a")}
	del := Request{Op: wire.OpDelete, Name: []byte("a")}
	for _, tc := range []struct {
		q    Request
		h    Holding
		req  ID
		want []Meaning
	}{
		{Request{Op: wire.OpBackup, Name: []byte("a")}, HoldingUnknown, R4_1, []Meaning{BackupOK}},
		{restore, HoldingStored, R4_2, []Meaning{RestoreOK}},
		{restore, HoldingMissing, R4_2, []Meaning{NotFound}},
		{restore, HoldingUnknown, R4_2, []Meaning{RestoreOK, NotFound}},
		{del, HoldingStored, R4_3, []Meaning{DeleteOK}},
		{del, HoldingMissing, R4_3, []Meaning{DeleteNotFound}},
		{Request{Op: wire.OpList}, HoldingStored, R4_4, []Meaning{ListOK}},
		{Request{Op: wire.OpList}, HoldingMissing, R4_4, []Meaning{NoFiles}},
		// What the server holds does not matter to a name it must refuse.
		{Request{Op: wire.OpBackup, Name: []byte(".."), Form: BadName}, HoldingStored, R5_1, []Meaning{ServerError}},
		{Request{Op: wire.OpRestore, Name: []byte("a/b"), Form: BadName}, HoldingStored, R5_1, []Meaning{NotFound, ServerError}},
		{Request{Op: wire.OpDelete, Name: []byte("a/b"), Form: BadName}, HoldingStored, R5_1, []Meaning{DeleteNotFound, ServerError}},
		{Request{Op: 7, Form: UnknownOp}, HoldingUnknown, R5_2, []Meaning{ServerError}},
		{Request{Op: wire.OpBackup, Form: Oversize}, HoldingUnknown, R5_4, []Meaning{ServerError}},
		{Request{Op: wire.OpBackup, Form: Truncated}, HoldingUnknown, "", nil},
	} {
		if o := Owes(tc.q, tc.h); o.Req != tc.req || !slices.Equal(o.Meanings, tc.want) {
			t.Errorf("%v holding %d: owes %s %v, want %s %v", tc.q, tc.h, o.Req, o.Meanings, tc.req, tc.want)
		}
	}
}

func TestOwedInADialectWithoutNoFiles(t *testing.T) {
	o := Owes(Request{Op: wire.OpList}, HoldingUnknown)
	if got := o.In(Seed003); !slices.Equal(got, []Meaning{ListOK}) {
		t.Errorf("seed003 says %v as %v, want list-ok alone", o.Meanings, got)
	}
	if got := o.In(Canonical); !slices.Equal(got, o.Meanings) {
		t.Errorf("the canonical dialect says %v as %v", o.Meanings, got)
	}
}

func TestJudgeOwed(t *testing.T) {
	restore := Request{Op: wire.OpRestore, Name: []byte("a")}
	named := func(code uint16, name string) Answer { return Answer{Code: code, Name: []byte(name), Named: true} }
	for _, tc := range []struct {
		d     *Dialect
		q     Request
		h     Holding
		a     Answer
		req   ID
		check string
	}{
		{Canonical, restore, HoldingMissing, named(1001, "a"), "", ""},
		// 1003 is allowed by JudgeAnswer, but a tester that knows the file is missing is owed 1001.
		{Canonical, restore, HoldingMissing, Answer{Code: 1003}, R4_2, CheckStatusOwed},
		{Canonical, restore, HoldingMissing, named(1001, "b"), R4_2, CheckNameMismatch},
		// A name cut short is not judged.
		{Canonical, restore, HoldingMissing, Answer{Code: 1001, Name: []byte("b")}, "", ""},
		{Canonical, restore, HoldingStored, named(1001, "a"), R4_2, CheckStatusOwed},
		{Canonical, Request{Op: wire.OpBackup, Name: []byte("a/b"), Form: BadName}, HoldingUnknown, named(212, "a/b"), R5_1, CheckStatusOwed},
		// The name of a refusal of an unsafe name is still its op's.
		{Canonical, Request{Op: wire.OpDelete, Name: []byte("a/b"), Form: BadName}, HoldingUnknown, named(1001, "a"), R4_3, CheckNameMismatch},
		{Canonical, Request{Op: wire.OpDelete, Name: []byte("a/b"), Form: BadName}, HoldingUnknown, Answer{Code: 1003}, "", ""},
		// A listing's name is its own, not the request's.
		{Canonical, Request{Op: wire.OpList}, HoldingStored, named(211, "Abcdefghijklmnopqrstuvwxyz012345"), "", ""},
		{Canonical, Request{Op: wire.OpList}, HoldingMissing, named(211, "Abcdefghijklmnopqrstuvwxyz012345"), R4_4, CheckStatusOwed},
		{Canonical, Request{Op: 9, Form: UnknownOp}, HoldingUnknown, Answer{Code: 1001}, R5_2, CheckStatusOwed},
		{Canonical, Request{Op: 9, Form: UnknownOp}, HoldingUnknown, Answer{Code: 1003}, "", ""},
		{Canonical, Request{Op: wire.OpBackup, Form: Oversize}, HoldingUnknown, named(212, ""), R5_4, CheckStatusOwed},
		// Seed 003 answers a missing file 1003 with its name, and an empty user an empty listing.
		{Seed003, restore, HoldingMissing, named(1003, "a"), "", ""},
		{Seed003, restore, HoldingMissing, named(1003, "x"), R4_2, CheckNameMismatch},
		{Seed003, restore, HoldingMissing, Answer{Code: 1001}, R4_2, CheckStatusOwed},
		{Seed003, Request{Op: wire.OpList}, HoldingMissing, named(212, "Abcdefghijklmnopqrstuvwxyz012345"), "", ""},
		{Seed003, Request{Op: wire.OpBackup, Name: []byte("a")}, HoldingUnknown, named(210, "a"), "", ""},
	} {
		v := tc.d.JudgeOwed(tc.q, tc.h, tc.a)
		switch {
		case tc.req == "" && v != nil:
			t.Errorf("%s: %v holding %d answered %d: %v, want owed", tc.d.Name, tc.q, tc.h, tc.a.Code, v)
		case tc.req != "" && (v == nil || v.Req != tc.req || v.Check != tc.check):
			t.Errorf("%s: %v holding %d answered %d: %+v, want %s %s", tc.d.Name, tc.q, tc.h, tc.a.Code, v, tc.req, tc.check)
		}
	}
}

func TestExpectedSaysTheCodesAndTheName(t *testing.T) {
	for _, tc := range []struct {
		d    *Dialect
		q    Request
		h    Holding
		want string
	}{
		{Canonical, Request{Op: wire.OpRestore, Name: []byte("a")}, HoldingMissing, `1001 (not-found) with name "a"`},
		{Canonical, Request{Op: wire.OpRestore, Name: []byte("a/b"), Form: BadName}, HoldingUnknown, `1001 (not-found) or 1003 (server-error) with name "a/b"`},
		{Canonical, Request{Op: wire.OpBackup, Name: []byte(".."), Form: BadName}, HoldingUnknown, "1003 (server-error)"},
		{Canonical, Request{Op: wire.OpList}, HoldingMissing, "1002 (no-files)"},
		{Seed003, Request{Op: wire.OpList}, HoldingMissing, "212 (list-ok)"},
	} {
		if got := tc.d.Expected(tc.q, tc.h); got != tc.want {
			t.Errorf("%s: %v holding %d: expected %q, want %q", tc.d.Name, tc.q, tc.h, got, tc.want)
		}
	}
}

func TestJudgeAnswerRefusesSuccessForABadName(t *testing.T) {
	long := Request{Op: wire.OpBackup, Name: []byte(strings.Repeat("L", 256)), Form: BadName}
	if v := JudgeAnswer(long, wire.StatusOK, long.Name); v == nil || v.Req != R5_1 || v.Check != CheckUnsafeNameServed {
		t.Errorf("212 to a name over the server's limit: %+v, want R-5.1 %s", v, CheckUnsafeNameServed)
	}
}

func TestNamedRefusesWhatTheReferenceRefuses(t *testing.T) {
	for name, want := range map[string]Form{
		"a.txt":                  Whole,
		strings.Repeat("n", 255): Whole,
		strings.Repeat("L", 256): BadName,
		"":                       BadName,
		"..":                     BadName,
		"a/b":                    BadName,
		"a\x01b":                 BadName,
	} {
		if q := Named(wire.OpBackup, []byte(name)); q.Form != want {
			t.Errorf("BACKUP of %q: form %d, want %d", name, q.Form, want)
		}
	}
	if q := Named(wire.OpList, nil); q.Form != Whole {
		t.Errorf("a LIST, which has no name: form %d, want whole", q.Form)
	}
}
