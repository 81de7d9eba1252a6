package spec

import (
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

func TestJudgeHeld(t *testing.T) {
	restore := Request{Op: wire.OpRestore, Name: []byte("a")}
	del := Request{Op: wire.OpDelete, Name: []byte("a")}
	for _, tc := range []struct {
		q     Request
		st    wire.Status
		h     Holding
		req   ID
		check string
	}{
		{restore, wire.StatusNotExist, HoldingMissing, "", ""},
		{restore, wire.StatusServerError, HoldingMissing, R4_2, CheckMissingFile},
		{restore, wire.StatusRestored, HoldingMissing, R4_2, CheckMissingFile},
		{del, wire.StatusServerError, HoldingMissing, R4_3, CheckMissingFile},
		{del, wire.StatusOK, HoldingMissing, R4_3, CheckMissingFile},
		{del, wire.StatusNotExist, HoldingStored, R4_3, CheckStoredFile},
		{restore, wire.StatusNotExist, HoldingStored, R4_2, CheckStoredFile},
		{restore, wire.StatusServerError, HoldingStored, "", ""},
		{restore, wire.StatusRestored, HoldingStored, "", ""},
		{restore, wire.StatusServerError, HoldingUnknown, "", ""},
		{restore, wire.StatusNotExist, HoldingUnknown, "", ""},
		{Request{Op: wire.OpList}, wire.StatusServerError, HoldingMissing, "", ""},
		{Request{Op: wire.OpBackup, Name: []byte("a")}, wire.StatusServerError, HoldingMissing, "", ""},
	} {
		v := JudgeHeld(tc.q, tc.st, tc.h)
		switch {
		case tc.req == "" && v != nil:
			t.Errorf("%v answered %d, holding %d: %v, want none", tc.q, tc.st, tc.h, v)
		case tc.req != "" && (v == nil || v.Req != tc.req || v.Check != tc.check):
			t.Errorf("%v answered %d, holding %d: %+v, want %s %s", tc.q, tc.st, tc.h, v, tc.req, tc.check)
		}
	}
	if v := JudgeHeld(restore, wire.StatusServerError, HoldingMissing); v.Expected != `1001 naming "a": the file is missing` {
		t.Errorf("expected %q", v.Expected)
	}
}
