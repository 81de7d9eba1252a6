package netfuzz

import (
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/fakepeer"
)

// Each case is an input, what came back and how reading ended, and the verdict: "" for none,
// else kind, requirement and code.
func TestJudge(t *testing.T) {
	const (
		list      = "01000000 01 ca"
		backupA   = "01000000 01 64 0100 61 01000000 7a"
		backupAB  = "01000000 01 64 0300 612f62 00000000"
		restoreX  = "01000000 01 c8 0100 78"
		unknownOp = "01000000 01 07"
		ok212A    = "01 d400 0100 61"
		noFiles   = "01 ea03"
		srvErr    = "01 eb03"
		listed    = "01 d300 2000 4142434445464748494a4b4c4d4e4f505152535455565758595a616263646566 02000000 610a"
	)
	for _, tc := range []struct {
		name, input, got string
		end              endReason
		maxPayload       uint32
		want             string
	}{
		{"list answered 1002", list, noFiles, endEOF, 0, ""},
		{"list answered 211", list, listed, endEOF, 0, ""},
		{"list answered 1003", list, srvErr, endQuiet, 0, ""},
		{"list closed unanswered", list, "", endEOF, 0, "no-response R-2.1 no-response"},
		{"list silent", list, "", endTimeout, 0, "no-response R-2.1 no-response"},
		{"list reset: answer may be lost", list, "", endReset, 0, ""},
		{"list aborted by us", list, "", endAborted, 0, ""},
		{"list answered 212", list, ok212A, endEOF, 0, "violation R-4.4 status-forbidden"},
		{"list name 31 characters", list, "01 d300 1f00 4142434445464748494a4b4c4d4e4f505152535455565758595a6162636465 00000000", endEOF, 0, "violation R-4.4 list-name"},
		{"list status big-endian", list, "01 03ea", endEOF, 0, "violation R-1.1 status-byte-order"},
		{"unknown status", list, "01 0900", endEOF, 0, "violation R-3.1 unknown-status"},
		{"1002 with extra fields", list, "01 ea03 0000 00000000", endEOF, 0, "violation R-3.1 trailing-bytes"},
		{"two lists, second unanswered", list + list, noFiles, endEOF, 0, ""},
		{"two lists, both answered", list + list, noFiles + noFiles, endEOF, 0, ""},
		{"unknown op 1003", unknownOp, srvErr, endEOF, 0, ""},
		{"unknown op closed", unknownOp, "", endEOF, 0, "no-response R-5.2 no-response"},
		{"unknown op 1001", unknownOp, "01 e903 0000", endEOF, 0, "violation R-5.2 status-forbidden"},
		{"list then unknown op 1003", list + unknownOp, noFiles + srvErr, endEOF, 0, ""},
		{"list then unknown op unanswered", list + unknownOp, noFiles, endEOF, 0, ""},
		{"backup 212", backupA, ok212A, endEOF, 0, ""},
		{"backup 212 trailing size", backupA, ok212A + "00000000", endEOF, 0, "violation R-3.1 trailing-bytes"},
		{"backup 212 wrong name", backupA, "01 d400 0200 617e", endEOF, 0, "violation R-4.1 name-mismatch"},
		{"backup unsafe name 212", backupAB, "01 d400 0300 612f62", endEOF, 0, "violation R-5.1 unsafe-name-served"},
		{"backup unsafe name 1003", backupAB, srvErr, endEOF, 0, ""},
		{"backup truncated unanswered", "01000000 01 64 0100 61 05000000 7a", "", endEOF, 0, ""},
		{"backup truncated answered 212", "01000000 01 64 0100 61 05000000 7a", ok212A, endEOF, 0, "violation R-5.3 status-forbidden"},
		{"backup truncated answered 1003", "01000000 01 64 0100 61 05000000 7a", srvErr, endEOF, 0, ""},
		{"backup oversize unanswered", "01000000 01 64 0100 61 ffffffff 7a", "", endEOF, 1 << 20, "no-response R-5.4 no-response"},
		{"backup oversize 1003", "01000000 01 64 0100 61 ffffffff 7a", srvErr, endEOF, 1 << 20, ""},
		{"backup huge size, limit unknown", "01000000 01 64 0100 61 ffffffff 7a", "", endEOF, 0, ""},
		{"restore 1001", restoreX, "01 e903 0100 78", endEOF, 0, ""},
		{"restore 1001 other name", restoreX, "01 e903 0100 79", endEOF, 0, "violation R-4.2 name-mismatch"},
		{"restore 210 cut short", restoreX, "01 d200 0100 78 10000000 6869", endEOF, 0, "violation R-3.1 truncated-response"},
		{"restore 210 cut short by reset", restoreX, "01 d200 0100 78 10000000 6869", endReset, 0, ""},
		{"restore 210 cut by our timeout", restoreX, "01 d200 0100 78 10000000 6869", endTimeout, 0, ""},
		// A wrong status whose payload never ends: the header is judged although the
		// payload was cut by the capture limit or the timeout.
		{"backup answered 210 forever, capped", backupA, "01 d200 0100 78 ffffffff 41414141", endCapped, 0, "violation R-4.1 status-forbidden"},
		{"backup answered 210 forever, timeout", backupA, "01 d200 0100 78 ffffffff 41414141", endTimeout, 0, "violation R-4.1 status-forbidden"},
		{"restore 210 capped", restoreX, "01 d200 0100 78 ffffffff 41414141", endCapped, 0, ""},
		{"restore 210 other name, capped", restoreX, "01 d200 0100 79 ffffffff 41414141", endCapped, 0, "violation R-4.2 name-mismatch"},
		{"nothing sent, nothing owed", "", "", endEOF, 0, ""},
		{"nothing sent, bytes back", "", noFiles, endEOF, 0, "violation R-3.1 trailing-bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(planFor(fakepeer.Hex(t, tc.input), tc.maxPayload), fakepeer.Hex(t, tc.got), tc.end)
			got := ""
			if v.bad() {
				got = strings.Join([]string{string(v.kind), string(v.requirement), v.code}, " ")
			}
			if got != tc.want {
				t.Fatalf("verdict %q (%s), want %q", got, v.detail, tc.want)
			}
		})
	}
}

func TestPlanFor(t *testing.T) {
	in := fakepeer.Hex(t, "01000000 01 ca  02000000 01 c8 0100 78  03000000 01 64 0100 61 02000000 7a")
	p := planFor(in, 0)
	if len(p.slots) != 3 || p.slots[0].Form != spec.Whole || !p.slots[0].owed || p.slots[1].owed ||
		string(p.slots[1].Name) != "x" || p.slots[2].Form != spec.Truncated {
		t.Fatalf("plan %+v", p.slots)
	}
	many := fakepeer.Hex(t, strings.Repeat("01000000 01 ca", maxSlots+3))
	if p := planFor(many, 0); len(p.slots) != maxSlots || !p.capped {
		t.Fatalf("%d slots, capped %v", len(p.slots), p.capped)
	}
}
